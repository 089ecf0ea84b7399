// SPDX-License-Identifier: Apache-2.0
/**
 * Issue 14 §1-2: the review's summary screen, its warnings for every
 * weakening, and names that only count when they are bound in what is
 * signed. Real keys, real drafts; the reference time is passed in.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildReview, groupedHash } from '../../src/ceremony/review.js';
import { KEY_OWNER_FIELD, withOwner } from '../../src/metadata/key-owner.js';
import type { Root, TargetFile, Targets } from '../../src/metadata/model.js';
import { testKey, type TestKey } from '../support/keys.js';
import { buildRepository } from '../support/repo.js';

const NOW = Date.UTC(2027, 0, 1);
const repo = buildRepository({ expires: '2027-06-01T00:00:00Z', rootVersions: 1 });
const v1 = (repo.roots[0] as NonNullable<(typeof repo.roots)[0]>).signed;
const [k1, k2, k3] = repo.keys.root[0] as [TestKey, TestKey, TestKey];

/** A root whose root keys carry their holders' names, as tuf-ceremony writes them. */
function namedRoot(): Root {
  const keys: Record<string, Root['keys'][string]> = {};
  const ids: string[] = [];
  for (const [k, name] of [[k1, 'alice'], [k2, 'bob'], [k3, 'carol']] as const) {
    const b = withOwner(k.tuf, name);
    keys[b.keyid] = b.key;
    ids.push(b.keyid);
  }
  const t = withOwner(repo.keys.targets.tuf, 'erin');
  keys[t.keyid] = t.key;
  for (const r of ['snapshot', 'timestamp'] as const) for (const id of v1.roles[r]?.keyids ?? []) keys[id] = v1.keys[id] as Root['keys'][string];
  return {
    ...v1,
    keys,
    roles: { ...v1.roles, root: { keyids: ids, threshold: 2 }, targets: { keyids: [t.keyid, ids[0] as string], threshold: 2 } },
  };
}

describe('review: names bound in the signed key objects (issue 14 §1)', () => {
  const trusted = namedRoot();
  const ids = trusted.roles['root']?.keyids as [string, string, string];
  const draft: Root = { ...trusted, version: trusted.version + 1, expires: '2027-12-01T00:00:00Z' };

  test('the names come from the signed keys; a swapped request map shows no key under another keyholder\'s name, and warns', () => {
    // The coordinator's request says alice's key is bob's and bob's is alice's.
    const labels = { [ids[0]]: 'bob', [ids[1]]: 'alice', [ids[2]]: 'carol' };
    const r = buildReview({ role: 'root', draft, previous: trusted, keyholders: {}, labels, nowMs: NOW });
    const text = [...r.summary, ...r.details].join('\n');
    assert.ok(r.details.includes(`    alice (ed25519 key ${ids[0].slice(0, 16)})`), text);
    assert.ok(r.details.includes(`    bob (ed25519 key ${ids[1].slice(0, 16)})`), text);
    assert.ok(!text.includes(`bob (ed25519 key ${ids[0].slice(0, 16)})`), text);
    assert.ok(!text.includes(`alice (ed25519 key ${ids[1].slice(0, 16)})`), text);
    assert.ok(r.warnings.includes(`WARNING: the request names key ${ids[0].slice(0, 16)} "bob", but it is "alice": the request's names were altered`), text);
    assert.ok(r.warnings.includes(`WARNING: the request names key ${ids[1].slice(0, 16)} "alice", but it is "bob": the request's names were altered`), text);
    assert.ok(r.summary.includes(`Warnings (${String(r.warnings.length)}):`));
  });

  test('keys with no bound name show a request\'s label only marked as unbound', () => {
    const plain = { ...v1, version: v1.version + 1 };
    const id = v1.roles['root']?.keyids[0] as string;
    const r = buildReview({ role: 'root', draft: plain, previous: v1, keyholders: {}, labels: { [id]: 'alice' }, nowMs: NOW });
    assert.ok(r.details.includes(`    "alice"? (an unbound label from the request, not covered by the hash) (ed25519 key ${id.slice(0, 16)})`), r.details.join('\n'));
    // The reader's own registry is trusted as it is.
    const own = buildReview({ role: 'root', draft: plain, previous: v1, keyholders: { [id]: 'alice' }, nowMs: NOW });
    assert.ok(own.details.includes(`    alice (ed25519 key ${id.slice(0, 16)})`));
  });

  test('a key bound to a name the registry gives another: warned; two keys bound to one name: warned', () => {
    const r = buildReview({ role: 'root', draft, previous: trusted, keyholders: { [ids[0]]: 'mallory' }, nowMs: NOW });
    assert.ok(r.warnings.some((w) => w.includes(`bound to "alice" in the signed key, but your registry names it "mallory"`)));
    const twin = withOwner(testKey('summary/impostor').tuf, 'alice');
    const impostor: Root = {
      ...draft,
      keys: { ...draft.keys, [twin.keyid]: twin.key },
      roles: { ...draft.roles, root: { keyids: [...ids, twin.keyid], threshold: 2 } },
    };
    const r2 = buildReview({ role: 'root', draft: impostor, previous: trusted, keyholders: {}, nowMs: NOW });
    assert.ok(r2.warnings.some((w) => w.startsWith('WARNING: 2 keys are bound to the same name "alice"')), r2.warnings.join('\n'));
    assert.equal((impostor.keys[twin.keyid] as unknown as Record<string, unknown>)[KEY_OWNER_FIELD], 'alice');
  });
});

