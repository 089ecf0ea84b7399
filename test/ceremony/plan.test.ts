// SPDX-License-Identifier: Apache-2.0
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyPlan, MAX_PLAN_BYTES, parsePlan, type Plan } from '../../src/ceremony/plan.js';
import { checkRootDraft, renderRootDiff, rootDiff, type KeyResolver } from '../../src/ceremony/root-draft.js';
import { InputError, IoError } from '../../src/errors.js';
import { withOwner } from '../../src/metadata/key-owner.js';
import { computeKeyId, type TufKey } from '../../src/metadata/keys.js';
import type { Root } from '../../src/metadata/model.js';
import { parseMetadata } from '../../src/metadata/parse.js';
import { checkProfile, serializeMetadata } from '../../src/metadata/serialize.js';
import { verifyRootRotation } from '../../src/metadata/verify.js';
import { signMetadata, testKey, type TestKey } from '../support/keys.js';
import { assertInputError, fixtureKeys, fixtureRoot } from '../metadata/helpers.js';

/** 2026-01-15T12:00:00Z: a fixed reference time (never the clock). */
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

const YAML_FILE = 'plans/rotate.yaml';
const JSON_FILE = 'plans/rotate.json';

/** The example from product.md §2 "Root plan file", comments included. */
const PRODUCT_EXAMPLE = `expires: +365d                 # or an ISO 8601 date-time such as 2027-11-23T00:00:00Z
consistent_snapshot: true
roles:
  root:      { threshold: 3, keyholders: [alice, bob, carol, dave, erin] }
  targets:   { threshold: 2, keyholders: [alice, bob, carol] }
  snapshot:  { threshold: 1, keys: [online/snapshot.pub.json] }   # public key files
  timestamp: { threshold: 1, keys: [online/timestamp.pub.json] }
`;

const PRODUCT_EXAMPLE_JSON = JSON.stringify({
  expires: '+365d',
  consistent_snapshot: true,
  roles: {
    root: { threshold: 3, keyholders: ['alice', 'bob', 'carol', 'dave', 'erin'] },
    targets: { threshold: 2, keyholders: ['alice', 'bob', 'carol'] },
    snapshot: { threshold: 1, keys: ['online/snapshot.pub.json'] },
    timestamp: { threshold: 1, keys: ['online/timestamp.pub.json'] },
  },
});

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

function yaml(text: string): Plan {
  return parsePlan(Buffer.from(text, 'utf8'), YAML_FILE);
}

// ## A workspace's keyholders and key files, as the command layer would resolve them

const KEYHOLDERS: Record<string, TestKey> = {
  alice: testKey('pl/alice'),
  bob: testKey('pl/bob', 'ecdsa-p256'),
  carol: testKey('pl/carol'),
  dave: testKey('pl/dave'),
  erin: testKey('pl/erin', 'ecdsa-p256'),
  // holds the fixture's first root key: kept across the rotation
  rooty: fixtureKeys().root[0] as TestKey,
};

const KEY_FILES: Record<string, TestKey> = {
  'online/snapshot.pub.json': testKey('pl/snapshot-2'),
  'online/timestamp.pub.json': testKey('pl/timestamp-2'),
  'keyholders/alice.pub.json': KEYHOLDERS['alice'] as TestKey,
  'old/snapshot.pub.json': fixtureKeys().snapshot,
};

function resolver(calls: [string, string | undefined][] = []): KeyResolver {
  return (who, kind) => {
    calls.push([who, kind]);
    const k = kind === 'keyholder' ? KEYHOLDERS[who] : KEY_FILES[who];
    if (k === undefined) {
      throw new InputError(kind === 'keyholder' ? `no keyholder named "${who}"` : `${who}: no such public key file`, {
        hint: 'run keyholder list',
      });
    }
    return kind === 'keyholder' ? { keyid: k.keyid, key: k.tuf, keyholder: who } : { keyid: k.keyid, key: k.tuf };
  };
}

/**
 * The key IDs a plan writes: a keyholder's key with its name bound in the
 * key object (x-tuf-on-ci-keyowner), except rooty's, carried over from the
 * published root under its own key ID; key files as they are.
 */
