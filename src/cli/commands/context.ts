// SPDX-License-Identifier: Apache-2.0
/**
 * What the ceremony commands share: the workspace opened with its trusted
 * root and keyholders, WHO resolution (a keyholder name, a key ID or a
 * public key file), keyholder names for key IDs, and the audit entry each
 * state change appends.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { appendAuditEntry } from '../../audit/log.js';
import { reconcile, type Change } from '../../store/change.js';
import { holdWorkspaceLock, lockWaitMs } from '../../store/lock.js';
import { keyholderNames, type KeyResolver, type Keyholder } from '../../ceremony/root-draft.js';
import type { DeviceDescription } from '../../crypto/signer.js';
import { InputError, VerificationError } from '../../errors.js';
import { withOwner } from '../../metadata/key-owner.js';
import { computeKeyId, type TufKey } from '../../metadata/keys.js';
import type { Root, Signed, Targets } from '../../metadata/model.js';
import { hasValidProof, parsePublicKeyFile, type PublicKeyFile } from '../../metadata/public-key-file.js';
import { loadTrust, readPublishedTargets, sha256Hex, type Artifact, type PublishedFile, type Trust } from '../../store/drafts.js';
import { readBoundedFile } from '../../store/metadata-dir.js';
import { KEY_FILES_DIR, openWorkspace, readKeyFiles, readKeyholders, type Workspace } from '../../store/workspace.js';
import { samePublicKey } from '../../metadata/key-listing.js';
import { stringifySorted } from '../../metadata/serialize.js';
import type { GlobalOptions, Io } from '../io.js';
import { workspaceDir } from './workspace.js';

export interface Ceremony {
  readonly ws: Workspace;
  readonly trust: Trust;
  readonly keyholders: readonly PublicKeyFile[];
  /** keys/: the public key files of online and delegated keys the drafts took from files (names for the review). */
  readonly keyFiles: readonly PublicKeyFile[];
  /** Public key files of no registered keyholder that this command read as WHO: kept in keys/ when it commits. */
  readonly keyFilesRead: PublicKeyFile[];
  readonly io: Io;
  readonly global: GlobalOptions;
  /** The published targets (metadata/targets.json or V.targets.json), read once per command; null when none. */
  readonly publishedTargets: () => PublishedFile<Targets> | null;
}

/**
 * Takes the workspace's lock for the rest of the command (a second command
 * waits, then fails with exit 3 naming the holder) and reconciles what a
 * killed command left: an intent without an outcome, temporary files.
 */
export async function lockWorkspace(dir: string, io: Io, command?: string): Promise<void> {
  await holdWorkspaceLock(dir, { waitMs: lockWaitMs(io.env), onWait: (m) => io.stderr(`${m}\n`), ...(command === undefined ? {} : { command }) });
  const r = await reconcile(dir, io.now());
  if (r.result !== null) io.stderr(`note: audit entry ${String(r.intentSeq)} announced a change that a stopped command did not finish: ${r.result}\n`);
}

/** Opens the workspace under its lock, walks its published root chain and reads the keyholders. */
export async function openCeremony(global: GlobalOptions, io: Io): Promise<Ceremony> {
  const dir = workspaceDir(global, io);
  openWorkspace(dir);
  await lockWorkspace(dir, io);
  const ws = openWorkspace(dir);
  const trust = loadTrust(ws);
  const keyholders = await readKeyholders(ws);
  const keyFiles = await readKeyFiles(ws);
  // Targets may hold 100,000 entries: read and parsed at most once, and only when a command needs them.
  let targets: PublishedFile<Targets> | null | undefined;
  const publishedTargets = (): PublishedFile<Targets> | null => (targets === undefined ? (targets = readPublishedTargets(ws)) : targets);
  return { ws, trust, keyholders, keyFiles, keyFilesRead: [], io, global, publishedTargets };
}

/** The trusted (latest published) root's `signed`, or null. */
export function trustedRoot(c: Ceremony): Root | null {
  return c.trust.root?.md.signed ?? null;
}

