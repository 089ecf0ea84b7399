// SPDX-License-Identifier: Apache-2.0
/**
 * Property tests (issue 6 §3), with fast-check: a failure prints the seed
 * and path to replay it (FUZZ_SEED=… FUZZ_PATH=…). Run counts grow with
 * FUZZ_RUNS (`npm run fuzz`).
 *
 * - parse ∘ serialize is the identity on valid metadata;
 * - canonical JSON does not depend on the order keys were inserted in;
 * - threshold results match a naive reference over random subsets of signatures;
 * - key IDs match an independent computation (@tufjs/canonical-json + sha256).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { canonicalize as tufjsCanonicalize } from '@tufjs/canonical-json';
import fc from 'fast-check';
import { canonicalBytes, canonicalize } from '../../src/metadata/canonical.js';
import { computeKeyId, type TufKey } from '../../src/metadata/keys.js';
import type { Metadata, Signature, Targets } from '../../src/metadata/model.js';
import { parseMetadata } from '../../src/metadata/parse.js';
import { CONTROL_CHARACTERS } from '../../src/metadata/plain-text.js';
import { serializeMetadata } from '../../src/metadata/serialize.js';
import { verifyThreshold } from '../../src/metadata/verify.js';
import { signBytes, testKey } from '../support/keys.js';
import { fcParams, FUZZ_RUNS } from './mutate.js';

const RUNS = Math.max(100, Math.floor(FUZZ_RUNS / 4));
const hex = (n: number): fc.Arbitrary<string> => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });
/** JSON values the profile allows: no floats, integers within ±2^53, any Unicode string. */
const jsonValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string({ unit: 'binary' }).filter((s) => s.isWellFormed()),
    fc.maxSafeInteger(),
    fc.boolean(),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ unit: 'binary', maxLength: 8 }).filter((s) => s.isWellFormed()), tie('value'), { maxKeys: 4 })
  ),
})).value;

/** Target paths the safe profile allows (it refuses a leading `/`). */
const targetPath = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).filter((s) => s.isWellFormed() && !s.startsWith('/'));
const targetsArb: fc.Arbitrary<Targets> = fc.record({
  version: fc.integer({ min: 1, max: 2 ** 31 }),
  expires: fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2999-12-31T23:59:59Z'), noInvalidDate: true }),
  targets: fc.dictionary(
    targetPath,
    fc.record({ length: fc.nat(), sha256: hex(64), sha512: hex(128), custom: fc.option(fc.dictionary(fc.string({ maxLength: 6 }), jsonValue, { maxKeys: 3 }), { nil: undefined }) }),
    { maxKeys: 6 }
  ),
  extra: fc.option(jsonValue, { nil: undefined }),
}).map(({ version, expires, targets, extra }) => {
  const t: Record<string, unknown> = {
    _type: 'targets',
    spec_version: '1.0.31',
    version,
    expires: expires.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    targets: Object.fromEntries(
      Object.entries(targets).map(([p, f]) => [p, { length: f.length, hashes: { sha256: f.sha256, sha512: f.sha512 }, ...(f.custom === undefined ? {} : { custom: f.custom }) }])
    ),
  };
  if (extra !== undefined) t['x-extra'] = extra;
  // Control, bidi and invisible characters are never written (plain-text.test.ts): replaced here.
  return withoutControls(t) as Targets;
}).filter((t) => !hasOrderConflict(t)); // outside the profile: the serializer refuses it (serialize.test.ts)

const CONTROLS = new RegExp(CONTROL_CHARACTERS.source, 'gu');

/** The value with every refused character in its keys and strings replaced by `?`. */
function withoutControls(v: unknown): unknown {
  if (typeof v === 'string') return v.replace(CONTROLS, '?');
  if (Array.isArray(v)) return v.map(withoutControls);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k.replace(CONTROLS, '?'), withoutControls(x)]));
  return v;
}

/** Keys where UTF-16 order and code-point order disagree: a supplementary-plane character and one in U+E000–U+FFFF. */
function hasOrderConflict(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(hasOrderConflict);
  if (v === null || typeof v !== 'object') return false;
  const keys = Object.keys(v);
  const astral = keys.some((k) => /[\u{10000}-\u{10FFFF}]/u.test(k));
  const high = keys.some((k) => /[\uE000-\uFFFF]/.test(k));
  return (astral && high) || Object.values(v).some(hasOrderConflict);
}

