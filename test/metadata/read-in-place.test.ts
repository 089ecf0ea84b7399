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
import { hexWord, keysAsRead, targetsReadByShape } from '../../src/metadata/canonical-read.js';
import { InputError } from '../../src/errors.js';
import { targetPathWarnings } from '../../src/ceremony/target-paths.js';
import { parseJsonConsuming, parseJsonWithMember, type JsonValue, type ParseJsonOptions } from '../../src/metadata/json.js';
import { metadataFromJson, parseMetadata, parseMetadataConsuming } from '../../src/metadata/parse.js';
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

/**
 * The in-place metadata is the reference's: all of it, but a targets map
 * read by shape, whose paths (in the in-place reader's order: that of the
 * reference reading the canonical text) and notes are compared instead.
 */
function assertSameMetadata(got: ReturnType<typeof parseMetadata>, want: ReturnType<typeof parseMetadata>, name: string): void {
  assert.deepEqual(got.signatures, want.signatures, name);
  assert.deepEqual(got.signedBytes, want.signedBytes, name);
  assert.equal(got.expiresAt, want.expiresAt, name);
  // The reference's checks on its value with every object's keys in
  // canonical order, as the in-place reader makes them: notes (and a
  // targets map's keys) in that order.
  const canon = metadataFromJson(inCanonicalOrder({ signatures: want.signatures, signed: want.signed } as unknown as JsonValue), new Uint8Array(0), name, want.signed._type, null);
  assert.deepEqual(got.legacy, canon.legacy, name);
  assert.deepEqual([...got.legacy].sort(), [...want.legacy].sort(), name);
  const shape = got.signed._type === 'targets' ? targetsReadByShape(got.signed.targets) : undefined;
  if (shape === undefined || want.signed._type !== 'targets') {
    assert.deepEqual(got.signed, want.signed, name);
    return;
  }
  const { targets: gotTargets, ...gotRest } = got.signed as unknown as Record<string, object>;
  const { targets: wantTargets, ...wantRest } = want.signed;
  assert.deepEqual(gotRest, wantRest, name);
  assert.deepEqual(keysAsRead(gotTargets as object), Object.keys((canon.signed as { targets: object }).targets), name);
  assert.deepEqual([...(keysAsRead(gotTargets as object) ?? [])].sort(), Object.keys(wantTargets).sort(), name);
}

/** A targets map read by shape says its paths are plain exactly when they are; plain paths draw no path warning. */
function assertPlainPaths(targets: object): { plainPaths: boolean } {
  const shape = targetsReadByShape(targets);
  assert.ok(shape !== undefined);
  const paths = keysAsRead(targets) ?? [];
  assert.equal(shape.plainPaths, paths.every((p) => /^[\x20-\x7e]*$/.test(p) && !/[A-Z\\]/.test(p)), JSON.stringify(paths.filter((p) => !/^[a-z0-9/._-]*$/.test(p))));
  if (shape.plainPaths) assert.deepEqual(targetPathWarnings(paths), []);
  return shape;
}

