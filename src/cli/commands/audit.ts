// SPDX-License-Identifier: Apache-2.0
/** `tuf-ceremony [--dir DIR] audit verify [--head HASH]`, `audit show` and `audit export`. */
import { join, resolve } from 'node:path';
import { normalizeHead, scanLog, verifyScannedLog, type AuditVerifyResult } from '../../audit/entry.js';
import { readAuditLog } from '../../audit/log.js';
import { renderAuditLog, renderAuditVerify } from '../../audit/render.js';
import { buildTranscript, checkRootFile, renderTranscriptHtml, renderTranscriptMarkdown, rootFileKey, rootFilesNeeded, type LoggedFile, type RootFileCheck, type Transcript } from '../../audit/transcript.js';
import { InputError, UsageError, VerificationError } from '../../errors.js';
import { writeFileAtomic } from '../../store/atomic.js';
import { sha256Hex } from '../../store/drafts.js';
import { openWorkspace } from '../../store/workspace.js';
import { readOptionalFile } from '../../store/metadata-dir.js';
import { parseJson } from '../../metadata/json.js';
import { MAX_ROOT_BYTES } from '../../metadata/parse.js';
import { ANCHORS_PATH, MANIFEST_PATH, MAX_ANCHORS_BYTES } from './ceremony.js';
import { COLOR, PLAIN } from '../../ui/render.js';
import type { GlobalOptions, Io } from '../io.js';

export interface AuditVerifyOptions {
  /** The head written down earlier (64 hex digits; spaces, `:` and case ignored). */
  readonly head?: string;
}

function failure(r: AuditVerifyResult): VerificationError {
  const lines = [...new Set(r.problems.map((p) => p.line))];
  const first = r.problems[0];
  const more = r.problems.length - 1;
  return new VerificationError(
    `${r.file}: tampering or damage found at line${lines.length === 1 ? '' : 's'} ${lines.join(', ')}` +
      (first === undefined ? '' : `: line ${String(first.line)}: ${first.message}`) +
      (more > 0 ? ` (and ${String(more)} more)` : ''),
    { file: r.file, hint: 'keep the log as evidence; compare it with a copy and the heads witnesses wrote down' }
  );
}

/**
 * Checks the workspace's audit log: every line canonical, every link and seq
 * in order, and with `--head` that the log still holds the line with that
 * hash. Prints the report (`--json`: the {@link AuditVerifyResult} object).
 * @returns 0 when the log verifies
 * @throws VerificationError (exit 1) naming the lines when it does not
 * @throws UsageError (exit 2) for a `--head` that is not a SHA-256
 * @throws InputError (exit 2) for a missing workspace or a log over 64 MiB
 */
export function runAuditVerify(opts: AuditVerifyOptions, workspaceDir: string, global: GlobalOptions, io: Io): number {
  let head: string | undefined;
  if (opts.head !== undefined) {
    head = normalizeHead(opts.head);
    if (head === undefined) throw new UsageError(`--head ${JSON.stringify(opts.head)}: must be a SHA-256, 64 hex digits (spaces are ignored)`);
  }
  const dir = resolve(io.cwd, workspaceDir);
  const log = readAuditLog(dir);
  const isWorkspace = readOptionalFile(join(dir, 'ceremony.json'), 64 * 1024) !== null;
  if (!log.exists && !isWorkspace) {
    throw new InputError(`${dir}: not a tuf-ceremony workspace (no ceremony.json, no audit log)`, { file: dir, hint: 'pass --dir DIR' });
  }
  const scan = scanLog(log.bytes, log.file);
  const result = verifyScannedLog(scan, head);
  if (global.json) io.stdout(JSON.stringify({ ...result, exists: log.exists }, null, 2) + '\n');
  else io.stdout(renderAuditVerify(result, global.color ? COLOR : PLAIN, log.exists).join('\n') + '\n');
  if (!result.ok) throw failure(result);
  checkAnchors(dir, scan.lines, log.file);
  checkAnchor(dir, scan.lines.map((l) => l.hash), log.file);
  return 0;
}

