// SPDX-License-Identifier: Apache-2.0
/**
 * The PEP 458 template run end to end with the optional `backsigned`
 * delegation: root 2 of 3, targets 2 of 2 by dedicated keys, a backsigned
 * role with its own key searched first, then 16,384 hash bins (bit length
 * 14) listed as roles for the online key, which also holds snapshot and
 * timestamp; root and targets expire after a year. Verified as a client
 * would.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { binForPath } from '../../src/metadata/verify.js';
import { disposeRunKeys, freshWorkspace, runAt, runKeys, RUN_TIME, toolSha } from '../support/run.js';

let base: string;
let keys: string;

before(async () => {
  base = await mkdtemp(join(tmpdir(), 'tuf-ceremony-pep458-'));
  keys = await runKeys();
});

after(async () => {
  await rm(base, { recursive: true, force: true });
  await disposeRunKeys();
});

interface Role {
  readonly name: string;
  readonly keyids: readonly string[];
  readonly threshold: number;
  readonly terminating: boolean;
  readonly path_hash_prefixes?: readonly string[];
}

test('pep458-layout with backsigned: root t of n, targets 2 of 2, backsigned first, 16,384 bins of bit length 14 for the online key', async () => {
  const ws = await freshWorkspace(base);
  const pub = (n: string): string => join(keys, `${n}.pub.json`);
  await writeFile(
    join(base, 'answers.yaml'),
    `format: tuf-ceremony/answers/v1
template: pep458-layout
participants: { coordinator: olivia, witnesses: [wendy], keyholders: [alice, bob, carol, dave, erin], threshold: 2 }
parameters:
  root_keyholders: [alice, bob, carol]
  targets_keyholders: [dave, erin]
  public_keys: [${['alice', 'bob', 'carol', 'dave', 'erin'].map(pub).join(', ')}]
  online_key: ${pub('online')}
  backsigned: true
  backsigned_key: ${pub('backsign')}
steps:
  air-gap: { confirm: true }
  tool: { sha256: "${toolSha()}" }
  clock: { reference_time: "${RUN_TIME}" }
  devices: { exception: "drill: software keys" }
  identify: { confirm: true }
  key-ids-confirmed: { confirm: true }
  sign-root: { confirm: true, keys: { alice: ${keys}/alice.key, bob: ${keys}/bob.key, carol: null } }
  sign-targets: { confirm: true, keys: { dave: ${keys}/dave.key, erin: ${keys}/erin.key } }
  online-roles: { confirm: true }
  witness: { witness: wendy, confirm: true }
`
  );
  const r = await runAt(['--dir', ws, '--no-input', '--json', 'run', 'pep458-layout', '--answers', 'answers.yaml'], base);
  assert.equal(r.code, 0, r.stderr.slice(-4000));
  const report = JSON.parse(r.stdout) as { status: string; steps: { step: string; result: string }[] };
  assert.equal(report.status, 'finished');
  assert.deepEqual(report.steps.filter((s) => s.result === 'skipped').map((s) => s.step), ['delegate-bins'], 'succinct bins are skipped for backsigned');

  const root = (JSON.parse(await readFile(join(ws, 'metadata', '1.root.json'), 'utf8')) as { signed: { expires: string; roles: Record<string, { keyids: string[]; threshold: number }> } }).signed;
  assert.equal(root.expires, '2027-08-22T09:30:00Z', 'offline roles expire after a year');
  assert.deepEqual([root.roles['root']?.threshold, root.roles['root']?.keyids.length], [2, 3]);
  assert.deepEqual([root.roles['targets']?.threshold, root.roles['targets']?.keyids.length], [2, 2]);
  const online = root.roles['snapshot']?.keyids;
  assert.deepEqual(root.roles['timestamp']?.keyids, online);
  assert.equal(online?.length, 1);

  const bytes = await readFile(join(ws, 'metadata', 'targets.json'));
  const targets = (JSON.parse(bytes.toString('utf8')) as { signed: { expires: string; delegations: { roles: Role[]; succinct_roles?: unknown } } }).signed;
  assert.equal(targets.expires, '2027-08-22T09:30:00Z');
  const roles = targets.delegations.roles;
  assert.equal(targets.delegations.succinct_roles, undefined);
  assert.equal(roles.length, 1 + 16_384);
  const [backsigned, first] = roles;
  assert.equal(backsigned?.name, 'backsigned');
  assert.equal(backsigned.terminating, false, 'the search goes on to the bins');
  assert.deepEqual(backsigned.path_hash_prefixes, [...'0123456789abcdef']);
  assert.notDeepEqual(backsigned.keyids, online, 'backsigned has a key of its own');
  assert.deepEqual(first, { keyids: online, name: 'bins-0000', path_hash_prefixes: ['0000', '0001', '0002', '0003'], terminating: true, threshold: 1 });
  assert.equal(roles.at(-1)?.name, 'bins-3fff');
  assert.ok(roles.slice(1).every((x) => x.keyids.length === 1 && x.keyids[0] === online?.[0]), 'every bin is signed by the online key');

  // A target's search order: backsigned first, then the one bin whose prefixes match its path's SHA-256 (TAP 15's bin).
  const path = 'packages/sampleproject-1.0.tar.gz';
  const hex = createHash('sha256').update(path).digest('hex');
  const matching = roles.filter((x) => x.path_hash_prefixes?.some((p) => hex.startsWith(p)));
  assert.deepEqual(matching.map((x) => x.name), ['backsigned', binForPath({ bit_length: 14, name_prefix: 'bins' }, path)]);

  const v = await runAt(['verify', join(ws, 'metadata'), '--at', RUN_TIME], base);
  assert.equal(v.code, 0, v.stdout + v.stderr);
  assert.match(v.stdout, /warning: targets\.json: 16385 of 16385 delegated roles are not present \(backsigned, bins-0000, bins-0001 … bins-3fff\), so not verified/);
});
