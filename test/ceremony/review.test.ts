// SPDX-License-Identifier: Apache-2.0
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { expiresIn, groupedHash, reviewLines } from '../../src/ceremony/review.js';
import { makeRequest, parseRequest, serializeRequest } from '../../src/ceremony/request.js';
import { canonicalBytes } from '../../src/metadata/canonical.js';
import type { Root, Targets } from '../../src/metadata/model.js';
import { testKey, type TestKey } from '../support/keys.js';
import { buildRepository } from '../support/repo.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2027, 0, 1);
const repo = buildRepository({ expires: '2027-06-01T00:00:00Z', rootVersions: 2 });
const trusted = (repo.roots[1] as NonNullable<(typeof repo.roots)[1]>).signed;
const [alice, bob, carol] = repo.keys.root[1] as [TestKey, TestKey, TestKey];
const dave = testKey('review/dave');
const dan = repo.keys.delegate;
const frank = testKey('review/frank');
const NAMES = {
  [alice.keyid]: 'alice',
  [bob.keyid]: 'bob',
  [carol.keyid]: 'carol',
  [dave.keyid]: 'dave',
  [repo.keys.targets.keyid]: 'erin',
  [dan.keyid]: 'dan',
  [frank.keyid]: 'frank',
};

function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

function label(k: TestKey, name: string): string {
  return `${name} (ed25519 key ${k.keyid.slice(0, 16)})`;
}

/** Root v3: carol replaced by dave, threshold 2 → 3, a new expiry, consistent_snapshot off. */
function rotated(): Root {
  const keys: Record<string, Root['keys'][string]> = { ...trusted.keys };
  delete keys[carol.keyid];
  keys[dave.keyid] = dave.tuf;
  return {
    ...trusted,
    version: 3,
    expires: '2028-01-01T00:00:00Z',
    consistent_snapshot: false,
    keys,
    roles: { ...trusted.roles, root: { keyids: [alice.keyid, bob.keyid, dave.keyid], threshold: 3 } },
  };
}

describe('groupedHash', () => {
  test('a SHA-256 reads as 16 groups of 4 lowercase hex digits', () => {
    const hex = sha256(Buffer.from('abc'));
    const g = groupedHash(hex);
    assert.match(g, /^(?:[0-9a-f]{4} ){15}[0-9a-f]{4}$/);
    assert.equal(g.split(' ').length, 16);
    assert.equal(g.replaceAll(' ', ''), hex);
    assert.equal(groupedHash('BA7816BF8F01'), 'ba78 16bf 8f01');
    assert.equal(groupedHash('abcdef'), 'abcd ef');
    assert.equal(groupedHash(''), '');
  });

  test('expiresIn counts whole days', () => {
    assert.equal(expiresIn(NOW + 365 * DAY, NOW), 'in 365 days');
    // +365d cut to whole seconds and reviewed minutes later is still 365 days away.
    assert.equal(expiresIn(NOW + 365 * DAY - 5 * 60_000, NOW), 'in 365 days');
    assert.equal(expiresIn(NOW + DAY + 5, NOW), 'in 1 day');
    assert.equal(expiresIn(NOW + 5, NOW), 'in less than a day');
    assert.equal(expiresIn(NOW, NOW), 'EXPIRED less than a day ago');
    assert.equal(expiresIn(NOW - 3 * DAY, NOW), 'EXPIRED 3 days ago');
  });
});

