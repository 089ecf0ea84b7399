// SPDX-License-Identifier: Apache-2.0
/** Public keys in the TUF form this tool writes (the minimal safe profile). */
import type { KeyObject } from 'node:crypto';
import type { TufKey } from '../metadata/keys.js';

export type KeyType = 'ed25519' | 'ecdsa-p256';

/** Ed25519 as 64 lowercase hex; P-256 as PEM SubjectPublicKeyInfo. */
export function tufKeyFromPublicKey(publicKey: KeyObject): TufKey {
  if (publicKey.asymmetricKeyType === 'ed25519') {
    const jwk = publicKey.export({ format: 'jwk' });
    return { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: Buffer.from(jwk.x ?? '', 'base64url').toString('hex') } };
  }
  if (publicKey.asymmetricKeyType === 'ec' && publicKey.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    return { keytype: 'ecdsa', scheme: 'ecdsa-sha2-nistp256', keyval: { public: pem } };
  }
  throw new TypeError(`unsupported key type ${String(publicKey.asymmetricKeyType)}`);
}

export function keyTypeOf(key: KeyObject): KeyType {
  return key.asymmetricKeyType === 'ed25519' ? 'ed25519' : 'ecdsa-p256';
}
