// SPDX-License-Identifier: Apache-2.0
/**
 * Ceremony state on disk: the drafts (`drafts/ROLE.json`, a TUF envelope
 * with the signatures collected so far) and the published metadata
 * (`metadata/`), read the way a client reads them.
 *
 * The trusted root is the end of the published root chain, walked from
 * `1.root.json` (self-signed) through every N→N+1 rotation. Expiry is not
 * judged here: a ceremony must be able to rotate an expired root.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, IoError, VerificationError } from '../errors.js';
import type { Change } from './change.js';
import type { Metadata, ParsedMetadata, Root, Signed, Targets } from '../metadata/model.js';
import { own } from '../metadata/model.js';
import { MAX_ROOT_BYTES, parseMetadata } from '../metadata/parse.js';
import { serializeMetadata } from '../metadata/serialize.js';
import { sha256Hex } from '../metadata/sha256.js';
import { verifyRootRotation, verifyThreshold } from '../metadata/verify.js';
import { readBoundedFile, readOptionalFile } from './metadata-dir.js';
import type { Workspace } from './workspace.js';

/** Roles that have drafts in a workspace. */
export const DRAFT_ROLES = ['root', 'targets'] as const;
export type DraftRole = (typeof DRAFT_ROLES)[number];

/** Drafts larger than this are refused (targets with 100,000 entries are about 43 MB). */
export const MAX_DRAFT_BYTES = 256 * 1024 * 1024;

/** A file read or written, as the audit log records it. */
export interface Artifact {
  readonly path: string;
  readonly sha256: string;
}

export { sha256Hex };

/** A draft as read from disk. */
export interface DraftFile<T extends Signed = Signed> {
  /** Workspace-relative path, `drafts/ROLE.json`. */
  readonly file: string;
  readonly bytes: Uint8Array;
  readonly md: ParsedMetadata<T>;
}

export function assertDraftRole(role: string): DraftRole {
  if (!(DRAFT_ROLES as readonly string[]).includes(role)) {
    throw new InputError(`ROLE: "${role}" has no drafts; drafts are for ${DRAFT_ROLES.join(' and ')}`, { field: 'ROLE' });
  }
  return role as DraftRole;
}

export function draftRel(role: DraftRole): string {
  return `drafts/${role}.json`;
}

/** Reads `drafts/ROLE.json`, or null when there is no draft. @throws InputError for a malformed draft */
export function readDraft<R extends DraftRole>(ws: Workspace, role: R): DraftFile<R extends 'root' ? Root : Targets> | null {
  const rel = draftRel(role);
  const bytes = readOptionalFile(join(ws.dir, rel), role === 'root' ? MAX_ROOT_BYTES : MAX_DRAFT_BYTES);
  if (bytes === null) return null;
  const md = parseMetadata(bytes, rel, role) as unknown as ParsedMetadata<R extends 'root' ? Root : Targets>;
  return { file: rel, bytes, md };
}

/**
 * Plans writing the draft (sorted, indented JSON in the safe profile) as part
 * of `change`; it is written when the change commits with its audit entry.
 * @returns the artifact to be written
 */
export function writeDraft(change: Change, role: DraftRole, md: Metadata): Artifact & { bytes: Uint8Array } {
  const rel = draftRel(role);
  const bytes = serializeMetadata(md, rel);
  const a = change.write(rel, bytes);
  return { path: a.path, sha256: a.sha256, bytes };
}

/** A published file as read. */
export interface PublishedFile<T extends Signed = Signed> {
  /** Workspace-relative path. */
  readonly file: string;
  readonly bytes: Uint8Array;
  readonly md: ParsedMetadata<T>;
}

/** The published root chain. */
export interface Trust {
  /** The last root of the chain; null when nothing is published. */
  readonly root: PublishedFile<Root> | null;
  /** Every `N.root.json`, in version order. */
  readonly chain: readonly PublishedFile<Root>[];
}

function listMetadata(ws: Workspace): string[] {
  try {
    return readdirSync(join(ws.dir, 'metadata'));
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    throw new IoError(`${join(ws.dir, 'metadata')}: cannot list (${code ?? 'error'})`, { cause });
  }
}

/**
 * Walks the published root chain: `1.root.json` (or the lowest present)
 * signed by a threshold of its own root keys, then each N+1 signed by the
 * thresholds of N and of itself. Expiry is not checked.
 * @throws VerificationError (exit 1) when the chain is broken
 * @throws InputError (exit 2) when a root file is malformed
 */
export function loadTrust(ws: Workspace): Trust {
  const versions = listMetadata(ws)
    .map((f) => /^([1-9][0-9]{0,9})\.root\.json$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  const chain: PublishedFile<Root>[] = [];
  for (const v of versions) {
    const file = `metadata/${String(v)}.root.json`;
    const bytes = readBoundedFile(join(ws.dir, file), MAX_ROOT_BYTES);
    const md = parseMetadata(bytes, file, 'root');
    if (md.signed.version !== v) {
      throw new VerificationError(`${file}: root: holds version ${String(md.signed.version)}, not ${String(v)}`, { file, field: 'signed.version' });
    }
    const prev = chain.at(-1);
    if (prev === undefined) {
      const self = verifyThreshold('root', own(md.signed.roles, 'root') ?? { keyids: [], threshold: 1 }, md.signed.keys, md);
      if (!self.met) {
        throw new VerificationError(`${file}: root: signed by ${String(self.counted)} of its own root keys where ${String(self.threshold)} are needed`, { file });
      }
    } else {
      if (v !== prev.md.signed.version + 1) {
        throw new VerificationError(`${file}: root: follows version ${String(prev.md.signed.version)}; ${String(prev.md.signed.version + 1)}.root.json is missing`, { file });
      }
      const r = verifyRootRotation(prev.md.signed, md);
      if (!r.ok) {
        throw new VerificationError(
          `${file}: root: not a valid rotation from version ${String(prev.md.signed.version)} (old root keys: ${String(r.old.counted)} of ${String(r.old.threshold)}, new root keys: ${String(r.new.counted)} of ${String(r.new.threshold)})`,
          { file, hint: 'run `tuf-ceremony verify metadata` to see every check' }
        );
      }
    }
    chain.push({ file, bytes, md });
  }
  return { root: chain.at(-1) ?? null, chain };
}

/**
 * The published targets metadata (`metadata/targets.json`, else the highest
 * `V.targets.json`), or null. Its signatures are not judged here.
 */
export function readPublishedTargets(ws: Workspace): PublishedFile<Targets> | null {
  const names = listMetadata(ws);
  const versioned = names
    .map((f) => /^([1-9][0-9]{0,9})\.targets\.json$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => b - a);
  const name = names.includes('targets.json') ? 'targets.json' : versioned[0] === undefined ? undefined : `${String(versioned[0])}.targets.json`;
  if (name === undefined) return null;
  const file = `metadata/${name}`;
  const bytes = readBoundedFile(join(ws.dir, file), MAX_DRAFT_BYTES);
  return { file, bytes, md: parseMetadata(bytes, file, 'targets') };
}
