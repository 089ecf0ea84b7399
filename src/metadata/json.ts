// SPDX-License-Identifier: Apache-2.0
/**
 * Strict JSON reading for metadata and every other input file.
 *
 * `JSON.parse` accepts things that make TUF clients disagree: duplicate keys
 * (the last one wins silently), floats, integers beyond 2^53 (rounded), lone
 * surrogates. This reader rejects all of them, plus a UTF-8 BOM, invalid
 * UTF-8 and excessive nesting, and names the file and the field path in every
 * message. It is pure: bytes in, a JSON value out.
 *
 * One linear scan over the bytes (`canonicalScan`) checks the grammar and
 * what `JSON.parse` hides, and copies canonical bytes in the same pass. The
 * value comes from the native `JSON.parse` of the decoded text
 * (`parseJson`, `parseJsonWithMember`), or, for a caller done with the
 * file's bytes, is read off the canonical bytes written over them
 * (`parseJsonConsuming`, canonical-read.ts: verify, the file held once).
 * Where the scan gives up, the reference {@link Scanner} names the field.
 */
import { constants, isUtf8 } from 'node:buffer';
import { fieldError, InputError } from '../errors.js';
import { controlByte, quoteOrBackslash, readCanonical } from './canonical-read.js';

/** A JSON value as this tool reads it: integers only. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

export type JsonObject = { readonly [key: string]: JsonValue };

export interface ParseJsonOptions {
  /** Largest accepted input in bytes. */
  readonly maxBytes?: number;
  /** Deepest accepted nesting of objects and arrays. */
  readonly maxDepth?: number;
}

/** 256 MiB: far above any file but metadata, low enough to fail cleanly. */
export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;
/**
 * The most any JSON file can be here: the longest string Node.js holds
 * (2^29 - 24 bytes, just under 512 MiB, on 64-bit Node 20-24), since the
 * text is decoded once for `JSON.parse`. A 1,300,000-target targets.json fits.
 */
export const MAX_JSON_BYTES: number = constants.MAX_STRING_LENGTH;
/** TUF metadata nests about 6 levels; `custom` fields may add a few. */
export const DEFAULT_MAX_DEPTH = 64;


/** Formats a field path the way error messages show it: `signed.keys["a b"]`. */
export function formatPath(segments: readonly (string | number)[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${String(s)}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(s)) out += out === '' ? s : '.' + s;
    else out += JSON.stringify([s]);
  }
  return out;
}

function lineColumn(text: string, pos: number): string {
  let line = 1;
  let col = 1;
  for (let i = 0; i < pos && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      col = 1;
    } else {
      col++;
    }
  }
  return `line ${String(line)} column ${String(col)}`;
}

interface Frame {
  readonly isObject: boolean;
  /** Keys seen so far (objects only). Small objects use the array. */
  keys: string[] | null;
  keySet: Set<string> | null;
  /** Current key (objects) or index (arrays), for error paths. */
  current: string | number;
  expectKey: boolean;
}

class Scanner {
  private readonly stack: Frame[] = [];
  private i = 0;
  /** Position of the next backslash at or after `i` (Infinity when none). */
  private nextBackslash = -1;

  private readonly text: string;
  private readonly file: string;
  private readonly maxDepth: number;

  constructor(text: string, file: string, maxDepth: number) {
    this.text = text;
    this.file = file;
    this.maxDepth = maxDepth;
  }

  private path(extra?: string): string {
    const segs: (string | number)[] = [];
    for (const f of this.stack) segs.push(f.current);
    if (extra !== undefined) segs.push(extra);
    return formatPath(segs);
  }

  private fail(problem: string, extra?: string): never {
    throw fieldError(this.file, this.path(extra), problem);
  }

  /** Index of the quote that closes the string opening at `start`. */
  private stringEnd(start: number): number {
    const text = this.text;
    let j = start + 1;
    for (;;) {
      const q = text.indexOf('"', j);
      // JSON.parse succeeded, so a closing quote exists.
      let backslashes = 0;
      for (let b = q - 1; text.charCodeAt(b) === 92; b--) backslashes++;
      if ((backslashes & 1) === 0) return q;
      j = q + 1;
    }
  }

  private readString(start: number, end: number): string {
    const raw = this.text.slice(start + 1, end);
    if (raw.indexOf('\\') === -1) return raw;
    const s = JSON.parse(this.text.slice(start, end + 1)) as string;
    if (!s.isWellFormed()) {
      this.fail('string holds an unpaired UTF-16 surrogate escape');
    }
    return s;
  }

  private addKey(frame: Frame, key: string): void {
    if (frame.keySet !== null) {
      if (frame.keySet.has(key)) this.fail('duplicate key');
      frame.keySet.add(key);
      return;
    }
    const keys = frame.keys as string[];
    for (let k = 0; k < keys.length; k++) {
      if (keys[k] === key) this.fail('duplicate key');
    }
    keys.push(key);
    if (keys.length > 16) {
      frame.keySet = new Set(keys);
      frame.keys = null;
    }
  }