describe('review: the summary screen and weakening warnings (issue 14 §2)', () => {
  const trusted = namedRoot();
  const rootIds = trusted.roles['root']?.keyids as [string, string, string];

  test('targets threshold 2 → 1, root threshold lowered, expiry shortened under the minimum, a key both online and offline', () => {
    const online = trusted.roles['timestamp']?.keyids[0] as string;
    const draft: Root = {
      ...trusted,
      version: trusted.version + 1,
      expires: '2027-02-01T00:00:00Z',
      roles: {
        ...trusted.roles,
        root: { keyids: rootIds, threshold: 1 },
        targets: { keyids: [...(trusted.roles['targets']?.keyids ?? []), online], threshold: 1 },
      },
    };
    const r = buildReview({ role: 'root', draft, previous: trusted, keyholders: {}, nowMs: NOW });
    const w = r.warnings.join('\n');
    assert.ok(r.warnings.includes('WARNING: root role threshold lowered 2 → 1: fewer keys are needed to sign'), w);
    assert.ok(r.warnings.includes('WARNING: targets role threshold lowered 2 → 1: fewer keys are needed to sign'), w);
    assert.ok(r.warnings.includes('WARNING: the expiry is shortened: it expires in 31 days, under the minimum of 90 days'), w);
    assert.ok(r.warnings.some((x) => x.startsWith('WARNING: one key is in the offline targets and the online timestamp role')), w);
    assert.ok(r.summary.includes('  root       2 of 3 → 1 of 3'), r.summary.join('\n'));
    assert.ok(r.summary.includes('  targets    2 of 2 → 1 of 3  (keys +1)'), r.summary.join('\n'));
    // The minimum is configurable.
    const lax = buildReview({ role: 'root', draft, previous: trusted, keyholders: {}, nowMs: NOW, minExpiryDays: 20 });
    assert.ok(!lax.warnings.some((x) => x.includes('shortened')));
  });

  test('a delegated role\'s threshold lowered is warned', () => {
    const dan = repo.keys.delegate;
    const base: Targets = {
      _type: 'targets',
      spec_version: '1.0.31',
      version: 1,
      expires: '2027-06-01T00:00:00Z',
      targets: {},
      delegations: { keys: { [dan.keyid]: dan.tuf }, roles: [{ name: 'project', keyids: [dan.keyid], threshold: 2, terminating: false, paths: ['p/*'] }] },
    };
    const next: Targets = { ...base, version: 2, delegations: { keys: { [dan.keyid]: dan.tuf }, roles: [{ name: 'project', keyids: [dan.keyid], threshold: 1, terminating: false, paths: ['p/*'] }] } };
    const r = buildReview({ role: 'targets', draft: next, previous: base, keyholders: {}, nowMs: NOW });
    assert.ok(r.warnings.includes('WARNING: delegated role "project" threshold lowered 2 → 1: fewer keys are needed to sign'), r.warnings.join('\n'));
  });

  test('a 3,000-target draft: the summary fits a screen (at most 40 lines) with the counts and the full hash; the details list every target', () => {
    const file = (i: number): TargetFile => ({ length: i, hashes: { sha256: i.toString(16).padStart(64, '0') } });
    const prevTargets: Record<string, TargetFile> = {};
    for (let i = 0; i < 1000; i++) prevTargets[`pkg/old-${String(i)}.tar.gz`] = file(i);
    const prev: Targets = { _type: 'targets', spec_version: '1.0.31', version: 7, expires: '2027-06-01T00:00:00Z', targets: prevTargets };
    const nextTargets: Record<string, TargetFile> = {};
    for (let i = 0; i < 500; i++) nextTargets[`pkg/old-${String(i)}.tar.gz`] = file(i); // 500 unchanged
    for (let i = 500; i < 700; i++) nextTargets[`pkg/old-${String(i)}.tar.gz`] = file(i + 1); // 200 changed
    for (let i = 0; i < 2300; i++) nextTargets[`pkg/new-${String(i)}.tar.gz`] = file(i); // 2,300 added; 300 removed
    const draft: Targets = { ...prev, version: 8, expires: '2027-09-01T00:00:00Z', targets: nextTargets };
    assert.equal(Object.keys(draft.targets).length, 3000);
    const r = buildReview({ role: 'targets', draft, previous: prev, keyholders: {}, nowMs: NOW, trustedRoot: trusted });
    assert.ok(r.summary.length <= 40, `${String(r.summary.length)} summary lines:\n${r.summary.join('\n')}`);
    assert.ok(r.summary.includes('Targets: 2300 added, 200 changed, 300 removed, 500 unchanged'), r.summary.join('\n'));
    assert.ok(r.summary.includes(`SHA-256 of the bytes you sign: ${groupedHash(r.sha256)}`));
    assert.ok(r.summary.includes('Warnings: none'), r.summary.join('\n'));
    assert.ok(r.details.length > 3000);
    assert.ok(r.details.includes('  + pkg/new-2299.tar.gz: 2299 bytes'));
    assert.ok(r.details.includes('  - pkg/old-999.tar.gz'));
  });
});
