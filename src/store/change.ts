// SPDX-License-Identifier: Apache-2.0
/**
 * A workspace change with a write-ahead audit entry (docs/formats.md,
 * "Audit log"; docs/reliability.md, "Crash points").
 *
 * Under the workspace lock, a command plans its writes and removals, then
 * {@link Change.commit}:
 *   1. stages every new file as `.NAME.TX.tmp` beside its target (fsynced);
 *   2. appends the INTENT: the command's own entry, whose `details.change`
 *      lists every file to write (path, new SHA-256, previous SHA-256 or
 *      null) and to remove (path, previous SHA-256);
 *   3. renames the staged files into place and removes what goes;
 *   4. appends the OUTCOME entry (`command: "outcome"`, the intent's seq).
 * A process stopped anywhere (SIGKILL, power loss) leaves either staged
 * files and no intent (removed by the next command: nothing changed) or an
 * intent without an outcome, which {@link reconcile} (run by the next
 * command under the lock) finishes from the staged files, or rolls back
 * when nothing was applied yet, and logs which. No file of the workspace
 * changes without its entry.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { appendAuditEntry, readLastEntry } from '../audit/log.js';
import type { AuditArtifact, AuditEntry, AuditEvent } from '../audit/entry.js';
import { InputError, VerificationError } from '../errors.js';
import { canonicalBytes } from '../metadata/canonical.js';
import type { JsonValue } from '../metadata/json.js';
import { sha256Hex } from '../metadata/sha256.js';
import { assertNoLinks, fsyncDir, removeStaleTemps, renameInto, tempNameFor, writeTemp } from './atomic.js';
import { crashPoint } from './crash-point.js';
import { readOptionalFile } from './metadata-dir.js';

/** Files larger than this are not read to hash what they replace (a draft is at most 256 MiB). */
const MAX_FILE = 512 * 1024 * 1024;

/** A list in an entry's details longer than this is written beside the log as an artifact. */
export const MAX_LISTED = 200;

/** Where such lists are written, relative to the workspace. */
export const DETAILS_DIR = 'audit/details';

/** Directories of a workspace where a killed process may leave temporary files. */
export const WORKSPACE_DIRS = ['.', 'keyholders', 'metadata', 'drafts', 'requests', 'signatures', 'audit', DETAILS_DIR, 'runs'];

interface PlannedWrite {
  readonly rel: string;
  readonly bytes: Uint8Array;
  readonly sha256: string;
  readonly previous: string | null;
  readonly mode: number;
}

interface PlannedRemove {
  readonly rel: string;
  readonly previous: string;
}

/** The `details.change` of an intent entry. */
export interface ChangeRecord {
  readonly tx: string;
  readonly writes: readonly { readonly path: string; readonly sha256: string; readonly previous: string | null }[];
  readonly removes: readonly { readonly path: string; readonly previous: string }[];
}

function hashOf(dir: string, rel: string): string | null {
  const b = readOptionalFile(join(dir, rel), MAX_FILE);
  return b === null ? null : sha256Hex(b);
}

function mkdirs(root: string, rel: string): void {
  const d = dirname(rel);
  if (d === '.' || existsSync(join(root, d))) return;
  assertNoLinks(root, join(root, d));
  mkdirSync(join(root, d), { recursive: true });
}

/** A planned change of a workspace's files. Make it under the workspace lock. */
export class Change {
  private readonly writes = new Map<string, PlannedWrite>();
  private readonly removes = new Map<string, PlannedRemove>();

  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  /**
   * Plans writing `bytes` to `rel`. With `exclusive`, an existing file is
   * refused unless it holds these very bytes (then nothing is written).
   * @returns the artifact (path, SHA-256)
   */
  write(rel: string, bytes: Uint8Array | string, opts: { readonly exclusive?: boolean; readonly mode?: number } = {}): AuditArtifact {
    const b = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
    assertNoLinks(this.dir, join(this.dir, rel));
    const sha256 = sha256Hex(b);
    const previous = hashOf(this.dir, rel);
    if (opts.exclusive === true && previous !== null && previous !== sha256) {
      throw new InputError(`${rel}: already exists with other content; not replaced`, { file: rel });
    }
    this.removes.delete(rel);
    if (previous === sha256) this.writes.delete(rel);
    else this.writes.set(rel, { rel, bytes: b, sha256, previous, mode: opts.mode ?? 0o644 });
    return { path: rel, sha256 };
  }

