// SPDX-License-Identifier: Apache-2.0
/**
 * The one scan of parseJsonWithMember (used by parseMetadata): for texts in
 * any key order, with or without escapes in values, one pass over the bytes
 * vouches for the strict checks and copies the canonical bytes of `signed`
 * (objects out of order sorted when they close). Every case is checked
 * against the reference (parseJson's checks and errors, canonicalBytes of the
 * parsed value), and the cases are also checked to take (or not take) the
 * fast path, so a divergence or a silent fall-back fails a test.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canonicalBytes, compareCodePoints } from '../../src/metadata/canonical.js';
import { InputError } from '../../src/errors.js';
import { parseJson, parseJsonWithMember } from '../../src/metadata/json.js';
import { parseMetadata } from '../../src/metadata/parse.js';
import { fixtureTargets, prng, randomJson, readTestdata, TESTDATA_FILES } from './helpers.js';

const FILE = 'x.json';

/** What parseJson says about the bytes: the value, or the error. */
function reference(bytes: Uint8Array, opts: Parameters<typeof parseJson>[2]): { value?: unknown; error?: string } {
  try {
    return { value: parseJson(bytes, FILE, opts) };
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    return { error: `${e.message} | ${String(e.field)}` };
  }
}

/**
 * parseJsonWithMember on the text, checked against the reference; returns
 * the canonical bytes of `signed` when the fast path gave them, undefined
 * when it did not, and null when the text is refused (as the reference does).
 */
function viaText(text: string, opts: Parameters<typeof parseJson>[2] = {}): Buffer | undefined | null {
  const bytes = Buffer.from(text, 'utf8');
  const want = reference(bytes, opts);
  let got;
  try {
    got = parseJsonWithMember(bytes, FILE, 'signed', opts);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    assert.equal(`${e.message} | ${String(e.field)}`, want.error, text);
    return null;
  }
  assert.equal(want.error, undefined, `accepted what parseJson refuses: ${text}`);
  assert.deepEqual(got.value, want.value, text);
  if (got.canonicalBytes === undefined) return undefined;
  const signed = canonicalBytes((got.value as { signed: unknown }).signed);
  assert.equal(got.canonicalBytes.toString('utf8'), signed.toString('utf8'), text);
  assert.deepEqual(got.canonicalBytes, signed, text);
  return got.canonicalBytes;
}

/** Texts with sorted keys and no escapes: the fast path must be taken. */
const FAST: readonly (readonly [string, string])[] = [
  ['compact', '{"signatures":[],"signed":{"a":1,"b":[true,false,null],"c":{}}}'],
  ['pretty-printed', JSON.stringify({ signatures: [], signed: { a: { b: [1, 2, { c: 'd' }] }, e: 'f' } }, null, 2)],
  ['tabs, CRLF and spaces everywhere', '{\r\n\t"signatures":[ ] ,"signed" :\t{ "a" : [ 1 , 2 ] ,\r\n "b":{ } , "c" : [ ] }}\r\n'],
  ['spaces inside strings kept', '{"signed":{"a b":" x  y ","c":"    ","d":"{ [ , : ] }","e":"\t"}}'.replace('\t', ' ')],
  ['code-point order beyond U+FFFF (UTF-16 order differs)', '{"signed":{"z":1,"é":2,"\uffff":3,"😀":4}}'],
  ['private use area before astral', '{"signed":{"\ue000":1,"\u{10000}":2}}'],
  ['integer-like keys in code-point order', '{"signed":{"1":0,"10":1,"9":2}}'],
  ['prefix keys', '{"signed":{"":1,"a":2,"ab":3,"abc":4}}'],
  ['a space and ! sort before the closing quote', '{"signed":{"a":1,"a b":2,"a!":3,"aa":4}}'],
  ['-0 outside signed', '{"signed":{"a":1},"x":-0}'],
  ['signed is an array', '{"signed":[{"a":1},[],"s",0,-1,true,false,null]}'],
  ['15-digit integers', '{"signed":{"a":999999999999999,"b":-999999999999999,"c":0,"d":-1}}'],
  ['__proto__ key', '{"signed":{"__proto__":{"x":1},"a":2}}'],
  ['a nested key named signed', '{"signed":{"signed":{"b":1}}}'],
  ['keys shaped like signed before it', '{"sig":1,"signe":{"a":1},"signed":{"b":2},"signedx":{"c":3}}'],
  ['non-ASCII before, inside and after signed', '{"a":"ééé😀\u2028","signatures":["ü"],"signed":{"k":"ü😀","l":"\ufeff"},"z":"ж"}'],
  ['deep nesting within the limit', '{"signed":' + '['.repeat(62) + ']'.repeat(62) + '}'],
  ['empty signed object', '{"signed":{}}'],
  ['empty signed object with whitespace', '{"signed":{ \n }}'],
  ['numbers next to brackets', '{"signed":{"a":[0,10,-20],"b":{"c":3}}}'],
  ['a top-level object key after signed sorts after it', '{"signed":{"a":1},"t":{"b":[]}}'],
];