/** A copy of a JSON value with every object's keys inserted in code-point order. */
function inCanonicalOrder(v: JsonValue): JsonValue {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return (v as readonly JsonValue[]).map(inCanonicalOrder);
  const o: Record<string, JsonValue> = {};
  for (const k of Object.keys(v).sort(compareCodePoints)) {
    Object.defineProperty(o, k, { value: inCanonicalOrder((v as Record<string, JsonValue>)[k] as JsonValue), enumerable: true, writable: true, configurable: true });
  }
  return o;
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
      assertSameMetadata(got, want, name);
      assert.deepEqual(got.signatures, want.signatures, name);
      assert.deepEqual(got.signedBytes, want.signedBytes, name);
      assert.equal(got.size, file.length, name);
      assert.equal(got.bytes.length, 0, name);
      assert.equal(got.expiresAt, want.expiresAt, name);
      assert.deepEqual(got.legacy, want.legacy, name);
    }
    assert.ok(inPlace >= 4, `read in place: ${String(inPlace)} of ${String(TESTDATA_FILES.length)}`);
  });

  test('hexWord: four bytes at a time, as the byte classes add up (every byte in every place, 200,000 random words)', () => {
    const cls = (b: number): number => (/^[0-9a-f]$/.test(String.fromCharCode(b)) ? 1 : /^[A-F]$/.test(String.fromCharCode(b)) ? 3 : 4);
    const want = (bs: readonly number[]): number => {
      const seen = bs.reduce((a, b) => a | cls(b), 0);
      return seen & 4 ? 0 : seen;
    };
    const word = (bs: readonly number[]): number => (bs[0] as number) | ((bs[1] as number) << 8) | ((bs[2] as number) << 16) | ((bs[3] as number) << 24);
    for (let place = 0; place < 4; place++) {
      for (let b = 0; b < 256; b++) {
        for (const fill of [0x30, 0x61, 0x46]) {
          const bs = [fill, fill, fill, fill];
          bs[place] = b;
          assert.equal(hexWord(word(bs)), want(bs), JSON.stringify(bs));
        }
      }
    }
    const rnd = prng(31);
    const near = [0x2f, 0x30, 0x39, 0x3a, 0x40, 0x41, 0x46, 0x47, 0x60, 0x61, 0x66, 0x67, 0x7f, 0x80, 0xb0, 0xc1, 0xe1, 0x22, 0x5c, 0];
    for (let t = 0; t < 200_000; t++) {
      const bs = [0, 1, 2, 3].map(() => (rnd() < 0.6 ? near[Math.floor(rnd() * near.length)] as number : Math.floor(rnd() * 256)));
      assert.equal(hexWord(word(bs)), want(bs), JSON.stringify(bs));
    }
  });

  test('targets read by shape (verify): the reference checks, notes and paths, no target objects (1,500 documents)', () => {
    const rnd = prng(458);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
    const hex = (n: number, upper = false): string => {
      let out = '';
      for (let k = 0; k < n; k++) out += '0123456789abcdef'[Math.floor(rnd() * 16)] as string;
      return upper ? out.slice(0, -1) + 'A' : out;
    };
    const common = (): Record<string, unknown> => ({
      length: Math.floor(rnd() * 1e9),
      hashes: rnd() < 0.5 ? { sha256: hex(64), sha512: hex(128) } : { sha512: hex(128) },
      ...(rnd() < 0.5 ? { custom: { packagetype: pick(['sdist', 'bdist_wheel']), n: [1, { a: 'x"}\\\\' }] } } : {}),
    });
    // Targets of the common shape with a twist, and targets of any other shape.
    const twists: (() => unknown)[] = [
      () => ({ ...common(), hashes: { sha256: hex(64, true) } }),
      () => ({ ...common(), custom: null }),
      () => ({ ...common(), aaa: [true, null, -3, '}'], zzz: { length: -1, hashes: {} } }),
      () => ({ ...common(), hashes: { 'b\u00e9': hex(2), a: hex(4) } }),
      () => ({ ...common(), length: 0 }),
      () => ({ ...common(), length: -1 }),
      () => ({ ...common(), length: '5' }),
      () => ({ hashes: { sha256: hex(64) } }),
      () => ({ length: 3 }),
      () => ({ ...common(), hashes: {} }),
      () => ({ ...common(), hashes: { sha256: hex(63) } }),
      () => ({ ...common(), hashes: { sha256: '' } }),
      () => ({ ...common(), hashes: { sha256: 'xyz0' } }),
      () => ({ ...common(), hashes: { sha256: hex(6) + '\u00e9' } }),
      () => ({ ...common(), hashes: { sha256: 'ab"c' } }),
      () => ({ ...common(), hashes: { sha256: 12 } }),
      () => ({ ...common(), hashes: [hex(64)] }),
      () => [1, 2],
      () => null,
      () => 'x',
      () => ({}),
    ];
    const paths = ['0', '17', '4294967294', '4294967295', '01', '__proto__', 'A/B.whl', 'a/b.whl', 'caf\u00e9', 'cafe\u0301', 'q"uote', 'back\\slash', 'ctl\u0001', 'tab\t'];
    const counts = { byShape: 0, byShapeWithNotes: 0, built: 0, reference: 0, refused: 0 };
    for (let n = 0; n < 1500; n++) {
      const targets: Record<string, unknown> = {};
      // Most of them past 4 KiB (smaller ones are built by JSON.parse).
      const count = rnd() < 0.2 ? 1 + Math.floor(rnd() * 6) : 18 + Math.floor(rnd() * 30);
      // Plain documents, ones whose targets call for notes (all read by
      // shape), and ones with targets of any shape.
      const kind = rnd();
      const pool = kind < 0.3 ? [] : kind < 0.65 ? twists.slice(0, 5) : twists;
      for (let k = 0; k < count; k++) {
        // (A path that needs an escape sends the file to the reference.)
        const path = rnd() < 0.02 ? pick(paths) : `packages/${hex(2)}/${hex(2)}/p${String(k)}-${hex(6)}.tar.gz`;
        targets[path] = pool.length > 0 && rnd() < 0.08 ? pick(pool)() : common();
      }
      const signed: Record<string, unknown> = { _type: rnd() < 0.03 ? 'snapshot' : 'targets', spec_version: '1.0.31', version: 1, expires: '2030-01-01T00:00:00Z', targets };
      if (rnd() < 0.3) signed['delegations'] = { keys: {}, roles: [{ name: 'bins', keyids: [], threshold: 1, terminating: false, paths: ['*'] }] };
      const text = Buffer.from(scrambled({ signatures: [{ keyid: 'ab', sig: 'cd' }], signed }, rnd), 'utf8');
      let want: ReturnType<typeof parseMetadata> | undefined;
      let wantError: string | undefined;
      try {
        want = parseMetadata(text, FILE, 'targets');
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        wantError = e.message;
      }
      let got: ReturnType<typeof parseMetadata> | undefined;
      try {
        got = parseMetadataConsuming(Buffer.from(text), FILE, 'targets');
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        // Refused by both; with two faults, the one named first may differ
        // (the reference checks targets in the file's order, this in canonical order).
        assert.ok(wantError !== undefined, e.message);
        assert.match(e.message, /^x\.json: signed\./);
        counts.refused++;
        continue;
      }
      if (got === undefined) {
        counts.reference++;
        continue;
      }
      assert.equal(wantError, undefined, `read what the reference refuses: ${text.toString().slice(0, 300)}`);
      assertSameMetadata(got, want as NonNullable<typeof want>, String(n));
      if (targetsReadByShape((got.signed as { targets: object }).targets) === undefined) counts.built++;
      else {
        counts.byShape++;
        if (got.legacy.length > 0) counts.byShapeWithNotes++;
        assertPlainPaths((got.signed as { targets: object }).targets);
      }
    }
    // Every outcome occurs: read by shape (with notes too), built (signed under 4 KiB), left to the reference, refused.
    assert.ok(counts.byShape > 300 && counts.byShapeWithNotes > 50 && counts.reference > 100 && counts.refused > 20 && counts.built > 100, JSON.stringify(counts));
  });

  test('a targets map read by shape refuses to be read as objects: no silent empty map', () => {
    const targets: Record<string, unknown> = {};
    for (let k = 0; k < 40; k++) targets[`p/${String(k)}.whl`] = { length: k, hashes: { sha512: 'ab'.repeat(64) } };
    const text = Buffer.from(JSON.stringify({ signed: { _type: 'targets', spec_version: '1.0.31', version: 1, expires: '2030-01-01T00:00:00Z', targets }, signatures: [] }));
    const got = parseMetadataConsuming(text, FILE, 'targets');
    assert.ok(got !== undefined && got.signed._type === 'targets');
    const t = got.signed.targets;
    assert.deepEqual(keysAsRead(t), Object.keys(targets).sort(compareCodePoints));
    assert.throws(() => t['p/1.whl'], /read by shape only/);
    assert.throws(() => Object.keys(t), /read by shape only/);
    assert.throws(() => 'p/1.whl' in t, /read by shape only/);
  });

  test('plain paths (printable ASCII, no upper case): said so exactly, and then verify has no path warning to give', () => {
    const rnd = prng(9);
    const odd = ['A', '\u007f', '\u00e9', '\u{1f600}', 'Z', '\u200b'];
    const plain = [' ', '~', '[', ']', '^', '`', '@', 'z', '0', '/', '{', '}', '|'];
    let both = { plain: 0, not: 0 };
    for (let n = 0; n < 300; n++) {
      const targets: Record<string, unknown> = {};
      for (let k = 0; k < 30; k++) {
        let path = `packages/${String(k)}/p-${Math.floor(rnd() * 1e6).toString(36)}`;
        if (rnd() < 0.3) path += plain[Math.floor(rnd() * plain.length)] as string;
        // One path in a few documents holds a character that is not plain, anywhere in it.
        if (n % 3 === 0 && k === 7) {
          const at = Math.floor(rnd() * (path.length + 1));
          path = path.slice(0, at) + (odd[Math.floor(n / 3) % odd.length] as string) + path.slice(at);
        }
        targets[path] = { length: k, hashes: { sha512: 'ab'.repeat(64) } };
      }
      const text = Buffer.from(JSON.stringify({ signed: { _type: 'targets', spec_version: '1.0.31', version: 1, expires: '2030-01-01T00:00:00Z', targets }, signatures: [] }));
      const got = parseMetadataConsuming(text, FILE, 'targets');
      assert.ok(got !== undefined);
      const shape = assertPlainPaths(got.signed.targets);
      both = shape.plainPaths ? { ...both, plain: both.plain + 1 } : { ...both, not: both.not + 1 };
    }
    assert.ok(both.plain > 150 && both.not > 90, JSON.stringify(both));
  });
});
