// SPDX-License-Identifier: Apache-2.0
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canonicalize as tufjsCanonicalize } from '@tufjs/canonical-json';
import { canonicalBytes, canonicalize, CanonicalError, compareCodePoints, sortByCodePoint } from '../../src/metadata/canonical.js';
import { prng, randomJson } from './helpers.js';

/** ASCII-only values: here @tufjs/canonical-json is an independent oracle. */
const ASCII_CASES: readonly (readonly [string, unknown])[] = [
  ['empty string', ''],
  ['plain string', 'hello world'],
  ['zero', 0],
  ['negative', -42],
  ['max safe', 9007199254740991],
  ['min safe', -9007199254740991],
  ['true', true],
  ['false', false],
  ['null', null],
  ['empty array', []],
  ['empty object', {}],
  ['array order kept', [3, 1, 2, 'b', 'a']],
  ['quote and backslash', 'a"b\\c\\\\"d'],
  ['only backslashes', '\\\\\\'],
  ['control characters raw', 'tab\there\nnew\rline\u0000nul\u001fus\u007fdel'],
  ['sorted keys', { b: 1, a: 2, c: 3 }],
  ['underscore between cases', { a: 1, _type: 'root', Z: 2, z: 3, A: 4 }],
  ['prefix keys', { ab: 1, a: 2, abc: 3, '': 4 }],
  ['digit keys', { '10': 1, '9': 2, '1': 3 }],
  ['keys needing escapes', { 'k"ey': 1, 'k\\ey': 2, 'k\ney': 3 }],
  [
    'nested metadata-like',
    {
      signed: {
        _type: 'root',
        version: 3,
        roles: { root: { keyids: ['b', 'a'], threshold: 1 }, targets: { keyids: [], threshold: 2 } },
        consistent_snapshot: false,
        x: [{ z: null, y: [true, false, [[]], {}] }],
      },
      signatures: [],
    },
  ],
];

