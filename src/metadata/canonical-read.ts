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
 * four; 48 MB more at 1,000,000 targets). For verify, a targets file's
 * targets are not built at all (`targetsByShape`): each is checked on its
 * bytes, and only where its path stands is kept.
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

/** Bit 7 of each byte of `w` (ASCII bytes only) set where the byte is at least `lo`. */
const atLeast = (w: number, lo: number): number => ((w | 0x80808080) - lo * 0x01010101) & 0x80808080;
const HIGH = 0x80808080 | 0;

/**
 * For a little-endian word of four bytes: 0 when one is not a hex digit,
 * else 1 (0-9, a-f only) or 3 (some A-F), as {@link HEX_BYTE} would add them up.
 */
export function hexWord(w: number): number {
  if ((w & 0x80808080) !== 0) return 0;
  const digit = atLeast(w, 0x30) & ~atLeast(w, 0x3a);
  const lower = atLeast(w, 0x61) & ~atLeast(w, 0x67);
  const upper = atLeast(w, 0x41) & ~atLeast(w, 0x47);
  if ((digit | lower | upper) !== HIGH) return 0;
  return upper === 0 ? 1 : 3;
}

/**
 * Keys of the big objects read, in their order (see {@link keysAsRead});
 * for a targets map read by shape, a function that makes them when first
 * asked (verify asks only when a path is not plain).
 */
const KEYS = new WeakMap<object, readonly string[] | (() => readonly string[])>();
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
  const k = KEYS.get(o);
  if (typeof k !== 'function') return k;
  const made = k();
  KEYS.set(o, made);
  return made;
}

/** What {@link readCanonical} found in a targets map it checked by shape only. */
interface ShapeRead {
  /** The notes checkTargets makes for these targets, in the order it makes them. */
  readonly notes: readonly string[];
  /**
   * Every path is printable ASCII with no upper-case letter (nearly every
   * targets file): verify's path warnings have nothing to say of such
   * paths (no hidden character, not beyond NFC, and each is its own
   * look-alike form, so no two share one).
   */
  readonly plainPaths: boolean;
}
const SHAPES = new WeakMap<object, ShapeRead>();

/** The notes of parse.ts `checkTargets` (the same text: they are compared). */
export const UPPERCASE_NOTE = 'uppercase hex digest (python-tuf compares lowercase)';
export const CUSTOM_NULL_NOTE = '"custom": null in a target (go-tuf drops it and the signature breaks)';

/**
 * For a targets map read by shape only (`readCanonical` with
 * `targetsByShape`): the notes its targets call for. Undefined for any
 * other object.
 */
export function targetsReadByShape(o: object): ShapeRead | undefined {
  return SHAPES.get(o);
}

/**
 * Stands for a targets map whose targets were checked on their bytes and
 * never built: its paths are in {@link keysAsRead}; reading anything else of
 * it is a bug and throws, loudly, rather than finding no targets.
 */
const NOT_BUILT: ProxyHandler<object> = {
  get: notBuilt,
  has: notBuilt,
  ownKeys: notBuilt,
  getOwnPropertyDescriptor: notBuilt,
  set: notBuilt,
  defineProperty: notBuilt,
  deleteProperty: notBuilt,
};
function notBuilt(): never {
  throw new Error('internal: a targets map read by shape only (verify) has no target objects to read');
}

/** Hex digit classes by byte: 1 = 0-9 or a-f, 3 = A-F, 4 = anything else (as parse.ts HEX_CLASS). */
const HEX_BYTE = (() => {
  const t = new Uint8Array(256).fill(4);
  for (const c of '0123456789abcdef') t[c.charCodeAt(0)] = 1;
  for (const c of 'ABCDEF') t[c.charCodeAt(0)] = 3;
  return t;
})();
const word6 = (w: string): number[] => [...w].map((c) => c.charCodeAt(0));
const LENGTH = word6('length');
const HASHES = word6('hashes');
const CUSTOM = word6('custom');
/** A target that is not of the common shape: the whole file goes to the reference reader. */
const UNCOMMON = -1;
/** Thrown to leave the whole file to the reference reader (a target of an uncommon shape). */
class GiveUp extends Error {}
const UPPERCASE = 1;
const CUSTOM_NULL = 2;

/**
 * @param targetsByShape for verify, which needs of a targets file's targets
 *   only their paths and that each has the shape checkTargets asks for:
 *   the targets map (`signed.targets`, when `signed._type` is "targets") is
 *   checked on its canonical bytes, target by target, without building a
 *   target object, and stands in the value as an object that only
 *   {@link keysAsRead} and {@link targetsReadByShape} answer for. A target
 *   of any other shape makes the read give up (undefined), so the
 *   reference reader names what is wrong with it.
 * @returns undefined only when `targetsByShape` found an uncommon target
 */