  private checkNumber(start: number): number {
    const text = this.text;
    let j = start;
    let isInteger = true;
    for (;;) {
      const c = text.charCodeAt(j);
      if (c >= 48 && c <= 57) {
        j++;
      } else if (c === 45 || c === 43) {
        j++;
      } else if (c === 46 || c === 101 || c === 69) {
        isInteger = false;
        j++;
      } else {
        break;
      }
    }
    const token = text.slice(start, j);
    if (!isInteger) {
      this.fail(
        `number ${token} is not an integer (floats and exponents are not allowed in TUF metadata)`
      );
    }
    const digits = token.charCodeAt(0) === 45 ? token.length - 1 : token.length;
    if (digits > 15 && !Number.isSafeInteger(Number(token))) {
      this.fail(`integer ${token} is beyond 2^53-1`);
    }
    return j;
  }

  run(): void {
    const text = this.text;
    const n = text.length;
    const stack = this.stack;
    while (this.i < n) {
      const c = text.charCodeAt(this.i);
      switch (c) {
        case 32:
        case 9:
        case 10:
        case 13:
          this.i++;
          break;
        case 123: // {
        case 91: {
          // [
          if (stack.length >= this.maxDepth) {
            this.fail(`nesting deeper than ${String(this.maxDepth)} levels`);
          }
          const isObject = c === 123;
          stack.push({
            isObject,
            keys: isObject ? [] : null,
            keySet: null,
            current: isObject ? '' : 0,
            expectKey: isObject,
          });
          this.i++;
          break;
        }
        case 125: // }
        case 93: // ]
          stack.pop();
          this.i++;
          break;
        case 44: {
          // ,
          const top = stack[stack.length - 1] as Frame;
          if (top.isObject) top.expectKey = true;
          else top.current = (top.current as number) + 1;
          this.i++;
          break;
        }
        case 58: // :
          this.i++;
          break;
        case 34: {
          // "
          const end = this.stringEnd(this.i);
          const top = stack[stack.length - 1];
          if (top !== undefined && top.isObject && top.expectKey) {
            // Error paths name this key: as written until it decodes.
            top.current = text.slice(this.i + 1, end);
            const key = this.readString(this.i, end);
            top.current = key;
            this.addKey(top, key);
            top.expectKey = false;
          } else {
            if (this.nextBackslash < this.i) {
              const b = text.indexOf('\\', this.i);
              this.nextBackslash = b === -1 ? Infinity : b;
            }
            // Escaped strings are decoded to check for lone surrogates.
            if (this.nextBackslash < end) this.readString(this.i, end);
          }
          this.i = end + 1;
          break;
        }
        case 116: // true
        case 110: // null
          this.i += 4;
          break;
        case 102: // false
          this.i += 5;
          break;
        default:
          this.i = this.checkNumber(this.i);
      }
    }
  }
}

/** A key as its UTF-8 bytes between quotes. */
const byteOf = (key: string): Uint8Array => new TextEncoder().encode(`"${key}"`);

