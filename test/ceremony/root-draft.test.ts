// SPDX-License-Identifier: Apache-2.0
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import {
  addKey,
  checkRootDraft,
  keyholderNames,
  keyProfileProblem,
  newRootDraft,
  parseThreshold,
  parseWhen,
  removeKey,
  renderRootDiff,
  rootDiff,
  setConsistentSnapshot,
  setExpires,
  setRoles,
  setThreshold,
  SPEC_VERSION,
  type Keyholder,
} from '../../src/ceremony/root-draft.js';
import { computeKeyId, type TufKey } from '../../src/metadata/keys.js';
import type { Root } from '../../src/metadata/model.js';
import { parseMetadata } from '../../src/metadata/parse.js';
import { checkProfile, serializeMetadata } from '../../src/metadata/serialize.js';
import { verifyRootRotation } from '../../src/metadata/verify.js';
import { signMetadata, testKey, type TestKey } from '../support/keys.js';
import { fixtureKeys, fixtureRoot } from '../metadata/helpers.js';
import { assertValueError, deepFreeze } from '../support/assert-input.js';

/** 2026-01-15T12:00:00.123Z: a fixed reference time with milliseconds (never the clock). */
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0) + 123;

/** A published root that must never be changed by the functions under test. */
function published(): Root {
  return deepFreeze(fixtureRoot());
}

/** A complete, valid draft: v2 of the fixture root with a 3-of-4 root. */
function goodDraft(): { draft: Root; extra: TestKey } {
  const extra = testKey('rd/extra');
  let draft = newRootDraft(published(), NOW);
  draft = addKey(draft, 'root', extra.keyid, extra.tuf);
  draft = setThreshold(draft, 'root', 3);
  return { draft, extra };
}

/** The same public key as `k`, under another key ID (an extra field changes the hash). */
function sameKeyOtherId(k: TestKey): { keyid: string; key: TufKey } {
  const key = { ...k.tuf, 'x-owner': '@someone' } as TufKey;
  return { keyid: computeKeyId(key), key };
}

function p384Key(): { keyid: string; key: TufKey } {
  const pem = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const key: TufKey = { keytype: 'ecdsa', scheme: 'ecdsa-sha2-nistp384', keyval: { public: pem } };
  return { keyid: computeKeyId(key), key };
}

function legacyEcdsa(k: TestKey): { keyid: string; key: TufKey } {
  const key: TufKey = { ...k.tuf, keytype: 'ecdsa-sha2-nistp256' };
  return { keyid: computeKeyId(key), key };
}

describe('newRootDraft', () => {
  test('first root: v1, four empty roles with threshold 1, consistent_snapshot true, 365 days', () => {
    const d = newRootDraft(null, NOW);
    assert.deepEqual(d, {
      _type: 'root',
      spec_version: '1.0.31',
      version: 1,
      expires: '2027-01-15T12:00:00Z',
      consistent_snapshot: true,
      keys: {},
      roles: {
        root: { keyids: [], threshold: 1 },
        targets: { keyids: [], threshold: 1 },
        snapshot: { keyids: [], threshold: 1 },
        timestamp: { keyids: [], threshold: 1 },
      },
    });
    assert.equal(SPEC_VERSION, '1.0.31');
  });

  test('expiresDays sets the lifetime; bad values are refused', () => {
    assert.equal(newRootDraft(null, NOW, { expiresDays: 30 }).expires, '2026-02-14T12:00:00Z');
    for (const bad of [0, -1, 2.5, 36_501, Number.NaN]) {
      assertValueError(() => newRootDraft(null, NOW, { expiresDays: bad }), 'expiresDays');
    }
  });

  test('from a published root: version + 1, same keys, roles and consistent_snapshot, new expiry', () => {
    const pub = published();
    const d = newRootDraft(pub, NOW);
    assert.equal(d.version, 2);
    assert.equal(d.spec_version, '1.0.31');
    assert.equal(d.expires, '2027-01-15T12:00:00Z');
    assert.equal(d.consistent_snapshot, true);
    assert.deepEqual(d.keys, pub.keys);
    assert.deepEqual(d.roles, pub.roles);
    assert.notEqual(d.roles, pub.roles);
    assert.notEqual(d.keys, pub.keys);
  });

  test('a published root without consistent_snapshot meant false to clients: the draft writes false', () => {
    const rest: Record<string, unknown> = { ...fixtureRoot() };
    delete rest['consistent_snapshot'];
    const d = newRootDraft(deepFreeze(rest as unknown as Root), NOW);
    assert.equal(d.consistent_snapshot, false);
    assert.equal(newRootDraft(deepFreeze({ ...fixtureRoot(), consistent_snapshot: false }), NOW).consistent_snapshot, false);
  });

  test('fields other tools added (mirrors role, x- fields) and unused keys are not carried over', () => {
    const k = fixtureKeys();
    const stray = testKey('rd/stray');
    const base = fixtureRoot();
    const pub = deepFreeze({
      ...base,
      'x-top': 1,
      keys: { ...base.keys, [stray.keyid]: stray.tuf },
      roles: {
        ...base.roles,
        root: { ...(base.roles['root'] as Root['roles'][string]), 'x-tuf-on-ci-expiry-period': 365 },
        mirrors: { keyids: [stray.keyid], threshold: 1 },
      },
    } as Root);
    const d = newRootDraft(pub, NOW);
    assert.deepEqual(Object.keys(d).sort(), ['_type', 'consistent_snapshot', 'expires', 'keys', 'roles', 'spec_version', 'version']);
    assert.deepEqual(Object.keys(d.roles), ['root', 'targets', 'snapshot', 'timestamp']);
    assert.deepEqual(d.roles['root'], { keyids: k.root.map((x) => x.keyid), threshold: 2 });
    assert.equal(d.keys[stray.keyid], undefined);
    const lines = renderRootDiff(rootDiff(pub, d, () => undefined));
    assert.ok(lines.includes('roles.mirrors: removed'), lines.join('\n'));
    assert.ok(lines.includes('roles.root.x-tuf-on-ci-expiry-period: removed'), lines.join('\n'));
    assert.ok(lines.includes('x-top: removed'), lines.join('\n'));
    assert.ok(lines.some((l) => l.startsWith('keys: - key ') && l.includes('(no role used it)')), lines.join('\n'));
  });
});