describe('review: root', () => {
  test('a rotation replacing a keyholder: names, threshold, expiry, consistent_snapshot, who signs', () => {
    const draft = rotated();
    const lines = reviewLines({ role: 'root', draft, previous: trusted, keyholders: NAMES, nowMs: NOW });
    const text = lines.join('\n');
    assert.equal(lines[0], 'Role: root');
    assert.equal(lines[1], 'Version: 3 (previous version 2)');
    assert.equal(lines[2], 'Expires: 2028-01-01T00:00:00Z, in 365 days (was 2027-06-01T00:00:00Z, +214 days)');
    assert.equal(lines[3], `SHA-256 of the bytes you sign: ${groupedHash(sha256(canonicalBytes(draft)))}`);
    assert.equal(lines[4], `Compared with: root version 2, SHA-256 ${groupedHash(sha256(canonicalBytes(trusted)))}`);
    assert.ok(lines.includes('Root role: threshold 2 → 3, 1 key added, 1 key removed; now 3 of 3 keys'), text);
    assert.ok(lines.includes(`  + ${label(dave, 'dave')}`), text);
    assert.ok(lines.includes(`  - ${label(carol, 'carol')}`), text);
    assert.ok(lines.includes(`    ${label(alice, 'alice')}`), text);
    assert.ok(lines.includes('Targets role: unchanged, 1 of 1 key'), text);
    assert.ok(lines.includes(`    ${label(repo.keys.targets, 'erin')}`), text);
    assert.ok(lines.includes('consistent_snapshot: true → false'), text);
    assert.ok(
      lines.includes(
        'Signatures needed: 2 of 3 (alice, bob, carol) of the trusted root\'s root keys AND 3 of 3 (alice, bob, dave) of the new root\'s root keys'
      ),
      text
    );
    // 2 of 3 → 3 of 3: the spare key is gone (a weakening of availability).
    assert.deepEqual(
      lines.filter((l) => l.includes('WARNING')),
      ['WARNING: root role: 3 of 3 keys: no spare key, losing one key locks the role (keep at least threshold + 1 keys)']
    );
  });

  test('the review of a request is computed from the checked request itself', () => {
    const req = makeRequest({ signed: rotated(), trustedRoot: repo.roots[1] ?? null, keyholders: NAMES, createdMs: NOW, workspace: 'w' });
    const checked = parseRequest(serializeRequest(req), 'r.json');
    const lines = reviewLines({
      role: checked.role,
      draft: checked.signed,
      previous: checked.trustedRoot?.signed ?? null,
      keyholders: checked.request.keyholders,
      nowMs: NOW,
    });
    assert.ok(lines.includes(`SHA-256 of the bytes you sign: ${groupedHash(checked.signedSha256)}`));
    assert.ok(lines.includes(`  + ${label(dave, 'dave')}`));
  });

  test('only the threshold and the expiry change', () => {
    const draft: Root = {
      ...trusted,
      version: 3,
      expires: '2027-03-02T00:00:00Z',
      roles: { ...trusted.roles, root: { keyids: trusted.roles['root']?.keyids ?? [], threshold: 3 } },
    };
    const lines = reviewLines({ role: 'root', draft, previous: trusted, keyholders: NAMES, nowMs: NOW });
    assert.equal(lines[2], 'Expires: 2027-03-02T00:00:00Z, in 60 days (was 2027-06-01T00:00:00Z, −91 days)');
    assert.ok(lines.includes('Root role: threshold 2 → 3; now 3 of 3 keys'), lines.join('\n'));
    assert.ok(lines.includes('consistent_snapshot: true (unchanged)'));
    assert.ok(!lines.some((l) => /^ {2}[+-] /.test(l)), 'no key added or removed');
  });

  test('warnings: a skipped version, an expired draft, a threshold that cannot be met', () => {
    const draft: Root = {
      ...trusted,
      version: 5,
      expires: '2026-12-01T00:00:00Z',
      roles: { ...trusted.roles, targets: { keyids: [repo.keys.targets.keyid], threshold: 2 } },
    };
    const lines = reviewLines({ role: 'root', draft, previous: trusted, keyholders: NAMES, nowMs: NOW });
    const text = lines.join('\n');
    assert.match(text, /WARNING: root version 5 does not follow 2: clients accept only version 3/);
    assert.match(text, /Expires: 2026-12-01T00:00:00Z, EXPIRED 31 days ago/);
    assert.match(text, /WARNING: the draft is already expired/);
    assert.match(text, /Targets role: threshold 1 → 2; now 2 of 1 key\n {2}WARNING: the threshold is above the number of keys/);
  });

  test('root v1: every role and key is new', () => {
    const v1 = (repo.roots[0] as NonNullable<(typeof repo.roots)[0]>).signed;
    const lines = reviewLines({ role: 'root', draft: v1, previous: null, keyholders: NAMES, nowMs: NOW });
    assert.equal(lines[1], 'Version: 1 (no previous version)');
    assert.ok(lines.includes('Root role: new, 2 of 3 keys'));
    assert.ok(lines.includes(`  + ${label(alice, 'alice')}`));
    assert.ok(lines.some((l) => l.startsWith('  + no keyholder name (ed25519 key ')));
    assert.ok(lines.includes('consistent_snapshot: true'));
    assert.ok(!lines.some((l) => l.startsWith('Compared with')));
    assert.match(lines.join('\n'), /Signatures needed: 2 of 3 \([0-9a-f]{16}, alice, bob\) of its own root keys/);
  });

  test('fields outside the reviewed ones are shown, not hidden', () => {
    const draft = { ...trusted, version: 3, 'x-note': 'hello' } as Root;
    const unusedKey = frank;
    const withKey: Root = { ...draft, keys: { ...draft.keys, [unusedKey.keyid]: unusedKey.tuf } };
    const lines = reviewLines({ role: 'root', draft: withKey, previous: trusted, keyholders: NAMES, nowMs: NOW });
    assert.ok(lines.includes('Field "x-note": added "hello"'), lines.join('\n'));
    assert.ok(lines.includes(`Key added to "keys" but used by no role: ${label(frank, 'frank')}`));
  });
});

