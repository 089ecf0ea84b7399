// SPDX-License-Identifier: Apache-2.0
/**
 * The second, independent verifier: `@noble/ed25519` (strict RFC 8032,
 * `zip215: false`) and `@noble/curves` for ECDSA P-256 / P-384, pure
 * JavaScript with no code in common with OpenSSL. Signatures that the
 * ceremony keeps (`collect`) and counts (`publish`, `verify --paranoid`) are
 * checked by both; a disagreement is a hard stop naming both results, so a
 * bug in either library cannot silently put a signature into a root.
 * RSA has no second implementation here and stays on OpenSSL alone. Pure.
 */
import * as ed from '@noble/ed25519';
import { p256, p384 } from '@noble/curves/nist.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { VerificationError } from '../errors.js';
import { verifySignature, type DecodedKey } from './keys.js';
import type { SignatureCheck } from './verify.js';

// @noble/ed25519 v3 takes its SHA-512 from the caller: @noble/hashes, not OpenSSL.
ed.hashes.sha512 = sha512;

const HEX = /^(?:[0-9a-fA-F]{2})+$/;

function rawPublicKey(key: DecodedKey & { $case: 'supported' }): Uint8Array {
  const jwk = key.publicKey.export({ format: 'jwk' });
  if (key.algorithm === 'ed25519') return Buffer.from(jwk.x ?? '', 'base64url');
  return Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x ?? '', 'base64url'), Buffer.from(jwk.y ?? '', 'base64url')]);
}

/**
 * Verifies with @noble. `null` when the key type has no second verifier
 * (RSA). Never throws.
 */
export function nobleVerify(key: DecodedKey, sigHex: string, data: Uint8Array): boolean | null {
  if (key.$case !== 'supported') return false;
  if (!key.algorithm.startsWith('ed25519') && !key.algorithm.startsWith('ecdsa')) return null;
  if (!HEX.test(sigHex)) return false;
  const sig = Buffer.from(sigHex, 'hex');
  try {
    const pub = rawPublicKey(key);
    switch (key.algorithm) {
      case 'ed25519':
        // RFC 8032 §5.1.7 strictly: canonical A and R, S < L, no small-order A.
        return sig.length === 64 && ed.verify(sig, data, pub, { zip215: false });
      case 'ecdsa-p256':
        // DER over SHA-256; high S accepted, as OpenSSL (and so python-tuf and tuf-js) accept it.
        return p256.verify(sig, data, pub, { format: 'der', lowS: false, prehash: true });
      case 'ecdsa-p384':
        return p384.verify(sig, data, pub, { format: 'der', lowS: false, prehash: true });
      default:
        return null;
    }
  } catch {
    return false;
  }
}

/** What both verifiers said about one signature. */
export interface DualResult {
  readonly openssl: boolean;
  /** `null`: no second verifier for this key type (RSA). */
  readonly noble: boolean | null;
}

/** Runs both verifiers. Never throws. */
export function verifyBoth(key: DecodedKey, sigHex: string, data: Uint8Array): DualResult {
  return { openssl: verifySignature(key, sigHex, data), noble: nobleVerify(key, sigHex, data) };
}

/**
 * Verifies with OpenSSL and @noble and returns the common verdict.
 * @throws VerificationError (exit 1) when they disagree, naming both results
 *   and `what` (e.g. the key ID and file)
 */
export function verifyAgreed(key: DecodedKey, sigHex: string, data: Uint8Array, what: string): boolean {
  const r = verifyBoth(key, sigHex, data);
  if (r.noble !== null && r.noble !== r.openssl) {
    throw new VerificationError(
      `the two signature verifiers disagree about ${what}: OpenSSL (node:crypto) says ${r.openssl ? 'valid' : 'invalid'}, @noble says ${r.noble ? 'valid' : 'invalid'}; nothing is counted or published`,
      { hint: 'a signature one verifier accepts and another rejects would split TUF clients; report this with the files involved' }
    );
  }
  return r.openssl;
}

/**
 * Checks every signature about to be published with both verifiers: each
 * must be valid for OpenSSL and @noble alike.
 * @throws VerificationError naming the key, the file and both results when
 *   they disagree or a signature is not valid
 */
export function assertPublishable(
  signatures: readonly { readonly keyid: string; readonly sig: string }[],
  keyFor: (keyid: string) => DecodedKey | undefined,
  data: Uint8Array,
  file: string
): void {
  for (const s of signatures) {
    const key = keyFor(s.keyid);
    const what = `the signature of key ${s.keyid} in ${file}`;
    if (key === undefined || !verifyAgreed(key, s.sig, data, what)) {
      throw new VerificationError(`${what} is not valid; nothing was published`, { file });
    }
  }
}

/**
 * {@link verifyAgreed} as a signature check for the repository verifier
 * (`verify --paranoid`); the verify command loads this module only then.
 */
export const agreedCheck: SignatureCheck = (key, sig, data, keyid) => verifyAgreed(key, sig, data, `the signature of key ${keyid}`);
