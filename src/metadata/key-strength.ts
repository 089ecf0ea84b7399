// SPDX-License-Identifier: Apache-2.0
/**
 * Weak and malformed public keys: the ones whose signatures must never
 * count, because an attacker who hands one in can forge, or because the
 * verifiers clients use disagree about them. Pure.
 *
 * - Ed25519 (RFC 8032 §5.1.3 decoding): the encoding must be canonical
 *   (y < p, no x = 0 with the sign bit set), decode to a curve point, and
 *   that point must lie in the prime-order subgroup. This rejects the 8
 *   small-order points (with which the signature `01`‖0…0 verifies over any
 *   message in OpenSSL) and every point with a torsion component, which no
 *   honest key generator produces and on which cofactored and cofactorless
 *   verifiers (python-tuf vs OpenSSL-based tools) may disagree.
 * - ECDSA: the point must be on its curve and not the point at infinity.
 * - RSA: at least 2048 bits, an odd public exponent of at least 65537.
 *
 * The checks run on the key OpenSSL decoded, so they judge exactly the key
 * that would verify.
 */
import type { KeyObject } from 'node:crypto';
import { Point as EdPoint } from '@noble/ed25519';

/** p = 2^255 - 19, the Ed25519 field prime. */
const ED25519_P = 2n ** 255n - 19n;

/** Smallest RSA modulus and public exponent accepted (NIST SP 800-89 §5.3.3: e ≥ 2^16 + 1). */
export const RSA_MIN_BITS = 2048;
export const RSA_MIN_EXPONENT = 65537n;

function littleEndian(b: Uint8Array): bigint {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i] as number);
  return v;
}

/**
 * Why a raw 32-byte Ed25519 public key must not be used, or undefined.
 * RFC 8032 §5.1.3, strictly: y is the low 255 bits little-endian, the top
 * bit is the sign of x.
 */
export function ed25519Weakness(raw: Uint8Array): string | undefined {
  if (raw.length !== 32) return `an Ed25519 public key is 32 bytes, not ${String(raw.length)}`;
  const signBit = ((raw[31] as number) & 0x80) !== 0;
  const y = littleEndian(raw) & ((1n << 255n) - 1n);
  // §5.1.3 step 1: "If the resulting value is >= p, decoding fails."
  if (y >= ED25519_P) return 'Ed25519 public key has a non-canonical encoding (y ≥ p)';
  let point: EdPoint;
  try {
    // Strict decoding (zip215 = false): steps 2-4, including x = 0 with x_0 = 1.
    point = EdPoint.fromBytes(raw, false);
  } catch {
    return signBit && (y === 1n || y === ED25519_P - 1n)
      ? 'Ed25519 public key has a non-canonical encoding (x = 0 with the sign bit set)'
      : 'Ed25519 public key is not a point on the curve';
  }
  if (point.isSmallOrder()) return 'Ed25519 public key is a point of small order: a signature over any message can be forged for it';
  if (!point.isTorsionFree()) return 'Ed25519 public key is not in the prime-order subgroup (it has a small-order component)';
  return undefined;
}

/**
 * The short Weierstrass curves y² = x³ − 3x + b (mod p) of FIPS 186-4 /
 * SEC 2, by field size in bytes. Both have cofactor 1, so every point on
 * the curve but infinity is in the prime-order group.
 */
const NIST_CURVES: Record<'P-256' | 'P-384', { readonly size: number; readonly p: bigint; readonly b: bigint }> = {
  'P-256': {
    size: 32,
    p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
    b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
  },
  'P-384': {
    size: 48,
    p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn,
    b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
  },
};

/**
 * Why an uncompressed EC point `04‖x‖y` must not be used, or undefined:
 * the right length, coordinates below p, on the curve (which also rules
 * out the point at infinity, which has no affine coordinates). The same
 * checks as @noble/curves' `Point.fromBytes().assertValidity()` (the
 * property test in test/metadata/key-strength.test.ts holds the two
 * together), without loading it in every process.
 */
export function ecPointWeakness(curve: 'P-256' | 'P-384', uncompressed: Uint8Array): string | undefined {
  const { size, p, b } = NIST_CURVES[curve];
  const invalid = `ECDSA ${curve} public key is not a valid point on the curve`;
  if (uncompressed.length !== 1 + 2 * size || uncompressed[0] !== 4) return invalid;
  const x = BigInt('0x' + Buffer.from(uncompressed.subarray(1, 1 + size)).toString('hex'));
  const y = BigInt('0x' + Buffer.from(uncompressed.subarray(1 + size)).toString('hex'));
  if (x >= p || y >= p) return invalid;
  const mod = (v: bigint): bigint => ((v % p) + p) % p;
  if (mod(y * y) !== mod(x * x * x - 3n * x + b)) return invalid;
  return undefined;
}