function asKeyholders(list: readonly PublicKeyFile[]): Keyholder[] {
  return list.map((p) => ({ name: p.name, keyid: p.keyid, key: p.key }));
}

/** Something holding a key map: a root, or a targets draft's `delegations`. */
export type KeyMapHolder = Pick<Root, 'keys'> | null | undefined;

/**
 * Keyholder names for key IDs, including keys held under other key IDs by
 * the given roots (or delegations): the registered keyholders first, then
 * the kept public key files of online and delegated keys (keys/).
 */
export function namesFor(c: Ceremony, ...roots: KeyMapHolder[]): (keyid: string) => string | undefined {
  return keyholderNames(asKeyholders([...c.keyholders, ...c.keyFiles]), trustedRoot(c), ...roots);
}

/** Names by key ID for the keys of the given signed objects, as a plain record. */
export function nameRecord(c: Ceremony, keyids: Iterable<string>, ...roots: KeyMapHolder[]): Record<string, string> {
  const names = namesFor(c, ...roots);
  const out: Record<string, string> = {};
  for (const k of keyids) {
    const n = names(k);
    if (n !== undefined) out[k] = n;
  }
  return out;
}

/** Every key ID a signed object mentions (root keys, delegation keys). */
export function keyIdsOf(signed: Signed | null): string[] {
  if (signed === null) return [];
  if (signed._type === 'root') return Object.keys(signed.keys);
  if (signed._type === 'targets') return Object.keys(signed.delegations?.keys ?? {});
  return [];
}

const KEYID = /^[0-9a-f]{64}$/;

/** Reads a public key file named on the command line or in a plan, checking its proof of possession. */
export function readPublicKeyArg(path: string, io: Io, shown = path): PublicKeyFile {
  const pub = parsePublicKeyFile(readBoundedFile(resolve(io.cwd, path), 64 * 1024), shown);
  if (!hasValidProof(pub)) {
    throw new VerificationError(`${shown}: the proof of possession does not verify: the key, name or date was altered, or the key was substituted`, {
      file: shown,
      field: 'proof_of_possession',
    });
  }
  return pub;
}

/**
 * Resolves WHO: a registered keyholder's name, a key ID (of a keyholder, or
 * of a key the trusted root or `extra` holds: a root draft, a targets
 * draft's delegations), or the path of a public key file (its proof of
 * possession checked). `kind` restricts plan entries.
 * @param baseDir where relative key file paths are resolved (a plan's directory)
 */
export function keyResolver(c: Ceremony, extra: readonly KeyMapHolder[] = [], baseDir = c.io.cwd): KeyResolver {
  return (who, kind) => {
    const holder = c.keyholders.find((p) => p.name === who);
    if (kind !== 'key-file' && holder !== undefined) return { keyid: holder.keyid, key: holder.key, keyholder: holder.name };
    if (kind === 'keyholder') {
      throw new InputError(`"${who}" is not a registered keyholder`, {
        field: 'WHO',
        hint: `registered: ${c.keyholders.map((p) => p.name).join(', ') || 'none'}; register with \`tuf-ceremony keyholder add NAME.pub.json\``,
      });
    }
    if (kind !== 'key-file' && KEYID.test(who)) {
      const byId = c.keyholders.find((p) => p.keyid === who);
      if (byId !== undefined) return { keyid: byId.keyid, key: byId.key, keyholder: byId.name };
      for (const root of [trustedRoot(c), ...extra]) {
        const key: TufKey | undefined = root === null || root === undefined ? undefined : Object.hasOwn(root.keys, who) ? root.keys[who] : undefined;
        if (key !== undefined) return { keyid: who, key };
      }
      throw new InputError(`key ID ${who} is neither a registered keyholder's key nor a key of the published root or the draft`, { field: 'WHO' });
    }
    const path = resolve(baseDir, who);
    if (existsSync(path)) {
      const pub = readPublicKeyArg(path, c.io, who);
      const registered = c.keyholders.find((p) => p.keyid === pub.keyid);
      if (!c.keyholders.some((p) => samePublicKey(p.key, pub.key))) c.keyFilesRead.push(pub);
      return { keyid: computeKeyId(pub.key), key: pub.key, keyholder: registered?.name ?? pub.name };
    }
    throw new InputError(`"${who}" is not a registered keyholder, a key ID, or a public key file`, {
      field: 'WHO',
      hint: `registered keyholders: ${c.keyholders.map((p) => p.name).join(', ') || 'none'}`,
    });
  };
}