/** `"` and `\`, the only characters canonical JSON escapes. */
const CANONICAL_ESCAPES = /["\\]/g;

/** A growable list of 32-bit integers (member records of the open objects). */
class IntStack {
  data = new Int32Array(1024);
  length = 0;
  push4(a: number, b: number, c: number, d: number): void {
    if (this.length + 4 > this.data.length) {
      const bigger = new Int32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    const l = this.length;
    this.data[l] = a;
    this.data[l + 1] = b;
    this.data[l + 2] = c;
    this.data[l + 3] = d;
    this.length = l + 4;
  }
}

/**
 * The one pass over the bytes, for files in any key order. It checks the
 * JSON grammar itself (RFC 8259, as `JSON.parse`: structure, literals,
 * number syntax, control characters and escapes in strings; UTF-8 was
 * checked before) and what `JSON.parse` hides, and copies canonical bytes
 * in the same scan, without serializing a parsed value:
 *
 * - `keyBytes` given: the canonical bytes of the value of that top-level key
 *   (metadata's `signed`), into a new buffer;
 * - `inPlace`: the canonical bytes of the whole document, written over
 *   `bytes` itself (the file's bytes are gone afterwards, also when it
 *   returns false). Canonical bytes are never longer than the text they
 *   come from, so the copy never overtakes the reading.
 *
 * Whitespace outside strings is dropped; strings are copied as they stand
 * when they hold no backslash, else decoded and written the canonical way
 * (UTF-8, only `"` and `\` escaped; a lone surrogate is refused); numbers
 * of at most 15 digits without fraction or exponent are copied. Each
 * object's members are recorded (where its key stands, where it was copied
 * to); while its keys come in increasing byte order (= code-point order),
 * each is only compared with the previous one. An object whose keys do not
 * is sorted when it closes: its keys by byte, a duplicate is two equal
 * neighbours, and its copied members are written back in that order.
 *
 * Anything else returns false, and {@link Scanner} (the reference, whose
 * errors name the path) and the reference encoder decide: text that is not
 * JSON, keys with a backslash, duplicates, floats, long numbers, `-0` in
 * what is copied, too deep nesting, a `key` whose value is not an object or
 * array. True means the text is JSON this reader accepts (JSON.parse gives
 * its value), with no such member (or none asked for).
 *
 * @returns the canonical bytes; true (see above); false when the reference must run
 */
function canonicalScan(bytes: Uint8Array, maxDepth: number, keyBytes: Uint8Array | null, inPlace = false): Buffer | boolean {
  const n = bytes.length;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Strings and indentation are mostly long runs: read (and copied) four
  // bytes at a time, little-endian both ways so the order is kept.
  const src = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const last4 = n - 4;
  const inObject = new Uint8Array(maxDepth + 1);
  /** Per depth: the object's first member record in `members`. */
  const memberBase = new Int32Array(maxDepth + 1);
  /** Per depth: have the object's keys come in increasing order so far? */
  const increasing = new Uint8Array(maxDepth + 1);
  /** Per depth: where the object's `{` was copied to (inside the member). */
  const openedAt = new Int32Array(maxDepth + 1);
  /** Per member of the open objects: key start, key end (after its quote), copy start, copy end. */
  const members = new IntStack();
  /** Where the canonical bytes are copied to (`state` 2 or 4). */
  let out: Buffer | null = inPlace ? buf : null;
  let dst: DataView | null = inPlace ? src : null;
  let o = 0;
  let result: Buffer | null = null;
  /** 0 looking for `key`, 1 `key` read, 2 inside its value, 3 past it, 4 copying everything (in place). */
  let state = inPlace ? 4 : 0;
  let depth = 0;
  /** What may come next: a value, a key, the colon after a key, or a comma or close after a value. */
  let expect: number = VALUE;
  /** Just after `{` or `[`: a close may come. */
  let opened = false;
  let i = 0;
  while (i < n) {
    const c = bytes[i] as number;
    if (c === 34) {
      // A string: up to the next quote.
      const expectKey = expect === KEY;
      if (!expectKey && expect !== VALUE) return false;
      const start = i;
      const copyStart = o;
      if (out !== null) out[o++] = 34;
      i++;
      for (;;) {
        while (i <= last4) {
          const w = src.getUint32(i, true);
          // A quote, a backslash or a control character (refused raw) stops the run.
          if ((quoteOrBackslash(w) | controlByte(w)) !== 0) break;
          if (dst !== null) {
            dst.setUint32(o, w, true);
            o += 4;
          }
          i += 4;
        }
        const d = bytes[i];
        if (d === 34) break;
        if (d === undefined || d < 32) return false;
        if (d === 92) {
          // An escape: keys are left to the reference; values are decoded.
          if (expectKey) return false;
          let end = i;
          for (;;) {
            end = buf.indexOf(34, end + 1);
            if (end === -1) return false;
            let backslashes = 0;
            for (let k = end - 1; bytes[k] === 92; k--) backslashes++;
            if ((backslashes & 1) === 0) break;
          }
          // In place, the string's start is already copied (and may be
          // written over): decoded from the copy and the rest.
          const text = inPlace ? buf.toString('utf8', copyStart, o) + buf.toString('utf8', i, end + 1) : buf.toString('utf8', start, end + 1);
          const value = JSON.parse(text) as string;
          if (!value.isWellFormed()) return false;
          if (out !== null) {
            o = copyStart + 1 + out.write(value.replace(CANONICAL_ESCAPES, '\\$&'), copyStart + 1, 'utf8');
          }
          i = end;
          break;
        }
        if (out !== null) out[o++] = d;
        i++;
      }
      if (out !== null) out[o++] = 34;
      i++;
      opened = false;
      if (!expectKey) {
        expect = AFTER_VALUE;
        continue;
      }
      expect = COLON;
      const base = memberBase[depth] as number;
      const m = members.length;
      if (m > base) {
        const data = members.data;
        if (increasing[depth] === 1) {
          // Compare with the previous key, quotes included: the first
          // differing byte decides, and a key ends (quote) before any longer one.
          // (In place, both as copied: the key's text may be written over.)
          const ks = inPlace ? copyStart : start;
          const ps = data[m - 4] as number;
          const pl = (data[m - 3] as number) - ps;
          const kl = i - start;
          const len = pl < kl ? pl : kl;
          let k = 1;
          while (k < len && bytes[ps + k] === bytes[ks + k]) k++;
          if (k === len) return false; // the same key
          const x = bytes[ks + k] as number;
          const y = bytes[ps + k] as number;
          if (x === 34 || (y !== 34 && x < y)) increasing[depth] = 0;
        }
      }
      // In place, keys are compared where they were copied to: their text
      // may be written over before their object closes.
      if (inPlace) members.push4(copyStart, o, copyStart, -1);
      else members.push4(start, i, copyStart, -1);
      if (depth === 1 && state === 0 && keyBytes !== null && i - start === keyBytes.length) {
        let k = 1;
        while (k < keyBytes.length && bytes[start + k] === keyBytes[k]) k++;
        if (k === keyBytes.length) state = 1;
      }
      continue;
    }
    i++;
    switch (c) {
      case 32:
      case 13:
      case 9:
        break;
      case 10:
        // A newline is never inside a string: skip the indentation after it.
        while (i <= last4 && src.getUint32(i, true) === 0x20202020) i += 4;
        break;
      case 123: // {
      case 91: // [
        if (expect !== VALUE) return false;
        if (depth >= maxDepth) return false;
        if (state === 1) {
          state = 2;
          out = Buffer.allocUnsafe(n - i + 1);
          dst = new DataView(out.buffer, out.byteOffset, out.byteLength);
          o = 0;
        }
        depth++;
        openedAt[depth] = o;
        if (out !== null) out[o++] = c;
        expect = c === 123 ? KEY : VALUE;
        opened = true;
        inObject[depth] = c === 123 ? 1 : 0;
        memberBase[depth] = members.length;
        increasing[depth] = 1;
        break;
      case 125: // }
      case 93: {
        // ]
        if (depth === 0 || inObject[depth] !== (c === 125 ? 1 : 0)) return false;
        if (expect !== AFTER_VALUE && !(opened && expect === (c === 125 ? KEY : VALUE))) return false;
        if (c === 125) {
          const base = memberBase[depth] as number;
          if (members.length > base) {
            members.data[members.length - 1] = o;
            if (increasing[depth] === 0) {
              const sorted = sortMembers(inPlace ? buf : bytes, members, base, out, openedAt[depth] as number, inPlace ? i - 1 : -1);
              if (sorted === false) return false;
            }
          }
          members.length = base;
        }
        if (out !== null) out[o++] = c;
        depth--;
        expect = AFTER_VALUE;
        opened = false;
        if (state === 2 && depth === 1) {
          state = 3;
          result = (out as Buffer).subarray(0, o);
          out = null;
          dst = null;
        }
        break;
      }
      case 44: // ,
        if (expect !== AFTER_VALUE || depth === 0) return false;
        if (state === 1) return false; // the member's value is not an object or array
        if (inObject[depth] === 1) {
          members.data[members.length - 1] = o;
          expect = KEY;
        } else {
          expect = VALUE;
        }
        if (out !== null) out[o++] = c;
        break;
      case 58: // :
        if (expect !== COLON) return false;
        expect = VALUE;
        if (out !== null) out[o++] = c;
        break;
      case 116: // true
      case 110: // null
      case 102: {
        // false
        if (expect !== VALUE) return false;
        const word = c === 116 ? TRUE : c === 110 ? NULL : FALSE;
        for (let k = 1; k < word.length; k++) if (bytes[i + k - 1] !== word[k]) return false;
        const end = i + word.length - 1;
        if (out !== null) {
          out[o++] = c;
          while (i < end) out[o++] = bytes[i++] as number;
        }
        i = end;
        expect = AFTER_VALUE;
        opened = false;
        break;
      }
      default: {
        // A number: '-'? then 0 or a digit 1-9 and more digits (fraction and exponent: see below).
        if (expect !== VALUE) return false;
        const start = i - 1;
        let first = c;
        if (c === 45) {
          first = bytes[i] ?? 0;
          if (first === 48 && (state === 2 || state === 4)) return false; // -0 is written 0
        }
        if (first < 48 || first > 57) return false;
        if (out !== null) out[o++] = c;
        if (c === 45) {
          if (out !== null) out[o++] = first;
          i++;
        }
        if (first === 48 && (bytes[i] ?? 0) >= 48 && (bytes[i] ?? 0) <= 57) return false; // a leading zero
        for (;;) {
          const d = bytes[i] as number;
          if (d >= 48 && d <= 57) {
            if (out !== null) out[o++] = d;
            i++;
          } else if (d === 46 || d === 101 || d === 69) {
            return false; // a fraction or exponent: refused by Scanner, with its path
          } else {
            break;
          }
        }
        if (i - start - (c === 45 ? 1 : 0) > 15) return false; // maybe beyond 2^53-1
        expect = AFTER_VALUE;
        opened = false;
      }
    }
  }
  if (depth !== 0 || expect !== AFTER_VALUE) return false;
  if (state === 1 || state === 2) return false;
  if (inPlace) return buf.subarray(0, o);
  return result ?? true;
}

/** What {@link canonicalScan} expects next. */
const VALUE = 0;
const KEY = 1;
const COLON = 2;
const AFTER_VALUE = 3;
const TRUE = new TextEncoder().encode('true');
const FALSE = new TextEncoder().encode('false');
const NULL = new TextEncoder().encode('null');

/** Compares two keys by their bytes (quotes included: a key ends before any longer one). */
function compareKeys(bytes: Uint8Array, a: number, aEnd: number, b: number, bEnd: number): number {
  const len = aEnd - a < bEnd - b ? aEnd - a : bEnd - b;
  let k = 1;
  while (k < len && bytes[a + k] === bytes[b + k]) k++;
  if (k === len) return aEnd - a === bEnd - b ? 0 : aEnd - a < bEnd - b ? -1 : 1;
  const x = bytes[a + k] as number;
  const y = bytes[b + k] as number;
  // The closing quote (34) sorts before every byte of a longer key.
  if (x === 34) return -1;
  if (y === 34) return 1;
  return x - y;
}

/** Objects with more members than this are sorted by strings. */
const SMALL_OBJECT = 16;
const smallOrder = new Int32Array(SMALL_OBJECT);
/** Objects up to this many bytes are reordered through `scratch`. */
const SMALL_COPY = 4096;
const scratch = new Uint8Array(SMALL_COPY);

/** Sorts `order[lo, hi)` (member numbers) by key: false when two keys are equal. */
function insertionSort(bytes: Uint8Array, data: Int32Array, base: number, order: Int32Array, lo: number, hi: number): boolean {
  for (let k = lo + 1; k < hi; k++) {
    const m = order[k] as number;
    const r = base + 4 * m;
    const ks = data[r] as number;
    const ke = data[r + 1] as number;
    let j = k;
    while (j > lo) {
      const p = base + 4 * (order[j - 1] as number);
      const cmp = compareKeys(bytes, data[p] as number, data[p + 1] as number, ks, ke);
      if (cmp === 0) return false;
      if (cmp < 0) break;
      order[j] = order[j - 1] as number;
      j--;
    }
    order[j] = m;
  }
  return true;
}

/** Deeper than this many bytes of recursion, a group is sorted by comparisons (keys that are prefixes of each other). */
const RADIX_DEPTH = 48;

/**
 * Sorts `order[lo, hi)` (member numbers) by key, where every key's bytes up
 * to `at` (from its opening quote) are the same: a most-significant-byte
 * radix sort, a counting pass per byte (257 buckets: the key ended, which
 * sorts first, or the byte), each bucket again from the next byte. False
 * when two keys are equal.
 */
function radixSort(bytes: Uint8Array, data: Int32Array, base: number, order: Int32Array, lo: number, hi: number, at: number, depth = 0): boolean {
  const n = hi - lo;
  if (n <= SMALL_OBJECT || depth > RADIX_DEPTH) return insertionSortOrShell(bytes, data, base, order, lo, hi);
  // Skip the bytes all keys share: the longest prefix (from `at`) of the
  // first key's that every key has (a key's bytes end before its closing quote).
  {
    const r0 = base + 4 * (order[lo] as number);
    const s0 = (data[r0] as number) + at;
    let shared = Math.max(0, (data[r0 + 1] as number) - 1 - s0);
    for (let k = lo + 1; k < hi && shared > 0; k++) {
      const r = base + 4 * (order[k] as number);
      const s = (data[r] as number) + at;
      const limit = Math.min(shared, (data[r + 1] as number) - 1 - s);
      let j = 0;
      while (j < limit && bytes[s + j] === bytes[s0 + j]) j++;
      shared = Math.max(0, j);
    }
    at += shared;
  }
  // Each key's digit at `at` (0: the key ended; else the byte + 1), counted.
  const digits = new Uint16Array(n);
  const starts = new Int32Array(258);
  for (let k = 0; k < n; k++) {
    const r = base + 4 * (order[lo + k] as number);
    const p = (data[r] as number) + at;
    const d = p < (data[r + 1] as number) - 1 ? (bytes[p] as number) + 1 : 0;
    digits[k] = d;
    starts[d + 1] = (starts[d + 1] as number) + 1;
  }
  for (let d = 1; d < 258; d++) starts[d] = (starts[d] as number) + (starts[d - 1] as number);
  // Two keys that both ended here are the same key.
  if ((starts[1] as number) > 1) return false;
  const members = order.slice(lo, hi);
  const next = starts.slice(0, 257);
  for (let k = 0; k < n; k++) {
    const d = digits[k] as number;
    order[lo + (next[d] as number)] = members[k] as number;
    next[d] = (next[d] as number) + 1;
  }
  for (let d = 1; d < 257; d++) {
    const s = starts[d] as number;
    const e = starts[d + 1] as number;
    if (e - s > 1 && !radixSort(bytes, data, base, order, lo + s, lo + e, at + 1, depth + 1)) return false;
  }
  return true;
}

/** Members {@link sortByFirstBytes} numbers beside a 32-bit word in a float64 (2^21). */
const WORD_INDEX = 2_097_152;

/**
 * The big word of a key's bytes [p, p + 4), 0 past its end (`e`): keys
 * here hold no byte below 0x20 (one would need an escape, which the scan
 * leaves to the reference), so a key that ended sorts first. -1 when a
 * zero byte is in the key after all.
 */
function word(bytes: Uint8Array, p: number, e: number): number {
  let w = 0;
  for (let k = 0; k < 4; k++) {
    const c = p + k < e ? (bytes[p + k] as number) : 0;
    if (c === 0 && p + k < e) return -1;
    w = w * 256 + c;
  }
  return w;
}

/**
 * Sorts all `count` members of a big object by key (`order` holds 0..count-1,
 * the file's order). The first 8 bytes after the prefix all keys share are
 * read once, in file order, into two words per key, and sorted as numbers
 * (a float64 holds a word and the member's place): the keys themselves,
 * spread over the whole file, are read again only to break ties, by
 * {@link radixSort}. False when two keys are equal.
 */
function sortByFirstBytes(bytes: Uint8Array, data: Int32Array, base: number, order: Int32Array, count: number): boolean {
  if (count >= WORD_INDEX) return radixSort(bytes, data, base, order, 0, count, 1);
  const r0 = base;
  const s0 = (data[r0] as number) + 1;
  let shared = Math.max(0, (data[r0 + 1] as number) - 1 - s0);
  for (let k = 1; k < count && shared > 0; k++) {
    const r = base + 4 * k;
    const s = (data[r] as number) + 1;
    const limit = Math.min(shared, (data[r + 1] as number) - 1 - s);
    let j = 0;
    while (j < limit && bytes[s + j] === bytes[s0 + j]) j++;
    shared = Math.max(0, j);
  }
  const at = 1 + shared;
  const first = new Float64Array(count);
  const second = new Uint32Array(count);
  for (let k = 0; k < count; k++) {
    const r = base + 4 * k;
    const p = (data[r] as number) + at;
    const e = (data[r + 1] as number) - 1;
    const w1 = word(bytes, p, e);
    const w2 = word(bytes, p + 4, e);
    if (w1 < 0 || w2 < 0) return radixSort(bytes, data, base, order, 0, count, 1);
    first[k] = w1 * WORD_INDEX + k;
    second[k] = w2;
  }
  first.sort();
  for (let k = 0; k < count; k++) order[k] = (first[k] as number) % WORD_INDEX;
  // Runs of the same first word, by the second; runs of both, on from byte 8.
  let k = 0;
  while (k < count) {
    const w1 = Math.floor((first[k] as number) / WORD_INDEX);
    let end = k + 1;
    while (end < count && Math.floor((first[end] as number) / WORD_INDEX) === w1) end++;
    if (end - k > 1) {
      const run = new Float64Array(end - k);
      for (let j = k; j < end; j++) run[j - k] = (second[order[j] as number] as number) * WORD_INDEX + (order[j] as number);
      run.sort();
      for (let j = k; j < end; j++) order[j] = (run[j - k] as number) % WORD_INDEX;
      let j = k;
      while (j < end) {
        const w2 = Math.floor((run[j - k] as number) / WORD_INDEX);
        let stop = j + 1;
        while (stop < end && Math.floor((run[stop - k] as number) / WORD_INDEX) === w2) stop++;
        if (stop - j > 1 && !radixSort(bytes, data, base, order, j, stop, at + 8)) return false;
        j = stop;
      }
    }
    k = end;
  }
  return true;
}

function insertionSortOrShell(bytes: Uint8Array, data: Int32Array, base: number, order: Int32Array, lo: number, hi: number): boolean {
  if (hi - lo <= 64) return insertionSort(bytes, data, base, order, lo, hi);
  // Very large groups of one prefix (rare): a comparison sort.
  const part = Array.from(order.subarray(lo, hi));
  let equal = false;
  part.sort((a, b) => {
    const x = base + 4 * a;
    const y = base + 4 * b;
    const c = compareKeys(bytes, data[x] as number, data[x + 1] as number, data[y] as number, data[y + 1] as number);
    if (c === 0) equal = true;
    return c;
  });
  order.set(part, lo);
  return !equal;
}

/**
 * Sorts the members of an object whose keys came out of order (the records
 * from `base` on): false when two keys are equal. Inside the copied member
 * (`out` not null), the copies are written back in key order, and the
 * buffer now holding the copy is returned (`out`, or a new one for a big
 * object); else null.
 */
function sortMembers(bytes: Uint8Array, members: IntStack, base: number, out: Buffer | null, openedAt: number, limit: number): Buffer | null | false {
  const data = members.data;
  const count = (members.length - base) >> 2;
  let order: Int32Array;
  if (count <= SMALL_OBJECT) {
    order = smallOrder;
    for (let k = 0; k < count; k++) order[k] = k;
    if (!insertionSort(bytes, data, base, order, 0, count)) return false;
  } else {
    order = new Int32Array(count);
    for (let k = 0; k < count; k++) order[k] = k;
    if (!sortByFirstBytes(bytes, data, base, order, count)) return false;
  }
  if (out === null) return null;
  const from = openedAt + 1;
  const end = data[members.length - 1] as number;
  if (end - from > SMALL_COPY) {
    const big = largestMember(data, base, count);
    if (end - from - big.length <= SMALL_COPY) {
      // One big member (metadata's `signed` around its targets): the small
      // ones go aside, the big one is moved once, in place.
      moveAroundLargest(out, data, base, order, count, from, end, big);
      return out;
    }
  }
  // Room after the object: to the end of `out`, or in place to where the
  // reading is (`limit`: what lies beyond is not read yet).
  if (end - from <= SMALL_COPY && (limit >= 0 ? limit : out.length) - end >= end - from) {
    // Small objects (nearly all), with room after them: copied aside just
    // past their end and written back in order, all within `out`
    // (copyWithin: no buffer objects made).
    const aside = end - from;
    out.copyWithin(end, from, end);
    let o = from;
    for (let k = 0; k < count; k++) {
      if (k > 0) out[o++] = 44;
      const r = base + 4 * (order[k] as number);
      const s = (data[r + 2] as number) + aside;
      const e = (data[r + 3] as number) + aside;
      out.copyWithin(o, s, e);
      o += e - s;
    }
    return out;
  }
  // Copied aside (small objects through `scratch`, big ones into a buffer
  // of their size) and written back in order.
  let copy: Uint8Array;
  if (end - from <= SMALL_COPY) {
    copy = scratch;
    if (end - from <= NATIVE_COPY) for (let k = from; k < end; k++) copy[k - from] = out[k] as number;
    else copy.set(out.subarray(from, end));
  } else {
    // A plain Uint8Array (fresh pages are zero anyway): the views the
    // loop below takes of it cost less to make than a Buffer's.
    copy = new Uint8Array(end - from);
    copy.set(out.subarray(from, end));
  }
  let o = from;
  for (let k = 0; k < count; k++) {
    if (k > 0) out[o++] = 44;
    const r = base + 4 * (order[k] as number);
    const s = (data[r + 2] as number) - from;
    const e = (data[r + 3] as number) - from;
    if (e - s <= NATIVE_COPY) {
      for (let m = s; m < e; m++) out[o++] = copy[m] as number;
    } else {
      out.set(copy.subarray(s, e), o);
      o += e - s;
    }
  }
  return out;
}

/** Copies shorter than this are byte loops; longer ones native (memcpy). */
const NATIVE_COPY = 48;

/** The member (number, copy start, length) with the longest copy. */
function largestMember(data: Int32Array, base: number, count: number): { member: number; start: number; length: number } {
  let best = { member: 0, start: 0, length: -1 };
  for (let k = 0; k < count; k++) {
    const r = base + 4 * k;
    const len = (data[r + 3] as number) - (data[r + 2] as number);
    if (len > best.length) best = { member: k, start: data[r + 2] as number, length: len };
  }
  return best;
}

/**
 * Writes an object's members in `order` into `out[from, end)` when all but
 * `big` fit in {@link scratch}: those are copied aside, `big` is moved to
 * where it belongs (memmove: the ranges may overlap), and the others are
 * written around it. No second buffer as big as the object.
 */
function moveAroundLargest(
  out: Buffer,
  data: Int32Array,
  base: number,
  order: Int32Array,
  count: number,
  from: number,
  end: number,
  big: { member: number; start: number; length: number }
): void {
  // Where each member goes: members in order, separated by commas.
  let o = from;
  let bigAt = -1;
  for (let k = 0; k < count; k++) {
    if (k > 0) o++;
    const m = order[k] as number;
    const r = base + 4 * m;
    if (m === big.member) bigAt = o;
    o += (data[r + 3] as number) - (data[r + 2] as number);
  }
  // The small members, aside, in their final order (with their commas).
  let aside = 0;
  const asideAt = new Int32Array(count + 1);
  for (let k = 0; k < count; k++) {
    const m = order[k] as number;
    asideAt[k] = aside;
    if (m === big.member) continue;
    const r = base + 4 * m;
    aside += out.copy(scratch, aside, data[r + 2], data[r + 3]);
  }
  asideAt[count] = aside;
  out.copy(out, bigAt, big.start, big.start + big.length);
  o = from;
  for (let k = 0; k < count; k++) {
    if (k > 0) out[o++] = 44;
    if ((order[k] as number) === big.member) {
      o += big.length;
      continue;
    }
    const s = asideAt[k] as number;
    const e = asideAt[k + 1] as number;
    out.set(scratch.subarray(s, e), o);
    o += e - s;
  }
  if (o !== end) throw new Error(`canonical scan: an object of ${String(end - from)} bytes was rewritten as ${String(o - from)}`);
}

/** Size, BOM and UTF-8: what is refused before the text is decoded. */
function checkBytes(bytes: Uint8Array, file: string, opts: ParseJsonOptions): void {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  if (bytes.length > maxBytes || bytes.length > MAX_JSON_BYTES) {
    throw new InputError(
      `${file}: file is ${String(bytes.length)} bytes, more than the ${String(Math.min(maxBytes, MAX_JSON_BYTES))} accepted`,
      { file }
    );
  }
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    throw new InputError(`${file}: starts with a UTF-8 byte order mark (BOM), which TUF clients reject`, {
      file,
    });
  }
  // Checked first (native, vectorized), then decoded without replacement characters.
  if (!isUtf8(bytes)) throw new InputError(`${file}: not valid UTF-8`, { file });
}

/** The text decoded (after {@link checkBytes}) and parsed by `JSON.parse`, whose errors name the file and place. */
function decodeParsed(bytes: Uint8Array, file: string): { text: string; value: JsonValue } {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  let value: JsonValue;
  try {
    value = JSON.parse(text) as JsonValue;
  } catch (cause) {
    const msg = cause instanceof Error ? cause.message : String(cause);
    const m = /position (\d+)/.exec(msg);
    const where = m ? ` at ${lineColumn(text, Number(m[1]))}` : '';
    const reason = text.trim() === '' ? 'empty file' : msg.replace(/^[^:]*JSON[^:]*: /, '');
    throw new InputError(`${file}: not valid JSON${where}: ${reason}`, { file, cause });
  }
  return { text, value };
}

function decodeChecked(bytes: Uint8Array, file: string, opts: ParseJsonOptions): { text: string; value: JsonValue } {
  checkBytes(bytes, file, opts);
  return decodeParsed(bytes, file);
}

/**
 * Parses JSON bytes strictly.
 * @param bytes the file's exact bytes
 * @param file the name used in error messages
 * @throws InputError (exit 2) naming the file and field for: oversized input,
 *   a BOM, invalid UTF-8, syntax errors, duplicate keys, floats, integers
 *   beyond 2^53-1, lone surrogates, nesting deeper than `maxDepth`.
 */
export function parseJson(bytes: Uint8Array, file: string, opts: ParseJsonOptions = {}): JsonValue {
  const { text, value } = decodeChecked(bytes, file, opts);
  const maxDepth = opts.maxDepth ?? DEFAULT_MAX_DEPTH;
  if (canonicalScan(bytes, maxDepth, null) === false) new Scanner(text, file, maxDepth).run();
  return value;
}

/** What {@link parseJsonWithMember} returns. */
export interface ParsedJson {
  readonly value: JsonValue;
  /**
   * The canonical bytes of the value of the top-level key asked for, read
   * off the text, when the text allows (see {@link canonicalScan}: in
   * nearly every file, whatever its key order); else undefined.
   */
  readonly canonicalBytes: Buffer | undefined;
}

/**
 * {@link parseJson} (same checks, same errors), also giving the canonical
 * bytes of the value of the top-level key `key` (metadata's `signed`) when
 * they can be read off the text without serializing the parsed value.
 */
export function parseJsonWithMember(
  bytes: Uint8Array,
  file: string,
  key: string,
  opts: ParseJsonOptions = {}
): ParsedJson {
  checkBytes(bytes, file, opts);
  const maxDepth = opts.maxDepth ?? DEFAULT_MAX_DEPTH;
  // The scan runs before JSON.parse builds its objects: its big buffers
  // (external memory, which sets off full collections) are then allocated
  // while the heap is small, and the decoded text is not alive during it.
  // It checks the grammar itself; JSON.parse still reads every text, and on
  // text it refuses, its error (naming line and column) is the one given.
  let canonical: Buffer | boolean;
  try {
    canonical = canonicalScan(bytes, maxDepth, byteOf(key));
  } catch {
    canonical = false;
  }
  const { value } = decodeParsed(bytes, file);
  if (canonical !== false) return { value, canonicalBytes: canonical === true ? undefined : canonical };
  new Scanner(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'), file, maxDepth).run();
  return { value, canonicalBytes: undefined };
}

/**
 * {@link parseJsonWithMember} for a caller that no longer needs the file's
 * bytes: the canonical bytes of the whole document are written over them
 * (`canonicalScan` in place) and the value is read off those
 * ({@link readCanonical}), so no decoded copy of the text is ever made.
 * The same checks; `bytes` holds the canonical bytes afterwards, whatever
 * the outcome.
 *
 * @returns undefined when the text needs the reference reader (anything the
 *   scan leaves to it, valid or not): the caller reads the file again and
 *   calls {@link parseJsonWithMember}, whose errors name the field.
 * @throws InputError for what is refused before the scan (size, BOM, UTF-8)
 */
export function parseJsonConsuming(bytes: Uint8Array, file: string, key: string, opts: ParseJsonOptions = {}, targetsByShape = false): ParsedJson | undefined {
  checkBytes(bytes, file, opts);
  let canonical: Buffer | boolean;
  try {
    canonical = canonicalScan(bytes, opts.maxDepth ?? DEFAULT_MAX_DEPTH, null, true);
  } catch {
    canonical = false;
  }
  if (typeof canonical === 'boolean') return undefined;
  const read = readCanonical(canonical, key, targetsByShape);
  if (read === undefined) return undefined;
  const { value, member } = read;
  return { value, canonicalBytes: member === undefined ? undefined : canonical.subarray(member[0], member[1]) };
}
