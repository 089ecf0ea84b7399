// SPDX-License-Identifier: Apache-2.0
/**
 * OLPC canonical JSON, byte for byte as securesystemslib `encode_canonical`
 * computes it: no whitespace, object keys sorted by Unicode code point,
 * strings emitted raw with only `\` and `"` escaped, integers only.
 *
 * The output is not always valid JSON (control characters are raw): use it
 * only as the bytes to hash or sign, never as a file format.
 */
import { type ByteSink, withSink } from './byte-sink.js';

/** Maps a UTF-16 code unit so that comparing mapped units gives code-point order. */
function fixup(unit: number): number {
  // Surrogates (D800-DFFF) encode code points above FFFF, so they must sort
  // after E000-FFFF; plain UTF-16 comparison puts them before.
  if (unit >= 0xd800) return unit <= 0xdfff ? unit + 0x2000 : unit - 0x800;
  return unit;
}

/**
 * Compares two strings by Unicode code point (= UTF-8 byte order), the order
 * python's `sorted()` and go's `sort.Strings` use.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return fixup(x) - fixup(y);
  }
  return a.length - b.length;
}

const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * Sorts strings by code point, in place: with no surrogate among them
 * (nearly always), UTF-16 order is code-point order and the native sort
 * (no comparator) is used; else {@link compareCodePoints}. Already sorted
 * lists are only checked.
 */
export function sortByCodePoint(keys: string[]): string[] {
  let sorted = true;
  let surrogates = false;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    if (!surrogates && SURROGATE.test(k)) surrogates = true;
    if (sorted && i > 0 && (keys[i - 1] as string) > k) sorted = false;
  }
  if (sorted && !surrogates) return keys;
  return surrogates ? keys.sort(compareCodePoints) : keys.sort();
}

