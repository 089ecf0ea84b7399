// SPDX-License-Identifier: Apache-2.0
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { Targets as TufjsTargets } from '@tufjs/models';
import { canonicalBytes } from '../../src/metadata/canonical.js';
import { computeKeyId, type TufKey } from '../../src/metadata/keys.js';
import type { Metadata, Root, Signature } from '../../src/metadata/model.js';
import { parseMetadata } from '../../src/metadata/parse.js';
import {
  binForPath,
  binNames,
  isExpired,
  verifyRootRotation,
  verifyThreshold,
  verifyWithRoot,
  type SignedPayload,
} from '../../src/metadata/verify.js';
import { signBytes, signMetadata, testKey, type TestKey } from '../support/keys.js';
import { EXPIRES, readTestdata, SPEC } from './helpers.js';

const SIGNED = { _type: 'targets', spec_version: SPEC, version: 1, expires: EXPIRES, targets: {} };
const DATA = canonicalBytes(SIGNED);

function keyMap(...keys: { keyid: string; tuf: TufKey }[]): Record<string, TufKey> {
  const m: Record<string, TufKey> = {};
  for (const k of keys) m[k.keyid] = k.tuf;
  return m;
}

function payload(signatures: Signature[], data: Uint8Array = DATA): SignedPayload {
  return { signatures, signedBytes: data };
}

function sig(k: TestKey, data: Uint8Array = DATA): Signature {
  return { keyid: k.keyid, sig: signBytes(k, data) };
}

