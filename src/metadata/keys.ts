// SPDX-License-Identifier: Apache-2.0
/**
 * TUF key objects: key IDs, decoding public keys, verifying signatures.
 *
 * Verification uses `node:crypto`, that is OpenSSL: the same library that
 * python-tuf (through pyca/cryptography) and tuf-js judge signatures with, so
 * a signature counts here exactly when it counts there:
 * - Ed25519 is RFC 8032 strict verification (no ZIP-215 leniency).
 * - ECDSA takes DER over SHA-256 and accepts high-S values, as OpenSSL does.
 * - RSA is PSS with SHA-256 and MGF1-SHA256, salt length auto-detected, or
 *   PKCS#1 v1.5 with SHA-256 for scheme `rsa-pkcs1v15-sha256` (read only).
 * Nothing here reads files, the clock or randomness.
 */
import { createHash, createPublicKey, verify, constants, type KeyObject } from 'node:crypto';
import { canonicalBytes } from './canonical.js';
import { ecSpkiPointProblem, keyWeakness } from './key-strength.js';
import type { JsonObject } from './json.js';

/** A key object as it appears in metadata (`keys` maps). Extra fields are kept. */
export interface TufKey {
  readonly keytype: string;
  readonly scheme: string;
  readonly keyval: { readonly public: string } & JsonObject;
}

export type KeyAlgorithm = 'ed25519' | 'ecdsa-p256' | 'ecdsa-p384' | 'rsa-pss-sha256' | 'rsa-pkcs1v15-sha256';

/** A public key ready to verify, or the reason it cannot. */
export type DecodedKey =
  | {
      readonly $case: 'supported';
      readonly algorithm: KeyAlgorithm;
      readonly publicKey: KeyObject;
      /** SHA-256 of the SubjectPublicKeyInfo DER: one value per public key. */
      readonly fingerprint: string;
      /** Formats that older tools wrote and clients still read. */
      readonly legacy: readonly string[];
    }
  | { readonly $case: 'unsupported'; readonly reason: string };

/**
 * The key ID: lowercase hex SHA-256 of the canonical key object exactly as
 * written, extra fields (`keyid_hash_algorithms`, `x-…`) included.
 */
export function computeKeyId(key: unknown): string {
  return createHash('sha256').update(canonicalBytes(key)).digest('hex');
}

const HEX = /^(?:[0-9a-f]{2})*$/;
const HEX_ANY_CASE = /^(?:[0-9a-fA-F]{2})*$/;

/** DER SubjectPublicKeyInfo prefixes for raw points. */
const SPKI_PREFIX = {
  p256Uncompressed: '3059301306072a8648ce3d020106082a8648ce3d030107034200',
  p256Compressed: '3039301306072a8648ce3d020106082a8648ce3d030107032200',
} as const;

function fromPem(pem: string): KeyObject | undefined {
  if (!pem.startsWith('-----BEGIN PUBLIC KEY-----')) return undefined;
  try {
    return createPublicKey({ key: pem, format: 'pem', type: 'spki' });
  } catch {
    return undefined;
  }
}

function spkiFingerprint(k: KeyObject): string {
  // One EC public key has two SPKI encodings (compressed and uncompressed
  // point) and OpenSSL exports the one it was given: rebuilding the key from
  // its JWK coordinates always gives the uncompressed one.
  const norm = k.asymmetricKeyType === 'ec' ? createPublicKey({ key: k.export({ format: 'jwk' }), format: 'jwk' }) : k;
  return createHash('sha256').update(norm.export({ type: 'spki', format: 'der' })).digest('hex');
}

function supported(algorithm: KeyAlgorithm, publicKey: KeyObject, legacy: string[]): DecodedKey {
  // Weak and malformed keys (small order, off the curve, short RSA) never verify anything.
  const weak = keyWeakness(publicKey);
  if (weak !== undefined) return { $case: 'unsupported', reason: `weak key: ${weak}` };
  return { $case: 'supported', algorithm, publicKey, fingerprint: spkiFingerprint(publicKey), legacy };
}

function decodeEd25519(pub: string): DecodedKey {
  if (!/^[0-9a-fA-F]{64}$/.test(pub)) {
    return {
      $case: 'unsupported',
      reason: 'ed25519 keyval.public must be 64 hex characters (a PEM ed25519 key is not read by python-tuf or go-tuf)',
    };
  }
  const x = Buffer.from(pub, 'hex').toString('base64url');
  try {
    const k = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
    return supported('ed25519', k, HEX.test(pub) ? [] : ['uppercase hex public key']);
  } catch {
    return { $case: 'unsupported', reason: 'ed25519 public key does not decode' };
  }
}

