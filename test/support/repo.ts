// SPDX-License-Identifier: Apache-2.0
/**
 * Builds complete, signed TUF repositories with this project's core
 * (serializer + canonical JSON) and deterministic test keys: a root chain,
 * targets with a path delegation or succinct hash bins, snapshot and
 * timestamp. Used by interop tests, the benchmark and the bundled example.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type {
  DelegatedRole,
  Delegations,
  MetaFile,
  Metadata,
  Root,
  Snapshot,
  Targets,
  TargetFile,
  Timestamp,
} from '../../src/metadata/model.js';
import { serializeMetadata } from '../../src/metadata/serialize.js';
import { binForPath, binNames } from '../../src/metadata/verify.js';
import { signMetadata, testKey, type TestKey, type TestKeyType } from './keys.js';

export interface RepoSpec {
  /** `expires` for every role (strict form). */
  readonly expires: string;
  /** Number of root versions: v1 … vN, each rotating one root key. */
  readonly rootVersions?: number;
  readonly keyType?: TestKeyType;
  /** Key type of the second root key set, to mix Ed25519 and P-256. */
  readonly altKeyType?: TestKeyType;
  readonly targets?: Readonly<Record<string, Uint8Array>>;
  /** How targets are delegated: all in top-level targets, a path role, or hash bins. */
  readonly delegation?: 'none' | 'paths' | 'bins';
  readonly binBitLength?: number;
  readonly consistentSnapshot?: boolean;
  /** Label prefix for keys, so two repositories can have different keys. */
  readonly keyLabel?: string;
}

export interface BuiltRepo {
  /** Metadata files by name, exact bytes. */
  readonly metadata: Map<string, Uint8Array>;
  /** Target files by their served name (hash-prefixed when consistent). */
  readonly targetFiles: Map<string, Uint8Array>;
  readonly roots: Metadata<Root>[];
  readonly keys: {
    readonly root: TestKey[][];
    readonly targets: TestKey;
    readonly snapshot: TestKey;
    readonly timestamp: TestKey;
    readonly delegate: TestKey;
  };
}

const SPEC_VERSION = '1.0.31';

export function targetFileInfo(content: Uint8Array): TargetFile {
  return {
    length: content.length,
    hashes: {
      sha256: createHash('sha256').update(content).digest('hex'),
      sha512: createHash('sha512').update(content).digest('hex'),
    },
  };
}

function metaFor(bytes: Uint8Array, version: number): MetaFile {
  return { version, length: bytes.length, hashes: { sha256: createHash('sha256').update(bytes).digest('hex') } };
}

/** Root key set for version v: keys r(v)…r(v+2); each rotation swaps one key. */
function rootKeysFor(spec: RepoSpec, v: number): TestKey[] {
  const label = spec.keyLabel ?? 'repo';
  const types = [spec.keyType ?? 'ed25519', spec.altKeyType ?? spec.keyType ?? 'ed25519'];
  return [v, v + 1, v + 2].map((i) => testKey(`${label}/root-${String(i)}`, types[i % 2] as TestKeyType));
}