const NEEDS_ESCAPE = /["\\]/;

/** `s` with `\` and `"` escaped, the only escapes of canonical JSON. */
function escapeText(s: string): string {
  return NEEDS_ESCAPE.test(s) ? s.replace(/\\/g, '\\\\').replace(/"/g, '\\"') : s;
}

function encodeString(s: string): string {
  return '"' + escapeText(s) + '"';
}

function sortedKeys(o: object): string[] {
  // Files written by python-tuf (sort_keys=True) and by this tool are
  // already in order: checked before paying for a sort.
  return sortByCodePoint(Object.keys(o));
}

function isPlainObject(v: object): boolean {
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Raised while encoding; the path is filled in as the error unwinds. */
export class CanonicalError extends TypeError {
  readonly segments: string[] = [];
  readonly problem: string;
  constructor(problem: string) {
    super(problem);
    this.problem = problem;
  }
  /** `$.signed.keys["ab"].keyval` style path of the offending value. */
  get path(): string {
    return '$' + [...this.segments].reverse().join('');
  }
}

function segment(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? '.' + key : JSON.stringify([key]);
}

function encode(v: unknown): string {
  switch (typeof v) {
    case 'string':
      if (!v.isWellFormed()) {
        throw new CanonicalError('string holds a lone UTF-16 surrogate');
      }
      return encodeString(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      if (!Number.isSafeInteger(v)) {
        throw new CanonicalError(
          `${String(v)} is not an integer in [-(2^53-1), 2^53-1]`
        );
      }
      // -0 is emitted as 0, as python does for the JSON text "-0".
      return v === 0 ? '0' : String(v);
    case 'object': {
      if (v === null) return 'null';
      if (Array.isArray(v)) {
        let out = '[';
        for (let i = 0; i < v.length; i++) {
          if (i > 0) out += ',';
          try {
            out += encode(v[i]);
          } catch (e) {
            if (e instanceof CanonicalError) e.segments.push(`[${String(i)}]`);
            throw e;
          }
        }
        return out + ']';
      }
      if (!isPlainObject(v)) {
        throw new CanonicalError('not a plain JSON object');
      }
      const rec = v as Record<string, unknown>;
      const keys = sortedKeys(rec);
      let out = '{';
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i] as string;
        if (i > 0) out += ',';
        try {
          if (!k.isWellFormed()) {
            throw new CanonicalError('key holds a lone UTF-16 surrogate');
          }
          out += encodeString(k) + ':' + encode(rec[k]);
        } catch (e) {
          if (e instanceof CanonicalError) e.segments.push(segment(k));
          throw e;
        }
      }
      return out + '}';
    }
    default:
      throw new CanonicalError(`${typeof v} cannot be canonicalized`);
  }
}

/** Thrown by the fast path when `encode` must decide. Never escapes this module. */
class Bail extends Error {}
const BAIL = new Bail('canonical fast path bailed out');

/**
 * Returns the canonical JSON text of a JSON value: the UTF-8 of
 * {@link canonicalBytes}, read back.
 * @throws CanonicalError (a TypeError) for floats, unsafe integers, undefined, functions,
 *   non-plain objects and lone surrogates.
 */
export function canonicalize(value: unknown): string {
  return canonicalBytes(value).toString('utf8');
}

/*
 * Fast path. `encodeInto` writes what `encode` returns, as UTF-8, straight
 * into a byte buffer: ASCII byte by byte (only `"` and `\` escaped), the
 * rest of a string from its first non-ASCII character with utf8Write. It
 * throws BAIL wherever `encode` would throw, and `encode` then decides, so
 * the results and errors of {@link canonicalBytes} are exactly those of
 * `encode`.
 */

function stringInto(s: string, sink: ByteSink): void {
  const n = s.length;
  sink.reserve(2 * n + 2);
  const buf = sink.buf;
  let p = sink.len;
  buf[p++] = 34;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) {
      if (!s.isWellFormed()) throw BAIL;
      sink.len = p;
      sink.utf8(escapeText(s.slice(i)));
      sink.byte(34);
      return;
    }
    if (c === 34 || c === 92) buf[p++] = 92;
    buf[p++] = c;
  }
  buf[p++] = 34;
  sink.len = p;
}

function encodeInto(v: unknown, sink: ByteSink): void {
  switch (typeof v) {
    case 'string':
      stringInto(v, sink);
      return;
    case 'boolean':
      sink.ascii(v ? 'true' : 'false');
      return;
    case 'number':
      if (!Number.isSafeInteger(v)) throw BAIL;
      sink.ascii(v === 0 ? '0' : String(v));
      return;
    case 'object': {
      if (v === null) {
        sink.ascii('null');
        return;
      }
      if (Array.isArray(v)) {
        sink.byte(91);
        for (let i = 0; i < v.length; i++) {
          if (i > 0) sink.byte(44);
          encodeInto(v[i], sink);
        }
        sink.byte(93);
        return;
      }
      if (!isPlainObject(v)) throw BAIL;
      const rec = v as Record<string, unknown>;
      const keys = sortedKeys(rec);
      sink.byte(123);
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i] as string;
        if (i > 0) sink.byte(44);
        // A lone surrogate in a key makes stringInto bail.
        stringInto(k, sink);
        sink.byte(58);
        encodeInto(rec[k], sink);
      }
      sink.byte(125);
      return;
    }
    default:
      throw BAIL;
  }
}

/**
 * The canonical bytes (UTF-8 of {@link canonicalize}): what TUF signs.
 * @throws CanonicalError as {@link canonicalize} does
 */
export function canonicalBytes(value: unknown): Buffer {
  try {
    return withSink((sink) => {
      encodeInto(value, sink);
      return sink.take();
    });
  } catch (e) {
    // BAIL, or a RangeError (stack or buffer size): the reference decides.
    if (e !== BAIL && !(e instanceof RangeError)) throw e;
  }
  return Buffer.from(encode(value), 'utf8');
}
