// SPDX-License-Identifier: Apache-2.0
/**
 * The only way metadata leaves this tool. Emits the minimal safe profile of
 * docs/tuf-profile.md (from the TUF crib): strict `expires`, `consistent_snapshot`
 * always present, exactly the four top-level roles, lowercase hex, no nulls,
 * integers only, Ed25519 keys as hex and ECDSA keys as PEM, DER signatures,
 * every delegation `terminating` with exactly one of `paths` and
 * `path_hash_prefixes`, a timestamp listing only `snapshot.json`.
 *
 * Files are pretty-printed JSON with keys in code-point order and a final
 * newline. Nothing the strict parser would refuse is ever written: the
 * output is checked as it is written, and the parser's checks run on it
 * (see {@link serializeMetadata}); nor any control, bidi or invisible
 * character (src/metadata/plain-text.ts).
 */
import { fieldError } from '../errors.js';
import { sortByCodePoint } from './canonical.js';
import { DEFAULT_MAX_DEPTH, formatPath, MAX_JSON_BYTES, type JsonValue } from './json.js';
import { decodeKey } from './keys.js';
import { own, TOP_LEVEL_ROLES, type Metadata, type ParsedMetadata, type Root, type TargetFile, type Timestamp } from './model.js';
import { MAX_ROOT_BYTES, metadataFromJson, parseMetadata } from './parse.js';
import { type ByteSink, withSink } from './byte-sink.js';
import { assertNoControlCharacters, CONTROL_CHARACTERS } from './plain-text.js';

function write(v: unknown, indent: string, out: string[]): void {
  if (v === null || typeof v !== 'object') {
    out.push(JSON.stringify(v));
    return;
  }
  const inner = indent + '  ';
  if (Array.isArray(v)) {
    if (v.length === 0) {
      out.push('[]');
      return;
    }
    out.push('[\n');
    v.forEach((item, i) => {
      out.push(inner);
      write(item, inner, out);
      out.push(i < v.length - 1 ? ',\n' : '\n');
    });
    out.push(indent + ']');
    return;
  }
  const rec = v as Record<string, unknown>;
  const keys = sortByCodePoint(Object.keys(rec));
  if (keys.length === 0) {
    out.push('{}');
    return;
  }
  out.push('{\n');
  keys.forEach((k, i) => {
    out.push(inner + JSON.stringify(k) + ': ');
    write(rec[k], inner, out);
    out.push(i < keys.length - 1 ? ',\n' : '\n');
  });
  out.push(indent + '}');
}

function pretty(value: unknown): string {
  const out: string[] = [];
  write(value, '', out);
  return out.join('') + '\n';
}

/**
 * Pretty JSON with keys in code-point order, for every JSON file this tool
 * writes besides metadata. Not canonical JSON.
 * @param file the name used in the error message
 * @throws InputError when a key or string holds a control character ({@link assertNoControlCharacters})
 */
export function stringifySorted(value: unknown, file = 'the file to be written'): string {
  assertNoControlCharacters(value, file);
  return pretty(value);
}

const LOWER_HEX = /^[0-9a-f]+$/;
const KEYID = /^[0-9a-f]{64}$/;

/** LOWER_HEX without a regular expression (one per hash of every target). */
function isLowerHex(h: string): boolean {
  if (h.length === 0) return false;
  for (let i = 0; i < h.length; i++) {
    const c = h.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

function findNull(v: unknown, path: (string | number)[]): (string | number)[] | undefined {
  if (v === null) return path;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = findNull(v[i], [...path, i]);
      if (p) return p;
    }
  } else if (typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      const p = findNull(x, [...path, k]);
      if (p) return p;
    }
  }
  return undefined;
}

const ASTRAL = /[\u{10000}-\u{10FFFF}]/u;

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}
const HIGH_BMP = /[\uE000-\uFFFF]/;

/**
 * The first object whose keys mix a supplementary-plane character with one
 * in U+E000–U+FFFF: the only keys that tuf-js (UTF-16 code-unit order) sorts
 * differently from securesystemslib and go (code-point order), so a
 * signature over them verifies in some clients and not others.
 */
