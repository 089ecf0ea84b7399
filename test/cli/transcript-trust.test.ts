// SPDX-License-Identifier: Apache-2.0
/**
 * Issue 14 §6: the HTML transcript draws the trust of each root the
 * ceremony published (roles, keys by keyholder name, thresholds, old →
 * new) as inline SVG — from the workspace's `N.root.json` and `N-1` only
 * when their SHA-256 is the one the audit log holds. A bootstrap run
 * (root v1: alice, bob, carol, 2 of 3) and an add-keyholder run (root v2:
 * + dave, threshold 3) through the real CLI; a tampered `2.root.json` gets
 * a note and no picture; headless Chromium prints the transcript on A4.
 */
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { addKeyholderAnswers, bootstrapAnswers, disposeRunKeys, exportTranscript, freshWorkspace, runAt, runKeys } from '../support/run.js';
import { findChromium, printA4 } from '../support/chromium.js';

let base: string;
let ws: string;

before(async () => {
  base = await mkdtemp(join(tmpdir(), 'tuf-ceremony-transcript-trust-'));
  const keys = await runKeys();
  ws = await freshWorkspace(base);
  await writeFile(join(base, 'bootstrap.yaml'), bootstrapAnswers(keys));
  const b = await runAt(['--dir', ws, '--no-input', 'run', 'bootstrap-root', '--answers', 'bootstrap.yaml'], base);
  assert.equal(b.code, 0, b.stderr + b.stdout);
  await writeFile(join(base, 'add.yaml'), addKeyholderAnswers(keys, { threshold: 3, bob: true }));
  const a = await runAt(['--dir', ws, '--no-input', 'run', 'add-keyholder', '--answers', 'add.yaml'], base);
  assert.equal(a.code, 0, a.stderr + a.stdout);
});

after(async () => {
  await rm(base, { recursive: true, force: true });
  await disposeRunKeys();
});

const exported = (format: 'md' | 'html', extra: readonly string[] = []): Promise<string> => exportTranscript(ws, base, format, extra);

/** The SVG elements of an HTML page. */
const svgs = (html: string): string[] => [...html.matchAll(/<svg [^]*?<\/svg>/g)].map((m) => m[0]);

/** The column of a role in a picture: from its title to the next role's title. */
function column(svg: string, role: string): string {
  const start = svg.indexOf(`font-size="13">${role}</text>`);
  assert.ok(start >= 0, `the picture has a ${role} column`);
  const next = svg.slice(start + 1).search(/font-size="13">[a-z]+<\/text>/);
  return next < 0 ? svg.slice(start) : svg.slice(start, start + 1 + next);
}

describe('audit export --format html: the trust picture', () => {
  test('the add-keyholder run: root 1 → 2, dave joins the root role, its threshold 2 of 3 → 3 of 4', async () => {
    const html = await exported('html');
    const [svg, ...more] = svgs(html);
    assert.equal(more.length, 0, 'one root published in this run: one picture');
    assert.ok(svg !== undefined, 'the transcript holds the picture');
    assert.match(html, /<figcaption>Trust: root version 2 \(audit entry \d+\)<\/figcaption>\n<svg /);
    const root = column(svg, 'root');
    assert.match(root, />threshold 2 of 3 → 3 of 4</);
    for (const name of ['alice', 'bob', 'carol']) assert.match(root, new RegExp(`>${name} [0-9a-f]{8}</text>`), name);
    assert.match(root, />\+ dave [0-9a-f]{8}</);
    assert.doesNotMatch(root, /line-through/, 'nobody leaves');
    // targets stays as bootstrap made it; the online key has no keyholder and no bound name.
    assert.match(column(svg, 'targets'), />threshold 2 of 3 \(unchanged\)</);
    assert.match(column(svg, 'timestamp'), />threshold 1 of 1 \(unchanged\)</);
    // The online key: its name is not bound in it; its public key file was kept in keys/, and the log says so.
    assert.match(column(svg, 'timestamp'), />online [0-9a-f]{8}</);
    assert.doesNotMatch(svg, /<script|javascript:|<foreignObject|href=/i);
    assert.doesNotMatch(html, /does not match the audit log/);
  });

  test('the bootstrap run: root 1 drawn as a first root, from the file the log names', async () => {
    const runs = (await readFile(join(ws, 'audit', 'log.jsonl'), 'utf8')).match(/"run":"(bootstrap-root-[0-9TZ]+)"/);
    assert.ok(runs?.[1] !== undefined);
    const [svg] = svgs(await exported('html', ['--run', runs[1]]));
    assert.ok(svg !== undefined);
    assert.match(column(svg, 'root'), />threshold 2 of 3</);
    assert.doesNotMatch(svg, />threshold [^<]*→|>[+−] [^<]* [0-9a-f]{8}<|line-through|joins/, 'a first root: nothing joins or leaves');
  });

  test('a tampered 2.root.json: "does not match the audit log", no picture; a missing one: "missing"', async () => {
    const file = join(ws, 'metadata', '2.root.json');
    const one = join(ws, 'metadata', '1.root.json');
    const original = await readFile(file);
    const originalOne = await readFile(one);
    try {
      await appendFile(file, '\n');
      const html = await exported('html');
      assert.equal(svgs(html).length, 0, 'nothing drawn from an unverified file');
      assert.match(html, /metadata\/2\.root\.json does not match the audit log: its SHA-256 is [0-9a-f]{64}, the log records [0-9a-f]{64}; not drawn from an unverified file/);
      const md = await exported('md');
      assert.match(md, /^### Trust: root version 2 \\\(audit entry \d+\\\)\n\nNot drawn\.\n\n- metadata\/2\.root\.json does not match the audit log/m);
      await rm(file);
      assert.match(await exported('html'), /metadata\/2\.root\.json is missing from the workspace; the audit log records SHA-256 [0-9a-f]{64}/);
      // The old root is checked the same way.
      await writeFile(file, original);
      await appendFile(one, ' ');
      const old = await exported('html');
      assert.equal(svgs(old).length, 0);
      assert.match(old, /metadata\/1\.root\.json does not match the audit log/);
    } finally {
      await writeFile(file, original);
      await writeFile(one, originalOne);
    }
    assert.equal(svgs(await exported('html')).length, 1, 'restored: drawn again');
  });

  test('headless Chromium prints the transcript with its picture on A4', async (t) => {
    const chromium = findChromium();
    if (chromium === null) {
      t.skip('chromium is not installed (apt-get install chromium)');
      return;
    }
    const r = await runAt(['--dir', ws, 'audit', 'export', '--format', 'html', '--out', 'trust.html'], base);
    assert.equal(r.code, 0, r.stderr);
    const count = await printA4(chromium, join(base, 'trust.html'), join(base, 'trust.pdf'), base);
    assert.ok(count >= 2 && count <= 14, `a reasonable number of pages: ${String(count)}`);
  });
});
