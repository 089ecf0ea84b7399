// SPDX-License-Identifier: Apache-2.0
/**
 * `audit export --format md|html [--out F] [--run ID]`: the transcript of a
 * guided ceremony, from its audit log. A bootstrap run whose exception
 * reason carries markup; the Markdown and the HTML hold the participants,
 * every step with its time and result, the exception, every artifact hash,
 * the final head and a sign-off table; the HTML is self-contained and
 * escapes what the log holds; headless Chromium prints it on A4.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { auditEntries, bootstrapAnswers, disposeRunKeys, exportTranscript, freshWorkspace, runAt, runKeys, toolSha } from '../support/run.js';
import { findChromium, printA4 } from '../support/chromium.js';

const HOSTILE_REASON = '<script>alert("x")</script> | *not* a [link](http://example.com)';
const RUN = 'bootstrap-root-20260822T093000Z';

let base: string;
let ws: string;
let head: string;

before(async () => {
  base = await mkdtemp(join(tmpdir(), 'tuf-ceremony-transcript-'));
  const keys = await runKeys();
  ws = await freshWorkspace(base);
  await writeFile(join(base, 'answers.yaml'), bootstrapAnswers(keys).replace('drill: the keys are encrypted files on a USB stick', HOSTILE_REASON.replace(/"/g, '\\"')));
  const r = await runAt(['--dir', ws, '--no-input', 'run', 'bootstrap-root', '--answers', 'answers.yaml'], base);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const lines = (await readFile(join(ws, 'audit', 'log.jsonl'), 'utf8')).trimEnd().split('\n');
  head = createHash('sha256').update(lines.at(-1) ?? '').digest('hex');
});

after(async () => {
  await rm(base, { recursive: true, force: true });
  await disposeRunKeys();
});

const exported = (format: 'md' | 'html', extra: readonly string[] = []): Promise<string> => exportTranscript(ws, base, format, extra);

/** What both formats must hold: read from the log itself. */
async function expectedContent(): Promise<{ steps: string[]; hashes: string[] }> {
  const entries = (await auditEntries(ws)).filter((e) => e.seq >= 2);
  return {
    steps: entries.filter((e) => e.command === 'run step').map((e) => String(e.details['step'])),
    hashes: [...new Set(entries.flatMap((e) => [...e.artifacts.read, ...e.artifacts.written].map((a) => a.sha256)))],
  };
}

