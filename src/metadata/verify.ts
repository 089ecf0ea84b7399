// SPDX-License-Identifier: Apache-2.0
/**
 * Threshold verification that reports instead of throwing (python-tuf's
 * `get_verification_result`), root rotation per spec §5.3, and expiry.
 * These results are the base of every status screen. Pure.
 */
import { createHash } from 'node:crypto';
import { decodeKey, verifySignature, type DecodedKey, type TufKey } from './keys.js';
import { own, type ParsedMetadata, type Root, type RoleKeys, type Signature, type SuccinctRoles } from './model.js';

/** What a threshold check found. Nothing here throws. */
export interface ThresholdResult {
  /** Role name as the delegator calls it. */
  readonly role: string;
  readonly threshold: number;
  /** Key IDs the delegator lists for the role, in its order. */
  readonly keyids: readonly string[];
  /** Listed key IDs with a valid signature. */
  readonly valid: readonly string[];
  /** How many distinct public keys signed validly: this is what counts. */
  readonly counted: number;
  /** Listed key IDs with no signature (or an empty `"sig": ""` placeholder). */
  readonly missing: readonly string[];
  /** Listed key IDs whose signature does not verify. */
  readonly invalid: readonly string[];
  /** Signatures from key IDs the role does not list: ignored, as clients do. */
  readonly unlisted: readonly string[];
  /** Listed keys that cannot verify (unknown type, bad encoding), with why. */
  readonly unsupported: readonly { readonly keyid: string; readonly reason: string }[];
  /** Listed key IDs absent from the delegator's `keys` (go-tuf errors on these). */
  readonly absent: readonly string[];
  /** Groups of listed key IDs that hold one and the same public key. */
  readonly sameKey: readonly (readonly string[])[];
  readonly met: boolean;
}

/** Judges one signature; `verify --paranoid` passes one that asks two verifiers. */
export type SignatureCheck = (key: DecodedKey, sigHex: string, data: Uint8Array, keyid: string) => boolean;

const decodeCache = new Map<string, DecodedKey>();

/** Decodes a key once per process (decoding PEM is not free; bins share keys). */
export function decodeKeyCached(key: TufKey): DecodedKey {
  const id = `${key.keytype}\u0000${key.scheme}\u0000${key.keyval.public}`;
  let d = decodeCache.get(id);
  if (d === undefined) {
    if (decodeCache.size > 4096) decodeCache.clear();
    d = decodeKey(key);
    decodeCache.set(id, d);
  }
  return d;
}

/** The signature data a threshold check needs. */
export interface SignedPayload {
  readonly signatures: readonly Signature[];
  /** Canonical bytes of `signed`. */
  readonly signedBytes: Uint8Array;
}

/**
 * Counts the valid signatures over `payload` from the keys `role` lists,
 * the way clients do (spec §5.3.4 / 5.4.2), except that one public key
 * listed under several key IDs counts once (go-tuf's rule, the safe one).
 */
