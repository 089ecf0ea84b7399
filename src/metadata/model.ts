// SPDX-License-Identifier: Apache-2.0
/**
 * The TUF 1.0 metadata model (spec §"Document formats"). Field names are the
 * spec's JSON names, so there is no mapping layer. The interfaces list the
 * fields this tool reads; objects parsed from files keep every other field
 * too, so `canonicalize(signed)` is always the content that was signed.
 */
import type { JsonObject, JsonValue } from './json.js';
import type { TufKey } from './keys.js';

export type { TufKey } from './keys.js';

export const TOP_LEVEL_ROLES = ['root', 'targets', 'snapshot', 'timestamp'] as const;
export type TopLevelRole = (typeof TOP_LEVEL_ROLES)[number];
export const OFFLINE_ROLES: readonly TopLevelRole[] = ['root', 'targets'];
export const ONLINE_ROLES: readonly TopLevelRole[] = ['snapshot', 'timestamp'];

export type RoleType = TopLevelRole;

/** A signature entry: `{keyid, sig}`. */
export interface Signature {
  readonly keyid: string;
  readonly sig: string;
}

/** Fields common to every `signed` object. */
export interface SignedCommon {
  readonly _type: RoleType;
  readonly spec_version: string;
  readonly version: number;
  readonly expires: string;
}

/** `{keyids, threshold}` as used by root roles and delegations. */
export interface RoleKeys {
  readonly keyids: readonly string[];
  readonly threshold: number;
}

export interface Root extends SignedCommon {
  readonly _type: 'root';
  /** Optional on read (legacy); always written by this tool. */
  readonly consistent_snapshot?: boolean;
  readonly keys: { readonly [keyid: string]: TufKey };
  readonly roles: { readonly [role: string]: RoleKeys };
}

export interface TargetFile {
  readonly length: number;
  readonly hashes: { readonly [alg: string]: string };
  readonly custom?: JsonValue;
}

export interface DelegatedRole extends RoleKeys {
  readonly name: string;
  readonly terminating: boolean;
  readonly paths?: readonly string[];
  readonly path_hash_prefixes?: readonly string[];
}

/** TAP 15 hash-bin delegation. */
export interface SuccinctRoles extends RoleKeys {
  readonly bit_length: number;
  readonly name_prefix: string;
}

export interface Delegations {
  readonly keys: { readonly [keyid: string]: TufKey };
  readonly roles?: readonly DelegatedRole[];
  readonly succinct_roles?: SuccinctRoles;
}

export interface Targets extends SignedCommon {
  readonly _type: 'targets';
  readonly targets: { readonly [path: string]: TargetFile };
  readonly delegations?: Delegations;
}

export interface MetaFile {
  readonly version: number;
  readonly length?: number;
  readonly hashes?: { readonly [alg: string]: string };
}

export interface Snapshot extends SignedCommon {
  readonly _type: 'snapshot';
  readonly meta: { readonly [file: string]: MetaFile };
}

export interface Timestamp extends SignedCommon {
  readonly _type: 'timestamp';
  readonly meta: { readonly 'snapshot.json': MetaFile };
}

export type Signed = Root | Targets | Snapshot | Timestamp;

export interface SignedByType {
  root: Root;
  targets: Targets;
  snapshot: Snapshot;
  timestamp: Timestamp;
}

/** A metadata file: the envelope `{signed, signatures}`. */
export interface Metadata<T extends Signed = Signed> {
  readonly signed: T;
  readonly signatures: readonly Signature[];
}

/** A parsed file: the metadata plus what the reader learnt on the way. */
export interface ParsedMetadata<T extends Signed = Signed> extends Metadata<T> {
  /** File name used in messages. */
  readonly file: string;
  /**
   * The exact bytes read (snapshot and timestamp hash these); empty when
   * the reader wrote over them (`parseMetadataConsuming`, verify of a large
   * file: it hashed them first).
   */
  readonly bytes: Uint8Array;
  /** The file's length in bytes. */
  readonly size: number;
  /** The canonical bytes of `signed`: what the signatures cover. */
  readonly signedBytes: Buffer;
  /** `expires` as milliseconds since the epoch. */
  readonly expiresAt: number;
  /** Older formats found, each a short phrase (for warnings). */
  readonly legacy: readonly string[];
  /** Key IDs that are not the hash of their key as written (opaque on read, TAP 12), each explained. */
  readonly keyIdNotes?: readonly string[];
}

/** Own-property lookup: never reaches `Object.prototype` for keys from files. */
export function own<V>(rec: { readonly [k: string]: V }, key: string): V | undefined {
  return Object.hasOwn(rec, key) ? rec[key] : undefined;
}

export type { JsonObject };