describe('audit export --format md', () => {
  test('participants, every step with its time and result, the exception, every artifact hash, the final head, the sign-off table', async () => {
    const md = await exported('md');
    const { steps, hashes } = await expectedContent();
    assert.match(md, /^# Ceremony transcript: Bootstrap a new root$/m);
    assert.match(md, new RegExp(`^\\| Run \\| ${RUN} \\|$`, 'm'));
    for (const [role, name] of [['coordinator', 'olivia'], ['witness', 'wendy'], ['keyholder', 'alice'], ['keyholder', 'bob'], ['keyholder', 'carol']]) {
      assert.match(md, new RegExp(`^\\| ${role} \\| ${name} \\|   \\|$`, 'm'), `${role} ${name}`);
    }
    assert.match(md, /Threshold chosen for this run: 2 of 3 keyholders\./);
    // What the root required and who signed: from the publish entry, as the published file holds them.
    assert.match(md, /\| root version 1 \| new root \\\(version 1\\\) \| 2 of 3 \| alice `[0-9a-f]{64}` — bob `[0-9a-f]{64}` \|/);
    // Which keys are hardware-attested, as keyholder add recorded it (issue 13): file keys are not.
    for (const name of ['alice', 'bob', 'carol']) assert.match(md, new RegExp(`^\\| ${name} \\| [0-9a-f]{16} \\| not attested \\|$`, 'm'), name);
    // The tool as `self-check` identifies it (issue 6 §2), in groups of four.
    assert.ok(md.replace(/[ `]/g, '').includes(toolSha()), 'the transcript shows the tool SHA-256 self-check prints');
    steps.forEach((id, i) => {
      assert.match(md, new RegExp(`^\\| ${String(i + 1)} \\| \\*\\*${id}\\*\\*: .*\\| 2026-08-22T09:30:00Z \\| (passed|\\*\\*exception\\*\\*) \\| {3}\\|$`, 'm'), id);
    });
    assert.match(md, /^\| 4 \| \*\*devices\*\*: Device inventory — 0 known tokens, at least 1 expected \| device-inventory .* \| \*\*exception\*\* \| {3}\|$/m);
    // The exception's reason, with its markup escaped.
    assert.ok(md.includes('\\<script\\>alert\\("x"\\)\\</script\\> \\| \\*not\\* a \\[link\\]\\(http://example.com\\)'), md);
    assert.doesNotMatch(md, /<script>/);
    for (const h of hashes) assert.ok(md.includes(`\`${h}\``), `artifact ${h}`);
    assert.match(md, new RegExp(`^## Final audit head\\n\\n\`${head}\`$`, 'm'));
    assert.match(md, /^\| Name \| Role \| Initials \| Signature \| Date \| Audit head, first 8 digits \(handwritten\) \|$/m);
    assert.match(md, /^\| olivia \| coordinator \| {3}\| {3}\| {3}\| {3}\|$/m);
    assert.match(md, /We, the undersigned, took part in this ceremony for workspace demo\./);
  });

  test('--out writes the file and records nothing; --json reports its SHA-256; an unknown --run is exit 2', async () => {
    const log = await readFile(join(ws, 'audit', 'log.jsonl'), 'utf8');
    const r = await runAt(['--dir', ws, '--json', 'audit', 'export', '--format', 'md', '--out', 'transcript.md', '--run', RUN], base);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { ok: boolean; sha256: string; head: string; run: string; entries: { first: number; last: number } };
    const file = await readFile(join(base, 'transcript.md'));
    assert.equal(report.sha256, createHash('sha256').update(file).digest('hex'));
    assert.deepEqual([report.head, report.run, report.entries.first], [head, RUN, 2]);
    assert.equal(file.toString('utf8'), await exported('md'));
    assert.equal(await readFile(join(ws, 'audit', 'log.jsonl'), 'utf8'), log, 'exporting records nothing');
    const unknown = await runAt(['--dir', ws, '--json', 'audit', 'export', '--format', 'md', '--run', 'nope'], base);
    assert.equal(unknown.code, 2);
    assert.equal((JSON.parse(unknown.stdout) as { error: { field: string } }).error.field, '--run');
    const format = await runAt(['--dir', ws, 'audit', 'export', '--format', 'pdf'], base);
    assert.equal(format.code, 2);
  });

  test('a log that does not verify is not transcribed (exit 1, no file)', async () => {
    const copy = join(base, 'tampered');
    await runAt(['init', 'tampered', '--name', 'x'], base);
    await appendFile(join(copy, 'audit', 'log.jsonl'), '{"not":"an entry"}\n');
    const r = await runAt(['--dir', copy, 'audit', 'export', '--format', 'html', '--out', 'tampered.html'], base);
    assert.equal(r.code, 1, r.stderr);
    await assert.rejects(stat(join(base, 'tampered.html')));
  });
});

describe('audit export --format html', () => {
  test('self-contained, escaped, laid out for A4, with the same content and an empty sign-off table', async () => {
    const html = await exported('html');
    const { steps, hashes } = await expectedContent();
    assert.match(html, /^<!DOCTYPE html>\n<html lang="en">/);
    assert.match(html, /@page \{ size: A4; margin: [^}]+\}/);
    assert.doesNotMatch(html, /<script|<link|<img|<iframe|\bsrc=|\bhref=|url\(|@import/i, 'no external resources and nothing active');
    assert.ok(html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; | *not* a [link](http://example.com)'));
    for (const id of steps) assert.ok(html.includes(`<b>${id}</b>`), id);
    for (const h of hashes) assert.ok(html.includes(h), h);
    assert.ok(html.includes(`<p class="head">${head}<br>`));
    for (const name of ['olivia', 'wendy', 'alice', 'bob', 'carol']) {
      assert.match(html, new RegExp(`<tr><td class="name">${name}</td><td>[a-z]+</td><td></td><td></td><td></td><td></td></tr>`), name);
    }
    assert.match(html, /<h2>Exceptions<\/h2>\n<table class="exceptions">/);
    assert.match(html, /<h2>Participants<\/h2>/);
  });

  test('headless Chromium prints it on A4 pages', async (t) => {
    const chromium = findChromium();
    if (chromium === null) {
      t.skip('chromium is not installed (apt-get install chromium)');
      return;
    }
    const file = join(base, 'transcript.html');
    const pdf = join(base, 'transcript.pdf');
    const r = await runAt(['--dir', ws, 'audit', 'export', '--format', 'html', '--out', 'transcript.html'], base);
    assert.equal(r.code, 0, r.stderr);
    const count = await printA4(chromium, file, pdf, base);
    assert.ok(count >= 2 && count <= 12, `a reasonable number of pages: ${String(count)}`);
  });
});