function ids(...names: string[]): string[] {
  return names.map((n) => {
    const holder = KEYHOLDERS[n];
    if (holder !== undefined && n !== 'rooty') return withOwner(holder.tuf, n).keyid;
    return (holder ?? KEY_FILES[n] ?? assert.fail(n)).keyid;
  });
}

describe('parsePlan: valid plans', () => {
  test('the product.md example (YAML, flow style, comments)', () => {
    const plan = yaml(PRODUCT_EXAMPLE);
    assert.deepEqual(plan, {
      file: YAML_FILE,
      expires: '+365d',
      consistent_snapshot: true,
      roles: {
        root: { threshold: 3, keyholders: ['alice', 'bob', 'carol', 'dave', 'erin'], keys: [] },
        targets: { threshold: 2, keyholders: ['alice', 'bob', 'carol'], keys: [] },
        snapshot: { threshold: 1, keyholders: [], keys: ['online/snapshot.pub.json'] },
        timestamp: { threshold: 1, keyholders: [], keys: ['online/timestamp.pub.json'] },
      },
    });
  });

  test('the same plan as JSON, as block-style YAML, and as JSON in a .yaml file', () => {
    const want = { ...yaml(PRODUCT_EXAMPLE), file: JSON_FILE };
    assert.deepEqual(parsePlan(Buffer.from(PRODUCT_EXAMPLE_JSON), JSON_FILE), want);
    assert.deepEqual(parsePlan(Buffer.from(PRODUCT_EXAMPLE_JSON), 'PLAN.JSON'), { ...want, file: 'PLAN.JSON' });
    assert.deepEqual(yaml(PRODUCT_EXAMPLE_JSON), { ...want, file: YAML_FILE });
    const block = [
      '%YAML 1.2',
      '---',
      '# next root',
      'expires: "+365d"',
      'consistent_snapshot: true',
      'roles:',
      '  root:',
      '    threshold: 3',
      '    keyholders:',
      '      - alice',
      '      - bob',
      '      - carol',
      '      - dave',
      "      - 'erin'",
      '  targets:',
      '    threshold: 2',
      '    keyholders: [alice, bob, carol]',
      '  snapshot:',
      '    threshold: 1',
      '    keys:',
      '    - online/snapshot.pub.json',
      '  timestamp: {threshold: 1, keys: ["online/timestamp.pub.json"]}',
      '...',
      '',
    ].join('\r\n');
    assert.deepEqual(yaml(block), { ...want, file: YAML_FILE });
  });

  test('every field is optional; keyholders and keys may be mixed', () => {
    assert.deepEqual(yaml('{}'), { file: YAML_FILE, roles: {} });
    assert.deepEqual(yaml('expires: 2027-11-23\n'), { file: YAML_FILE, expires: '2027-11-23', roles: {} });
    assert.deepEqual(yaml('expires: 2027-11-23T00:00:00Z\n').expires, '2027-11-23T00:00:00Z');
    assert.deepEqual(yaml('consistent_snapshot: false\n'), { file: YAML_FILE, consistent_snapshot: false, roles: {} });
    assert.deepEqual(yaml('roles:\n  root: {threshold: 2, keyholders: [alice], keys: [k/bob.pub.json]}\n').roles, {
      root: { threshold: 2, keyholders: ['alice'], keys: ['k/bob.pub.json'] },
    });
  });

  test('a UTF-8 byte order mark is skipped (YAML and JSON)', () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    assert.equal(parsePlan(Buffer.concat([bom, Buffer.from('expires: +30d\n')]), YAML_FILE).expires, '+30d');
    assert.equal(parsePlan(Buffer.concat([bom, Buffer.from('{"expires": "+30d"}')]), JSON_FILE).expires, '+30d');
  });

  test('a plan of exactly 1 MiB is read', () => {
    const head = 'expires: +30d\n# ';
    const text = head + 'x'.repeat(MAX_PLAN_BYTES - head.length - 1) + '\n';
    assert.equal(Buffer.byteLength(text), MAX_PLAN_BYTES);
    assert.equal(yaml(text).expires, '+30d');
  });
});