function findOrderConflict(v: unknown, path: (string | number)[]): (string | number)[] | undefined {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = findOrderConflict(v[i], [...path, i]);
      if (p) return p;
    }
  } else if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v);
    let astral = false;
    let high = false;
    for (const k of keys) {
      // Fast path: ASCII keys (nearly all) can be in neither set.
      if (isAscii(k)) continue;
      astral ||= ASTRAL.test(k);
      high ||= HIGH_BMP.test(k);
    }
    if (astral && high) return path;
    for (const [k, x] of Object.entries(v)) {
      const p = findOrderConflict(x, [...path, k]);
      if (p) return p;
    }
  }
  return undefined;
}

/**
 * Checks that parsed metadata is inside the minimal safe profile.
 * @throws InputError naming the file and the first field outside it
 */
export function checkProfile(md: ParsedMetadata): void {
  checkProfileSeen(md, { control: true, nul: true, wideKey: true });
}

/** {@link checkProfile}, skipping the walks for nulls and for key orders when the writer saw none. */
function checkProfileSeen(md: ParsedMetadata, seen: Seen): void {
  const fail = (path: (string | number)[], problem: string): never => {
    throw fieldError(md.file, formatPath(path), `outside the safe profile: ${problem}`);
  };
  if (md.legacy.length > 0) fail(['signed'], md.legacy[0] as string);
  const s = md.signed;
  const nul = seen.nul ? findNull(s, ['signed']) : undefined;
  if (nul) fail(nul, 'null values are not written');
  const mix = seen.wideKey ? findOrderConflict(s, ['signed']) : undefined;
  if (mix) {
    fail(mix, 'its keys mix characters beyond U+FFFF with U+E000–U+FFFF, which tuf-js sorts differently from python-tuf and go-tuf (their canonical JSON, and so their signatures, would differ)');
  }
  const keyMaps: [string | number, ...(string | number)[]][] = [];
  if (s._type === 'root') {
    const root = s;
    const names = Object.keys(root.roles);
    if (names.length !== 4 || !TOP_LEVEL_ROLES.every((r) => names.includes(r))) {
      fail(['signed', 'roles'], 'exactly root, targets, snapshot and timestamp');
    }
    for (const name of names) {
      for (const keyid of own(root.roles, name)?.keyids ?? []) {
        if (own(root.keys, keyid) === undefined) fail(['signed', 'roles', name, 'keyids'], `${keyid} is not in keys`);
      }
    }
    keyMaps.push(['signed', 'keys']);
  }
  if (s._type === 'targets') {
    const t = s;
    // Keys, not entries: no pair array per target in a 100,000-target file.
    for (const path of Object.keys(t.targets)) {
      const hashes = (t.targets[path] as TargetFile).hashes;
      for (const alg of Object.keys(hashes)) {
        if (alg !== 'sha256' && alg !== 'sha512') fail(['signed', 'targets', path, 'hashes', alg], 'only sha256 and sha512');
        if (!isLowerHex(hashes[alg] as string)) fail(['signed', 'targets', path, 'hashes', alg], 'lowercase hex');
      }
      if (path.charCodeAt(0) === 47) fail(['signed', 'targets', path], 'target paths must not start with /');
    }
    if (t.delegations !== undefined) {
      keyMaps.push(['signed', 'delegations', 'keys']);
      t.delegations.roles?.forEach((r, i) => {
        if (!/^[A-Za-z0-9._-]+$/.test(r.name)) fail(['signed', 'delegations', 'roles', i, 'name'], 'role names use only A-Z a-z 0-9 . _ -');
        for (const keyid of r.keyids) {
          if (own(t.delegations?.keys ?? {}, keyid) === undefined) fail(['signed', 'delegations', 'roles', i, 'keyids'], `${keyid} is not in keys`);
        }
      });
      const sr = t.delegations.succinct_roles;
      if (sr !== undefined && (sr.name_prefix.endsWith('-') || !/^[A-Za-z0-9._-]+$/.test(sr.name_prefix))) {
        fail(['signed', 'delegations', 'succinct_roles', 'name_prefix'], 'use only A-Z a-z 0-9 . _ - and do not end with -');
      }
    }
  }
  if (s._type === 'snapshot' || s._type === 'timestamp') {
    for (const [name, m] of Object.entries((s as Timestamp).meta)) {
      if (m.length === 0) fail(['signed', 'meta', name, 'length'], 'length 0 is dropped by go-tuf');
      for (const [alg, h] of Object.entries(m.hashes ?? {})) {
        if (alg !== 'sha256' && alg !== 'sha512') fail(['signed', 'meta', name, 'hashes', alg], 'only sha256 and sha512');
        if (!LOWER_HEX.test(h)) fail(['signed', 'meta', name, 'hashes', alg], 'lowercase hex');
      }
    }
  }
  for (const path of keyMaps) {
    let obj: unknown = s;
    for (const seg of path.slice(1)) obj = (obj as Record<string, unknown>)[seg];
    for (const [keyid, key] of Object.entries(obj as Root['keys'])) {
      const decoded = decodeKey(key);
      if (decoded.$case !== 'supported') fail([...path, keyid], decoded.reason);
      else if (decoded.legacy.length > 0) fail([...path, keyid], decoded.legacy[0] as string);
      if (key.keyval.public.startsWith('-----') && !key.keyval.public.endsWith('-----END PUBLIC KEY-----\n')) {
        fail([...path, keyid, 'keyval', 'public'], 'PEM must end with a newline');
      }
    }
  }
  md.signatures.forEach((sig, i) => {
    if (!KEYID.test(sig.keyid)) fail(['signatures', i, 'keyid'], 'key IDs are 64 lowercase hex characters');
    if (sig.sig !== '' && !LOWER_HEX.test(sig.sig)) fail(['signatures', i, 'sig'], 'signatures are lowercase hex');
  });
}

