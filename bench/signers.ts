// SPDX-License-Identifier: Apache-2.0
/**
 * Signing benchmark: signatures per second for each backend (key file,
 * PKCS#11 on SoftHSM2) and key type (Ed25519, ECDSA P-256), as a ratio to
 * `node:crypto` signing the same bytes with the same key type in the same
 * run. Our signers do more than the peer: every signature is verified
 * against the public key before it is returned, ECDSA is normalised to low
 * S, and tokens are driven through PKCS#11. Then signatures verified per
 * second: OpenSSL (node:crypto) alone, @noble alone, and both in agreement
 * (what collect, publish and `verify --paranoid` do), as a ratio to OpenSSL
 * alone. Prints figures; asserts nothing.
 *
 *   node build/bench/signers.js [--seconds N]
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePkcs11Uri } from '../src/crypto/pkcs11-uri.js';
import type { Signer } from '../src/crypto/signer.js';
import { keySigner } from '../src/crypto/software.js';
import type { KeyType } from '../src/crypto/tuf-key.js';
import { canonicalBytes } from '../src/metadata/canonical.js';
import { decodeKey, verifySignature } from '../src/metadata/keys.js';
import { nobleVerify, verifyAgreed } from '../src/metadata/second-verifier.js';
import { tufKeyFor } from '../test/support/keys.js';
import { buildRepository } from '../test/support/repo.js';

const SOFTHSM = '/usr/lib/softhsm/libsofthsm2.so';
const PIN = '123456';
const secondsArg = process.argv.indexOf('--seconds');
const SECONDS = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 2;

/** Runs `fn` repeatedly for about SECONDS seconds (after a warm-up); returns operations per second. */
async function rate(fn: () => unknown): Promise<number> {
  for (let i = 0; i < 20; i++) await fn();
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(SECONDS * 1e9));
  let n = 0;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 10; i++) await fn();
    n += 10;
    now = process.hrtime.bigint();
  }
  return n / (Number(now - start) / 1e9);
}

function nodeSign(type: KeyType, key: KeyObject, data: Uint8Array): Buffer {
  return type === 'ed25519' ? sign(null, data, key) : sign('sha256', data, { key, dsaEncoding: 'der' });
}

function pair(type: KeyType): { privateKey: KeyObject } {
  return type === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

interface Row {
  backend: string;
  type: KeyType;
  perSecond: number;
  peerPerSecond: number;
}

async function main(): Promise<void> {
  // What is signed in a ceremony: the canonical bytes of a root.
  const root = buildRepository({ expires: '2030-01-01T00:00:00Z', rootVersions: 1, altKeyType: 'ecdsa-p256' }).roots[0];
  const data = canonicalBytes(root?.signed);
  const rows: Row[] = [];
  const types: KeyType[] = ['ed25519', 'ecdsa-p256'];

  for (const type of types) {
    const { privateKey } = pair(type);
    const peer = await rate(() => nodeSign(type, privateKey, data));
    const signer = keySigner(privateKey, { backend: 'file' });
    rows.push({ backend: 'key file', type, perSecond: await rate(() => signer.sign(data)), peerPerSecond: peer });
  }

  if (existsSync(SOFTHSM)) {
    const dir = mkdtempSync(join(tmpdir(), 'tuf-ceremony-bench-hsm-'));
    try {
      mkdirSync(join(dir, 'tokens'));
      const conf = join(dir, 'softhsm2.conf');
      writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
      process.env['SOFTHSM2_CONF'] = conf;
      execFileSync('softhsm2-util', ['--init-token', '--free', '--label', 'bench', '--so-pin', '12345678', '--pin', PIN], { stdio: 'ignore' });
      const { generatePkcs11Key } = await import('../src/crypto/pkcs11.js');
      for (const type of types) {
        const { privateKey } = pair(type);
        const peer = await rate(() => nodeSign(type, privateKey, data));
        const uri = parsePkcs11Uri(`pkcs11:token=bench;object=bench-${type}?module-path=${SOFTHSM}`);
        const signer: Signer = await generatePkcs11Key(uri, SOFTHSM, type, `bench-${type}`, () => Promise.resolve(PIN), () => undefined);
        rows.push({ backend: 'PKCS#11 (SoftHSM2)', type, perSecond: await rate(() => signer.sign(data)), peerPerSecond: peer });
        await signer.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } else {
    console.log(`PKCS#11: skipped, SoftHSM2 is not installed (${SOFTHSM})`);
  }

  console.log(`\nSigning ${String(data.length)} bytes (canonical root), ${SECONDS}s per measurement; node ${process.version}, ${cpus()[0]?.model ?? '?'}`);
  console.log('backend              key type    signatures/s   node:crypto/s   ratio (ours / node:crypto)');
  for (const r of rows) {
    console.log(
      `${r.backend.padEnd(20)} ${r.type.padEnd(11)} ${r.perSecond.toFixed(0).padStart(12)}   ${r.peerPerSecond.toFixed(0).padStart(13)}   ${(r.perSecond / r.peerPerSecond).toFixed(2)}x`
    );
  }
  await verifiers(data);
}

/** Signatures verified per second by each verifier, over the same canonical root. */
async function verifiers(data: Uint8Array): Promise<void> {
  const kinds = [
    { name: 'ed25519', pair: generateKeyPairSync('ed25519'), hash: null },
    { name: 'ecdsa-p256', pair: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }), hash: 'sha256' },
    { name: 'ecdsa-p384', pair: generateKeyPairSync('ec', { namedCurve: 'secp384r1' }), hash: 'sha384' },
  ] as const;
  console.log(`\nVerifying ${String(data.length)} bytes (canonical root), ${SECONDS}s per measurement`);
  console.log('key type     OpenSSL/s    @noble/s   both/s   ratio (both / OpenSSL)');
  for (const k of kinds) {
    const tuf = k.name === 'ed25519' ? tufKeyFor('ed25519', k.pair.publicKey) : tufKeyFor('ecdsa-p256', k.pair.publicKey);
    const key = decodeKey(k.name === 'ecdsa-p384' ? { ...tuf, scheme: 'ecdsa-sha2-nistp384' } : tuf);
    const sig = (k.hash === null ? sign(null, data, k.pair.privateKey) : sign(k.hash, data, { key: k.pair.privateKey, dsaEncoding: 'der' })).toString('hex');
    if (!verifyAgreed(key, sig, data, 'the benchmark signature')) throw new Error(`${k.name}: the benchmark signature does not verify`);
    const openssl = await rate(() => verifySignature(key, sig, data));
    const noble = await rate(() => nobleVerify(key, sig, data));
    const both = await rate(() => verifyAgreed(key, sig, data, 'the benchmark signature'));
    console.log(`${k.name.padEnd(12)} ${openssl.toFixed(0).padStart(9)}   ${noble.toFixed(0).padStart(9)}   ${both.toFixed(0).padStart(6)}   ${(both / openssl).toFixed(3)}x`);
  }
}

await main();