describe('canonicalize', () => {
  describe('matches @tufjs/canonical-json on ASCII inputs', () => {
    for (const [name, value] of ASCII_CASES) {
      test(name, () => {
        assert.equal(canonicalize(value), tufjsCanonicalize(value));
      });
    }
  });

  test('hand-computed spec example key (OLPC form)', () => {
    const key = {
      scheme: 'ed25519',
      keyval: { public: '72378e5bc588793e58f81c8533da64a2e8f1565c1fcc7f253496394ffc52542c' },
      keytype: 'ed25519',
    };
    assert.equal(
      canonicalize(key),
      '{"keytype":"ed25519","keyval":{"public":"72378e5bc588793e58f81c8533da64a2e8f1565c1fcc7f253496394ffc52542c"},"scheme":"ed25519"}'
    );
  });

  test('keys sort by code point, not UTF-16 code unit (ﬁ U+FB01 before 😀 U+1F600, as python does)', () => {
    const value = { '😀': 1, 'ﬁ': 2 };
    // securesystemslib.formats.encode_canonical({'\ufb01':1,'\U0001F600':2}) == '{"ﬁ":1,"😀":2}'
    assert.equal(canonicalize(value), '{"ﬁ":2,"😀":1}');
    assert.equal(canonicalize({ 'ﬁ': 2, '😀': 1 }), '{"ﬁ":2,"😀":1}');
    // The JS default sort (what @tufjs/canonical-json uses) gets this wrong:
    // the test would be vacuous if both orders agreed.
    assert.equal(tufjsCanonicalize(value), '{"😀":1,"ﬁ":2}');
  });

  test('U+E000..U+FFFF keys sort before supplementary-plane keys', () => {
    const value = { '\u{10000}': 1, '\uffff': 2, '\ue000': 3, '\ud7ff': 4, z: 5 };
    assert.equal(canonicalize(value), '{"z":5,"\ud7ff":4,"\ue000":3,"\uffff":2,"\u{10000}":1}');
  });

  test('compareCodePoints agrees with UTF-8 byte order on generated strings', () => {
    const pool = ['a', 'Z', '_', '\u0000', '\u007f', 'é', '\ud7ff', '\ue000', 'ﬁ', '\uffff', '😀', '\u{10000}', '\u{10ffff}', '𝄞'];
    const rnd = prng(1234);
    const strings: string[] = [];
    for (let i = 0; i < 300; i++) {
      let s = '';
      const len = Math.floor(rnd() * 4);
      for (let j = 0; j < len; j++) s += pool[Math.floor(rnd() * pool.length)] as string;
      strings.push(s);
    }
    for (let i = 0; i + 1 < strings.length; i++) {
      const a = strings[i] as string;
      const b = strings[i + 1] as string;
      const expected = Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
      assert.equal(Math.sign(compareCodePoints(a, b)), expected, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    }
    const sorted = [...strings].sort(compareCodePoints);
    const byBytes = [...strings].sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
    assert.deepEqual(sorted, byBytes);
  });

  describe('strings: only \\ and " are escaped', () => {
    const raw: readonly (readonly [string, string])[] = [
      ['newline', 'a\nb'],
      ['NUL', '\u0000'],
      ['all C0 controls', Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).join('')],
      ['DEL', '\u007f'],
      ['U+2028 and U+2029', '\u2028\u2029'],
      ['non-ASCII', 'é ﬁ 😀 中文'],
      ['slash', 'a/b'],
    ];
    for (const [name, s] of raw) {
      test(`${name} is emitted raw`, () => {
        assert.equal(canonicalize(s), '"' + s + '"');
        assert.equal(canonicalize({ [s]: s }), '{"' + s + '":"' + s + '"}');
      });
    }
    test('quote and backslash are escaped', () => {
      assert.equal(canonicalize('"'), '"\\""');
      assert.equal(canonicalize('\\'), '"\\\\"');
      assert.equal(canonicalize('\\"'), '"\\\\\\""');
    });
  });

  test('canonicalBytes is the UTF-8 encoding', () => {
    assert.equal(canonicalBytes('😀').toString('hex'), '22f09f988022');
    assert.equal(canonicalBytes({ é: 1 }).toString('hex'), '7b22c3a9223a317d');
  });

  test('-0 is emitted as 0', () => {
    assert.equal(canonicalize(-0), '0');
    assert.equal(canonicalize({ a: -0, b: [-0] }), '{"a":0,"b":[0]}');
  });

  test('objects with a null prototype are plain objects', () => {
    const o = Object.create(null) as Record<string, unknown>;
    o['b'] = 1;
    o['a'] = 2;
    assert.equal(canonicalize(o), '{"a":2,"b":1}');
  });

  test('an own "__proto__" key (from JSON.parse) is kept and sorted', () => {
    const o = JSON.parse('{"z":1,"__proto__":{"x":1},"A":2}') as unknown;
    assert.equal(canonicalize(o), '{"A":2,"__proto__":{"x":1},"z":1}');
  });

  test('output does not depend on key insertion order', () => {
    const keys = ['b', 'a', '_type', 'A', 'ﬁ', '😀', 'aa', ''];
    const rnd = prng(99);
    const build = (order: string[]): Record<string, unknown> => {
      const o: Record<string, unknown> = {};
      for (const k of order) {
        const inner: Record<string, unknown> = {};
        for (const j of [...order].reverse()) inner[j] = j.length;
        o[k] = { inner, list: [k, 1] };
      }
      return o;
    };
    const reference = canonicalize(build(keys));
    for (let n = 0; n < 20; n++) {
      const order = [...keys];
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(rnd() * (i + 1));
        [order[i], order[j]] = [order[j] as string, order[i] as string];
      }
      assert.equal(canonicalize(build(order)), reference);
    }
  });

  describe('rejects non-JSON values with a CanonicalError naming the path', () => {
    class Thing {
      a = 1;
    }
    const sparse: number[] = [1];
    sparse[2] = 3;
    const cases: readonly (readonly [string, unknown, string, RegExp])[] = [
      ['float', { a: 1.5 }, '$.a', /1\.5 is not an integer/],
      ['float in array', { a: [0, 2.25] }, '$.a[1]', /not an integer/],
      ['NaN', { a: { b: NaN } }, '$.a.b', /NaN/],
      ['Infinity', [Infinity], '$[0]', /Infinity/],
      ['2^53', 2 ** 53, '$', /9007199254740992/],
      ['-(2^53)', { n: -(2 ** 53) }, '$.n', /-9007199254740992/],
      ['undefined member', { x: { y: undefined } }, '$.x.y', /undefined cannot be canonicalized/],
      ['undefined', undefined, '$', /undefined/],
      ['sparse array hole', { a: sparse }, '$.a[1]', /undefined/],
      ['function', { f: () => 1 }, '$.f', /function/],
      ['bigint', { n: 1n }, '$.n', /bigint/],
      ['symbol', [Symbol('s')], '$[0]', /symbol/],
      ['Map', { m: new Map([['a', 1]]) }, '$.m', /not a plain JSON object/],
      ['Set', { s: new Set([1]) }, '$.s', /not a plain JSON object/],
      ['Date', { d: new Date(0) }, '$.d', /not a plain JSON object/],
      ['class instance', { t: new Thing() }, '$.t', /not a plain JSON object/],
      ['boxed string', { s: new String('x') }, '$.s', /not a plain JSON object/],
      ['key needing quotes in the path', { 'a b': { c: 0.5 } }, '$["a b"].c', /not an integer/],
      ['lone high surrogate value', { k: ['ok', '\ud800'] }, '$.k[1]', /lone UTF-16 surrogate/],
      ['lone low surrogate value', '\udc00x', '$', /lone UTF-16 surrogate/],
      ['reversed surrogate pair', { k: '\ude00\ud83d' }, '$.k', /lone UTF-16 surrogate/],
      ['lone surrogate key', { o: { '\udc00': 1 } }, '$.o["\\udc00"]', /key holds a lone UTF-16 surrogate/],
    ];
    for (const [name, value, path, problem] of cases) {
      test(name, () => {
        assert.throws(
          () => canonicalize(value),
          (e: unknown) => {
            assert.ok(e instanceof CanonicalError, String(e));
            assert.ok(e instanceof TypeError);
            assert.equal(e.path, path);
            // Reading the path twice gives the same answer.
            assert.equal(e.path, path);
            assert.match(e.message, problem);
            return true;
          }
        );
      });
    }
  });

  test('safe integers at the bounds are accepted', () => {
    assert.equal(canonicalize([2 ** 53 - 1, -(2 ** 53 - 1)]), '[9007199254740991,-9007199254740991]');
  });

  describe('escape sequences that JSON.stringify would write are not left in the output', () => {
    const cases: readonly (readonly [string, string])[] = [
      ['literal backslash-n', 'a\\nb'],
      ['literal backslash-u0041', '\\u0041'],
      ['literal backslash-ud800', '\\ud800'],
      ['backslash then newline', '\\\n'],
      ['quote, backspace, form feed', '"\b\f"'],
      ['control char after escaped quote', '\\"\u0001'],
    ];
    for (const [name, s] of cases) {
      test(name, () => {
        const expected = '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
        assert.equal(canonicalize(s), expected);
        assert.equal(canonicalize([s]), '[' + expected + ']');
        assert.equal(canonicalize({ k: s, [s]: 1 }), s < 'k' ? `{${expected}:1,"k":${expected}}` : `{"k":${expected},${expected}:1}`);
      });
    }
  });

  test('agrees with an independent reference implementation on generated values', () => {
    // The spec reference from the crib: keys by UTF-8 bytes, only \ and " escaped.
    const enc = (s: string): string => '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
    const reference = (v: unknown): string => {
      if (typeof v === 'string') return enc(v);
      if (typeof v === 'number') return String(v);
      if (v === true) return 'true';
      if (v === false) return 'false';
      if (v === null) return 'null';
      if (Array.isArray(v)) return '[' + v.map(reference).join(',') + ']';
      const o = v as Record<string, unknown>;
      const ks = Object.keys(o).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      return '{' + ks.map((k) => enc(k) + ':' + reference(o[k])).join(',') + '}';
    };
    for (const v of randomJson(2024, 3000)) {
      assert.equal(canonicalize(v), reference(v), JSON.stringify(v));
    }
  });

  test('valid surrogate pairs are accepted in keys and values', () => {
    assert.equal(canonicalize({ '\ud83d\ude00': '\ud83d\ude00' }), '{"😀":"😀"}');
  });
});

