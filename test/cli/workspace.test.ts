// SPDX-License-Identifier: Apache-2.0
import { commandEntries } from '../support/audit.js';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makePublicKeyFile } from '../../src/crypto/proof.js';
import { keySigner } from '../../src/crypto/software.js';
import { stringifySorted } from '../../src/metadata/serialize.js';
import { runCli } from '../support/cli.js';
import { testKey, type TestKey } from '../support/keys.js';
import { buildRepository, writeRepository } from '../support/repo.js';

const DEMO = new URL('../../../test/fixtures/real/tuf-on-ci-demo/', import.meta.url).pathname;
const NOW = Date.UTC(2026, 7, 22, 0, 0, 0);
let tmp: string;
let n = 0;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'tuf-ceremony-ws-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});
const fresh = (): string => join(tmp, `w${String(n++)}`);

/** A public key file for a test key, with a valid proof. */
async function pubFile(name: string, key: TestKey, dir: string): Promise<string> {
  const pub = await makePublicKeyFile(name, keySigner(key.privateKey, { backend: 'file' }), NOW);
  const p = join(dir, `${name}-${String(n++)}.pub.json`);
  await mkdir(dir, { recursive: true });
  await writeFile(p, stringifySorted(pub));
  return p;
}

async function auditLines(ws: string): Promise<Record<string, unknown>[]> {
  return commandEntries(ws);
}

describe('init', () => {
  it('makes the layout, settings and a first audit entry', async () => {
    const ws = fresh();
    const r = await runCli(['init', ws, '--name', 'example'], { now: NOW });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((await readdir(ws)).sort(), ['audit', 'ceremony.json', 'drafts', 'keyholders', 'metadata', 'requests', 'signatures']);
    const settings = JSON.parse(await readFile(join(ws, 'ceremony.json'), 'utf8')) as { name: string; created: string };
    assert.equal(settings.name, 'example');
    assert.equal(settings.created, '2026-08-22T00:00:00Z');
    const log = await auditLines(ws);
    assert.equal(log.length, 1);
    assert.equal(log[0]?.['command'], 'init');
    assert.match(r.stdout, /audit head: [0-9a-f]{64}/);
  });

  it('refuses a directory that is not empty', async () => {
    const ws = fresh();
    await mkdir(ws);
    await writeFile(join(ws, 'something'), 'x');
    const r = await runCli(['init', ws], { now: NOW });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /not empty/);
    assert.deepEqual(await readdir(ws), ['something']);
  });

  it('--from imports a repository that verifies (tuf-on-ci layout, flattened into metadata/)', async () => {
    const ws = fresh();
    const r = await runCli(['init', ws, '--from', DEMO], { now: NOW });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /root v5 is the trusted starting point/);
    const files = await readdir(join(ws, 'metadata'));
    for (const v of [1, 2, 3, 4, 5]) assert.ok(files.includes(`${String(v)}.root.json`));
    assert.ok((await readFile(join(ws, 'metadata', '3.root.json'))).equals(await readFile(join(DEMO, 'root_history', '3.root.json'))));
    const v = await runCli(['verify', join(ws, 'metadata'), '--at', '2026-08-22T00:00:00Z']);
    assert.equal(v.code, 0, v.stdout);
  });

  it('--from refuses a repository that does not verify, with the reason, and creates nothing', async () => {
    const repo = fresh();
    await writeRepository(repo, buildRepository({ expires: '2030-01-01T00:00:00Z', rootVersions: 2 }));
    const p = join(repo, 'metadata', '2.root.json');
    await writeFile(p, (await readFile(p, 'utf8')).replace('"version": 2', '"version": 3'));
    const ws = fresh();
    const r = await runCli(['init', ws, '--from', repo], { now: NOW });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /refusing to import .*: it does not verify: 2\.root\.json: root: /);
    await assert.rejects(readdir(ws));
  });
});