describe('verifyThreshold', () => {
  const a = testKey('vt/a');
  const b = testKey('vt/b', 'ecdsa-p256');
  const c = testKey('vt/c');
  const d = testKey('vt/d', 'rsa-pss');
  const outsider = testKey('vt/outsider');
  const keys = keyMap(a, b, c, d, outsider);
  const role = { keyids: [a.keyid, b.keyid, c.keyid], threshold: 2 };

  test('threshold met', () => {
    const r = verifyThreshold('targets', role, keys, payload([sig(a), sig(b)]));
    assert.equal(r.met, true);
    assert.equal(r.counted, 2);
    assert.equal(r.role, 'targets');
    assert.equal(r.threshold, 2);
    assert.deepEqual(r.keyids, role.keyids);
    assert.deepEqual(r.valid, [a.keyid, b.keyid]);
    assert.deepEqual(r.missing, [c.keyid]);
    assert.deepEqual([r.invalid, r.unlisted, r.unsupported, r.absent, r.sameKey], [[], [], [], [], []]);
  });

  test('signature order does not matter; all three key types count', () => {
    const r = verifyThreshold('root', { keyids: [a.keyid, b.keyid, d.keyid], threshold: 3 }, keys, payload([sig(d), sig(a), sig(b)]));
    assert.equal(r.met, true);
    assert.deepEqual(r.valid, [a.keyid, b.keyid, d.keyid]);
  });

  test('threshold unmet', () => {
    const r = verifyThreshold('targets', role, keys, payload([sig(c)]));
    assert.equal(r.met, false);
    assert.equal(r.counted, 1);
    assert.deepEqual(r.missing, [a.keyid, b.keyid]);
  });

  test('no signatures at all', () => {
    const r = verifyThreshold('targets', role, keys, payload([]));
    assert.equal(r.met, false);
    assert.equal(r.counted, 0);
    assert.deepEqual(r.missing, role.keyids);
  });

  test('an invalid signature is listed in invalid and not counted', () => {
    const other = Buffer.from('{"other":1}');
    const r = verifyThreshold('targets', role, keys, payload([sig(a), sig(b, other)]));
    assert.equal(r.met, false);
    assert.equal(r.counted, 1);
    assert.deepEqual(r.invalid, [b.keyid]);
    assert.deepEqual(r.valid, [a.keyid]);
  });

  test("a signature made with another listed key's key ID is invalid", () => {
    const r = verifyThreshold('targets', role, keys, payload([sig(a), { keyid: c.keyid, sig: signBytes(outsider, DATA) }]));
    assert.deepEqual(r.invalid, [c.keyid]);
    assert.equal(r.met, false);
  });

  test('a valid signature from an unlisted key is in unlisted and not counted', () => {
    const r = verifyThreshold('targets', role, keys, payload([sig(a), sig(outsider)]));
    assert.deepEqual(r.unlisted, [outsider.keyid]);
    assert.equal(r.counted, 1);
    assert.equal(r.met, false);
  });

  test('"sig": "" placeholders count as missing, for listed and unlisted keys', () => {
    const r = verifyThreshold(
      'targets',
      role,
      keys,
      payload([sig(a), { keyid: b.keyid, sig: '' }, { keyid: outsider.keyid, sig: '' }])
    );
    assert.deepEqual(r.missing, [b.keyid, c.keyid]);
    assert.deepEqual(r.invalid, []);
    assert.deepEqual(r.unlisted, []);
    assert.equal(r.met, false);
  });

  test('listed key IDs absent from the keys map are reported as absent', () => {
    const ghost = 'ff'.repeat(32);
    const r = verifyThreshold(
      'targets',
      { keyids: [a.keyid, ghost, 'constructor', '__proto__', 'toString'], threshold: 1 },
      keys,
      payload([sig(a), { keyid: ghost, sig: 'aa' }, { keyid: 'constructor', sig: 'bb' }])
    );
    assert.deepEqual(r.absent, [ghost, 'constructor', '__proto__', 'toString']);
    assert.equal(r.met, true);
    assert.deepEqual(r.invalid, []);
  });

  test('a key of unknown type is unsupported, with a reason, and not counted', () => {
    const oidc: TufKey = {
      keytype: 'sigstore-oidc',
      scheme: 'Fulcio',
      keyval: { public: '', identity: 'a@example.com', issuer: 'https://github.com/login/oauth' },
    };
    const oidcId = computeKeyId(oidc);
    const r = verifyThreshold(
      'targets',
      { keyids: [a.keyid, oidcId], threshold: 2 },
      { ...keys, [oidcId]: oidc },
      payload([sig(a), { keyid: oidcId, sig: signBytes(a, DATA) }])
    );
    assert.equal(r.unsupported.length, 1);
    assert.equal(r.unsupported[0]?.keyid, oidcId);
    assert.match(r.unsupported[0]?.reason ?? '', /sigstore-oidc/);
    assert.equal(r.counted, 1);
    assert.equal(r.met, false);
  });

  test('ONE public key under TWO key IDs counts once (threshold 2 unmet)', () => {
    const k = testKey('vt/twice');
    const aliasKey = { ...k.tuf, 'x-owner': '@alias' } as TufKey;
    const aliasId = computeKeyId(aliasKey);
    assert.notEqual(aliasId, k.keyid);
    const s = signBytes(k, DATA);
    const r = verifyThreshold(
      'root',
      { keyids: [k.keyid, aliasId], threshold: 2 },
      { [k.keyid]: k.tuf, [aliasId]: aliasKey },
      payload([
        { keyid: k.keyid, sig: s },
        { keyid: aliasId, sig: s },
      ])
    );
    assert.deepEqual(r.valid, [k.keyid, aliasId]);
    assert.equal(r.counted, 1);
    assert.equal(r.met, false);
    assert.deepEqual(r.sameKey, [[k.keyid, aliasId]]);
  });

  test('one P-256 key as PEM and as compressed hex point counts once', () => {
    const k = testKey('vt/ec-twice', 'ecdsa-p256');
    const jwk = k.publicKey.export({ format: 'jwk' });
    const y = Buffer.from(jwk.y as string, 'base64url');
    const hexKey: TufKey = {
      keytype: 'ecdsa',
      scheme: 'ecdsa-sha2-nistp256',
      keyval: { public: (((y[31] as number) & 1) === 1 ? '03' : '02') + Buffer.from(jwk.x as string, 'base64url').toString('hex') },
    };
    const hexId = computeKeyId(hexKey);
    const r = verifyThreshold(
      'root',
      { keyids: [k.keyid, hexId], threshold: 2 },
      { [k.keyid]: k.tuf, [hexId]: hexKey },
      payload([sig(k), { keyid: hexId, sig: signBytes(k, DATA) }])
    );
    assert.equal(r.valid.length, 2);
    assert.equal(r.counted, 1);
    assert.equal(r.met, false);
    assert.deepEqual(r.sameKey, [[k.keyid, hexId]]);
  });

  test('sameKey is reported even when nothing is signed', () => {
    const k = testKey('vt/twice-unsigned');
    const alias = { ...k.tuf, 'x-n': 1 } as TufKey;
    const aliasId = computeKeyId(alias);
    const r = verifyThreshold('root', { keyids: [k.keyid, aliasId], threshold: 1 }, { [k.keyid]: k.tuf, [aliasId]: alias }, payload([]));
    assert.deepEqual(r.sameKey, [[k.keyid, aliasId]]);
    assert.equal(r.met, false);
  });
});

