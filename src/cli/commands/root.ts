// SPDX-License-Identifier: Apache-2.0
/**
 * `root draft [--plan FILE]` and the root draft edits: `root add-key`,
 * `root remove-key`, `root set-threshold`, `root expires`,
 * `root consistent-snapshot`.
 *
 * Rules (docs/ceremony.md):
 * - the draft's version is always the published version + 1 (1 when none);
 * - an edit that changes the signed content discards the signatures
 *   collected so far, and says how many (they stay in signatures/ as evidence);
 * - an edit that would bring in a new error (a threshold above the number of
 *   keys, an expiry in the past…) is refused and writes nothing; errors a
 *   draft already had (a new v1 draft has empty roles) are listed as what is
 *   left to do before a signing request can be made.
 */
import { dirname, resolve } from 'node:path';
import { parsePlan, applyPlan } from '../../ceremony/plan.js';
import {
  addKey,
  checkRootDraft,
  newRootDraft,
  removeKey,
  renderRootDiff,
  rootDiff,
  setConsistentSnapshot,
  setExpires,
  setThreshold,
  type RootDraftCheck,
} from '../../ceremony/root-draft.js';
import { InputError } from '../../errors.js';
import type { Metadata, Root } from '../../metadata/model.js';
import { readDraft, writeDraft, type Artifact } from '../../store/drafts.js';
import { readBoundedFile } from '../../store/metadata-dir.js';
import { Change } from '../../store/change.js';
import type { GlobalOptions, Io } from '../io.js';
import { artifact, boundKey, commit, keyResolver, namesFor, openCeremony, output, trustedRoot, type Ceremony } from './context.js';
import { carrySignatures, refuseExistingDraft, refuseNewErrors, saveEdit, signaturesLine, signedSha256, type FieldedCheck } from './drafts.js';

const fieldOf = (msg: string): string => msg.slice(0, msg.indexOf(':'));

const fielded = (check: RootDraftCheck): FieldedCheck => ({ errors: check.errors, fields: check.errors.map(fieldOf) });

/** The lines and JSON shared by every root command's report. */
function report(
  c: Ceremony,
  draft: Root,
  check: RootDraftCheck,
  extra: { action: string; discarded: number; kept: number; auditHead: string; written: Artifact }
): void {
  const names = namesFor(c, draft);
  const diff = rootDiff(trustedRoot(c), draft, names);
  const lines = [
    `${extra.action}: root version ${String(draft.version)} in ${extra.written.path}`,
    ...signaturesLine(extra.discarded, extra.kept),
    ...renderRootDiff(diff),
    ...check.warnings.map((w) => `warning: ${w}`),
    ...(check.errors.length > 0 ? ['to do before a signing request can be made:', ...check.errors.map((e) => `  - ${e}`)] : ['the draft is ready for signing requests (tuf-ceremony request root)']),
    `audit head: ${extra.auditHead}`,
  ];
  output(
    c,
    {
      ok: true,
      action: extra.action,
      role: 'root',
      version: draft.version,
      file: extra.written.path,
      sha256: extra.written.sha256,
      discardedSignatures: extra.discarded,
      keptSignatures: extra.kept,
      errors: check.errors,
      warnings: check.warnings,
      ready: check.errors.length === 0,
      diff,
      auditHead: extra.auditHead,
    },
    lines
  );
}

export interface RootDraftOptions {
  readonly plan?: string;
  readonly replace?: boolean;
}

