// SPDX-License-Identifier: Apache-2.0
/**
 * Deterministic test keys and signing, for tests, the benchmark and the
 * bundled example. Real keys and real signatures (node:crypto), never mocks.
 */
import {
  constants,
  createECDH,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  type KeyObject,
} from 'node:crypto';
import { canonicalBytes } from '../../src/metadata/canonical.js';
import { computeKeyId, type TufKey } from '../../src/metadata/keys.js';
import type { Metadata, Signature, Signed } from '../../src/metadata/model.js';

export type TestKeyType = 'ed25519' | 'ecdsa-p256' | 'rsa-pss';

export interface TestKey {
  readonly type: TestKeyType;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** The TUF key object (minimal safe profile). */
  readonly tuf: TufKey;
  readonly keyid: string;
}

function seed(label: string): Buffer {
  return createHash('sha256').update('tuf-ceremony test key ' + label).digest();
}

/** Wraps a public KeyObject as a TUF key of the given type. */
export function tufKeyFor(type: TestKeyType, publicKey: KeyObject): TufKey {
  if (type === 'ed25519') {
    const jwk = publicKey.export({ format: 'jwk' });
    return {
      keytype: 'ed25519',
      scheme: 'ed25519',
      keyval: { public: Buffer.from(jwk.x as string, 'base64url').toString('hex') },
    };
  }
  const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
  if (type === 'ecdsa-p256') return { keytype: 'ecdsa', scheme: 'ecdsa-sha2-nistp256', keyval: { public: pem } };
  return { keytype: 'rsa', scheme: 'rsassa-pss-sha256', keyval: { public: pem } };
}

const rsaCache = new Map<string, KeyObject>();

/**
 * A key derived from a label: the same label always gives the same key
 * (Ed25519 and P-256; RSA keys are generated once per process).
 */
export function testKey(label: string, type: TestKeyType = 'ed25519'): TestKey {
  let privateKey: KeyObject;
  if (type === 'ed25519') {
    const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed(label)]);
    privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } else if (type === 'ecdsa-p256') {
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(seed(label));
    const pub = ecdh.getPublicKey();
    privateKey = createPrivateKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        d: ecdh.getPrivateKey().toString('base64url'),
        x: pub.subarray(1, 33).toString('base64url'),
        y: pub.subarray(33, 65).toString('base64url'),
      },
      format: 'jwk',
    });
  } else {
    let k = rsaCache.get(label);
    if (k === undefined) {
      k = createPrivateKey(generateRsa());
      rsaCache.set(label, k);
    }
    privateKey = k;
  }
  const publicKey = createPublicKey(privateKey);
  const tuf = tufKeyFor(type, publicKey);
  return { type, privateKey, publicKey, tuf, keyid: computeKeyId(tuf) };
}

function generateRsa(): string {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
}

/** Signs bytes the way TUF expects for the key's type; returns lowercase hex. */
export function signBytes(key: TestKey, data: Uint8Array): string {
  switch (key.type) {
    case 'ed25519':
      return sign(null, data, key.privateKey).toString('hex');
    case 'ecdsa-p256':
      return sign('sha256', data, { key: key.privateKey, dsaEncoding: 'der' }).toString('hex');
    case 'rsa-pss':
      return sign('sha256', data, {
        key: key.privateKey,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
      }).toString('hex');
  }
}

/** Signs `signed` with each key (canonical bytes); returns the envelope. */
export function signMetadata<T extends Signed>(signed: T, keys: readonly TestKey[]): Metadata<T> {
  const data = canonicalBytes(signed);
  const signatures: Signature[] = keys.map((k) => ({ keyid: k.keyid, sig: signBytes(k, data) }));
  return { signed, signatures };
}
