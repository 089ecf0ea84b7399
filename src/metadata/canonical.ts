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

/*
 * Fast path. For JSON values, `JSON.stringify` (native, one flat string)
 * already writes the canonical text of a subtree whose objects are plain with
 * keys in code-point order and whose numbers are safe integers, except that it
 * escapes control characters (\b \f \n \r \t \u00XX), which canonical
 * JSON emits raw, and lone surrogates (\uDXXX), which canonical JSON refuses.
 * `walk` checks the first part without building strings; `plain` stringifies
 * and undoes those escapes. Anything unusual (a non-JSON value, an unsafe
 * number, a lone surrogate, a foreign prototype) throws BAIL, and `encode`
 * above, the reference implementation, recomputes the whole value: so
 * results and errors are exactly those of `encode`.
 */

/** Thrown by the fast path when `encode` must decide. Never escapes this module. */
class Bail extends Error {}
const BAIL = new Bail('canonical fast path bailed out');

/** Undoes the escapes `JSON.stringify` adds beyond \" and \\. */
function unescapeControls(s: string, first: number): string {
  let out = '';
  let last = 0;
  let i = first;
  while (i !== -1) {
    let rep: string;
    let len = 2;
    switch (s.charCodeAt(i + 1)) {
      case 34: // \"
      case 92: // \\
        i = s.indexOf('\\', i + 2);
        continue;
      case 98:
        rep = '\b';
        break;
      case 102:
        rep = '\f';
        break;
      case 110:
        rep = '\n';
        break;
      case 114:
        rep = '\r';
        break;
      case 116:
        rep = '\t';
        break;
      default: {
        // \uXXXX: a control character, or a lone surrogate (refused).
        const code = parseInt(s.slice(i + 2, i + 6), 16);
        if (code >= 0xd800) throw BAIL;
        rep = String.fromCharCode(code);
        len = 6;
      }
    }
    out += s.slice(last, i) + rep;
    last = i + len;
    i = s.indexOf('\\', last);
  }
  return out + s.slice(last);
}

/** Canonical text of a subtree `walk` found clean. */
function plain(v: unknown): string {
  const s = JSON.stringify(v);
  const b = s.indexOf('\\');
  return b === -1 ? s : unescapeControls(s, b);
}

/** Objects and arrays `walk` has entered in this call of `canonicalize`. */
let containers = 0;

/** Up to this many objects and arrays, `encode` is faster than JSON.stringify. */
const SMALL_VALUE = 8;

/**
 * Checks a subtree. Returns null when it is clean (`plain` gives its
 * canonical text), else its canonical text, built around its clean parts
 * (objects whose keys are out of order are not clean).
 */
function walk(v: unknown): string | null {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return null;
    case 'number':
      if (!Number.isSafeInteger(v)) throw BAIL;
      return null;
    case 'object': {
      if (v === null) return null;
      containers++;
      if (Array.isArray(v)) {
        if (Object.getPrototypeOf(v) !== Array.prototype) throw BAIL;
        const n = v.length;
        let parts: (string | null)[] | null = null;
        for (let i = 0; i < n; i++) {
          const r = walk(v[i]);
          if (r !== null) {
            parts ??= new Array<string | null>(n).fill(null);
            parts[i] = r;
          }
        }
        if (parts === null) return null;
        let out = '[';
        for (let i = 0; i < n; i++) {
          if (i > 0) out += ',';
          out += parts[i] ?? plain(v[i]);
        }
        return out + ']';
      }
      if (!isPlainObject(v)) throw BAIL;
      const rec = v as Record<string, unknown>;
      const keys = Object.keys(rec);
      const n = keys.length;
      let sorted = true;
      for (let i = 1; i < n; i++) {
        if (compareCodePoints(keys[i - 1] as string, keys[i] as string) > 0) {
          sorted = false;
          break;
        }
      }
      let parts: Map<string, string> | null = null;
      for (let i = 0; i < n; i++) {
        const k = keys[i] as string;
        const x = rec[k];
        // Strings and safe integers inline: most values are leaves.
        if (typeof x === 'string') continue;
        if (typeof x === 'number' && Number.isSafeInteger(x)) continue;
        const r = walk(x);
        if (r !== null) {
          parts ??= new Map();
          parts.set(k, r);
        }
      }
      if (sorted && parts === null) return null;
      if (!sorted) sortByCodePoint(keys);
      let out = '{';
      for (let i = 0; i < n; i++) {
        const k = keys[i] as string;
        if (!k.isWellFormed()) throw BAIL;
        if (i > 0) out += ',';
        out += encodeString(k) + ':' + (parts?.get(k) ?? plain(rec[k]));
      }
      return out + '}';
    }
    default:
      throw BAIL;
  }
}

/**
 * Returns the canonical JSON text of a JSON value.
 * @throws CanonicalError (a TypeError) for floats, unsafe integers, undefined, functions,
 *   non-plain objects and lone surrogates.
 */
export function canonicalize(value: unknown): string {
  // A toJSON on a shared prototype would change what JSON.stringify writes.
  const fast = !('toJSON' in Object.prototype) && !('toJSON' in Array.prototype);
  if (fast) {
    try {
      containers = 0;
      const text = walk(value);
      if (text !== null) return text;
      // Small values (key objects): the reference encoder is faster than JSON.stringify.
      return containers <= SMALL_VALUE ? encode(value) : plain(value);
    } catch (e) {
      // BAIL, or a RangeError (stack or string length): the reference decides.
      if (e !== BAIL && !(e instanceof RangeError)) throw e;
    }
  }
  return encode(value);
}

/*
 * Bytes path. `encodeInto` writes what `encode` returns, as UTF-8, straight
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
