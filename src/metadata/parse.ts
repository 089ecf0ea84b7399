// SPDX-License-Identifier: Apache-2.0
/**
 * Strict parsing of metadata files into the model. Pure: bytes in, a typed
 * object out. Every rejection is an InputError (exit 2) naming the file, the
 * field path and the problem. Unknown fields are kept as they were read.
 */
import { fieldError } from '../errors.js';
import { CanonicalError, canonicalBytes } from './canonical.js';
import { CUSTOM_NULL_NOTE, keysAsRead, targetsReadByShape, UPPERCASE_NOTE } from './canonical-read.js';
import { parseExpires } from './expires.js';
import { formatPath, MAX_JSON_BYTES, parseJsonConsuming, parseJsonWithMember, type JsonObject, type JsonValue } from './json.js';
import { explainKeyId, describeKeyIdMismatch } from './keyid-forms.js';
import { computeKeyId, type TufKey } from './keys.js';
import {
  TOP_LEVEL_ROLES,
  type ParsedMetadata,
  type RoleType,
  type Signed,
  type SignedByType,
} from './model.js';

/** Clients refuse root files larger than this (python, go and tuf-js defaults). */
export const MAX_ROOT_BYTES = 512_000;

type Path = readonly (string | number)[];

const SPEC_VERSION = /^1\.\d+(?:\.\d+)?$/;
const HEX = /^[0-9a-fA-F]+$/;

/** Field checks bound to one file; collects legacy-format notes. */
export class Guard {
  readonly legacy: string[] = [];

  /** Key IDs that are not the hash of their key as written, each explained. */
  readonly keyIdNotes: string[] = [];

  readonly file: string;

  constructor(file: string) {
    this.file = file;
  }

  fail(path: Path, problem: string): never {
    throw fieldError(this.file, formatPath(path), problem);
  }

  object(v: JsonValue | undefined, path: Path): JsonObject {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      this.fail(path, `must be an object (got ${describe(v)})`);
    }
    return v as JsonObject;
  }

  array(v: JsonValue | undefined, path: Path): readonly JsonValue[] {
    if (!Array.isArray(v)) this.fail(path, `must be an array (got ${describe(v)})`);
    return v as readonly JsonValue[];
  }

  string(v: JsonValue | undefined, path: Path): string {
    if (typeof v !== 'string') this.fail(path, `must be a string (got ${describe(v)})`);
    return v;
  }

  boolean(v: JsonValue | undefined, path: Path): boolean {
    if (typeof v !== 'boolean') this.fail(path, `must be true or false (got ${describe(v)})`);
    return v;
  }

  integer(v: JsonValue | undefined, path: Path, min: number): number {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
      this.fail(path, `must be an integer >= ${String(min)} (got ${describe(v)})`);
    }
    return v;
  }

  /** An array of unique strings. */
  stringSet(v: JsonValue | undefined, path: Path, what: string): readonly string[] {
    const arr = this.array(v, path);
    const seen = new Set<string>();
    arr.forEach((item, i) => {
      const s = this.string(item, [...path, i]);
      if (seen.has(s)) this.fail([...path, i], `duplicate ${what} "${s}"`);
      seen.add(s);
    });
    return arr as readonly string[];
  }

  hexDigest(v: JsonValue | undefined, path: Path): string {
    const s = this.string(v, path);
    if (s.length === 0 || s.length % 2 !== 0 || !HEX.test(s)) this.fail(path, 'must be a non-empty hex string');
    if (s !== s.toLowerCase()) this.note('uppercase hex digest (python-tuf compares lowercase)');
    return s;
  }

  hashes(v: JsonValue | undefined, path: Path): void {
    const h = this.object(v, path);
    const algs = Object.keys(h);
    if (algs.length === 0) this.fail(path, 'must list at least one hash');
    for (const alg of algs) this.hexDigest(h[alg], [...path, alg]);
  }

  note(text: string): void {
    if (!this.legacy.includes(text)) this.legacy.push(text);
  }

  /**
   * A key object. When `keyid` is given and is not the hash of the key, that
   * is noted in {@link keyIdNotes}, never refused: clients treat key IDs as
   * opaque labels (TAP 12), and trusted repositories carry IDs hashed over
   * older forms of their keys.
   */
  key(v: JsonValue | undefined, path: Path, keyid?: string): TufKey {
    const key = this.object(v, path);
    this.string(key['keytype'], [...path, 'keytype']);
    this.string(key['scheme'], [...path, 'scheme']);
    const keyval = this.object(key['keyval'], [...path, 'keyval']);
    this.string(keyval['public'], [...path, 'keyval', 'public']);
    if (keyid !== undefined) {
      const e = explainKeyId(key, keyid);
      if (e !== undefined) this.keyIdNotes.push(describeKeyIdMismatch(keyid, e));
    }
    if (Object.hasOwn(key, 'keyid_hash_algorithms')) {
      this.note('keyid_hash_algorithms in key objects (written by python-tuf 0.x and go-tuf 0.x)');
    }
    return key as unknown as TufKey;
  }

  /** A `keys` map: every key well-formed and filed under its own key ID. */
  keyMap(v: JsonValue | undefined, path: Path): void {
    const keys = this.object(v, path);
    for (const keyid of Object.keys(keys)) this.key(keys[keyid], [...path, keyid], keyid);
  }

  roleKeys(v: JsonValue | undefined, path: Path): JsonObject {
    const role = this.object(v, path);
    this.stringSet(role['keyids'], [...path, 'keyids'], 'key ID');
    this.integer(role['threshold'], [...path, 'threshold'], 1);
    return role;
  }
}