describe('verifyWithRoot', () => {
  test('a role the root does not define is never met', () => {
    const k = testKey('vwr/a');
    const root = {
      _type: 'root',
      spec_version: SPEC,
      version: 1,
      expires: EXPIRES,
      consistent_snapshot: true,
      keys: keyMap(k),
      roles: { root: { keyids: [k.keyid], threshold: 1 } },
    } as unknown as Root;
    const r = verifyWithRoot(root, 'mirrors', payload([sig(k)]));
    assert.equal(r.met, false);
    assert.deepEqual(r.unlisted, [k.keyid]);
  });
});

function rootV(version: number, keys: TestKey[], threshold: number): Root {
  const online = testKey('rot/online');
  return {
    _type: 'root',
    spec_version: SPEC,
    version,
    expires: EXPIRES,
    consistent_snapshot: true,
    keys: keyMap(...keys, online),
    roles: {
      root: { keyids: keys.map((k) => k.keyid), threshold },
      targets: { keyids: [online.keyid], threshold: 1 },
      snapshot: { keyids: [online.keyid], threshold: 1 },
      timestamp: { keyids: [online.keyid], threshold: 1 },
    },
  };
}

function signedRoot(md: Metadata<Root>): { signed: Root } & SignedPayload {
  return { signed: md.signed, signatures: md.signatures, signedBytes: canonicalBytes(md.signed) };
}

