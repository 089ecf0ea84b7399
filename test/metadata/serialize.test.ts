// SPDX-License-Identifier: Apache-2.0
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InputError } from '../../src/errors.js';
import { canonicalBytes, canonicalize, sortByCodePoint } from '../../src/metadata/canonical.js';
import { MAX_JSON_BYTES, type JsonValue } from '../../src/metadata/json.js';
import { computeKeyId } from '../../src/metadata/keys.js';
import type { Metadata, Root, Signature, Signed } from '../../src/metadata/model.js';
import { MAX_ROOT_BYTES, metadataFromJson, parseMetadata } from '../../src/metadata/parse.js';
import { assertNoControlCharacters } from '../../src/metadata/plain-text.js';
import { checkProfile, serializeMetadata, stringifySorted } from '../../src/metadata/serialize.js';
import { verifyThreshold, verifyWithRoot } from '../../src/metadata/verify.js';
import { signMetadata, testKey } from '../support/keys.js';
import {
  assertInputError,
  clone,
  deleteAt,
  fixtureKeys,
  fixtureRoot,
  fixtureSnapshot,
  fixtureTargets,
  fixtureTimestamp,
  getAt,
  keyPath,
  prng,
  randomJson,
  readTestdata,
  setAt,
  TRICKY_CHARS,
  type Tree,
} from './helpers.js';

function envelopes(): Record<string, Metadata> {
  const k = fixtureKeys();
  const succinct = fixtureTargets();
  const bins = {
    ...succinct,
    delegations: {
      keys: { [k.delegate.keyid]: k.delegate.tuf },
      succinct_roles: { keyids: [k.delegate.keyid], threshold: 1, bit_length: 14, name_prefix: 'bin' },
    },
  };
  const unicode = {
    ...fixtureTargets(),
    targets: {
      '😀.txt': { length: 1, hashes: { sha256: 'aa'.repeat(32) } },
      'éle.txt': { length: 2, hashes: { sha256: 'bb'.repeat(32), sha512: 'cc'.repeat(64) } },
      'a b "q" \\': { length: 0, hashes: { sha256: 'dd'.repeat(32) }, custom: { '\u00e9': ['\u00a0 \u{1F600}'] } },
    },
  };
  return {
    root: signMetadata(fixtureRoot(), k.root),
    targets: signMetadata(fixtureTargets(), [k.targets]),
    'targets-bins': signMetadata(bins, [k.targets]),
    'targets-unicode': signMetadata(unicode, [k.targets]),
    'targets-empty': signMetadata({ ...fixtureTargets(), targets: {}, delegations: { keys: {}, roles: [] } }, [k.targets]),
    snapshot: signMetadata(fixtureSnapshot(), [k.snapshot]),
    timestamp: signMetadata(fixtureTimestamp(), [k.timestamp]),
    unsigned: { signed: fixtureSnapshot(), signatures: [] },
    placeholder: { signed: fixtureTimestamp(), signatures: [{ keyid: k.timestamp.keyid, sig: '' }] },
  };
}

