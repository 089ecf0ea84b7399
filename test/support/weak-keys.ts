// SPDX-License-Identifier: Apache-2.0
/** Hostile key material for the weak-key tests: written by hand, since our writer refuses it. */
import { computeKeyId, type TufKey } from '../../src/metadata/keys.js';

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
