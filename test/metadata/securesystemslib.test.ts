// SPDX-License-Identifier: Apache-2.0
/**
 * securesystemslib (python) as an independent judge of canonical JSON, key
 * IDs and signatures. Everything is sent to ONE python process as JSON on
 * stdin and the answers come back as JSON on stdout.
 *
 * Needs `/usr/bin/python3` (or $SECURESYSTEMSLIB_PYTHON) with securesystemslib
 * (Debian: python3-securesystemslib).
 * Under CI=true its absence is a failure; elsewhere the suite is skipped with
 * the reason.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { constants, sign } from 'node:crypto';
import { test } from 'node:test';
import { canonicalize as tufjsCanonicalize } from '@tufjs/canonical-json';
import { canonicalBytes } from '../../src/metadata/canonical.js';
import { parseJson } from '../../src/metadata/json.js';
import { computeKeyId, decodeKey, verifySignature, type TufKey } from '../../src/metadata/keys.js';
import { signBytes, testKey, type TestKey } from '../support/keys.js';
import {
  fixtureRoot,
  fixtureSnapshot,
  fixtureTargets,
  fixtureTimestamp,
  randomJson,
  readTestdata,
  TESTDATA_FILES,
} from './helpers.js';

/** The Debian python (the pyenv one on PATH does not see Debian packages). */
const PYTHON = process.env['SECURESYSTEMSLIB_PYTHON'] ?? '/usr/bin/python3';

const SCRIPT = `
import sys, json, hashlib
import securesystemslib
from securesystemslib.formats import encode_canonical
import securesystemslib.keys as sslkeys

req = json.loads(sys.stdin.buffer.read().decode('utf-8'))

def canon(v):
    try:
        return encode_canonical(v).encode('utf-8').hex()
    except Exception as e:
        return {'error': type(e).__name__ + ': ' + str(e)[:200]}

def canon_text(t):
    try:
        v = json.loads(t)
    except Exception as e:
        return {'error': 'json: ' + str(e)[:200]}
    return canon(v)

def verify(c):
    try:
        data = bytes.fromhex(c['data']) if 'data' in c else encode_canonical(c['value']).encode('utf-8')
        ok = sslkeys.verify_signature(c['key'], {'keyid': c['key']['keyid'], 'sig': c['sig']}, data)
        return ok is True
    except Exception as e:
        # python-tuf counts a signature that raises as not signed.
        return False

json.dump({
    'version': securesystemslib.__version__,
    'canonical': [canon(v) for v in req['canonical']],
    'canonicalText': [canon_text(t) for t in req['canonicalText']],
    'keyids': [hashlib.sha256(encode_canonical(k).encode('utf-8')).hexdigest() for k in req['keyids']],
    'verify': [verify(c) for c in req['verify']],
}, sys.stdout)
`;

type PyCanon = string | { error: string };
interface PyResult {
  version: string;
  canonical: PyCanon[];
  canonicalText: PyCanon[];
  keyids: string[];
  verify: boolean[];
}

interface VerifyCase {
  readonly name: string;
  readonly key: TufKey & { readonly keyid: string };
  readonly sig: string;
  /** Hex of the signed bytes, or a value python canonicalizes itself. */
  readonly data?: string;
  readonly value?: unknown;
  /** What a TUF client must decide; undefined: only python and we must agree. */
  readonly expected?: boolean;
}

function probePython(): string | undefined {
  const r = spawnSync(PYTHON, ['-c', 'import securesystemslib.keys, securesystemslib.formats'], { encoding: 'utf8' });
  if (r.error !== undefined) return `${PYTHON} cannot run: ${r.error.message}`;
  if (r.status !== 0) return `${PYTHON} cannot import securesystemslib: ${r.stderr.trim().split('\n').pop() ?? ''}`;
  return undefined;
}