export function buildRepository(spec: RepoSpec): BuiltRepo {
  const label = spec.keyLabel ?? 'repo';
  const keyType = spec.keyType ?? 'ed25519';
  const consistent = spec.consistentSnapshot ?? true;
  const targetsKey = testKey(`${label}/targets`, keyType);
  const snapshotKey = testKey(`${label}/snapshot`, keyType);
  const timestampKey = testKey(`${label}/timestamp`, keyType);
  const delegateKey = testKey(`${label}/delegate`, keyType);
  const metadata = new Map<string, Uint8Array>();
  const targetFiles = new Map<string, Uint8Array>();

  // Root chain: v(N+1) is signed by a threshold of vN's keys and of its own.
  const roots: Metadata<Root>[] = [];
  const rootKeySets: TestKey[][] = [];
  const n = spec.rootVersions ?? 1;
  for (let v = 1; v <= n; v++) {
    const rk = rootKeysFor(spec, v);
    rootKeySets.push(rk);
    const keys: Record<string, Root['keys'][string]> = {};
    for (const k of [...rk, targetsKey, snapshotKey, timestampKey]) keys[k.keyid] = k.tuf;
    const signed: Root = {
      _type: 'root',
      spec_version: SPEC_VERSION,
      version: v,
      expires: spec.expires,
      consistent_snapshot: consistent,
      keys,
      roles: {
        root: { keyids: rk.map((k) => k.keyid), threshold: 2 },
        targets: { keyids: [targetsKey.keyid], threshold: 1 },
        snapshot: { keyids: [snapshotKey.keyid], threshold: 1 },
        timestamp: { keyids: [timestampKey.keyid], threshold: 1 },
      },
    };
    const prev = rootKeySets[v - 2];
    const candidates = prev === undefined ? rk.slice(0, 2) : [...prev.slice(0, 2), ...rk.slice(0, 2)];
    const signers = candidates.filter((k, i) => candidates.findIndex((c) => c.keyid === k.keyid) === i);
    const md = signMetadata(signed, signers);
    roots.push(md);
    const bytes = serializeMetadata(md, `${String(v)}.root.json`);
    metadata.set(`${String(v)}.root.json`, bytes);
    if (v === n) metadata.set('root.json', bytes);
  }

  // Targets and delegated roles.
  const allTargets = spec.targets ?? {};
  const delegation = spec.delegation ?? 'none';
  const topTargets: Record<string, TargetFile> = {};
  const delegated = new Map<string, Record<string, TargetFile>>();
  let delegations: Delegations | undefined;
  if (delegation === 'paths') {
    const role: DelegatedRole = {
      name: 'project',
      keyids: [delegateKey.keyid],
      threshold: 1,
      terminating: true,
      paths: ['project/*'],
    };
    delegations = { keys: { [delegateKey.keyid]: delegateKey.tuf }, roles: [role] };
    delegated.set('project', {});
  } else if (delegation === 'bins') {
    const sr = { keyids: [delegateKey.keyid], threshold: 1, bit_length: spec.binBitLength ?? 4, name_prefix: 'bin' };
    delegations = { keys: { [delegateKey.keyid]: delegateKey.tuf }, succinct_roles: sr };
    for (const name of binNames(sr)) delegated.set(name, {});
  }
  for (const [path, content] of Object.entries(allTargets)) {
    const info = targetFileInfo(content);
    let bucket = topTargets;
    if (delegation === 'paths' && path.startsWith('project/') && !path.slice(8).includes('/')) {
      bucket = delegated.get('project') as Record<string, TargetFile>;
    } else if (delegation === 'bins' && delegations?.succinct_roles !== undefined) {
      bucket = delegated.get(binForPath(delegations.succinct_roles, path)) as Record<string, TargetFile>;
    }
    bucket[path] = info;
    const slash = path.lastIndexOf('/');
    const dir = path.slice(0, slash + 1);
    const base = path.slice(slash + 1);
    if (consistent) {
      for (const h of Object.values(info.hashes)) targetFiles.set(`${dir}${h}.${base}`, content);
    } else {
      targetFiles.set(path, content);
    }
  }

  const snapshotMeta: Record<string, MetaFile> = {};
  const roleFile = (name: string, version: number): string =>
    consistent ? `${String(version)}.${name}.json` : `${name}.json`;
  for (const [name, targets] of delegated) {
    const signed: Targets = { _type: 'targets', spec_version: SPEC_VERSION, version: 1, expires: spec.expires, targets };
    const file = roleFile(name, 1);
    const bytes = serializeMetadata(signMetadata(signed, [delegateKey]), file);
    metadata.set(file, bytes);
    snapshotMeta[`${name}.json`] = metaFor(bytes, 1);
  }
  const targetsSigned: Targets = {
    _type: 'targets',
    spec_version: SPEC_VERSION,
    version: 1,
    expires: spec.expires,
    targets: topTargets,
    ...(delegations === undefined ? {} : { delegations }),
  };
  const targetsBytes = serializeMetadata(signMetadata(targetsSigned, [targetsKey]), roleFile('targets', 1));
  metadata.set(roleFile('targets', 1), targetsBytes);
  snapshotMeta['targets.json'] = metaFor(targetsBytes, 1);

  const snapshot: Snapshot = {
    _type: 'snapshot',
    spec_version: SPEC_VERSION,
    version: 1,
    expires: spec.expires,
    meta: snapshotMeta,
  };
  const snapshotBytes = serializeMetadata(signMetadata(snapshot, [snapshotKey]), roleFile('snapshot', 1));
  metadata.set(roleFile('snapshot', 1), snapshotBytes);
  const timestamp: Timestamp = {
    _type: 'timestamp',
    spec_version: SPEC_VERSION,
    version: 1,
    expires: spec.expires,
    meta: { 'snapshot.json': metaFor(snapshotBytes, 1) },
  };
  metadata.set('timestamp.json', serializeMetadata(signMetadata(timestamp, [timestampKey]), 'timestamp.json'));

  return {
    metadata,
    targetFiles,
    roots,
    keys: { root: rootKeySets, targets: targetsKey, snapshot: snapshotKey, timestamp: timestampKey, delegate: delegateKey },
  };
}

/** Writes a built repository: `DIR/metadata/…` and `DIR/targets/…`. */
export async function writeRepository(dir: string, repo: BuiltRepo): Promise<void> {
  for (const [name, bytes] of repo.metadata) {
    await mkdir(join(dir, 'metadata'), { recursive: true });
    await writeFile(join(dir, 'metadata', name), bytes);
  }
  for (const [name, bytes] of repo.targetFiles) {
    const p = join(dir, 'targets', name);
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, bytes);
  }
}