describe('edits return a new root and never change their input', () => {
  const k = fixtureKeys();
  const alice = testKey('rd/alice');
  const bob = testKey('rd/bob', 'ecdsa-p256');

  test('addKey adds to the role and to keys', () => {
    const d = deepFreeze(newRootDraft(published(), NOW));
    const e = addKey(d, 'root', alice.keyid, alice.tuf);
    assert.deepEqual(e.roles['root']?.keyids, [...k.root.map((x) => x.keyid), alice.keyid]);
    assert.equal(e.roles['root']?.threshold, 2);
    assert.deepEqual(e.keys[alice.keyid], alice.tuf);
    assert.equal(d.keys[alice.keyid], undefined);
    const f = addKey(e, 'targets', bob.keyid, bob.tuf);
    assert.deepEqual(f.roles['targets']?.keyids, [k.targets.keyid, bob.keyid]);
    // a key already in keys (used by another role) is shared, not copied
    const g = addKey(f, 'snapshot', alice.keyid, alice.tuf);
    assert.deepEqual(g.roles['snapshot']?.keyids, [k.snapshot.keyid, alice.keyid]);
    assert.equal(Object.keys(g.keys).length, Object.keys(f.keys).length);
  });

  test('addKey: a key already in the role is refused, naming the role and key', () => {
    const d = deepFreeze(newRootDraft(published(), NOW));
    const first = k.root[0] as TestKey;
    assertValueError(() => addKey(d, 'root', first.keyid, first.tuf), 'roles.root.keyids', new RegExp(`${first.keyid} is already in the root role`));
    // the same public key under another key ID is the same key
    const other = sameKeyOtherId(first);
    assertValueError(() => addKey(d, 'root', other.keyid, other.key), 'roles.root.keyids', / \(as [0-9a-f]{64}\) is already in the root role$/);
  });

  test('addKey: a public key the root holds under another key ID reuses that key ID', () => {
    const d = deepFreeze(newRootDraft(published(), NOW));
    const first = k.root[0] as TestKey;
    const other = sameKeyOtherId(first);
    const e = addKey(d, 'targets', other.keyid, other.key);
    assert.deepEqual(e.roles['targets']?.keyids, [k.targets.keyid, first.keyid]);
    assert.equal(e.keys[other.keyid], undefined);
    assert.deepEqual(checkRootDraft(e, published(), NOW).errors, []);
  });

  test('addKey: the same public key held in a form outside the profile is refused', () => {
    const legacy = legacyEcdsa(bob);
    const base = newRootDraft(null, NOW);
    const d = deepFreeze({ ...base, keys: { [legacy.keyid]: legacy.key }, roles: { ...base.roles, targets: { keyids: [legacy.keyid], threshold: 1 } } });
    assertValueError(() => addKey(d, 'root', bob.keyid, bob.tuf), 'key', /already holds this public key as .*remove .* from every role first/);
  });

  test('addKey: unknown role, mismatched key ID and keys outside the safe profile are refused', () => {
    const d = deepFreeze(newRootDraft(published(), NOW));
    assertValueError(() => addKey(d, 'mirrors', alice.keyid, alice.tuf), 'role', /"mirrors" is not a root role/);
    assertValueError(() => addKey(d, 'Root', alice.keyid, alice.tuf), 'role');
    assertValueError(() => addKey(d, 'root', bob.keyid, alice.tuf), 'key', /does not match its key/);
    assertValueError(() => addKey(d, 'root', 'ABC', alice.tuf), 'key', /64 lowercase hex/);
    const rsa = testKey('rd/rsa', 'rsa-pss');
    assertValueError(() => addKey(d, 'root', rsa.keyid, rsa.tuf), 'key', /rsa-pss-sha256 keys are outside the safe profile/);
    const p384 = p384Key();
    assertValueError(() => addKey(d, 'root', p384.keyid, p384.key), 'key', /P-384/);
    const legacy = legacyEcdsa(bob);
    assertValueError(() => addKey(d, 'root', legacy.keyid, legacy.key), 'key', /ecdsa-sha2-nistp256.*outside the safe profile/);
    const pemEd: TufKey = { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: alice.publicKey.export({ type: 'spki', format: 'pem' }) as string } };
    assertValueError(() => addKey(d, 'root', computeKeyId(pemEd), pemEd), 'key', /64 hex characters/);
    const khash = { ...alice.tuf, keyid_hash_algorithms: ['sha256', 'sha512'] } as unknown as TufKey;
    assertValueError(() => addKey(d, 'root', computeKeyId(khash), khash), 'key', /keyid_hash_algorithms/);
    const noNewline: TufKey = { ...bob.tuf, keyval: { public: bob.tuf.keyval.public.trimEnd() } };
    assertValueError(() => addKey(d, 'root', computeKeyId(noNewline), noNewline), 'key', /newline/);
  });

  test('removeKey removes from the role, and from keys once no role uses it', () => {
    const d = deepFreeze(newRootDraft(published(), NOW));
    const first = k.root[0] as TestKey;
    const e = removeKey(d, 'root', first.keyid);
    assert.deepEqual(e.roles['root']?.keyids, k.root.slice(1).map((x) => x.keyid));
    assert.equal(e.keys[first.keyid], undefined);
    assert.ok(d.keys[first.keyid] !== undefined);
    // still used by another role: stays in keys
    const shared = addKey(d, 'targets', first.keyid, first.tuf);
    const f = removeKey(shared, 'root', first.keyid);
    assert.deepEqual(f.keys[first.keyid], first.tuf);
    assert.deepEqual(f.roles['targets']?.keyids, [k.targets.keyid, first.keyid]);
  });

  test('removeKey: a key not in the role is refused, naming the role and key', () => {
    const d = deepFreeze(newRootDraft(published(), NOW));
    const err = assertValueError(() => removeKey(d, 'targets', k.snapshot.keyid), 'roles.targets.keyids');
    assert.match(err.message, new RegExp(`key ${k.snapshot.keyid} is not in the targets role`));
    assertValueError(() => removeKey(d, 'mirrors', k.snapshot.keyid), 'role');
  });

  test('removeKey with the key given matches the same public key under another key ID', () => {
    const d = deepFreeze(newRootDraft(published(), NOW));
    const first = k.root[0] as TestKey;
    const other = sameKeyOtherId(first);
    assertValueError(() => removeKey(d, 'root', other.keyid), 'roles.root.keyids');
    const e = removeKey(d, 'root', other.keyid, other.key);
    assert.deepEqual(e.roles['root']?.keyids, k.root.slice(1).map((x) => x.keyid));
    // a key the role does not hold in any form is still refused
    assertValueError(() => removeKey(d, 'root', alice.keyid, alice.tuf), 'roles.root.keyids');
  });

  test('setThreshold takes an integer or its decimal text; anything else is refused', () => {
    const d = deepFreeze(newRootDraft(published(), NOW));
    assert.equal(setThreshold(d, 'root', 3).roles['root']?.threshold, 3);
    assert.equal(setThreshold(d, 'targets', '1').roles['targets']?.threshold, 1);
    assert.deepEqual(setThreshold(d, 'root', 3).roles['root']?.keyids, d.roles['root']?.keyids);
    for (const bad of [0, -1, 2.5, Number.NaN, Infinity, '0', '2.5', '', ' 2', '2 ', '+2', '0x2', 'two', '1e3', '99999999999']) {
      assertValueError(() => setThreshold(d, 'root', bad), 'threshold', /is not a whole number of at least 1/);
    }
    assertValueError(() => setThreshold(d, 'bins', 1), 'role');
    // above the number of keys: allowed while editing, reported by the check
    const high = setThreshold(d, 'root', 4);
    assert.equal(high.roles['root']?.threshold, 4);
    assert.ok(checkRootDraft(high, published(), NOW).errors.some((e) => e.startsWith('roles.root.threshold: 4 is more than the 3 keys')));
    assert.equal(parseThreshold('12'), 12);
  });

  test('setExpires: +Nd, a date, a date-time; written strictly', () => {
    const d = deepFreeze(newRootDraft(published(), NOW));
    assert.equal(setExpires(d, '+30d', NOW).expires, '2026-02-14T12:00:00Z');
    assert.equal(setExpires(d, '+1d', NOW).expires, '2026-01-16T12:00:00Z');
    assert.equal(setExpires(d, '2027-11-23', NOW).expires, '2027-11-23T00:00:00Z');
    assert.equal(setExpires(d, '2027-11-23T10:20:30Z', NOW).expires, '2027-11-23T10:20:30Z');
    assert.equal(setExpires(d, '2027-11-23T10:20:30+02:00', NOW).expires, '2027-11-23T08:20:30Z');
    assert.equal(d.expires, '2027-01-15T12:00:00Z');
  });

  test('setExpires: anything else is refused naming the field', () => {
    const d = deepFreeze(newRootDraft(published(), NOW));
    const bad = [
      '', 'tomorrow', '365d', '+365', '+0d', '+36501d', '-5d', '+1.5d', '+1w', '2027-13-01', '2027-02-30',
      '2027-11-23T00:00:00.000Z', '2027-11-23T00:00:00.5Z', '2027-11-23 00:00:00', '2027-11-23T25:00:00Z', '20271123',
      'x'.repeat(10_000),
    ];
    for (const text of bad) assertValueError(() => setExpires(d, text, NOW), 'expires', /is not a time|number of days/);
    // not after now
    for (const text of ['2026-01-15', '2026-01-15T12:00:00Z', '2020-01-01T00:00:00Z']) {
      assertValueError(() => setExpires(d, text, NOW), 'expires', /is not in the future \(now is 2026-01-15T12:00:00Z\)/);
    }
    assert.equal(parseWhen('2026-01-15T12:00:01Z', NOW), Date.UTC(2026, 0, 15, 12, 0, 1));
    // long input is cut in the message
    const err = assertValueError(() => setExpires(d, 'y'.repeat(500), NOW), 'expires');
    assert.ok(err.message.length < 300, err.message);
  });

  test('setConsistentSnapshot: a boolean or true/false text', () => {
    const d = deepFreeze(newRootDraft(published(), NOW));
    assert.equal(setConsistentSnapshot(d, false).consistent_snapshot, false);
    assert.equal(setConsistentSnapshot(d, 'false').consistent_snapshot, false);
    assert.equal(setConsistentSnapshot(setConsistentSnapshot(d, false), 'true').consistent_snapshot, true);
    for (const bad of ['yes', 'no', '1', 'TRUE', '']) assertValueError(() => setConsistentSnapshot(d, bad), 'consistent_snapshot');
  });

  test('setRoles: exactly the listed keys, reused key IDs, one public key once per role', () => {
    const d = deepFreeze(newRootDraft(published(), NOW));
    const first = k.root[0] as TestKey;
    const other = sameKeyOtherId(first);
    const a = { keyid: alice.keyid, key: alice.tuf };
    const f = { keyid: first.keyid, key: first.tuf };
    const e = setRoles(d, [
      { role: 'root', keys: [other, a], threshold: 2 },
      { role: 'targets', keys: [a], threshold: '1' },
    ]);
    assert.deepEqual(e.roles['root'], { keyids: [first.keyid, alice.keyid], threshold: 2 });
    assert.deepEqual(e.roles['targets'], { keyids: [alice.keyid], threshold: 1 });
    assert.deepEqual(e.roles['snapshot'], d.roles['snapshot']);
    assert.deepEqual(Object.keys(e.keys).sort(), [first.keyid, alice.keyid, k.snapshot.keyid, k.timestamp.keyid].sort());
    assertValueError(
      () => setRoles(d, [{ role: 'root', keys: [{ ...f, source: { field: 'a' } }, { ...other, source: { field: 'b' } }], threshold: 1 }]),
      'b',
      /is the same public key as a/
    );
    assertValueError(() => setRoles(d, [{ role: 'root', keys: [a], threshold: 0 }]), 'roles.root.threshold');
  });
});

