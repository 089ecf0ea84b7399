// SPDX-License-Identifier: Apache-2.0
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canonicalBytes } from '../../src/metadata/canonical.js';
import type { JsonObject } from '../../src/metadata/json.js';
import { computeKeyId } from '../../src/metadata/keys.js';
import type { RoleType } from '../../src/metadata/model.js';
import { MAX_ROOT_BYTES, checkKey, parseMetadata } from '../../src/metadata/parse.js';
import { testKey } from '../support/keys.js';
import {
  assertInputError,
  clone,
  deleteAt,
  fixtureEnvelopes,
  getAt,
  jsonBytes,
  keyPath,
  readTestdata,
  setAt,
  TESTDATA_FILES,
  type Tree,
} from './helpers.js';

const FILE = 'metadata/x.json';

function parseTree(tree: unknown, expected?: RoleType, file = FILE): ReturnType<typeof parseMetadata> {
  const bytes = jsonBytes(tree);
  return expected === undefined ? parseMetadata(bytes, file) : parseMetadata(bytes, file, expected);
}

function firstKeyId(tree: Tree, where: 'keys' | 'delegations'): string {
  const keys = getAt(tree, where === 'keys' ? ['signed', 'keys'] : ['signed', 'delegations', 'keys']) as Tree;
  return Object.keys(keys)[0] as string;
}