describe('verifyRootRotation', () => {
  const [A, B, C, D, E, F] = ['A', 'B', 'C', 'D', 'E', 'F'].map((l) => testKey(`rot/${l}`)) as [TestKey, TestKey, TestKey, TestKey, TestKey, TestKey];
  const v1 = rootV(1, [A, B, C], 2);

  test('proper rotation (old threshold and new threshold both met, version + 1)', () => {
    const v2 = rootV(2, [B, C, D], 2);
    const r = verifyRootRotation(v1, signedRoot(signMetadata(v2, [A, B, D])));
    assert.equal(r.ok, true);
    assert.equal(r.versionOk, true);
    assert.equal(r.fromVersion, 1);
    assert.equal(r.toVersion, 2);
    assert.deepEqual(r.old.valid, [A.keyid, B.keyid]);
    assert.deepEqual(r.new.valid, [B.keyid, D.keyid]);
  });

  test('full key replacement needs old and new signers', () => {
    const v2 = rootV(2, [D, E, F], 2);
    assert.equal(verifyRootRotation(v1, signedRoot(signMetadata(v2, [A, B, D, E]))).ok, true);
  });

  test('version skip v1 -> v3 is not ok, even fully signed', () => {
    const v3 = rootV(3, [A, B, C], 2);
    const r = verifyRootRotation(v1, signedRoot(signMetadata(v3, [A, B, C])));
    assert.equal(r.versionOk, false);
    assert.equal(r.old.met, true);
    assert.equal(r.new.met, true);
    assert.equal(r.ok, false);
  });

  test('same version again is not ok', () => {
    const r = verifyRootRotation(v1, signedRoot(signMetadata(rootV(1, [A, B, C], 2), [A, B, C])));
    assert.equal(r.versionOk, false);
    assert.equal(r.ok, false);
  });

  test('under-signed by the old root is not ok', () => {
    const v2 = rootV(2, [D, E, F], 2);
    const r = verifyRootRotation(v1, signedRoot(signMetadata(v2, [A, D, E])));
    assert.equal(r.old.met, false);
    assert.equal(r.old.counted, 1);
    assert.equal(r.new.met, true);
    assert.equal(r.ok, false);
  });

  test('under-signed by the new root is not ok', () => {
    const v2 = rootV(2, [D, E, F], 2);
    const r = verifyRootRotation(v1, signedRoot(signMetadata(v2, [A, B, D])));
    assert.equal(r.old.met, true);
    assert.equal(r.new.met, false);
    assert.equal(r.new.counted, 1);
    assert.equal(r.ok, false);
  });

  test('raising the threshold is judged with each root own threshold', () => {
    const v2 = rootV(2, [A, B, C], 3);
    assert.equal(verifyRootRotation(v1, signedRoot(signMetadata(v2, [A, B]))).ok, false);
    assert.equal(verifyRootRotation(v1, signedRoot(signMetadata(v2, [A, B, C]))).ok, true);
  });

  test('a change after signing breaks both thresholds', () => {
    const md = signMetadata(rootV(2, [B, C, D], 2), [A, B, C, D]);
    const tampered = { ...md.signed, expires: '2031-01-01T00:00:00Z' };
    const r = verifyRootRotation(v1, { signed: tampered, signatures: md.signatures, signedBytes: canonicalBytes(tampered) });
    assert.equal(r.ok, false);
    assert.equal(r.old.counted, 0);
    assert.equal(r.new.counted, 0);
    assert.deepEqual(r.old.invalid, [A.keyid, B.keyid, C.keyid]);
  });

  describe('the tuf-on-ci demo root chain (real signatures)', () => {
    const roots = [1, 2, 3, 4, 5].map((v) => {
      const name = `root_history/${String(v)}.root.json`;
      return parseMetadata(readTestdata(name), name, 'root');
    });
    for (let i = 1; i < roots.length; i++) {
      test(`v${String(i)} -> v${String(i + 1)} is ok`, () => {
        const r = verifyRootRotation((roots[i - 1] as (typeof roots)[number]).signed, roots[i] as (typeof roots)[number]);
        assert.equal(r.ok, true, JSON.stringify({ old: r.old, new: r.new }));
      });
    }
    test('v3 -> v5 skips a version', () => {
      const r = verifyRootRotation((roots[2] as (typeof roots)[number]).signed, roots[4] as (typeof roots)[number]);
      assert.equal(r.versionOk, false);
      assert.equal(r.ok, false);
    });
    test('each root meets its own threshold; the sig "" placeholder counts as missing', () => {
      for (const md of roots) assert.equal(verifyWithRoot(md.signed, 'root', md).met, true, md.file);
      const root5 = roots[4] as (typeof roots)[number];
      const r = verifyWithRoot(root5.signed, 'root', root5);
      assert.ok(root5.signatures.some((s) => s.sig === '' && r.missing.includes(s.keyid)));
    });
    test('top-level roles and a delegation verify against the current root', () => {
      const root = parseMetadata(readTestdata('root.json'), 'root.json', 'root').signed;
      for (const [file, role] of [
        ['targets.json', 'targets'],
        ['snapshot.json', 'snapshot'],
        ['timestamp.json', 'timestamp'],
      ] as const) {
        const md = parseMetadata(readTestdata(file), file, role);
        assert.equal(verifyWithRoot(root, role, md).met, true, file);
        // The online key's signatures do not count for the offline roles.
        if (role !== 'targets') assert.equal(verifyWithRoot(root, 'root', md).met, false, file);
      }
      const targets = parseMetadata(readTestdata('targets.json'), 'targets.json', 'targets').signed;
      const jku = parseMetadata(readTestdata('jku.json'), 'jku.json', 'targets');
      const role = targets.delegations?.roles?.find((r) => r.name === 'jku');
      assert.ok(role !== undefined && targets.delegations !== undefined);
      assert.equal(verifyThreshold('jku', role, targets.delegations.keys, jku).met, true);
    });
  });
});

describe('isExpired', () => {
  const at = Date.UTC(2030, 0, 1);
  test('expired exactly at expires and after, not before', () => {
    assert.equal(isExpired({ expiresAt: at }, at - 1), false);
    assert.equal(isExpired({ expiresAt: at }, at), true);
    assert.equal(isExpired({ expiresAt: at }, at + 1), true);
  });
});

/** Independent bin computation: BigInt arithmetic on the digest bytes. */
function independentBin(prefix: string, bits: number, path: string): string {
  const digest = createHash('sha256').update(Buffer.from(path, 'utf8')).digest();
  const first4 = BigInt('0x' + digest.subarray(0, 4).toString('hex'));
  const bin = first4 >> BigInt(32 - bits);
  const width = (2n ** BigInt(bits) - 1n).toString(16).length;
  return `${prefix}-${bin.toString(16).padStart(width, '0')}`;
}