describe('parsePlan: hostile and malformed plans are refused, naming the file and field', () => {
  const R = (role: string): string => `roles:\n  root: ${role}\n`;
  /** [name, text, field (null: the file as a whole), message] */
  const cases: [string, string, string | null, RegExp][] = [
    ['unknown top-level field', 'expires: +30d\nversion: 3\n', 'version', /unknown field \(a plan has expires, consistent_snapshot, roles\)/],
    ['unknown field differing only in case', 'Expires: +30d\n', 'Expires', /unknown field/],
    ['unknown role-level field', R('{threshold: 1, keyholders: [alice], paths: ["*"]}'), 'roles.root.paths', /unknown field \(a role has threshold, keyholders, keys\)/],
    ['unknown role', 'roles:\n  mirrors: {threshold: 1, keyholders: [alice]}\n', 'roles.mirrors', /unknown role/],
    ['__proto__ is just an unknown field', '__proto__: {polluted: 1}\n', '__proto__', /unknown field/],
    ['duplicate top-level key', 'expires: +30d\nexpires: +60d\n', 'expires', /duplicate key/],
    ['duplicate role-level key', 'roles:\n  root:\n    threshold: 1\n    keyholders: [alice]\n    threshold: 2\n', 'roles.root.threshold', /duplicate key/],
    ['duplicate key in a flow mapping', R('{threshold: 1, threshold: 1, keyholders: [alice]}'), 'roles.root.threshold', /duplicate key/],
    ['duplicate role', 'roles:\n  root: {threshold: 1, keyholders: [a]}\n  root: {threshold: 1, keyholders: [b]}\n', 'roles.root', /duplicate key/],
    ['float threshold 2.5', R('{threshold: 2.5, keyholders: [a, b, c]}'), 'roles.root.threshold', /2\.5 is not a whole number/],
    ['float threshold 2.0', R('{threshold: 2.0, keyholders: [a, b, c]}'), 'roles.root.threshold', /2\.0 is not a whole number/],
    ['exponent threshold', R('{threshold: 1e0, keyholders: [a]}'), 'roles.root.threshold', /1e0 is not a whole number/],
    ['hex threshold', R('{threshold: 0x2, keyholders: [a, b]}'), 'roles.root.threshold', /0x2 is not a whole number/],
    ['octal threshold', R('{threshold: 0o2, keyholders: [a, b]}'), 'roles.root.threshold', /0o2 is not a whole number/],
    ['leading-zero threshold', R('{threshold: 02, keyholders: [a, b]}'), 'roles.root.threshold', /02 is not a whole number/],
    ['plus-signed threshold', R('{threshold: +2, keyholders: [a, b]}'), 'roles.root.threshold', /\+2 is not a whole number/],
    ['infinite threshold', R('{threshold: .inf, keyholders: [a]}'), 'roles.root.threshold', /\.inf is not a whole number/],
    ['huge threshold', R('{threshold: 99999999999999999999, keyholders: [a]}'), 'roles.root.threshold', /not a whole number/],
    ['threshold as a string', R('{threshold: "2", keyholders: [a, b]}'), 'roles.root.threshold', /must be an integer >= 1 \(got the string "2"\)/],
    ['threshold as a single-quoted string', R("{threshold: '2', keyholders: [a, b]}"), 'roles.root.threshold', /got the string "2"/],
    ['threshold 0', R('{threshold: 0, keyholders: [a]}'), 'roles.root.threshold', /must be an integer >= 1/],
    ['negative threshold', R('{threshold: -1, keyholders: [a]}'), 'roles.root.threshold', /must be an integer >= 1/],
    ['missing threshold', R('{keyholders: [a]}'), 'roles.root.threshold', /the field is missing/],
    ['threshold above the keys listed', R('{threshold: 3, keyholders: [a], keys: [b.pub.json]}'), 'roles.root.threshold', /3 is more than the 2 keys listed/],
    ['a role with no keys', R('{threshold: 1, keyholders: []}'), 'roles.root', /lists no keys/],
    ['a role that is null', 'roles:\n  root:\n', 'roles.root', /must be an object \(got null\)/],
    ['roles as a list', 'roles: [root]\n', 'roles', /must be an object/],
    ['keyholders as a string', R('{threshold: 1, keyholders: alice}'), 'roles.root.keyholders', /must be an array/],
    ['keyholder as a number', R('{threshold: 1, keyholders: [7]}'), 'roles.root.keyholders[0]', /must be a string/],
    ['duplicate keyholder', R('{threshold: 1, keyholders: [alice, bob, alice]}'), 'roles.root.keyholders[2]', /duplicate keyholder "alice"/],
    ['keyholder name with upper case', R('{threshold: 1, keyholders: [Alice]}'), 'roles.root.keyholders[0]', /not a valid keyholder name/],
    ['keyholder name that is a path', R('{threshold: 1, keyholders: [../alice]}'), 'roles.root.keyholders[0]', /not a valid keyholder name/],
    ['duplicate key file', R('{threshold: 1, keys: [a.pub.json, a.pub.json]}'), 'roles.root.keys[1]', /duplicate key file/],
    ['empty key file path', R('{threshold: 1, keys: [""]}'), 'roles.root.keys[0]', /must be a public key file path/],
    ['key file path with a control character', R('{threshold: 1, keys: ["a\\x01.pub.json"]}'), 'roles.root.keys[0]', /must be a public key file path/],
    ['consistent_snapshot yes (YAML 1.1 boolean)', 'consistent_snapshot: yes\n', 'consistent_snapshot', /must be true or false \(got the string "yes"\)/],
    ['consistent_snapshot yes under a %YAML 1.1 directive', '%YAML 1.1\n---\nconsistent_snapshot: yes\n', 'consistent_snapshot', /must be true or false/],
    ['consistent_snapshot "true"', 'consistent_snapshot: "true"\n', 'consistent_snapshot', /must be true or false/],
    ['consistent_snapshot 1', 'consistent_snapshot: 1\n', 'consistent_snapshot', /must be true or false/],
    ['expires not a time', 'expires: tomorrow\n', 'expires', /"tomorrow" is not a time/],
    ['expires with fractional seconds', 'expires: 2027-11-23T00:00:00.000Z\n', 'expires', /is not a time/],
    ['expires +0d', 'expires: +0d\n', 'expires', /number of days must be from 1/],
    ['expires as a number', 'expires: 365\n', 'expires', /must be a string/],
    ['an alias', 'expires: &e +30d\nroles: *e\n', 'expires', /YAML anchors \(&e\) are not allowed/],
    ['a lone alias (undefined anchor)', 'roles: *nothing\n', 'roles', /YAML aliases \(\*nothing\) are not allowed/],
    ['a merge key', 'roles:\n  root: &base {threshold: 1, keyholders: [a]}\n  targets:\n    <<: *base\n', 'roles.root', /YAML anchors \(&base\)/],
    ['an explicit core tag', 'consistent_snapshot: !!bool true\n', 'consistent_snapshot', /YAML tags \(tag:yaml\.org,2002:bool\) are not allowed/],
    ['an explicit str tag', 'expires: !!str +30d\n', 'expires', /YAML tags/],
    ['a custom tag', 'expires: !evil +30d\n', null, /line 1 column 10: Unresolved tag: !evil/],
    ['a binary tag', 'expires: !!binary aGVsbG8=\n', null, /Unresolved tag/],
    ['a tagged mapping', 'roles: !!map {}\n', 'roles', /YAML tags/],
    ['a complex key', '? [a, b]\n: 1\n', null, /keys must be plain strings/],
    ['a list at the top', '- expires: +30d\n', '', /must be an object \(got an array\)/],
    ['a scalar at the top', 'hello\n', '', /must be an object \(got the string "hello"\)/],
    ['null at the top', 'null\n', null, /the plan is empty/],
    ['a number at the top', '7\n', '', /must be an object \(got number 7\)/],
    ['two documents', 'expires: +30d\n---\nexpires: +60d\n', null, /holds 2 YAML documents; a plan is one/],
    ['a syntax error', 'roles:\n  root: {threshold: 1\n', null, /not a valid plan at line \d+ column \d+/],
    ['a tab as indentation', 'roles:\n\troot: {threshold: 1, keyholders: [a]}\n', null, /not a valid plan at line 2/],
    ['deep flow nesting', 'roles: ' + '['.repeat(300) + ']'.repeat(300) + '\n', null, /\[ and \{ nested more than 32 deep/],
    ['many shallow flow collections', 'roles: [' + '[],'.repeat(300) + ']\n', null, /more than 256 \[ and \{/],
    ['deep block nesting', 'roles:\n' + '- '.repeat(100) + 'x\n', null, /line 2 column 201: indented or nested more than 64 columns/],
    ['deep indentation', 'roles:\n' + ' '.repeat(80) + 'root: 1\n', null, /indented or nested more than 64 columns/],
    ['empty file', '', null, /the plan is empty/],
    ['whitespace only', ' \n\t\n', null, /the plan is empty/],
    ['comments only', '# a plan\n# to come\n', null, /the plan is empty/],
    ['a bare document marker', '---\n', null, /the plan is empty/],
  ];
  for (const [name, text, field, message] of cases) {
    test(name, () => {
      assertInputError(() => yaml(text), { file: YAML_FILE, field, message });
    });
  }

  test('Object.prototype is untouched by a __proto__ key', () => {
    assert.throws(() => yaml('__proto__: {polluted: 1}\n'));
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });

  test('billion laughs: refused at the first anchor, before any expansion', () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      lines.push(`${cur}: &${cur} [${Array(9).fill('*' + prev).join(',')}]`);
    }
    const started = process.hrtime.bigint();
    assertInputError(() => yaml(lines.join('\n') + '\n'), { file: YAML_FILE, field: 'a', message: /YAML anchors \(&a\) are not allowed/ });
    assert.ok(process.hrtime.bigint() - started < 1_000_000_000n, 'refused within a second');
  });

  test('a plan over 1 MiB is refused before it is parsed', () => {
    const text = 'expires: +30d\n# ' + 'x'.repeat(MAX_PLAN_BYTES);
    assertInputError(() => yaml(text), { file: YAML_FILE, field: null, message: /more than the 1048576 a plan may have/ });
    assertInputError(() => parsePlan(Buffer.from(text), JSON_FILE), { file: JSON_FILE, field: null, message: /1048576/ });
  });

  test('a near-1 MiB plan of many keys is refused (duplicate checks are not quadratic)', () => {
    const text = Array.from({ length: 80_000 }, (_, i) => `k${String(i)}: v`).join('\n') + '\nk0: again\n';
    assert.ok(text.length < MAX_PLAN_BYTES);
    const started = process.hrtime.bigint();
    assertInputError(() => yaml(text), { file: YAML_FILE, field: 'k0', message: /duplicate key/ });
    assert.ok(process.hrtime.bigint() - started < 30_000_000_000n, 'refused in bounded time');
  });

  test('not UTF-8: invalid bytes, overlong forms, encoded surrogates', () => {
    for (const bytes of [[0x65, 0x78, 0xff, 0x3a], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0x80]]) {
      assertInputError(() => parsePlan(Buffer.from(bytes), YAML_FILE), { file: YAML_FILE, field: null, message: /not valid UTF-8/ });
      assertInputError(() => parsePlan(Buffer.from(bytes), JSON_FILE), { file: JSON_FILE, field: null, message: /not valid UTF-8/ });
    }
  });

  test('JSON plans are strict JSON: duplicates, floats, nesting, syntax', () => {
    const json = (text: string): Plan => parsePlan(Buffer.from(text), JSON_FILE);
    assertInputError(() => json('{"roles": {"root": {"threshold": 1, "keyholders": ["a"], "keyholders": ["b"]}}}'), {
      file: JSON_FILE,
      field: 'roles.root.keyholders',
      message: /duplicate key/,
    });
    assertInputError(() => json('{"roles": {"root": {"threshold": 2.5, "keyholders": ["a", "b", "c"]}}}'), {
      file: JSON_FILE,
      field: 'roles.root.threshold',
      message: /not an integer/,
    });
    assertInputError(() => json('{"roles": {"root": {"threshold": "2", "keyholders": ["a", "b"]}}}'), {
      file: JSON_FILE,
      field: 'roles.root.threshold',
      message: /got the string "2"/,
    });
    assertInputError(() => json('{"roles": {"root": {"threshold": 1, "keyholders": ["a"], "x": 1}}}'), {
      file: JSON_FILE,
      field: 'roles.root.x',
      message: /unknown field/,
    });
    assertInputError(() => json('{"expires": "+30d", "roles": {"mirrors": {"threshold": 1, "keys": ["m"]}}}'), {
      file: JSON_FILE,
      field: 'roles.mirrors',
      message: /unknown role/,
    });
    assertInputError(() => json('{"roles": ' + '['.repeat(40) + ']'.repeat(40) + '}'), { file: JSON_FILE });
    assertInputError(() => json('{"expires": "+30d",}'), { file: JSON_FILE, field: null, message: /not valid JSON/ });
    assertInputError(() => json(''), { file: JSON_FILE, field: null, message: /the plan is empty/ });
    // YAML is not read from a .json file
    assertInputError(() => json('expires: +30d\n'), { file: JSON_FILE, field: null, message: /not valid JSON/ });
  });
});

describe('applyPlan', () => {
  const k = fixtureKeys();
  const published = (): Root => deepFreeze(fixtureRoot());
  const ROTATE = `expires: 2027-06-30T00:00:00Z
roles:
  root: { threshold: 2, keyholders: [rooty, alice, bob] }
  snapshot: { threshold: 1, keys: [online/snapshot.pub.json] }
`;

  test('named roles get exactly the listed keys; others keep the published value; unused keys leave', () => {
    const pub = published();
    const draft = applyPlan(pub, yaml(ROTATE), resolver(), NOW);
    assert.equal(draft.version, 2);
    assert.equal(draft.expires, '2027-06-30T00:00:00Z');
    assert.equal(draft.consistent_snapshot, true);
    assert.deepEqual(draft.roles['root'], { keyids: ids('rooty', 'alice', 'bob'), threshold: 2 });
    assert.deepEqual(draft.roles['snapshot'], { keyids: ids('online/snapshot.pub.json'), threshold: 1 });
    assert.deepEqual(draft.roles['targets'], pub.roles['targets']);
    assert.deepEqual(draft.roles['timestamp'], pub.roles['timestamp']);
    assert.deepEqual(
      Object.keys(draft.keys).sort(),
      [...ids('rooty', 'alice', 'bob', 'online/snapshot.pub.json'), k.targets.keyid, k.timestamp.keyid].sort()
    );
    for (const gone of [(k.root[1] as TestKey).keyid, (k.root[2] as TestKey).keyid, k.snapshot.keyid]) {
      assert.equal(draft.keys[gone], undefined);
    }
    assert.deepEqual(draft.keys[k.targets.keyid], k.targets.tuf);
    assert.deepEqual(checkRootDraft(draft, pub, NOW), { errors: [], warnings: [] });
    const names = (id: string): string | undefined => Object.keys(KEYHOLDERS).find((n) => ids(n)[0] === id);
    assert.deepEqual(renderRootDiff(rootDiff(pub, draft, names)), [
      'version: 1 → 2',
      'expires: 2030-01-01T00:00:00Z → 2027-06-30T00:00:00Z',
      `root: - key ${(k.root[1] as TestKey).keyid.slice(0, 8)} (no keyholder)`,
      `root: - key ${(k.root[2] as TestKey).keyid.slice(0, 8)} (no keyholder)`,
      `root: + alice (${ids('alice')[0]?.slice(0, 8) ?? ''})`,
      `root: + bob (${ids('bob')[0]?.slice(0, 8) ?? ''})`,
      `snapshot: - key ${k.snapshot.keyid.slice(0, 8)} (no keyholder)`,
      `snapshot: + key ${ids('online/snapshot.pub.json')[0]?.slice(0, 8) ?? ''} (no keyholder)`,
    ]);
  });

  test('the resolver is asked for keyholders, then key files, in the order written', () => {
    const calls: [string, string | undefined][] = [];
    applyPlan(published(), yaml(ROTATE), resolver(calls), NOW);
    assert.deepEqual(calls, [
      ['rooty', 'keyholder'],
      ['alice', 'keyholder'],
      ['bob', 'keyholder'],
      ['online/snapshot.pub.json', 'key-file'],
    ]);
  });

  test('YAML and JSON plans give the same draft', () => {
    const a = applyPlan(null, yaml(PRODUCT_EXAMPLE), resolver(), NOW);
    const b = applyPlan(null, parsePlan(Buffer.from(PRODUCT_EXAMPLE_JSON), JSON_FILE), resolver(), NOW);
    assert.deepEqual(a, b);
  });

  test('a first root from the product.md plan: v1, all four roles, a clean check', () => {
    const draft = applyPlan(null, yaml(PRODUCT_EXAMPLE), resolver(), NOW);
    assert.equal(draft.version, 1);
    assert.equal(draft.expires, '2027-01-15T12:00:00Z');
    assert.deepEqual(draft.roles['root'], { keyids: ids('alice', 'bob', 'carol', 'dave', 'erin'), threshold: 3 });
    assert.deepEqual(draft.roles['targets'], { keyids: ids('alice', 'bob', 'carol'), threshold: 2 });
    assert.deepEqual(draft.roles['timestamp'], { keyids: ids('online/timestamp.pub.json'), threshold: 1 });
    assert.equal(Object.keys(draft.keys).length, 7);
    assert.deepEqual(checkRootDraft(draft, null, NOW), { errors: [], warnings: [] });
  });

  test('the version is always published + 1', () => {
    for (const version of [1, 2, 7, 41]) {
      const pub = deepFreeze({ ...fixtureRoot(), version });
      assert.equal(applyPlan(pub, yaml('{}'), resolver(), NOW).version, version + 1);
    }
    assert.equal(applyPlan(null, yaml(PRODUCT_EXAMPLE), resolver(), NOW).version, 1);
  });

  test('a plan without roles keeps every role; expires defaults to 365 days (or expiresDays)', () => {
    const pub = published();
    const d = applyPlan(pub, yaml('consistent_snapshot: false\n'), resolver(), NOW);
    assert.deepEqual(d.roles, pub.roles);
    assert.deepEqual(d.keys, pub.keys);
    assert.equal(d.consistent_snapshot, false);
    assert.equal(d.expires, '2027-01-15T12:00:00Z');
    assert.equal(applyPlan(pub, yaml('{}'), resolver(), NOW, { expiresDays: 90 }).expires, '2026-04-15T12:00:00Z');
    assert.equal(applyPlan(pub, yaml('{}'), resolver(), NOW).consistent_snapshot, true);
    assert.equal(applyPlan(pub, yaml('expires: +10d\n'), resolver(), NOW).expires, '2026-01-25T12:00:00Z');
  });

  test('a plan whose expiry has passed is refused, naming the file and field', () => {
    assertInputError(() => applyPlan(published(), yaml('expires: 2025-12-31\n'), resolver(), NOW), {
      file: YAML_FILE,
      field: 'expires',
      message: /is not in the future/,
    });
  });

  test('a name that does not resolve: the message names the plan entry; cause and hint kept', () => {
    const plan = yaml('roles:\n  root: {threshold: 1, keyholders: [alice, mallory]}\n');
    const err = assertInputError(() => applyPlan(published(), plan, resolver(), NOW), {
      file: YAML_FILE,
      field: 'roles.root.keyholders[1]',
      message: /"mallory": no keyholder named "mallory"/,
    });
    assert.ok(err.cause instanceof InputError);
    assert.equal(err.hint, 'run keyholder list');
    const fileErr = yaml('roles:\n  snapshot: {threshold: 1, keys: [missing.pub.json]}\n');
    assertInputError(() => applyPlan(published(), fileErr, resolver(), NOW), { file: YAML_FILE, field: 'roles.snapshot.keys[0]' });
  });

  test('other resolver errors (a file that cannot be read) keep their kind', () => {
    const io = new IoError('online/snapshot.pub.json: permission denied');
    const failing: KeyResolver = () => {
      throw io;
    };
    assert.throws(() => applyPlan(published(), yaml(ROTATE), failing, NOW), (e) => e === io);
  });

  test('one public key twice in a role (by name and by file) is refused', () => {
    const plan = yaml('roles:\n  root: {threshold: 1, keyholders: [alice], keys: [keyholders/alice.pub.json]}\n');
    assertInputError(() => applyPlan(published(), plan, resolver(), NOW), {
      file: YAML_FILE,
      field: 'roles.root.keys[0]',
      message: /is the same public key as roles\.root\.keyholders\[0\]/,
    });
  });

  test('a resolved key outside the safe profile, or with a wrong key ID, is refused naming the entry', () => {
    const rsa = testKey('pl/rsa', 'rsa-pss');
    const bad: KeyResolver = (who) => (who === 'alice' ? { keyid: rsa.keyid, key: rsa.tuf } : { keyid: 'ab'.repeat(32), key: k.snapshot.tuf });
    const plan = yaml('roles:\n  root: {threshold: 1, keyholders: [alice]}\n');
    assertInputError(() => applyPlan(published(), plan, bad, NOW), {
      file: YAML_FILE,
      field: 'roles.root.keyholders[0]',
      message: /outside the safe profile/,
    });
    const plan2 = yaml('roles:\n  root: {threshold: 1, keyholders: [bob]}\n');
    assertInputError(() => applyPlan(published(), plan2, bad, NOW), {
      file: YAML_FILE,
      field: 'roles.root.keyholders[0]',
      message: /does not match its key/,
    });
  });

  test('a public key the published root holds under another key ID keeps that key ID', () => {
    const alice = KEYHOLDERS['alice'] as TestKey;
    const tagged = { ...alice.tuf, 'x-tuf-on-ci-keyowner': '@alice' } as TufKey;
    const taggedId = computeKeyId(tagged);
    const base = fixtureRoot();
    const pub = deepFreeze({
      ...base,
      keys: { ...base.keys, [taggedId]: tagged },
      roles: { ...base.roles, targets: { keyids: [taggedId], threshold: 1 } },
    });
    const draft = applyPlan(pub, yaml('roles:\n  root: {threshold: 1, keyholders: [alice]}\n'), resolver(), NOW);
    assert.deepEqual(draft.roles['root']?.keyids, [taggedId]);
    assert.deepEqual(draft.roles['targets']?.keyids, [taggedId]);
    assert.equal(draft.keys[alice.keyid], undefined);
    assert.deepEqual(checkRootDraft(draft, pub, NOW).errors, []);
  });

  test('a public key listed for two roles gets one key ID', () => {
    const draft = applyPlan(
      null,
      yaml('roles:\n  root: {threshold: 1, keyholders: [alice]}\n  targets: {threshold: 1, keys: [keyholders/alice.pub.json]}\n'),
      resolver(),
      NOW
    );
    assert.deepEqual(draft.roles['root']?.keyids, draft.roles['targets']?.keyids);
  });

  test('round trip: the planned rotation, signed by old and new root keys, serializes, re-parses and rotates', () => {
    const pub = published();
    const draft = applyPlan(pub, yaml(ROTATE), resolver(), NOW);
    // alice signs under the key ID the draft lists: her key with her name bound in it.
    const signers = [k.root[0] as TestKey, k.root[1] as TestKey, { ...(KEYHOLDERS['alice'] as TestKey), keyid: ids('alice')[0] as string }];
    const bytes = serializeMetadata(signMetadata(draft, signers), 'drafts/root.json');
    const parsed = parseMetadata(bytes, 'drafts/root.json', 'root');
    checkProfile(parsed);
    assert.deepEqual(parsed.signed, draft);
    const rotation = verifyRootRotation(pub, parsed);
    assert.ok(rotation.ok);
    assert.equal(rotation.old.counted, 2);
    assert.equal(rotation.new.counted, 2);
  });
});
