// SPDX-License-Identifier: Apache-2.0
/**
 * Builds the JSON value of canonical bytes that this reader's own scan
 * wrote (json.ts, `canonicalScan` in place): no whitespace, strings that
 * escape only `"` and `\` (every other character as its UTF-8, control
 * characters included), integers of at most 15 digits, keys in code-point
 * order with no duplicates. That grammar is all it reads: it is not a
 * parser for text from outside, which `canonicalScan` has checked before
 * it wrote these bytes. It is pure.
 *
 * Why: `JSON.parse` needs the file as a JS string, a second copy of the
 * file beside the bytes. Reading the value off the canonical bytes, which
 * were written over the file's own bytes, keeps one copy: peak memory of
 * `verify` on a large targets.json is the file and the parsed value.
 * Objects and arrays below the top of up to 4 KiB with no control
 * character (a target, its hashes) are still given to `JSON.parse`, a
 * slice at a time: their canonical bytes are JSON, and it makes objects
 * of their exact size (built a member at a time, each object has room for
 * four; 48 MB more at 1,000,000 targets).
 */
import type { JsonValue } from './json.js';

/** Short ASCII strings seen (keys, repeated values such as "sdist"): one string each. */
const CACHE_SIZE = 4096;
const CACHE_MAX = 24;
/** Objects and arrays up to this many bytes are given to JSON.parse. */
const SMALL_VALUE = 4096;

/** The value of canonical bytes, and where the value of a top-level key stands in them. */
export interface CanonicalRead {
  readonly value: JsonValue;
  /** [start, end) of the value of the top-level member asked for; undefined when absent. */
  readonly member: readonly [number, number] | undefined;
}