function decodeEcdsa(keytype: string, scheme: string, pub: string): DecodedKey {
  const legacy: string[] = [];
  if (keytype === 'ecdsa-sha2-nistp256' || keytype === 'ecdsa-sha2-nistp384') {
    legacy.push(`keytype "${keytype}" (renamed "ecdsa" in spec 1.0.32)`);
  }
  const curve = scheme === 'ecdsa-sha2-nistp256' ? 'prime256v1' : 'secp384r1';
  const badPoint = ecSpkiPointProblem(pub);
  if (badPoint !== undefined) return { $case: 'unsupported', reason: `weak key: ${badPoint}` };
  let k = fromPem(pub);
  if (k === undefined && curve === 'prime256v1' && HEX_ANY_CASE.test(pub)) {
    const prefix =
      pub.length === 130 ? SPKI_PREFIX.p256Uncompressed : pub.length === 66 ? SPKI_PREFIX.p256Compressed : undefined;
    if (prefix !== undefined) {
      try {
        k = createPublicKey({ key: Buffer.from(prefix + pub, 'hex'), format: 'der', type: 'spki' });
        legacy.push('hex-encoded ECDSA point instead of PEM (python-tuf and go-tuf do not read it)');
      } catch {
        k = undefined;
      }
    }
  }
  if (k === undefined) {
    return { $case: 'unsupported', reason: `${scheme} keyval.public is neither PEM SubjectPublicKeyInfo nor a hex point` };
  }
  if (k.asymmetricKeyType !== 'ec' || k.asymmetricKeyDetails?.namedCurve !== curve) {
    return { $case: 'unsupported', reason: `${scheme} keyval.public is not a ${curve} key` };
  }
  if (curve === 'secp384r1') legacy.push('ECDSA P-384, which tuf-js 4.x cannot verify');
  return supported(curve === 'prime256v1' ? 'ecdsa-p256' : 'ecdsa-p384', k, legacy);
}

/**
 * Decodes a key object into a verifier. Never throws: an unknown key type or
 * an undecodable key is `unsupported`, and its signatures do not count.
 */
export function decodeKey(key: TufKey): DecodedKey {
  const { keytype, scheme } = key;
  const pub = key.keyval.public;
  if (keytype === 'ed25519' && scheme === 'ed25519') return decodeEd25519(pub);
  if (
    ((keytype === 'ecdsa' || keytype === 'ecdsa-sha2-nistp256') && scheme === 'ecdsa-sha2-nistp256') ||
    ((keytype === 'ecdsa' || keytype === 'ecdsa-sha2-nistp384') && scheme === 'ecdsa-sha2-nistp384')
  ) {
    return decodeEcdsa(keytype, scheme, pub);
  }
  if (keytype === 'rsa' && (scheme === 'rsassa-pss-sha256' || scheme === 'rsa-pkcs1v15-sha256')) {
    const k = fromPem(pub);
    if (k?.asymmetricKeyType !== 'rsa') {
      return { $case: 'unsupported', reason: 'rsa keyval.public is not a PEM RSA SubjectPublicKeyInfo' };
    }
    const bits = k.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 2048) return { $case: 'unsupported', reason: `RSA key of ${String(bits)} bits (at least 2048 needed)` };
    // PKCS#1 v1.5 (written by TAF) is read, as python-tuf reads it; never written.
    if (scheme === 'rsa-pkcs1v15-sha256') {
      return supported('rsa-pkcs1v15-sha256', k, ['RSA scheme rsa-pkcs1v15-sha256 (python-tuf verifies it; go-tuf verifies rsa as PSS and tuf-js needs rsassa-pss-sha256)']);
    }
    return supported('rsa-pss-sha256', k, []);
  }
  return { $case: 'unsupported', reason: `unknown key type "${keytype}" with scheme "${scheme}"` };
}

/**
 * Verifies one signature over `data` (the canonical bytes). Never throws:
 * malformed hex, a wrong length or a bad signature all give `false`.
 */
export function verifySignature(key: DecodedKey, sigHex: string, data: Uint8Array): boolean {
  if (key.$case !== 'supported' || sigHex === '' || !HEX_ANY_CASE.test(sigHex)) return false;
  const sig = Buffer.from(sigHex, 'hex');
  try {
    switch (key.algorithm) {
      case 'ed25519':
        // RFC 8032 §5.1.7 as OpenSSL implements it: S < L, canonical encodings.
        return sig.length === 64 && verify(null, data, key.publicKey, sig);
      case 'ecdsa-p256':
        return verify('sha256', data, { key: key.publicKey, dsaEncoding: 'der' }, sig);
      case 'ecdsa-p384':
        return verify('sha384', data, { key: key.publicKey, dsaEncoding: 'der' }, sig);
      case 'rsa-pss-sha256':
        return verify(
          'sha256',
          data,
          {
            key: key.publicKey,
            padding: constants.RSA_PKCS1_PSS_PADDING,
            saltLength: constants.RSA_PSS_SALTLEN_AUTO,
          },
          sig
        );
      case 'rsa-pkcs1v15-sha256':
        return verify('sha256', data, { key: key.publicKey, padding: constants.RSA_PKCS1_PADDING }, sig);
    }
  } catch {
    return false;
  }
}
