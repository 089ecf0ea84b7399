// SPDX-License-Identifier: Apache-2.0
/**
 * OLPC canonical JSON, byte for byte as securesystemslib `encode_canonical`
 * computes it: no whitespace, object keys sorted by Unicode code point,
 * strings emitted raw with only `\` and `"` escaped, integers only.
 *
 * The output is not always valid JSON (control characters are raw): use it
 * only as the bytes to hash or sign, never as a file format.
 */

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

const NEEDS_ESCAPE = /["\\]/;

function encodeString(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return '"' + s + '"';
  return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}

function sortedKeys(o: object): string[] {
  const keys = Object.keys(o);
  // Files written by python-tuf (sort_keys=True) and by this tool are
  // already in order: check before paying for a sort.
  for (let i = 1; i < keys.length; i++) {
    if (compareCodePoints(keys[i - 1] as string, keys[i] as string) > 0) {
      return keys.sort(compareCodePoints);
    }
  }
  return keys;
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

/**
 * Returns the canonical JSON text of a JSON value.
 * @throws CanonicalError (a TypeError) for floats, unsafe integers, undefined, functions,
 *   non-plain objects and lone surrogates.
 */
export function canonicalize(value: unknown): string {
  return encode(value);
}

/** The canonical bytes (UTF-8 of {@link canonicalize}): what TUF signs. */
export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalize(value), 'utf8');
}