describe('keyholder add / list / remove', () => {
  it('registers keyholders after checking their proofs, lists them, and audits it', async () => {
    const ws = fresh();
    await runCli(['init', ws], { now: NOW });
    const a = await pubFile('alice', testKey('ws/alice'), join(tmp, 'in'));
    const b = await pubFile('bob', testKey('ws/bob', 'ecdsa-p256'), join(tmp, 'in'));
    const r = await runCli(['--dir', ws, 'keyholder', 'add', a, b], { now: NOW });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((await readdir(join(ws, 'keyholders'))).sort(), ['alice.pub.json', 'bob.pub.json']);
    const list = await runCli(['--dir', ws, '--json', 'keyholder', 'list']);
    const doc = JSON.parse(list.stdout) as { keyholders: { name: string; keyid: string }[] };
    assert.deepEqual(doc.keyholders.map((k) => k.name), ['alice', 'bob']);
    assert.equal(doc.keyholders[0]?.keyid, testKey('ws/alice').keyid);
    const log = await auditLines(ws);
    assert.equal(log.at(-1)?.['command'], 'keyholder add');
  });

  it('refuses one public key under two names, a name twice, and a broken proof; a bad file leaves nothing registered', async () => {
    const ws = fresh();
    await runCli(['init', ws], { now: NOW });
    const key = testKey('ws/shared');
    const first = await pubFile('carol', key, join(tmp, 'in'));
    assert.equal((await runCli(['--dir', ws, 'keyholder', 'add', first], { now: NOW })).code, 0);
    const sameKey = await runCli(['--dir', ws, 'keyholder', 'add', await pubFile('dave', key, join(tmp, 'in'))], { now: NOW });
    assert.equal(sameKey.code, 2);
    assert.match(sameKey.stderr, /this public key is already registered for "carol"/);
    const sameName = await runCli(['--dir', ws, 'keyholder', 'add', await pubFile('carol', testKey('ws/other'), join(tmp, 'in'))], { now: NOW });
    assert.equal(sameName.code, 2);
    assert.match(sameName.stderr, /keyholder "carol" is already registered with another key/);
    // A renamed file: the proof no longer holds.
    const forged = join(tmp, 'in', 'forged.pub.json');
    await writeFile(forged, (await readFile(first, 'utf8')).replace('"name": "carol"', '"name": "mallory"'));
    const good = await pubFile('erin', testKey('ws/erin'), join(tmp, 'in'));
    const bad = await runCli(['--dir', ws, 'keyholder', 'add', good, forged], { now: NOW });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /forged\.pub\.json: the proof of possession does not verify/);
    assert.deepEqual(await readdir(join(ws, 'keyholders')), ['carol.pub.json']);
    const malformed = join(tmp, 'in', 'bad.pub.json');
    await writeFile(malformed, '{"format": "tuf-ceremony/public-key/v1", "format": 1}');
    const m = await runCli(['--dir', ws, 'keyholder', 'add', malformed], { now: NOW });
    assert.equal(m.code, 2);
    assert.match(m.stderr, /bad\.pub\.json: format: duplicate key/);
  });

  it('refuses to remove a keyholder whose key is in the published root; removes one that is not', async () => {
    const repo = fresh();
    const built = buildRepository({ expires: '2030-01-01T00:00:00Z', keyLabel: 'wsroot' });
    await writeRepository(repo, built);
    const ws = fresh();
    assert.equal((await runCli(['init', ws, '--from', repo], { now: NOW })).code, 0);
    const inRoot = built.keys.root[0]?.[0] as TestKey;
    await runCli(['--dir', ws, 'keyholder', 'add', await pubFile('frank', inRoot, join(tmp, 'in')), await pubFile('gina', testKey('ws/gina'), join(tmp, 'in'))], { now: NOW });
    const refused = await runCli(['--dir', ws, 'keyholder', 'remove', 'frank'], { now: NOW });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /keyholder "frank" cannot be removed: their key [0-9a-f]{8} is in the root role of the published root \(1\.root\.json\)/);
    const ok = await runCli(['--dir', ws, 'keyholder', 'remove', 'gina'], { now: NOW });
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(await readdir(join(ws, 'keyholders')), ['frank.pub.json']);
    const unknown = await runCli(['--dir', ws, 'keyholder', 'remove', 'nobody'], { now: NOW });
    assert.equal(unknown.code, 2);
  });

  it('outside a workspace: exit 2 with a hint', async () => {
    const r = await runCli(['--dir', tmp, 'keyholder', 'list']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /not a tuf-ceremony workspace/);
  });
});