function runPython(request: unknown): PyResult {
  const r = spawnSync(PYTHON, ['-c', SCRIPT], { input: JSON.stringify(request), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  assert.equal(r.status, 0, `python failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as PyResult;
}

function flipHex(hex: string, i: number): string {
  const b = Buffer.from(hex, 'hex');
  b[i] = (b[i] as number) ^ 0x01;
  return b.toString('hex');
}

/** The signed part of a JSON file, read with plain JSON.parse (own __proto__ keys stay data). */
function signedOf(bytes: Buffer): unknown {
  return (JSON.parse(bytes.toString('utf8')) as { signed: unknown }).signed;
}

// ---------- the cases ----------

const HANDMADE: readonly (readonly [string, unknown])[] = [
  ['empty object', {}],
  ['empty array', []],
  ['empty string', ''],
  ['null', null],
  ['booleans', [true, false]],
  ['big safe ints', [9007199254740991, -9007199254740991, 4294967296, -1, 0]],
  ['quotes and backslashes', { 'k"\\': 'v\\"\\\\"', '\\': '"' }],
  ['control characters', { s: Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).join('') + '\u007f\u2028\u2029' }],
  ['ﬁ and 😀 keys', { '😀': 1, 'ﬁ': 2, a: 3 }],
  ['BMP-high vs astral keys', { '\u{10000}': 1, '\uffff': 2, '\ue000': 3, '\ud7ff': 4, '\u{10ffff}': 5, '𝄞': 6 }],
  ['ASCII key order', { b: 1, a: 1, _type: 1, Z: 1, A: 1, '': 1, aa: 1, '10': 1, '9': 1 }],
  ['non-ASCII text', { 'ключ': 'значение', '中文': '😀 é ﬁ' }],
  ['own __proto__ key', JSON.parse('{"z":{"__proto__":[1,{"b":2,"a":1}]},"__proto__":0}') as unknown],
  ['nested', { a: [{ b: [[], {}, [{ c: null }]] }], d: { e: { f: { g: [1, [2, [3, [4]]]] } } } }],
  ['fixture root', fixtureRoot()],
  ['fixture targets', fixtureTargets()],
  ['fixture snapshot', fixtureSnapshot()],
  ['fixture timestamp', fixtureTimestamp()],
];

/** JSON texts: python's verdict (after json.loads) and ours (parseJson + canonicalize) must agree. */
const TEXTS: readonly (readonly [string, string])[] = [
  ['float 1.0', '{"a":1.0}'],
  ['float 1.5', '[1.5]'],
  ['exponent', '{"a":1e3}'],
  ['negative zero', '{"a":-0}'],
  ['escaped unicode', '{"\\u00e9":"\\ud83d\\ude00\\u0000"}'],
  ['lone surrogate', '{"a":"\\ud800"}'],
  ['escaped slash', '{"a\\/b":"c\\/d"}'],
  ['big safe ints', '[9007199254740991,-9007199254740991]'],
];

function keyCases(): { name: string; key: unknown }[] {
  const ed = testKey('ssl/ed');
  const ec = testKey('ssl/ec', 'ecdsa-p256');
  const rsa = testKey('ssl/rsa', 'rsa-pss');
  const cases: { name: string; key: unknown }[] = [
    {
      name: 'spec example key',
      key: { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: '72378e5bc588793e58f81c8533da64a2e8f1565c1fcc7f253496394ffc52542c' } },
    },
  ];
  for (const k of [ed, ec, rsa]) {
    cases.push({ name: `${k.type}`, key: k.tuf });
    cases.push({ name: `${k.type} + keyid_hash_algorithms`, key: { ...k.tuf, keyid_hash_algorithms: ['sha256', 'sha512'] } });
    cases.push({ name: `${k.type} + x-tuf-on-ci-keyowner`, key: { ...k.tuf, 'x-tuf-on-ci-keyowner': '@jkü😀', 'x-tuf-on-ci-online-uri': 'gcpkms:a/b"c\\d' } });
    cases.push({ name: `${k.type} + nested extras`, key: { ...k.tuf, 'x-meta': { list: [1, -2, true, null, { 'ﬁ': '\n' }] } } });
  }
  for (const [file] of TESTDATA_FILES) {
    const signed = signedOf(readTestdata(file)) as { keys?: Record<string, unknown>; delegations?: { keys?: Record<string, unknown> } };
    for (const [id, key] of Object.entries({ ...signed.keys, ...signed.delegations?.keys })) {
      cases.push({ name: `${file} ${id.slice(0, 8)}`, key });
    }
  }
  return cases;
}

function withKeyId(k: TestKey): TufKey & { keyid: string } {
  return { ...k.tuf, keyid: k.keyid };
}

function verifyCases(): VerifyCase[] {
  const value = fixtureTargets();
  const data = canonicalBytes(value);
  const hex = data.toString('hex');
  const other = Buffer.from(canonicalBytes({ ...value, version: 4 })).toString('hex');
  const cases: VerifyCase[] = [];
  for (const type of ['ed25519', 'ecdsa-p256', 'rsa-pss'] as const) {
    const k = testKey(`ssl/sig/${type}`, type);
    const key = withKeyId(k);
    const s = signBytes(k, data);
    cases.push({ name: `${type} valid (python canonicalizes)`, key, sig: s, value, expected: true });
    cases.push({ name: `${type} valid (our bytes)`, key, sig: s, data: hex, expected: true });
    cases.push({ name: `${type} uppercase hex`, key, sig: s.toUpperCase(), data: hex });
    cases.push({ name: `${type} first byte flipped`, key, sig: flipHex(s, 0), data: hex, expected: false });
    cases.push({ name: `${type} last byte flipped`, key, sig: flipHex(s, s.length / 2 - 1), data: hex, expected: false });
    cases.push({ name: `${type} other data`, key, sig: s, data: other, expected: false });
    cases.push({ name: `${type} tampered value`, key, sig: s, value: { ...value, expires: '2031-01-01T00:00:00Z' }, expected: false });
    cases.push({ name: `${type} truncated`, key, sig: s.slice(0, -2), data: hex, expected: false });
    cases.push({ name: `${type} empty`, key, sig: '', data: hex, expected: false });
  }
  // ECDSA: high-S accepted by both, raw r||s by neither.
  const ec = testKey('ssl/sig/ec-variants', 'ecdsa-p256');
  const der = Buffer.from(signBytes(ec, data), 'hex');
  const rLen = der[3] as number;
  const r = BigInt('0x' + der.subarray(4, 4 + rLen).toString('hex'));
  const s = BigInt('0x' + der.subarray(6 + rLen).toString('hex'));
  const n = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
  const int = (v: bigint): Buffer => {
    let h = v.toString(16);
    if (h.length % 2 === 1) h = '0' + h;
    const b = Buffer.from(h, 'hex');
    return ((b[0] as number) & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), b]) : b;
  };
  const enc = (a: bigint, b: bigint): string => {
    const ra = int(a);
    const sb = int(b);
    const body = Buffer.concat([Buffer.from([2, ra.length]), ra, Buffer.from([2, sb.length]), sb]);
    return Buffer.concat([Buffer.from([0x30, body.length]), body]).toString('hex');
  };
  assert.equal(enc(r, s), der.toString('hex'));
  cases.push({ name: 'ecdsa (r, n - s)', key: withKeyId(ec), sig: enc(r, n - s), data: hex, expected: true });
  cases.push({
    name: 'ecdsa raw r||s',
    key: withKeyId(ec),
    sig: r.toString(16).padStart(64, '0') + s.toString(16).padStart(64, '0'),
    data: hex,
    expected: false,
  });
  // Ed25519: S + L is not canonical.
  const ed = testKey('ssl/sig/ed-variants');
  const edSig = Buffer.from(signBytes(ed, data), 'hex');
  const L = 2n ** 252n + 27742317777372353535851937790883648493n;
  const S = BigInt('0x' + Buffer.from(edSig.subarray(32)).reverse().toString('hex'));
  const SL = Buffer.from((S + L).toString(16).padStart(64, '0'), 'hex').reverse();
  cases.push({ name: 'ed25519 S + L', key: withKeyId(ed), sig: Buffer.concat([edSig.subarray(0, 32), SL]).toString('hex'), data: hex, expected: false });
  // RSA-PSS with the maximum salt length (Node's default when signing).
  const rsa = testKey('ssl/sig/rsa-variants', 'rsa-pss');
  const maxSalt = sign('sha256', data, { key: rsa.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_MAX_SIGN });
  cases.push({ name: 'rsa-pss max salt', key: withKeyId(rsa), sig: maxSalt.toString('hex'), data: hex, expected: true });

  // Every real signature in the tuf-on-ci demo data, over the signed part as python canonicalizes it.
  const rootKeys = (file: string): Record<string, TufKey> => (signedOf(readTestdata(file)) as { keys: Record<string, TufKey> }).keys;
  const delegationKeys = (signedOf(readTestdata('targets.json')) as { delegations: { keys: Record<string, TufKey> } }).delegations.keys;
  for (const [file, role] of TESTDATA_FILES) {
    const md = JSON.parse(readTestdata(file).toString('utf8')) as { signed: unknown; signatures: { keyid: string; sig: string }[] };
    const keys = role === 'root' ? rootKeys(file) : ['jku.json', 'kommendorkapten.json', 'rdimitrov.json'].includes(file) ? delegationKeys : rootKeys('root.json');
    for (const sg of md.signatures) {
      const key = keys[sg.keyid];
      if (key === undefined || sg.sig === '') continue;
      cases.push({ name: `${file} signature by ${sg.keyid.slice(0, 8)}`, key: { ...key, keyid: sg.keyid }, sig: sg.sig, value: md.signed, expected: true });
    }
  }
  return cases;
}

// ---------- the test ----------

test('securesystemslib agrees with us', async (t) => {
  const unavailable = probePython();
  if (unavailable !== undefined) {
    if (process.env['CI'] === 'true') assert.fail(`securesystemslib is required under CI=true: ${unavailable}`);
    t.skip(`securesystemslib not available (${unavailable}); install python3-securesystemslib`);
    return;
  }

  const testdataSigned = TESTDATA_FILES.map(([file]) => [file, signedOf(readTestdata(file))] as const);
  const generated = randomJson(7, 400);
  const canonicalValues = [...HANDMADE.map(([, v]) => v), ...testdataSigned.map(([, v]) => v), ...generated];
  const keys = keyCases();
  const sigs = verifyCases();
  const py = runPython({
    canonical: canonicalValues,
    canonicalText: TEXTS.map(([, text]) => text),
    keyids: keys.map((k) => k.key),
    verify: sigs.map((c) => ({ key: c.key, sig: c.sig, ...(c.data === undefined ? { value: c.value } : { data: c.data }) })),
  });
  assert.equal(py.canonical.length, canonicalValues.length);
  const pyHex = (i: number): string => {
    const v = py.canonical[i];
    if (typeof v !== 'string') assert.fail(`python refused value ${String(i)}: ${v?.error ?? 'missing'}`);
    return v;
  };

  await t.test('canonical bytes: hand-made values', () => {
    HANDMADE.forEach(([name, v], i) => {
      assert.equal(canonicalBytes(v).toString('hex'), pyHex(i), name);
    });
    // The comparison has teeth: UTF-16 key order (@tufjs/canonical-json) differs from python here.
    const i = HANDMADE.findIndex(([name]) => name === 'ﬁ and 😀 keys');
    assert.notEqual(Buffer.from(tufjsCanonicalize(HANDMADE[i]?.[1]), 'utf8').toString('hex'), pyHex(i));
  });

  await t.test('canonical bytes: signed part of every tuf-on-ci demo file', () => {
    testdataSigned.forEach(([file, v], i) => {
      assert.equal(canonicalBytes(v).toString('hex'), pyHex(HANDMADE.length + i), file);
    });
  });

  await t.test(`canonical bytes: ${String(generated.length)} generated values`, () => {
    const base = HANDMADE.length + testdataSigned.length;
    generated.forEach((v, i) => {
      assert.equal(canonicalBytes(v).toString('hex'), pyHex(base + i), JSON.stringify(v));
    });
  });

  await t.test('JSON texts: same verdict and bytes as json.loads + encode_canonical', () => {
    TEXTS.forEach(([name, text], i) => {
      const theirs = py.canonicalText[i];
      let ours: string | { error: string };
      try {
        ours = canonicalBytes(parseJson(Buffer.from(text), 'case.json')).toString('hex');
      } catch (e) {
        ours = { error: String(e) };
      }
      assert.equal(typeof ours, typeof theirs, `${name}: ours ${JSON.stringify(ours)}, python ${JSON.stringify(theirs)}`);
      if (typeof ours === 'string') assert.equal(ours, theirs, name);
    });
  });

  await t.test('key IDs: hashlib.sha256(encode_canonical(key)) == computeKeyId(key)', () => {
    keys.forEach(({ name, key }, i) => {
      assert.equal(computeKeyId(key), py.keyids[i], name);
    });
  });

  await t.test('key IDs in the demo data: each key is filed under its full or its core hash', () => {
    keys.forEach(({ name, key }, i) => {
      const m = /^(\S+\.json) ([0-9a-f]{8})$/.exec(name);
      if (m === null) return;
      const k = key as TufKey;
      const core = { keytype: k.keytype, scheme: k.scheme, keyval: k.keyval };
      const filedUnder = py.keyids[i]?.startsWith(m[2] as string) === true ? 'full' : computeKeyId(core).startsWith(m[2] as string) ? 'core' : 'neither';
      assert.notEqual(filedUnder, 'neither', name);
      if (/root_history\/[12]\.root\.json/.test(name)) assert.equal(filedUnder, 'core', name);
    });
  });

  await t.test('signatures: python and we agree, and both match what a client must decide', () => {
    assert.equal(py.verify.length, sigs.length);
    let real = 0;
    sigs.forEach((c, i) => {
      const data = c.data === undefined ? canonicalBytes(c.value) : Buffer.from(c.data, 'hex');
      const ours = verifySignature(decodeKey(c.key), c.sig, data);
      assert.equal(ours, py.verify[i], `${c.name}: ours ${String(ours)}, securesystemslib ${String(py.verify[i])}`);
      if (c.expected !== undefined) assert.equal(ours, c.expected, c.name);
      if (c.name.includes('.json signature')) real++;
    });
    assert.ok(real >= 10, `real signatures checked: ${String(real)}`);
  });

  t.diagnostic(`securesystemslib ${py.version}: ${String(canonicalValues.length)} values, ${String(keys.length)} keys, ${String(sigs.length)} signatures`);
});
