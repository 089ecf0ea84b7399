// SPDX-License-Identifier: Apache-2.0
/**
 * Software keys: encrypted PKCS#8 PEM files. The private key exists in clear
 * only in memory; on disk it is always `ENCRYPTED PRIVATE KEY`, PBES2 with
 * PBKDF2-HMAC-SHA256 (600,000 iterations) and AES-256-CBC, which OpenSSL,
 * python cryptography and Node all read.
 */
import {
  createCipheriv,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  pbkdf2Sync,
  randomBytes,
  sign,
  type KeyObject,
} from 'node:crypto';
import { InputError } from '../errors.js';
import { computeKeyId } from '../metadata/keys.js';
import { ecdsaDerToLowS, integer, nullValue, octets, oid, seq } from './der.js';
import { checkSignature, type SecretsHandler, type Signer } from './signer.js';
import { keyTypeOf, tufKeyFromPublicKey, type KeyType } from './tuf-key.js';

/** PBKDF2 iterations for new key files (OWASP's 2023 figure for SHA-256). */
export const PBKDF2_ITERATIONS = 600_000;

const OID = {
  pbes2: '2a864886f70d01050d',
  pbkdf2: '2a864886f70d01050c',
  hmacWithSha256: '2a864886f70d0209',
  aes256Cbc: '60864801650304012a',
} as const;

/** Encrypts a private key as PKCS#8 `ENCRYPTED PRIVATE KEY` PEM. */
export function encryptPrivateKey(privateKey: KeyObject, passphrase: string, iterations = PBKDF2_ITERATIONS): string {
  const plain = privateKey.export({ type: 'pkcs8', format: 'der' });
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const key = pbkdf2Sync(Buffer.from(passphrase, 'utf8'), salt, iterations, 32, 'sha256');
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const encrypted = Buffer.concat([cipher.update(plain), cipher.final()]);
  plain.fill(0);
  key.fill(0);
  const der = seq(
    seq(
      oid(OID.pbes2),
      seq(
        seq(oid(OID.pbkdf2), seq(octets(salt), integer(iterations), seq(oid(OID.hmacWithSha256), nullValue()))),
        seq(oid(OID.aes256Cbc), octets(iv))
      )
    ),
    octets(encrypted)
  );
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ENCRYPTED PRIVATE KEY-----\n${b64}\n-----END ENCRYPTED PRIVATE KEY-----\n`;
}

/** A new key pair, in memory. */
export function generateKeyPair(type: KeyType): { privateKey: KeyObject; publicKey: KeyObject } {
  return type === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

/**
 * Decrypts a key file's PEM.
 * @throws InputError (exit 2) for a wrong passphrase, an unencrypted key or
 *   a file that is not a private key
 */
export function decryptPrivateKey(pem: string, passphrase: string, file: string): KeyObject {
  if (pem.includes('-----BEGIN PRIVATE KEY-----') || /-----BEGIN (EC|RSA|OPENSSH) PRIVATE KEY-----/.test(pem)) {
    throw new InputError(`${file}: holds an unencrypted private key; tuf-ceremony only uses encrypted PKCS#8 keys`, {
      file,
      hint: `encrypt it: openssl pkcs8 -topk8 -v2 aes-256-cbc -in ${file} -out ${file}.enc`,
    });
  }
  if (!pem.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----')) {
    throw new InputError(`${file}: not an encrypted PKCS#8 private key (no "BEGIN ENCRYPTED PRIVATE KEY" block)`, { file });
  }
  try {
    return createPrivateKey({ key: pem, format: 'pem', passphrase });
  } catch (cause) {
    const code = (cause as { code?: string }).code ?? '';
    if (/DECRYPT|BAD_PASSWORD|PASSPHRASE|ERR_OSSL_EVP_BAD_DECRYPT|ERR_OSSL_UNSUPPORTED/.test(code) || /decrypt/i.test(String(cause))) {
      throw new InputError(`${file}: wrong passphrase (the key could not be decrypted)`, { file, field: 'passphrase' });
    }
    throw new InputError(`${file}: the private key could not be read (${code || 'unreadable'})`, { file });
  }
}

/** Signs with an in-memory private key in TUF form (ECDSA: DER, low S). */
export function signWithKey(privateKey: KeyObject, data: Uint8Array): string {
  if (keyTypeOf(privateKey) === 'ed25519') return sign(null, data, privateKey).toString('hex');
  return ecdsaDerToLowS(sign('sha256', data, { key: privateKey, dsaEncoding: 'der' })).toString('hex');
}

/** A signer over an in-memory private key (drills, tests, a decrypted file). */
export function keySigner(privateKey: KeyObject, device: Signer['device']): Signer {
  const publicKey = tufKeyFromPublicKey(createPublicKey(privateKey));
  let key: KeyObject | undefined = privateKey;
  return {
    publicKey,
    keyid: computeKeyId(publicKey),
    device,
    sign: (data) => {
      if (key === undefined) return Promise.reject(new Error('signer closed'));
      return Promise.resolve(checkSignature(publicKey, publicKey, signWithKey(key, data), data));
    },
    close: () => {
      key = undefined;
      return Promise.resolve();
    },
  };
}

/** Tries a person gets at a passphrase prompt before the command stops. */
export const PASSPHRASE_TRIES = 3;

/**
 * Opens a key file: asks the secrets handler for its passphrase and decrypts.
 * A passphrase typed at a prompt may be wrong {@link PASSPHRASE_TRIES} times
 * before this gives up; nothing is asked or shown again in between.
 * @throws InputError (exit 2) for a wrong passphrase or a bad file
 */
export async function openKeyFile(pem: string, file: string, secrets: SecretsHandler): Promise<Signer> {
  const tries = secrets.asksPerson?.('passphrase') === true ? PASSPHRASE_TRIES : 1;
  for (let attempt = 1; ; attempt++) {
    const what = attempt === 1 ? `passphrase for ${file}` : `passphrase for ${file}, try ${String(attempt)} of ${String(tries)}`;
    const passphrase = await secrets('passphrase', what);
    try {
      return keySigner(decryptPrivateKey(pem, passphrase, file), { backend: 'file', path: file });
    } catch (e) {
      if (attempt >= tries || !(e instanceof InputError) || e.field !== 'passphrase') throw e;
    }
  }
}