/** Texts in any key order, with escapes in values: the one scan sorts and decodes them. */
const ANY_ORDER: readonly (readonly [string, string])[] = [
  ['unsorted keys', '{"signed":{"b":1,"a":2}}'],
  ['unsorted keys deeper', '{"signed":{"a":{"y":1,"x":2}}}'],
  ['unsorted keys in an array element', '{"signed":[{"a":1},{"c":1,"b":2}]}'],
  ['unsorted top level', '{"signed":{"a":1},"signatures":[]}'],
  ['unsorted keys outside signed', '{"a":{"y":1,"x":2},"signed":{}}'],
  ['a key before one it is a prefix of, space next', '{"signed":{"a b":1,"a":2}}'],
  ['a key before one it is a prefix of, ! next', '{"signed":{"a!":1,"a":2}}'],
  ['a key before one it is a prefix of', '{"signed":{"ab":1,"a":2}}'],
  ['UTF-16 order but not code-point order', '{"signed":{"😀":1,"\uffff":2}}'],
  ['integer-like keys in numeric order', '{"signed":{"1":0,"9":1,"10":2}}'],
  ['escaped quote in a value', '{"signed":{"a":"x\\"y"}}'],
  ['escaped backslash in a value', '{"signed":{"a":"x\\\\y"}}'],
  ['escaped slash', '{"signed":{"a":"x\\/y"}}'],
  ['unicode escape', '{"signed":{"a":"\\u0041"}}'],
  ['newline escape (PEM keys)', '{"signed":{"a":"-----BEGIN\\n"}}'],
  ['escape outside signed', '{"signatures":[{"sig":"\\u0061"}],"signed":{"a":1}}'],
  ['many keys in reverse order, nested', JSON.stringify({ signed: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${String(99 - i)}`, { z: i, y: [i, { b: 1, a: 2 }] }])) })],
  ['escapes before and after a reordered member', '{"signed":{"z":"a\\nb","a":"\\u00e9\\"","m":["\\\\",{"y":"\\/","x":1}]}}'],
];

/** Texts the fast path leaves to the reference (accepted or refused there). */
const SLOW: readonly (readonly [string, string])[] = [
  ['escaped key', '{"signed":{"\\u0061":1}}'],
  ['-0', '{"signed":{"a":-0}}'],
  ['-0 in an array', '{"signed":[1,-0]}'],
  ['16-digit safe integer', '{"signed":{"a":9007199254740991}}'],
  ['signed is a string', '{"signed":"x"}'],
  ['signed is a number, an object follows', '{"signed":5,"z":{"a":1}}'],
  ['signed is null, an array follows', '{"signed":null,"z":[1]}'],
  ['signed is true at the end', '{"a":{},"signed":true}'],
  ['no signed', '{"signatures":[],"x":{"a":1}}'],
  ['signed only nested', '{"a":{"signed":{"b":1}}}'],
  ['top-level array', '[{"signed":{"b":1}}]'],
  ['top-level string', '"signed"'],
  ['escaped top-level key', '{"\\u0073igned":{"a":1}}'],
];

/** Texts the reference refuses: refused with the same message and field. */
const REFUSED: readonly (readonly [string, string])[] = [
  ['duplicate key in sorted position', '{"signed":{"a":1,"a":2}}'],
  ['duplicate key after others', '{"signed":{"a":1,"b":2,"a":3}}'],
  ['duplicate key in an object out of order', '{"signed":{"c":1,"b":2,"c":3}}'],
  ['duplicate key among many out of order', JSON.stringify({ signed: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${String(99 - i)}`, i])) }).replace('"k60":39', '"k60":39,"k75":1')],
  ['duplicate key out of order outside signed', '{"signed":{},"x":{"b":1,"a":2,"b":3}}'],
  ['duplicate signed', '{"signed":{},"signed":{}}'],
  ['duplicate empty key', '{"signed":{"":1,"":2}}'],
  ['float', '{"signed":{"a":1.5}}'],
  ['exponent', '{"signed":{"a":1e3}}'],
  ['float outside signed', '{"a":0.1,"signed":{}}'],
  ['integer beyond 2^53-1', '{"signed":{"a":9007199254740992}}'],
  ['too deep', '{"signed":' + '['.repeat(64) + ']'.repeat(64) + '}'],
  ['lone surrogate escape', '{"signed":{"a":"\\ud800"}}'],
];