describe('serializeMetadata round trip', () => {
  for (const [name, md] of Object.entries(envelopes())) {
    test(name, () => {
      const file = `${name}.json`;
      const bytes = serializeMetadata(md, file);
      const parsed = parseMetadata(bytes, file, md.signed._type);
      assert.deepEqual(parsed.legacy, []);
      assert.equal(canonicalize(parsed.signed), canonicalize(md.signed));
      assert.deepEqual(parsed.signedBytes, canonicalBytes(md.signed));
      assert.deepEqual(parsed.signatures, md.signatures);
      const again = serializeMetadata(parsed, file);
      assert.deepEqual(Buffer.from(again), Buffer.from(bytes), 'serialize(parse(serialize(x))) is byte-identical');
      const text = Buffer.from(bytes).toString('utf8');
      assert.ok(text.endsWith('}\n'));
      assert.ok(text.indexOf('"signatures"') < text.indexOf('"signed"'));
      // Plain JSON readers see the same values.
      assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify({ signatures: md.signatures, signed: md.signed })));
    });
  }

  test('signatures still verify after the round trip', () => {
    const k = fixtureKeys();
    const root = fixtureRoot();
    const md = signMetadata(root, k.root);
    const parsed = parseMetadata(serializeMetadata(md, 'root.json'), 'root.json', 'root');
    assert.equal(verifyWithRoot(parsed.signed, 'root', parsed).counted, 3);
    const t = parseMetadata(serializeMetadata(signMetadata(fixtureTargets(), [k.targets]), 't.json'), 't.json', 'targets');
    assert.equal(verifyWithRoot(root, 'targets', t).met, true);
  });

  test('the tuf-on-ci demo files re-serialize to the same signed content, and their signatures still verify', () => {
    const root = parseMetadata(readTestdata('root.json'), 'root.json', 'root');
    for (const [file, role] of [
      ['root.json', 'root'],
      ['root_history/4.root.json', 'root'],
      ['targets.json', 'targets'],
      ['snapshot.json', 'snapshot'],
      ['timestamp.json', 'timestamp'],
    ] as const) {
      const md = parseMetadata(readTestdata(file), file, role);
      const out = parseMetadata(serializeMetadata(md, file), file, role);
      assert.deepEqual(out.signedBytes, md.signedBytes, file);
      assert.equal(verifyWithRoot(root.signed, role, out).met, true, file);
    }
  });

  test('keys come out in code-point order (é before 😀)', () => {
    const text = Buffer.from(serializeMetadata(envelopes()['targets-unicode'] as Metadata, 'u.json')).toString('utf8');
    assert.ok(text.indexOf('"éle.txt"') < text.indexOf('"😀.txt"'));
    assert.ok(text.indexOf('"a b \\"q\\" \\\\"') < text.indexOf('"éle.txt"'));
  });

  test('keys mixing U+E000–U+FFFF with characters beyond U+FFFF (ﬁ and 😀) are read and verified, but never written', () => {
    const k = fixtureKeys();
    const mixed = signMetadata({ ...fixtureTargets(), targets: { '😀.txt': { length: 1, hashes: { sha256: 'aa'.repeat(32) } }, 'ﬁle.txt': { length: 2, hashes: { sha256: 'bb'.repeat(32) } } } }, [k.targets]);
    // tuf-js sorts these two keys the other way round, so its canonical bytes (and signature checks) differ.
    const md = parseMetadata(Buffer.from(stringifySorted(mixed)), 'mixed.json', 'targets');
    assert.equal(verifyWithRoot(fixtureRoot(), 'targets', md).met, true);
    assert.throws(
      () => serializeMetadata(mixed, 'mixed.json'),
      (e: unknown) => e instanceof InputError && e.field === 'signed.targets' && /tuf-js sorts differently from python-tuf and go-tuf/.test(e.message)
    );
  });
});

describe('stringifySorted', () => {
  test('pretty JSON, keys in code-point order, final newline', () => {
    const v = { b: [1, { '😀': true, 'ﬁ': null }], a: {}, c: [] };
    const text = stringifySorted(v);
    assert.equal(
      text,
      '{\n  "a": {},\n  "b": [\n    1,\n    {\n      "ﬁ": null,\n      "😀": true\n    }\n  ],\n  "c": []\n}\n'
    );
    assert.deepEqual(JSON.parse(text), v);
  });
});

interface Refusal {
  readonly name: string;
  readonly build: () => Metadata;
  /** Expected field; null: the error has none. */
  readonly field: string | null | ((md: Metadata) => string);
  readonly message: RegExp;
}

/** Envelope from a fixture `signed` mutated as a plain tree (signatures are irrelevant here). */
function mutated(signed: Signed, mutate: (t: Tree) => void, signatures: Metadata['signatures'] = []): Metadata {
  const t = clone(signed) as unknown as Tree;
  mutate(t);
  return { signed: t as unknown as Signed, signatures };
}

const firstRootKeyId = (md: Metadata): string => Object.keys((md.signed as Root).keys)[0] as string;

