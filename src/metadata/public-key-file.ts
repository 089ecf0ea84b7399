// SPDX-License-Identifier: Apache-2.0
/**
 * The public key file `NAME.pub.json` (format documented in
 * docs/formats.md): a TUF public key, its key ID, the keyholder's name, the
 * creation time, the device that holds it, and a proof of possession — the
 * key's own signature over the canonical `{created, key, name}` — so that a
 * typo or a substituted key is caught when it is registered. Pure.
 */
import { fieldError } from '../errors.js';
import { canonicalBytes } from './canonical.js';
import { isStrictExpires } from './expires.js';
import { parseJson, type JsonObject } from './json.js';
import { computeKeyId, decodeKey, verifySignature, type TufKey } from './keys.js';
import { Guard } from './parse.js';

export const PUBLIC_KEY_FORMAT = 'tuf-ceremony/public-key/v1';

/** Keyholder names: ASCII lower case, digits, `.`, `_`, `-`; no look-alikes. */
export const KEYHOLDER_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export interface PublicKeyFile {
  readonly format: typeof PUBLIC_KEY_FORMAT;
  readonly name: string;
  readonly keyid: string;
  readonly key: TufKey;
  /** Strict `YYYY-MM-DDTHH:MM:SSZ`. */
  readonly created: string;
  /** Where the private key lives (not covered by the proof). */
  readonly device: JsonObject;
  readonly proof_of_possession: { readonly sig: string };
  /**
   * Optional hardware provenance (not covered by the proof: it proves
   * itself): a YubiKey PIV attestation chain, PEM, slot certificate first.
   */
  readonly attestation?: { readonly format: typeof ATTESTATION_FORMAT; readonly certificates: readonly string[] };
}

export const ATTESTATION_FORMAT = 'yubikey-piv';

/** The bytes the proof of possession signs. */
export function proofPayload(name: string, key: TufKey, created: string): Buffer {
  return canonicalBytes({ created, key, name });
}

/** True when the proof of possession verifies with the file's own key. */
export function hasValidProof(pub: Pick<PublicKeyFile, 'name' | 'key' | 'created' | 'proof_of_possession'>): boolean {
  return verifySignature(decodeKey(pub.key), pub.proof_of_possession.sig, proofPayload(pub.name, pub.key, pub.created));
}

/** Checks a keyholder name. @throws InputError */
export function checkKeyholderName(name: string, file: string, field: string): string {
  if (!KEYHOLDER_NAME.test(name)) {
    throw fieldError(
      file,
      field,
      `"${name}" is not a valid keyholder name: use 1 to 64 of a-z 0-9 . _ - (ASCII only, starting with a letter or digit)`
    );
  }
  return name;
}

const FIELDS = ['format', 'name', 'keyid', 'key', 'created', 'device', 'proof_of_possession', 'attestation'];

/**
 * Reads a public key file strictly. Does not judge the proof; see
 * {@link hasValidProof}.
 * @throws InputError (exit 2) naming the file and field
 */
export function parsePublicKeyFile(bytes: Uint8Array, file: string): PublicKeyFile {
  const g: Guard = new Guard(file);
  const o = g.object(parseJson(bytes, file, { maxBytes: 64 * 1024 }), []);
  for (const k of Object.keys(o)) if (!FIELDS.includes(k)) g.fail([k], 'unknown field');
  if (o['format'] !== PUBLIC_KEY_FORMAT) g.fail(['format'], `must be "${PUBLIC_KEY_FORMAT}"`);
  checkKeyholderName(g.string(o['name'], ['name']), file, 'name');
  const keyid = g.string(o['keyid'], ['keyid']);
  const key = g.key(o['key'], ['key']);
  const computed = computeKeyId(key);
  if (computed !== keyid) g.fail(['keyid'], `${keyid} does not match the key, which hashes to ${computed}`);
  const decoded = decodeKey(key);
  if (decoded.$case !== 'supported' || (decoded.algorithm !== 'ed25519' && decoded.algorithm !== 'ecdsa-p256')) {
    g.fail(['key'], decoded.$case === 'unsupported' ? decoded.reason : 'only ed25519 and ecdsa P-256 keys are used for signing');
  }
  if (decoded.legacy.length > 0) g.fail(['key'], decoded.legacy[0] as string);
  const created = g.string(o['created'], ['created']);
  if (!isStrictExpires(created)) g.fail(['created'], 'must be a date-time such as 2026-11-23T10:00:00Z');
  g.object(o['device'], ['device']);
  const proof = g.object(o['proof_of_possession'], ['proof_of_possession']);
  const sig = g.string(proof['sig'], ['proof_of_possession', 'sig']);
  if (!/^[0-9a-f]+$/.test(sig)) g.fail(['proof_of_possession', 'sig'], 'must be lowercase hex');
  if (o['attestation'] !== undefined) {
    const a = g.object(o['attestation'], ['attestation']);
    for (const k of Object.keys(a)) if (k !== 'format' && k !== 'certificates') g.fail(['attestation', k], 'unknown field');
    if (a['format'] !== ATTESTATION_FORMAT) g.fail(['attestation', 'format'], `must be "${ATTESTATION_FORMAT}"`);
    const certs = a['certificates'];
    if (!Array.isArray(certs) || certs.length < 2 || certs.length > 6) g.fail(['attestation', 'certificates'], 'must list 2 to 6 PEM certificates, the slot certificate first');
    certs.forEach((c: unknown, i: number) => {
      if (typeof c !== 'string' || !/^-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\r?\n?$/.test(c)) {
        g.fail(['attestation', 'certificates', i], 'must be one PEM certificate');
      }
    });
  }
  return o as unknown as PublicKeyFile;
}