describe('parseJsonWithMember: canonical bytes of signed read off the text', () => {
  describe('taken, and equal to canonicalBytes of the parsed value', () => {
    for (const [name, text] of FAST) {
      test(name, () => {
        assert.notEqual(viaText(text), undefined, 'the fast path was not taken');
      });
    }
  });

  describe('any key order, escapes in values: taken, and equal to canonicalBytes of the parsed value', () => {
    for (const [name, text] of ANY_ORDER) {
      test(name, () => {
        assert.notEqual(viaText(text), undefined, 'the fast path was not taken');
      });
    }
  });

  describe('not taken, and the reference decides', () => {
    for (const [name, text] of SLOW) {
      test(name, () => {
        assert.equal(viaText(text), undefined, 'the fast path was taken');
      });
    }
  });

  describe('refused as parseJson refuses', () => {
    for (const [name, text] of REFUSED) {
      test(name, () => {
        assert.equal(viaText(text), null, 'not refused');
      });
    }
    test('a lower depth limit', () => {
      assert.equal(viaText('{"signed":{"a":[[]]}}', { maxDepth: 3 }), null);
      assert.notEqual(viaText('{"signed":{"a":[[]]}}', { maxDepth: 4 }), undefined);
    });
  });

  test('strings and indentation of every length, at every alignment (read a word at a time)', () => {
    let n = 0;
    for (const unit of ['x', 'é', '😀', ' ', 'ab ']) {
      for (let len = 0; len <= 13; len++) {
        for (let pad = 0; pad <= 4; pad++) {
          const str = unit.repeat(len);
          const indent = ' '.repeat((len + pad) % 10);
          const text = `{${' '.repeat(pad)}"signed":{"a${str}":"${str}","b":[\n${indent}"${str}",\n${indent}${String(len)}]}}`;
          const want = viaText(text);
          assert.notEqual(want, undefined, text);
          // The same bytes at every offset of a larger buffer, quotes around them.
          for (let at = 1; at <= 4; at++) {
            const bytes = Buffer.from(text, 'utf8');
            const host = Buffer.alloc(bytes.length + 2 * at, 0x22);
            bytes.copy(host, at);
            assert.deepEqual(parseJsonWithMember(host.subarray(at, at + bytes.length), FILE, 'signed').canonicalBytes, want);
          }
          // A quote or a backslash at each place in a word.
          for (let k = 0; k <= len; k++) {
            const cut = Array.from(str);
            assert.notEqual(viaText(`{"signed":{"a":"${cut.slice(0, k).join('')}\\"${cut.slice(k).join('')}"}}`), undefined);
            assert.equal(viaText(`{"signed":{"a":"${cut.slice(0, k).join('')}","b":"${cut.slice(k).join('')}"}}`) === undefined, false);
          }
          n++;
        }
      }
    }
    assert.equal(n, 5 * 14 * 5);
  });

  test('random texts: sorted or not, with or without escapes, duplicates, floats, -0', () => {
    const rnd = prng(20261123);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
    const ws = (): string => pick(['', '', '', ' ', '\n  ', '\t', '\r\n', '    ']);
    const write = (v: unknown, sorted: boolean): string => {
      if (Array.isArray(v)) return '[' + ws() + v.map((x) => write(x, sorted)).join(ws() + ',' + ws()) + ws() + ']';
      if (typeof v === 'object' && v !== null) {
        const keys = Object.keys(v);
        if (sorted) keys.sort(compareCodePoints);
        else if (rnd() < 0.5) keys.reverse();
        if (keys.length > 0 && rnd() < 0.03) keys.push(pick(keys)); // a duplicate
        const parts = keys.map((k) => ws() + JSON.stringify(k) + ws() + ':' + ws() + write((v as Record<string, unknown>)[k], sorted));
        return '{' + parts.join(',') + ws() + '}';
      }
      if (typeof v === 'number' && rnd() < 0.03) return pick(['-0', '1.5', '1e2', '12345678901234567', '9007199254740991']);
      return JSON.stringify(v);
    };
    // Tricky characters (escapes: the reference runs), and the same values
    // with the characters that need escapes replaced (the fast path, mostly).
    const noEscapes = (t: string): string =>
      Array.from(t, (ch) => {
        const c = ch.charCodeAt(0);
        return c < 0x20 || c === 0x7f || ch === '"' || ch === '\\' || ch === '\u2028' ? 'q' : ch;
      }).join('');
    const strip = (v: unknown): unknown => {
      if (typeof v === 'string') return noEscapes(v);
      if (Array.isArray(v)) return v.map(strip);
      if (typeof v === 'object' && v !== null) {
        const o: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v)) o[noEscapes(k)] = strip(x);
        return o;
      }
      return v;
    };
    const values = [...randomJson(7, 600), ...randomJson(8, 1400).map(strip)];
    const seen = { fast: 0, slow: 0, refused: 0 };
    for (const v of values) {
      const sorted = rnd() < 0.85;
      const before = rnd() < 0.5 ? `"a":${write(strip(pick(['é😀', 'x', { k: [1] }])), sorted)},` : '';
      const after = rnd() < 0.5 ? `,"z":${write(v, sorted)}` : '';
      const r = viaText(`{${ws()}${before}"signed"${ws()}:${ws()}${write(v, sorted)}${ws()}${after}}`);
      if (r === null) seen.refused++;
      else if (r === undefined) seen.slow++;
      else seen.fast++;
    }
    assert.ok(seen.fast > 300 && seen.slow > 300 && seen.refused > 50, JSON.stringify(seen));
  });

  test('objects bigger than the scratch buffer, out of order: one big member moved in place, or many members rewritten (300 random texts)', () => {
    const rnd = prng(15458);
    const big = (n: number): string => 'x'.repeat(n);
    const shuffle = <T>(xs: T[]): T[] => {
      for (let i = xs.length - 1; i > 0; i--) {
        const j = Math.floor(rnd() * (i + 1));
        [xs[i], xs[j]] = [xs[j] as T, xs[i] as T];
      }
      return xs;
    };
    let fast = 0;
    for (let t = 0; t < 300; t++) {
      const members: [string, unknown][] = [];
      const shape = t % 3;
      if (shape === 0) {
        // Like metadata's signed: a few small members and one huge, nested and itself out of order.
        const inner: [string, unknown][] = Array.from({ length: 40 + Math.floor(rnd() * 200) }, (_, i) => [`p/${String(i)}-${big(Math.floor(rnd() * 30))}`, { length: i, hashes: { sha256: big(64) } }]);
        members.push(['targets', Object.fromEntries(shuffle(inner))]);
        for (const k of ['_type', 'version', 'expires', 'spec_version', 'a', 'zz']) if (rnd() < 0.8) members.push([k, rnd() < 0.5 ? big(Math.floor(rnd() * 300)) : Math.floor(rnd() * 1000)]);
      } else if (shape === 1) {
        // Two big members and small ones: no single member dominates.
        members.push(['m', big(3000 + Math.floor(rnd() * 3000))], ['b', big(3000 + Math.floor(rnd() * 3000))], ['c', 1], ['a', [1, 2]]);
      } else {
        // One big member with the small ones summing to just under or over the scratch size.
        members.push(['k', big(5000 + Math.floor(rnd() * 20000))]);
        for (let i = 0; i < 6; i++) members.push([`s${String(i)}`, big(Math.floor(rnd() * 1400))]);
      }
      const text = `{"signatures":[],"signed":{${shuffle(members).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}}`;
      if (viaText(text) !== undefined) fast++;
    }
    assert.equal(fast, 300, 'every text took the one scan and matched the reference');
  });

  test('big objects out of order, keys of every kind: sorted as the reference sorts them, duplicates found (400 random objects)', () => {
    const rnd = prng(8181);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
    // Keys sharing long prefixes, keys that are prefixes of others (a key
    // ending within the first 8 bytes after the shared prefix, or past
    // them), bytes beyond ASCII, and chains deep enough to leave the radix sort.
    const stems = ['packages/', 'packages/ab/', 'p', '', 'é/', '😀', 'packages/ab/cd/ef0123456789/'];
    const tails = ['', 'a', 'ab', 'abcdefg', 'abcdefgh', 'abcdefghi', 'z', '~', ' ', 'é', '\u00ff', '\uffff', '😀', '0', '00', '9'];
    let fast = 0;
    let duplicates = 0;
    for (let t = 0; t < 400; t++) {
      const n = 17 + Math.floor(rnd() * (t % 10 === 0 ? 3000 : 200));
      const stem = pick(stems);
      const keys = new Set<string>();
      const chain = t % 25 === 0;
      // Many keys alike for 11 bytes past the stem, one of them ending
      // there: a large group the radix sort takes on from the ninth byte.
      const alike = t % 5 === 1;
      while (keys.size < n) {
        if (chain) keys.add(stem + 'x'.repeat(keys.size));
        else if (alike) keys.add(keys.size === 0 ? stem + 'aabcdefghij' : stem + pick(['a', 'b']) + 'abcdefghij' + pick(tails) + Math.floor(rnd() * 1e4).toString(36));
        else keys.add(stem + pick(tails) + (rnd() < 0.7 ? Math.floor(rnd() * 1e6).toString(36) : '') + pick(tails));
      }
      const list = [...keys];
      for (let i = list.length - 1; i > 0; i--) {
        const j = Math.floor(rnd() * (i + 1));
        [list[i], list[j]] = [list[j] as string, list[i] as string];
      }
      const dup = t % 7 === 3 || t % 10 === 6;
      // (In an alike object, the key that ends where the others go on.)
      if (dup) list.splice(Math.floor(rnd() * list.length), 0, alike && rnd() < 0.7 ? stem + 'aabcdefghij' : pick(list));
      const body = list.map((k, i) => `${JSON.stringify(k)}:${String(i)}`).join(',');
      const r = viaText(`{"signatures":[],"signed":{"m":{${body}}}}`);
      if (dup) {
        assert.equal(r, null, 'a duplicate key is refused');
        duplicates++;
      } else if (r !== undefined && r !== null) fast++;
    }
    assert.ok(fast > 300 && duplicates > 50, JSON.stringify({ fast, duplicates }));
  });

  test('truncated and corrupted texts (the scan runs before JSON.parse): the same value or the same error as parseJson, 1,500 cases', () => {
    const rnd = prng(1500);
    const base = JSON.stringify({ signed: { z: 1, targets: { 'b/x': { length: 3, hashes: { sha256: 'ab' } }, 'a/é': { custom: { q: 'x\\"y' }, length: 1 } }, a: [1, { c: 2, b: null }] }, signatures: [] });
    const junk = ['{', '}', '[', ']', '"', '\\', ',', ':', '1', '-', '.', 'e', ' ', 'x', '\u00e9'];
    for (let t = 0; t < 1500; t++) {
      let text = base;
      const kind = t % 3;
      if (kind === 0) text = base.slice(0, Math.floor(rnd() * base.length));
      else if (kind === 1) {
        const at = Math.floor(rnd() * base.length);
        text = base.slice(0, at) + (junk[Math.floor(rnd() * junk.length)] as string) + base.slice(at + 1);
      } else {
        const at = Math.floor(rnd() * base.length);
        text = base.slice(0, at) + base.slice(at + 1 + Math.floor(rnd() * 4));
      }
      viaText(text);
    }
  });

  test('parseMetadata takes it for sorted files and gives the reference bytes', () => {
    const signed = { ...fixtureTargets(), custom_note: 'Grüße 😀' } as Record<string, unknown>;
    const sortedText = (v: unknown): string =>
      JSON.stringify(
        v,
        (_k, x: unknown) => {
          if (typeof x !== 'object' || x === null || Array.isArray(x)) return x;
          const o: Record<string, unknown> = {};
          for (const k of Object.keys(x).sort(compareCodePoints)) o[k] = (x as Record<string, unknown>)[k];
          return o;
        },
        2
      );
    const bytes = Buffer.from(sortedText({ signatures: [{ keyid: 'ab', sig: 'cd' }], signed }), 'utf8');
    assert.notEqual(parseJsonWithMember(bytes, FILE, 'signed').canonicalBytes, undefined);
    assert.deepEqual(parseMetadata(bytes, FILE, 'targets').signedBytes, canonicalBytes(signed));
    // python-written files; PEM keys hold \n escapes, so not all are read off the text.
    let taken = 0;
    for (const [name, role] of TESTDATA_FILES) {
      const b = readTestdata(name);
      if (parseJsonWithMember(b, name, 'signed').canonicalBytes !== undefined) taken++;
      const raw = JSON.parse(b.toString('utf8')) as { signed: unknown };
      assert.deepEqual(parseMetadata(b, name, role).signedBytes, canonicalBytes(raw.signed), name);
    }
    assert.ok(taken >= 4, `read off the text for ${String(taken)} files`);
  });
});
