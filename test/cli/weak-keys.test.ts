// SPDX-License-Identifier: Apache-2.0
/**
 * The reported attack, through the CLI: an Ed25519 public key of small
 * order (`01` followed by 31 zero bytes) with the "signature" `01` + 63 zero
 * bytes, which OpenSSL accepts over any message. It must be refused by
 * `key show`, `keyholder add`, a plan, `sign --pub`, and never counted by
 * `verify`.
 */
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { computeKeyId, decodeKey, type TufKey } from '../../src/metadata/keys.js';
import { ed25519Weakness } from '../../src/metadata/key-strength.js';
import { nobleVerify } from '../../src/metadata/second-verifier.js';
import { proofPayload } from '../../src/metadata/public-key-file.js';
import { CEREMONY_NOW, ceremonyFixture, type CeremonyFixture } from '../support/ceremony.js';
import { runCli } from '../support/cli.js';
import { assertForgeryVerifiesLeniently, publicKeyFileWith, rootSignedBy } from '../support/weak-keys.js';

const WEAK_PUBLIC = '01' + '00'.repeat(31);
const FORGED_SIG = '01' + '00'.repeat(63);
const WEAK_KEY: TufKey = { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: WEAK_PUBLIC } };
const WEAK_ID = computeKeyId(WEAK_KEY);
const CREATED = '2030-01-01T00:00:00Z';

const weakPubFile = (name: string): string => publicKeyFileWith(name, WEAK_KEY, FORGED_SIG);

describe('the small-order Ed25519 key attack (issue 13)', () => {
  let base: string;
  let fx: CeremonyFixture;
  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'weak-keys-'));
    fx = await ceremonyFixture(join(base, 'fx'), ['alice', 'bob', 'carol']);
    await writeFile(join(base, 'mallory.pub.json'), weakPubFile('mallory'));
  });
  after(() => rm(base, { recursive: true, force: true }));

  it('the forged proof really verifies in a lenient verifier (ZIP-215; OpenSSL 3.0), and is refused by @noble in strict mode', () => {
    // The attack works against a lenient verifier, over any message: this is what must be stopped before it.
    assertForgeryVerifiesLeniently(WEAK_PUBLIC, FORGED_SIG);
    // The key decoder refuses it, so neither verifier is even asked; @noble in strict mode says no by itself too.
    assert.match(ed25519Weakness(Buffer.from(WEAK_PUBLIC, 'hex')) ?? '', /small order/);
    assert.equal(decodeKey(WEAK_KEY).$case, 'unsupported');
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(WEAK_PUBLIC, 'hex').toString('base64url') }, format: 'jwk' });
    const payload = proofPayload('mallory', WEAK_KEY, CREATED);
    const asIfAccepted = { $case: 'supported', algorithm: 'ed25519', publicKey: key, fingerprint: '', legacy: [] } as const;
    assert.equal(nobleVerify(asIfAccepted, FORGED_SIG, payload), false);
  });

  it('key show: exit 2 naming the weakness, never "proof of possession: valid"', async () => {
    const r = await runCli(['key', 'show', 'mallory.pub.json'], { cwd: base });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /mallory\.pub\.json/);
    assert.match(r.stderr, /small order/);
    assert.doesNotMatch(r.stdout, /valid/);
  });

  it('keyholder add: exit 2, nothing registered', async () => {
    const r = await fx.run(fx.ws, ['keyholder', 'add', join(base, 'mallory.pub.json')]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /small order/);
    assert.deepEqual((await readdir(join(fx.ws, 'keyholders'))).filter((f) => f.includes('mallory')), []);
  });

  it('a plan naming the key file: exit 2, no draft', async () => {
    await writeFile(join(fx.ws, 'plan-weak.yaml'), [
      'expires: +365d',
      'roles:',
      '  root: { threshold: 1, keys: [../../mallory.pub.json] }',
      '  targets: { threshold: 2, keyholders: [alice, bob, carol] }',
      '  snapshot: { threshold: 1, keys: [../online.pub.json] }',
      '  timestamp: { threshold: 1, keys: [../online.pub.json] }',
      '',
    ].join('\n'));
    const r = await fx.run(fx.ws, ['root', 'draft', '--plan', 'plan-weak.yaml']);
    assert.equal(r.code, 2, r.stderr + r.stdout);
    assert.match(r.stderr, /small order/);
    assert.equal(existsSync(join(fx.ws, 'drafts', 'root.json')), false);
  });

  it('a key file registered before the fix: the workspace refuses it (exit 2) rather than counting it', async () => {
    const ws2 = join(base, 'ws2');
    await fx.ok(base, ['init', 'ws2', '--name', 'old']);
    await writeFile(join(ws2, 'keyholders', 'mallory.pub.json'), weakPubFile('mallory'));
    const r = await fx.run(ws2, ['status']);
    assert.equal(r.code, 2, r.stderr + r.stdout);
    assert.match(r.stderr, /mallory\.pub\.json.*small order|small order.*mallory/s);
  });

  it('sign --pub with the weak key file: exit 2 before any secret is asked', async () => {
    await fx.ok(fx.ws, ['root', 'draft', '--plan', 'plan-v1.yaml']);
    const req = await fx.request('root');
    const r = await runCli(['--no-input', 'sign', req, '--key', 'nothing.key', '--pub', join(base, 'mallory.pub.json'), '--yes'], { cwd: base, now: CEREMONY_NOW });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /small order/);
  });

  it('verify: a root whose only root key is the weak key, "signed" with the forged signature, does not verify (exit 1, the key named)', async () => {
    const dir = join(base, 'repo');
    await mkdir(dir);
    await writeFile(join(dir, '1.root.json'), rootSignedBy(WEAK_KEY, FORGED_SIG));
    const r = await runCli(['verify', dir, '--at', '2030-06-01T00:00:00Z'], { cwd: base });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const all = r.stdout + r.stderr;
    assert.match(all, new RegExp(WEAK_ID.slice(0, 8)));
    assert.match(all, /small order/);
  });
});

