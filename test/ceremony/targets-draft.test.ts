// SPDX-License-Identifier: Apache-2.0
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  addTargets,
  binRange,
  checkTargetsDraft,
  delegate,
  delegateBinRoles,
  delegateBins,
  hashBinPrefixes,
  newTargetsDraft,
  parseBitLength,
  pathPatternProblem,
  removeTarget,
  roleNameProblem,
  setExpires,
  summarizeTargets,
  targetPathFor,
  targetPathProblem,
  type DelegationKey,
} from '../../src/ceremony/targets-draft.js';
import { computeKeyId, type TufKey } from '../../src/metadata/keys.js';
import type { Root, Targets } from '../../src/metadata/model.js';
import { parseMetadata } from '../../src/metadata/parse.js';
import { serializeMetadata } from '../../src/metadata/serialize.js';
import { binForPath, binNames, verifyThreshold } from '../../src/metadata/verify.js';
import { signMetadata, testKey } from '../support/keys.js';
import { fixtureKeys, fixtureRoot, fixtureTargets } from '../metadata/helpers.js';
import { assertValueError, deepFreeze } from '../support/assert-input.js';

/** 2026-01-15T12:00:00.123Z: a fixed reference time (never the clock). */
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0) + 123;

const ROOT: Root = deepFreeze(fixtureRoot());
const alice = testKey('td/alice');
const bob = testKey('td/bob', 'ecdsa-p256');
const carol = testKey('td/carol');
const key = (k: typeof alice): DelegationKey => ({ keyid: k.keyid, key: k.tuf });

const entry = (path: string, content: string, file?: string) => ({
  path,
  length: Buffer.byteLength(content),
  hashes: { sha256: createHash('sha256').update(content).digest('hex'), sha512: createHash('sha512').update(content).digest('hex') },
  ...(file === undefined ? {} : { file }),
});

const fresh = (): Targets => deepFreeze(newTargetsDraft(null, NOW));

describe('newTargetsDraft', () => {
  test('first targets: version 1, no targets, no delegations, expiry 365 days (or the default given) in whole seconds', () => {
    assert.deepEqual(newTargetsDraft(null, NOW), { _type: 'targets', spec_version: '1.0.31', version: 1, expires: '2027-01-15T12:00:00Z', targets: {} });
    assert.equal(newTargetsDraft(null, NOW, { expiresDays: 1 }).expires, '2026-01-16T12:00:00Z');
    for (const days of [0, 36_501, 1.5]) assertValueError(() => newTargetsDraft(null, NOW, { expiresDays: days }), 'expiresDays');
  });

  test('from the published targets: version + 1, its targets and delegations as they are; top-level extras dropped', () => {
    const published = deepFreeze({ ...fixtureTargets(), 'x-extra': 1 } as Targets);
    const draft = newTargetsDraft(published, NOW);
    assert.equal(draft.version, 4);
    assert.deepEqual(draft.targets, published.targets);
    assert.deepEqual(draft.delegations, published.delegations);
    assert.equal(Object.hasOwn(draft, 'x-extra'), false);
    assert.deepEqual(checkTargetsDraft(draft, published, ROOT, NOW).errors, []);
  });
});