describe('review: targets', () => {
  const prev: Targets = {
    _type: 'targets',
    spec_version: '1.0.31',
    version: 4,
    expires: '2027-06-01T00:00:00Z',
    targets: {
      'a.txt': { length: 3, hashes: { sha256: '11'.repeat(32) } },
      'b.txt': { length: 4, hashes: { sha256: '22'.repeat(32) } },
      'same.txt': { length: 1, hashes: { sha256: '33'.repeat(32) } },
    },
    delegations: {
      keys: { [dan.keyid]: dan.tuf },
      roles: [
        { name: 'project', keyids: [dan.keyid], threshold: 1, terminating: false, paths: ['project/*'] },
        { name: 'old', keyids: [dan.keyid], threshold: 1, terminating: true, path_hash_prefixes: ['0a'] },
      ],
    },
  };
  const next: Targets = {
    ...prev,
    version: 5,
    expires: '2027-12-01T00:00:00Z',
    targets: {
      'a.txt': { length: 5, hashes: { sha256: '44'.repeat(32) } },
      'c.txt': { length: 9, hashes: { sha256: '55'.repeat(32), sha512: '66'.repeat(64) }, custom: { x: 1 } },
      'same.txt': { length: 1, hashes: { sha256: '33'.repeat(32) } },
    },
    delegations: {
      keys: { [dan.keyid]: dan.tuf, [frank.keyid]: frank.tuf },
      roles: [
        { name: 'project', keyids: [dan.keyid, frank.keyid], threshold: 2, terminating: true, paths: ['project/*', 'extra/*'] },
        { name: 'new', keyids: [frank.keyid], threshold: 1, terminating: true, paths: ['new/*'] },
      ],
    },
  };

  test('targets added, removed and changed (length, hashes, custom)', () => {
    const lines = reviewLines({ role: 'targets', draft: next, previous: prev, keyholders: NAMES, nowMs: NOW, trustedRoot: trusted });
    const text = lines.join('\n');
    assert.equal(lines[0], 'Role: targets');
    assert.equal(lines[1], 'Version: 5 (previous version 4)');
    assert.equal(lines[2], 'Expires: 2027-12-01T00:00:00Z, in 334 days (was 2027-06-01T00:00:00Z, +183 days)');
    assert.equal(lines[3], `SHA-256 of the bytes you sign: ${groupedHash(sha256(canonicalBytes(next)))}`);
    assert.ok(lines.includes('Targets: 1 added, 1 removed, 1 changed, 1 unchanged (3 targets listed)'), text);
    assert.ok(lines.includes('  + c.txt: 9 bytes'));
    assert.ok(lines.includes(`      sha256: ${'55'.repeat(32)}`));
    assert.ok(lines.includes(`      sha512: ${'66'.repeat(64)}`));
    assert.ok(lines.includes('      custom: {"x":1}'));
    assert.ok(lines.includes('  - b.txt'));
    assert.ok(lines.includes('  ~ a.txt'));
    assert.ok(lines.includes('      length: 3 → 5'));
    assert.ok(lines.includes(`      sha256: ${'44'.repeat(32)} (was ${'11'.repeat(32)})`));
    assert.doesNotMatch(text, /same\.txt/);
    assert.doesNotMatch(text, /custom: .*→/, 'no custom change on a.txt');
    assert.ok(lines.includes('Signatures needed: 1 of 1 targets keys of the trusted root (version 2):'));
    assert.ok(lines.includes(`    ${label(repo.keys.targets, 'erin')}`));
  });

  test('delegation changes: keys, thresholds, paths, terminating, roles added and removed', () => {
    const lines = reviewLines({ role: 'targets', draft: next, previous: prev, keyholders: NAMES, nowMs: NOW });
    const text = lines.join('\n');
    assert.ok(lines.includes('Delegations:'), text);
    assert.ok(lines.includes(`  key added: ${label(frank, 'frank')}`), text);
    assert.ok(lines.includes('  ~ role "project": now paths "project/*", "extra/*"; 2 of 2 keys; terminating'), text);
    assert.ok(lines.includes('      keys: threshold 1 → 2, 1 key added; now 2 of 2 keys'), text);
    assert.ok(lines.includes(`        + ${label(frank, 'frank')}`), text);
    assert.ok(lines.includes('      paths: + "extra/*"'), text);
    assert.ok(lines.includes('      terminating: false → true'), text);
    assert.ok(lines.includes('  + role "new": paths "new/*"; 1 of 1 key; terminating'), text);
    assert.ok(lines.includes('  - role "old" (was path_hash_prefixes "0a"; 1 of 1 key; terminating)'), text);
  });

  test('delegation order and succinct hash bins', () => {
    const reordered: Targets = {
      ...prev,
      version: 5,
      delegations: { keys: prev.delegations?.keys ?? {}, roles: [...(prev.delegations?.roles ?? [])].reverse() },
    };
    const r = reviewLines({ role: 'targets', draft: reordered, previous: prev, keyholders: NAMES, nowMs: NOW });
    assert.ok(r.includes('  role search order changed: "old", "project"'), r.join('\n'));

    const bins: Targets = {
      ...next,
      version: 6,
      delegations: { keys: { [frank.keyid]: frank.tuf }, succinct_roles: { keyids: [frank.keyid], threshold: 1, bit_length: 14, name_prefix: 'bin' } },
    };
    const b = reviewLines({ role: 'targets', draft: bins, previous: next, keyholders: NAMES, nowMs: NOW });
    assert.ok(b.includes('  + succinct hash bins: 16384 bins bin-0000 … bin-3fff (bit_length 14); 1 of 1 key'), b.join('\n'));
    assert.ok(b.includes('  - role "project" (was paths "project/*", "extra/*"; 2 of 2 keys; terminating)'));
    assert.ok(b.includes(`  key removed: ${label(dan, 'dan')}`));

    const fewer: Targets = {
      ...bins,
      version: 7,
      delegations: {
        keys: { [frank.keyid]: frank.tuf, [dan.keyid]: dan.tuf },
        succinct_roles: { keyids: [frank.keyid, dan.keyid], threshold: 2, bit_length: 8, name_prefix: 'bin' },
      },
    };
    const f = reviewLines({ role: 'targets', draft: fewer, previous: bins, keyholders: NAMES, nowMs: NOW });
    assert.ok(f.includes('  ~ succinct hash bins: now 256 bins bin-00 … bin-ff (bit_length 8)'), f.join('\n'));
    assert.ok(f.includes('      bit_length: 14 → 8 (16384 → 256 bins)'));
    assert.ok(f.includes('      keys: threshold 1 → 2, 1 key added; now 2 of 2 keys'));
    assert.ok(f.includes(`        + ${label(dan, 'dan')}`));

    const same = reviewLines({ role: 'targets', draft: { ...fewer, version: 8 }, previous: fewer, keyholders: NAMES, nowMs: NOW });
    assert.ok(same.includes('Delegations: unchanged (succinct hash bins)'), same.join('\n'));
    assert.ok(same.includes('Targets: 0 added, 0 removed, 0 changed, 3 unchanged (3 targets listed)'));
  });

  test('first targets version: everything is added; a delegated role is named as such', () => {
    const lines = reviewLines({ role: 'project', draft: next, previous: null, keyholders: NAMES, nowMs: NOW });
    assert.equal(lines[0], 'Role: project (targets metadata)');
    assert.ok(lines.includes('Targets: 3 added, 0 removed, 0 changed, 0 unchanged (3 targets listed)'));
    assert.ok(lines.includes('  + role "project": paths "project/*", "extra/*"; 2 of 2 keys; terminating'));
  });

  test('a targets version that does not increase is flagged', () => {
    const lines = reviewLines({ role: 'targets', draft: { ...next, version: 4 }, previous: prev, keyholders: NAMES, nowMs: NOW });
    assert.ok(lines.some((l) => l.startsWith('WARNING: version 4 is not above the previous version 4')));
  });
});
