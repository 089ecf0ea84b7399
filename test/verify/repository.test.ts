// SPDX-License-Identifier: Apache-2.0
/**
 * verifyRepository on real and crafted repositories: Sigstore's production
 * history (key IDs opaque on read, TAP 12), one public key counted once
 * under several IDs, RSA PKCS#1 v1.5, every listed hash checked, nothing
 * unverified followed (succinct_roles up to bit_length 32), and with
 * consistent_snapshot false the files clients download judged.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { InputError } from '../../src/errors.js';
import { metadataDirSource } from '../../src/store/metadata-dir.js';
import { verifyRepository, type VerifyReport } from '../../src/verify/repository.js';
import { memorySource, quirkyRepo, rsaPkcs1Signer, testSigner } from '../support/quirky-repo.js';

const SIGSTORE = new URL('../../../test/fixtures/real/sigstore-root-signing/', import.meta.url).pathname;
const SIGSTORE_AT = Date.parse('2026-08-22T00:00:00Z');
const AT = Date.parse('2030-01-01T00:00:00Z');

type Obj = Record<string, unknown>;

function verify(files: ReadonlyMap<string, Uint8Array>, extra: { allowExtraTimestampMeta?: boolean } = {}): VerifyReport {
  return verifyRepository(memorySource(files), { atMs: AT, ...extra });
}

describe("Sigstore's production repository (root_history 1-15, targets, the npm delegation)", () => {
  const report = verifyRepository(metadataDirSource(SIGSTORE), { atMs: SIGSTORE_AT });

  test('verifies through its newest root at a time inside their validity', () => {
    assert.equal(report.ok, true, report.failures.join('\n'));
    assert.deepEqual(report.finalRoot?.version, 15);
    const kinds = report.steps.map((s) => `${s.kind}:${s.role}:${String(s.ok)}`);
    assert.equal(report.steps.filter((s) => s.kind === 'root-rotation' && s.ok).length, 14);
    for (const want of ['timestamp:timestamp:true', 'snapshot:snapshot:true', 'targets:targets:true', 'delegated:registry.npmjs.org:true']) {
      assert.ok(kinds.includes(want), `${want} in ${kinds.join(', ')}`);
    }
  });

  test('11.root.json: the online key ID that hashes no form of the key is a warning naming file, key and forms tried', () => {
    const w = report.warnings.filter((x) => x.code === 'KEY_ID_MISMATCH');
    assert.equal(w.length, 1, JSON.stringify(w));
    assert.equal(w[0]?.file, 'root_history/11.root.json');
    assert.match(w[0]?.message ?? '', /key ID 7247f0dbad85b147e1863bade761243cc785dcb7aa410e7105dd3d2b61a36d2c is not the SHA-256/);
    assert.match(w[0]?.message ?? '', /keytype "ecdsa-sha2-nistp256" instead of "ecdsa"; without keyid_hash_algorithms; without x-tuf-on-ci-online-uri; PEM without its final newline; go-tuf v0/);
  });

  test('a day after the timestamp expired, it fails (exit 1 material, not exit 2)', () => {
    const late = verifyRepository(metadataDirSource(SIGSTORE), { atMs: Date.parse('2026-08-29T00:00:00Z') });
    assert.equal(late.ok, false);
    assert.deepEqual(late.failures, ['timestamp.json: timestamp: expired at 2026-08-28T19:25:56Z (reference time 2026-08-29T00:00:00Z)']);
  });
});

describe('key IDs: opaque on read, one public key counted once', () => {
  test('a root listing one public key under its own ID and under an unexplained ID: counted once, threshold 2 unmet', () => {
    const k = testSigner('opaque/one');
    const other = '5a'.repeat(32);
    const repo = quirkyRepo({
      signers: { root: [k] },
      hooks: {
        root: (r) => {
          (r['keys'] as Obj)[other] = k.tuf;
          (r['roles'] as Record<string, { keyids: string[]; threshold: number }>)['root'] = { keyids: [k.keyid, other], threshold: 2 };
        },
      },
      after: (file, md) => {
        if (file === '1.root.json') md.signatures.push({ keyid: other, sig: md.signatures[0]?.sig ?? '' });
      },
    });
    const report = verify(repo.files);
    assert.equal(report.ok, false);
    assert.match(report.failures[0] ?? '', /1 of 2 needed signatures valid/);
    assert.ok(report.warnings.some((w) => w.code === 'SAME_KEY_TWO_IDS'));
    assert.ok(report.warnings.some((w) => w.code === 'KEY_ID_MISMATCH' && w.file === '1.root.json' && w.message.includes(other)));
  });
});

describe('RSA PKCS#1 v1.5 (rsa-pkcs1v15-sha256, as TAF writes) counts on read', () => {
  test('targets signed with a PKCS#1 v1.5 key verifies, with a legacy note', () => {
    const repo = quirkyRepo({ signers: { targets: [rsaPkcs1Signer()] } });
    const report = verify(repo.files);
    assert.equal(report.ok, true, report.failures.join('\n'));
    assert.ok(report.warnings.some((w) => w.code === 'LEGACY_FORMAT' && /rsa-pkcs1v15-sha256/.test(w.message)));
  });
  test('a PSS signature under a PKCS#1 v1.5 key does not count', () => {
    const k = rsaPkcs1Signer();
    const repo = quirkyRepo({ signers: { targets: [{ ...k, sign: () => '00'.repeat(256) }] } });
    assert.equal(verify(repo.files).ok, false);
  });
});

describe('every hash a delegator lists is checked', () => {
  const cases: readonly (readonly [string, string, boolean])[] = [
    ['sha512 (computed)', 'sha512', true],
    ['sha384 (computed)', 'sha384', true],
    ['SHA256 (upper case)', 'SHA256', false],
    ['md5', 'md5', false],
    ['sha1', 'sha1', false],
    ['blake2b-256 (not computed)', 'blake2b-256', false],
  ];
  for (const [name, alg, ok] of cases) {
    test(`snapshot meta lists a ${name} hash of targets: ${ok ? 'checked and passes' : 'a failure'}`, () => {
      // Ed25519 signatures are deterministic: the targets bytes are the same in both builds.
      const targetsBytes = quirkyRepo({ consistentSnapshot: false }).files.get('targets.json') as Uint8Array;
      const value = ['sha512', 'sha384'].includes(alg) ? createHash(alg).update(targetsBytes).digest('hex') : 'ab'.repeat(16);
      const repo2 = quirkyRepo({
        consistentSnapshot: false,
        hooks: { snapshot: (s) => ((s['meta'] as Record<string, { hashes: Obj }>)['targets.json'] as { hashes: Obj }).hashes[alg] = value },
      });
      const report = verify(repo2.files);
      assert.equal(report.ok, ok, report.failures.join('\n'));
      if (!ok) assert.match(report.failures.join('\n'), new RegExp(`targets\\.json: targets: snapshot lists a "${alg}" hash, an algorithm not computed here`));
    });
  }
  test('a wrong sha512 beside a right sha256 fails', () => {
    const repo = quirkyRepo({ hooks: { snapshot: (s) => ((s['meta'] as Record<string, { hashes: Obj }>)['targets.json'] as { hashes: Obj }).hashes['sha512'] = 'cd'.repeat(64) } });
    const report = verify(repo.files);
    assert.equal(report.ok, false);
    assert.match(report.failures.join('\n'), /sha512 [0-9a-f]{16}… does not match snapshot/);
  });
  test('an extra timestamp meta entry is a failure, unless allowed', () => {
    const repo = quirkyRepo({ hooks: { timestamp: (t) => ((t['meta'] as Obj)['targets.json'] = { version: 1 }) } });
    const report = verify(repo.files);
    assert.equal(report.ok, false);
    assert.match(report.failures.join('\n'), /timestamp\.json: timestamp: meta lists "targets\.json" beside snapshot\.json; python-tuf and tuf-js then fail its signature/);
    assert.equal(verify(repo.files, { allowExtraTimestampMeta: true }).ok, true);
  });
});

describe('nothing unverified is followed; succinct_roles enumeration is lazy', () => {
  const bits32 = { keyids: [] as string[], threshold: 1, bit_length: 32, name_prefix: 'bin' };
  test('a tampered (unsigned) delegated role delegating 2^32 bins: fails, its bins never looked at', () => {
    const d = testSigner('lazy/delegate');
    const repo = quirkyRepo({
      delegated: { project: [d] },
      hooks: { delegated: (_n, s) => (s['delegations'] = { keys: { [d.keyid]: d.tuf }, succinct_roles: { ...bits32, keyids: [d.keyid] } }) },
      after: (file, md) => {
        if (file === '1.project.json') md.signatures[0] = { keyid: d.keyid, sig: '00'.repeat(64) };
      },
    });
    // Add a bin file so that following the delegation would have something to read.
    const report = verify(new Map([...repo.files, ['1.bin-00000000.json', Buffer.from('{')]]));
    assert.equal(report.ok, false);
    assert.ok(report.steps.some((s) => s.kind === 'delegated' && s.role === 'project' && !s.ok));
    assert.ok(!report.steps.some((s) => s.kind === 'bins'), 'the bins of an unverified role are not expanded');
  });
  test('a verified targets with bit_length 32: only the bins present or listed are verified', () => {
    const d = testSigner('lazy/bins');
    const repo = quirkyRepo({ hooks: { targets: (t) => (t['delegations'] = { keys: { [d.keyid]: d.tuf }, succinct_roles: { ...bits32, keyids: [d.keyid] } }) } });
    const report = verify(repo.files);
    const bins = report.steps.find((s) => s.kind === 'bins');
    assert.deepEqual(bins?.bins, { count: 2 ** 32, present: 0, verified: 0 });
    assert.equal(report.ok, true, report.failures.join('\n'));
  });
});

describe('consistent_snapshot false: the files clients download are judged', () => {
  test('a stale but signed 1.snapshot.json beside a snapshot.json that fails the timestamp hash: fails', () => {
    const good = quirkyRepo({ consistentSnapshot: false });
    const files = new Map(good.files);
    // The copy clients download is replaced by another validly signed snapshot
    // (version 2): the timestamp's hash no longer matches it.
    const newer = quirkyRepo({ consistentSnapshot: false, hooks: { snapshot: (s) => (s['version'] = 2) } });
    files.set('1.snapshot.json', files.get('snapshot.json') as Uint8Array);
    files.set('snapshot.json', newer.files.get('snapshot.json') as Uint8Array);
    const report = verify(files);
    assert.equal(report.ok, false);
    assert.match(report.failures.join('\n'), /^snapshot\.json: snapshot: version 2, but timestamp lists version 1/m);
  });
  test('an unsigned stray 9.targets.json beside a good repository is not what clients download, and is not verified', () => {
    const repo = quirkyRepo({ consistentSnapshot: false });
    const report = verify(new Map([...repo.files, ['9.targets.json', Buffer.from('{"signed":{},"signatures":[]}')]]));
    assert.equal(report.ok, true, report.failures.join('\n'));
    assert.deepEqual([...report.verifiedFiles].sort(), ['1.root.json', 'root.json', 'snapshot.json', 'targets.json', 'timestamp.json']);
  });
});

describe('files read in place (a fresh source): the file held once', () => {
  // A target path with a quote is written with an escape in its key, which
  // the in-place reader leaves to the reference: verify reads the file again.
  const quoted = (signed: Obj): void => {
    (signed['targets'] as Obj)['dir/"quoted".txt'] = { length: 2, hashes: { sha256: 'ab'.repeat(32) } };
  };

  function counting(files: ReadonlyMap<string, Uint8Array>, second?: ReadonlyMap<string, Uint8Array>) {
    const reads = new Map<string, number>();
    const src = {
      names: [...files.keys()].sort(),
      fresh: true,
      read: (n: string): Uint8Array | undefined => {
        const count = (reads.get(n) ?? 0) + 1;
        reads.set(n, count);
        const b = (count > 1 ? second?.get(n) : undefined) ?? files.get(n);
        return b === undefined ? undefined : Uint8Array.from(b);
      },
    };
    return { src, reads };
  }

  test('every file is read once and verifies; the source bytes given stay as they were', () => {
    const repo = quirkyRepo();
    const before = new Map([...repo.files].map(([n, b]) => [n, Buffer.from(b)]));
    const { src, reads } = counting(repo.files);
    const report = verifyRepository(src, { atMs: AT });
    assert.equal(report.ok, true, report.failures.join('\n'));
    assert.equal(reads.get('1.targets.json'), 1);
    for (const [n, b] of before) assert.deepEqual(Buffer.from(repo.files.get(n) as Uint8Array), b, n);
  });

  test('a file the reference must read is read again, and verifies when it is the same file', () => {
    const repo = quirkyRepo({ hooks: { targets: quoted } });
    const { src, reads } = counting(repo.files);
    const report = verifyRepository(src, { atMs: AT });
    assert.equal(report.ok, true, report.failures.join('\n'));
    assert.equal(reads.get('1.targets.json'), 2);
  });

  test('a file that changed between the two reads: refused (exit 2), naming it, even when the new one verifies', () => {
    const first = quirkyRepo({ hooks: { targets: quoted } });
    // The same keys, another target list: a file that verifies on its own.
    const second = quirkyRepo({ hooks: { targets: (s) => { quoted(s); (s['targets'] as Obj)['b.txt'] = { length: 1, hashes: { sha256: 'cd'.repeat(32) } }; } } });
    const { src } = counting(first.files, new Map([['1.targets.json', second.files.get('1.targets.json') as Uint8Array]]));
    assert.throws(
      () => verifyRepository(src, { atMs: AT }),
      (e: unknown) => e instanceof InputError && /^1\.targets\.json: changed while verify read it/.test(e.message) && e.exitCode === 2
    );
    // timestamp.json, which nothing lists by hash (held to a SHA-512 of the first read).
    const quotedTs = (t: Obj): void => {
      t['x-"note"'] = 'a';
    };
    const ts1 = quirkyRepo({ hooks: { targets: quoted, timestamp: quotedTs } });
    const ts2 = quirkyRepo({ expires: '2032-01-01T00:00:00Z', hooks: { targets: quoted, timestamp: quotedTs } });
    const same = counting(ts1.files);
    assert.equal(verifyRepository(same.src, { atMs: AT }).ok, true);
    assert.equal(same.reads.get('timestamp.json'), 2);
    const changed = counting(ts1.files, new Map([['timestamp.json', ts2.files.get('timestamp.json') as Uint8Array]]));
    assert.throws(
      () => verifyRepository(changed.src, { atMs: AT }),
      (e: unknown) => e instanceof InputError && /^timestamp\.json: changed while verify read it/.test(e.message)
    );
  });
});