describe('checkRootDraft', () => {
  const k = fixtureKeys();

  test('a sound draft: no errors, no warnings', () => {
    const { draft } = goodDraft();
    assert.deepEqual(checkRootDraft(draft, published(), NOW), { errors: [], warnings: [] });
  });

  test('targets threshold 1 is fine (no warning)', () => {
    const { draft } = goodDraft();
    assert.equal(draft.roles['targets']?.threshold, 1);
    assert.deepEqual(checkRootDraft(draft, published(), NOW).warnings, []);
  });

  test('error: the version must be published + 1', () => {
    const { draft } = goodDraft();
    for (const version of [1, 3, 10]) {
      const r = checkRootDraft({ ...draft, version }, published(), NOW);
      assert.deepEqual(r.errors, [`version: ${String(version)} must be 2 (the published root is version 1; clients accept only version N+1)`]);
    }
    assert.ok(checkRootDraft(draft, null, NOW).errors[0]?.startsWith('version: 2 must be 1 (nothing is published'));
    assert.ok(!checkRootDraft({ ...draft, version: 1 }, null, NOW).errors.some((e) => e.startsWith('version')));
  });

  test('error: threshold above the number of keys, threshold below 1', () => {
    const { draft } = goodDraft();
    const r = checkRootDraft(setThreshold(draft, 'targets', 2), published(), NOW);
    assert.deepEqual(r.errors, ['roles.targets.threshold: 2 is more than the 1 keys in the role, so it can never be met']);
    const zero = { ...draft, roles: { ...draft.roles, snapshot: { keyids: [k.snapshot.keyid], threshold: 0 } } };
    assert.deepEqual(checkRootDraft(zero, published(), NOW).errors, ['roles.snapshot.threshold: 0 must be a whole number of at least 1']);
  });

  test('error: a role with no keys (a fresh v1 has four)', () => {
    const r = checkRootDraft(newRootDraft(null, NOW), null, NOW);
    assert.deepEqual(r.errors, [
      'roles.root: the role has no keys; add at least 1',
      'roles.targets: the role has no keys; add at least 1',
      'roles.snapshot: the role has no keys; add at least 1',
      'roles.timestamp: the role has no keys; add at least 1',
    ]);
    const { draft } = goodDraft();
    const emptied = removeKey(draft, 'timestamp', k.timestamp.keyid);
    assert.deepEqual(checkRootDraft(emptied, published(), NOW).errors, ['roles.timestamp: the role has no keys; add at least 1']);
  });

  test('error: the same public key under two key IDs anywhere in keys', () => {
    const { draft } = goodDraft();
    const other = sameKeyOtherId(k.snapshot);
    const dup: Root = {
      ...draft,
      keys: { ...draft.keys, [other.keyid]: other.key },
      roles: { ...draft.roles, timestamp: { keyids: [other.keyid], threshold: 1 } },
    };
    const errors = checkRootDraft(dup, published(), NOW).errors;
    assert.equal(errors.length, 1, errors.join('\n'));
    assert.match(errors[0] as string, /^keys: [0-9a-f]{64} and [0-9a-f]{64} are the same public key under two key IDs/);
    assert.ok((errors[0] as string).includes(other.keyid) && (errors[0] as string).includes(k.snapshot.keyid));
  });

  test('error: keys outside the safe profile', () => {
    const { draft } = goodDraft();
    const rsa = testKey('rd/rsa', 'rsa-pss');
    const legacy = legacyEcdsa(testKey('rd/legacy', 'ecdsa-p256'));
    const p384 = p384Key();
    const mismatched = testKey('rd/mismatch');
    const wrongId = 'ab'.repeat(32);
    const unknown: TufKey = { keytype: 'sigstore-oidc', scheme: 'Fulcio', keyval: { public: 'x' } };
    const unknownId = computeKeyId(unknown);
    const bad: Root = {
      ...draft,
      keys: { ...draft.keys, [rsa.keyid]: rsa.tuf, [legacy.keyid]: legacy.key, [p384.keyid]: p384.key, [wrongId]: mismatched.tuf, [unknownId]: unknown },
      roles: {
        ...draft.roles,
        targets: { keyids: [k.targets.keyid, rsa.keyid, legacy.keyid, p384.keyid, wrongId, unknownId], threshold: 1 },
      },
    };
    const errors = checkRootDraft(bad, published(), NOW).errors;
    assert.equal(errors.length, 5, errors.join('\n'));
    assert.ok(errors.some((e) => e.startsWith(`keys.${rsa.keyid}: rsa-pss-sha256 keys are outside the safe profile`)));
    assert.ok(errors.some((e) => e.startsWith(`keys.${legacy.keyid}: keytype "ecdsa-sha2-nistp256"`)));
    assert.ok(errors.some((e) => e.startsWith(`keys.${p384.keyid}: ECDSA P-384`)));
    assert.ok(errors.some((e) => e.startsWith(`keys.${wrongId}: key ID ${wrongId} does not match its key`)));
    assert.ok(errors.some((e) => e.startsWith(`keys.${unknownId}: unknown key type "sigstore-oidc"`)));
    assert.equal(keyProfileProblem(k.targets.keyid, k.targets.tuf), undefined);
  });

  test('errors: missing, extra and malformed roles; key IDs missing from keys or listed twice', () => {
    const { draft } = goodDraft();
    const three = Object.fromEntries(Object.entries(draft.roles).filter(([name]) => name !== 'timestamp'));
    assert.deepEqual(checkRootDraft({ ...draft, roles: three }, published(), NOW).errors, ['roles.timestamp: the role is missing']);
    const mirrors = { ...draft, roles: { ...draft.roles, mirrors: { keyids: [k.snapshot.keyid], threshold: 1 } } };
    assert.deepEqual(checkRootDraft(mirrors, published(), NOW).errors, [
      'roles.mirrors: only root, targets, snapshot and timestamp may be written (python-tuf rejects other roles)',
    ]);
    const ghost = 'cd'.repeat(32);
    const absent = { ...draft, roles: { ...draft.roles, snapshot: { keyids: [k.snapshot.keyid, ghost], threshold: 1 } } };
    assert.deepEqual(checkRootDraft(absent, published(), NOW).errors, [`roles.snapshot: key ${ghost} is not in keys`]);
    const twice = { ...draft, roles: { ...draft.roles, snapshot: { keyids: [k.snapshot.keyid, k.snapshot.keyid], threshold: 1 } } };
    assert.deepEqual(checkRootDraft(twice, published(), NOW).errors, ['roles.snapshot: a key ID is listed more than once']);
  });

  test('errors: expires not strict or already passed; consistent_snapshot not written', () => {
    const { draft } = goodDraft();
    assert.deepEqual(checkRootDraft({ ...draft, expires: '2027-01-01T00:00:00.000Z' }, published(), NOW).errors, [
      'expires: "2027-01-01T00:00:00.000Z" is not of the form 2030-01-01T00:00:00Z',
    ]);
    assert.deepEqual(checkRootDraft({ ...draft, expires: '2026-01-15T12:00:00Z' }, published(), NOW).errors, [
      'expires: 2026-01-15T12:00:00Z has already passed (now is 2026-01-15T12:00:00Z)',
    ]);
    const noCs: Record<string, unknown> = { ...draft };
    delete noCs['consistent_snapshot'];
    assert.deepEqual(checkRootDraft(noCs as unknown as Root, published(), NOW).errors, [
      'consistent_snapshot: must be written as true or false (tuf-js rejects a root without it)',
    ]);
  });

  test('warning: root threshold 1, and root threshold equal to the number of root keys', () => {
    const { draft } = goodDraft();
    const one = setThreshold(draft, 'root', 1);
    assert.deepEqual(checkRootDraft(one, published(), NOW), {
      errors: [],
      warnings: ['roles.root.threshold: 1 means a single stolen or lost root key decides; use at least 2'],
    });
    const all = setThreshold(draft, 'root', 4);
    assert.deepEqual(checkRootDraft(all, published(), NOW), {
      errors: [],
      warnings: ['roles.root.threshold: 4 of 4 means losing any one root key makes the root impossible to rotate'],
    });
  });

  test('warning: a root key shared with snapshot or timestamp (online roles), not with targets', () => {
    const { draft } = goodDraft();
    const first = k.root[0] as TestKey;
    const shared = addKey(addKey(addKey(draft, 'snapshot', first.keyid, first.tuf), 'timestamp', first.keyid, first.tuf), 'targets', first.keyid, first.tuf);
    const r = checkRootDraft(shared, published(), NOW);
    assert.deepEqual(r.errors, []);
    const short = first.keyid.slice(0, 8);
    assert.deepEqual(r.warnings, [
      `roles.snapshot: root key ${short} is also a snapshot key, which is kept online`,
      `roles.timestamp: root key ${short} is also a timestamp key, which is kept online`,
    ]);
  });

  test('warning: expiry within 30 days or beyond 5 years', () => {
    const { draft } = goodDraft();
    const soon = setExpires(draft, '+29d', NOW);
    assert.deepEqual(checkRootDraft(soon, published(), NOW).warnings, [
      'expires: 2026-02-13T12:00:00Z is only 29 days away; the next ceremony must happen before then',
    ]);
    // exactly 30 days (NOW has milliseconds, which expires drops): no warning
    const whole = NOW - 123;
    assert.deepEqual(checkRootDraft(setExpires(draft, '+30d', whole), published(), whole).warnings, []);
    assert.equal(checkRootDraft(setExpires(draft, '+30d', whole), published(), whole + 1).warnings.length, 1);
    assert.deepEqual(checkRootDraft(setExpires(draft, '2031-01-15T12:00:00Z', NOW), published(), NOW).warnings, []);
    const far = setExpires(draft, '2031-01-15T12:00:01Z', NOW);
    assert.deepEqual(checkRootDraft(far, published(), NOW).warnings, [
      'expires: 2031-01-15T12:00:01Z is more than 5 years away; a compromised root key stays trusted that long',
    ]);
  });

  test('warning: a key no role uses', () => {
    const { draft } = goodDraft();
    const stray = testKey('rd/stray');
    const r = checkRootDraft({ ...draft, keys: { ...draft.keys, [stray.keyid]: stray.tuf } }, published(), NOW);
    assert.deepEqual(r, { errors: [], warnings: [`keys.${stray.keyid}: no role uses this key`] });
  });

  test('never throws on odd drafts', () => {
    const odd = { _type: 'root', spec_version: '1.0.31', version: 2, expires: 'soon', keys: {}, roles: {} } as unknown as Root;
    const r = checkRootDraft(odd, published(), NOW);
    assert.equal(r.errors.length, 6, r.errors.join('\n'));
  });
});