const REFUSALS: readonly Refusal[] = [
  { name: 'expires with milliseconds', build: () => mutated(fixtureTimestamp(), (t) => setAt(t, ['expires'], '2030-01-01T00:00:00.000Z')), field: 'signed', message: /outside the safe profile: .*fractional seconds/ },
  { name: 'expires with an offset', build: () => mutated(fixtureTimestamp(), (t) => setAt(t, ['expires'], '2030-01-01T00:00:00+00:00')), field: 'signed', message: /UTC offset/ },
  { name: 'expires with a lowercase z', build: () => mutated(fixtureTimestamp(), (t) => setAt(t, ['expires'], '2030-01-01T00:00:00z')), field: 'signed', message: /lowercase/ },
  { name: 'invalid expires', build: () => mutated(fixtureTimestamp(), (t) => setAt(t, ['expires'], '2030-02-30T00:00:00Z')), field: 'signed.expires', message: /not a date-time/ },
  { name: 'root without consistent_snapshot', build: () => mutated(fixtureRoot(), (t) => deleteAt(t, ['consistent_snapshot'])), field: 'signed', message: /consistent_snapshot/ },
  { name: "a 'mirrors' role", build: () => mutated(fixtureRoot(), (t) => setAt(t, ['roles', 'mirrors'], clone(getAt(t, ['roles', 'timestamp'])))), field: 'signed', message: /mirrors/ },
  { name: 'a root role keyid missing from keys', build: () => mutated(fixtureRoot(), (t) => setAt(t, ['roles', 'targets', 'keyids'], ['ab'.repeat(32)])), field: 'signed.roles.targets.keyids', message: /abab.* is not in keys/ },
  { name: 'null in an unknown field', build: () => mutated(fixtureRoot(), (t) => setAt(t, ['x-n'], null)), field: 'signed.x-n', message: /null values are not written/ },
  { name: 'null inside custom', build: () => mutated(fixtureTargets(), (t) => setAt(t, ['targets', 'file.txt', 'custom', 'list'], [1, null])), field: 'signed.targets["file.txt"].custom.list[1]', message: /null values/ },
  { name: 'custom: null', build: () => mutated(fixtureTargets(), (t) => setAt(t, ['targets', 'file.txt', 'custom'], null)), field: 'signed', message: /"custom": null/ },
  { name: 'delegations: null', build: () => mutated(fixtureTargets(), (t) => setAt(t, ['delegations'], null)), field: 'signed.delegations', message: /must be an object/ },
  {
    name: 'uppercase hex sig',
    build: () => {
      const md = signMetadata(fixtureTimestamp(), [fixtureKeys().timestamp]);
      return { ...md, signatures: md.signatures.map((s) => ({ ...s, sig: s.sig.toUpperCase() })) };
    },
    field: 'signatures[0].sig',
    message: /signatures are lowercase hex/,
  },
  { name: 'non-hex sig', build: () => mutated(fixtureTimestamp(), () => undefined, [{ keyid: 'ab'.repeat(32), sig: 'xyz' }]), field: 'signatures[0].sig', message: /lowercase hex/ },
  { name: 'uppercase keyid in signatures', build: () => mutated(fixtureTimestamp(), () => undefined, [{ keyid: 'AB'.repeat(32), sig: 'aa' }]), field: 'signatures[0].keyid', message: /64 lowercase hex/ },
  { name: 'short keyid in signatures', build: () => mutated(fixtureTimestamp(), () => undefined, [{ keyid: 'ab', sig: 'aa' }]), field: 'signatures[0].keyid', message: /64 lowercase hex/ },
  { name: 'target hash algorithm sha384', build: () => mutated(fixtureTargets(), (t) => setAt(t, ['targets', 'file.txt', 'hashes', 'sha384'], 'ab'.repeat(48))), field: 'signed.targets["file.txt"].hashes.sha384', message: /only sha256 and sha512/ },
  { name: 'target hash algorithm blake2b-256', build: () => mutated(fixtureTargets(), (t) => setAt(t, ['targets', 'file.txt', 'hashes'], { 'blake2b-256': 'ab'.repeat(32) })), field: 'signed.targets["file.txt"].hashes.blake2b-256', message: /only sha256 and sha512/ },
  { name: 'snapshot meta hash algorithm md5', build: () => mutated(fixtureSnapshot(), (t) => setAt(t, ['meta', 'project.json', 'hashes', 'md5'], 'ab'.repeat(16))), field: 'signed.meta["project.json"].hashes.md5', message: /only sha256 and sha512/ },
  { name: 'timestamp meta hash algorithm sha384', build: () => mutated(fixtureTimestamp(), (t) => setAt(t, ['meta', 'snapshot.json', 'hashes'], { sha384: 'ab'.repeat(48) })), field: 'signed.meta["snapshot.json"].hashes.sha384', message: /only sha256 and sha512/ },
  { name: 'uppercase target hash', build: () => mutated(fixtureTargets(), (t) => setAt(t, ['targets', 'file.txt', 'hashes', 'sha256'], 'AB'.repeat(32))), field: 'signed', message: /uppercase hex digest/ },
  { name: 'timestamp with 2 meta entries', build: () => mutated(fixtureTimestamp(), (t) => setAt(t, ['meta', 'targets.json'], { version: 1 })), field: 'signed', message: /more than snapshot\.json/ },
  { name: 'length 0 in timestamp meta', build: () => mutated(fixtureTimestamp(), (t) => setAt(t, ['meta', 'snapshot.json', 'length'], 0)), field: 'signed.meta["snapshot.json"].length', message: /length 0/ },
  { name: 'length 0 in snapshot meta', build: () => mutated(fixtureSnapshot(), (t) => setAt(t, ['meta', 'project.json', 'length'], 0)), field: 'signed.meta["project.json"].length', message: /length 0/ },
  { name: 'delegated role with neither paths nor path_hash_prefixes', build: () => mutated(fixtureTargets(), (t) => deleteAt(t, ['delegations', 'roles', 0, 'paths'])), field: 'signed', message: /neither paths nor path_hash_prefixes/ },
  { name: 'delegated role name with a space', build: () => mutated(fixtureTargets(), (t) => setAt(t, ['delegations', 'roles', 0, 'name'], 'my project')), field: 'signed.delegations.roles[0].name', message: /role names use only/ },
  { name: 'delegated role keyid missing from keys', build: () => mutated(fixtureTargets(), (t) => setAt(t, ['delegations', 'roles', 1, 'keyids'], ['cd'.repeat(32)])), field: 'signed.delegations.roles[1].keyids', message: /is not in keys/ },
  {
    name: 'succinct name_prefix ending with -',
    build: () =>
      mutated(fixtureTargets(), (t) => {
        deleteAt(t, ['delegations', 'roles']);
        setAt(t, ['delegations', 'succinct_roles'], { keyids: [], threshold: 1, bit_length: 8, name_prefix: 'bin-' });
      }),
    field: 'signed.delegations.succinct_roles.name_prefix',
    message: /do not end with -/,
  },
  { name: 'target path starting with /', build: () => mutated(fixtureTargets(), (t) => setAt(t, ['targets', '/abs'], { length: 1, hashes: { sha256: 'ab'.repeat(32) } })), field: 'signed.targets["/abs"]', message: /must not start with \// },
  { name: 'float in custom', build: () => mutated(fixtureTargets(), (t) => setAt(t, ['targets', 'file.txt', 'custom', 'n'], 1.5)), field: 'signed.targets["file.txt"].custom.n', message: /not an integer/ },
  { name: 'integer beyond 2^53-1', build: () => mutated(fixtureSnapshot(), (t) => setAt(t, ['version'], 2 ** 53)), field: 'signed.version', message: /beyond 2\^53-1/ },
  { name: 'lone surrogate in a target path', build: () => mutated(fixtureTargets(), (t) => setAt(t, ['targets', 'x\ud800'], { length: 1, hashes: { sha256: 'ab'.repeat(32) } })), field: 'signed.targets' + JSON.stringify(['x\\ud800']), message: /surrogate/ },
  { name: 'undefined value', build: () => mutated(fixtureTargets(), (t) => setAt(t, ['targets', 'file.txt', 'custom', 'u'], undefined)), field: null, message: /not valid JSON/ },
  {
    name: 'ed25519 key in uppercase hex (under its own ID)',
    build: () =>
      mutated(fixtureRoot(), (t) => {
        const k = testKey('ser/upper');
        const key = { ...k.tuf, keyval: { public: k.tuf.keyval.public.toUpperCase() } };
        setAt(t, ['keys', computeKeyId(key)], key);
      }),
    field: (md) => keyPath('signed.keys', Object.keys((md.signed as Root).keys).find((id) => /^[0-9A-F]{64}$/.test((md.signed as Root).keys[id]?.keyval.public ?? '')) as string),
    message: /uppercase hex public key/,
  },
  {
    name: 'legacy keytype ecdsa-sha2-nistp256',
    build: () =>
      mutated(fixtureRoot(), (t) => {
        const k = testKey('ser/legacy-ec', 'ecdsa-p256');
        const key = { ...k.tuf, keytype: 'ecdsa-sha2-nistp256' };
        setAt(t, ['keys', computeKeyId(key)], key);
      }),
    field: (md) => keyPath('signed.keys', Object.keys((md.signed as Root).keys).find((id) => (md.signed as Root).keys[id]?.keytype === 'ecdsa-sha2-nistp256') as string),
    message: /renamed "ecdsa"/,
  },
  {
    name: 'unknown key type',
    build: () =>
      mutated(fixtureRoot(), (t) => {
        const key = { keytype: 'sigstore-oidc', scheme: 'Fulcio', keyval: { public: '', identity: 'me' } };
        setAt(t, ['keys', computeKeyId(key)], key);
      }),
    field: (md) => keyPath('signed.keys', Object.keys((md.signed as Root).keys).find((id) => (md.signed as Root).keys[id]?.keytype === 'sigstore-oidc') as string),
    message: /unknown key type "sigstore-oidc"/,
  },
  {
    name: 'PEM without the final newline',
    build: () =>
      mutated(fixtureRoot(), (t) => {
        const k = testKey('ser/pem-nl', 'ecdsa-p256');
        const key = { ...k.tuf, keyval: { public: k.tuf.keyval.public.trimEnd() } };
        setAt(t, ['keys', computeKeyId(key)], key);
      }),
    field: (md) => keyPath('signed.keys', Object.keys((md.signed as Root).keys).find((id) => !((md.signed as Root).keys[id]?.keyval.public.endsWith('\n') ?? true) && (md.signed as Root).keys[id]?.keytype === 'ecdsa') as string) + '.keyval.public',
    message: /PEM must end with a newline/,
  },
  {
    name: 'a key of an unknown scheme',
    build: () => mutated(fixtureRoot(), (t) => setAt(t, ['keys', Object.keys(getAt(t, ['keys']) as Tree)[0] as string, 'scheme'], 'other')),
    field: (md) => keyPath('signed.keys', firstRootKeyId(md)),
    message: /unknown key type/,
  },
];

describe('serializeMetadata refuses what the profile excludes', () => {
  for (const r of REFUSALS) {
    test(r.name, () => {
      const md = r.build();
      const file = 'out/metadata.json';
      const field = typeof r.field === 'function' ? r.field(md) : r.field;
      assertInputError(() => serializeMetadata(md, file), { file, field, message: r.message });
    });
  }

  test('the fixtures themselves are accepted (so the refusals above are about the mutation)', () => {
    for (const signed of [fixtureRoot(), fixtureTargets(), fixtureSnapshot(), fixtureTimestamp()]) {
      assert.ok(serializeMetadata({ signed, signatures: [] }, 'ok.json').length > 0);
    }
  });

  test('a refused file names the file given', () => {
    const md = mutated(fixtureTimestamp(), (t) => setAt(t, ['meta', 'snapshot.json', 'length'], 0));
    assertInputError(() => serializeMetadata(md, 'metadata/7.timestamp.json'), { file: 'metadata/7.timestamp.json' });
  });

  test('the delegate threshold verifies after serialization (delegation keys intact)', () => {
    const k = fixtureKeys();
    const t = parseMetadata(serializeMetadata(signMetadata(fixtureTargets(), [k.targets]), 't.json'), 't.json', 'targets').signed;
    const project = signMetadata({ ...fixtureTargets(), delegations: { keys: {}, roles: [] } }, [k.delegate]);
    const parsed = parseMetadata(serializeMetadata(project, 'project.json'), 'project.json', 'targets');
    const role = t.delegations?.roles?.[0];
    assert.ok(role !== undefined && t.delegations !== undefined);
    assert.equal(verifyThreshold('project', role, t.delegations.keys, parsed).met, true);
  });
});

/**
 * serializeMetadata as it was before it wrote into a byte buffer (strings
 * joined, then UTF-8): the reference its bytes and errors must equal.
 */
function legacySerialize(md: Metadata, file: string): Uint8Array {
  const writeChecked = (v: unknown, indent: string, out: string[], depth: number): boolean => {
    switch (typeof v) {
      case 'string':
        if (!v.isWellFormed()) return false;
        out.push(JSON.stringify(v));
        return true;
      case 'number':
        if (!Number.isSafeInteger(v) || Object.is(v, -0)) return false;
        out.push(String(v));
        return true;
      case 'boolean':
        out.push(v ? 'true' : 'false');
        return true;
      case 'object':
        break;
      default:
        return false;
    }
    if (v === null) {
      out.push('null');
      return true;
    }
    if (depth >= 64) return false;
    const inner = indent + '  ';
    if (Array.isArray(v)) {
      if (Object.getPrototypeOf(v) !== Array.prototype) return false;
      if (v.length === 0) {
        out.push('[]');
        return true;
      }
      out.push('[\n');
      for (let i = 0; i < v.length; i++) {
        if (!(i in v)) return false;
        out.push(inner);
        if (!writeChecked(v[i], inner, out, depth + 1)) return false;
        out.push(i < v.length - 1 ? ',\n' : '\n');
      }
      out.push(indent + ']');
      return true;
    }
    const proto: unknown = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return false;
    const rec = v as Record<string, unknown>;
    const keys = sortByCodePoint(Object.keys(rec));
    if (keys.length === 0) {
      out.push('{}');
      return true;
    }
    out.push('{\n');
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as string;
      if (!k.isWellFormed()) return false;
      out.push(inner + JSON.stringify(k) + ': ');
      if (!writeChecked(rec[k], inner, out, depth + 1)) return false;
      out.push(i < keys.length - 1 ? ',\n' : '\n');
    }
    out.push(indent + '}');
    return true;
  };
  const value = { signatures: md.signatures, signed: md.signed };
  assertNoControlCharacters(value, file);
  const out: string[] = [];
  const clean = writeChecked(value, '', out, 0);
  const bytes = Buffer.from(clean ? out.join('') + '\n' : stringifySorted(value, file), 'utf8');
  const limit = md.signed._type === 'root' ? MAX_ROOT_BYTES : MAX_JSON_BYTES;
  const parsed =
    clean && bytes.length <= limit
      ? metadataFromJson(value as unknown as JsonValue, bytes, file, md.signed._type, null)
      : parseMetadata(bytes, file, md.signed._type);
  checkProfile(parsed);
  return bytes;
}

