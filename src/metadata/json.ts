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
 * It runs the native `JSON.parse` for syntax and values, then one linear scan
 * of the same text for what `JSON.parse` hides; the scan may assume the text
 * is well-formed JSON.
 */
import { fieldError, InputError } from '../errors.js';

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

/** 256 MiB: far above any real metadata file, low enough to fail cleanly. */
export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;
/** TUF metadata nests about 6 levels; `custom` fields may add a few. */
export const DEFAULT_MAX_DEPTH = 64;

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

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

/** Objects with more keys than this check duplicates with a Set. */
const SMALL_OBJECT = 16;

/**
 * The fast check, run first on every input: the checks of {@link Scanner}
 * without its allocations. Keys are compared where they stand in the text
 * (no strings cut out, no frames). While an object's keys come in increasing
 * order, as in files written with sorted keys, each key only needs to be
 * compared with the one before; after that, a small object compares each new
 * key with all earlier ones and a big one keeps a Set. It returns true only
 * for input that Scanner accepts; on anything else, or anything unusual (an
 * escaped key, whose decoded form must be compared), it returns false and
 * Scanner, the reference, decides: every error and its path are exactly
 * Scanner's.
 */
function quickCheck(text: string, maxDepth: number): boolean {
  const n = text.length;
  /** Per open container: an object? */
  const isObject: boolean[] = [];
  /** Per open object: where its keys start in `keys`. */
  const keyBase: number[] = [];
  /** Per open object: have its keys come in increasing order so far? */
  const increasing: boolean[] = [];
  /** Per open object with many keys out of order: its keys. */
  const keySets: (Set<string> | null)[] = [];
  /** Start and end (quote positions) of the keys of all open objects. */
  const keys: number[] = [];
  let depth = 0;
  let expectKey = false;
  let nextBackslash = -1;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    switch (c) {
      case 32:
      case 10:
      case 13:
      case 9:
        i++;
        break;
      case 123: // {
      case 91: // [
        if (depth >= maxDepth) return false;
        expectKey = c === 123;
        isObject[depth] = expectKey;
        keyBase[depth] = keys.length;
        increasing[depth] = true;
        keySets[depth] = null;
        depth++;
        i++;
        break;
      case 125: // }
      case 93: // ]
        depth--;
        keys.length = keyBase[depth] as number;
        keySets[depth] = null;
        expectKey = false;
        i++;
        break;
      case 44: // ,
        expectKey = isObject[depth - 1] as boolean;
        i++;
        break;
      case 58: // :
        i++;
        break;
      case 34: {
        // "
        let j = i + 1;
        let end: number;
        for (;;) {
          end = text.indexOf('"', j);
          let backslashes = 0;
          for (let b = end - 1; text.charCodeAt(b) === 92; b--) backslashes++;
          if ((backslashes & 1) === 0) break;
          j = end + 1;
        }
        if (nextBackslash < i) {
          const b = text.indexOf('\\', i);
          nextBackslash = b === -1 ? Infinity : b;
        }
        const escaped = nextBackslash < end;
        if (expectKey) {
          // Escaped keys are rare: Scanner decodes and compares them.
          if (escaped) return false;
          expectKey = false;
          const d = depth - 1;
          const base = keyBase[d] as number;
          const set = keySets[d];
          if (increasing[d] && keys.length > base) {
            // Compare with the previous key: the first differing unit, else the length.
            const s = keys[keys.length - 2] as number;
            const e = keys[keys.length - 1] as number;
            const len = e - s < end - i ? e - s : end - i;
            let m = 1;
            while (m < len && text.charCodeAt(s + m) === text.charCodeAt(i + m)) m++;
            const after = m < len ? text.charCodeAt(i + m) > text.charCodeAt(s + m) : end - i > e - s;
            if (!after) increasing[d] = false;
          }
          if (increasing[d]) {
            keys.push(i, end);
          } else if (set !== null && set !== undefined) {
            const key = text.slice(i + 1, end);
            if (set.has(key)) return false;
            set.add(key);
          } else {
            const len = end - i;
            for (let k = base; k < keys.length; k += 2) {
              const s = keys[k] as number;
              if ((keys[k + 1] as number) - s !== len) continue;
              let m = 1;
              while (m < len && text.charCodeAt(s + m) === text.charCodeAt(i + m)) m++;
              if (m === len) return false;
            }
            keys.push(i, end);
            if (keys.length - base > 2 * SMALL_OBJECT) {
              const big = new Set<string>();
              for (let k = base; k < keys.length; k += 2) big.add(text.slice((keys[k] as number) + 1, keys[k + 1]));
              keySets[d] = big;
            }
          }
        } else if (escaped && !(JSON.parse(text.slice(i, end + 1)) as string).isWellFormed()) {
          return false;
        }
        i = end + 1;
        break;
      }
      case 116: // true
      case 110: // null
        i += 4;
        break;
      case 102: // false
        i += 5;
        break;
      default: {
        const start = i;
        for (;;) {
          const d = text.charCodeAt(i);
          if ((d >= 48 && d <= 57) || d === 45 || d === 43) i++;
          else if (d === 46 || d === 101 || d === 69) return false;
          else break;
        }
        const digits = text.charCodeAt(start) === 45 ? i - start - 1 : i - start;
        if (digits > 15 && !Number.isSafeInteger(Number(text.slice(start, i)))) return false;
      }
    }
  }
  return true;
}

