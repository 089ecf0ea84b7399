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
import { canonicalBytes } from '../../metadata/canonical.js';
import type { Metadata, Root, Signature } from '../../metadata/model.js';
import { readDraft, writeDraft, type Artifact } from '../../store/drafts.js';
import { readBoundedFile } from '../../store/metadata-dir.js';
import type { GlobalOptions, Io } from '../io.js';
import { artifact, audit, keyResolver, namesFor, openCeremony, output, trustedRoot, type Ceremony } from './context.js';

const fieldOf = (msg: string): string => msg.slice(0, msg.indexOf(':'));

function sameSigned(a: Root, b: Root): boolean {
  return Buffer.from(canonicalBytes(a)).equals(Buffer.from(canonicalBytes(b)));
}

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
    ...(extra.discarded > 0
      ? [`the signed content changed: ${String(extra.discarded)} signature${extra.discarded === 1 ? '' : 's'} collected so far discarded (the signature files stay in signatures/)`]
      : extra.kept > 0
        ? [`${String(extra.kept)} signature${extra.kept === 1 ? '' : 's'} kept (the signed content did not change)`]
        : []),
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
  if (existing !== null && opts.replace !== true) {
    const n = existing.md.signatures.filter((s) => s.sig !== '').length;
    throw new InputError(
      `a root draft already exists (version ${String(existing.md.signed.version)}, ${String(n)} signature${n === 1 ? '' : 's'} collected)`,
      { file: existing.file, hint: 'edit it with the root commands, or start over with `root draft --replace` (discards its signatures)' }
    );
  }
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
  let kept: Signature[] = [];
  let discarded = 0;
  if (existing !== null) {
    const sigs = existing.md.signatures.filter((s) => s.sig !== '');
    if (sameSigned(existing.md.signed, draft)) kept = [...existing.md.signatures];
    else discarded = sigs.length;
  }
  const md: Metadata<Root> = { signed: draft, signatures: kept };
  const written = await writeDraft(c.ws, 'root', md);
  const auditHead = await audit(c, 'root draft', read, [written], {
    version: draft.version,
    plan: opts.plan ?? null,
    replaced: existing !== null,
    discarded_signatures: discarded,
    signed_sha256: sha256OfSigned(draft),
  });
  report(c, draft, check, { action: existing === null ? 'new draft' : 'draft replaced', discarded, kept: kept.length, auditHead, written });
  return 0;
}

function sha256OfSigned(signed: Root): string {
  return artifact('', canonicalBytes(signed)).sha256;
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
  const hadField = new Set(before.errors.map(fieldOf));
  const introduced = check.errors.filter((e) => !hadField.has(fieldOf(e)));
  if (introduced.length > 0) {
    throw new InputError(`${command}: refused, the draft would not be publishable:\n  - ${introduced.join('\n  - ')}`, {
      field: fieldOf(introduced[0] ?? ''),
      ...(/threshold/.test(introduced[0] ?? '') ? { hint: 'change the threshold and the keys in an order that keeps the threshold reachable' } : {}),
    });
  }
  const changed = !sameSigned(current.md.signed, next);
  const sigs = current.md.signatures.filter((s) => s.sig !== '');
  const md: Metadata<Root> = { signed: next, signatures: changed ? [] : current.md.signatures };
  const written = changed ? await writeDraft(c.ws, 'root', md) : { path: current.file, sha256: artifact('', current.bytes).sha256 };
  const auditHead = changed
    ? await audit(c, command, [artifact(current.file, current.bytes)], [written], {
        ...details,
        version: next.version,
        discarded_signatures: sigs.length,
        signed_sha256: sha256OfSigned(next),
      })
    : '(unchanged: nothing recorded)';
  report(c, next, check, { action: changed ? 'draft changed' : 'draft unchanged', discarded: changed ? sigs.length : 0, kept: changed ? 0 : sigs.length, auditHead, written });
  return 0;
}

/** `root add-key ROLE WHO` */
export function runRootAddKey(role: string, who: string, global: GlobalOptions, io: Io): Promise<number> {
  return editRoot(global, io, 'root add-key', { role, who }, (draft, c) => {
    const k = keyResolver(c, [draft])(who);
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