function describe(v: JsonValue | undefined): string {
  if (v === undefined) return 'nothing: the field is missing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return `${typeof v} ${String(v)}`;
}

function checkRoot(g: Guard, s: JsonObject): void {
  const P = ['signed'];
  if (!Object.hasOwn(s, 'consistent_snapshot')) {
    g.note('root without consistent_snapshot (tuf-js rejects it; go-tuf re-emits false)');
  } else {
    g.boolean(s['consistent_snapshot'], [...P, 'consistent_snapshot']);
  }
  g.keyMap(s['keys'], [...P, 'keys']);
  const roles = g.object(s['roles'], [...P, 'roles']);
  for (const name of TOP_LEVEL_ROLES) {
    if (!Object.hasOwn(roles, name)) g.fail([...P, 'roles', name], 'the role is missing');
  }
  for (const name of Object.keys(roles)) {
    g.roleKeys(roles[name], [...P, 'roles', name]);
    if (!(TOP_LEVEL_ROLES as readonly string[]).includes(name)) {
      g.note(`root role "${name}" beyond the four top-level roles (python-tuf rejects it)`);
    }
  }
}

function checkDelegations(g: Guard, v: JsonValue | undefined, path: Path): void {
  const d = g.object(v, path);
  g.keyMap(d['keys'], [...path, 'keys']);
  const hasRoles = Object.hasOwn(d, 'roles');
  const hasSuccinct = Object.hasOwn(d, 'succinct_roles');
  if (hasRoles === hasSuccinct) {
    g.fail(path, 'must have exactly one of "roles" and "succinct_roles"');
  }
  if (hasSuccinct) {
    const sp = [...path, 'succinct_roles'];
    const sr = g.roleKeys(d['succinct_roles'], sp);
    const bits = g.integer(sr['bit_length'], [...sp, 'bit_length'], 1);
    if (bits > 32) g.fail([...sp, 'bit_length'], 'must be between 1 and 32');
    const prefix = g.string(sr['name_prefix'], [...sp, 'name_prefix']);
    if (prefix === '') g.fail([...sp, 'name_prefix'], 'must not be empty');
    return;
  }
  const roles = g.array(d['roles'], [...path, 'roles']);
  const names = new Set<string>();
  roles.forEach((r, i) => {
    const rp = [...path, 'roles', i];
    const role = g.roleKeys(r, rp);
    const name = g.string(role['name'], [...rp, 'name']);
    if (name === '') g.fail([...rp, 'name'], 'must not be empty');
    if ((TOP_LEVEL_ROLES as readonly string[]).includes(name)) {
      g.fail([...rp, 'name'], `"${name}" is a top-level role name`);
    }
    if (names.has(name)) g.fail([...rp, 'name'], `duplicate delegated role name "${name}"`);
    names.add(name);
    g.boolean(role['terminating'], [...rp, 'terminating']);
    const hasPaths = Object.hasOwn(role, 'paths');
    const hasPrefixes = Object.hasOwn(role, 'path_hash_prefixes');
    if (hasPaths && hasPrefixes) g.fail(rp, 'must not have both "paths" and "path_hash_prefixes"');
    if (hasPaths) g.stringSet(role['paths'], [...rp, 'paths'], 'path pattern');
    else if (hasPrefixes) {
      const prefixes = g.stringSet(role['path_hash_prefixes'], [...rp, 'path_hash_prefixes'], 'prefix');
      prefixes.forEach((p, j) => {
        if (!/^[0-9a-f]*$/.test(p)) g.fail([...rp, 'path_hash_prefixes', j], 'must be lowercase hex');
      });
    } else {
      g.note(`delegated role "${name}" has neither paths nor path_hash_prefixes (python-tuf rejects it)`);
    }
  });
}

