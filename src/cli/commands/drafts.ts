// SPDX-License-Identifier: Apache-2.0
/**
 * The rules every draft command follows (root and targets; docs/ceremony.md):
 * - starting a draft over an existing one needs `--replace`;
 * - an edit that changes the signed content discards the signatures
 *   collected so far, and says how many (the signature files stay in
 *   signatures/ as evidence); an edit that changes nothing writes nothing;
 * - an edit that would bring in a new error is refused and writes nothing;
 *   errors the draft already had are what is left to do;
 * - every change appends an audit entry naming what was read and written.
 */
import { InputError } from '../../errors.js';
import { canonicalBytes } from '../../metadata/canonical.js';
import type { Signature, Signed } from '../../metadata/model.js';
import { sha256Hex, writeDraft, type Artifact, type DraftFile, type DraftRole } from '../../store/drafts.js';
import { Change } from '../../store/change.js';
import { artifact, commit, type Ceremony } from './context.js';

/** A draft check's errors with the field each is about (`fields[i]` for `errors[i]`). */
export interface FieldedCheck {
  readonly errors: readonly string[];
  readonly fields: readonly string[];
}

/** SHA-256 of the canonical bytes of `signed`: what signers sign. */
export function signedSha256(signed: Signed): string {
  return sha256Hex(canonicalBytes(signed));
}

function sameSigned(a: Signed, b: Signed): boolean {
  return Buffer.from(canonicalBytes(a)).equals(Buffer.from(canonicalBytes(b)));
}

const collected = (sigs: readonly Signature[]): number => sigs.filter((s) => s.sig !== '').length;

/**
 * Refuses to start a draft where one exists, unless `replace`.
 * @throws InputError naming the draft file
 */
export function refuseExistingDraft(existing: DraftFile | null, role: DraftRole, replace: boolean | undefined): void {
  if (existing === null || replace === true) return;
  const n = collected(existing.md.signatures);
  throw new InputError(
    `a ${role} draft already exists (version ${String(existing.md.signed.version)}, ${String(n)} signature${n === 1 ? '' : 's'} collected)`,
    { file: existing.file, hint: `edit it with the ${role} commands, or start over with \`${role} draft --replace\` (discards its signatures)` }
  );
}

/** What becomes of an existing draft's signatures when it is replaced by `next`: kept when the signed bytes are the same. */
export function carrySignatures(existing: DraftFile | null, next: Signed): { kept: Signature[]; discarded: number } {
  if (existing === null) return { kept: [], discarded: 0 };
  if (sameSigned(existing.md.signed, next)) return { kept: [...existing.md.signatures], discarded: 0 };
  return { kept: [], discarded: collected(existing.md.signatures) };
}

/**
 * Refuses an edit whose result has errors in fields that had none before.
 * @throws InputError naming the first such field
 */
export function refuseNewErrors(command: string, before: FieldedCheck, after: FieldedCheck, hint?: (error: string) => string | undefined): void {
  const had = new Set(before.fields);
  const introduced = after.errors.filter((_, i) => !had.has(after.fields[i] ?? ''));
  if (introduced.length === 0) return;
  const first = introduced[0] ?? '';
  const h = hint?.(first);
  throw new InputError(`${command}: refused, the draft would not be publishable:\n  - ${introduced.join('\n  - ')}`, {
    field: after.fields[after.errors.indexOf(first)] ?? '',
    ...(h === undefined ? {} : { hint: h }),
  });
}

export interface SavedEdit {
  readonly changed: boolean;
  readonly discarded: number;
  readonly kept: number;
  readonly written: Artifact;
  readonly auditHead: string;
}

/**
 * Writes an edited draft and audits it. When the signed bytes changed, the
 * signatures collected so far are discarded; when they did not, nothing is
 * written or recorded.
 * @param read files the edit read besides the draft (target files), for the audit entry
 */
export async function saveEdit(
  c: Ceremony,
  role: DraftRole,
  current: DraftFile,
  next: Signed,
  command: string,
  details: Record<string, unknown>,
  read: readonly Artifact[] = []
): Promise<SavedEdit> {
  const sigs = collected(current.md.signatures);
  if (sameSigned(current.md.signed, next)) {
    return { changed: false, discarded: 0, kept: sigs, written: artifact(current.file, current.bytes), auditHead: '(unchanged: nothing recorded)' };
  }
  const change = new Change(c.ws.dir);
  const written = writeDraft(change, role, { signed: next, signatures: [] });
  const auditHead = await commit(c, change, command, [...read, artifact(current.file, current.bytes)], {
    ...details,
    version: next.version,
    discarded_signatures: sigs,
    signed_sha256: signedSha256(next),
  });
  return { changed: true, discarded: sigs, kept: 0, written: { path: written.path, sha256: written.sha256 }, auditHead };
}

/** The report line about signatures: discarded, kept, or none. */
export function signaturesLine(discarded: number, kept: number): string[] {
  if (discarded > 0) {
    return [`the signed content changed: ${String(discarded)} signature${discarded === 1 ? '' : 's'} collected so far discarded (the signature files stay in signatures/)`];
  }
  if (kept > 0) return [`${String(kept)} signature${kept === 1 ? '' : 's'} kept (the signed content did not change)`];
  return [];
}
