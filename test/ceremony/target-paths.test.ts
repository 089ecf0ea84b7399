// SPDX-License-Identifier: Apache-2.0
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { hiddenPathProblem, lookalikePaths, pathLookalikeKey, targetPathWarnings } from '../../src/ceremony/target-paths.js';
import { compareCodePoints } from '../../src/metadata/canonical.js';

/** The definition, written plainly: NFKC, case folded, NFKC; pairs in code point order of the later path. */
function referencePairs(paths: readonly string[]): [string, string][] {
  const key = (p: string): string => p.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC');
  const byKey = new Map<string, string>();
  const pairs: [string, string][] = [];
  for (const p of [...paths].sort(compareCodePoints)) {
    const other = byKey.get(key(p));
    if (other !== undefined) pairs.push([other, p]);
    else byKey.set(key(p), p);
  }
  return pairs;
}

/** Path parts that collide in the ways people cannot see: case, NFC/NFD, compatibility forms. */
const part = fc.constantFrom('a', 'A', 'pkg', 'PKG', 'é', 'e\u0301', 'É', 'ﬁ', 'fi', 'FI', 'ß', 'SS', 'x/', '-1.0', 'K', '\u212a', '😀', '\u200b', '/');

describe('target paths people cannot tell apart', () => {
  test('property: lookalike pairs equal the plain definition (2,000 random sets of colliding paths)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.array(part, { minLength: 1, maxLength: 4 }).map((xs) => xs.join('')), { maxLength: 30 }), (paths) => {
        assert.deepEqual(lookalikePaths(paths), referencePairs(paths));
      }),
      { numRuns: 2000, seed: 458 }
    );
  });

  test('property: the ASCII shortcut gives the same key as the definition for every ASCII string', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: 40 }), (p) => {
        assert.equal(pathLookalikeKey(p), p.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC'));
      }),
      { numRuns: 2000, seed: 15 }
    );
  });

  test('printable ASCII paths have no problem; ASCII controls, bidi, zero-width and NFD do', () => {
    assert.equal(hiddenPathProblem('packages/01/2e/pydb-1.0.tar.gz'), undefined);
    for (const p of ['a\u001bb', 'a\tb', 'a\u007fb', 'a\u202eb', 'a\u200bb', 'e\u0301.txt']) assert.notEqual(hiddenPathProblem(p), undefined, JSON.stringify(p));
    const w = targetPathWarnings(['A.txt', 'a.txt', 'x\u200b.txt']);
    assert.equal(w.length, 2);
    assert.match(w.join('\n'), /"A\.txt" and "a\.txt" differ only by case/);
  });
});