/**
 * Every anchor in the publish history (anchors.jsonl) must still hold: the
 * log's entry at the anchored seq must have the anchored hash. A log cut
 * back before an anchor, or rewritten at one, fails (exit 1) naming it.
 * @throws InputError (exit 2) for a malformed anchors line, naming it
 */
function checkAnchors(dir: string, lines: readonly { readonly hash: string; readonly entry: { readonly seq: number } | null }[], file: string): void {
  const bytes = readOptionalFile(join(dir, ANCHORS_PATH), MAX_ANCHORS_BYTES);
  if (bytes === null) return;
  const bySeq = new Map<number, string>();
  for (const l of lines) if (l.entry !== null) bySeq.set(l.entry.seq, l.hash);
  const text = Buffer.from(bytes).toString('utf8').split('\n');
  if (text.at(-1) === '') text.pop();
  text.forEach((raw, i) => {
    const where = `${ANCHORS_PATH} line ${String(i + 1)}`;
    const o = parseJson(Buffer.from(raw, 'utf8'), where) as { role?: unknown; version?: unknown; audit?: { head?: unknown; seq?: unknown } };
    const head = o.audit?.head;
    const seq = o.audit?.seq;
    if (typeof head !== 'string' || !/^[0-9a-f]{64}$/.test(head) || typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) {
      throw new InputError(`${where}: audit must be {head: 64 hex digits, seq: an integer ≥ 0}`, { file: ANCHORS_PATH, field: 'audit' });
    }
    if (seq === 0) return;
    const what = `the anchor of ${String(o.role)} version ${String(o.version)} (${where}: entry ${String(seq)}, head ${head})`;
    const found = bySeq.get(seq);
    if (found === undefined) {
      const why = bySeq.size === 0 ? `the log is missing or empty, but this workspace has published (${what})` : `the log was cut back before ${what}: it has no entry ${String(seq)}`;
      throw new VerificationError(`${file}: ${why}`, { file, hint: 'restore the log from a copy; keep this workspace as evidence' });
    }
    if (found !== head) {
      throw new VerificationError(`${file}: entry ${String(seq)} has hash ${found}, not the one publish anchored: ${what}; the log was rewritten`, {
        file,
        hint: 'restore the log from a copy; keep this workspace as evidence',
      });
    }
  });
}

/**
 * The head `publish` anchored in manifest.json must still be a line of the
 * log: a missing or empty log, or one cut back before it, fails (exit 1).
 */
function checkAnchor(dir: string, hashes: readonly string[], file: string): void {
  const bytes = readOptionalFile(join(dir, MANIFEST_PATH), 64 * 1024 * 1024);
  if (bytes === null) return;
  const m = parseJson(bytes, MANIFEST_PATH) as { audit?: { head?: unknown; seq?: unknown } };
  const anchored = m.audit?.head;
  if (typeof anchored !== 'string') return;
  if (hashes.length === 0) {
    throw new VerificationError(`${file}: the log is missing or empty, but this workspace has published (${MANIFEST_PATH} anchors head ${anchored})`, {
      file,
      hint: 'restore the log from a copy; keep this workspace as evidence',
    });
  }
  if (!hashes.includes(anchored) && anchored !== '0'.repeat(64)) {
    throw new VerificationError(`${file}: the log no longer holds the head ${anchored} that publish anchored in ${MANIFEST_PATH} (entry ${String(m.audit?.seq)}): it was cut back or rewritten`, {
      file,
      hint: 'restore the log from a copy; keep this workspace as evidence',
    });
  }
}

/**
 * Prints the workspace's audit log (`--json`: the array of entries). A line
 * that is not an entry is shown as such (and left out of `--json`); when the
 * chain does not verify, that is said after the listing.
 * @returns 0 when the log verifies
 * @throws VerificationError (exit 1) after printing, when the chain does not verify
 * @throws InputError (exit 2) for a missing workspace or a log over 64 MiB
 */
