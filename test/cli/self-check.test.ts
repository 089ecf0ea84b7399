// SPDX-License-Identifier: Apache-2.0
/**
 * `self-check` in package mode (the tests run the compiled package in
 * build/), its sums-file reader, and the package hash recomputed here from
 * the rule in docs/release.md. The single file is tested in
 * test/release/release.test.ts.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { InputError } from '../../src/errors.js';
import { computeSelfHash } from '../../src/store/self-hash.js';
import { formatSums, parseSums } from '../../src/store/sums.js';
import { VERSION } from '../../src/version.js';
import { runCli } from '../support/cli.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const HEX = 'a'.repeat(64);

function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** docs/release.md's rule, written again: `HEX  PATH\n` for package.json, bin/**, build/src/**, sorted by path. */
async function expectedPackageHash(): Promise<string> {
  const paths = ['package.json'];
  for (const dir of ['bin', join('build', 'src')]) {
    const entries = await readdir(join(ROOT, dir), { recursive: true, withFileTypes: true });
    for (const e of entries) if (e.isFile()) paths.push(join(e.parentPath, e.name).slice(ROOT.length + 1).split('\\').join('/'));
  }
  paths.sort((a, b) => (Buffer.from(a) < Buffer.from(b) ? -1 : 1));
  let text = '';
  for (const p of paths) text += `${sha256(await readFile(join(ROOT, p)))}  ${p}\n`;
  return sha256(text);
}