const isPlainObj = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Hex digit classes by UTF-16 code unit (the whole range, so no unit can
 * alias a digit): 1 = 0-9 or a-f, 3 = A-F, 4 = anything else.
 */
const HEX_CLASS = (() => {
  const t = new Uint8Array(0x10000).fill(4);
  for (const c of '0123456789abcdef') t[c.charCodeAt(0)] = 1;
  for (const c of 'ABCDEF') t[c.charCodeAt(0)] = 3;
  return t;
})();

/**
 * The checks of Guard.hexDigest without the regexes (200,000 digests in a
 * PEP 458 targets file): 0 = not a non-empty hex string of even length,
 * 1 = lowercase hex, 2 = hex with uppercase digits.
 */
function hexDigestShape(d: JsonValue | undefined): 0 | 1 | 2 {
  if (typeof d !== 'string' || d.length === 0 || d.length % 2 !== 0) return 0;
  let seen = 0;
  for (let i = 0; i < d.length; i++) seen |= HEX_CLASS[d.charCodeAt(i)] as number;
  if (seen & 4) return 0;
  return seen & 2 ? 2 : 1;
}

/**
 * The checks of Guard.object/integer/hashes for one target, without building
 * paths: 0 = fails one (the Guard then says which), 1 = fine, 2 = fine but
 * with an uppercase hex digest.
 */
function targetShape(t: JsonValue | undefined): 0 | 1 | 2 {
  if (!isPlainObj(t)) return 0;
  const len = t['length'];
  if (typeof len !== 'number' || !Number.isSafeInteger(len) || len < 0) return 0;
  const h = t['hashes'];
  if (!isPlainObj(h)) return 0;
  // for-in, not Object.keys: no array per target (a JSON object has only
  // own enumerable keys; Object.prototype has none).
  let count = 0;
  let result: 1 | 2 = 1;
  for (const alg in h) {
    count++;
    const shape = hexDigestShape(h[alg]);
    if (shape === 0) return 0;
    if (shape === 2) result = 2;
  }
  return count === 0 ? 0 : result;
}