  /** Plans removing `rel` (nothing when it is absent). */
  remove(rel: string): void {
    assertNoLinks(this.dir, join(this.dir, rel));
    this.writes.delete(rel);
    const previous = hashOf(this.dir, rel);
    if (previous !== null) this.removes.set(rel, { rel, previous });
  }

  /** True when nothing would change. */
  get empty(): boolean {
    return this.writes.size === 0 && this.removes.size === 0;
  }

  /**
   * Moves every list in `details` longer than {@link MAX_LISTED} into a file
   * of `audit/details/` (part of this change), leaving its count and SHA-256.
   */
  private spill(details: object): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(details)) {
      if (Array.isArray(v) && v.length > MAX_LISTED) {
        const bytes = canonicalBytes(v as JsonValue);
        const sha = sha256Hex(bytes);
        const a = this.write(`${DETAILS_DIR}/${sha}.json`, bytes);
        out[k] = { count: v.length, sha256: sha, file: a.path };
      } else out[k] = v;
    }
    return out;
  }

  /**
   * Stages the files, appends the intent (`event`, with the files written
   * added to its artifacts and `details.change`), applies the change and
   * appends the outcome.
   * @returns the log's head after the outcome, and the intent entry
   * @throws InputError (exit 2) when the entry cannot be recorded: then nothing changed
   */
  async commit(event: AuditEvent, timeMs: number): Promise<{ head: string; entry: AuditEntry }> {
    // Lists too long for one entry (details, files read) are written beside the log, as part of this change.
    let read = event.artifacts?.read ?? [];
    const details = this.spill({ ...(event.details ?? {}), ...(read.length > MAX_LISTED ? { files_read: read } : {}) });
    if (read.length > MAX_LISTED) {
      const f = details['files_read'] as { sha256: string; file: string };
      read = [{ path: f.file, sha256: f.sha256 }];
    }
    const writes = [...this.writes.values()];
    const removes = [...this.removes.values()];
    // Named by what it changes (the same answers give the same log): a change is made once from a given state.
    const plan = { writes: writes.map((w) => ({ path: w.rel, sha256: w.sha256, previous: w.previous })), removes: removes.map((r) => ({ path: r.rel, previous: r.previous })) };
    const tx = sha256Hex(canonicalBytes(plan)).slice(0, 16);
    const staged: string[] = [];
    try {
      for (const w of writes) {
        mkdirs(this.dir, w.rel);
        const tmp = tempNameFor(join(this.dir, w.rel), tx);
        // Left by a killed run of this very change (no intent was recorded): made again.
        await unlink(tmp).catch(() => undefined);
        await writeTemp(tmp, w.bytes, w.mode);
        staged.push(tmp);
      }
      for (const d of new Set(staged.map((t) => dirname(t)))) await fsyncDir(d);
    } catch (cause) {
      for (const t of staged) await unlink(t).catch(() => undefined);
      throw cause;
    }
    const change: ChangeRecord = { tx, ...plan };
    let intent: AuditEntry;
    try {
      const written = [...(event.artifacts?.written ?? [])];
      for (const w of writes) if (!written.some((a) => a.path === w.rel && a.sha256 === w.sha256)) written.push({ path: w.rel, sha256: w.sha256 });
      intent = (
        await appendAuditEntry(
          this.dir,
          { ...event, artifacts: { read, written }, details: { ...details, change } },
          timeMs
        )
      ).entry;
    } catch (cause) {
      // No intent recorded: nothing may change.
      for (const t of staged) await unlink(t).catch(() => undefined);
      throw cause;
    }
    await apply(this.dir, change);
    const { head } = await appendAuditEntry(this.dir, outcomeEvent(intent, 'completed'), timeMs);
    return { head, entry: intent };
  }
}