/** The same object with every object's keys inserted in reverse order. */
function reinsert(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reinsert);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).reverse()) out[k] = reinsert((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

describe(`properties (${String(RUNS)} runs each)`, () => {
  it('parse ∘ serialize is the identity on valid metadata (targets with Unicode paths, custom fields, unknown fields)', () => {
    fc.assert(
      fc.property(targetsArb, (signed) => {
        const md: Metadata<Targets> = { signed, signatures: [] };
        const bytes = serializeMetadata(md, 'p.json');
        const back = parseMetadata(bytes, 'p.json', 'targets');
        assert.deepEqual(back.signed, JSON.parse(JSON.stringify(signed)));
        assert.deepEqual(Buffer.from(back.signedBytes), canonicalBytes(signed));
        assert.deepEqual(Buffer.from(serializeMetadata(back, 'p.json')), Buffer.from(bytes));
      }),
      fcParams<[Targets]>(RUNS)
    );
  });

  it('canonical JSON does not depend on key insertion order, and is what @tufjs/canonical-json gives', () => {
    fc.assert(
      fc.property(jsonValue, (v) => {
        const ours = canonicalize(v);
        assert.equal(canonicalize(reinsert(v)), ours);
        // tuf-js sorts keys by UTF-16 code units, securesystemslib and go by code points (tuf-crib §canonical JSON):
        // they agree unless keys mix supplementary-plane characters with U+E000–U+FFFF.
        if (!hasOrderConflict(v)) assert.equal(ours, Buffer.from(tufjsCanonicalize(v as never)).toString('utf8'));
      }),
      fcParams<[unknown]>(RUNS)
    );
  });

  it('key IDs match sha256 of @tufjs/canonical-json, extra fields included', () => {
    const keyArb = fc.record({
      keytype: fc.constantFrom('ed25519', 'ecdsa', 'ecdsa-sha2-nistp256', 'rsa', 'sphincs'),
      scheme: fc.constantFrom('ed25519', 'ecdsa-sha2-nistp256', 'rsassa-pss-sha256', 'x'),
      keyval: fc.record({ public: hex(64) }),
      extra: fc.option(fc.dictionary(fc.string({ maxLength: 5 }), jsonValue, { maxKeys: 2 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(keyArb, (k) => {
        const key = { keytype: k.keytype, scheme: k.scheme, keyval: k.keyval, ...(k.extra === undefined ? {} : { x: k.extra }) };
        if (hasOrderConflict(key)) return;
        const independent = createHash('sha256').update(tufjsCanonicalize(key)).digest('hex');
        assert.equal(computeKeyId(key), independent);
      }),
      fcParams<[typeof keyArb extends fc.Arbitrary<infer T> ? T : never]>(RUNS)
    );
  });

  it('threshold results match a naive reference over random subsets of signatures', () => {
    const keys = [0, 1, 2, 3, 4, 5].map((i) => testKey(`prop/threshold-${String(i)}`));
    // Key 6 is key 0 again under another key ID (an extra field): one public key, two IDs.
    const alias: TufKey = { ...(keys[0]?.tuf as TufKey), 'x-note': 'same key' } as TufKey;
    const aliasId = computeKeyId(alias);
    const ids = [...keys.map((k) => k.keyid), aliasId];
    const keyMap: Record<string, TufKey> = Object.fromEntries([...keys.map((k) => [k.keyid, k.tuf] as const), [aliasId, alias] as const]);
    const payload = canonicalBytes({ _type: 'targets', version: 1 });
    const good = new Map(ids.map((id, i) => [id, signBytes(keys[i === 6 ? 0 : i] ?? assert.fail(), payload)]));
    const arb = fc.record({
      listed: fc.subarray(ids, { minLength: 1 }),
      threshold: fc.integer({ min: 1, max: 7 }),
      // Per key ID: absent, a valid signature, an invalid one, or an empty placeholder.
      sigs: fc.array(fc.constantFrom('none', 'valid', 'invalid', 'empty'), { minLength: 7, maxLength: 7 }),
    });
    fc.assert(
      fc.property(arb, ({ listed, threshold, sigs }) => {
        const signatures: Signature[] = [];
        ids.forEach((id, i) => {
          const kind = sigs[i];
          if (kind === 'valid') signatures.push({ keyid: id, sig: good.get(id) ?? '' });
          if (kind === 'invalid') signatures.push({ keyid: id, sig: (good.get(id) ?? '').replace(/^../, '00') });
          if (kind === 'empty') signatures.push({ keyid: id, sig: '' });
        });
        const r = verifyThreshold('targets', { keyids: listed, threshold }, keyMap, { signatures, signedBytes: payload });
        // Naive: distinct public keys among listed key IDs with a valid signature.
        const validListed = listed.filter((id) => sigs[ids.indexOf(id)] === 'valid');
        const distinct = new Set(validListed.map((id) => (id === aliasId ? keys[0]?.keyid : id)));
        assert.equal(r.counted, distinct.size);
        assert.equal(r.met, distinct.size >= threshold);
        assert.deepEqual([...r.valid].sort(), [...validListed].sort());
        assert.deepEqual([...r.unlisted].sort(), ids.filter((id, i) => !listed.includes(id) && sigs[i] !== 'none' && sigs[i] !== 'empty').sort());
      }),
      fcParams<[{ listed: string[]; threshold: number; sigs: string[] }]>(RUNS)
    );
  });
});
