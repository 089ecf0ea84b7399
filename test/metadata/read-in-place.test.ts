// SPDX-License-Identifier: Apache-2.0
/**
 * The in-place reader (parseJsonConsuming, parseMetadataConsuming): the
 * scan checks the grammar itself, writes the canonical bytes of the whole
 * document over the file's bytes, and the value is read off those. Every
 * case is held to the reference (parseJsonWithMember: JSON.parse, the
 * Scanner, canonicalBytes of the value): the same value and canonical
 * bytes, or undefined (the caller reads the file again for the reference),
 * or the same error; never a value where the reference refuses the text.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canonicalBytes, compareCodePoints } from '../../src/metadata/canonical.js';
import { keysAsRead } from '../../src/metadata/canonical-read.js';
import { InputError } from '../../src/errors.js';
import { parseJsonConsuming, parseJsonWithMember, type ParseJsonOptions } from '../../src/metadata/json.js';
import { parseMetadata, parseMetadataConsuming } from '../../src/metadata/parse.js';
import { prng, randomJson, readTestdata, TESTDATA_FILES } from './helpers.js';

const FILE = 'x.json';

type Outcome = 'value' | 'undefined' | 'refused';

/** The in-place reader on a copy of the text, held to the reference. */
function check(text: string | Buffer, opts: ParseJsonOptions = {}): Outcome {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const shown = bytes.toString('utf8').slice(0, 300);
  let want: { value: unknown; canonicalBytes: Buffer | undefined } | undefined;
  let wantError: string | undefined;
  try {
    want = parseJsonWithMember(bytes, FILE, 'signed', opts);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    wantError = e.message;
  }
  const copy = Buffer.from(bytes);
  let got;
  try {
    got = parseJsonConsuming(copy, FILE, 'signed', opts);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    // Only what is refused before the scan (size, BOM, UTF-8): the reference's message.
    assert.equal(e.message, wantError, shown);
    return 'refused';
  }
  if (got === undefined) return wantError === undefined ? 'undefined' : 'refused';
  assert.equal(wantError, undefined, `read in place what the reference refuses: ${shown}`);
  const ref = want as { value: unknown };
  assert.deepEqual(got.value, ref.value, shown);
  const signed = (ref.value as { signed?: unknown } | null)?.signed;
  if (typeof ref.value === 'object' && ref.value !== null && !Array.isArray(ref.value) && Object.hasOwn(ref.value, 'signed')) {
    assert.ok(got.canonicalBytes !== undefined, shown);
    assert.deepEqual(got.canonicalBytes, canonicalBytes(signed), shown);
  } else {
    assert.equal(got.canonicalBytes, undefined, shown);
  }
  // The whole buffer now begins with the document's canonical bytes.
  const whole = canonicalBytes(ref.value);
  assert.deepEqual(copy.subarray(0, whole.length), whole, shown);
  return 'value';
}

/** JSON text of a value with its keys in a random order and random whitespace and escapes. */
function scrambled(v: unknown, rnd: () => number): string {
  const ws = (): string => (rnd() < 0.7 ? '' : [' ', '\n', '\t', '\r\n', '  '][Math.floor(rnd() * 5)] as string);
  const str = (s: string): string => {
    if (rnd() < 0.7) return JSON.stringify(s);
    // Some characters written as \u escapes (never half a surrogate pair alone).
    let out = '"';
    for (const ch of s) {
      if (rnd() < 0.5) {
        for (let k = 0; k < ch.length; k++) out += `\\u${ch.charCodeAt(k).toString(16).padStart(4, '0')}`;
      } else {
        out += JSON.stringify(ch).slice(1, -1);
      }
    }
    return out + '"';
  };
  const enc = (x: unknown): string => {
    if (typeof x === 'string') return str(x);
    if (typeof x !== 'object' || x === null) return JSON.stringify(x);
    if (Array.isArray(x)) return `[${ws()}${x.map((e) => ws() + enc(e) + ws()).join(',')}]`;
    const keys = Object.keys(x);
    for (let i = keys.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [keys[i], keys[j]] = [keys[j] as string, keys[i] as string];
    }
    return `{${ws()}${keys.map((k) => `${ws()}${JSON.stringify(k)}${ws()}:${ws()}${enc((x as Record<string, unknown>)[k])}${ws()}`).join(',')}}`;
  };
  return ws() + enc(v) + ws();
}

