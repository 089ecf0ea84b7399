// SPDX-License-Identifier: Apache-2.0
/**
 * `init --from` imports only what verified (the root chain, the snapshot
 * the timestamp names, the targets and delegated roles snapshot names), and
 * a crafted delegation (an unsigned role delegating 2^32 bins) makes
 * `verify` and `init --from` say no with exit 1: run as the real binary, so
 * an out-of-memory abort or an internal error (exit 70) would show.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../support/cli.js';
import { quirkyRepo, testSigner } from '../support/quirky-repo.js';

const BIN = new URL('../../../bin/tuf-ceremony.js', import.meta.url).pathname;
const AT = '2030-01-01T00:00:00Z';
const NOW = Date.parse(AT);

let tmp: string;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'tuf-ceremony-import-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function writeFiles(dir: string, files: ReadonlyMap<string, Uint8Array>): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const [name, bytes] of files) await writeFile(join(dir, name), bytes);
  return dir;
}

describe('init --from takes as its baseline only what verified', () => {
  it('an unsigned stray 9.targets.json beside a good repository is left out; the published targets is the verified one', async () => {
    const repo = quirkyRepo({ consistentSnapshot: false });
    const stray = quirkyRepo({ consistentSnapshot: false, hooks: { targets: (t) => ((t['version'] = 9), (t['targets'] = {})) } });
    const files = new Map(repo.files);
    files.set('9.targets.json', stray.files.get('targets.json') as Uint8Array); // signed by the same test key, but not what snapshot names
    const src = await writeFiles(join(tmp, 'stray-src'), files);
    const ws = join(tmp, 'stray-ws');
    const r = await runCli(['init', ws, '--from', src, '--json'], { now: NOW });
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { imported: string[]; leftOut: number };
    assert.deepEqual([...doc.imported].sort(), ['1.root.json', 'root.json', 'snapshot.json', 'targets.json', 'timestamp.json']);
    assert.equal(doc.leftOut, 1);
    assert.ok(!(await readdir(join(ws, 'metadata'))).includes('9.targets.json'));
    // What `targets draft` builds on is the verified targets v1.
    const d = await runCli(['--dir', ws, 'targets', 'draft', '--json'], { now: NOW });
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, /"version": 2/);
  });
});

describe('a crafted delegation fails in seconds with exit 1 (never 70, an out-of-memory abort or a hang)', () => {
  it('an unsigned delegated role with succinct_roles bit_length 32: verify and init --from both exit 1', async () => {
    const d = testSigner('crafted/delegate');
    const repo = quirkyRepo({
      delegated: { project: [d] },
      hooks: {
        delegated: (_n, s) => (s['delegations'] = { keys: { [d.keyid]: d.tuf }, succinct_roles: { keyids: [d.keyid], threshold: 1, bit_length: 32, name_prefix: 'bin' } }),
      },
      // Tampered after signing: the signature no longer covers the content.
      after: (file, md) => {
        if (file === '1.project.json') md.signatures[0] = { keyid: d.keyid, sig: 'ab'.repeat(64) };
      },
    });
    const src = await writeFiles(join(tmp, 'crafted'), repo.files);
    const v = spawnSync(process.execPath, [BIN, 'verify', src, '--at', AT], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(v.status, 1, `${v.stdout}\n${v.stderr}`);
    assert.match(v.stderr, /1\.project\.json: project: targets delegation keys: 0 of 1 needed signatures valid/);
    assert.doesNotMatch(v.stdout, /bin-/);
    const ws = join(tmp, 'crafted-ws');
    const i = spawnSync(process.execPath, [BIN, 'init', ws, '--from', src], { encoding: 'utf8', timeout: 120_000 });
    assert.ok(i.status === 1, `${String(i.status)} ${i.stdout}\n${i.stderr}`);
    assert.match(i.stderr, /refusing to import .*: it does not verify/);
  });

  it('an unsigned hash bin that itself delegates 2^32 bins: exit 1, its bins never expanded (was exit 70)', async () => {
    const d = testSigner('crafted/bins');
    const sr = (bits: number) => ({ keyids: [d.keyid], threshold: 1, bit_length: bits, name_prefix: 'bin' });
    const repo = quirkyRepo({ hooks: { targets: (t) => (t['delegations'] = { keys: { [d.keyid]: d.tuf }, succinct_roles: sr(1) }) } });
    const bin = {
      signatures: [{ keyid: d.keyid, sig: 'ab'.repeat(64) }],
      signed: { _type: 'targets', spec_version: '1.0.31', version: 1, expires: '2031-01-01T00:00:00Z', targets: {}, delegations: { keys: { [d.keyid]: d.tuf }, succinct_roles: sr(32) } },
    };
    const src = await writeFiles(join(tmp, 'crafted-bins'), new Map([...repo.files, ['bin-0.json', Buffer.from(JSON.stringify(bin))]]));
    const v = spawnSync(process.execPath, [BIN, 'verify', src, '--at', AT, '--json'], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(v.status, 1, `${v.stdout}\n${v.stderr}`);
    const doc = JSON.parse(v.stdout) as { steps: { kind: string; file: string; bins?: { count: number } }[] };
    assert.deepEqual(
      doc.steps.filter((s) => s.kind === 'bins').map((s) => [s.file, s.bins?.count]),
      [['1.targets.json', 2]]
    );
    const i = spawnSync(process.execPath, [BIN, 'init', join(tmp, 'crafted-bins-ws'), '--from', src], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(i.status, 1, `${i.stdout}\n${i.stderr}`);
  });
});