function ecUncompressed(publicKey: KeyObject): Uint8Array | undefined {
  try {
    const jwk = publicKey.export({ format: 'jwk' });
    if (jwk.x === undefined || jwk.y === undefined) return undefined;
    return Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
  } catch {
    return undefined;
  }
}

/**
 * Why a decoded public key must not be used, or undefined when it may.
 * Never throws.
 */
export function keyWeakness(publicKey: KeyObject): string | undefined {
  switch (publicKey.asymmetricKeyType) {
    case 'ed25519': {
      let raw: Uint8Array;
      try {
        raw = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url');
      } catch {
        return 'Ed25519 public key does not decode';
      }
      return ed25519Weakness(raw);
    }
    case 'ec': {
      const curve = publicKey.asymmetricKeyDetails?.namedCurve;
      if (curve !== 'prime256v1' && curve !== 'secp384r1') return `ECDSA curve ${String(curve)} is not supported`;
      const name = curve === 'prime256v1' ? 'P-256' : 'P-384';
      const point = ecUncompressed(publicKey);
      if (point === undefined) return `ECDSA ${name} public key is the point at infinity or does not decode`;
      return ecPointWeakness(name, point);
    }
    case 'rsa':
    case 'rsa-pss': {
      const bits = publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
      if (bits < RSA_MIN_BITS) return `RSA key of ${String(bits)} bits (at least ${String(RSA_MIN_BITS)} needed)`;
      const e = publicKey.asymmetricKeyDetails?.publicExponent ?? 0n;
      if (e < RSA_MIN_EXPONENT || e % 2n === 0n) {
        return `RSA public exponent ${e.toString()} is too small or even (at least ${RSA_MIN_EXPONENT.toString()}, odd)`;
      }
      return undefined;
    }
    default:
      return `key type ${String(publicKey.asymmetricKeyType)} is not supported`;
  }
}

/** Reads one DER element at `at`: tag, content start and end. Undefined when malformed. */
function derElement(der: Uint8Array, at: number): { tag: number; start: number; end: number } | undefined {
  const tag = der[at];
  let len = der[at + 1];
  if (tag === undefined || len === undefined) return undefined;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) {
      const b = der[start + i];
      if (b === undefined) return undefined;
      len = len * 256 + b;
    }
    start += n;
  }
  const end = start + len;
  return end <= der.length ? { tag, start, end } : undefined;
}

const EC_PUBLIC_KEY_OID = '2a8648ce3d0201';
const CURVE_OIDS: Readonly<Record<string, number>> = { '2a8648ce3d030107': 32, '2b81040022': 48 };

/**
 * Checks the EC point inside a PEM SubjectPublicKeyInfo before OpenSSL sees
 * it: Node aborts the whole process (an assertion in GetEcKeyDetail) when
 * asked for the details of a key whose point is the point at infinity, so
 * such a key must never reach `asymmetricKeyDetails`. Returns why the point
 * is unusable, or undefined (also for non-EC keys and what is not PEM:
 * those are judged elsewhere).
 */
export function ecSpkiPointProblem(pem: string): string | undefined {
  const m = /^-----BEGIN PUBLIC KEY-----\r?\n([A-Za-z0-9+/=\r\n]*)-----END PUBLIC KEY-----/.exec(pem);
  if (m === null) return undefined;
  const der = Buffer.from((m[1] as string).replace(/\s+/g, ''), 'base64');
  const spki = derElement(der, 0);
  const alg = spki === undefined ? undefined : derElement(der, spki.start);
  const algOid = alg === undefined ? undefined : derElement(der, alg.start);
  if (spki === undefined || alg === undefined || algOid === undefined || algOid.tag !== 6) return undefined;
  if (Buffer.from(der.subarray(algOid.start, algOid.end)).toString('hex') !== EC_PUBLIC_KEY_OID) return undefined;
  const curveOid = derElement(der, algOid.end);
  const bits = derElement(der, alg.end);
  if (curveOid === undefined || curveOid.tag !== 6 || bits === undefined || bits.tag !== 3) {
    return 'ECDSA public key: malformed SubjectPublicKeyInfo';
  }
  const size = CURVE_OIDS[Buffer.from(der.subarray(curveOid.start, curveOid.end)).toString('hex')];
  if (size === undefined) return undefined;
  // BIT STRING: one byte of unused bits (0), then the point.
  const point = der.subarray(bits.start + 1, bits.end);
  if (der[bits.start] !== 0 || point.length === 0) return 'ECDSA public key: malformed point';
  if (point.length === 1 && point[0] === 0) return 'ECDSA public key is the point at infinity';
  const ok = (point[0] === 4 && point.length === 1 + 2 * size) || ((point[0] === 2 || point[0] === 3) && point.length === 1 + size);
  if (!ok) return 'ECDSA public key: the point is neither a compressed nor an uncompressed point of its curve';
  return ecPointWeakness(size === 32 ? 'P-256' : 'P-384', point);
}