function checkTargets(g: Guard, s: JsonObject): void {
  const targets = g.object(s['targets'], ['signed', 'targets']);
  const byShape = targetsReadByShape(targets);
  if (byShape !== undefined) {
    // Checked on its bytes as it was read (verify): the same checks, the same notes.
    for (const n of byShape.notes) g.note(n);
    if (Object.hasOwn(s, 'delegations')) checkDelegations(g, s['delegations'], ['signed', 'delegations']);
    return;
  }
  // PEP 458 targets files hold 100,000+ entries: the common case is checked
  // inline, and the Guard (which builds the field path) runs only when a
  // check fails, so the messages are the same. (Object.keys, not
  // Object.values: the latter is slower on a 100,000-key object.)
  for (const path of keysAsRead(targets) ?? Object.keys(targets)) {
    const t = targets[path];
    const shape = targetShape(t);
    if (shape === 0) {
      const tp = ['signed', 'targets', path];
      const o = g.object(t, tp);
      g.integer(o['length'], [...tp, 'length'], 0);
      g.hashes(o['hashes'], [...tp, 'hashes']);
      continue;
    }
    if (shape === 2) g.note(UPPERCASE_NOTE);
    if (Object.hasOwn(t as JsonObject, 'custom') && (t as JsonObject)['custom'] === null) {
      g.note(CUSTOM_NULL_NOTE);
    }
  }
  if (Object.hasOwn(s, 'delegations')) checkDelegations(g, s['delegations'], ['signed', 'delegations']);
}

function checkMetaFile(g: Guard, v: JsonValue | undefined, path: Path): void {
  const m = g.object(v, path);
  g.integer(m['version'], [...path, 'version'], 1);
  if (Object.hasOwn(m, 'length')) g.integer(m['length'], [...path, 'length'], 0);
  if (Object.hasOwn(m, 'hashes')) g.hashes(m['hashes'], [...path, 'hashes']);
}

function checkSnapshot(g: Guard, s: JsonObject): void {
  const meta = g.object(s['meta'], ['signed', 'meta']);
  for (const name of Object.keys(meta)) checkMetaFile(g, meta[name], ['signed', 'meta', name]);
}

function checkTimestamp(g: Guard, s: JsonObject): void {
  const meta = g.object(s['meta'], ['signed', 'meta']);
  if (!Object.hasOwn(meta, 'snapshot.json')) g.fail(['signed', 'meta', 'snapshot.json'], 'the entry is missing');
  for (const name of Object.keys(meta)) checkMetaFile(g, meta[name], ['signed', 'meta', name]);
  if (Object.keys(meta).length !== 1) {
    g.note('timestamp meta lists more than snapshot.json (python-tuf and tuf-js then fail its signature)');
  }
}

function signedBytesOf(g: Guard, signed: JsonObject, fromText: Buffer | undefined): Buffer {
  // Files written with sorted keys and no escapes (ours, python-tuf's): read off the text.
  if (fromText !== undefined) return fromText;
  try {
    return canonicalBytes(signed);
  } catch (e) {
    // parseJson already rejects floats and lone surrogates; kept as a backstop.
    if (e instanceof CanonicalError) g.fail(['signed', e.path.slice(2)], e.problem);
    throw e;
  }
}

/**
 * Parses a metadata file from its exact bytes.
 * @param expected the role type the caller expects; a different `_type` is an error
 * @throws InputError (exit 2) for anything malformed, naming file and field
 */
export function parseMetadata<T extends RoleType>(
  bytes: Uint8Array,
  file: string,
  expected: T
): ParsedMetadata<SignedByType[T]>;
export function parseMetadata(bytes: Uint8Array, file: string): ParsedMetadata;
export function parseMetadata(bytes: Uint8Array, file: string, expected?: RoleType): ParsedMetadata {
  const { value: json, canonicalBytes: signedFromText } = parseJsonWithMember(
    bytes,
    file,
    'signed',
    { maxBytes: expected === 'root' ? MAX_ROOT_BYTES : MAX_JSON_BYTES }
  );
  return metadataFromJson(json, bytes, file, expected, signedFromText);
}

const CONSUMED = new Uint8Array(0);

/**
 * {@link parseMetadata} for a caller that no longer needs the file's bytes
 * (verify of a large file, which takes its length and hashes first): the
 * canonical bytes are written over them and the value is read off those
 * (json.ts, `parseJsonConsuming`), so the file is held once. The result's
 * `bytes` is empty; `size` is the file's length.
 *
 * @returns undefined when the file needs the reference reader: the caller
 *   reads it again and calls {@link parseMetadata}, which names the field
 *   at fault (`bytes` is no longer the file either way).
 */