describe('self-check (package)', () => {
  let tmp = '';
  let expected = '';
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'tuf-ceremony-self-check-'));
    expected = await expectedPackageHash();
  });
  after(async () => rm(tmp, { recursive: true, force: true }));

  it('computeSelfHash: the package hash is the SHA-256 of the sorted sha256sum lines of package.json, bin/ and build/src/', async () => {
    const self = await computeSelfHash();
    assert.equal(self.kind, 'package');
    assert.equal(self.version, VERSION);
    assert.equal(self.path, ROOT);
    assert.equal(self.sumsName, 'package-files.sha256');
    assert.equal(self.sha256, expected);
    assert.equal(self.files?.[0]?.name, 'bin/tuf-ceremony.js');
    assert.ok(self.files?.some((f) => f.name === 'build/src/store/self-hash.js'));
    assert.ok(!self.files?.some((f) => f.name.startsWith('build/test/')));
  });

  it('computeSelfHash: a module outside build/src/store is a single file, hashed as it is', async () => {
    const file = join(tmp, 'bundle.mjs');
    await writeFile(file, 'console.log(1)\n');
    const self = await computeSelfHash(new URL(`file://${file}`).href);
    assert.deepEqual(self, { version: VERSION, kind: 'single-file', sha256: sha256('console.log(1)\n'), path: file, sumsName: 'tuf-ceremony.mjs' });
  });

  it('prints the version and the hash; --sums with the matching line: exit 0', async () => {
    await writeFile(join(tmp, 'SHA256SUMS'), `${HEX}  tuf-ceremony.mjs\n${expected}  package-files.sha256\n`);
    const r = await runCli(['self-check', '--sums', 'SHA256SUMS'], { cwd: tmp });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^tuf-ceremony ${VERSION}\nrunning: package ${ROOT} \\(\\d+ files: package.json, bin/, build/src/; listed as in package-files.sha256\\)\nsha256: ${expected}\nok    SHA256SUMS: package-files.sha256 matches\n$`));
    const plain = await runCli(['self-check'], { cwd: tmp });
    assert.equal(plain.code, 0);
    assert.equal(plain.stdout.split('\n').length, 4);
  });

  it('--json: ok, version, kind, sha256, path, files and the comparison', async () => {
    const r = await runCli(['self-check', '--json', '--sums', 'SHA256SUMS'], { cwd: tmp });
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.deepEqual(Object.keys(doc), ['ok', 'version', 'kind', 'sha256', 'path', 'sumsName', 'files', 'sums']);
    assert.equal(doc['ok'], true);
    assert.deepEqual(doc['sums'], { file: 'SHA256SUMS', name: 'package-files.sha256', expected, match: true });
  });

  it('another hash: exit 1 naming both hashes (and --json says ok: false)', async () => {
    await writeFile(join(tmp, 'OTHER'), `${HEX}  package-files.sha256\n`);
    const r = await runCli(['self-check', '--sums', 'OTHER'], { cwd: tmp });
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^error\\[VERIFICATION_FAILED\\]: OTHER lists package-files.sha256 as ${HEX}, but the running code is ${expected}\nhint: this is not the released code`));
    const j = await runCli(['self-check', '--json', '--sums', 'OTHER'], { cwd: tmp });
    assert.equal(j.code, 1);
    const doc = JSON.parse(j.stdout) as { ok: boolean; sums: unknown };
    assert.deepEqual({ ok: doc.ok, sums: doc.sums }, { ok: false, sums: { file: 'OTHER', name: 'package-files.sha256', expected: HEX, match: false } });
  });

  it('a sums file with no line for the running code: exit 1', async () => {
    await writeFile(join(tmp, 'NOLINE'), `${HEX}  tuf-ceremony.mjs\n`);
    const r = await runCli(['self-check', '--sums', 'NOLINE'], { cwd: tmp });
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^error\\[VERIFICATION_FAILED\\]: NOLINE has no line for package-files.sha256; the running code is ${expected}$`, 'm'));
  });

  const malformed: readonly [string, string, RegExp][] = [
    ['an empty file', '', /BAD: no checksum lines/],
    ['a BSD-style line', `SHA256 (tuf-ceremony.mjs) = ${HEX}\n`, /BAD: line 1 is not a sha256sum line/],
    ['a short hash', `${'a'.repeat(63)}  tuf-ceremony.mjs\n`, /BAD: line 1 is not a sha256sum line/],
    ['one space', `${HEX} tuf-ceremony.mjs\n`, /BAD: line 1 is not a sha256sum line/],
    ['a blank line', `${HEX}  a\n\n${HEX}  b\n`, /BAD: line 2 is not a sha256sum line/],
    ['a name listed twice with two hashes', `${HEX}  a\n${'b'.repeat(64)}  ./a\n`, /BAD: line 2 lists a again with another hash/],
  ];
  for (const [what, text, message] of malformed) {
    it(`a malformed sums file (${what}): exit 2`, async () => {
      await writeFile(join(tmp, 'BAD'), text);
      const r = await runCli(['self-check', '--sums', 'BAD'], { cwd: tmp });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`^error\\[INVALID_INPUT\\]: ${message.source}`));
    });
  }

  it('a sums file that does not exist: exit 2', async () => {
    const r = await runCli(['self-check', '--sums', 'MISSING'], { cwd: tmp });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error\[INVALID_INPUT\]: .*MISSING: no such file/);
  });

  it('--help describes it, with the exit codes', async () => {
    const top = await runCli(['--help']);
    assert.match(top.stdout, /self-check \[options\]/);
    const r = await runCli(['self-check', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /--sums <FILE>/);
    assert.match(r.stdout, /docs\/release\.md/);
    assert.match(r.stdout, /Exit codes:/);
  });
});

describe('sha256sum files', () => {
  it('parseSums reads text and binary mode, CRLF, uppercase hex and ./ names', () => {
    const sums = parseSums(`${HEX.toUpperCase()} *./x.tgz\r\n${'b'.repeat(64)}  y z\n`, 'S');
    assert.deepEqual([...sums], [['x.tgz', HEX], ['y z', 'b'.repeat(64)]]);
  });

  it('parseSums refuses escaped names and reports the file', () => {
    assert.throws(() => parseSums(`\\${HEX}  a\\nb\n`, 'S'), (e: unknown) => e instanceof InputError && e.file === 'S' && /line 1/.test(e.message));
  });

  it('formatSums writes sha256sum text lines sorted by name, and parseSums reads them back', () => {
    const text = formatSums([{ name: 'b', sha256: HEX }, { name: 'B', sha256: HEX }, { name: 'a/c', sha256: 'c'.repeat(64) }]);
    assert.equal(text, `${HEX}  B\n${'c'.repeat(64)}  a/c\n${HEX}  b\n`);
    assert.deepEqual([...parseSums(text, 'S').keys()], ['B', 'a/c', 'b']);
    assert.throws(() => formatSums([{ name: 'a\nb', sha256: HEX }]), RangeError);
    assert.throws(() => formatSums([{ name: 'a', sha256: HEX.toUpperCase() }]), RangeError);
  });
});
