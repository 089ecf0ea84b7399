// SPDX-License-Identifier: Apache-2.0
/**
 * Reading a token key's public key without a PIN (real SoftHSM2): from the
 * public key object, else from a certificate with the same CKA_ID (how
 * YubiKey PIV exposes slot keys), through the signer module.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyAttestation } from '../../src/crypto/attestation.js';
import { generateTokenSigner, openSigner, readPublicKey, type SignerContext } from '../../src/crypto/open-signer.js';
import { EnvironmentError } from '../../src/errors.js';
import { computeKeyId } from '../../src/metadata/keys.js';
import { parsePublicKeyFile } from '../../src/metadata/public-key-file.js';
import { makeTestAttestation } from '../support/attestation-ca.js';
import { runCli } from '../support/cli.js';
import { commandWorks, expectError, hsmTest, makeToken, MODULE, PIN, realTest, UNAVAILABLE } from '../support/pkcs11.js';

function context(asked: string[]): SignerContext {
  return {
    env: {},
    readKeyFile: () => {
      throw new Error('no key file here');
    },
    secretsFor: () => (kind, what) => (asked.push(`${kind}: ${what}`), Promise.resolve(PIN)),
    warn: () => undefined,
  };
}

hsmTest('the public key is read from the public key object without a PIN; a missing token is an EnvironmentError', async (t) => {
  makeToken(t, 'pub-read');
  const asked: string[] = [];
  const uri = `pkcs11:token=pub-read;id=%07?module-path=${MODULE}`;
  const gen = await generateTokenSigner(uri, 'ecdsa-p256', 'k7', context(asked));
  const expected = gen.publicKey;
  await gen.close();
  asked.length = 0;
  const read = await readPublicKey(uri, context(asked));
  assert.deepEqual(read, expected);
  assert.deepEqual(asked, [], 'no PIN for a public key');
  // Opening it to sign is what asks for the PIN.
  const signer = await openSigner(uri, context(asked));
  assert.equal(signer.keyid, computeKeyId(expected));
  await signer.close();
  assert.equal(asked.length, 1);
  const absent = await expectError(readPublicKey(`pkcs11:token=elsewhere;id=%07?module-path=${MODULE}`, context(asked)), EnvironmentError);
  assert.match(absent.message, /no token with label "elsewhere" is present; tokens present in .*"pub-read"/);
  const noKey = await expectError(readPublicKey(`pkcs11:token=pub-read;id=%09?module-path=${MODULE}`, context(asked)), EnvironmentError);
  assert.match(noKey.message, /no public key object or certificate matching/);
  // A key file reference has no public key to read here: its NAME.pub.json holds it.
  assert.equal(await readPublicKey('alice.key', context(asked)), undefined);
});

const PKCS11_TOOL = commandWorks('sh', ['-c', 'command -v pkcs11-tool']) ? '' : 'pkcs11-tool is missing (apt-get install opensc)';
const OPENSSL = commandWorks('openssl', ['version']) ? '' : 'openssl is missing';

realTest('with only a certificate on the token (as YubiKey PIV slots), its public key is what is read', [UNAVAILABLE ?? '', PKCS11_TOOL, OPENSSL], async (t) => {
  makeToken(t, 'cert-only');
  const dir = mkdtempSync(join(tmpdir(), 'tuf-ceremony-cert-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const asked: string[] = [];
  const uri = `pkcs11:token=cert-only;id=%07?module-path=${MODULE}`;
  const gen = await generateTokenSigner(uri, 'ecdsa-p256', 'k7', context(asked));
  const expected = gen.publicKey;
  await gen.close();
  const tool = (...args: string[]): void => {
    execFileSync('pkcs11-tool', ['--module', MODULE, '--token-label', 'cert-only', '--login', '--pin', PIN, ...args], { stdio: 'ignore' });
  };
  // Replace the public key object by a certificate for the same key (another CA key signs it, as an attestation would).
  tool('--delete-object', '--type', 'pubkey', '--id', '07');
  await expectError(readPublicKey(uri, context(asked)), EnvironmentError);
  writeFileSync(join(dir, 'k7.pem'), expected.keyval.public);
  execFileSync('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', join(dir, 'ca.key')]);
  execFileSync('openssl', ['x509', '-new', '-subj', '/CN=k7', '-force_pubkey', join(dir, 'k7.pem'), '-key', join(dir, 'ca.key'), '-days', '1', '-outform', 'DER', '-out', join(dir, 'k7.der')]);
  tool('--write-object', join(dir, 'k7.der'), '--type', 'cert', '--id', '07', '--label', 'k7');
  asked.length = 0;
  assert.deepEqual(await readPublicKey(uri, context(asked)), expected);
  assert.deepEqual(asked, []);
});

realTest('key export keeps the attestation chain a token exposes under ykcs11\'s labels', [UNAVAILABLE ?? '', PKCS11_TOOL, OPENSSL], async (t) => {
  makeToken(t, 'attest-tok');
  const dir = mkdtempSync(join(tmpdir(), 'tuf-ceremony-attest-tok-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const uri = `pkcs11:token=attest-tok;id=%03?module-path=${MODULE}`;
  const gen = await generateTokenSigner(uri, 'ecdsa-p256', 'k3', context([]));
  const key = gen.publicKey;
  await gen.close();
  const ca = makeTestAttestation({ publicKeyPem: key.keyval.public, serial: 31337, firmware: [5, 4, 3], policy: [2, 2] });
  const der = (pem: string, name: string): string => {
    const path = join(dir, name);
    writeFileSync(path, new X509Certificate(pem).raw);
    return path;
  };
  const tool = (...args: string[]): void => {
    execFileSync('pkcs11-tool', ['--module', MODULE, '--token-label', 'attest-tok', '--login', '--pin', PIN, ...args], { stdio: 'ignore' });
  };
  tool('--write-object', der(ca.chain[0], 'slot.der'), '--type', 'cert', '--id', '13', '--label', 'X.509 Certificate for PIV Attestation 9c');
  tool('--write-object', der(ca.chain[1], 'f9.der'), '--type', 'cert', '--id', '19', '--label', 'X.509 Certificate for PIV Attestation');
  const r = await runCli(['key', 'export', '--name', 'carol', '--pkcs11', uri, '--out-dir', dir], { cwd: dir, env: { TUF_CEREMONY_PIN: PIN }, now: Date.UTC(2030, 0, 1) });
  assert.equal(r.code, 0, r.stderr);
  // Our test CA is not Yubico: the chain is kept, and said not to reach Yubico's roots.
  assert.match(r.stdout, /hardware: attestation INVALID: the chain does not reach a Yubico root/);
  const pub = parsePublicKeyFile(readFileSync(join(dir, 'carol.pub.json')), 'carol.pub.json');
  assert.deepEqual(pub.attestation?.certificates.map((c) => new X509Certificate(c).fingerprint256), ca.chain.map((c) => new X509Certificate(c).fingerprint256));
  const v = verifyAttestation(pub.attestation?.certificates ?? [], pub.key, [{ name: 'Test Attestation Root', pem: ca.rootPem }]);
  assert.equal(v.$case === 'attested' && v.serial, 31337);
});
