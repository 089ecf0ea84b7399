// SPDX-License-Identifier: Apache-2.0
/**
 * The fast path for signed bytes: parseJsonWithMember finds the text of
 * `signed` when it is canonical but for whitespace, and canonicalBytesFromText
 * strips that whitespace. Every case here is checked against the reference
 * (canonicalBytes of the parsed value), and the cases are also checked to take
 * (or not take) the fast path, so a divergence or a silent fall-back fails.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canonicalBytes, canonicalBytesFromText, compareCodePoints } from '../../src/metadata/canonical.js';
import { parseJson, parseJsonWithMember } from '../../src/metadata/json.js';
import { parseMetadata } from '../../src/metadata/parse.js';
import { assertInputError, fixtureTargets, prng, randomJson, TESTDATA_FILES, readTestdata } from './helpers.js';

const FILE = 'x.json';

/** Signed bytes by the fast path (undefined when not taken), checked against the reference. */
function viaText(text: string): Buffer | undefined {
  const bytes = Buffer.from(text, 'utf8');
  const { value, canonicalSpan } = parseJsonWithMember(bytes, FILE, 'signed');
  assert.deepEqual(value, JSON.parse(text));
  assert.deepEqual(value, parseJson(bytes, FILE));
  if (canonicalSpan === undefined) return undefined;
  const got = canonicalBytesFromText(bytes, canonicalSpan.start, canonicalSpan.end);
  const want = canonicalBytes((JSON.parse(text) as { signed: unknown }).signed);
  assert.equal(got.toString('utf8'), want.toString('utf8'), text);
  assert.deepEqual(got, want, text);
  return got;
}

/** Texts whose `signed` is canonical but for whitespace: the fast path must be taken. */
const FAST: readonly (readonly [string, string])[] = [
  ['compact', '{"signatures":[],"signed":{"a":1,"b":[true,false,null],"c":{}}}'],
  ['pretty-printed', JSON.stringify({ signatures: [], signed: { a: { b: [1, 2, { c: 'd' }] }, e: 'f' } }, null, 2)],
  ['tabs, CRLF and spaces everywhere', '{\r\n\t"signed" :\t{ "a" : [ 1 , 2 ] ,\r\n "b":{ } , "c" : [ ] } ,"signatures":[ ]}\r\n'],
  ['spaces and tabs-as-text inside strings kept', '{"signed":{"a b":" x  y ","c":"  ","d":"{ [ , : ] }"}}'],
  ['code-point order beyond U+FFFF (UTF-16 order differs)', '{"signed":{"z":1,"é":2,"\uffff":3,"😀":4}}'],
  ['private use area before astral', '{"signed":{"\ue000":1,"\u{10000}":2}}'],
  ['integer-like keys in code-point order', '{"signed":{"1":0,"10":1,"9":2}}'],
  ['prefix keys', '{"signed":{"":1,"a":2,"ab":3,"abc":4}}'],
  ['signed first, unsorted top level, escapes and -0 outside signed', '{"signed":{"a":1},"signatures":[{"sig":"x\\"y\\u0041","keyid":"k"}],"x":-0}'],
  ['signed is an array', '{"signed":[{"a":1},[],"s",0,-1]}'],
  ['safe integer bounds', '{"signed":{"a":9007199254740991,"b":-9007199254740991,"c":0,"d":-1}}'],
  ['__proto__ key', '{"signed":{"__proto__":{"x":1},"a":2}}'],
  ['a nested key named signed', '{"signed":{"signed":{"b":1}}}'],
  ['non-ASCII before the span (byte offsets differ from character offsets)', '{"a":"ééé😀\u2028","signatures":["ü"],"signed":{"k":"ü😀","l":"\ufeff"}}'],
  ['non-ASCII inside and after the span', '{"signed":{"ключ":"значение","😀":["😀😀"]},"z":"ж"}'],
  ['deep nesting', '{"signed":' + '['.repeat(50) + '{"a":[]}' + ']'.repeat(50) + '}'],
  ['empty signed object', '{"signed":{}}'],
  ['empty signed object with whitespace', '{"signed":{ \n }}'],
  ['numbers next to brackets', '{"signed":{"a":[0,10,-20],"b":{"c":3}}}'],
];