describe('verify --paranoid and publish: OpenSSL and @noble both judge', () => {
  let base: string;
  let fx: CeremonyFixture;
  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'paranoid-'));
    // The fixture publishes root v1: publish has already run both verifiers over alice's and bob's signatures.
    fx = await ceremonyFixture(join(base, 'fx'), ['alice', 'bob', 'carol']);
  });
  after(() => rm(base, { recursive: true, force: true }));

  it('a published repository verifies with both verifiers, and says so', async () => {
    const r = await runCli(['verify', join(fx.ws, 'metadata'), '--paranoid', '--at', '2030-06-01T00:00:00Z'], { cwd: base });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /paranoid: every signature was judged by OpenSSL \(node:crypto\) and by @noble, and they agreed/);
    const j = await runCli(['--json', 'verify', join(fx.ws, 'metadata'), '--paranoid', '--at', '2030-06-01T00:00:00Z'], { cwd: base });
    assert.equal((JSON.parse(j.stdout) as { paranoid: boolean; ok: boolean }).paranoid, true);
  });

  it('a signature altered in one bit fails under --paranoid as without it (both say invalid: exit 1, no disagreement)', async () => {
    const dir = join(base, 'tampered');
    await mkdir(dir);
    const md = JSON.parse(await readFile(join(fx.ws, 'metadata', '1.root.json'), 'utf8')) as { signatures: { sig: string }[] };
    for (const s of md.signatures) s.sig = (s.sig.startsWith('0') ? '1' : '0') + s.sig.slice(1);
    await writeFile(join(dir, '1.root.json'), JSON.stringify(md));
    const r = await runCli(['verify', dir, '--paranoid', '--at', '2030-06-01T00:00:00Z'], { cwd: base });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.doesNotMatch(r.stderr, /disagree/);
  });
});

describe('status shows which root keys are hardware-attested', () => {
  it('file keys are "not attested", by name, in text and JSON', async () => {
    const base = await mkdtemp(join(tmpdir(), 'status-hw-'));
    try {
      const fx = await ceremonyFixture(join(base, 'fx'), ['alice', 'bob', 'carol']);
      const r = await fx.ok(fx.ws, ['status']);
      assert.match(r.stdout, /root keys \(hardware attestation\):\n {2}alice \([0-9a-f]{8}\): not attested\n {2}bob \([0-9a-f]{8}\): not attested\n {2}carol \([0-9a-f]{8}\): not attested/);
      const j = JSON.parse((await fx.ok(fx.ws, ['--json', 'status'])).stdout) as { rootKeys: { name: string; hardwareAttested: boolean }[] };
      assert.deepEqual(j.rootKeys.map((k) => [k.name, k.hardwareAttested]), [['alice', false], ['bob', false], ['carol', false]]);
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });
});