/** What {@link writeChecked} saw that later checks must look at. */
interface Seen {
  /** A key or string holding a refused character, or a newline (allowed in PEM): assertNoControlCharacters decides. */
  control: boolean;
  /** A null value. */
  nul: boolean;
  /** A key beyond ASCII (keys mixing U+E000–U+FFFF with astral characters). */
  wideKey: boolean;
}

const HEX = '0123456789abcdef';

const NOT_WRITTEN = 0;
const ASCII = 1;
const WIDE = 2;

/**
 * Writes `s` as JSON.stringify does (escaping `"`, `\` and controls), ASCII
 * byte by byte, a string beyond ASCII through JSON.stringify. Returns
 * whether it was ASCII, or NOT_WRITTEN for a lone surrogate.
 */
function stringChecked(s: string, sink: ByteSink, seen: Seen): number {
  const n = s.length;
  const start = sink.len;
  sink.reserve(6 * n + 2);
  const buf = sink.buf;
  let p = start;
  buf[p++] = 34;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x7f) {
      if (c === 0x7f) {
        seen.control = true;
        buf[p++] = c;
        continue;
      }
      if (!s.isWellFormed()) return NOT_WRITTEN;
      seen.control ||= CONTROL_CHARACTERS.test(s);
      sink.len = start;
      sink.utf8(JSON.stringify(s));
      return WIDE;
    }
    if (c === 34 || c === 92) {
      buf[p++] = 92;
      buf[p++] = c;
    } else if (c < 0x20) {
      seen.control = true;
      buf[p++] = 92;
      const short = c === 8 ? 98 : c === 9 ? 116 : c === 10 ? 110 : c === 12 ? 102 : c === 13 ? 114 : 0;
      if (short !== 0) buf[p++] = short;
      else {
        buf[p++] = 117; // \u00XX, lowercase hex as JSON.stringify
        buf[p++] = 48;
        buf[p++] = 48;
        buf[p++] = HEX.charCodeAt(c >> 4);
        buf[p++] = HEX.charCodeAt(c & 15);
      }
    } else buf[p++] = c;
  }
  buf[p++] = 34;
  sink.len = p;
  return ASCII;
}