/** Texts whose `signed` is not canonical text (or absent): the reference must run. */
const SLOW: readonly (readonly [string, string])[] = [
  ['unsorted keys', '{"signed":{"b":1,"a":2}}'],
  ['unsorted keys deeper', '{"signed":{"a":{"y":1,"x":2}}}'],
  ['unsorted keys in an array element', '{"signed":[{"a":1},{"c":1,"b":2}]}'],
  ['UTF-16 order but not code-point order', '{"signed":{"😀":1,"\uffff":2}}'],
  ['integer-like keys in numeric order', '{"signed":{"1":0,"9":1,"10":2}}'],
  ['escaped quote in a value', '{"signed":{"a":"x\\"y"}}'],
  ['escaped backslash in a value', '{"signed":{"a":"x\\\\y"}}'],
  ['escaped slash', '{"signed":{"a":"x\\/y"}}'],
  ['unicode escape', '{"signed":{"a":"\\u0041"}}'],
  ['newline escape', '{"signed":{"a":"\\n"}}'],
  ['escaped key', '{"signed":{"\\u0061":1}}'],
  ['-0', '{"signed":{"a":-0}}'],
  ['-0 in an array', '{"signed":[1,-0]}'],
  ['signed is a string', '{"signed":"x"}'],
  ['signed is a number, an object follows', '{"signed":5,"z":{"a":1}}'],
  ['signed is null, an array follows', '{"signed":null,"z":[1]}'],
  ['signed is true at the end', '{"z":{},"signed":true}'],
  ['no signed', '{"signatures":[],"x":{"a":1}}'],
  ['signed only nested', '{"a":{"signed":{"b":1}}}'],
  ['top-level array', '[{"signed":{"b":1}}]'],
  ['near misses of the key', '{"signe":{"a":1},"signedx":{"a":1},"Signed":{"a":1}}'],
  ['escaped top-level key', '{"\\u0073igned":{"a":1}}'],
];