/** tuf-js's own SuccinctRoles, reached through its public API (Targets.fromJSON). */
function tufjsSuccinct(bits: number, prefix: string): NonNullable<NonNullable<TufjsTargets['delegations']>['succinctRoles']> {
  const t = TufjsTargets.fromJSON({
    _type: 'targets',
    spec_version: SPEC,
    version: 1,
    expires: EXPIRES,
    targets: {},
    delegations: { keys: {}, succinct_roles: { keyids: [], threshold: 1, bit_length: bits, name_prefix: prefix } },
  });
  const sr = t.delegations?.succinctRoles;
  assert.ok(sr !== undefined);
  return sr;
}

describe('hash bins (TAP 15 succinct_roles)', () => {
  test('bit_length 14: 16384 names bin-0000 … bin-3fff', () => {
    const names = binNames({ bit_length: 14, name_prefix: 'bin' });
    assert.equal(names.length, 16384);
    assert.equal(names[0], 'bin-0000');
    assert.equal(names[1], 'bin-0001');
    assert.equal(names[255], 'bin-00ff');
    assert.equal(names[16383], 'bin-3fff');
    assert.equal(new Set(names).size, 16384);
    assert.ok(names.every((n) => /^bin-[0-3][0-9a-f]{3}$/.test(n)));
  });

  test('bit_length 8: bin-00 … bin-ff', () => {
    const names = binNames({ bit_length: 8, name_prefix: 'bin' });
    assert.equal(names.length, 256);
    assert.equal(names[0], 'bin-00');
    assert.equal(names[10], 'bin-0a');
    assert.equal(names[255], 'bin-ff');
  });

  test('bit_length 1: bin-0, bin-1', () => {
    assert.deepEqual(binNames({ bit_length: 1, name_prefix: 'bin' }), ['bin-0', 'bin-1']);
  });

  test('bit_length 4 and 5 (width changes at the hex digit boundary)', () => {
    assert.deepEqual(binNames({ bit_length: 4, name_prefix: 'x' }).slice(-2), ['x-e', 'x-f']);
    const five = binNames({ bit_length: 5, name_prefix: 'x' });
    assert.deepEqual([five[0], five[31]], ['x-00', 'x-1f']);
  });

  test('names agree with @tufjs/models SuccinctRoles.getRoles for bit_length 1..16', () => {
    for (let bits = 1; bits <= 16; bits++) {
      const sr = tufjsSuccinct(bits, 'pfx');
      assert.deepEqual(binNames({ bit_length: bits, name_prefix: 'pfx' }), [...sr.getRoles()], `bit_length ${String(bits)}`);
    }
  });

  const PATHS = [
    '',
    'a',
    'file.txt',
    'project/pkg-1.0.tar.gz',
    'dir/sub/deep/name.json',
    'ünïcödé/ﬁle-😀',
    'space in name',
    ...Array.from({ length: 200 }, (_, i) => `generated/target-${String(i)}.bin`),
  ];

  test('binForPath agrees with an independent computation for bit_length 1..32', () => {
    for (let bits = 1; bits <= 32; bits++) {
      for (const p of PATHS) {
        assert.equal(binForPath({ bit_length: bits, name_prefix: 'bin' }, p), independentBin('bin', bits, p), `${p} @ ${String(bits)}`);
      }
    }
  });

  test('binForPath agrees with @tufjs/models getRoleForTarget and the bin is a delegated role', () => {
    for (const bits of [1, 2, 4, 7, 8, 13, 14, 16, 24, 31, 32]) {
      const sr = tufjsSuccinct(bits, 'bin');
      for (const p of PATHS) {
        const ours = binForPath({ bit_length: bits, name_prefix: 'bin' }, p);
        assert.equal(ours, sr.getRoleForTarget(p), `${p} @ ${String(bits)}`);
        assert.ok(sr.isDelegatedRole(ours));
      }
    }
  });

  test('every bin of bit_length 14 is a name from binNames', () => {
    const names = new Set(binNames({ bit_length: 14, name_prefix: 'bin' }));
    for (const p of PATHS) assert.ok(names.has(binForPath({ bit_length: 14, name_prefix: 'bin' }, p)));
  });
});