describe('parseMetadata: tuf-on-ci demo repository (read in place)', () => {
  for (const [name, role] of TESTDATA_FILES) {
    test(`${name} parses as ${role}`, () => {
      const bytes = readTestdata(name);
      const md = parseMetadata(bytes, name, role);
      assert.equal(md.signed._type, role);
      assert.equal(md.file, name);
      assert.equal(md.bytes, bytes);
      const raw = JSON.parse(bytes.toString('utf8')) as { signed: unknown };
      assert.deepEqual(md.signedBytes, canonicalBytes(raw.signed));
      assert.equal(md.expiresAt, Date.parse(md.signed.expires));
      if (/^root_history\/[12]\.root\.json$/.test(name)) {
        // Versions 1 and 2 file keys with x-tuf-on-ci-* fields under the hash of
        // {keytype, scheme, keyval} only (checked with python in
        // securesystemslib.test.ts): read, and reported.
        assert.deepEqual(md.legacy, []);
        assert.ok((md.keyIdNotes ?? []).length > 0);
        for (const n of md.keyIdNotes ?? []) assert.match(n, /older form of the key \(without x-tuf-on-ci-/);
      } else {
        assert.deepEqual(md.legacy, []);
        assert.deepEqual(md.keyIdNotes, []);
      }
    });
  }

  test('a root read with the wrong expected type is refused', () => {
    assertInputError(() => parseMetadata(readTestdata('root.json'), 'root.json', 'targets'), {
      file: 'root.json',
      field: 'signed._type',
      message: /is "root" where "targets" metadata is expected/,
    });
  });
});

describe('parseMetadata: fixtures', () => {
  const env = fixtureEnvelopes();
  for (const role of ['root', 'targets', 'snapshot', 'timestamp'] as const) {
    test(`a valid ${role} parses, with and without an expected type`, () => {
      const md = parseTree(env[role], role);
      assert.deepEqual(md.legacy, []);
      assert.deepEqual(md.signedBytes, canonicalBytes(env[role]['signed']));
      assert.equal(parseTree(env[role]).signed._type, role);
    });
  }
});

type Mutation = (t: Tree) => void;
interface HostileCase {
  readonly name: string;
  readonly role: 'root' | 'targets' | 'snapshot' | 'timestamp';
  readonly expected?: RoleType;
  readonly mutate: Mutation;
  /** Expected field, or a function of the mutated tree. */
  readonly field: string | ((t: Tree) => string);
  readonly message: RegExp;
}

const set =
  (path: (string | number)[], v: unknown): Mutation =>
  (t) =>
    setAt(t, path, v);
const del =
  (path: (string | number)[]): Mutation =>
  (t) =>
    deleteAt(t, path);

const HOSTILE: readonly HostileCase[] = [
  { name: '_type differs from the expected role', role: 'targets', expected: 'snapshot', mutate: () => undefined, field: 'signed._type', message: /is "targets" where "snapshot"/ },
  { name: 'unknown _type', role: 'targets', mutate: set(['signed', '_type'], 'mirror'), field: 'signed._type', message: /unknown type "mirror"/ },
  { name: '_type missing', role: 'targets', mutate: del(['signed', '_type']), field: 'signed._type', message: /must be a string/ },
  { name: 'signed missing', role: 'root', mutate: del(['signed']), field: 'signed', message: /must be an object \(got nothing: the field is missing\)/ },
  { name: 'signed is an array', role: 'root', mutate: set(['signed'], []), field: 'signed', message: /must be an object \(got an array\)/ },
  { name: 'signatures missing', role: 'root', mutate: del(['signatures']), field: 'signatures', message: /must be an array/ },
  { name: 'signatures is an object', role: 'root', mutate: set(['signatures'], {}), field: 'signatures', message: /must be an array/ },
  { name: 'signature without sig', role: 'root', mutate: del(['signatures', 1, 'sig']), field: 'signatures[1].sig', message: /must be a string/ },
  { name: 'signature keyid not a string', role: 'root', mutate: set(['signatures', 0, 'keyid'], 5), field: 'signatures[0].keyid', message: /must be a string \(got number 5\)/ },
  {
    name: 'duplicate keyid in signatures',
    role: 'root',
    mutate: (t) => setAt(t, ['signatures', 1, 'keyid'], getAt(t, ['signatures', 0, 'keyid'])),
    field: 'signatures[1].keyid',
    message: /duplicate key ID/,
  },
  {
    name: 'duplicate keyid in signatures, one of them a "" placeholder',
    role: 'root',
    mutate: (t) => {
      setAt(t, ['signatures', 1, 'keyid'], getAt(t, ['signatures', 0, 'keyid']));
      setAt(t, ['signatures', 1, 'sig'], '');
    },
    field: 'signatures[1].keyid',
    message: /duplicate key ID/,
  },
  {
    name: 'duplicate keyid inside a role',
    role: 'root',
    mutate: (t) => setAt(t, ['signed', 'roles', 'root', 'keyids', 2], getAt(t, ['signed', 'roles', 'root', 'keyids', 0])),
    field: 'signed.roles.root.keyids[2]',
    message: /duplicate key ID/,
  },
  { name: 'key without keyval', role: 'root', mutate: (t) => deleteAt(t, ['signed', 'keys', firstKeyId(t, 'keys'), 'keyval']), field: (t) => keyPath('signed.keys', firstKeyId(t, 'keys')) + '.keyval', message: /must be an object/ },
  { name: 'key with a numeric public value', role: 'root', mutate: (t) => setAt(t, ['signed', 'keys', firstKeyId(t, 'keys'), 'keyval', 'public'], 1), field: (t) => keyPath('signed.keys', firstKeyId(t, 'keys')) + '.keyval.public', message: /must be a string/ },
  { name: 'threshold 0', role: 'root', mutate: set(['signed', 'roles', 'root', 'threshold'], 0), field: 'signed.roles.root.threshold', message: /must be an integer >= 1 \(got number 0\)/ },
  { name: 'threshold "2"', role: 'root', mutate: set(['signed', 'roles', 'root', 'threshold'], '2'), field: 'signed.roles.root.threshold', message: /must be an integer >= 1 \(got the string "2"\)/ },
  { name: 'threshold 1.5', role: 'root', mutate: set(['signed', 'roles', 'root', 'threshold'], 1.5), field: 'signed.roles.root.threshold', message: /1\.5 is not an integer/ },
  { name: 'threshold -1', role: 'root', mutate: set(['signed', 'roles', 'targets', 'threshold'], -1), field: 'signed.roles.targets.threshold', message: /must be an integer >= 1/ },
  { name: 'threshold missing', role: 'root', mutate: del(['signed', 'roles', 'snapshot', 'threshold']), field: 'signed.roles.snapshot.threshold', message: /must be an integer/ },
  { name: 'keyids not an array', role: 'root', mutate: set(['signed', 'roles', 'snapshot', 'keyids'], 'abc'), field: 'signed.roles.snapshot.keyids', message: /must be an array/ },
  { name: 'version 0', role: 'snapshot', mutate: set(['signed', 'version'], 0), field: 'signed.version', message: /must be an integer >= 1/ },
  { name: 'version "1"', role: 'snapshot', mutate: set(['signed', 'version'], '1'), field: 'signed.version', message: /must be an integer >= 1/ },
  { name: 'version 2^53', role: 'snapshot', mutate: set(['signed', 'version'], 2 ** 53), field: 'signed.version', message: /beyond 2\^53-1/ },
  { name: 'spec_version "2.0.0"', role: 'timestamp', mutate: set(['signed', 'spec_version'], '2.0.0'), field: 'signed.spec_version', message: /"2\.0\.0" is not a 1\.x spec version/ },
  { name: 'spec_version "1.0.31-rc1"', role: 'timestamp', mutate: set(['signed', 'spec_version'], '1.0.31-rc1'), field: 'signed.spec_version', message: /not a 1\.x spec version/ },
  { name: 'spec_version "1"', role: 'timestamp', mutate: set(['signed', 'spec_version'], '1'), field: 'signed.spec_version', message: /not a 1\.x spec version/ },
  { name: 'spec_version 1', role: 'timestamp', mutate: set(['signed', 'spec_version'], 1), field: 'signed.spec_version', message: /must be a string/ },
  { name: 'expires "not a date"', role: 'targets', mutate: set(['signed', 'expires'], 'not a date'), field: 'signed.expires', message: /"not a date" is not a date-time/ },
  { name: 'expires 2030-02-30', role: 'targets', mutate: set(['signed', 'expires'], '2030-02-30T00:00:00Z'), field: 'signed.expires', message: /is not a date-time/ },
  { name: 'expires without time', role: 'targets', mutate: set(['signed', 'expires'], '2030-01-01'), field: 'signed.expires', message: /is not a date-time/ },
  { name: 'expires without zone', role: 'targets', mutate: set(['signed', 'expires'], '2030-01-01T00:00:00'), field: 'signed.expires', message: /is not a date-time/ },
  { name: 'expires as a number', role: 'targets', mutate: set(['signed', 'expires'], 1893456000), field: 'signed.expires', message: /must be a string/ },
  { name: 'consistent_snapshot "true"', role: 'root', mutate: set(['signed', 'consistent_snapshot'], 'true'), field: 'signed.consistent_snapshot', message: /must be true or false/ },
  { name: 'root missing the snapshot role', role: 'root', mutate: del(['signed', 'roles', 'snapshot']), field: 'signed.roles.snapshot', message: /the role is missing/ },
  { name: 'root missing the root role', role: 'root', mutate: del(['signed', 'roles', 'root']), field: 'signed.roles.root', message: /the role is missing/ },
  { name: 'root keys missing', role: 'root', mutate: del(['signed', 'keys']), field: 'signed.keys', message: /must be an object/ },
  { name: 'extra root role malformed', role: 'root', mutate: set(['signed', 'roles', 'mirrors'], { keyids: [] }), field: 'signed.roles.mirrors.threshold', message: /must be an integer/ },
  {
    name: 'delegations with both roles and succinct_roles',
    role: 'targets',
    mutate: set(['signed', 'delegations', 'succinct_roles'], { keyids: [], threshold: 1, bit_length: 4, name_prefix: 'bin' }),
    field: 'signed.delegations',
    message: /exactly one of "roles" and "succinct_roles"/,
  },
  { name: 'delegations with neither roles nor succinct_roles', role: 'targets', mutate: del(['signed', 'delegations', 'roles']), field: 'signed.delegations', message: /exactly one of/ },
  { name: 'delegations null', role: 'targets', mutate: set(['signed', 'delegations'], null), field: 'signed.delegations', message: /must be an object \(got null\)/ },
  { name: 'delegated role missing terminating', role: 'targets', mutate: del(['signed', 'delegations', 'roles', 1, 'terminating']), field: 'signed.delegations.roles[1].terminating', message: /must be true or false/ },
  { name: 'delegated role with both paths and path_hash_prefixes', role: 'targets', mutate: set(['signed', 'delegations', 'roles', 0, 'path_hash_prefixes'], ['00']), field: 'signed.delegations.roles[0]', message: /must not have both "paths" and "path_hash_prefixes"/ },
  { name: 'delegated role named like a top-level role', role: 'targets', mutate: set(['signed', 'delegations', 'roles', 1, 'name'], 'snapshot'), field: 'signed.delegations.roles[1].name', message: /top-level role name/ },
  { name: 'delegated role with an empty name', role: 'targets', mutate: set(['signed', 'delegations', 'roles', 0, 'name'], ''), field: 'signed.delegations.roles[0].name', message: /must not be empty/ },
  { name: 'two delegated roles with one name', role: 'targets', mutate: set(['signed', 'delegations', 'roles', 1, 'name'], 'project'), field: 'signed.delegations.roles[1].name', message: /duplicate delegated role name "project"/ },
  { name: 'duplicate path pattern', role: 'targets', mutate: set(['signed', 'delegations', 'roles', 0, 'paths'], ['a/*', 'a/*']), field: 'signed.delegations.roles[0].paths[1]', message: /duplicate path pattern/ },
  { name: 'uppercase path hash prefix', role: 'targets', mutate: set(['signed', 'delegations', 'roles', 1, 'path_hash_prefixes'], ['0a', 'AB']), field: 'signed.delegations.roles[1].path_hash_prefixes[1]', message: /lowercase hex/ },
  { name: 'delegated role keyid duplicated', role: 'targets', mutate: (t) => setAt(t, ['signed', 'delegations', 'roles', 0, 'keyids', 1], getAt(t, ['signed', 'delegations', 'roles', 0, 'keyids', 0])), field: 'signed.delegations.roles[0].keyids[1]', message: /duplicate key ID/ },
  ...[33, 0, 64].map(
    (bits): HostileCase => ({
      name: `succinct_roles bit_length ${String(bits)}`,
      role: 'targets',
      mutate: (t) => {
        deleteAt(t, ['signed', 'delegations', 'roles']);
        setAt(t, ['signed', 'delegations', 'succinct_roles'], { keyids: [], threshold: 1, bit_length: bits, name_prefix: 'bin' });
      },
      field: 'signed.delegations.succinct_roles.bit_length',
      message: bits === 0 ? /must be an integer >= 1/ : /must be between 1 and 32/,
    })
  ),
  {
    name: 'succinct_roles with an empty name_prefix',
    role: 'targets',
    mutate: (t) => {
      deleteAt(t, ['signed', 'delegations', 'roles']);
      setAt(t, ['signed', 'delegations', 'succinct_roles'], { keyids: [], threshold: 1, bit_length: 8, name_prefix: '' });
    },
    field: 'signed.delegations.succinct_roles.name_prefix',
    message: /must not be empty/,
  },
  { name: 'targets missing', role: 'targets', mutate: del(['signed', 'targets']), field: 'signed.targets', message: /must be an object/ },
  { name: 'target with empty hashes', role: 'targets', mutate: set(['signed', 'targets', 'file.txt', 'hashes'], {}), field: 'signed.targets["file.txt"].hashes', message: /must list at least one hash/ },
  { name: 'target without hashes', role: 'targets', mutate: del(['signed', 'targets', 'file.txt', 'hashes']), field: 'signed.targets["file.txt"].hashes', message: /must be an object/ },
  { name: 'target hash not hex', role: 'targets', mutate: set(['signed', 'targets', 'file.txt', 'hashes', 'sha256'], 'xyz0'), field: 'signed.targets["file.txt"].hashes.sha256', message: /non-empty hex string/ },
  { name: 'target hash of odd length', role: 'targets', mutate: set(['signed', 'targets', 'file.txt', 'hashes', 'sha256'], 'abc'), field: 'signed.targets["file.txt"].hashes.sha256', message: /non-empty hex string/ },
  { name: 'target hash empty', role: 'targets', mutate: set(['signed', 'targets', 'file.txt', 'hashes', 'sha256'], ''), field: 'signed.targets["file.txt"].hashes.sha256', message: /non-empty hex string/ },
  { name: 'target length -1', role: 'targets', mutate: set(['signed', 'targets', 'file.txt', 'length'], -1), field: 'signed.targets["file.txt"].length', message: /must be an integer >= 0/ },
  { name: 'target length missing', role: 'targets', mutate: del(['signed', 'targets', 'file.txt', 'length']), field: 'signed.targets["file.txt"].length', message: /must be an integer >= 0/ },
  { name: 'float in target custom', role: 'targets', mutate: set(['signed', 'targets', 'file.txt', 'custom', 'n'], 1.5), field: 'signed.targets["file.txt"].custom.n', message: /not an integer/ },
  { name: 'timestamp meta without snapshot.json', role: 'timestamp', mutate: (t) => { const m = getAt(t, ['signed', 'meta']) as Tree; m['snapshot2.json'] = m['snapshot.json']; delete m['snapshot.json']; }, field: 'signed.meta["snapshot.json"]', message: /the entry is missing/ },
  { name: 'timestamp meta empty', role: 'timestamp', mutate: set(['signed', 'meta'], {}), field: 'signed.meta["snapshot.json"]', message: /the entry is missing/ },
  { name: 'timestamp meta version 0', role: 'timestamp', mutate: set(['signed', 'meta', 'snapshot.json', 'version'], 0), field: 'signed.meta["snapshot.json"].version', message: /must be an integer >= 1/ },
  { name: 'snapshot meta length -5', role: 'snapshot', mutate: set(['signed', 'meta', 'project.json', 'length'], -5), field: 'signed.meta["project.json"].length', message: /must be an integer >= 0/ },
  { name: 'snapshot meta with empty hashes', role: 'snapshot', mutate: set(['signed', 'meta', 'project.json', 'hashes'], {}), field: 'signed.meta["project.json"].hashes', message: /at least one hash/ },
  { name: 'snapshot meta missing', role: 'snapshot', mutate: del(['signed', 'meta']), field: 'signed.meta', message: /must be an object/ },
  { name: 'snapshot meta entry without version', role: 'snapshot', mutate: del(['signed', 'meta', 'targets.json', 'version']), field: 'signed.meta["targets.json"].version', message: /must be an integer/ },
];

describe('parseMetadata: hostile input is refused naming file and field', () => {
  const env = fixtureEnvelopes();
  for (const c of HOSTILE) {
    test(c.name, () => {
      const tree = clone(env[c.role]);
      c.mutate(tree);
      const field = typeof c.field === 'function' ? c.field(tree) : c.field;
      const file = `metadata/${c.role}.json`;
      assertInputError(() => parseTree(tree, c.expected ?? c.role, file), { file, field, message: c.message });
    });
  }

  test('the key ID note reports the ID the key really has', () => {
    const tree = clone(env.targets);
    const id = firstKeyId(tree, 'delegations');
    setAt(tree, ['signed', 'delegations', 'keys', id, 'keyval', 'public'], testKey('parse/other').tuf.keyval.public);
    setAt(tree, ['signed', 'delegations', 'keys', id, 'x-owner'], '@me');
    const key = getAt(tree, ['signed', 'delegations', 'keys', id]);
    const md = parseTree(tree, 'targets');
    assert.ok(md.keyIdNotes?.[0]?.includes(`(${computeKeyId(key).slice(0, 16)}…)`), md.keyIdNotes?.join('; '));
  });

  test(`a root above ${String(MAX_ROOT_BYTES)} bytes is refused; exactly at the limit is read`, () => {
    const tree = clone(env.root);
    setAt(tree, ['signed', 'x-pad'], '');
    const base = jsonBytes(tree).length;
    setAt(tree, ['signed', 'x-pad'], 'p'.repeat(MAX_ROOT_BYTES - base));
    const exact = jsonBytes(tree);
    assert.equal(exact.length, MAX_ROOT_BYTES);
    assert.equal(parseMetadata(exact, 'root.json', 'root').signed.version, 1);
    setAt(tree, ['signed', 'x-pad'], 'p'.repeat(MAX_ROOT_BYTES - base + 1));
    assertInputError(() => parseMetadata(jsonBytes(tree), 'root.json', 'root'), {
      file: 'root.json',
      field: null,
      message: /512001 bytes, more than the 512000 accepted/,
    });
  });

  test('the root size limit applies to roots only', () => {
    const tree = clone(env.targets);
    setAt(tree, ['signed', 'x-pad'], 'p'.repeat(MAX_ROOT_BYTES + 10));
    assert.equal(parseTree(tree, 'targets').signed._type, 'targets');
  });

  test('a top-level value that is not an object is refused', () => {
    for (const v of [[], 'root', 1, null]) {
      assertInputError(() => parseTree(v, 'root'), { file: FILE, field: '', message: /must be an object/ });
    }
  });

  test('syntax errors in metadata are InputErrors naming the file', () => {
    assertInputError(() => parseMetadata(Buffer.from('{"signed":'), 'root.json', 'root'), { file: 'root.json', message: /not valid JSON/ });
  });
});

describe('parseMetadata: unknown fields are kept exactly', () => {
  const EXTRA = { a: [1, 'b'], 'ﬁ': { '😀': [true, null, -3] }, s: 'tab\there "q" \\' };
  const PLACES: Record<'root' | 'targets' | 'snapshot' | 'timestamp', (string | number)[][]> = {
    root: [['signed'], ['signed', 'roles', 'root'], ['signed', 'roles', 'timestamp']],
    targets: [
      ['signed'],
      ['signed', 'targets', 'file.txt'],
      ['signed', 'targets', 'file.txt', 'custom'],
      ['signed', 'delegations'],
      ['signed', 'delegations', 'roles', 0],
      ['signed', 'delegations', 'roles', 1],
    ],
    snapshot: [['signed'], ['signed', 'meta', 'targets.json'], ['signed', 'meta', 'project.json']],
    timestamp: [['signed'], ['signed', 'meta', 'snapshot.json']],
  };
  const env = fixtureEnvelopes();
  for (const role of ['root', 'targets', 'snapshot', 'timestamp'] as const) {
    test(`${role}: x-custom at ${String(PLACES[role].length)} places`, () => {
      const tree = clone(env[role]);
      for (const place of PLACES[role]) setAt(tree, [...place, 'x-custom'], clone(EXTRA));
      setAt(tree, ['x-top'], 1);
      setAt(tree, ['signatures', 0, 'x-sig'], 'kept');
      const md = parseTree(tree, role);
      assert.deepEqual(md.signedBytes, canonicalBytes(tree['signed']));
      assert.deepEqual(canonicalBytes(md.signed), canonicalBytes(tree['signed']));
      for (const place of PLACES[role]) assert.deepEqual(getAt(md.signed, [...place.slice(1), 'x-custom']), EXTRA);
      assert.notDeepEqual(md.signedBytes, canonicalBytes(env[role]['signed']));
    });
  }

  test('a key with an extra field (filed under its full hash) is kept', () => {
    const tree = clone(env.root);
    const k = testKey('parse/extra');
    const key = { ...k.tuf, 'x-tuf-on-ci-keyowner': '@someone', keyval: { ...k.tuf.keyval, 'x-private-hint': 'none' } };
    setAt(tree, ['signed', 'keys', computeKeyId(key)], key);
    const md = parseTree(tree, 'root');
    assert.deepEqual(md.signedBytes, canonicalBytes(tree['signed']));
    assert.deepEqual(md.legacy, []);
  });

  test('an own "__proto__" field is data, not a prototype', () => {
    const tree = clone(env.snapshot);
    const text = jsonBytes(tree).toString('utf8').replace('"_type"', '"__proto__": {"polluted": 1},\n "_type"');
    const md = parseMetadata(Buffer.from(text), FILE, 'snapshot');
    assert.ok(Object.hasOwn(md.signed, '__proto__'));
    assert.equal(Object.getPrototypeOf(md.signed), Object.prototype);
    assert.match(md.signedBytes.toString('utf8'), /^\{"__proto__":\{"polluted":1\},"_type":"snapshot"/);
  });
});

describe('parseMetadata: legacy forms are read and noted, not refused', () => {
  const env = fixtureEnvelopes();
  const cases: readonly (readonly [string, 'root' | 'targets' | 'snapshot' | 'timestamp', Mutation, RegExp])[] = [
    ['fractional seconds and an offset in expires', 'timestamp', set(['signed', 'expires'], '2021-12-18T13:28:12.99008-06:00'), /fractional seconds and a UTC offset/],
    ['root without consistent_snapshot', 'root', del(['signed', 'consistent_snapshot']), /without consistent_snapshot/],
    ['a mirrors role in root', 'root', (t) => setAt(t, ['signed', 'roles', 'mirrors'], clone(getAt(t, ['signed', 'roles', 'timestamp']))), /root role "mirrors"/],
    ['delegated role with neither paths nor prefixes', 'targets', del(['signed', 'delegations', 'roles', 0, 'paths']), /"project" has neither paths nor path_hash_prefixes/],
    ['uppercase hex target hash', 'targets', (t) => setAt(t, ['signed', 'targets', 'file.txt', 'hashes', 'sha256'], (getAt(t, ['signed', 'targets', 'file.txt', 'hashes', 'sha256']) as string).toUpperCase()), /uppercase hex digest/],
    ['custom: null', 'targets', set(['signed', 'targets', 'file.txt', 'custom'], null), /"custom": null/],
    ['timestamp meta with two entries', 'timestamp', set(['signed', 'meta', 'targets.json'], { version: 1 }), /more than snapshot\.json/],
    [
      'keyid_hash_algorithms in a key',
      'root',
      (t) => {
        const k = testKey('parse/legacy-kha');
        const key = { ...k.tuf, keyid_hash_algorithms: ['sha256', 'sha512'] };
        setAt(t, ['signed', 'keys', computeKeyId(key)], key);
      },
      /keyid_hash_algorithms/,
    ],
  ];
  for (const [name, role, mutate, note] of cases) {
    test(name, () => {
      const tree = clone(env[role]);
      mutate(tree);
      const md = parseTree(tree, role);
      assert.equal(md.legacy.length, 1, md.legacy.join('; '));
      assert.match(md.legacy[0] as string, note);
      assert.deepEqual(md.signedBytes, canonicalBytes(tree['signed']));
    });
  }

  test('expires with fractional seconds and an offset gives the right instant', () => {
    const tree = clone(env.timestamp);
    setAt(tree, ['signed', 'expires'], '2021-12-18T13:28:12.99008-06:00');
    assert.equal(parseTree(tree, 'timestamp').expiresAt, Date.UTC(2021, 11, 18, 19, 28, 12, 990));
  });

  test('notes are collected once each, several at a time', () => {
    const tree = clone(env.root);
    deleteAt(tree, ['signed', 'consistent_snapshot']);
    setAt(tree, ['signed', 'expires'], '2030-01-01T00:00:00.5Z');
    setAt(tree, ['signed', 'roles', 'mirrors'], { keyids: [], threshold: 1 });
    const md = parseTree(tree, 'root');
    assert.equal(md.legacy.length, 3, md.legacy.join('; '));
  });
});

describe('checkKey', () => {
  test('accepts a key under its own ID and refuses another ID', () => {
    const k = testKey('parse/checkKey', 'ecdsa-p256');
    const key = clone(k.tuf) as unknown as JsonObject;
    assert.deepEqual(checkKey(key, 'key.pub', ['key'], k.keyid), k.tuf);
    assert.deepEqual(checkKey(key, 'key.pub', ['key']), k.tuf);
    assertInputError(() => checkKey(key, 'key.pub', ['key'], '00'.repeat(32)), {
      file: 'key.pub',
      field: 'key',
      message: /key ID does not match/,
    });
    assertInputError(() => checkKey({ keytype: 'ed25519' }, 'key.pub', []), { file: 'key.pub', field: 'scheme' });
  });
});

describe('parseMetadata: target digests (checked inline, without the regexes)', () => {
  const env = fixtureEnvelopes();
  // Every unit next to the hex ranges, units whose low byte is a hex digit,
  // other digits and letters, and the cases of each rule.
  const DIGESTS = [
    '00', 'ab', 'AB', 'aB', 'Ab', '0f', 'f0', 'F0', '09', '90', 'ff'.repeat(64), 'FF'.repeat(32),
    '', 'a', 'abc', 'ABC', '/0', ':0', '@0', 'G0', '`0', 'g0', '0/', '0:', '0@', '0G', '0`', '0g',
    ' 0', '0 ', '0\n', '\u00000', '\u0130' + '0', '0\u0161', '\u0661\u0662', '\uff10\uff11', '\uff41\uff42',
    '\ud83d\ude00', 'é0', 'xyz0', '0x', '-0', '+0', '0'.repeat(63),
  ];
  for (const digest of DIGESTS) {
    for (const alg of ['sha256', 'sha512']) {
      test(`${JSON.stringify(digest)} as ${alg}`, () => {
        const tree = clone(env.targets);
        setAt(tree, ['signed', 'targets', 'file.txt', 'hashes', 'sha512'], 'ab'.repeat(64));
        setAt(tree, ['signed', 'targets', 'file.txt', 'hashes', alg], digest);
        // The rule, as Guard.hexDigest states it with regexes.
        const valid = digest !== '' && digest.length % 2 === 0 && /^[0-9a-fA-F]+$/.test(digest);
        if (!valid) {
          assertInputError(() => parseTree(tree, 'targets'), {
            file: FILE,
            field: `signed.targets["file.txt"].hashes.${alg}`,
            message: /non-empty hex string/,
          });
          return;
        }
        const md = parseTree(tree, 'targets');
        assert.deepEqual(md.legacy, /^[0-9a-f]+$/.test(digest) ? [] : ['uppercase hex digest (python-tuf compares lowercase)']);
      });
    }
  }

  test('the first bad target in key order is the one named', () => {
    const tree = clone(env.targets);
    const t = getAt(tree, ['signed', 'targets', 'file.txt']);
    setAt(tree, ['signed', 'targets', 'b'], { ...(t as Tree), hashes: { sha256: 'AB' } });
    setAt(tree, ['signed', 'targets', 'c'], { ...(t as Tree), hashes: { sha256: 'zz' } });
    setAt(tree, ['signed', 'targets', 'd'], { ...(t as Tree), length: -1 });
    setAt(tree, ['signed', 'targets', '10'], { ...(t as Tree), custom: null });
    assertInputError(() => parseTree(tree, 'targets'), { file: FILE, field: 'signed.targets.c.hashes.sha256', message: /non-empty hex string/ });
    deleteAt(tree, ['signed', 'targets', 'c']);
    assertInputError(() => parseTree(tree, 'targets'), { file: FILE, field: 'signed.targets.d.length', message: /must be an integer >= 0/ });
    deleteAt(tree, ['signed', 'targets', 'd']);
    // Integer-like keys come first: the "custom": null note before the uppercase one.
    assert.deepEqual(parseTree(tree, 'targets').legacy, [
      '"custom": null in a target (go-tuf drops it and the signature breaks)',
      'uppercase hex digest (python-tuf compares lowercase)',
    ]);
  });
});

describe('parseMetadata: key IDs are opaque on read (TAP 12), a mismatch is noted with the forms tried', () => {
  const env = fixtureEnvelopes();
  const ecdsa = testKey('parse/keyid-forms', 'ecdsa-p256');
  const ed = testKey('parse/keyid-forms-ed');
  const kha = { keyid_hash_algorithms: ['sha256', 'sha512'] };
  /** [case, the key as written, the form its ID was hashed over, what the note must say] */
  const forms: readonly (readonly [string, JsonObject, JsonObject, RegExp])[] = [
    ['keytype renamed ecdsa-sha2-nistp256 → ecdsa', { ...ecdsa.tuf, keytype: 'ecdsa' }, { ...ecdsa.tuf, keytype: 'ecdsa-sha2-nistp256' }, /keytype "ecdsa-sha2-nistp256"/],
    ['keytype renamed ecdsa → ecdsa-sha2-nistp256', { ...ecdsa.tuf, keytype: 'ecdsa-sha2-nistp256' }, { ...ecdsa.tuf, keytype: 'ecdsa' }, /keytype "ecdsa"/],
    ['keyid_hash_algorithms dropped since', { ...ecdsa.tuf }, { ...ecdsa.tuf, ...kha }, /with keyid_hash_algorithms/],
    ['keyid_hash_algorithms added since', { ...ecdsa.tuf, ...kha }, { ...ecdsa.tuf }, /without keyid_hash_algorithms/],
    ['x- field added since (older tuf-on-ci)', { ...ed.tuf, 'x-tuf-on-ci-keyowner': '@me' }, { ...ed.tuf }, /without x-tuf-on-ci-keyowner/],
    [
      'PEM hashed without its final newline (TAF)',
      { ...ecdsa.tuf },
      { ...ecdsa.tuf, keyval: { public: ecdsa.tuf.keyval.public.trimEnd() } },
      /PEM without its final newline/,
    ],
    ['go-tuf v0 legacy ID over {keytype, keyval}', { ...ed.tuf }, { keytype: ed.tuf.keytype, keyval: ed.tuf.keyval }, /go-tuf v0 legacy form/],
    [
      'several changes at once (renamed, keyid_hash_algorithms dropped, x- field added)',
      { ...ecdsa.tuf, keytype: 'ecdsa', 'x-tuf-on-ci-online-uri': 'gcpkms:x' },
      { ...ecdsa.tuf, keytype: 'ecdsa-sha2-nistp256', ...kha },
      /keytype "ecdsa-sha2-nistp256", with keyid_hash_algorithms .*, without x-tuf-on-ci-online-uri/,
    ],
  ];
  for (const [name, written, hashed, note] of forms) {
    test(name, () => {
      const tree = clone(env.root);
      const id = computeKeyId(hashed);
      assert.notEqual(id, computeKeyId(written));
      setAt(tree, ['signed', 'keys', id], written);
      const md = parseTree(tree, 'root');
      assert.equal(md.keyIdNotes?.length, 1, (md.keyIdNotes ?? []).join('; '));
      const text = md.keyIdNotes?.[0] ?? '';
      assert.ok(text.includes(id), text);
      assert.match(text, /older form of the key/);
      assert.match(text, note);
      assert.deepEqual(md.signedBytes, canonicalBytes(tree['signed']));
    });
  }

  const unexplained: readonly (readonly [string, 'root' | 'targets', Mutation, (t: Tree) => string])[] = [
    [
      'one char of keyval.public changed',
      'root',
      (t) => {
        const id = firstKeyId(t, 'keys');
        const pub = getAt(t, ['signed', 'keys', id, 'keyval', 'public']) as string;
        setAt(t, ['signed', 'keys', id, 'keyval', 'public'], (pub.startsWith('0') ? '1' : '0') + pub.slice(1));
      },
      (t) => firstKeyId(t, 'keys'),
    ],
    ['scheme changed', 'targets', (t) => setAt(t, ['signed', 'delegations', 'keys', firstKeyId(t, 'delegations'), 'scheme'], 'ED25519'), (t) => firstKeyId(t, 'delegations')],
    [
      'two keys swapped between their IDs',
      'root',
      (t) => {
        const keys = getAt(t, ['signed', 'keys']) as Tree;
        const [a, b] = Object.keys(keys) as [string, string];
        [keys[a], keys[b]] = [keys[b], keys[a]];
      },
      (t) => firstKeyId(t, 'keys'),
    ],
    [
      'uppercase key ID of a correct key',
      'root',
      (t) => {
        const keys = getAt(t, ['signed', 'keys']) as Tree;
        const id = Object.keys(keys)[0] as string;
        keys[id.toUpperCase()] = keys[id];
        delete keys[id];
      },
      (t) => Object.keys(getAt(t, ['signed', 'keys']) as Tree).find((k) => /[A-F]/.test(k)) as string,
    ],
  ];
  for (const [name, role, mutate, keyid] of unexplained) {
    test(`${name}: read, and noted with every form tried`, () => {
      const tree = clone(env[role]);
      mutate(tree);
      const md = parseTree(tree, role);
      const notes = md.keyIdNotes ?? [];
      assert.ok(notes.length >= 1);
      const text = notes.find((n) => n.includes(keyid(tree))) ?? '';
      assert.match(text, /is not the SHA-256 of its key as written \([0-9a-f]{16}…\) nor of any older form tried \(.*go-tuf v0 legacy form/);
      assert.match(text, /opaque label/);
    });
  }
});