describe('canonical bytes read off the text', () => {
  describe('taken, and equal to canonicalBytes of the parsed value', () => {
    for (const [name, text] of FAST) {
      test(name, () => {
        assert.notEqual(viaText(text), undefined, 'the fast path was not taken');
      });
    }
  });

  describe('not taken where the text is not canonical', () => {
    for (const [name, text] of SLOW) {
      test(name, () => {
        assert.equal(viaText(text), undefined, 'the fast path was taken');
      });
    }
  });

  test('duplicate keys are still refused', () => {
    assertInputError(() => parseJsonWithMember(Buffer.from('{"signed":{"a":1,"a":1}}'), FILE, 'signed'), {
      file: FILE,
      field: 'signed.a',
      message: /duplicate key/,
    });
    assertInputError(() => parseJsonWithMember(Buffer.from('{"signed":{},"signed":{}}'), FILE, 'signed'), {
      file: FILE,
      field: 'signed',
      message: /duplicate key/,
    });
  });

  test('strings and indentation of every length, at every alignment (copied a word at a time)', () => {
    let n = 0;
    for (const unit of ['x', 'é', '😀', ' ', 'ab ']) {
      for (let len = 0; len <= 13; len++) {
        for (let pad = 0; pad <= 4; pad++) {
          const str = unit.repeat(len);
          const indent = ' '.repeat((len + pad) % 10);
          const text = `{${' '.repeat(pad)}"signed":{"a${str}":"${str}","b":[\n${indent}"${str}",\n${indent}${len}]}}`;
          assert.notEqual(viaText(text), undefined, text);
          // The same text at every offset inside a larger buffer.
          const bytes = Buffer.from(text, 'utf8');
          const { canonicalSpan } = parseJsonWithMember(bytes, FILE, 'signed');
          if (canonicalSpan === undefined) throw new Error('not taken');
          const want = canonicalBytesFromText(bytes, canonicalSpan.start, canonicalSpan.end);
          for (let at = 1; at <= 4; at++) {
            const host = Buffer.alloc(bytes.length + 2 * at, 0x22);
            bytes.copy(host, at);
            const inside = host.subarray(at, at + bytes.length);
            assert.deepEqual(canonicalBytesFromText(inside, canonicalSpan.start, canonicalSpan.end), want);
            assert.deepEqual(canonicalBytesFromText(host, canonicalSpan.start + at, canonicalSpan.end + at), want);
          }
          n++;
        }
      }
    }
    assert.equal(n, 5 * 14 * 5);
  });

  test('a range that is not one JSON value cannot make it loop', () => {
    assert.throws(() => canonicalBytesFromText(Buffer.from('{"a'), 0, 3), /runs past the end/);
    assert.throws(() => canonicalBytesFromText(Buffer.from('{"a":"b"}'), 0, 6), /runs past the end/);
  });

  test('random values written with random whitespace, key order and -0', () => {
    const rnd = prng(20261123);
    const ws = (): string => ['', '', '', ' ', '\n  ', '\t', '\r\n', '  '][Math.floor(rnd() * 8)] as string;
    const write = (v: unknown, sorted: boolean): string => {
      if (Array.isArray(v)) return '[' + ws() + v.map((x) => write(x, sorted)).join(ws() + ',' + ws()) + ws() + ']';
      if (typeof v === 'object' && v !== null) {
        const keys = Object.keys(v);
        if (sorted) keys.sort(compareCodePoints);
        else if (rnd() < 0.5) keys.reverse();
        const parts = keys.map((k) => ws() + JSON.stringify(k) + ws() + ':' + ws() + write((v as Record<string, unknown>)[k], sorted));
        return '{' + parts.join(',') + ws() + '}';
      }
      if (v === 0 && rnd() < 0.2) return '-0';
      return JSON.stringify(v);
    };
    // Strings with the tricky characters (escapes: the reference runs) and
    // values whose strings need no escapes (the fast path, mostly).
    const tricky = randomJson(7, 600);
    const noEscapes = (t: string): string =>
      Array.from(t, (ch) => {
        const c = ch.charCodeAt(0);
        return c < 0x20 || c === 0x7f || ch === '"' || ch === '\\' || ch === '\u2028' ? 'q' : ch;
      }).join('');
    const plainChars = randomJson(8, 1200).map(function strip(v: unknown): unknown {
      if (typeof v === 'string') return noEscapes(v);
      if (Array.isArray(v)) return v.map(strip);
      if (typeof v === 'object' && v !== null) {
        const o: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v)) o[noEscapes(k)] = strip(x);
        return o;
      }
      return v;
    });
    let fast = 0;
    let slow = 0;
    for (const v of [...tricky, ...plainChars]) {
      const sorted = rnd() < 0.8;
      const before = rnd() < 0.5 ? `"a":${JSON.stringify(['é😀', 'x'][Math.floor(rnd() * 2)])},` : '';
      const text = `{${ws()}${before}"signed"${ws()}:${ws()}${write(v, sorted)}${ws()},"z":${write(v, false)}}`;
      if (viaText(text) === undefined) slow++;
      else fast++;
    }
    assert.ok(fast > 500 && slow > 300, `fast path ${String(fast)} times, reference ${String(slow)} times`);
  });

  test('parseMetadata takes it for sorted files and gives the reference bytes', () => {
    const signed = { ...fixtureTargets(), custom_note: 'Grüße 😀' } as Record<string, unknown>;
    const sortedText = (v: unknown): string =>
      JSON.stringify(v, (_k, x: unknown) => {
        if (typeof x !== 'object' || x === null || Array.isArray(x)) return x;
        const o: Record<string, unknown> = {};
        for (const k of Object.keys(x).sort(compareCodePoints)) o[k] = (x as Record<string, unknown>)[k];
        return o;
      }, 2);
    const text = sortedText({ signatures: [{ keyid: 'ab', sig: 'cd' }], signed });
    const bytes = Buffer.from(text, 'utf8');
    assert.notEqual(parseJsonWithMember(bytes, FILE, 'signed').canonicalSpan, undefined);
    assert.deepEqual(parseMetadata(bytes, FILE, 'targets').signedBytes, canonicalBytes(signed));
    // python-written files; PEM keys hold \n escapes, so not all are read off the text.
    let taken = 0;
    for (const [name, role] of TESTDATA_FILES) {
      const b = readTestdata(name);
      if (parseJsonWithMember(b, name, 'signed').canonicalSpan !== undefined) taken++;
      assert.deepEqual(parseMetadata(b, name, role).signedBytes, canonicalBytes((JSON.parse(b.toString('utf8')) as { signed: unknown }).signed), name);
    }
    assert.ok(taken >= 4, `read off the text for ${String(taken)} files`);
  });
});