export function readCanonical(buf: Buffer, memberKey: string, targetsByShape = false): CanonicalRead | undefined {
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

  /** Moves `i` past the string whose opening quote is at `i`. */
  const skipString = (): void => {
    i++;
    for (;;) {
      const c = buf[i];
      if (c === 34) break;
      if (c === undefined) fail('an unclosed string');
      i += c === 92 ? 2 : 1;
    }
    i++;
  };

  /** Moves `i` past the value at `i`. */
  const skipValue = (): void => {
    let depth = 0;
    for (;;) {
      const c = buf[i];
      if (c === undefined) fail('an unclosed value');
      if (c === 34) skipString();
      else if (c === 123 || c === 91) {
        depth++;
        i++;
      } else if (c === 125 || c === 93) {
        if (depth === 0) return;
        i++;
        if (--depth === 0) return;
      } else if (c === 44 && depth === 0) return;
      else i++;
    }
  };

  /** Whether bytes [s, e) are printable ASCII with no upper-case letter or backslash. */
  const plainPath = (s: number, e: number): boolean => {
    let k = s;
    for (; k + 4 <= e; k += 4) {
      const w = view.getUint32(k, true);
      if (((w & 0x80808080) | controlByte(w) | atLeast(w, 0x7f) | (atLeast(w, 0x41) & ~atLeast(w, 0x5b)) | quoteOrBackslash(w)) !== 0) return false;
    }
    for (; k < e; k++) {
      const c = buf[k] as number;
      if (c < 0x20 || c > 0x7e || (c >= 0x41 && c <= 0x5a) || c === 0x5c) return false;
    }
    return true;
  };

  /** Whether the key between quotes at s and e is `w` (6 letters). */
  const keyIs = (s: number, e: number, w: readonly number[]): boolean => {
    if (e - s !== 6) return false;
    for (let k = 0; k < 6; k++) if (buf[s + k] !== w[k]) return false;
    return true;
  };

  /**
   * The checks of parse.ts `targetShape` on the target at `i`, which it
   * moves past: UNCOMMON, or the notes it calls for (UPPERCASE,
   * CUSTOM_NULL). An object holding "length", a non-negative integer (the
   * scan left only integers of at most 15 digits), and "hashes", an object
   * of one or more non-empty hex strings of even length.
   */
  const target = (): number => {
    if (buf[i] !== 123 || buf[i + 1] === 125) return UNCOMMON;
    i++;
    let flags = 0;
    let length = false;
    let hashes = false;
    for (;;) {
      // Keys here have no escape: the scan leaves a key with one to the reference.
      const ks = i + 1;
      i = buf.indexOf(34, ks);
      if (i === -1) fail('an unclosed key');
      const ke = i;
      i += 2;
      if (keyIs(ks, ke, LENGTH)) {
        const s = i;
        while ((buf[i] as number) >= 48 && (buf[i] as number) <= 57) i++;
        if (i === s) return UNCOMMON;
        length = true;
      } else if (keyIs(ks, ke, HASHES)) {
        if (buf[i] !== 123 || buf[i + 1] === 125) return UNCOMMON;
        i++;
        for (;;) {
          i = buf.indexOf(34, i + 1);
          if (i === -1 || buf[i + 1] !== 58 || buf[i + 2] !== 34) return UNCOMMON;
          i += 3;
          const s = i;
          let seen = 0;
          // Four bytes at a time while all are hex digits; the rest (and the
          // closing quote) byte by byte.
          while (i <= last4) {
            const h = hexWord(view.getUint32(i, true));
            if (h === 0) break;
            seen |= h;
            i += 4;
          }
          for (;;) {
            const c = buf[i];
            if (c === 34) break;
            if (c === undefined) fail('an unclosed string');
            seen |= HEX_BYTE[c as number] as number;
            if (seen & 4) return UNCOMMON;
            i++;
          }
          if (i === s || (i - s) % 2 !== 0) return UNCOMMON;
          if (seen & 2) flags |= UPPERCASE;
          i++;
          if (buf[i] === 125) break;
          if (buf[i++] !== 44) fail('a comma or brace');
        }
        i++;
        hashes = true;
      } else if (keyIs(ks, ke, CUSTOM) && buf[i] === 110) {
        i += 4;
        flags |= CUSTOM_NULL;
      } else {
        skipValue();
      }
      const d = buf[i++];
      if (d === 44) continue;
      if (d !== 125) return fail('a comma or brace');
      return length && hashes ? flags : UNCOMMON;
    }
  };

  /**
   * The targets map at `i`, checked by shape (see `targetsByShape`):
   * undefined when a target is uncommon.
   */
  const targetsMap = (): object | undefined => {
    // Where each path stands ([start, end) between its quotes): its string
    // is made only if asked for (keysAsRead).
    let at = new Int32Array(1024);
    let count = 0;
    i++;
    // The first target in checkTargets' order (Object.keys: index-like keys
    // first, by value, then the rest as read) that calls for each note, as
    // [index-like ? 0 : 1, value or position].
    let upA = 2;
    let upB = 0;
    let nulA = 2;
    let nulB = 0;
    let indexLike = false;
    let plain = true;
    if (buf[i] === 125) i++;
    else {
      for (;;) {
        if (buf[i] !== 34) fail('a key');
        // Keys here have no escape: the scan leaves a key with one to the reference.
        const ks = i + 1;
        const ke = buf.indexOf(34, ks);
        if (ke === -1 || buf[ke - 1] === 92) fail('a key');
        i = ke + 1;
        if (plain) plain = plainPath(ks, ke);
        if (buf[i++] !== 58) fail('a colon');
        const flags = target();
        if (flags === UNCOMMON) return undefined;
        const c0 = buf[ks] as number;
        let index = -1;
        if (c0 >= 48 && c0 <= 57) {
          const k = buf.toString('latin1', ks, ke);
          if (INDEX_LIKE.test(k) && Number(k) < 4294967295) index = Number(k);
        }
        if (index >= 0) indexLike = true;
        if (count * 2 === at.length) {
          const grown = new Int32Array(at.length * 2);
          grown.set(at);
          at = grown;
        }
        at[count * 2] = ks;
        at[count * 2 + 1] = ke;
        count++;
        if (flags !== 0) {
          const a = index >= 0 ? 0 : 1;
          const b = index >= 0 ? index : count;
          if ((flags & UPPERCASE) !== 0 && (a < upA || (a === upA && b < upB))) [upA, upB] = [a, b];
          if ((flags & CUSTOM_NULL) !== 0 && (a < nulA || (a === nulA && b < nulB))) [nulA, nulB] = [a, b];
        }
        const d = buf[i++];
        if (d === 44) continue;
        if (d !== 125) return fail('a comma or brace');
        break;
      }
    }
    const notes: string[] = [];
    // Within one target, checkTargets notes an uppercase digest first.
    const upFirst = upA < nulA || (upA === nulA && upB <= nulB);
    if (upA !== 2 && upFirst) notes.push(UPPERCASE_NOTE);
    if (nulA !== 2) notes.push(CUSTOM_NULL_NOTE);
    if (upA !== 2 && !upFirst) notes.push(UPPERCASE_NOTE);
    const o = new Proxy(Object.freeze({}), NOT_BUILT);
    KEYS.set(o, () => {
      const keys: string[] = [];
      for (let k = 0; k < count; k++) keys.push(buf.toString('utf8', at[k * 2], at[k * 2 + 1]));
      if (!indexLike) return keys;
      const isIndex = (k: string): boolean => k.charCodeAt(0) <= 57 && INDEX_LIKE.test(k) && Number(k) < 4294967295;
      return [...keys.filter(isIndex).sort((a, b) => Number(a) - Number(b)), ...keys.filter((k) => !isIndex(k))];
    });
    SHAPES.set(o, { notes, plainPaths: plain });
    return o;
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
          let v: JsonValue;
          if (depth === 1 && inSigned && typeTargets && k === 'targets' && buf[i] === 123) {
            const m = targetsMap();
            if (m === undefined) throw new GiveUp('an uncommon target');
            v = m as JsonValue;
          } else {
            if (depth === 0) inSigned = k === 'signed';
            v = value(depth + 1);
            if (depth === 0) inSigned = false;
            if (depth === 1 && inSigned && k === '_type') typeTargets = targetsByShape && v === 'targets';
          }
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

  // Where in the document `value` stands: inside the top-level "signed",
  // whose "_type" (first in canonical order) is "targets" (and asked for).
  let inSigned = false;
  let typeTargets = false;
  let v: JsonValue;
  try {
    v = value(0);
  } catch (e) {
    if (e instanceof GiveUp) return undefined;
    throw e;
  }
  if (i !== n) fail('bytes after the value');
  return { value: v, member };
}
