// SPDX-License-Identifier: Apache-2.0
/** Hostile key material for the weak-key tests: written by hand, since our writer refuses it. */
import assert from 'node:assert/strict';
import { createPublicKey, verify as osslVerify } from 'node:crypto';
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { computeKeyId, type TufKey } from '../../src/metadata/keys.js';

ed.hashes.sha512 = sha512;

/** A root v1 whose every role is `key` alone, "signed" with `sig`: plain JSON, not our writer. */
export function rootSignedBy(key: TufKey, sig: string): Uint8Array {
  const keyid = computeKeyId(key);
  const role = { keyids: [keyid], threshold: 1 };
  const signed = {
    _type: 'root',
    consistent_snapshot: true,
    expires: '2031-01-01T00:00:00Z',
    keys: { [keyid]: key },
    roles: { root: role, snapshot: role, targets: role, timestamp: role },
    spec_version: '1.0.31',
    version: 1,
  };
  return Buffer.from(JSON.stringify({ signatures: [{ keyid, sig }], signed }));
}

/** A public key file for `key` with `sig` as its proof of possession. */
export function publicKeyFileWith(name: string, key: TufKey, sig: string): string {
  return JSON.stringify({
    created: '2030-01-01T00:00:00Z',
    device: {},
    format: 'tuf-ceremony/public-key/v1',
    key,
    keyid: computeKeyId(key),
    name,
    proof_of_possession: { sig },
  });
}

/**
 * The premise of the small-order attack, checked against real verifiers: a
 * lenient Ed25519 verifier (ZIP-215 rules: @noble with `zip215: true`)
 * accepts `sig` by the small-order key `publicHex` over any message at all;
 * so does OpenSSL 3.0 (Node 20's, hence tuf-js on Node 20). OpenSSL 3.5
 * (Node 22 and 24) refuses it, so only there is its verdict not asserted.
 */
export function assertForgeryVerifiesLeniently(publicHex: string, sig: string): void {
  const pub = Buffer.from(publicHex, 'hex');
  const s = Buffer.from(sig, 'hex');
  for (const msg of ['anything', 'any message at all', '']) {
    assert.equal(ed.verify(s, Buffer.from(msg), pub, { zip215: true }), true, `ZIP-215 verifier, message ${JSON.stringify(msg)}`);
    assert.equal(ed.verify(s, Buffer.from(msg), pub, { zip215: false }), false, `strict RFC 8032 verifier, message ${JSON.stringify(msg)}`);
  }
  if (process.versions.openssl.startsWith('3.0.')) {
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: pub.toString('base64url') }, format: 'jwk' });
    assert.equal(osslVerify(null, Buffer.from('anything'), key, s), true, `OpenSSL ${process.versions.openssl} accepts the forgery`);
  }
}
