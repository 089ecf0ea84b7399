// SPDX-License-Identifier: Apache-2.0
/**
 * Small signed repositories (root, timestamp, snapshot, targets, optional
 * delegated roles) with hooks that change the `signed` objects before they
 * are signed: the quirks real repositories carry, which the profile-checking
 * serializer of test/support/repo.ts refuses to write. Signatures are real
 * (test keys, canonical bytes). Files are written with sorted keys.
 */
import { createHash, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { canonicalBytes } from '../../src/metadata/canonical.js';
import { computeKeyId } from '../../src/metadata/keys.js';
import { stringifySorted } from '../../src/metadata/serialize.js';
import type { MetadataSource } from '../../src/verify/repository.js';
import { signBytes, testKey, type TestKey, type TestKeyType } from './keys.js';

/** A key that signs: a test key, or any key with its own signing function. */
export interface QuirkSigner {
  readonly keyid: string;
  readonly tuf: Record<string, unknown>;
  sign(data: Uint8Array): string;
}

export function signerOf(k: TestKey): QuirkSigner {
  return { keyid: k.keyid, tuf: k.tuf as unknown as Record<string, unknown>, sign: (d) => signBytes(k, d) };
}

export function testSigner(label: string, type: TestKeyType = 'ed25519'): QuirkSigner {
  return signerOf(testKey(label, type));
}

let p384: KeyObject | undefined;
/** An ECDSA P-384 key (`ecdsa-sha2-nistp384`, SHA-384 signatures), as tuf-on-ci YubiKeys make. */
export function p384Signer(): QuirkSigner {
  p384 ??= generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey;
  const priv = p384;
  const tuf = { keytype: 'ecdsa', scheme: 'ecdsa-sha2-nistp384', keyval: { public: createPublicKey(priv).export({ type: 'spki', format: 'pem' }) as string } };
  return { keyid: computeKeyId(tuf), tuf, sign: (d) => sign('sha384', d, { key: priv, dsaEncoding: 'der' }).toString('hex') };
}

let rsa: KeyObject | undefined;
/** An RSA key with scheme `rsa-pkcs1v15-sha256` (as TAF writes). */
export function rsaPkcs1Signer(): QuirkSigner {
  rsa ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const priv = rsa;
  const tuf = { keytype: 'rsa', scheme: 'rsa-pkcs1v15-sha256', keyval: { public: createPublicKey(priv).export({ type: 'spki', format: 'pem' }) as string } };
  return { keyid: computeKeyId(tuf), tuf, sign: (d) => sign('sha256', d, priv).toString('hex') };
}

type Obj = Record<string, unknown>;

export interface QuirkSpec {
  readonly expires?: string;
  readonly consistentSnapshot?: boolean;
  /** Signers per top-level role (default: one Ed25519 test key each). */
  readonly signers?: Partial<Record<'root' | 'targets' | 'snapshot' | 'timestamp', readonly QuirkSigner[]>>;
  /** Delegated roles of targets: name → signers; each gets `paths: ["NAME/*"]`. */
  readonly delegated?: Readonly<Record<string, readonly QuirkSigner[]>>;
  /** Changes to each `signed` before it is signed (and before snapshot/timestamp hash it). */
  readonly hooks?: {
    readonly root?: (signed: Obj) => void;
    readonly targets?: (signed: Obj) => void;
    readonly snapshot?: (signed: Obj) => void;
    readonly timestamp?: (signed: Obj) => void;
    readonly delegated?: (name: string, signed: Obj) => void;
  };
  /** Changes to an envelope after signing (signatures, tampering). */
  readonly after?: (file: string, md: { signed: Obj; signatures: { keyid: string; sig: string }[] }) => void;
}

export interface QuirkRepo {
  readonly files: Map<string, Uint8Array>;
  readonly signers: Record<'root' | 'targets' | 'snapshot' | 'timestamp', readonly QuirkSigner[]>;
}

function envelope(file: string, signed: Obj, signers: readonly QuirkSigner[], spec: QuirkSpec): Uint8Array {
  const data = canonicalBytes(signed);
  const md = { signed, signatures: signers.map((s) => ({ keyid: s.keyid, sig: s.sign(data) })) };
  spec.after?.(file, md);
  return Buffer.from(stringifySorted(md), 'utf8');
}

function meta(bytes: Uint8Array, version: number): Obj {
  return { version, length: bytes.length, hashes: { sha256: createHash('sha256').update(bytes).digest('hex') } };
}

/** Builds the repository: `1.root.json`, `root.json`, `timestamp.json`, snapshot, targets, delegated roles. */
export function quirkyRepo(spec: QuirkSpec = {}): QuirkRepo {
  const expires = spec.expires ?? '2031-01-01T00:00:00Z';
  const consistent = spec.consistentSnapshot ?? true;
  const signers = {
    root: spec.signers?.root ?? [testSigner('quirk/root')],
    targets: spec.signers?.targets ?? [testSigner('quirk/targets')],
    snapshot: spec.signers?.snapshot ?? [testSigner('quirk/snapshot')],
    timestamp: spec.signers?.timestamp ?? [testSigner('quirk/timestamp')],
  };
  const keys: Obj = {};
  const roles: Obj = {};
  for (const [role, list] of Object.entries(signers)) {
    for (const s of list) keys[s.keyid] = s.tuf;
    roles[role] = { keyids: list.map((s) => s.keyid), threshold: list.length };
  }
  const files = new Map<string, Uint8Array>();
  const common = (type: string): Obj => ({ _type: type, spec_version: '1.0.31', version: 1, expires });
  const root: Obj = { ...common('root'), consistent_snapshot: consistent, keys, roles };
  spec.hooks?.root?.(root);
  const rootBytes = envelope('1.root.json', root, signers.root, spec);
  files.set('1.root.json', rootBytes);
  files.set('root.json', rootBytes);
  const name = (role: string): string => (consistent ? `1.${role}.json` : `${role}.json`);

  const snapMeta: Obj = {};
  const delegated = spec.delegated ?? {};
  const dkeys: Obj = {};
  const droles: Obj[] = [];
  for (const [role, list] of Object.entries(delegated)) {
    for (const s of list) dkeys[s.keyid] = s.tuf;
    droles.push({ name: role, keyids: list.map((s) => s.keyid), threshold: list.length, terminating: true, paths: [`${role}/*`] });
    const signed: Obj = { ...common('targets'), targets: {} };
    spec.hooks?.delegated?.(role, signed);
    const bytes = envelope(name(role), signed, list, spec);
    files.set(name(role), bytes);
    snapMeta[`${role}.json`] = meta(bytes, 1);
  }
  const targets: Obj = { ...common('targets'), targets: { 'a.txt': { length: 1, hashes: { sha256: createHash('sha256').update('a').digest('hex') } } } };
  if (droles.length > 0) targets['delegations'] = { keys: dkeys, roles: droles };
  spec.hooks?.targets?.(targets);
  const targetsBytes = envelope(name('targets'), targets, signers.targets, spec);
  files.set(name('targets'), targetsBytes);
  snapMeta['targets.json'] = meta(targetsBytes, 1);
  const snapshot: Obj = { ...common('snapshot'), meta: snapMeta };
  spec.hooks?.snapshot?.(snapshot);
  const snapBytes = envelope(name('snapshot'), snapshot, signers.snapshot, spec);
  files.set(name('snapshot'), snapBytes);
  const timestamp: Obj = { ...common('timestamp'), meta: { 'snapshot.json': meta(snapBytes, 1) } };
  spec.hooks?.timestamp?.(timestamp);
  files.set('timestamp.json', envelope('timestamp.json', timestamp, signers.timestamp, spec));
  return { files, signers };
}

/**
 * A {@link MetadataSource} over files in memory: a copy on every read, as a
 * directory gives (fresh: verify reads them in place, as it does files on disk).
 */
export function memorySource(files: ReadonlyMap<string, Uint8Array>): MetadataSource {
  return {
    names: [...files.keys()].sort(),
    fresh: true,
    read: (n) => {
      const b = files.get(n);
      return b === undefined ? undefined : Uint8Array.from(b);
    },
  };
}
