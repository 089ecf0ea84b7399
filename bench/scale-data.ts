// SPDX-License-Identifier: Apache-2.0
/**
 * Repositories for the whole-process benchmark (`bench/process.ts`), in
 * `.bench-data/scale-N-ORDER/`: a root, a targets.json with N generated
 * targets and a 16,384-bin succinct delegation (bins not present), a
 * snapshot and a timestamp, all signed (Ed25519), not consistent snapshot.
 *
 * ORDER is `sorted` (written by this tool's serializer: keys in code-point
 * order, two-space indentation, as python-tuf also writes) or `unsorted`
 * (written the way tuf-js and go-tuf write: `JSON.stringify` in insertion
 * order, `signed` before `signatures`, targets in the order they were
 * added, no indentation). The same N and ORDER always give the same bytes.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MetaFile, Root, Snapshot, Signed, TargetFile, Targets, Timestamp } from '../src/metadata/model.js';
import { serializeMetadata } from '../src/metadata/serialize.js';
import { signMetadata, testKey, type TestKey } from '../test/support/keys.js';
import { prng } from '../test/support/prng.js';
import { AT_MS, DATA_DIR } from './data.js';

export type KeyOrder = 'sorted' | 'unsorted';
const SPEC_VERSION = '1.0.31';
const EXPIRES = '2031-01-01T00:00:00Z';
export { AT_MS };

const SYLLABLES = ['py', 'lib', 'net', 'data', 'flask', 'django', 'async', 'http', 'json', 'yaml', 'crypto', 'test', 'tool', 'kit', 'core', 'util', 'web', 'api'];

/** `count` target entries in a stable (not sorted) order, as a generator of PyPI-like paths. */
export function generatedTargets(count: number, seed = 458): [string, TargetFile][] {
  const rnd = prng(seed);
  const pick = (): string => SYLLABLES[Math.floor(rnd() * SYLLABLES.length)] as string;
  const out: [string, TargetFile][] = [];
  let project = '';
  for (let i = 0; i < count; i++) {
    if (i % 5 === 0) project = `${pick()}${pick()}-${pick()}${String(i / 5)}`;
    const filename = `${project}-${String(1 + Math.floor(rnd() * 4))}.${String(Math.floor(rnd() * 20))}.${String(i % 5)}.tar.gz`;
    const h = createHash('sha256').update(filename).digest('hex');
    const path = `packages/${h.slice(0, 2)}/${h.slice(2, 4)}/${filename}`;
    out.push([
      path,
      {
        length: 1_000 + Math.floor(rnd() * 50_000_000),
        hashes: { sha256: createHash('sha256').update(path).digest('hex'), sha512: createHash('sha512').update(path).digest('hex') },
        custom: { packagetype: 'sdist' },
      },
    ]);
  }
  return out;
}

function write(dir: string, name: string, signed: Signed, keys: readonly TestKey[], order: KeyOrder): Uint8Array {
  const md = signMetadata(signed, keys);
  const bytes =
    order === 'sorted' ? serializeMetadata(md, name) : Buffer.from(JSON.stringify({ signed: md.signed, signatures: md.signatures }));
  writeFileSync(join(dir, name), bytes);
  return bytes;
}

const metaFor = (bytes: Uint8Array): MetaFile => ({
  version: 1,
  length: bytes.length,
  hashes: { sha256: createHash('sha256').update(bytes).digest('hex') },
});

/** The directory holding the repository for `count` targets in `order`, made when missing. */
export function scaleRepo(count: number, order: KeyOrder, log: (s: string) => void = () => undefined): string {
  const dir = join(DATA_DIR, `scale-${String(count)}-${order}`);
  if (existsSync(join(dir, 'timestamp.json'))) return dir;
  log(`writing ${dir}`);
  const tmp = `${dir}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const [rootKey, targetsKey, snapshotKey, timestampKey, binsKey] = ['root', 'targets', 'snapshot', 'timestamp', 'bins'].map((l) =>
    testKey(`bench/scale/${l}`)
  ) as [TestKey, TestKey, TestKey, TestKey, TestKey];
  const root: Root = {
    _type: 'root',
    spec_version: SPEC_VERSION,
    version: 1,
    expires: EXPIRES,
    consistent_snapshot: false,
    keys: Object.fromEntries([rootKey, targetsKey, snapshotKey, timestampKey].map((k) => [k.keyid, k.tuf])),
    roles: {
      root: { keyids: [rootKey.keyid], threshold: 1 },
      targets: { keyids: [targetsKey.keyid], threshold: 1 },
      snapshot: { keyids: [snapshotKey.keyid], threshold: 1 },
      timestamp: { keyids: [timestampKey.keyid], threshold: 1 },
    },
  };
  write(tmp, 'root.json', root, [rootKey], order);
  const targets: Targets = {
    _type: 'targets',
    spec_version: SPEC_VERSION,
    version: 1,
    expires: EXPIRES,
    targets: Object.fromEntries(generatedTargets(count)),
    delegations: {
      keys: { [binsKey.keyid]: binsKey.tuf },
      succinct_roles: { keyids: [binsKey.keyid], threshold: 1, bit_length: 14, name_prefix: 'bins' },
    },
  };
  const targetsBytes = write(tmp, 'targets.json', targets, [targetsKey], order);
  const snapshot: Snapshot = { _type: 'snapshot', spec_version: SPEC_VERSION, version: 1, expires: EXPIRES, meta: { 'targets.json': metaFor(targetsBytes) } };
  const snapshotBytes = write(tmp, 'snapshot.json', snapshot, [snapshotKey], order);
  const timestamp: Timestamp = { _type: 'timestamp', spec_version: SPEC_VERSION, version: 1, expires: EXPIRES, meta: { 'snapshot.json': metaFor(snapshotBytes) } };
  write(tmp, 'timestamp.json', timestamp, [timestampKey], order);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return dir;
}

if (process.argv[1]?.endsWith('scale-data.js')) {
  const count = Number(process.argv[2] ?? '100000');
  for (const order of ['sorted', 'unsorted'] as const) console.log(scaleRepo(count, order, console.log));
}