describe('the in-place reader', () => {
  test('metadata-shaped documents in any key order: the reference value and canonical bytes, read in place (2,000 cases)', () => {
    const values = randomJson(4242, 2000);
    const rnd = prng(77);
    let inPlace = 0;
    for (const [n, v] of values.entries()) {
      const doc = { signatures: [{ keyid: 'ab', sig: 'cd' }], signed: v, ...(n % 7 === 0 ? { extra: [1, { z: null, a: true }] } : {}) };
      // Keys that need an escape and numbers past 15 digits (about half of
      // these values hold one) are left to the reference; the rest is read in place.
      if (check(scrambled(doc, rnd)) === 'value') inPlace++;
    }
    assert.ok(inPlace >= 700, `read in place: ${String(inPlace)} of 2,000`);
  });

  test('any JSON value at the top: the same value or left to the reference (2,000 cases)', () => {
    const rnd = prng(5);
    for (const v of randomJson(99, 2000)) check(scrambled(v, rnd));
  });

  test('truncated, corrupted and spliced texts: never a value the reference refuses (6,000 cases)', () => {
    const rnd = prng(6000);
    const junk = ['{', '}', '[', ']', '"', '\\', ',', ':', '0', '1', '-', '.', 'e', 'E', '+', ' ', '\t', '\f', '\u000b', '\u00a0', 'x', 't', 'n', 'f', 'é', '\u0000', '\u001f', '\\u', '\\ud800', 'true', 'nul', '01', '-0', '1e5', ',]', ',}', '{}', '[]', '""'];
    const bases = [
      JSON.stringify({ signed: { z: 1, targets: { 'b/x': { length: 3, hashes: { sha256: 'ab' } }, 'a/é': { custom: { q: 'x\\"y' }, length: 1 } }, a: [1, { c: 2, b: null }, true, false] }, signatures: [] }),
      JSON.stringify({ signatures: [{ keyid: 'k', sig: 's' }], signed: { _type: 'targets', version: 1, list: [[], {}, [0, -5, 12345]], s: 'a\nb\u2028' } }, null, 2),
      '[1,2,{"a":[true,null,"x"]}]',
    ];
    const counts: Record<Outcome, number> = { value: 0, undefined: 0, refused: 0 };
    for (let t = 0; t < 6000; t++) {
      const base = bases[t % bases.length] as string;
      let text = base;
      const kind = Math.floor(rnd() * 4);
      const at = Math.floor(rnd() * base.length);
      const piece = junk[Math.floor(rnd() * junk.length)] as string;
      if (kind === 0) text = base.slice(0, at);
      else if (kind === 1) text = base.slice(0, at) + piece + base.slice(at + 1);
      else if (kind === 2) text = base.slice(0, at) + base.slice(at + 1 + Math.floor(rnd() * 4));
      else text = base.slice(0, at) + piece + base.slice(at);
      counts[check(text)]++;
    }
    // Both kinds of outcome occur: the property is exercised, not vacuous.
    assert.ok(counts.value > 300 && counts.refused > 3000, JSON.stringify(counts));
  });

  test('grammar the scan itself refuses (JSON.parse would, too)', () => {
    for (const text of [
      '', ' ', '{', '}', '{"signed":{}', '{"signed":{}}}', '{"signed":{},}', '{,"signed":{}}', '{"signed" {}}', '{"signed":}',
      '{"signed":[1,]}', '{"signed":[,1]}', '{"signed":[1 2]}', '{"signed":{"a":1 "b":2}}', '{"signed":{"a"}}', '{"signed":{1:2}}',
      '{"signed":[01]}', '{"signed":[-]}', '{"signed":[--1]}', '{"signed":[+1]}', '{"signed":[tru]}', '{"signed":[nulL]}', '{"signed":[fals]}',
      '{"signed":["a\u0001"]}', '{"signed":["\t"]}', '{"signed":[1]}\u000c', '\u00a0{"signed":[]}', '{"signed":[]} {}', '{"signed":[]},',
      '{"signed":["\\x"]}', '{"signed":["\\u12"]}', '{"signed":[}', '{"signed":{]}', '[1]]', '"a" "b"', '{"signed":["abc]}',
    ]) {
      assert.notEqual(check(text), 'value', text);
    }
  });

  test('what it leaves to the reference, valid or not', () => {
    // A key with an escape, -0, a float, a long number, a duplicate, too deep: undefined or refused, never a value.
    for (const text of ['{"signed":{"\\u0061":1}}', '{"signed":{"a":-0}}', '{"x":-0,"signed":{}}', '{"signed":{"a":1.5}}', '{"signed":{"a":1234567890123456}}', '{"signed":{"a":1,"a":2}}', '{"signed":{"b":1,"a":2,"b":3}}']) {
      assert.notEqual(check(text), 'value', text);
    }
    assert.equal(check('{"signed":' + '['.repeat(70) + ']'.repeat(70) + '}'), 'refused');
    assert.equal(check('{"signed":' + '['.repeat(5) + ']'.repeat(5) + '}', { maxDepth: 4 }), 'refused');
  });

  test('a big object remembers its keys as Object.keys gives them; not when some look like array indices', () => {
    const rnd = prng(2024);
    for (const withIndex of [false, true]) {
      const targets: Record<string, unknown> = {};
      for (let n = 0; n < 3000; n++) targets[`p/${Math.floor(rnd() * 1e9).toString(36)}-${String(n)}.whl`] = { length: n, hashes: { sha256: 'ab' } };
      if (withIndex) targets['42'] = { length: 1, hashes: { sha256: 'cd' } };
      const bytes = Buffer.from(scrambled({ signatures: [], signed: { targets } }, rnd), 'utf8');
      assert.equal(check(Buffer.from(bytes)), 'value');
      const got = parseJsonConsuming(bytes, FILE, 'signed');
      const read = ((got?.value as Record<string, Record<string, object>>)['signed'] as Record<string, object>)['targets'] as object;
      if (withIndex) assert.equal(keysAsRead(read), undefined);
      else assert.deepEqual(keysAsRead(read), Object.keys(read));
      // Small objects never do.
      assert.equal(keysAsRead((read as Record<string, object>)[Object.keys(read)[5] as string] as object), undefined);
    }
  });

  test('a __proto__ key is an own property, as JSON.parse makes it', () => {
    const bytes = Buffer.from('{"signed":{"z":1,"__proto__":{"polluted":true}},"signatures":[]}');
    const got = parseJsonConsuming(bytes, FILE, 'signed');
    assert.ok(got !== undefined);
    const signed = (got.value as Record<string, Record<string, unknown>>)['signed'] as Record<string, unknown>;
    assert.ok(Object.hasOwn(signed, '__proto__'));
    assert.equal(Object.getPrototypeOf(signed), Object.prototype);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.deepEqual(Object.keys(signed).sort(compareCodePoints), ['__proto__', 'z']);
  });

  test('refused before the scan, with the reference message: BOM, invalid UTF-8, too big', () => {
    assert.equal(check(Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d])), 'refused');
    assert.equal(check(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])), 'refused');
    assert.equal(check('{"signed":{"a":"' + 'x'.repeat(100) + '"}}', { maxBytes: 50 }), 'refused');
  });

  test('parseMetadataConsuming on files other tools wrote: the reference metadata, bytes gone, size kept', () => {
    let inPlace = 0;
    for (const [name, role] of TESTDATA_FILES) {
      const file = readTestdata(name);
      const want = parseMetadata(file, name, role);
      const copy = Buffer.from(file);
      const got = parseMetadataConsuming(copy, name, role);
      if (got === undefined) continue;
      inPlace++;
      assert.deepEqual(got.signed, want.signed, name);
      assert.deepEqual(got.signatures, want.signatures, name);
      assert.deepEqual(got.signedBytes, want.signedBytes, name);
      assert.equal(got.size, file.length, name);
      assert.equal(got.bytes.length, 0, name);
      assert.equal(got.expiresAt, want.expiresAt, name);
      assert.deepEqual(got.legacy, want.legacy, name);
    }
    assert.ok(inPlace >= 4, `read in place: ${String(inPlace)} of ${String(TESTDATA_FILES.length)}`);
  });
});
