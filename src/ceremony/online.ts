// SPDX-License-Identifier: Apache-2.0
/**
 * The online roles' metadata: snapshot, timestamp and delegated targets
 * roles such as hash bins, which a repository signs with online keys (the
 * ceremony commands only make root and targets). `drill` builds them to
 * publish a complete repository; so could a repository service.
 *
 * Pure: objects and bytes in, objects out; times are passed in. Signing goes
 * through the {@link Signer} interface, so the keys may live anywhere.
 *
 * Format rules (tuf-crib §4, §5): snapshot lists `targets.json` and every
 * delegated role, timestamp lists only `snapshot.json`; `length` and
 * `hashes` cover the exact bytes served, so a file is never re-serialized
 * after it was hashed; with consistent snapshots, files are `V.NAME.json`
 * (timestamp never) and target files `DIR/HASH.BASENAME`, one copy per hash.
 */
import { createHash } from 'node:crypto';
import type { Signer } from '../crypto/signer.js';
import { canonicalBytes } from '../metadata/canonical.js';
import type { Metadata, MetaFile, Signed, Snapshot, TargetFile, Targets, Timestamp } from '../metadata/model.js';
import { SPEC_VERSION } from './root-draft.js';

/** A metadata file as served: its name (`targets.json`, `bins-0a1f.json`), version and exact bytes. */
export interface ServedMetadata {
  readonly name: string;
  readonly version: number;
  readonly bytes: Uint8Array;
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** The META entry for a file: version, length and SHA-256 of the exact bytes. */
export function metaFileFor(version: number, bytes: Uint8Array): MetaFile {
  return { version, length: bytes.length, hashes: { sha256: sha256(bytes) } };
}

/** The target entry for a file: length, SHA-256 and SHA-512 (PEP 458 recommends SHA-512). */
export function targetFileFor(bytes: Uint8Array): TargetFile {
  return { length: bytes.length, hashes: { sha256: sha256(bytes), sha512: createHash('sha512').update(bytes).digest('hex') } };
}

/**
 * A file the snapshot will list, by its META entry: hashed as soon as it is
 * written, so a writer of 16,384 bins need not hold every bin's bytes until
 * the snapshot (held, they are hundreds of MB outside the JavaScript heap,
 * and each 64 MB more of them sets off a full garbage collection).
 */
export interface ListedMetadata {
  readonly name: string;
  readonly meta: MetaFile;
}

/** The {@link ListedMetadata} of a file as served. */
export function listedMetadata(file: ServedMetadata): ListedMetadata {
  return { name: file.name, meta: metaFileFor(file.version, file.bytes) };
}

/** Snapshot version `version`, listing each file (spec §snapshot.json: targets.json and every delegated role). */
export function makeSnapshot(version: number, expires: string, files: readonly (ServedMetadata | ListedMetadata)[]): Snapshot {
  const meta: Record<string, MetaFile> = {};
  for (const f of files) meta[f.name] = 'meta' in f ? f.meta : metaFileFor(f.version, f.bytes);
  return { _type: 'snapshot', spec_version: SPEC_VERSION, version, expires, meta };
}

/** Timestamp version `version`, listing only the snapshot (python-tuf and tuf-js re-emit no other entry). */
export function makeTimestamp(version: number, expires: string, snapshot: Omit<ServedMetadata, 'name'>): Timestamp {
  return { _type: 'timestamp', spec_version: SPEC_VERSION, version, expires, meta: { 'snapshot.json': metaFileFor(snapshot.version, snapshot.bytes) } };
}

/** A delegated targets role (a hash bin, a project) listing `targets`. */
export function makeDelegatedTargets(version: number, expires: string, targets: Readonly<Record<string, TargetFile>>): Targets {
  return { _type: 'targets', spec_version: SPEC_VERSION, version, expires, targets };
}

/**
 * Signs `signed` with every signer, over its canonical bytes (spec §6).
 * Each signer verifies its own signature before returning it.
 */
export async function signWith<T extends Signed>(signed: T, signers: readonly Signer[]): Promise<Metadata<T>> {
  const bytes = canonicalBytes(signed);
  const signatures = [];
  for (const s of signers) signatures.push({ keyid: s.keyid, sig: await s.sign(bytes) });
  return { signed, signatures };
}

/** The served name of a role's metadata: `V.NAME.json` with consistent snapshots (never for timestamp), else `NAME.json`. */
export function metadataFileName(role: string, version: number, consistentSnapshot: boolean): string {
  return consistentSnapshot && role !== 'timestamp' ? `${String(version)}.${role}.json` : `${role}.json`;
}

/**
 * Where a target file is served: `DIR/HASH.BASENAME` for each of its hashes
 * with consistent snapshots (clients pick one; go-tuf at random), else its path.
 */
export function targetFileNames(path: string, file: TargetFile, consistentSnapshot: boolean): string[] {
  if (!consistentSnapshot) return [path];
  const slash = path.lastIndexOf('/');
  const dir = path.slice(0, slash + 1);
  const base = path.slice(slash + 1);
  return Object.values(file.hashes).map((h) => `${dir}${h}.${base}`);
}
