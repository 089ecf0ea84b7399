// SPDX-License-Identifier: Apache-2.0
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_MAX_DEPTH, formatPath, parseJson, parseJsonWithMember } from '../../src/metadata/json.js';
import { assertInputError, prng } from './helpers.js';

const FILE = 'repo/metadata/some file.json';

function parse(text: string | Uint8Array, opts: Parameters<typeof parseJson>[2] = {}): unknown {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  return parseJson(bytes, FILE, opts);
}

function rejects(text: string | Uint8Array, field: string | null, message: RegExp, opts: Parameters<typeof parseJson>[2] = {}): void {
  assertInputError(() => parse(text, opts), { file: FILE, field, message });
}

/** `{"k0":0,…,"k(n-1)":n-1` without the closing brace. */
function manyKeys(n: number): string {
  return '{' + Array.from({ length: n }, (_, i) => `"k${String(i)}":${String(i)}`).join(',');
}

describe('parseJson', () => {
  describe('duplicate keys are rejected with the path of the duplicate', () => {
    const cases: readonly (readonly [string, string, string])[] = [
      ['top level, adjacent', '{"a":1,"a":2}', 'a'],
      ['top level, not adjacent', '{"a":1,"b":2,"a":3}', 'a'],
      ['different values', '{"a":{"x":1},"a":"y"}', 'a'],
      ['nested', '{"x":{"y":{"k":1,"j":0,"k":2}}}', 'x.y.k'],
      ['inside an array element', '{"arr":[{"k":1},{"k":1,"k":2}]}', 'arr[1].k'],
      ['in an object inside an array at top level', '[0,[1,{"q":1,"q":1}]]', '[1][1].q'],
      ['with whitespace', '{ "a" : 1 ,\n\t"a" : 2 }', 'a'],
      ['escaped duplicate \\u0061 = a', '{"a":1,"\\u0061":2}', 'a'],
      ['escaped duplicate, escape first', '{"\\u0062c":1,"bc":2}', 'bc'],
      ['escaped slash duplicate', '{"a/b":1,"a\\/b":2}', '["a/b"]'],
      ['key with a dot', '{"s":{"snapshot.json":1,"snapshot.json":2}}', 's["snapshot.json"]'],
      ['in an object with more than 16 keys (set mode)', manyKeys(20) + ',"k3":99}', 'k3'],
      ['the 17th key duplicating the first', manyKeys(16) + ',"k0":99}', 'k0'],
      ['the 18th key duplicating the 17th', manyKeys(17) + ',"k16":99}', 'k16'],
      ['duplicate after a big nested object', '{"a":' + manyKeys(30) + '},"b":1,"a":2}', 'a'],
      ['__proto__ twice', '{"__proto__":1,"__proto__":2}', '__proto__'],
    ];
    for (const [name, text, field] of cases) {
      test(name, () => rejects(text, field, /duplicate key/));
    }
  });

  describe('equal keys in different objects are fine', () => {
    const cases: readonly (readonly [string, string])[] = [
      ['siblings', '{"a":{"k":1},"b":{"k":1}}'],
      ['array elements', '[{"k":1},{"k":2},{"k":3}]'],
      ['parent and child', '{"k":{"k":{"k":1}}}'],
      ['40 distinct keys', manyKeys(40) + '}'],
      ['key equal to a value', '{"a":"b","b":"a"}'],
      ['case differs', '{"a":1,"A":2}'],
    ];
    for (const [name, text] of cases) {
      test(name, () => assert.deepEqual(parse(text), JSON.parse(text)));
    }
  });

  describe('floats and exponents are rejected', () => {
    const cases: readonly (readonly [string, string, string])[] = [
      ['1.0', '{"v":1.0}', 'v'],
      ['0.0', '{"v":0.0}', 'v'],
      ['1e3', '{"v":1e3}', 'v'],
      ['1E3', '{"v":1E3}', 'v'],
      ['1e+3', '{"v":1e+3}', 'v'],
      ['1.5', '{"v":1.5}', 'v'],
      ['-0.5e-3', '{"v":-0.5e-3}', 'v'],
      ['0e0', '{"v":0e0}', 'v'],
      ['in an array', '{"a":[1,2,3.25]}', 'a[2]'],
      ['after literals', '{"d":[true,false,null,"1.5",1.5]}', 'd[4]'],
      ['deep', '{"signed":{"roles":{"root":{"threshold":1.0}}}}', 'signed.roles.root.threshold'],
      ['top-level value', '2.5', ''],
    ];
    for (const [name, text, field] of cases) {
      test(name, () => rejects(text, field, /is not an integer/));
    }
    test('numbers inside strings are only strings', () => {
      assert.deepEqual(parse('{"1.5":"1.5","e":"1e3"}'), { '1.5': '1.5', e: '1e3' });
    });
  });

  describe('integers must be within ±(2^53-1)', () => {
    const bad: readonly (readonly [string, string])[] = [
      ['2^53', '9007199254740992'],
      ['2^53+1 (rounds to 2^53)', '9007199254740993'],
      ['-(2^53)', '-9007199254740992'],
      ['30 digits', '123456789012345678901234567890'],
    ];
    for (const [name, n] of bad) {
      test(`${name} is rejected`, () => rejects(`{"n":[${n}]}`, 'n[0]', /beyond 2\^53-1/));
    }
    test('the bounds and small integers are accepted exactly', () => {
      assert.deepEqual(parse('[9007199254740991,-9007199254740991,0,-1,1000000000000000]'), [
        Number.MAX_SAFE_INTEGER,
        Number.MIN_SAFE_INTEGER,
        0,
        -1,
        1e15,
      ]);
    });
    test('-0 is an integer', () => {
      assert.ok(Object.is(parse('-0'), -0));
    });
  });

  describe('encoding', () => {
    test('a UTF-8 BOM is rejected', () => {
      rejects(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{}')]), null, /byte order mark/);
    });
    test('an escaped U+FEFF inside a string is fine', () => {
      assert.deepEqual(parse('{"a":"\\ufeff"}'), { a: '\ufeff' });
    });
    const invalid: readonly (readonly [string, number[]])[] = [
      ['0xff byte', [0xff]],
      ['truncated 3-byte sequence', [0xe2, 0x82]],
      ['truncated 4-byte sequence', [0xf0, 0x9f, 0x98]],
      ['lone continuation byte', [0x80]],
      ['overlong encoding of /', [0xc0, 0xaf]],
      ['UTF-8 encoded surrogate', [0xed, 0xa0, 0x80]],
      ['beyond U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ];
    for (const [name, bytes] of invalid) {
      test(`invalid UTF-8 in a string: ${name}`, () => {
        const b = Buffer.concat([Buffer.from('{"a":"x'), Buffer.from(bytes), Buffer.from('"}')]);
        rejects(b, null, /not valid UTF-8/);
      });
    }
    test('invalid UTF-8 at the very end of the file', () => {
      rejects(Buffer.concat([Buffer.from('{"a":1}'), Buffer.from([0xe2])]), null, /not valid UTF-8/);
    });
    test('valid multi-byte UTF-8 is read', () => {
      assert.deepEqual(parse(Buffer.from('{"é":"😀中"}', 'utf8')), { é: '😀中' });
    });
  });

  describe('lone surrogate escapes are rejected', () => {
    const cases: readonly (readonly [string, string, string])[] = [
      ['high surrogate value', '{"a":"\\ud800"}', 'a'],
      ['low surrogate value', '{"a":"x\\udc00y"}', 'a'],
      ['reversed pair', '{"a":"\\ude00\\ud83d"}', 'a'],
      ['high surrogate then a non-surrogate escape', '{"a":"\\ud83d\\u0041"}', 'a'],
      ['in an array', '{"a":["ok","\\ud800"]}', 'a[1]'],
      ['value after an escaped key', '{"a\\n":1,"b":"\\udbff"}', 'b'],
      ['top-level string', '"\\ud800"', ''],
      // The key cannot be decoded, so the path shows it as written.
      ['key', '{"x":{"\\ud800":1}}', 'x' + JSON.stringify(['\\ud800'])],
      ['key after other keys', '{"a":1,"b":2,"\\udc00":3}', JSON.stringify(['\\udc00'])],
    ];
    for (const [name, text, field] of cases) {
      test(name, () => rejects(text, field, /unpaired UTF-16 surrogate/));
    }
    test('a valid escaped pair is accepted in keys and values', () => {
      assert.deepEqual(parse('{"\\ud83d\\ude00":"\\ud83d\\ude00","b":"\\uD83D\\uDE00"}'), { '😀': '😀', b: '😀' });
    });
  });

  describe('string ends with backslash runs are found correctly', () => {
    // A scanner that misjudges where a string ends would miss these duplicates.
    for (let n = 0; n <= 7; n++) {
      const value = '\\'.repeat(n) + (n % 2 === 1 ? '"' : '');
      const text = `{"k":${JSON.stringify(value)},"k":1}`;
      test(`duplicate after a value ending in ${String(n)} backslashes: ${text}`, () => {
        rejects(text, 'k', /duplicate key/);
      });
      const ok = `{"k":${JSON.stringify(value)},"j":1,"k2":${JSON.stringify(value + 'x')}}`;
      test(`no false duplicate: ${ok}`, () => {
        assert.deepEqual(parse(ok), JSON.parse(ok));
      });
    }
    const accepted: readonly string[] = [
      '{"k":"a\\\\","b":1,"c":2}',
      '{"k":"\\",\\"k\\":1"}',
      '{"k":"\\\\\\",\\"k\\":1"}',
      '{"a\\\\":1,"a":2}',
      '{"a\\"":1,"a":2,"k":["\\\\","\\"","\\\\\\\\"]}',
      '{"\\\\":{"\\\\":"\\\\"},"x":"\\\\\\\\\\\\"}',
    ];
    for (const text of accepted) {
      test(`accepted: ${text}`, () => assert.deepEqual(parse(text), JSON.parse(text)));
    }
    test('escaped keys are compared after decoding', () => {
      rejects('{"a\\\\":1,"a\\u005c":2}', JSON.stringify(['a\\']), /duplicate key/);
    });
  });

  describe('syntax errors', () => {
    const cases: readonly (readonly [string, string, RegExp])[] = [
      ['truncated object', '{"a":1', /not valid JSON/],
      ['truncated after colon', '{"a":', /not valid JSON/],
      ['truncated array', '[1,2', /not valid JSON/],
      ['truncated string', '"abc', /not valid JSON/],
      ['trailing comma', '{"a":1,}', /not valid JSON/],
      ['single quotes', "{'a':1}", /not valid JSON/],
      ['trailing garbage', '{} x', /not valid JSON/],
      ['empty file', '', /empty file/],
      ['whitespace only', ' \n\t ', /empty file/],
    ];
    for (const [name, text, message] of cases) {
      test(name, () => rejects(text, null, message));
    }
    test('the position is reported as line and column', () => {
      // The unexpected "b" (missing comma) starts line 3.
      rejects('{\n"a":1\n"b":2}', null, /at line 3 column 1: Expected ',' or '}'/);
    });
  });

  describe('nesting depth', () => {
    const nested = (n: number): string => '['.repeat(n) + ']'.repeat(n);
    test(`the default limit (${String(DEFAULT_MAX_DEPTH)}) is accepted, one more is not`, () => {
      assert.ok(Array.isArray(parse(nested(DEFAULT_MAX_DEPTH))));
      rejects(nested(DEFAULT_MAX_DEPTH + 1), '[0]'.repeat(DEFAULT_MAX_DEPTH), /nesting deeper than 64 levels/);
    });
    test('maxDepth option, objects', () => {
      assert.deepEqual(parse('{"a":{"a":{}}}', { maxDepth: 3 }), { a: { a: {} } });
      rejects('{"a":{"a":{"a":{}}}}', 'a.a.a', /nesting deeper than 3 levels/, { maxDepth: 3 });
    });
    test('very deep input fails cleanly (no stack overflow)', () => {
      rejects(nested(100_000), '[0][0]', /nesting deeper than 2 levels/, { maxDepth: 2 });
      assertInputError(() => parse(nested(100_000)), { file: FILE, message: /nesting deeper than 64/ });
    });
  });

  describe('size limit', () => {
    test('maxBytes is inclusive', () => {
      const text = '[1,2,3,45]';
      assert.equal(text.length, 10);
      assert.deepEqual(parse(text, { maxBytes: 10 }), [1, 2, 3, 45]);
      rejects(text + ' ', null, /11 bytes, more than the 10 accepted/, { maxBytes: 10 });
    });
    test('bytes, not characters, are counted', () => {
      rejects('"ééé"', null, /8 bytes/, { maxBytes: 7 });
    });
  });

  test('values are the JSON.parse values', () => {
    const text = '{"s":"a\\u0000\\n\\"","n":-12,"b":[true,false,null],"o":{},"e":[]}';
    assert.deepEqual(parse(text), JSON.parse(text));
  });

  describe('objects with integer-like keys (listed first by Object.keys)', () => {
    const cases: readonly (readonly [string, string, string | undefined])[] = [
      ['nested under integer keys', '{"b":{"k":1},"1":{"k":1},"0":[{"k":2}]}', undefined],
      ['duplicate under an integer key', '{"b":{"k":1},"1":{"k":1,"k":2}}', '["1"].k'],
      ['duplicate integer key', '{"2":1,"10":{},"2":3}', '["2"]'],
      ['duplicate deep under integer keys', '{"1":{"0":[{"z":1},{"y":{"x":1,"x":1}}]}}', '["1"]["0"][1].y.x'],
      ['keys starting with a digit but not integers', '{"1a":{"q":1},"01":{"q":[1]},"-1":{"q":{}},"4294967296":{"q":2}}', undefined],
      ['duplicate among non-integer digit keys', '{"1a":{"q":1},"01":{"q":[1],"q":2}}', '["01"].q'],
      ['__proto__ next to integer keys', '{"__proto__":{"a":1},"0":{"a":[1]}}', undefined],
    ];
    for (const [name, text, field] of cases) {
      test(name, () => {
        if (field === undefined) assert.deepEqual(parse(text), JSON.parse(text));
        else rejects(text, field, /duplicate key/);
      });
    }
  });

  test('agrees with an independent duplicate-key finder on generated texts', () => {
    // Reference: a small recursive-descent reader that reports the first
    // duplicate key in text order with its path (formatted independently).
    const fmt = (segs: readonly (string | number)[]): string =>
      segs
        .map((s, i) =>
          typeof s === 'number' ? `[${String(s)}]` : /^[A-Za-z_][A-Za-z0-9_-]*$/.test(s) ? (i === 0 ? s : '.' + s) : JSON.stringify([s])
        )
        .join('');
    const firstDuplicate = (text: string): string | undefined => {
      let i = 0;
      const ws = (): void => {
        while (/\s/.test(text[i] ?? '')) i++;
      };
      const str = (): string => {
        const start = i;
        i++;
        while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
        i++;
        return JSON.parse(text.slice(start, i)) as string;
      };
      const value = (path: (string | number)[]): string | undefined => {
        ws();
        const c = text[i];
        if (c === '{') {
          i++;
          const seen = new Set<string>();
          ws();
          if (text[i] === '}') {
            i++;
            return undefined;
          }
          for (;;) {
            ws();
            const k = str();
            if (seen.has(k)) return fmt([...path, k]);
            seen.add(k);
            ws();
            i++; // :
            const d = value([...path, k]);
            if (d !== undefined) return d;
            ws();
            if (text[i++] === '}') return undefined;
          }
        }
        if (c === '[') {
          i++;
          ws();
          if (text[i] === ']') {
            i++;
            return undefined;
          }
          for (let n = 0; ; n++) {
            const d = value([...path, n]);
            if (d !== undefined) return d;
            ws();
            if (text[i++] === ']') return undefined;
          }
        }
        if (c === '"') {
          str();
          return undefined;
        }
        while (i < text.length && !/[\s,\]}]/.test(text[i] as string)) i++;
        return undefined;
      };
      return value([]);
    };
    const rnd = prng(4242);
    const KEYS = ['a', 'b', 'k', '0', '1', '10', '2', '__proto__', 'a b', 'x.y', '1a', '01', 'é', '😀', '\\', '"'];
    const keyLiteral = (k: string): string => {
      const lit = JSON.stringify(k);
      // Sometimes write the first character as a \u escape.
      if (rnd() < 0.15 && k.length > 0 && lit[1] !== '\\' && k.charCodeAt(0) < 0xd800) return '"\\u' + k.charCodeAt(0).toString(16).padStart(4, '0') + lit.slice(2);
      return lit;
    };
    const gen = (depth: number): string => {
      const r = rnd();
      if (depth > 4 || r < 0.35) {
        const p = rnd();
        if (p < 0.3) return String(Math.floor((rnd() - 0.5) * 1e6));
        if (p < 0.6) return JSON.stringify(['x', 'a\\', 'q"', '\\\\', '\n'][Math.floor(rnd() * 5)]);
        return ['true', 'false', 'null'][Math.floor(rnd() * 3)] as string;
      }
      const sp = rnd() < 0.2 ? ' \n' : '';
      if (r < 0.6) return '[' + Array.from({ length: Math.floor(rnd() * 4) }, () => gen(depth + 1)).join(',' + sp) + ']';
      const n = Math.floor(rnd() * 5);
      const pairs: string[] = [];
      for (let j = 0; j < n; j++) pairs.push(keyLiteral(KEYS[Math.floor(rnd() * KEYS.length)] as string) + sp + ':' + gen(depth + 1));
      return '{' + sp + pairs.join(',') + '}';
    };
    let dups = 0;
    for (let n = 0; n < 1500; n++) {
      const text = gen(0);
      const expected = firstDuplicate(text);
      // parseJsonWithMember (metadata's reader, with its own fast path) agrees.
      const member = (): unknown => parseJsonWithMember(Buffer.from(text, 'utf8'), FILE, 'k').value;
      if (expected === undefined) {
        assert.deepEqual(parse(text), JSON.parse(text), text);
        assert.deepEqual(member(), JSON.parse(text), text);
      } else {
        dups++;
        assertInputError(() => parse(text), { file: FILE, field: expected, message: /duplicate key/ });
        assertInputError(member, { file: FILE, field: expected, message: /duplicate key/ });
      }
    }
    assert.ok(dups > 100 && dups < 1400, `generated ${String(dups)} texts with duplicates`);
  });

  test('formatPath', () => {
    assert.equal(formatPath([]), '');
    assert.equal(formatPath(['signed', 'keys', 'ab12', 'keyval']), 'signed.keys.ab12.keyval');
    assert.equal(formatPath(['signed', 'keys', '1bf1']), 'signed.keys["1bf1"]');
    assert.equal(formatPath(['signatures', 0, 'sig']), 'signatures[0].sig');
    assert.equal(formatPath([0, 'a b', 'x-y']), '[0]["a b"].x-y');
  });
});