export function verifyThreshold(
  roleName: string,
  role: RoleKeys,
  keys: { readonly [keyid: string]: TufKey },
  payload: SignedPayload,
  check: SignatureCheck = verifySignature
): ThresholdResult {
  const sigByKeyid = new Map<string, string>();
  for (const s of payload.signatures) sigByKeyid.set(s.keyid, s.sig);
  const listed = new Set(role.keyids);
  const valid: string[] = [];
  const missing: string[] = [];
  const invalid: string[] = [];
  const unsupported: { keyid: string; reason: string }[] = [];
  const absent: string[] = [];
  const byFingerprint = new Map<string, string[]>();
  const countedFingerprints = new Set<string>();

  for (const keyid of role.keyids) {
    const key = own(keys, keyid);
    if (key === undefined) {
      absent.push(keyid);
      continue;
    }
    const decoded = decodeKeyCached(key);
    if (decoded.$case === 'supported') {
      const group = byFingerprint.get(decoded.fingerprint) ?? [];
      group.push(keyid);
      byFingerprint.set(decoded.fingerprint, group);
    }
    const sig = sigByKeyid.get(keyid);
    if (sig === undefined || sig === '') {
      missing.push(keyid);
      continue;
    }
    if (decoded.$case === 'unsupported') {
      unsupported.push({ keyid, reason: decoded.reason });
      continue;
    }
    if (check(decoded, sig, payload.signedBytes, keyid)) {
      valid.push(keyid);
      countedFingerprints.add(decoded.fingerprint);
    } else {
      invalid.push(keyid);
    }
  }
  const unlisted = payload.signatures.filter((s) => !listed.has(s.keyid) && s.sig !== '').map((s) => s.keyid);
  const sameKey = [...byFingerprint.values()].filter((g) => g.length > 1);
  return {
    role: roleName,
    threshold: role.threshold,
    keyids: role.keyids,
    valid,
    counted: countedFingerprints.size,
    missing,
    invalid,
    unlisted,
    unsupported,
    absent,
    sameKey,
    met: countedFingerprints.size >= role.threshold,
  };
}

/** Verifies a top-level role's metadata against a root. */
export function verifyWithRoot(root: Root, roleName: string, payload: SignedPayload, check: SignatureCheck = verifySignature): ThresholdResult {
  const role = own(root.roles, roleName);
  if (role === undefined) {
    return verifyThreshold(roleName, { keyids: [], threshold: 1 }, root.keys, payload, check);
  }
  return verifyThreshold(roleName, role, root.keys, payload, check);
}

/** Result of checking root N+1 against trusted root N (spec §5.3.4–5.3.6). */
export interface RootRotationResult {
  readonly fromVersion: number;
  readonly toVersion: number;
  /** Version is exactly trusted + 1. */
  readonly versionOk: boolean;
  /** Threshold of the trusted root's root keys over the new root. */
  readonly old: ThresholdResult;
  /** Threshold of the new root's own root keys over itself. */
  readonly new: ThresholdResult;
  readonly ok: boolean;
}

/** Checks a new root against the trusted one, as every client does. */
export function verifyRootRotation(
  trusted: Root,
  next: { readonly signed: Root } & SignedPayload,
  check: SignatureCheck = verifySignature
): RootRotationResult {
  const old = verifyWithRoot(trusted, 'root', next, check);
  const self = verifyWithRoot(next.signed, 'root', next, check);
  const versionOk = next.signed.version === trusted.version + 1;
  return {
    fromVersion: trusted.version,
    toVersion: next.signed.version,
    versionOk,
    old,
    new: self,
    ok: versionOk && old.met && self.met,
  };
}

/** True when metadata is expired at `atMs` (clients: `now >= expires`). */
export function isExpired(md: Pick<ParsedMetadata, 'expiresAt'>, atMs: number): boolean {
  return atMs >= md.expiresAt;
}

/** Names of all hash bins of a succinct delegation (TAP 15), in order. */
export function binNames(sr: Pick<SuccinctRoles, 'bit_length' | 'name_prefix'>): string[] {
  const count = 2 ** sr.bit_length;
  const width = (count - 1).toString(16).length;
  const names = new Array<string>(count);
  for (let i = 0; i < count; i++) names[i] = `${sr.name_prefix}-${i.toString(16).padStart(width, '0')}`;
  return names;
}

/** The bin a target path falls in: the top `bit_length` bits of sha256(path). */
export function binForPath(sr: Pick<SuccinctRoles, 'bit_length' | 'name_prefix'>, targetPath: string): string {
  const digest = createHash('sha256').update(targetPath, 'utf8').digest();
  const bin = sr.bit_length === 32 ? digest.readUInt32BE(0) : digest.readUInt32BE(0) >>> (32 - sr.bit_length);
  const width = (2 ** sr.bit_length - 1).toString(16).length;
  return `${sr.name_prefix}-${bin.toString(16).padStart(width, '0')}`;
}