describe('rootDiff and renderRootDiff', () => {
  const k = fixtureKeys();
  const alice = testKey('rd/alice');
  const names = (id: string): string | undefined =>
    ({ [alice.keyid]: 'alice', [(k.root[0] as TestKey).keyid]: 'rooty', [k.snapshot.keyid]: 'snap-bot' })[id];

  test('keys added and removed per role, thresholds, expiry, consistent_snapshot, version', () => {
    const pub = published();
    let d = newRootDraft(pub, NOW);
    d = addKey(d, 'root', alice.keyid, alice.tuf);
    d = removeKey(d, 'root', (k.root[0] as TestKey).keyid);
    d = setThreshold(d, 'root', 3);
    d = setConsistentSnapshot(d, false);
    const diff = rootDiff(pub, d, names);
    assert.deepEqual(diff.version, { from: 1, to: 2 });
    assert.deepEqual(diff.expires, { from: '2030-01-01T00:00:00Z', to: '2027-01-15T12:00:00Z' });
    assert.deepEqual(diff.consistentSnapshot, { from: true, to: false });
    assert.deepEqual(diff.specVersion, { from: '1.0.31', to: '1.0.31' });
    const root = diff.roles[0];
    assert.equal(root?.role, 'root');
    assert.deepEqual(root?.threshold, { from: 2, to: 3 });
    assert.deepEqual(root?.added, [{ keyid: alice.keyid, keyholder: 'alice' }]);
    assert.deepEqual(root?.removed, [{ keyid: (k.root[0] as TestKey).keyid, keyholder: 'rooty' }]);
    assert.deepEqual(root?.kept.map((x) => x.keyid), k.root.slice(1).map((x) => x.keyid));
    assert.deepEqual(diff.keys.added, [{ keyid: alice.keyid, keyholder: 'alice' }]);
    assert.deepEqual(diff.keys.removed, [{ keyid: (k.root[0] as TestKey).keyid, keyholder: 'rooty' }]);
    assert.deepEqual(diff.otherFields, []);
    assert.deepEqual(renderRootDiff(diff), [
      'version: 1 → 2',
      'expires: 2030-01-01T00:00:00Z → 2027-01-15T12:00:00Z',
      'consistent_snapshot: true → false',
      'root: threshold 2 → 3',
      `root: - rooty (${(k.root[0] as TestKey).keyid.slice(0, 8)})`,
      `root: + alice (${alice.keyid.slice(0, 8)})`,
    ]);
  });

  test('keys without a keyholder, and a draft that only moves the version', () => {
    const pub = published();
    const d = { ...newRootDraft(pub, NOW), expires: pub.expires };
    assert.deepEqual(renderRootDiff(rootDiff(pub, d, () => undefined)), ['version: 1 → 2']);
    const e = removeKey(d, 'targets', k.targets.keyid);
    assert.deepEqual(renderRootDiff(rootDiff(pub, e, () => undefined)), [
      'version: 1 → 2',
      `targets: - key ${k.targets.keyid.slice(0, 8)} (no keyholder)`,
    ]);
  });

  test('a first root shows everything as added', () => {
    let d = newRootDraft(null, NOW);
    d = addKey(d, 'root', alice.keyid, alice.tuf);
    d = addKey(d, 'snapshot', k.snapshot.keyid, k.snapshot.tuf);
    const diff = rootDiff(null, d, names);
    assert.deepEqual(diff.version, { from: null, to: 1 });
    assert.deepEqual(diff.roles[0]?.threshold, { from: null, to: 1 });
    assert.deepEqual(renderRootDiff(diff), [
      'version: 1 (first root)',
      'spec_version: 1.0.31',
      'expires: 2027-01-15T12:00:00Z',
      'consistent_snapshot: true',
      'root: threshold 1',
      `root: + alice (${alice.keyid.slice(0, 8)})`,
      'targets: threshold 1',
      'snapshot: threshold 1',
      `snapshot: + snap-bot (${k.snapshot.keyid.slice(0, 8)})`,
      'timestamp: threshold 1',
    ]);
  });

  test('a spec_version change is shown', () => {
    const pub = deepFreeze({ ...fixtureRoot(), spec_version: '1.0' });
    const lines = renderRootDiff(rootDiff(pub, newRootDraft(pub, NOW), () => undefined));
    assert.ok(lines.includes('spec_version: 1.0 → 1.0.31'), lines.join('\n'));
  });

  test('keyholderNames: by key ID, and by public key under another key ID', () => {
    const first = k.root[0] as TestKey;
    const other = sameKeyOtherId(first);
    const pub = deepFreeze({
      ...fixtureRoot(),
      keys: { ...fixtureRoot().keys, [other.keyid]: other.key },
    });
    const holders: Keyholder[] = [
      { name: 'alice', keyid: alice.keyid, key: alice.tuf },
      { name: 'rooty', keyid: first.keyid, key: first.tuf },
    ];
    const name = keyholderNames(holders, pub, null);
    assert.equal(name(alice.keyid), 'alice');
    assert.equal(name(first.keyid), 'rooty');
    assert.equal(name(other.keyid), 'rooty');
    assert.equal(name(k.snapshot.keyid), undefined);
  });
});

