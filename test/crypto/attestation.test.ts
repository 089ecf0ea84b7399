// SPDX-License-Identifier: Apache-2.0
/**
 * YubiKey PIV attestation: real certificates from Docker's 2024 root key
 * ceremony (test/fixtures/yubikey-attestation/PROVENANCE), whose keys are
 * root keys of Docker's TUF root, verified up to the bundled Yubico root;
 * and a test CA made with openssl, carrying Yubico's extensions, for the
 * extension parsing and every way a chain can be wrong. Through the CLI,
 * `key show` and `keyholder add` report and check it.
 */
import assert from 'node:assert/strict';
import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { attestationText, verifyAttestation } from '../../src/crypto/attestation.js';
import { makePublicKeyFile } from '../../src/crypto/proof.js';
import { keySigner } from '../../src/crypto/software.js';
import { YUBICO_INTERMEDIATES, YUBICO_ROOTS } from '../../src/crypto/yubico-roots.js';
import type { TufKey } from '../../src/metadata/keys.js';
import { stringifySorted } from '../../src/metadata/serialize.js';
import { makeTestAttestation } from '../support/attestation-ca.js';
import { runCli } from '../support/cli.js';
import { testKey } from '../support/keys.js';
import { commandWorks, realTest } from '../support/pkcs11.js';

const FIX = new URL('../../../test/fixtures/yubikey-attestation/', import.meta.url).pathname;
const chainOf = (serial: string): string[] => ['Slot9CAttestation.pem', 'SlotF9Intermediate.pem'].map((f) => readFileSync(join(FIX, serial, f), 'utf8'));
const dockerRoot = JSON.parse(readFileSync(join(FIX, 'docker-tuf-1.root.json'), 'utf8')) as { signed: { keys: Record<string, TufKey> } };
const DOCKER_KEYS = {
  '25515003': 'cda750ab29ce33e19ad2fdee4204ad0190b0a33f79e1c5c18a38992d576143d7',
  '28751259': '2ff207ae7d7b595ef69589622067ef5b6668e1a43081377d942ed8749fa919b4',
} as const;
const keyOf = (serial: keyof typeof DOCKER_KEYS): TufKey => dockerRoot.signed.keys[DOCKER_KEYS[serial]] as TufKey;
const OPENSSL = commandWorks('openssl', ['version']) ? '' : 'the openssl command is missing';