/**
 * A resolved key as it is written into a draft: with its keyholder's name
 * bound in the key object (`x-tuf-on-ci-keyowner`), so the
 * hash the keyholders read aloud covers the name.
 */
export function boundKey(k: ReturnType<KeyResolver>): ReturnType<KeyResolver> {
  return k.keyholder === undefined ? k : { ...withOwner(k.key, k.keyholder), keyholder: k.keyholder };
}

/** An artifact entry for a file's bytes. */
export function artifact(path: string, bytes: Uint8Array): Artifact {
  return { path, sha256: sha256Hex(bytes) };
}

const strip = (a: Artifact): Artifact => ({ path: a.path, sha256: a.sha256 });

/**
 * Commits `change` with the command's entry as its write-ahead intent
 * (store/change.ts): the files it writes are added to `written`.
 * @returns the log's head after the outcome
 */
export async function commit(
  c: Ceremony,
  change: Change,
  command: string,
  read: readonly Artifact[],
  details: Record<string, unknown>,
  actor = 'coordinator',
  written: readonly Artifact[] = []
): Promise<string> {
  const kept = keepKeyFiles(c, change);
  // The transcript names these keys from the log alone.
  const all = kept.length === 0 ? details : { ...details, key_files: kept.map((p) => ({ name: p.name, keyid: p.keyid })) };
  const { head } = await change.commit({ actor, command, artifacts: { read: read.map(strip), written: written.map(strip) }, device: null, details: all }, c.io.now());
  return head;
}

/**
 * Adds to `change` the public key files of no registered keyholder this
 * command took keys from (online and delegated keys), as keys/NAME.pub.json,
 * so reviews and `status` show their names. A name that is a keyholder's,
 * or that keys/ holds for another key, is not kept (a note says so): one
 * name, one key.
 * @returns the files added
 */
function keepKeyFiles(c: Ceremony, change: Change): PublicKeyFile[] {
  const kept = [...c.keyFiles];
  const added: PublicKeyFile[] = [];
  for (const pub of c.keyFilesRead) {
    const same = kept.find((k) => k.name === pub.name) ?? c.keyholders.find((k) => k.name === pub.name);
    if (same !== undefined) {
      if (!samePublicKey(same.key, pub.key)) c.io.stderr(`note: the name "${pub.name}" of key ${pub.keyid.slice(0, 16)} is not kept in ${KEY_FILES_DIR}/: it names another key in this workspace\n`);
      continue;
    }
    change.write(`${KEY_FILES_DIR}/${pub.name}.pub.json`, stringifySorted(pub), { exclusive: true });
    kept.push(pub);
    added.push(pub);
  }
  return added;
}

/** Appends the command's audit entry (a change of no file); returns the new head. */
export async function audit(
  c: Ceremony,
  command: string,
  read: readonly Artifact[],
  written: readonly Artifact[],
  details: Record<string, unknown>,
  actor = 'coordinator',
  device: DeviceDescription | null = null
): Promise<string> {
  const { head } = await appendAuditEntry(
    c.ws.dir,
    { actor, command, artifacts: { read: read.map(strip), written: written.map(strip) }, device, details },
    c.io.now()
  );
  return head;
}

/** Prints a JSON document (with --json) or lines of text. */
export function output(c: { global: GlobalOptions; io: Io }, json: unknown, lines: readonly string[]): void {
  if (c.global.json) c.io.stdout(JSON.stringify(json, null, 2) + '\n');
  else for (const l of lines) c.io.stdout(l + '\n');
}