/** `root draft [--plan FILE] [--replace]` */
export async function runRootDraft(opts: RootDraftOptions, global: GlobalOptions, io: Io): Promise<number> {
  const c = await openCeremony(global, io);
  const nowMs = io.now();
  const published = trustedRoot(c);
  const existing = readDraft(c.ws, 'root');
  refuseExistingDraft(existing, 'root', opts.replace);
  const defaults = { expiresDays: c.ws.settings.defaults.root_expires_days };
  const read: Artifact[] = [];
  let draft: Root;
  if (opts.plan !== undefined) {
    const path = resolve(io.cwd, opts.plan);
    const bytes = readBoundedFile(path, 1024 * 1024);
    read.push(artifact(opts.plan, bytes));
    const plan = parsePlan(bytes, opts.plan);
    draft = applyPlan(published, plan, keyResolver(c, [], dirname(path)), nowMs, defaults);
  } else {
    draft = newRootDraft(published, nowMs, defaults);
  }
  const check = checkRootDraft(draft, published, nowMs);
  if (opts.plan !== undefined && check.errors.length > 0) {
    throw new InputError(`${opts.plan}: the plan gives a root that cannot be published:\n  - ${check.errors.join('\n  - ')}`, {
      file: opts.plan,
      field: fieldOf(check.errors[0] ?? ''),
    });
  }
  const { kept, discarded } = carrySignatures(existing, draft);
  const md: Metadata<Root> = { signed: draft, signatures: kept };
  const change = new Change(c.ws.dir);
  const written = writeDraft(change, 'root', md);
  const auditHead = await commit(c, change, 'root draft', read, {
    version: draft.version,
    plan: opts.plan ?? null,
    replaced: existing !== null,
    discarded_signatures: discarded,
    signed_sha256: signedSha256(draft),
  });
  report(c, draft, check, { action: existing === null ? 'new draft' : 'draft replaced', discarded, kept: kept.length, auditHead, written });
  return 0;
}

/** Applies one edit to the root draft under the rules at the top of this file. */
async function editRoot(global: GlobalOptions, io: Io, command: string, details: Record<string, unknown>, edit: (draft: Root, c: Ceremony, nowMs: number) => Root): Promise<number> {
  const c = await openCeremony(global, io);
  const nowMs = io.now();
  const current = readDraft(c.ws, 'root');
  if (current === null) {
    throw new InputError('there is no root draft to edit', { field: 'ROLE', hint: 'start one with `tuf-ceremony root draft` (or `root draft --plan FILE`)' });
  }
  const published = trustedRoot(c);
  const before = checkRootDraft(current.md.signed, published, nowMs);
  const next = edit(current.md.signed, c, nowMs);
  const check = checkRootDraft(next, published, nowMs);
  refuseNewErrors(command, fielded(before), fielded(check), (e) =>
    /threshold/.test(e) ? 'change the threshold and the keys in an order that keeps the threshold reachable' : undefined
  );
  const saved = await saveEdit(c, 'root', current, next, command, details);
  report(c, next, check, { action: saved.changed ? 'draft changed' : 'draft unchanged', discarded: saved.discarded, kept: saved.kept, auditHead: saved.auditHead, written: saved.written });
  return 0;
}

/** `root add-key ROLE WHO` */
export function runRootAddKey(role: string, who: string, global: GlobalOptions, io: Io): Promise<number> {
  return editRoot(global, io, 'root add-key', { role, who }, (draft, c) => {
    const resolved = keyResolver(c, [draft])(who);
    // Names are bound in the keys of the offline roles, whose holders read reviews.
    const k = role === 'root' || role === 'targets' ? boundKey(resolved) : resolved;
    return addKey(draft, role, k.keyid, k.key);
  });
}

/** `root remove-key ROLE WHO` */
export function runRootRemoveKey(role: string, who: string, global: GlobalOptions, io: Io): Promise<number> {
  return editRoot(global, io, 'root remove-key', { role, who }, (draft, c) => {
    const k = keyResolver(c, [draft])(who);
    return removeKey(draft, role, k.keyid, k.key);
  });
}

/** `root set-threshold ROLE T` */
export function runRootSetThreshold(role: string, t: string, global: GlobalOptions, io: Io): Promise<number> {
  return editRoot(global, io, 'root set-threshold', { role, threshold: t }, (draft) => setThreshold(draft, role, t));
}

/** `root expires WHEN` */
export function runRootExpires(when: string, global: GlobalOptions, io: Io): Promise<number> {
  return editRoot(global, io, 'root expires', { when }, (draft, _c, nowMs) => setExpires(draft, when, nowMs));
}

/** `root consistent-snapshot BOOL` */
export function runRootConsistentSnapshot(value: string, global: GlobalOptions, io: Io): Promise<number> {
  return editRoot(global, io, 'root consistent-snapshot', { value }, (draft) => setConsistentSnapshot(draft, value));
}