function outcomeEvent(intent: AuditEntry, result: 'completed' | 'completed on recovery' | 'rolled back'): AuditEvent {
  return { actor: intent.actor, command: 'outcome', details: { tx: (intent.details['change'] as { tx: string }).tx, intent_seq: intent.seq, of: intent.command, result } };
}

/** Renames the staged files into place and removes what goes. */
async function apply(dir: string, change: ChangeRecord): Promise<void> {
  for (const w of change.writes) {
    const target = join(dir, w.path);
    const tmp = tempNameFor(target, change.tx);
    if (existsSync(tmp)) await renameInto(tmp, target);
  }
  for (const r of change.removes) {
    const target = join(dir, r.path);
    await unlink(target).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
    crashPoint(`removed ${basename(target)}`);
    await fsyncDir(dirname(target));
  }
}

function changeOf(e: AuditEntry | null): ChangeRecord | null {
  if (e === null || e.command === 'outcome') return null;
  const c = e.details['change'];
  if (typeof c !== 'object' || c === null || Array.isArray(c)) return null;
  return c as unknown as ChangeRecord;
}

export interface Reconciled {
  /** What was done about an intent without an outcome; null when there was none. */
  readonly result: 'completed on recovery' | 'rolled back' | null;
  readonly intentSeq: number | null;
  /** Temporary files removed. */
  readonly removed: readonly string[];
}

/**
 * Brings the workspace to a state its log accounts for: an intent without an
 * outcome is finished from its staged files (or rolled back when nothing of
 * it was applied and a staged file is missing), and that is logged; then
 * every temporary file left by a killed process is removed. Call under the
 * workspace lock, before reading the workspace.
 * @throws VerificationError (exit 1) when files were changed by something
 *   other than the change the log announces, so that it can be neither
 *   finished nor undone
 */
export async function reconcile(dir: string, timeMs: number): Promise<Reconciled> {
  if (!existsSync(join(dir, 'audit'))) return { result: null, intentSeq: null, removed: [] };
  const { entry } = await readLastEntry(dir);
  const change = changeOf(entry);
  let result: Reconciled['result'] = null;
  if (entry !== null && change !== null) {
    const state = change.writes.map((w) => {
      const cur = hashOf(dir, w.path);
      if (cur === w.sha256) return 'done';
      const tmp = readOptionalFile(tempNameFor(join(dir, w.path), change.tx), MAX_FILE);
      if (tmp !== null && sha256Hex(tmp) === w.sha256 && cur === w.previous) return 'staged';
      return cur === w.previous ? 'missing' : 'foreign';
    });
    const removes = change.removes.map((r) => {
      const cur = hashOf(dir, r.path);
      return cur === null ? 'done' : cur === r.previous ? 'staged' : 'foreign';
    });
    const foreign = [...change.writes.map((w) => w.path).filter((_, i) => state[i] === 'foreign'), ...change.removes.map((r) => r.path).filter((_, i) => removes[i] === 'foreign')];
    if (foreign.length > 0) {
      throw new VerificationError(
        `audit entry ${String(entry.seq)} (${entry.command}) announced a change that did not finish, and ${foreign.join(', ')} now hold${foreign.length === 1 ? 's' : ''} something else: changed outside tuf-ceremony`,
        { hint: 'compare those files with the entry (`tuf-ceremony audit show`); restore them, then run the command again' }
      );
    }
    if (!state.includes('missing')) {
      await apply(dir, change);
      result = 'completed on recovery';
    } else if (!state.includes('done') && !removes.includes('done')) {
      for (const w of change.writes) await unlink(tempNameFor(join(dir, w.path), change.tx)).catch(() => undefined);
      result = 'rolled back';
    } else {
      throw new VerificationError(`audit entry ${String(entry.seq)} (${entry.command}) announced a change that is half applied and whose staged files are gone`, {
        hint: 'compare the files with the entry (`tuf-ceremony audit show`) and restore them',
      });
    }
    await appendAuditEntry(dir, outcomeEvent(entry, result), timeMs);
  }
  const removed = removeStaleTemps(WORKSPACE_DIRS.map((d) => join(dir, d)));
  return { result, intentSeq: result === null ? null : (entry?.seq ?? null), removed };
}