/**
 * Writes `v` like {@link write}, as UTF-8 into `sink`, and checks, in the
 * same walk, that the text is what the strict reader reads back as `v`
 * itself: plain objects and arrays (no holes, no foreign prototypes) nested
 * at most 64 deep, safe integers, booleans, null and well-formed strings.
 * False at the first thing that is not (then the text may not even be
 * JSON). Notes in `seen` what the later checks must walk for.
 */
function writeChecked(v: unknown, level: number, sink: ByteSink, seen: Seen): boolean {
  switch (typeof v) {
    case 'string':
      return stringChecked(v, sink, seen) !== NOT_WRITTEN;
    case 'number':
      if (!Number.isSafeInteger(v) || Object.is(v, -0)) return false;
      sink.ascii(String(v));
      return true;
    case 'boolean':
      sink.ascii(v ? 'true' : 'false');
      return true;
    case 'object':
      break;
    default:
      return false;
  }
  if (v === null) {
    seen.nul = true;
    sink.ascii('null');
    return true;
  }
  if (level >= DEFAULT_MAX_DEPTH) return false;
  const inner = 2 * level + 2;
  if (Array.isArray(v)) {
    if (Object.getPrototypeOf(v) !== Array.prototype) return false;
    if (v.length === 0) {
      sink.ascii('[]');
      return true;
    }
    sink.byte(91);
    for (let i = 0; i < v.length; i++) {
      if (!(i in v)) return false;
      if (i > 0) sink.byte(44);
      sink.newline(inner);
      if (!writeChecked(v[i], level + 1, sink, seen)) return false;
    }
    sink.newline(inner - 2);
    sink.byte(93);
    return true;
  }
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  const rec = v as Record<string, unknown>;
  const keys = sortByCodePoint(Object.keys(rec));
  if (keys.length === 0) {
    sink.ascii('{}');
    return true;
  }
  sink.byte(123);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    if (i > 0) sink.byte(44);
    sink.newline(inner);
    const written = stringChecked(k, sink, seen);
    if (written === NOT_WRITTEN) return false;
    if (written === WIDE) seen.wideKey = true;
    sink.ascii(': ');
    if (!writeChecked(rec[k], level + 1, sink, seen)) return false;
  }
  sink.newline(inner - 2);
  sink.byte(125);
  return true;
}

/**
 * Serializes metadata for writing, refusing anything outside the profile.
 *
 * The guarantee: only what the strict reader accepts is written. The bytes
 * are written and checked in one walk (see {@link writeChecked}): when the
 * walk vouches that reading them back gives this very value, the reader's
 * checks run on the value (no second parse); otherwise the bytes are read
 * back with {@link parseMetadata}, whose errors name the file and field.
 * @param file the name used in error messages
 * @throws InputError when the metadata is malformed or outside the profile
 */
export function serializeMetadata(md: Metadata, file: string): Uint8Array {
  const value = { signatures: md.signatures, signed: md.signed };
  const seen: Seen = { control: false, nul: false, wideKey: false };
  const written = withSink((sink) => {
    if (!writeChecked(value, 0, sink, seen)) return undefined;
    sink.byte(10);
    return sink.take();
  });
  if (written === undefined) {
    // Not what the reader would read back as this value: the reader says why.
    assertNoControlCharacters(value, file);
    const bytes = Buffer.from(pretty(value), 'utf8');
    checkProfile(parseMetadata(bytes, file, md.signed._type));
    return bytes;
  }
  // The writer saw only ASCII keys and strings without controls, or this walk decides.
  if (seen.control) assertNoControlCharacters(value, file);
  const limit = md.signed._type === 'root' ? MAX_ROOT_BYTES : MAX_JSON_BYTES;
  if (written.length > limit) {
    checkProfile(parseMetadata(written, file, md.signed._type));
  } else {
    checkProfileSeen(metadataFromJson(value as unknown as JsonValue, written, file, md.signed._type, null), seen);
  }
  return written;
}