describe('YubiKey attestation with real certificates (Docker\'s root key ceremony)', () => {
  it('the bundled roots are Yubico\'s, by SHA-256 fingerprint', () => {
    const fp = YUBICO_ROOTS.map((r) => [r.name, createHash('sha256').update(new X509Certificate(r.pem).raw).digest('hex')]);
    assert.deepEqual(fp, [
      ['Yubico PIV Root CA Serial 263751', '63ece914e54dd87915f34033c85af4c0696ba1512f8add66ced738331207b546'],
      ['Yubico Attestation Root 1', '62760c6a6ef91679f454c8902b80fd009825b3f25da90f1fbace2ec6586cd5a8'],
    ]);
  });

  it('the bundled intermediates are Yubico\'s, by SHA-256 fingerprint, and each is signed up to Yubico Attestation Root 1', () => {
    const fp = YUBICO_INTERMEDIATES.map((r) => [r.name, createHash('sha256').update(new X509Certificate(r.pem).raw).digest('hex')]);
    assert.deepEqual(fp, [
      ['Yubico Attestation Intermediate A 1', '4698a1d3389c3ec60016c216250f1d0439922832d65142327436376dc2942b55'],
      ['Yubico Attestation Intermediate B 1', 'd4cc3f456fdaf4e7812a21aab1dfe9d8e27d24e2fd2d6f21c9940109f0daa754'],
      ['Yubico PIV Attestation A 1', '6de693f05376f5d8ca29069261e1c8626c75d503bd2edbfd75354cad1f722870'],
      ['Yubico PIV Attestation B 1', '2d55b7998f4e42569d6d8fa382b6dc77d1dacf07358b19701163892922b17052'],
      ['Yubico PIV Attestation B2 1', '0c90b7d184a36edf50a35f9be935f0c5689bfdcfe5bdd073366cafb49061a440'],
    ]);
    const [intA, intB, pivA, pivB, pivB2] = YUBICO_INTERMEDIATES.map((r) => new X509Certificate(r.pem)) as [X509Certificate, X509Certificate, X509Certificate, X509Certificate, X509Certificate];
    const root = new X509Certificate((YUBICO_ROOTS[1] as (typeof YUBICO_ROOTS)[number]).pem);
    const signs = (child: X509Certificate, parent: X509Certificate): boolean => child.checkIssued(parent) && child.verify(parent.publicKey);
    for (const [child, parent] of [[intA, root], [intB, root], [pivA, intA], [pivB, intB], [pivB2, intB]] as const) {
      assert.ok(signs(child, parent), `${child.subject} is signed by ${parent.subject}`);
      assert.ok(child.ca, `${child.subject} is a CA`);
    }
    // The pairs do not cross: B 1 is not signed by Intermediate A 1, and nothing but the new root signs the intermediates.
    assert.equal(signs(pivB, intA), false);
    assert.equal(signs(pivB2, intA), false);
    assert.equal(signs(pivB2, root), false);
    assert.equal(signs(intA, new X509Certificate((YUBICO_ROOTS[0] as (typeof YUBICO_ROOTS)[number]).pem)), false);
    for (const [i, c] of [intA, intB, pivA, pivB, pivB2].entries()) assert.equal(c.subject, `CN=${(YUBICO_INTERMEDIATES[i] as (typeof YUBICO_INTERMEDIATES)[number]).name}`);
  });

  for (const serial of ['25515003', '28751259'] as const) {
    it(`serial ${serial}: the root key of Docker's TUF root was generated on that YubiKey`, () => {
      const r = verifyAttestation(chainOf(serial), keyOf(serial));
      assert.equal(r.$case, 'attested', JSON.stringify(r));
      if (r.$case !== 'attested') return;
      assert.equal(r.serial, Number(serial));
      assert.equal(r.root, 'Yubico PIV Root CA Serial 263751');
      assert.equal(r.slot, '9c');
      assert.match(r.firmware, /^5\.\d+\.\d+$/);
      assert.match(attestationText(r), new RegExp(`^generated on a YubiKey, serial ${serial}, firmware 5\\.\\d+\\.\\d+, slot 9c, PIN/touch policy \\w+/\\w+`));
    });
  }

  it('serial 32718477 (firmware 5.7.4, ovh/yubico-piv-checker): slot 9a + f9 reach Yubico Attestation Root 1 only through the bundled B intermediates', () => {
    const dir = join(FIX, '32718477');
    const chain = ['Slot9AAttestation.pem', 'SlotF9.pem'].map((f) => readFileSync(join(dir, f), 'utf8'));
    // The attested key from its OpenSSH form (ssh-rsa: string, mpint e, mpint n), independent of the certificate.
    const wire = Buffer.from((readFileSync(join(dir, 'ssh-key.pub'), 'utf8').split(' ')[1] as string), 'base64');
    const fields: Buffer[] = [];
    for (let at = 0; at < wire.length; ) {
      const n = wire.readUInt32BE(at);
      fields.push(wire.subarray(at + 4, at + 4 + n));
      at += 4 + n;
    }
    const [type, e, n] = fields as [Buffer, Buffer, Buffer];
    assert.equal(type.toString(), 'ssh-rsa');
    const b64u = (b: Buffer): string => (b[0] === 0 ? b.subarray(1) : b).toString('base64url');
    const pem = createPublicKey({ key: { kty: 'RSA', n: b64u(n), e: b64u(e) }, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string;
    const key: TufKey = { keytype: 'rsa', scheme: 'rsassa-pss-sha256', keyval: { public: pem } };
    assert.deepEqual(verifyAttestation(chain, key), {
      $case: 'attested', serial: 32718477, firmware: '5.7.4', pinPolicy: 'always', touchPolicy: 'never', slot: '9a', root: 'Yubico Attestation Root 1',
    });
    assert.match((verifyAttestation(chain, key, YUBICO_ROOTS, []) as { reason: string }).reason, /does not reach a Yubico root/);
    const aPair = YUBICO_INTERMEDIATES.filter((r) => r.name.endsWith('A 1'));
    const bPair = YUBICO_INTERMEDIATES.filter((r) => r.name.endsWith('B 1'));
    assert.match((verifyAttestation(chain, key, YUBICO_ROOTS, aPair) as { reason: string }).reason, /does not reach a Yubico root/);
    assert.equal(verifyAttestation(chain, key, YUBICO_ROOTS, bPair).$case, 'attested');
    // PIV B 1 without Intermediate B 1 stops one short of the root.
    assert.equal(verifyAttestation(chain, key, YUBICO_ROOTS, bPair.filter((r) => r.name.startsWith('Yubico PIV'))).$case, 'invalid');
    // The chain given in full (as some tools export it) verifies without the bundle.
    assert.equal(verifyAttestation([...chain, ...[...bPair].reverse().map((r) => r.pem)], key, YUBICO_ROOTS, []).$case, 'attested');
  });

  it('another key than the attested one: invalid', () => {
    const r = verifyAttestation(chainOf('25515003'), keyOf('28751259'));
    assert.deepEqual(r, { $case: 'invalid', reason: 'the attestation certificate is for another public key than this key file’s' });
  });

  it('a slot certificate with another device\'s f9 certificate: invalid (not signed by it)', () => {
    const [slot] = chainOf('25515003');
    const [, otherDevice] = chainOf('28751259');
    const r = verifyAttestation([slot as string, otherDevice as string], keyOf('25515003'));
    assert.equal(r.$case, 'invalid');
    assert.match((r as { reason: string }).reason, /certificate 1 of the chain is not signed by certificate 2/);
  });

  it('the slot certificate alone, or a chain checked against other roots: invalid', () => {
    assert.equal(verifyAttestation(chainOf('25515003').slice(0, 1), keyOf('25515003')).$case, 'invalid');
    const r = verifyAttestation(chainOf('25515003'), keyOf('25515003'), [YUBICO_ROOTS[1] as (typeof YUBICO_ROOTS)[number]]);
    assert.match((r as { reason: string }).reason, /does not reach a Yubico root/);
  });

  it('a certificate with one byte changed: invalid', () => {
    const [slot, device] = chainOf('25515003');
    const der = Buffer.from(new X509Certificate(slot as string).raw);
    der[der.length - 10] = (der[der.length - 10] as number) ^ 1; // inside the signature
    const pem = `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`;
    assert.equal(verifyAttestation([pem, device as string], keyOf('25515003')).$case, 'invalid');
  });
});

describe('YubiKey attestation with a test CA (openssl)', () => {
  const alice = testKey('attest/alice', 'ecdsa-p256');

  realTest('the Yubico extensions are read: serial, firmware, PIN and touch policy', [OPENSSL], () => {
    const t = makeTestAttestation({ publicKeyPem: alice.tuf.keyval.public, serial: 0x01234567, firmware: [5, 7, 4], policy: [3, 2], slot: '9a' });
    const r = verifyAttestation(t.chain, alice.tuf, [{ name: 'Test Attestation Root', pem: t.rootPem }]);
    assert.deepEqual(r, { $case: 'attested', serial: 0x01234567, firmware: '5.7.4', pinPolicy: 'always', touchPolicy: 'always', slot: '9a', root: 'Test Attestation Root' });
    // The same chain against Yubico's roots: not attested.
    assert.match((verifyAttestation(t.chain, alice.tuf) as { reason: string }).reason, /does not reach a Yubico root/);
    const cached = makeTestAttestation({ publicKeyPem: alice.tuf.keyval.public, serial: 12, firmware: [5, 4, 3], policy: [2, 3] });
    const c = verifyAttestation(cached.chain, alice.tuf, [{ name: 'T', pem: cached.rootPem }]);
    assert.equal(c.$case === 'attested' && `${c.pinPolicy}/${c.touchPolicy}/${String(c.serial)}`, 'once/cached/12');
    return Promise.resolve();
  });

  realTest('a 5.7.4+-shaped chain (root → intermediate → f9 → slot) given as slot + f9 is completed from the bundled intermediates; an impostor intermediate is not', [OPENSSL], () => {
    const t = makeTestAttestation({ publicKeyPem: alice.tuf.keyval.public, serial: 31000001, firmware: [5, 7, 4], policy: [3, 1], intermediate: true });
    const roots = [{ name: 'Test Attestation Root', pem: t.rootPem }];
    const good = { name: 'Test PIV Attestation B 1', pem: t.intermediatePem as string };
    const impostor = { name: 'Test PIV Attestation B 1', pem: t.impostorIntermediatePem as string };
    const expected = { $case: 'attested', serial: 31000001, firmware: '5.7.4', pinPolicy: 'always', touchPolicy: 'never', slot: '9c', root: 'Test Attestation Root' };
    // Without the intermediate the chain stops at f9.
    assert.match((verifyAttestation(t.chain, alice.tuf, roots, []) as { reason: string }).reason, /does not reach a Yubico root/);
    // The bundled intermediate completes it, also when an impostor of the same name is bundled first.
    assert.deepEqual(verifyAttestation(t.chain, alice.tuf, roots, [good]), expected);
    assert.deepEqual(verifyAttestation(t.chain, alice.tuf, roots, [impostor, good]), expected);
    // The impostor alone (same name, same root, another key): not signed by it.
    assert.match((verifyAttestation(t.chain, alice.tuf, roots, [impostor]) as { reason: string }).reason, /does not reach a Yubico root/);
    // The intermediate given in the chain works without a bundle; an impostor given in the chain is caught.
    assert.deepEqual(verifyAttestation([...t.chain, good.pem], alice.tuf, roots, []), expected);
    assert.match((verifyAttestation([...t.chain, impostor.pem], alice.tuf, roots, [good]) as { reason: string }).reason, /certificate 2 of the chain is not signed by certificate 3/);
    // Yubico's real intermediates (the default) do not sign the test device certificate.
    assert.match((verifyAttestation(t.chain, alice.tuf, roots) as { reason: string }).reason, /does not reach a Yubico root/);
    return Promise.resolve();
  });

  realTest('Yubico\'s B2 shape (root → Intermediate B 1 → PIV B2 1 → f9 → slot, PIV B 1 beside it): completed from the bundle, never through the sibling', [OPENSSL], () => {
    const t = makeTestAttestation({ publicKeyPem: alice.tuf.keyval.public, serial: 32000002, firmware: [5, 8, 0], policy: [2, 1], branch: true });
    const b = t.branch;
    assert.ok(b !== undefined);
    const roots = [{ name: 'Test Attestation Root', pem: t.rootPem }];
    const upper = { name: 'Test Attestation Intermediate B 1', pem: b.upper };
    const sibling = { name: 'Test PIV Attestation B 1', pem: b.sibling };
    const issuer = { name: 'Test PIV Attestation B2 1', pem: b.issuer };
    const expected = { $case: 'attested', serial: 32000002, firmware: '5.8.0', pinPolicy: 'once', touchPolicy: 'never', slot: '9c', root: 'Test Attestation Root' };
    const reason = (r: ReturnType<typeof verifyAttestation>): string => (r.$case === 'invalid' ? r.reason : `attested: ${JSON.stringify(r)}`);
    // As YUBICO_INTERMEDIATES is ordered: the sibling first, then the issuer.
    assert.deepEqual(verifyAttestation(t.chain, alice.tuf, roots, [upper, sibling, issuer]), expected);
    // Without the B2-equivalent the sibling (same parent, same root) does not stand in: it did not sign f9.
    assert.equal(
      reason(verifyAttestation(t.chain, alice.tuf, roots, [upper, sibling])),
      'the chain does not reach a Yubico root: it stops at "Yubico PIV Attestation", issued by "Test PIV Attestation B2 1", which is neither in the chain nor bundled (bundled roots: Test Attestation Root)'
    );
    // Without the upper intermediate: stops one level higher, naming that issuer.
    assert.match(reason(verifyAttestation(t.chain, alice.tuf, roots, [sibling, issuer])), /stops at "Test PIV Attestation B2 1", issued by "Test Attestation Intermediate B 1", which is neither in the chain nor bundled/);
    // A chain CARRYING an issuer unknown to the bundle is verified only up to a bundled root: with the upper one bundled it verifies…
    assert.deepEqual(verifyAttestation([...t.chain, b.issuer], alice.tuf, roots, [upper]), expected);
    assert.deepEqual(verifyAttestation([...t.chain, b.issuer, b.upper], alice.tuf, roots, []), expected);
    // …and without a root that signs its top, it does not, whatever it carries.
    assert.match(reason(verifyAttestation([...t.chain, b.issuer, b.upper], alice.tuf, [YUBICO_ROOTS[1] as (typeof YUBICO_ROOTS)[number]], [])), /stops at "Test Attestation Intermediate B 1", issued by "Test Attestation Root"/);
    // The sibling carried in place of the issuer: caught as not having signed f9.
    assert.match(reason(verifyAttestation([...t.chain, b.sibling], alice.tuf, roots, [upper, issuer])), /certificate 2 of the chain is not signed by certificate 3/);
    // Yubico's real B2 1 (bundled by default) does not sign a test device certificate.
    assert.match(reason(verifyAttestation(t.chain, alice.tuf, roots)), /stops at "Yubico PIV Attestation", issued by "Test PIV Attestation B2 1"/);
    return Promise.resolve();
  });

  realTest('key show and keyholder add: a real-looking chain that does not reach Yubico is exit 1; none is "not attested"', [OPENSSL], async () => {
    const dir = await mkdtemp(join(tmpdir(), 'attest-cli-'));
    try {
      const NOW = Date.UTC(2030, 0, 1);
      const pub = await makePublicKeyFile('alice', keySigner(alice.privateKey, { backend: 'file' }), NOW);
      await writeFile(join(dir, 'plain.pub.json'), stringifySorted(pub));
      const plain = await runCli(['key', 'show', 'plain.pub.json'], { cwd: dir });
      assert.equal(plain.code, 0, plain.stderr);
      assert.match(plain.stdout, /hardware: not attested/);
      const t = makeTestAttestation({ publicKeyPem: alice.tuf.keyval.public, serial: 99, firmware: [5, 4, 3], policy: [2, 1] });
      await writeFile(join(dir, 'alice.pub.json'), stringifySorted({ ...pub, attestation: { format: 'yubikey-piv', certificates: [...t.chain] } }));
      const shown = await runCli(['key', 'show', 'alice.pub.json'], { cwd: dir });
      assert.equal(shown.code, 1, shown.stderr);
      assert.match(shown.stdout, /hardware: attestation INVALID: the chain does not reach a Yubico root/);
      assert.match(shown.stderr, /alice\.pub\.json: the hardware attestation does not verify/);
      await runCli(['init', 'ws', '--name', 'attest'], { cwd: dir, now: NOW });
      const add = await runCli(['keyholder', 'add', '../alice.pub.json'], { cwd: join(dir, 'ws'), now: NOW });
      assert.equal(add.code, 1, add.stderr);
      assert.match(add.stderr, /hardware attestation does not verify/);
      const addPlain = await runCli(['keyholder', 'add', '../plain.pub.json'], { cwd: join(dir, 'ws'), now: NOW });
      assert.equal(addPlain.code, 0, addPlain.stderr);
      assert.match(addPlain.stdout, /registered alice: .*hardware: not attested/);
      // A malformed attestation field is bad input (exit 2), naming the field.
      await writeFile(join(dir, 'bad.pub.json'), stringifySorted({ ...pub, attestation: { format: 'yubikey-piv', certificates: ['not a certificate', 'x'] } }));
      const bad = await runCli(['key', 'show', 'bad.pub.json'], { cwd: dir });
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /attestation\.certificates\[0\]: must be one PEM certificate/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