describe('serializeMetadata writes what it wrote before, byte for byte', () => {
  const outcome = (f: () => Uint8Array): string => {
    try {
      return 'ok ' + Buffer.from(f()).toString('hex');
    } catch (e) {
      return e instanceof InputError ? `InputError ${String(e.field)} ${e.message}` : `other ${String(e)}`;
    }
  };

  test('property: the same bytes or the same error (file and field) as the string-joining writer, 3,000 random metadata', () => {
    const rnd = prng(20261207);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
    const str = (n: number): string => Array.from({ length: Math.floor(rnd() * n) }, () => pick(TRICKY_CHARS)).join('');
    const odd = [null, 1.5, -0, 2 ** 53, '\ud800', undefined, 'ABCDEF', 'x\u202ey', '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n'];
    const base = envelopes();
    const names = Object.keys(base);
    const randomJsonValues = randomJson(977, 3000);
    for (let t = 0; t < 3000; t++) {
      const md = clone(base[pick(names)] as unknown as Tree) as unknown as Metadata;
      const s = md.signed as unknown as Record<string, unknown>;
      if (s['_type'] === 'targets' && rnd() < 0.8) {
        const targets: Record<string, unknown> = {};
        const ascii = rnd() < 0.5;
        for (let i = Math.floor(rnd() * 30); i > 0; i--) {
          const path = ascii ? `pkg/${String(Math.floor(rnd() * 1e6))}/${pick(['a', 'B', '"', '\\', '_'])}.whl` : str(6);
          const file: Record<string, unknown> = { length: Math.floor(rnd() * 1e9), hashes: { sha256: rnd() < 0.97 ? 'ab'.repeat(32) : 'AB'.repeat(32) } };
          if (rnd() < 0.1) file['custom'] = randomJsonValues[t];
          if (rnd() < 0.03) file[pick(['length', 'custom', str(3)])] = pick(odd);
          targets[path] = file;
        }
        s['targets'] = targets;
      }
      if (rnd() < 0.1) s[pick(['x-note', str(4), 'version', 'expires'])] = rnd() < 0.5 ? pick(odd) : randomJsonValues[(t * 7) % 3000];
      if (rnd() < 0.05) (md.signatures as Signature[]).push({ keyid: pick(['ab'.repeat(32), str(3)]), sig: pick(['cd'.repeat(64), '']) });
      assert.equal(outcome(() => serializeMetadata(md, 'random.json')), outcome(() => legacySerialize(md, 'random.json')), `case ${String(t)}`);
    }
  });

  test('a root past the size limit is refused as before', () => {
    const md = envelopes()['root'] as Metadata;
    (md.signed as unknown as Record<string, unknown>)['x-note'] = 'x'.repeat(MAX_ROOT_BYTES);
    const got = outcome(() => serializeMetadata(md, 'big.json'));
    assert.match(got, /^InputError/);
    assert.equal(got, outcome(() => legacySerialize(md, 'big.json')));
  });
});