describe('sortByCodePoint', () => {
  test('property: the same order as sorting with compareCodePoints (native sort without surrogates), 3,000 random lists', () => {
    const rnd = prng(16384);
    // ASCII, Latin, the U+E000–U+FFFF block and astral characters (surrogate pairs): the cases where UTF-16 order differs.
    const alphabet = ['a', 'b', 'B', '/', '0', 'é', '\u00ff', '\ue000', '\uffff', 'ﬁ', '😀', '\u{10000}', '\u{10ffff}'];
    for (let t = 0; t < 3000; t++) {
      const keys = Array.from({ length: Math.floor(rnd() * 12) }, () => Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => alphabet[Math.floor(rnd() * (t % 2 === 0 ? 9 : alphabet.length))] as string).join(''));
      const want = [...keys].sort(compareCodePoints);
      assert.deepEqual(sortByCodePoint([...keys]), want, JSON.stringify(keys));
    }
  });
});

describe('canonicalBytes (written straight into bytes)', () => {
  /** The reference: the UTF-8 of the string encoder, or the error it throws. */
  const outcome = (f: () => Uint8Array | string): string => {
    try {
      const r = f();
      return 'ok ' + Buffer.from(typeof r === 'string' ? Buffer.from(r, 'utf8') : r).toString('hex');
    } catch (e) {
      return e instanceof CanonicalError ? `CanonicalError ${e.path} ${e.message}` : `other ${String(e)}`;
    }
  };

  test('property: the UTF-8 of canonicalize on 4,000 random values (unsorted keys, U+E000 and astral keys, escapes, controls)', () => {
    for (const v of [...randomJson(1515, 2000), ...randomJson(1516, 2000)]) {
      assert.equal(outcome(() => canonicalBytes(v)), outcome(() => canonicalize(v)), JSON.stringify(v));
    }
  });

  test('property: the same errors as canonicalize where a value is refused (floats, lone surrogates, undefined, class instances), 2,000 random values', () => {
    const rnd = prng(4242);
    const bad = [1.5, -0.25, 2 ** 53, '\ud800', 'a\udc00b', undefined, new Date(0), () => 1, NaN];
    for (const v of randomJson(1517, 2000)) {
      // Put a bad value (or a bad key) at a random place in the tree.
      let node: unknown = v;
      while (node !== null && typeof node === 'object' && rnd() < 0.7) {
        const ks = Object.keys(node);
        if (ks.length === 0) break;
        const next = (node as Record<string, unknown>)[ks[Math.floor(rnd() * ks.length)] as string];
        if (next === null || typeof next !== 'object') break;
        node = next;
      }
      if (node !== null && typeof node === 'object' && !Array.isArray(node)) {
        const b = bad[Math.floor(rnd() * bad.length)];
        if (rnd() < 0.2) (node as Record<string, unknown>)['k\ud801'] = 1;
        else (node as Record<string, unknown>)[rnd() < 0.5 ? 'x' : '\u{1F600}'] = b;
      }
      assert.equal(outcome(() => canonicalBytes(v)), outcome(() => canonicalize(v)), String(JSON.stringify(v)));
    }
  });

  test('agrees with @tufjs/canonical-json on ASCII values with unsorted keys and escapes', () => {
    const rnd = prng(77);
    const chars = ['a', 'b', 'Z', '"', '\\', '0', '_', ' '];
    const str = (): string => Array.from({ length: Math.floor(rnd() * 6) }, () => chars[Math.floor(rnd() * chars.length)] as string).join('');
    for (let t = 0; t < 1000; t++) {
      const o: Record<string, unknown> = {};
      for (let i = 0; i < 6; i++) o[str()] = rnd() < 0.5 ? str() : { [str()]: [str(), Math.floor(rnd() * 1000)], [str()]: true };
      assert.equal(Buffer.from(canonicalBytes(o)).toString('hex'), Buffer.from(tufjsCanonicalize(o)).toString('hex'), JSON.stringify(o));
    }
  });

  test('a value holding another canonicalBytes call in a getter is written whole (the shared buffer is not reused underneath)', () => {
    const inner = { b: 'é😀', a: ['x'.repeat(70000)] };
    const outer = {
      z: 1,
      get a(): string {
        return Buffer.from(canonicalBytes(inner)).toString('utf8');
      },
    };
    assert.equal(Buffer.from(canonicalBytes(outer)).toString('utf8'), canonicalize({ a: canonicalize(inner), z: 1 }));
  });
});