export function runAuditShow(workspaceDir: string, global: GlobalOptions, io: Io): number {
  const log = readAuditLog(resolve(io.cwd, workspaceDir));
  const scan = scanLog(log.bytes, log.file);
  const result = verifyScannedLog(scan);
  if (global.json) {
    const entries = scan.lines.flatMap((l) => (l.entry === null ? [] : [l.entry]));
    io.stdout(JSON.stringify(entries, null, 2) + '\n');
  } else {
    const style = global.color ? COLOR : PLAIN;
    const lines = renderAuditLog(scan.lines, style);
    lines.push(style.dim(`${String(result.entries)} entries, head ${result.head}`));
    io.stdout(lines.join('\n') + '\n');
  }
  if (!result.ok) {
    io.stderr('warning: the audit log does not verify; run `tuf-ceremony audit verify` for every problem\n');
    throw failure(result);
  }
  return 0;
}

/** A logged root file of the workspace, checked against its logged SHA-256; one that cannot be read (oversized, a directory) is not drawn. */
function readRootFile(dir: string, f: LoggedFile): RootFileCheck {
  try {
    return checkRootFile(f, readOptionalFile(join(dir, f.path), MAX_ROOT_BYTES));
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    return { $case: 'invalid', reason: e.message };
  }
}

export interface AuditExportOptions {
  readonly format: 'md' | 'html';
  readonly out?: string;
  readonly run?: string;
  readonly force?: boolean;
}

/**
 * Writes the transcript of a guided ceremony (or of the whole log when it
 * holds none): Markdown or self-contained HTML for A4, to `--out` (written
 * atomically) or stdout. Records nothing: the transcript's final head stays
 * the log's head.
 * @throws VerificationError (exit 1) when the log does not verify: a transcript of a damaged log would mislead
 * @throws InputError (exit 2) for a run that is not in the log, a missing workspace, a log over 64 MiB
 */
export async function runAuditExport(opts: AuditExportOptions, workspaceDirArg: string, global: GlobalOptions, io: Io): Promise<number> {
  const dir = resolve(io.cwd, workspaceDirArg);
  const ws = openWorkspace(dir);
  const log = readAuditLog(dir);
  const scan = scanLog(log.bytes, log.file);
  const result = verifyScannedLog(scan);
  if (!result.ok) throw failure(result);
  let t: Transcript;
  try {
    t = buildTranscript(scan.lines, ws.settings.name, opts.run);
  } catch (cause) {
    throw new InputError(`--run ${opts.run ?? ''}: no run of that ID in ${log.file}`, { field: '--run', cause, hint: 'run IDs are in `tuf-ceremony audit show` (run start entries) and in runs/' });
  }
  // The roots to draw: read here, drawn only when their SHA-256 is the one the log holds.
  const roots = new Map<string, RootFileCheck>(rootFilesNeeded(t).map((f) => [rootFileKey(f), readRootFile(dir, f)]));
  const content = opts.format === 'html' ? renderTranscriptHtml(t, roots) : renderTranscriptMarkdown(t, roots);
  const bytes = Buffer.from(content, 'utf8');
  const summary = { format: opts.format, run: t.run?.id ?? null, entries: { first: t.firstSeq, last: t.lastSeq }, head: t.head, sha256: sha256Hex(bytes) };
  if (opts.out !== undefined) {
    await writeFileAtomic(resolve(io.cwd, opts.out), bytes, { outside: { force: opts.force === true, option: '--out' } });
    if (global.json) io.stdout(JSON.stringify({ ok: true, out: opts.out, ...summary }, null, 2) + '\n');
    else io.stdout(`transcript written to ${opts.out} (${opts.format}, SHA-256 ${summary.sha256})\nentries ${String(t.firstSeq)}–${String(t.lastSeq)}; final audit head ${t.head}\n`);
  } else if (global.json) {
    io.stdout(JSON.stringify({ ok: true, out: null, ...summary, content }, null, 2) + '\n');
  } else {
    io.stdout(content);
  }
  return 0;
}