describe('round trip: a draft signed by test keys passes serializeMetadata and re-parses', () => {
  test('v2 rotation: old and new root thresholds both met; profile holds; bytes re-parse to the same draft', () => {
    const k = fixtureKeys();
    const alice = testKey('rd/alice');
    const bob = testKey('rd/bob', 'ecdsa-p256');
    const pub = published();
    let d = newRootDraft(pub, NOW);
    d = addKey(d, 'root', alice.keyid, alice.tuf);
    d = addKey(d, 'root', bob.keyid, bob.tuf);
    d = removeKey(d, 'root', (k.root[2] as TestKey).keyid);
    d = setThreshold(d, 'root', 3);
    d = setExpires(d, '2027-06-30', NOW);
    assert.deepEqual(checkRootDraft(d, pub, NOW), { errors: [], warnings: [] });
    const signers = [k.root[0] as TestKey, k.root[1] as TestKey, alice, bob];
    const md = signMetadata(d, signers);
    const bytes = serializeMetadata(md, 'drafts/root.json');
    const parsed = parseMetadata(bytes, 'drafts/root.json', 'root');
    checkProfile(parsed);
    assert.deepEqual(parsed.signed, d);
    assert.deepEqual(parsed.legacy, []);
    const rotation = verifyRootRotation(pub, parsed);
    assert.ok(rotation.ok, JSON.stringify({ old: rotation.old.counted, new: rotation.new.counted, v: rotation.versionOk }));
  });

  test('a first root built from nothing serializes', () => {
    const k = fixtureKeys();
    let d = newRootDraft(null, NOW);
    for (const r of k.root) d = addKey(d, 'root', r.keyid, r.tuf);
    d = setThreshold(d, 'root', 2);
    d = addKey(d, 'targets', k.targets.keyid, k.targets.tuf);
    d = addKey(d, 'snapshot', k.snapshot.keyid, k.snapshot.tuf);
    d = addKey(d, 'timestamp', k.timestamp.keyid, k.timestamp.tuf);
    assert.deepEqual(checkRootDraft(d, null, NOW), { errors: [], warnings: [] });
    const bytes = serializeMetadata(signMetadata(d, k.root.slice(0, 2)), '1.root.json');
    assert.deepEqual(parseMetadata(bytes, '1.root.json', 'root').signed, d);
  });

  test('an empty role fits the file format, so checkRootDraft is what stops it', () => {
    const d = newRootDraft(null, NOW);
    assert.ok(checkRootDraft(d, null, NOW).errors.length > 0);
    assert.doesNotThrow(() => serializeMetadata({ signed: d, signatures: [] }, 'x.json'));
  });
});