const ESCAPED = /\\(["\\])/g;

/**
 * For scanning strings four bytes at a time (a little-endian 32-bit word
 * `w`): bit 7 of each byte is set where `w` may hold a quote or a
 * backslash (the zero-byte test; a byte after a real one may also be
 * flagged, so callers then look byte by byte).
 */
export function quoteOrBackslash(w: number): number {
  const q = w ^ 0x22222222;
  const b = w ^ 0x5c5c5c5c;
  return (((q - 0x01010101) & ~q) | ((b - 0x01010101) & ~b)) & 0x80808080;
}

/** As {@link quoteOrBackslash}, for a byte below 0x20 (a control character). */
export function controlByte(w: number): number {
  return (w - 0x20202020) & ~w & 0x80808080;
}

/** Keys of the big objects read, in their order (see {@link keysAsRead}). */
const KEYS = new WeakMap<object, readonly string[]>();
/** Objects with at least this many members remember their keys. */
const REMEMBER_KEYS = 1024;
const INDEX_LIKE = /^(?:0|[1-9]\d*)$/;

/**
 * The keys of an object this reader built, as `Object.keys` gives them,
 * when it has many (a targets map): `Object.keys` of a 1,000,000-key
 * object costs about half a second (V8 sorts its dictionary), and verify
 * needs them twice. Undefined for any other object. Only for values not
 * changed since they were read (verify never changes them).
 */
export function keysAsRead(o: object): readonly string[] | undefined {
  return KEYS.get(o);
}

export function readCanonical(buf: Buffer, memberKey: string): CanonicalRead {
  const n = buf.length;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const last4 = n - 4;
  const cache: (string | undefined)[] = new Array<string | undefined>(CACHE_SIZE);
  let i = 0;
  let member: [number, number] | undefined;

  const fail = (what: string): never => {
    throw new Error(`internal: canonical bytes not as written (${what} at byte ${String(i)})`);
  };

  /** A string whose opening quote is at `i`. */
  const str = (): string => {
    const s = ++i;
    let plain = true;
    let ascii = true;
    for (;;) {
      while (i <= last4) {
        const w = view.getUint32(i, true);
        if ((quoteOrBackslash(w) | (w & 0x80808080)) !== 0) break;
        i += 4;
      }
      const c = buf[i];
      if (c === 34) break;
      if (c === undefined) fail('an unclosed string');
      if (c === 92) {
        plain = false;
        i += 2;
        continue;
      }
      if ((c as number) >= 128) ascii = false;
      i++;
    }
    const e = i++;
    if (!plain) return buf.toString('utf8', s, e).replace(ESCAPED, '$1');
    if (!ascii) return buf.toString('utf8', s, e);
    const len = e - s;
    if (len > CACHE_MAX) return buf.toString('latin1', s, e);
    let h = len;
    for (let k = s; k < e; k++) h = (Math.imul(h, 31) + (buf[k] as number)) | 0;
    const slot = h & (CACHE_SIZE - 1);
    const seen = cache[slot];
    if (seen !== undefined && seen.length === len) {
      let k = 0;
      while (k < len && seen.charCodeAt(k) === buf[s + k]) k++;
      if (k === len) return seen;
    }
    const made = buf.toString('latin1', s, e);
    cache[slot] = made;
    return made;
  };

  /**
   * Where the object or array opening at `i` ends, when it ends within
   * {@link SMALL_VALUE} bytes and holds no control character (which
   * canonical bytes leave raw, and JSON.parse refuses); else -1.
   * `nonAscii` then says whether it holds a byte beyond ASCII.
   */
  let nonAscii = false;
  const smallEnd = (): number => {
    const limit = Math.min(n, i + SMALL_VALUE);
    let depth = 0;
    let k = i;
    nonAscii = false;
    while (k < limit) {
      const c = buf[k] as number;
      if (c === 34) {
        k++;
        for (;;) {
          while (k + 4 <= limit) {
            const w = view.getUint32(k, true);
            if ((quoteOrBackslash(w) | controlByte(w) | (w & 0x80808080)) !== 0) break;
            k += 4;
          }
          if (k >= limit) return -1;
          const d = buf[k] as number;
          if (d === 34) break;
          if (d < 32) return -1;
          if (d >= 128) nonAscii = true;
          k += d === 92 ? 2 : 1;
        }
      } else if (c === 123 || c === 91) {
        depth++;
      } else if (c === 125 || c === 93) {
        if (--depth === 0) return k + 1;
      }
      k++;
    }
    return -1;
  };

  const value = (depth: number): JsonValue => {
    const c = buf[i];
    if ((c === 123 || c === 91) && depth > 0) {
      // Small objects and arrays (a target, its hashes; not the document,
      // whose member is looked for): JSON.parse of their canonical bytes,
      // which are JSON; it makes objects of their exact size.
      const end = smallEnd();
      if (end !== -1) {
        const v = JSON.parse(buf.toString(nonAscii ? 'utf8' : 'latin1', i, end)) as JsonValue;
        i = end;
        return v;
      }
    }
    switch (c) {
      case 34:
        return str();
      case 123: {
        i++;
        const o: Record<string, JsonValue> = {};
        if (buf[i] === 125) {
          i++;
          return o;
        }
        const keys: string[] = [];
        // Object.keys lists index-like keys first: then it is not asked.
        let indexLike = false;
        for (;;) {
          if (buf[i] !== 34) fail('a key');
          const k = str();
          keys.push(k);
          if (!indexLike && k.charCodeAt(0) <= 57 && INDEX_LIKE.test(k) && Number(k) < 4294967295) indexLike = true;
          if (buf[i++] !== 58) fail('a colon');
          const start = i;
          const v = value(depth + 1);
          if (depth === 0 && k === memberKey) member = [start, i];
          // As JSON.parse does: an own property, whatever the key.
          if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
          else o[k] = v;
          const d = buf[i++];
          if (d === 44) continue;
          if (d !== 125) return fail('a comma or brace');
          if (keys.length >= REMEMBER_KEYS && !indexLike) KEYS.set(o, keys);
          return o;
        }
      }
      case 91: {
        i++;
        const a: JsonValue[] = [];
        if (buf[i] === 93) {
          i++;
          return a;
        }
        for (;;) {
          a.push(value(depth + 1));
          const d = buf[i++];
          if (d === 44) continue;
          if (d === 93) return a;
          return fail('a comma or bracket');
        }
      }
      case 116:
        i += 4;
        return true;
      case 102:
        i += 5;
        return false;
      case 110:
        i += 4;
        return null;
      default: {
        const neg = c === 45;
        if (neg) i++;
        let x = 0;
        const s = i;
        for (;;) {
          const d = buf[i];
          if (d === undefined || d < 48 || d > 57) break;
          x = x * 10 + (d - 48);
          i++;
        }
        if (i === s) fail('a value');
        return neg ? -x : x;
      }
    }
  };

  const v = value(0);
  if (i !== n) fail('bytes after the value');
  return { value: v, member };
}
