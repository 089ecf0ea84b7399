// SPDX-License-Identifier: Apache-2.0
/** The online roles' builders (src/ceremony/online.ts): snapshot, timestamp, delegated targets, signing, file names. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  listedMetadata,
  makeDelegatedTargets,
  makeSnapshot,
  makeTimestamp,
  metadataFileName,
  metaFileFor,
  signWith,
  targetFileFor,
  targetFileNames,
} from '../../src/ceremony/online.js';
import { keySigner } from '../../src/crypto/software.js';
import { parseMetadata } from '../../src/metadata/parse.js';
import { serializeMetadata } from '../../src/metadata/serialize.js';
import { verifyThreshold } from '../../src/metadata/verify.js';
import { testKey } from '../support/keys.js';

const EXPIRES = '2030-01-01T00:00:00Z';
const sha = (alg: string, b: Uint8Array | string): string => createHash(alg).update(b).digest('hex');

describe('online roles', () => {
  const targetBytes = Buffer.from('a target\n');
  const targetsBytes = Buffer.from('{"pretend": "targets bytes"}\n');

  it('META and target entries cover the exact bytes: length, SHA-256 (and SHA-512 for targets)', () => {
    assert.deepEqual(metaFileFor(3, targetsBytes), { version: 3, length: targetsBytes.length, hashes: { sha256: sha('sha256', targetsBytes) } });
    assert.deepEqual(targetFileFor(targetBytes), { length: 9, hashes: { sha256: sha('sha256', targetBytes), sha512: sha('sha512', targetBytes) } });
  });

  it('snapshot lists each file given; timestamp lists only the snapshot; both stay inside the safe profile', async () => {
    const bin = makeDelegatedTargets(1, EXPIRES, { 'a/b.txt': targetFileFor(targetBytes) });
    assert.deepEqual(bin, { _type: 'targets', spec_version: '1.0.31', version: 1, expires: EXPIRES, targets: { 'a/b.txt': targetFileFor(targetBytes) } });
    const key = testKey('online/builders');
    const signer = keySigner(key.privateKey, { backend: 'file' });
    const binBytes = serializeMetadata(await signWith(bin, [signer]), '1.bins-3.json');
    const snapshot = makeSnapshot(2, EXPIRES, [
      { name: 'targets.json', version: 3, bytes: targetsBytes },
      { name: 'bins-3.json', version: 1, bytes: binBytes },
    ]);
    assert.deepEqual(Object.keys(snapshot.meta), ['targets.json', 'bins-3.json']);
    assert.deepEqual(snapshot.meta['bins-3.json'], metaFileFor(1, binBytes));
    const snapshotBytes = serializeMetadata(await signWith(snapshot, [signer]), '2.snapshot.json');
    const ts = makeTimestamp(5, EXPIRES, { version: 2, bytes: snapshotBytes });
    assert.deepEqual(ts.meta, { 'snapshot.json': metaFileFor(2, snapshotBytes) });
    assert.equal(ts.version, 5);
    const md = parseMetadata(serializeMetadata(await signWith(ts, [signer]), 'timestamp.json'), 'timestamp.json', 'timestamp');
    const r = verifyThreshold('timestamp', { keyids: [key.keyid], threshold: 1 }, { [key.keyid]: key.tuf }, md);
    assert.equal(r.met, true, 'signed over the canonical bytes by the online key');
  });

  it('a snapshot from files hashed as they were written (listedMetadata) is the snapshot from their bytes', () => {
    const served = [
      { name: 'targets.json', version: 3, bytes: targetsBytes },
      { name: 'bins-3.json', version: 1, bytes: targetBytes },
    ];
    const fromBytes = makeSnapshot(2, EXPIRES, served);
    assert.deepEqual(makeSnapshot(2, EXPIRES, served.map(listedMetadata)), fromBytes);
    assert.deepEqual(makeSnapshot(2, EXPIRES, [listedMetadata(served[0] as (typeof served)[0]), served[1] as (typeof served)[1]]), fromBytes);
    assert.deepEqual(listedMetadata(served[1] as (typeof served)[1]), { name: 'bins-3.json', meta: { version: 1, length: targetBytes.length, hashes: { sha256: sha('sha256', targetBytes) } } });
  });

  it('signWith signs with every signer, in order', async () => {
    const a = testKey('online/a');
    const b = testKey('online/b', 'ecdsa-p256');
    const md = await signWith(makeDelegatedTargets(1, EXPIRES, {}), [keySigner(a.privateKey, { backend: 'file' }), keySigner(b.privateKey, { backend: 'file' })]);
    assert.deepEqual(md.signatures.map((s) => s.keyid), [a.keyid, b.keyid]);
    const parsed = parseMetadata(serializeMetadata(md, 'x.json'), 'x.json', 'targets');
    assert.equal(verifyThreshold('x', { keyids: [a.keyid, b.keyid], threshold: 2 }, { [a.keyid]: a.tuf, [b.keyid]: b.tuf }, parsed).met, true);
  });

  it('file names: V.NAME.json with consistent snapshots (never for timestamp); targets as DIR/HASH.BASENAME per hash', () => {
    assert.equal(metadataFileName('snapshot', 3, true), '3.snapshot.json');
    assert.equal(metadataFileName('bins-0a1f', 1, true), '1.bins-0a1f.json');
    assert.equal(metadataFileName('timestamp', 7, true), 'timestamp.json');
    assert.equal(metadataFileName('snapshot', 3, false), 'snapshot.json');
    const entry = targetFileFor(targetBytes);
    assert.deepEqual(targetFileNames('a/b/c.txt', entry, true), [`a/b/${sha('sha256', targetBytes)}.c.txt`, `a/b/${sha('sha512', targetBytes)}.c.txt`]);
    assert.deepEqual(targetFileNames('c.txt', entry, true), [`${sha('sha256', targetBytes)}.c.txt`, `${sha('sha512', targetBytes)}.c.txt`]);
    assert.deepEqual(targetFileNames('a/c.txt', entry, false), ['a/c.txt']);
  });
});