describe('key IDs on write: the hash of the key, except a key carried over from the published root', () => {
  const SIGSTORE_V11 = new URL('../../../test/fixtures/real/sigstore-root-signing/root_history/11.root.json', import.meta.url).pathname;
  const published = parseMetadata(readFileSync(SIGSTORE_V11), '11.root.json', 'root').signed;
  const ONLINE = '7247f0dbad85b147e1863bade761243cc785dcb7aa410e7105dd3d2b61a36d2c';
  const at = Date.parse('2025-06-01T00:00:00Z');

  test("Sigstore root v11's online key (an ID hashing no form of the key, with keyid_hash_algorithms) is carried into v12 under its ID", () => {
    const draft = newRootDraft(published, at);
    assert.ok(Object.hasOwn(draft.keys, ONLINE));
    assert.notEqual(computeKeyId(draft.keys[ONLINE]), ONLINE);
    const errors = checkRootDraft(draft, published, at).errors.filter((e) => e.startsWith('keys.'));
    assert.deepEqual(errors, []);
  });

  test('the same key with a changed field is no longer carried over: its ID must then be its hash', () => {
    const draft = newRootDraft(published, at);
    const changed: Root = { ...draft, keys: { ...draft.keys, [ONLINE]: { ...(draft.keys[ONLINE] as TufKey), 'x-note': 'changed' } as TufKey } };
    const errors = checkRootDraft(changed, published, at).errors;
    assert.ok(errors.some((e) => e.startsWith(`keys.${ONLINE}: key ID ${ONLINE} does not match its key`)), errors.join('\n'));
  });
});