describe('target paths', () => {
  const bad: [string, RegExp][] = [
    ['', /is empty/],
    ['/abs', /must not start with \//],
    ['a\\b', /backslash/],
    ['a//b', /empty segment/],
    ['a/', /empty segment/],
    ['a/./b', /"\." segment/],
    ['../b', /"\.\." segment/],
    ['a/..', /"\.\." segment/],
    ['tab\there', /control characters/],
    ['nl\n', /control characters/],
    ['del\u007f', /control characters/],
    ['c1\u0085', /control characters/],
    ['lone\ud800', /lone surrogate/],
  ];
  for (const [path, problem] of bad) {
    test(`refuses ${JSON.stringify(path)}`, () => {
      assert.match(targetPathProblem(path) ?? '', problem);
    });
  }
  test('accepts ordinary relative paths, dots inside names, Unicode', () => {
    for (const p of ['a', 'dir/file.tar.gz', '.well-known/x', 'a..b/c', 'simple/requests/requests-2.31.0-py3-none-any.whl', 'ünïcode/文件', 'emoji/😀']) {
      assert.equal(targetPathProblem(p), undefined, p);
    }
  });
  test('path patterns: the same rules, and only * and ? as wildcards', () => {
    assert.equal(pathPatternProblem('project/*'), undefined);
    assert.equal(pathPatternProblem('a/?/*.tgz'), undefined);
    for (const p of ['x/[ab]', 'x/{a,b}', '/x/*', 'x//*']) assert.notEqual(pathPatternProblem(p), undefined, p);
  });
  test('role names: URL-safe, not a top-level role, not . or ..', () => {
    for (const n of ['project', 'bin-0a', 'a.b_c-D']) assert.equal(roleNameProblem(n), undefined, n);
    for (const n of ['', 'a/b', 'a b', 'é', '.', '..', 'root', 'targets', 'snapshot', 'timestamp', 'x'.repeat(201)]) assert.notEqual(roleNameProblem(n), undefined, n);
  });
  test('targetPathFor: the base name; --path for one file; --path ending in / for any number', () => {
    assert.equal(targetPathFor('f.tgz', undefined, 3, 'dist/f.tgz'), 'f.tgz');
    assert.equal(targetPathFor('f.tgz', 'a/b.tgz', 1, 'f.tgz'), 'a/b.tgz');
    assert.equal(targetPathFor('f.tgz', 'pkgs/', 2, 'f.tgz'), 'pkgs/f.tgz');
    assertValueError(() => targetPathFor('f.tgz', 'a/b.tgz', 2, 'f.tgz'), '--path', /2 files were given/);
    assertValueError(() => targetPathFor('f.tgz', '/abs/', 2, 'f.tgz'), '--path');
    assertValueError(() => targetPathFor('f.tgz', 'a/../b', 1, 'f.tgz'), '--path');
    assertValueError(() => targetPathFor('bad\\name', undefined, 1, 'in/bad\\name'), 'path', /backslash/, 'in/bad\\name');
  });
});

describe('addTargets and removeTarget', () => {
  test('adds, updates (keeping custom) and leaves unchanged; never changes its input', () => {
    const base = deepFreeze(newTargetsDraft(deepFreeze(fixtureTargets()), NOW));
    const r = addTargets(base, [entry('new.bin', 'new'), entry('file.txt', 'hello, changed'), entry('same.bin', 'x')]);
    assert.deepEqual(r.changes, [
      { path: 'new.bin', change: 'added' },
      { path: 'file.txt', change: 'updated' },
      { path: 'same.bin', change: 'added' },
    ]);
    assert.deepEqual(r.draft.targets['file.txt'], { custom: { owner: 'a', n: 1 }, length: 14, hashes: entry('', 'hello, changed').hashes });
    const again = addTargets(r.draft, [entry('same.bin', 'x')]);
    assert.deepEqual(again.changes, [{ path: 'same.bin', change: 'unchanged' }]);
    assert.deepEqual(again.draft, r.draft);
    assert.equal(Object.keys(base.targets).length, 1, 'input unchanged');
  });

  test('refuses an unsafe path, one path for two files, and a bad length', () => {
    assertValueError(() => addTargets(fresh(), [entry('../x', 'x', 'x.bin')]), 'path', /^x\.bin: path: "\.\.\/x" must not have a "\.\." segment/, 'x.bin');
    assertValueError(() => addTargets(fresh(), [entry('x', 'a', 'a/x'), entry('x', 'b', 'b/x')]), 'path', /"x" is also the target path of a\/x/, 'b/x');
    assertValueError(() => addTargets(fresh(), [{ ...entry('x', 'a'), length: -1 }]), 'length');
  });

  test('removeTarget removes a listed path and refuses an absent one, naming PATH', () => {
    const d = addTargets(fresh(), [entry('a', 'a'), entry('b', 'b')]).draft;
    const r = removeTarget(deepFreeze(d), 'a');
    assert.deepEqual(Object.keys(r.draft.targets), ['b']);
    assert.equal(r.removed.length, 1);
    assertValueError(() => removeTarget(r.draft, 'a'), 'PATH', /"a" is not a target of the draft \(it lists 1 target\)/);
  });
});

describe('delegate', () => {
  test('adds a role by paths, then one by hash prefixes, in order; keys go into delegations.keys', () => {
    const one = delegate(fresh(), { name: 'project', keys: [key(alice), key(bob)], threshold: '2', paths: ['project/*'], terminating: true });
    assert.equal(one.change, 'added');
    const two = delegate(deepFreeze(one.draft), { name: 'rest', keys: [key(carol)], threshold: 1, hashPrefixes: ['0', 'a1'] });
    assert.deepEqual(two.draft.delegations, {
      keys: { [alice.keyid]: alice.tuf, [bob.keyid]: bob.tuf, [carol.keyid]: carol.tuf },
      roles: [
        { name: 'project', keyids: [alice.keyid, bob.keyid], threshold: 2, terminating: true, paths: ['project/*'] },
        { name: 'rest', keyids: [carol.keyid], threshold: 1, terminating: false, path_hash_prefixes: ['0', 'a1'] },
      ],
    });
    assert.deepEqual(checkTargetsDraft(two.draft, null, ROOT, NOW).errors, []);
  });

  test('updates a role in place, keeping its position and unknown fields; keys it stops using leave', () => {
    const published = deepFreeze(fixtureTargets());
    const withExtra = deepFreeze({
      ...published,
      delegations: { ...published.delegations, roles: published.delegations?.roles?.map((r) => (r.name === 'project' ? { ...r, 'x-note': 'kept' } : r)) },
    } as Targets);
    const fx = fixtureKeys();
    // project moves from the fixture delegate key to alice; bin-0 still uses the delegate key.
    const r = delegate(withExtra, { name: 'project', keys: [key(alice)], threshold: 1, hashPrefixes: ['ff'] });
    assert.equal(r.change, 'updated');
    assert.deepEqual(r.draft.delegations?.roles?.map((x) => x.name), ['project', 'bin-0']);
    assert.deepEqual(r.draft.delegations?.roles?.[0], { 'x-note': 'kept', name: 'project', keyids: [alice.keyid], threshold: 1, terminating: false, path_hash_prefixes: ['ff'] } as never);
    assert.deepEqual(Object.keys(r.draft.delegations?.keys ?? {}).sort(), [alice.keyid, fx.delegate.keyid].sort());
    // bin-0 moves too: the delegate key is used by no role, so it leaves.
    const r2 = delegate(r.draft, { name: 'bin-0', keys: [key(alice)], threshold: 1, hashPrefixes: ['0a'] });
    assert.deepEqual(Object.keys(r2.draft.delegations?.keys ?? {}), [alice.keyid]);
    const same = delegate(r2.draft, { name: 'bin-0', keys: [key(alice)], threshold: 1, hashPrefixes: ['0a'] });
    assert.equal(same.change, 'unchanged');
    assert.equal(same.draft, r2.draft);
  });

  test('reuses the key ID under which delegations.keys already holds the same public key', () => {
    const other = { ...alice.tuf, 'x-owner': '@alice' } as TufKey;
    const otherId = computeKeyId(other);
    const d = delegate(fresh(), { name: 'a', keys: [{ keyid: otherId, key: other }], threshold: 1, paths: ['a/*'] }).draft;
    const r = delegate(d, { name: 'b', keys: [key(alice)], threshold: 1, paths: ['b/*'] });
    assert.deepEqual(r.role.keyids, [otherId]);
    assert.deepEqual(Object.keys(r.draft.delegations?.keys ?? {}), [otherId]);
  });

  const cases: [string, Parameters<typeof delegate>[1], string, RegExp][] = [
    ['top-level name', { name: 'snapshot', keys: [key(alice)], threshold: 1, paths: ['x'] }, 'NAME', /top-level role name/],
    ['unsafe name', { name: 'a b', keys: [key(alice)], threshold: 1, paths: ['x'] }, 'NAME', /A-Z a-z 0-9/],
    ['both', { name: 'x', keys: [key(alice)], threshold: 1, paths: ['x'], hashPrefixes: ['a'] }, 'paths', /exactly one/],
    ['neither', { name: 'x', keys: [key(alice)], threshold: 1 }, 'paths', /exactly one/],
    ['no paths', { name: 'x', keys: [key(alice)], threshold: 1, paths: [] }, 'paths', /at least one/],
    ['brackets', { name: 'x', keys: [key(alice)], threshold: 1, paths: ['x/[a]'] }, 'paths', /only \* and \?/],
    ['uppercase prefix', { name: 'x', keys: [key(alice)], threshold: 1, hashPrefixes: ['A'] }, 'hash-prefixes', /lowercase/],
    ['empty prefix', { name: 'x', keys: [key(alice)], threshold: 1, hashPrefixes: [''] }, 'hash-prefixes', /1 to 64 hex/],
    ['no keys', { name: 'x', keys: [], threshold: 1, paths: ['x'] }, 'key', /at least one key/],
    ['threshold above keys', { name: 'x', keys: [key(alice)], threshold: 2, paths: ['x'] }, 'threshold', /2 is more than the 1 key given/],
    ['threshold 0', { name: 'x', keys: [key(alice)], threshold: 0, paths: ['x'] }, 'threshold', /at least 1/],
    ['threshold text', { name: 'x', keys: [key(alice)], threshold: '1e0', paths: ['x'] }, 'threshold', /not a whole number/],
    ['same key twice', { name: 'x', keys: [key(alice), { ...key(alice), who: 'again' }], threshold: 1, paths: ['x'] }, 'key', /same public key/],
    ['key ID mismatch', { name: 'x', keys: [{ keyid: bob.keyid, key: alice.tuf }], threshold: 1, paths: ['x'] }, 'key', /does not match its key/],
  ];
  for (const [name, spec, field, message] of cases) {
    test(`refuses: ${name}`, () => {
      assertValueError(() => delegate(fresh(), spec), field, message);
    });
  }

  test('refuses roles next to succinct hash bins', () => {
    const bins = delegateBins(fresh(), { namePrefix: 'bin', bitLength: 4, keys: [key(alice)], threshold: 1 }).draft;
    assertValueError(() => delegate(bins, { name: 'x', keys: [key(alice)], threshold: 1, paths: ['x'] }), 'delegations', /never both/);
  });
});

describe('delegateBins', () => {
  test('PEP 458: bit length 14 writes TAP 15 succinct_roles with 16,384 bins', () => {
    const r = delegateBins(fresh(), { namePrefix: 'bins', bitLength: '14', keys: [key(alice), key(bob)], threshold: '1' });
    assert.deepEqual(r.draft.delegations, {
      keys: { [alice.keyid]: alice.tuf, [bob.keyid]: bob.tuf },
      succinct_roles: { keyids: [alice.keyid, bob.keyid], threshold: 1, bit_length: 14, name_prefix: 'bins' },
    });
    const names = binNames(r.succinctRoles);
    assert.equal(names.length, 16_384);
    assert.deepEqual([names[0], names.at(-1)], ['bins-0000', 'bins-3fff']);
    assert.deepEqual(binRange(r.succinctRoles), { count: 16_384, first: 'bins-0000', last: 'bins-3fff' });
    assert.ok(names.includes(binForPath(r.succinctRoles, 'packages/x.whl')));
    assert.deepEqual(summarizeTargets(r.draft).succinctRoles, { namePrefix: 'bins', bitLength: 14, bins: 16_384 });
    assert.deepEqual(checkTargetsDraft(r.draft, null, ROOT, NOW), { errors: [], issues: [], warnings: [] });
  });

  test('bit lengths 1 and 32 are the limits (TAP 15); a bin layout can be replaced; roles next to bins are refused', () => {
    assert.equal(binRange({ bit_length: 1, name_prefix: 'b' }).last, 'b-1');
    assert.equal(binRange({ bit_length: 32, name_prefix: 'b' }).last, 'b-ffffffff');
    assert.equal(parseBitLength('32'), 32);
    assert.equal(parseBitLength(1), 1);
    for (const b of ['0', '33', '-1', 'x', '1.5', '', ' 8', 0, 33, 2.5]) assertValueError(() => parseBitLength(b), 'bit-length', /from 1 to 32/);
    const one = delegateBins(fresh(), { namePrefix: 'bins', bitLength: 8, keys: [key(alice)], threshold: 1 }).draft;
    const two = delegateBins(one, { namePrefix: 'bins', bitLength: 10, keys: [key(bob)], threshold: 1 });
    assert.equal(two.change, 'updated');
    assert.deepEqual(Object.keys(two.draft.delegations?.keys ?? {}), [bob.keyid], "alice's key left with the old layout");
    assert.equal(delegateBins(two.draft, { namePrefix: 'bins', bitLength: 10, keys: [key(bob)], threshold: 1 }).change, 'unchanged');
    assertValueError(() => delegateBins(deepFreeze(fixtureTargets()), { namePrefix: 'bins', bitLength: 8, keys: [key(alice)], threshold: 1 }), 'delegations', /2 roles \(project, bin-0\)/);
    assertValueError(() => delegateBins(fresh(), { namePrefix: 'bins-', bitLength: 8, keys: [key(alice)], threshold: 1 }), 'name-prefix', /must not end with -/);
    assertValueError(() => delegateBins(fresh(), { namePrefix: 'bins', bitLength: 8, keys: [key(alice)], threshold: 2 }), 'threshold');
  });
});

describe('delegateBinRoles (bins listed as roles, PEP 458 with a backsigned role)', () => {
  test('bit length 14: 16,384 roles of 4 four-digit prefixes; every prefix in exactly one bin, the bin TAP 15 computes', () => {
    const bins = hashBinPrefixes('bins', 14);
    assert.equal(bins.length, 16_384);
    assert.deepEqual(bins[0], { name: 'bins-0000', prefixes: ['0000', '0001', '0002', '0003'] });
    assert.deepEqual(bins.at(-1), { name: 'bins-3fff', prefixes: ['fffc', 'fffd', 'fffe', 'ffff'] });
    const all = bins.flatMap((b) => b.prefixes);
    assert.equal(new Set(all).size, 65_536);
    assert.deepEqual(bins.map((b) => b.name), binNames({ bit_length: 14, name_prefix: 'bins' }));
    const byPrefix = new Map(bins.flatMap((b) => b.prefixes.map((p) => [p, b.name] as const)));
    for (let i = 0; i < 500; i++) {
      const path = `packages/${String(i)}/pkg-${String(i)}.tar.gz`;
      const hex = createHash('sha256').update(path).digest('hex');
      assert.equal(byPrefix.get(hex.slice(0, 4)), binForPath({ bit_length: 14, name_prefix: 'bins' }, path), path);
    }
    // Bit lengths that are whole hex digits give one prefix per bin; others several.
    assert.deepEqual(hashBinPrefixes('b', 4).map((b) => b.prefixes), [...'0123456789abcdef'].map((c) => [c]));
    assert.deepEqual(hashBinPrefixes('b', 1), [
      { name: 'b-0', prefixes: ['0', '1', '2', '3', '4', '5', '6', '7'] },
      { name: 'b-1', prefixes: ['8', '9', 'a', 'b', 'c', 'd', 'e', 'f'] },
    ]);
  });

  test('next to a backsigned role searched first; re-delegating replaces the bins; succinct bins, bit length 17 and name clashes refused', () => {
    const backsigned = delegate(fresh(), { name: 'backsigned', keys: [key(bob)], threshold: 1, hashPrefixes: [...'0123456789abcdef'] }).draft;
    const r = delegateBinRoles(backsigned, { namePrefix: 'bins', bitLength: '14', keys: [key(carol)], threshold: '1' });
    assert.deepEqual([r.change, r.bins, r.prefixesPerBin], ['added', 16_384, 4]);
    const roles = r.draft.delegations?.roles ?? [];
    assert.equal(roles.length, 16_385);
    assert.deepEqual(roles[0], { name: 'backsigned', keyids: [bob.keyid], threshold: 1, terminating: false, path_hash_prefixes: [...'0123456789abcdef'] });
    assert.deepEqual(roles[1], { name: 'bins-0000', keyids: [carol.keyid], threshold: 1, terminating: true, path_hash_prefixes: ['0000', '0001', '0002', '0003'] });
    assert.deepEqual(checkTargetsDraft(r.draft, null, ROOT, NOW), { errors: [], issues: [], warnings: [] });
    assert.equal(summarizeTargets(r.draft).roles.length, 16_385);
    const again = delegateBinRoles(r.draft, { namePrefix: 'bins', bitLength: 14, keys: [key(carol)], threshold: 1 });
    assert.equal(again.change, 'unchanged');
    const smaller = delegateBinRoles(r.draft, { namePrefix: 'bins', bitLength: 2, keys: [key(alice)], threshold: 1 });
    assert.equal(smaller.change, 'updated');
    assert.deepEqual(smaller.draft.delegations?.roles?.map((x) => x.name), ['backsigned', 'bins-0', 'bins-1', 'bins-2', 'bins-3']);
    assert.deepEqual(Object.keys(smaller.draft.delegations?.keys ?? {}).sort(), [alice.keyid, bob.keyid].sort(), "carol's key left with the old bins");
    const succinct = delegateBins(fresh(), { namePrefix: 'bins', bitLength: 8, keys: [key(alice)], threshold: 1 }).draft;
    assertValueError(() => delegateBinRoles(succinct, { namePrefix: 'bins', bitLength: 8, keys: [key(alice)], threshold: 1 }), 'delegations', /succinct hash bins/);
    assertValueError(() => delegateBinRoles(fresh(), { namePrefix: 'bins', bitLength: 17, keys: [key(alice)], threshold: 1 }), 'bit-length', /up to bit length 16/);
    const clash = delegate(fresh(), { name: 'b-1', keys: [key(bob)], threshold: 1, paths: ['x/*'] }).draft;
    assertValueError(() => delegateBinRoles(clash, { namePrefix: 'b', bitLength: 4, keys: [key(alice)], threshold: 1 }), 'name-prefix', /bin b-1 would take the name/);
  });
});

describe('setExpires', () => {
  test('sets a strict expiry from +Nd or a date; refuses the past', () => {
    assert.equal(setExpires(fresh(), '+10d', NOW).expires, '2026-01-25T12:00:00Z');
    assert.equal(setExpires(fresh(), '2027-03-01', NOW).expires, '2027-03-01T00:00:00Z');
    assertValueError(() => setExpires(fresh(), '2025-01-01', NOW), 'expires');
  });
});

describe('checkTargetsDraft', () => {
  const good = (): Targets => delegate(addTargets(fresh(), [entry('a', 'a')]).draft, { name: 'p', keys: [key(alice), key(bob)], threshold: 2, paths: ['p/*'] }).draft;
  const fields = (t: Targets, published: Targets | null = null, root: Root | null = ROOT): string[] => checkTargetsDraft(t, published, root, NOW).issues.map((i) => i.field);
  const withRoles = (t: Targets, roles: unknown[]): Targets => ({ ...t, delegations: { keys: t.delegations?.keys ?? {}, roles } }) as Targets;
  const p = (): Record<string, unknown> => ({ ...good().delegations?.roles?.[0] });

  test('a good draft has no errors', () => {
    assert.deepEqual(checkTargetsDraft(good(), null, ROOT, NOW), { errors: [], issues: [], warnings: [] });
  });

  const cases: [string, () => Targets, string[], (Root | null)?][] = [
    ['version not published + 1', () => ({ ...good(), version: 3 }), ['version']],
    ['expires passed', () => ({ ...good(), expires: '2026-01-01T00:00:00Z' }), ['expires']],
    ['expires not strict', () => ({ ...good(), expires: '2027-01-01T00:00:00.000Z' }), ['expires']],
    ['no trusted root', () => good(), ['root'], null],
    ['root without targets keys', () => good(), ['root'], { ...ROOT, roles: { ...ROOT.roles, targets: { keyids: [], threshold: 1 } } }],
    ['unsafe target paths', () => ({ ...good(), targets: { '/abs': { length: 1, hashes: { sha256: 'aa' } }, 'a/../b': { length: 1, hashes: { sha256: 'aa' } } } }), ['targets["/abs"]', 'targets["a/../b"]']],
    ['code point vs UTF-16 order', () => ({ ...good(), targets: { 'ﬁ': { length: 1, hashes: { sha256: 'aa' } }, '😀': { length: 1, hashes: { sha256: 'aa' } } } }), ['targets']],
    ['duplicate role names', () => withRoles(good(), [p(), p()]), ['delegations.roles.p.name']],
    ['top-level role name', () => withRoles(good(), [{ ...p(), name: 'targets' }]), ['delegations.roles.targets.name']],
    ['both paths and prefixes', () => withRoles(good(), [{ ...p(), path_hash_prefixes: ['a'] }]), ['delegations.roles.p']],
    ['neither paths nor prefixes', () => withRoles(good(), [{ ...p(), paths: undefined }].map((r) => JSON.parse(JSON.stringify(r)) as unknown)), ['delegations.roles.p']],
    ['terminating missing', () => withRoles(good(), [JSON.parse(JSON.stringify({ ...p(), terminating: undefined })) as unknown]), ['delegations.roles.p.terminating']],
    ['bad pattern and prefix', () => withRoles(good(), [{ ...p(), paths: ['/x', 'x/{a}'] }, { ...p(), name: 'q', paths: undefined, path_hash_prefixes: ['XY'] }].map((r) => JSON.parse(JSON.stringify(r)) as unknown)), ['delegations.roles.p.paths', 'delegations.roles.p.paths', 'delegations.roles.q.path_hash_prefixes']],
    ['threshold above keys', () => withRoles(good(), [{ ...p(), threshold: 3 }]), ['delegations.roles.p.threshold']],
    ['key ID not in keys, listed twice', () => withRoles(good(), [{ ...p(), keyids: [carol.keyid, carol.keyid], threshold: 1 }]), ['delegations.roles.p.keyids', 'delegations.roles.p.keyids']],
    ['both roles and succinct_roles', () => ({ ...good(), delegations: { ...good().delegations, succinct_roles: { keyids: [alice.keyid], threshold: 1, bit_length: 4, name_prefix: 'b' } } }) as Targets, ['delegations']],
    ['neither roles nor succinct_roles', () => ({ ...good(), delegations: { keys: {} } }), ['delegations']],
    ['bit length 0 and 33, bad prefix', () => ({ ...good(), delegations: { keys: { [alice.keyid]: alice.tuf }, succinct_roles: { keyids: [alice.keyid], threshold: 1, bit_length: 33, name_prefix: 'b-' } } }), ['delegations.succinct_roles.bit_length', 'delegations.succinct_roles.name_prefix']],
    ['one public key under two key IDs', () => {
      const other = { ...alice.tuf, 'x-owner': '@a' } as TufKey;
      const g = good();
      return { ...g, delegations: { ...g.delegations, keys: { ...g.delegations?.keys, [computeKeyId(other)]: other } } };
    }, ['delegations.keys']],
    ['a key ID that does not match its key', () => {
      const g = good();
      return { ...g, delegations: { ...g.delegations, keys: { ...g.delegations?.keys, [carol.keyid]: alice.tuf } } };
    }, [`delegations.keys.${carol.keyid}`, 'delegations.keys']],
  ];
  for (const [name, make, want, root] of cases) {
    test(`error: ${name}`, () => {
      assert.deepEqual(fields(make(), null, root === undefined ? ROOT : root), want);
    });
  }

  test('bit length 0 is an error too; errors read FIELD: PROBLEM', () => {
    const t: Targets = { ...good(), delegations: { keys: { [alice.keyid]: alice.tuf }, succinct_roles: { keyids: [alice.keyid], threshold: 1, bit_length: 0, name_prefix: 'b' } } };
    const c = checkTargetsDraft(t, null, ROOT, NOW);
    assert.deepEqual(c.errors, ['delegations.succinct_roles.bit_length: 0 must be from 1 to 32']);
  });

  test('lists at most 10 unsafe target paths, then how many more', () => {
    const targets = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`/t${String(i)}`, { length: 1, hashes: { sha256: 'aa' } }]));
    const c = checkTargetsDraft({ ...good(), targets }, null, ROOT, NOW);
    assert.equal(c.errors.length, 11);
    assert.equal(c.errors.at(-1), 'targets: 15 more unsafe target paths');
  });

  test('warnings: expiry within 30 days, more than 2^16 bins, unused delegation keys', () => {
    const soon = setExpires(good(), '+5d', NOW);
    assert.match(checkTargetsDraft(soon, null, ROOT, NOW).warnings.join('\n'), /less than 30 days away/);
    const big = delegateBins(fresh(), { namePrefix: 'b', bitLength: 20, keys: [key(alice)], threshold: 1 }).draft;
    assert.match(checkTargetsDraft(big, null, ROOT, NOW).warnings.join('\n'), /1048576 bins/);
    const unused = { ...good(), delegations: { ...good().delegations, keys: { ...good().delegations?.keys, [carol.keyid]: carol.tuf } } } as Targets;
    assert.match(checkTargetsDraft(unused, null, ROOT, NOW).warnings.join('\n'), /no delegation uses key/);
  });
});

describe('round trip: a draft signed by the trusted targets key passes serializeMetadata, re-parses and verifies', () => {
  test('targets, path roles and succinct bins', () => {
    const fx = fixtureKeys();
    for (const draft of [
      delegate(addTargets(fresh(), [entry('dir/a.tgz', 'a')]).draft, { name: 'p', keys: [key(alice), key(bob)], threshold: 2, paths: ['p/*'], terminating: true }).draft,
      delegateBins(fresh(), { namePrefix: 'bins', bitLength: 14, keys: [key(carol)], threshold: 1 }).draft,
    ]) {
      const bytes = serializeMetadata(signMetadata(draft, [fx.targets]), 'targets.json');
      const md = parseMetadata(bytes, 'targets.json', 'targets');
      assert.deepEqual(md.signed, draft);
      const targetsRole = ROOT.roles['targets'];
      assert.ok(targetsRole !== undefined);
      assert.equal(verifyThreshold('targets', targetsRole, ROOT.keys, md).met, true);
    }
  });
});
