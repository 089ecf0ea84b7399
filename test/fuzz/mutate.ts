// SPDX-License-Identifier: Apache-2.0
/**
 * Structure-aware mutation of input files for fuzzing, driven by
 * fast-check so every failure prints a seed and a path to replay it
 * (`FUZZ_SEED=… FUZZ_PATH=…`).
 *
 * A mutation is a list of operations, each with two positions in [0, 1)
 * (scaled to the input's length): byte flips, insertions of tokens that
 * stress a strict JSON/YAML reader (duplicate keys, floats, huge integers,
 * lone surrogates, NUL, BOM, deep nesting), deletions, truncation, line
 * duplication (which gives duplicate keys in pretty-printed JSON), line
 * swaps, number and hex rewrites, and Unicode look-alikes.
 */
import fc from 'fast-check';

const TOKENS = [
  '"',
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  '\\',
  '1e400',
  '0.5',
  '-0',
  '1.0',
  '9007199254740993',
  '-9007199254740993',
  '123456789012345678901234567890',
  'null',
  'true',
  'NaN',
  'Infinity',
  '"\\ud800"',
  '"\\u0000"',
  '\u0000',
  '\ufeff',
  '\u202e',
  '"keyid": "00",',
  '"sig": "",',
  '"version": 2,',
  '"_type": "root",',
  '"x-extra": {},',
  '&a *a',
  '!!binary ',
  '---\n',
  '\t',
  '\r\n',
  '../../etc/passwd',
  '%00',
  'аlice', // Cyrillic a
] as const;

export type Op =
  | { readonly kind: 'flip'; readonly at: number; readonly value: number }
  | { readonly kind: 'insert'; readonly at: number; readonly token: number }
  | { readonly kind: 'delete'; readonly at: number; readonly length: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'dup-line'; readonly at: number }
  | { readonly kind: 'swap-lines'; readonly at: number; readonly other: number }
  | { readonly kind: 'number'; readonly at: number; readonly token: number }
  | { readonly kind: 'upper-hex'; readonly at: number }
  | { readonly kind: 'nest'; readonly depth: number }
  | { readonly kind: 'lookalike'; readonly at: number };

const unit = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

export const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: unit, value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: unit, token: fc.integer({ min: 0, max: TOKENS.length - 1 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: unit, length: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: unit }),
  fc.record({ kind: fc.constant('dup-line' as const), at: unit }),
  fc.record({ kind: fc.constant('swap-lines' as const), at: unit, other: unit }),
  fc.record({ kind: fc.constant('number' as const), at: unit, token: fc.integer({ min: 8, max: 19 }) }),
  fc.record({ kind: fc.constant('upper-hex' as const), at: unit }),
  fc.record({ kind: fc.constant('nest' as const), depth: fc.integer({ min: 60, max: 5000 }) }),
  fc.record({ kind: fc.constant('lookalike' as const), at: unit })
);

/** One to four operations. */
export const mutationArb: fc.Arbitrary<readonly Op[]> = fc.array(opArb, { minLength: 1, maxLength: 4 });

const LOOKALIKE: Record<string, string> = { a: 'а', e: 'е', o: 'о', c: 'с', p: 'р', i: 'і', '-': '‐', '.': '․' };

function lines(s: string): string[] {
  return s.split('\n');
}

/** Applies the operations to the input; the result is bytes (it may not be valid UTF-8). */
export function mutate(input: Uint8Array, ops: readonly Op[]): Uint8Array {
  let b = Buffer.from(input);
  for (const op of ops) {
    const pos = (u: number): number => Math.floor(u * (b.length + 1));
    switch (op.kind) {
      case 'flip': {
        if (b.length === 0) break;
        const i = Math.min(pos(op.at), b.length - 1);
        b = Buffer.from(b);
        b[i] = op.value;
        break;
      }
      case 'insert': {
        const i = pos(op.at);
        b = Buffer.concat([b.subarray(0, i), Buffer.from(TOKENS[op.token] ?? '', 'utf8'), b.subarray(i)]);
        break;
      }
      case 'delete': {
        const i = pos(op.at);
        b = Buffer.concat([b.subarray(0, i), b.subarray(i + op.length)]);
        break;
      }
      case 'truncate':
        b = b.subarray(0, pos(op.at));
        break;
      case 'dup-line': {
        const ls = lines(b.toString('latin1'));
        const i = Math.floor(op.at * ls.length);
        ls.splice(i, 0, ls[i] ?? '');
        b = Buffer.from(ls.join('\n'), 'latin1');
        break;
      }
      case 'swap-lines': {
        const ls = lines(b.toString('latin1'));
        const i = Math.floor(op.at * ls.length);
        const j = Math.floor(op.other * ls.length);
        const t = ls[i] ?? '';
        ls[i] = ls[j] ?? '';
        ls[j] = t;
        b = Buffer.from(ls.join('\n'), 'latin1');
        break;
      }
      case 'number': {
        // Replace the digits of the number nearest to the position.
        const s = b.toString('latin1');
        const re = /-?[0-9]+/g;
        const matches = [...s.matchAll(re)];
        if (matches.length === 0) break;
        const m = matches[Math.floor(op.at * matches.length)];
        if (m?.index === undefined) break;
        b = Buffer.from(s.slice(0, m.index) + (TOKENS[op.token] ?? '0') + s.slice(m.index + m[0].length), 'latin1');
        break;
      }
      case 'upper-hex': {
        const s = b.toString('latin1');
        const matches = [...s.matchAll(/[0-9a-f]{8,}/g)];
        const m = matches[Math.floor(op.at * matches.length)];
        if (m?.index === undefined) break;
        b = Buffer.from(s.slice(0, m.index) + m[0].toUpperCase() + s.slice(m.index + m[0].length), 'latin1');
        break;
      }
      case 'nest':
        b = Buffer.concat([Buffer.from('['.repeat(op.depth)), b, Buffer.from(']'.repeat(op.depth))]);
        break;
      case 'lookalike': {
        const s = b.toString('utf8');
        const idx = [...s.matchAll(/"[a-z]+"/g)];
        const m = idx[Math.floor(op.at * idx.length)];
        if (m?.index === undefined) break;
        const word = m[0].replace(/[aeocpi.-]/, (ch) => LOOKALIKE[ch] ?? ch);
        b = Buffer.from(s.slice(0, m.index) + word + s.slice(m.index + m[0].length), 'utf8');
        break;
      }
    }
  }
  return b;
}

/** Runs per fuzz target: FUZZ_RUNS (npm run fuzz sets it), else a few hundred for the normal suite. */
export const FUZZ_RUNS = Number(process.env['FUZZ_RUNS'] ?? '400');

/** fast-check parameters: the seed and path from the environment when replaying. */
export function fcParams<T extends unknown[]>(numRuns: number): fc.Parameters<T> {
  const seed = process.env['FUZZ_SEED'];
  const path = process.env['FUZZ_PATH'];
  return {
    numRuns,
    ...(seed === undefined ? {} : { seed: Number(seed) }),
    ...(path === undefined ? {} : { path }),
  };
}
