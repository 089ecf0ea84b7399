// SPDX-License-Identifier: Apache-2.0
/**
 * Where one public key is listed in a key map (a root's `keys`, a targets
 * role's `delegations.keys`, a request's eligible keys). A root lists a key
 * under the key ID of the key object it holds — with its keyholder's name
 * bound in (`x-tuf-on-ci-keyowner`), or an older form of the key (TAP 12) —
 * which is not the key ID of the keyholder's public key file. So keys are
 * matched by their public key: the SHA-256 of the SubjectPublicKeyInfo
 * (`DecodedKey.fingerprint`), whatever the key ID and encoding.
 */
import type { TufKey } from './keys.js';
import { decodeKeyCached } from './verify.js';

/** A key map: a metadata `keys` object, or a Map of key ID → key. */
export type KeyEntries = { readonly [keyid: string]: TufKey } | ReadonlyMap<string, TufKey>;

/** SHA-256 of the key's SubjectPublicKeyInfo: one value per public key, whatever its key ID; undefined for a key we cannot read. */
export function fingerprintOf(key: TufKey): string | undefined {
  const d = decodeKeyCached(key);
  return d.$case === 'supported' ? d.fingerprint : undefined;
}

/** True when the two key objects hold the same public key (a key we cannot read is the same as no other). */
export function samePublicKey(a: TufKey, b: TufKey): boolean {
  const fa = fingerprintOf(a);
  return fa !== undefined && fa === fingerprintOf(b);
}

/**
 * The key IDs under which `keys` lists this public key, in the map's order:
 * `keyid` (when given and the map holds it) and every key ID whose key
 * object holds the same public key.
 */
export function keyIdsListing(keys: KeyEntries, key: TufKey, keyid?: string): string[] {
  const fp = fingerprintOf(key);
  const entries = keys instanceof Map ? [...(keys as ReadonlyMap<string, TufKey>)] : Object.entries(keys as { readonly [keyid: string]: TufKey });
  return entries.filter(([id, k]) => id === keyid || (fp !== undefined && fingerprintOf(k) === fp)).map(([id]) => id);
}