/** A key as its UTF-8 bytes between quotes. */
const byteOf = (key: string): Uint8Array => new TextEncoder().encode(`"${key}"`);

/**
 * The fastest path, for files written with sorted keys and without escapes
 * (ours, python-tuf's): one pass over the bytes, run after `JSON.parse`
 * accepted their text, that both vouches for the strict checks and copies
 * the canonical bytes of the value of the top-level key `key`.
 *
 * It returns those bytes only when the whole text has: the keys of every
 * object in strictly increasing code-point order (which is UTF-8 byte
 * order; so no duplicate keys), no backslash at all (so no escapes and no
 * lone surrogates), numbers of at most 15 digits without fraction or
 * exponent, nesting within `maxDepth`, and `key`'s value an object or array
 * with no `-0` in it. Then {@link Scanner} accepts the text, and the
 * value's canonical JSON is its text without the whitespace outside strings
 * (strings hold no raw control characters, and with no backslash each `"`
 * opens or closes one), which is what is copied. In every other case it
 * returns null, and the usual checks ({@link quickCheck}, then Scanner) and
 * the reference encoder run.
 */
function sortedScan(bytes: Uint8Array, maxDepth: number, keyBytes: Uint8Array): Buffer | null {
  const n = bytes.length;
  // Strings and indentation are mostly long runs: read (and copied) four
  // bytes at a time, little-endian both ways so the order is kept.
  const src = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const last4 = n - 4;
  const inObject = new Uint8Array(maxDepth + 1);
  /** Per depth: start and end (after the closing quote) of the object's previous key; start -1 for none. */
  const prevKey = new Int32Array(2 * (maxDepth + 1));
  /** The member's canonical bytes while they are copied (`state` 2). */
  let out: Buffer | null = null;
  let dst: DataView | null = null;
  let o = 0;
  let result: Buffer | null = null;
  /** 0 looking for `key`, 1 `key` read, 2 inside its value, 3 past it. */
  let state = 0;
  let depth = 0;
  let expectKey = false;
  let i = 0;
  while (i < n) {
    const c = bytes[i] as number;
    if (c === 34) {
      // A string: up to the next quote, refusing any backslash.
      const start = i;
      if (out !== null) out[o++] = 34;
      i++;
      for (;;) {
        while (i <= last4) {
          const w = src.getUint32(i, true);
          const q = w ^ 0x22222222; // a zero byte where w has a quote
          const b = w ^ 0x5c5c5c5c; // ... or a backslash
          if ((((q - 0x01010101) & ~q) | ((b - 0x01010101) & ~b)) & 0x80808080) break;
          if (dst !== null) {
            dst.setUint32(o, w, true);
            o += 4;
          }
          i += 4;
        }
        const d = bytes[i];
        if (d === 34) break;
        if (d === 92 || d === undefined) return null;
        if (out !== null) out[o++] = d;
        i++;
      }
      if (out !== null) out[o++] = 34;
      i++;
      if (!expectKey) continue;
      expectKey = false;
      // Compare with the object's previous key, quotes included: the first
      // differing byte decides, and a key ends (quote) before any longer one.
      const ps = prevKey[2 * depth] as number;
      if (ps !== -1) {
        const pl = (prevKey[2 * depth + 1] as number) - ps;
        const kl = i - start;
        const len = pl < kl ? pl : kl;
        let m = 1;
        while (m < len && bytes[ps + m] === bytes[start + m]) m++;
        if (m === len) return null; // the same key
        const x = bytes[start + m] as number;
        const y = bytes[ps + m] as number;
        if (x === 34 || (y !== 34 && x < y)) return null; // not after the previous key
      }
      prevKey[2 * depth] = start;
      prevKey[2 * depth + 1] = i;
      if (depth === 1 && state === 0 && i - start === keyBytes.length) {
        let m = 1;
        while (m < keyBytes.length && bytes[start + m] === keyBytes[m]) m++;
        if (m === keyBytes.length) state = 1;
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
        if (depth >= maxDepth) return null;
        if (state === 1) {
          state = 2;
          out = Buffer.allocUnsafe(n - i + 1);
          dst = new DataView(out.buffer, out.byteOffset, out.byteLength);
          o = 0;
        }
        if (out !== null) out[o++] = c;
        depth++;
        expectKey = c === 123;
        inObject[depth] = c === 123 ? 1 : 0;
        prevKey[2 * depth] = -1;
        break;
      case 125: // }
      case 93: // ]
        if (out !== null) out[o++] = c;
        depth--;
        expectKey = false;
        if (state === 2 && depth === 1) {
          state = 3;
          result = (out as Buffer).subarray(0, o);
          out = null;
          dst = null;
        }
        break;
      case 44: // ,
        if (state === 1) return null; // the member's value is not an object or array
        if (out !== null) out[o++] = c;
        expectKey = inObject[depth] === 1;
        break;
      case 58: // :
        if (out !== null) out[o++] = c;
        break;
      case 116: // true
      case 110: // null
      case 102: {
        // false
        const end = c === 102 ? i + 4 : i + 3;
        if (out !== null) {
          out[o++] = c;
          while (i < end) out[o++] = bytes[i++] as number;
        }
        i = end;
        break;
      }
      default: {
        // A number (JSON.parse accepted it): '-' or a digit first.
        const start = i - 1;
        if (c === 45 && bytes[i] === 48 && state === 2) return null; // -0 is written 0
        if (out !== null) out[o++] = c;
        for (;;) {
          const d = bytes[i] as number;
          if (d >= 48 && d <= 57) {
            if (out !== null) out[o++] = d;
            i++;
          } else if (d === 46 || d === 101 || d === 69) {
            return null; // a fraction or exponent: refused below, with its path
          } else {
            break;
          }
        }
        if (i - start - (c === 45 ? 1 : 0) > 15) return null; // maybe beyond 2^53-1
      }
    }
  }
  return state === 3 ? result : null;
}

function decodeChecked(bytes: Uint8Array, file: string, opts: ParseJsonOptions): { text: string; value: JsonValue } {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  if (bytes.length > maxBytes) {
    throw new InputError(
      `${file}: file is ${String(bytes.length)} bytes, more than the ${String(maxBytes)} accepted`,
      { file }
    );
  }
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    throw new InputError(`${file}: starts with a UTF-8 byte order mark (BOM), which TUF clients reject`, {
      file,
    });
  }
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch (cause) {
    throw new InputError(`${file}: not valid UTF-8`, { file, cause });
  }
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
  if (!quickCheck(text, maxDepth)) new Scanner(text, file, maxDepth).run();
  return value;
}

/** What {@link parseJsonWithMember} returns. */
export interface ParsedJson {
  readonly value: JsonValue;
  /**
   * The canonical bytes of the value of the top-level key asked for, read
   * off the text, when the text allows (see {@link sortedScan}: files
   * written with sorted keys and no escapes); else undefined.
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
  const { text, value } = decodeChecked(bytes, file, opts);
  const maxDepth = opts.maxDepth ?? DEFAULT_MAX_DEPTH;
  const canonical = sortedScan(bytes, maxDepth, byteOf(key));
  if (canonical !== null) return { value, canonicalBytes: canonical };
  if (!quickCheck(text, maxDepth)) new Scanner(text, file, maxDepth).run();
  return { value, canonicalBytes: undefined };
}
