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
import { codePointRank } from './canonical.js';

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
 * What {@link quickCheck} reports, when asked, about the value of one
 * top-level key (metadata's `signed`): where its text stands, and whether
 * that text is canonical JSON but for whitespace.
 */
interface MemberText {
  readonly key: string;
  /** Character range [start, end) of the value when it is an object or array; start -1 otherwise. */
  start: number;
  end: number;
  /**
   * Every object in it has its keys in increasing code-point order and no
   * number is written `-0`. (Backslashes are looked for afterwards.)
   */
  canonical: boolean;
}

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
 *
 * Keys are compared in code-point order (that of canonical JSON; it differs
 * from UTF-16 order only between surrogates and U+E000..U+FFFF), so that
 * `member`, when given, can learn whether the text of the value of the
 * top-level key `member.key` has all its objects' keys in canonical order.
 */
function quickCheck(text: string, maxDepth: number, member: MemberText | null): boolean {
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
  /** For `member`: 0 looking for its key, 1 key read, 2 inside its value, 3 past it. */
  let memberState = 0;
  let canonical = true;
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
        if (memberState === 1) {
          memberState = 2;
          (member as MemberText).start = i;
        }
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
        if (memberState === 2 && depth === 1) {
          memberState = 3;
          (member as MemberText).end = i + 1;
        } else if (memberState === 1) {
          memberState = 3; // the member's value was not an object or array
        }
        i++;
        break;
      case 44: // ,
        expectKey = isObject[depth - 1] as boolean;
        if (memberState === 1) memberState = 3;
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
            let after: boolean;
            if (m < len) {
              const x = text.charCodeAt(i + m);
              const y = text.charCodeAt(s + m);
              after = x < 0xd800 && y < 0xd800 ? x > y : codePointRank(x) > codePointRank(y);
            } else {
              after = end - i > e - s;
            }
            if (!after) {
              increasing[d] = false;
              if (memberState === 2) canonical = false;
            }
          }
          if (d === 0 && memberState === 0 && member !== null) {
            const k = member.key;
            if (end - i - 1 === k.length && text.startsWith(k, i + 1)) memberState = 1;
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
        if (memberState === 2 && c === 45 && text.charCodeAt(i + 1) === 48) canonical = false; // -0
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
  if (member !== null) {
    if (memberState !== 3) member.start = -1;
    if (member.start !== -1) {
      const b = text.indexOf('\\', member.start);
      if (b !== -1 && b < member.end) canonical = false;
    }
    member.canonical = canonical;
  }
  return true;
}

/** A byte range [start, end) of a file. */
export interface ByteSpan {
  readonly start: number;
  readonly end: number;
}

/** What {@link parseJsonWithMember} returns. */
export interface ParsedJson {
  readonly value: JsonValue;
  /**
   * Where the value of the top-level key asked for stands in the bytes, when
   * that value is an object or array written as its canonical JSON but for
   * whitespace outside strings: in each of its objects the keys in
   * code-point order, no backslash in any string (so no escapes), no `-0`.
   * Then removing that whitespace gives its canonical bytes
   * ({@link canonicalBytesFromText}). Undefined in every other case.
   */
  readonly canonicalSpan: ByteSpan | undefined;
}

function read(bytes: Uint8Array, file: string, opts: ParseJsonOptions, member: MemberText | null): JsonValue {
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
  const maxDepth = opts.maxDepth ?? DEFAULT_MAX_DEPTH;
  if (!quickCheck(text, maxDepth, member)) {
    new Scanner(text, file, maxDepth).run();
    if (member !== null) member.start = -1;
  } else if (member !== null && member.start !== -1 && member.canonical && text.length !== bytes.length) {
    // Not ASCII: character positions to byte positions.
    const start = Buffer.byteLength(text.slice(0, member.start), 'utf8');
    member.end = start + Buffer.byteLength(text.slice(member.start, member.end), 'utf8');
    member.start = start;
  }
  return value;
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
  return read(bytes, file, opts, null);
}

/**
 * {@link parseJson}, also telling where the canonical bytes of the value of
 * the top-level key `key` (metadata's `signed`) can be read off the bytes
 * without serializing the parsed value, when they can.
 */
export function parseJsonWithMember(
  bytes: Uint8Array,
  file: string,
  key: string,
  opts: ParseJsonOptions = {}
): ParsedJson {
  const member: MemberText = { key, start: -1, end: -1, canonical: false };
  const value = read(bytes, file, opts, member);
  const canonicalSpan = member.start !== -1 && member.canonical ? { start: member.start, end: member.end } : undefined;
  return { value, canonicalSpan };
}