export function parseMetadataConsuming<T extends RoleType>(bytes: Uint8Array, file: string, expected: T): ParsedMetadata<SignedByType[T]> | undefined {
  const size = bytes.length;
  const parsed = parseJsonConsuming(bytes, file, 'signed', { maxBytes: expected === 'root' ? MAX_ROOT_BYTES : MAX_JSON_BYTES }, expected === 'targets');
  if (parsed === undefined) return undefined;
  return metadataFromJson(parsed.value, CONSUMED, file, expected, parsed.canonicalBytes, size) as ParsedMetadata<SignedByType[T]>;
}

/**
 * The checks of {@link parseMetadata} on a JSON value already read (or, for
 * the writer, about to be written as `bytes`). `signedFromText` null: the
 * canonical bytes are not wanted (`signedBytes` is then empty).
 */
export function metadataFromJson(
  json: JsonValue,
  bytes: Uint8Array,
  file: string,
  expected: RoleType | undefined,
  signedFromText: Buffer | undefined | null,
  size: number = bytes.length
): ParsedMetadata {
  const g: Guard = new Guard(file);
  const top = g.object(json, []);
  const signed = g.object(top['signed'], ['signed']);
  const sigs = g.array(top['signatures'], ['signatures']);
  const seen = new Set<string>();
  sigs.forEach((v, i) => {
    const sig = g.object(v, ['signatures', i]);
    const keyid = g.string(sig['keyid'], ['signatures', i, 'keyid']);
    g.string(sig['sig'], ['signatures', i, 'sig']);
    if (seen.has(keyid)) {
      g.fail(['signatures', i, 'keyid'], `duplicate key ID ${keyid} (clients reject the whole file)`);
    }
    seen.add(keyid);
  });

  const type = g.string(signed['_type'], ['signed', '_type']);
  if (!(TOP_LEVEL_ROLES as readonly string[]).includes(type)) {
    g.fail(['signed', '_type'], `unknown type "${type}" (expected root, targets, snapshot or timestamp)`);
  }
  if (expected !== undefined && type !== expected) {
    g.fail(['signed', '_type'], `is "${type}" where "${expected}" metadata is expected`);
  }
  const specVersion = g.string(signed['spec_version'], ['signed', 'spec_version']);
  if (!SPEC_VERSION.test(specVersion)) {
    g.fail(['signed', 'spec_version'], `"${specVersion}" is not a 1.x spec version`);
  }
  g.integer(signed['version'], ['signed', 'version'], 1);
  const expiresText = g.string(signed['expires'], ['signed', 'expires']);
  const expires = parseExpires(expiresText);
  if (expires === undefined) {
    g.fail(['signed', 'expires'], `"${expiresText}" is not a date-time of the form 2030-01-01T00:00:00Z`);
  }
  if (expires.legacy !== undefined) g.note(expires.legacy);

  switch (type as RoleType) {
    case 'root':
      checkRoot(g, signed);
      break;
    case 'targets':
      checkTargets(g, signed);
      break;
    case 'snapshot':
      checkSnapshot(g, signed);
      break;
    case 'timestamp':
      checkTimestamp(g, signed);
      break;
  }
  return {
    file,
    bytes,
    size,
    signed: signed as unknown as Signed,
    signatures: sigs as unknown as ParsedMetadata['signatures'],
    signedBytes: signedFromText === null ? Buffer.alloc(0) : signedBytesOf(g, signed, signedFromText),
    expiresAt: expires.ms,
    legacy: g.legacy,
    keyIdNotes: g.keyIdNotes,
  };
}

/**
 * Checks a key object read from our own inputs (public key files, plans):
 * there, unlike in metadata, `keyid` must be the key's own ID.
 */
export function checkKey(key: JsonValue | undefined, file: string, path: Path, keyid?: string): TufKey {
  const g = new Guard(file);
  const k = g.key(key, path);
  const computed = computeKeyId(k);
  if (keyid !== undefined && computed !== keyid) g.fail(path, `key ID does not match its key: the key hashes to ${computed}`);
  return k;
}
