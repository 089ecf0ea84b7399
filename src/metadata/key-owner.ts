// SPDX-License-Identifier: Apache-2.0
/**
 * Keyholder names inside what is signed (docs/decisions.md):
 * a key object in a root's `keys` (or a targets role's `delegations.keys`)
 * carries its keyholder's name in tuf-on-ci's field `x-tuf-on-ci-keyowner`,
 * so the SHA-256 the keyholders read aloud covers the name too. The key ID
 * is the SHA-256 of the key object as written, field included. Clients keep
 * unknown `x-` fields of key objects (python-tuf `unrecognized_fields`,
 * tuf-js `unrecognizedFields`, go-tuf `UnrecognizedFields`).
 */
import { computeKeyId, type TufKey } from './keys.js';

/** The field tuf-on-ci writes and reads for a key's owner. */
export const KEY_OWNER_FIELD = 'x-tuf-on-ci-keyowner';

/** The owner a key object names, or undefined (absent, or not a string). */
export function keyOwner(key: TufKey | undefined): string | undefined {
  if (key === undefined || !Object.hasOwn(key, KEY_OWNER_FIELD)) return undefined;
  const v = (key as unknown as { readonly [f: string]: unknown })[KEY_OWNER_FIELD];
  return typeof v === 'string' ? v : undefined;
}

/**
 * The key object with `owner` bound in it, and its key ID. A key that
 * already names an owner is returned as it is (with its own key ID).
 */
export function withOwner(key: TufKey, owner: string): { keyid: string; key: TufKey } {
  if (keyOwner(key) !== undefined) return { keyid: computeKeyId(key), key };
  const bound = { ...key, [KEY_OWNER_FIELD]: owner } as TufKey;
  return { keyid: computeKeyId(bound), key: bound };
}

/**
 * The key ID the key object has without its owner field: the key ID of the
 * keyholder's public key file, whose key carries no name (a key with no
 * owner field: its own key ID).
 */
export function unboundKeyId(key: TufKey): string {
  if (!Object.hasOwn(key, KEY_OWNER_FIELD)) return computeKeyId(key);
  const rest: { [f: string]: unknown } = { ...(key as unknown as { readonly [f: string]: unknown }) };
  delete rest[KEY_OWNER_FIELD];
  return computeKeyId(rest);
}
