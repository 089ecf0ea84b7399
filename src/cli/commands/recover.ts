// SPDX-License-Identifier: Apache-2.0
/**
 * `root draft --revoke WHO… [--online-key ROLE=WHO…] [--reason TEXT]
 * [--out-of-band] [--replace]`: key-compromise recovery (docs/recovery.md).
 */
import { join } from 'node:path';
import { noSignedRecoveryText, onlineKeyChangeText, planRecovery, INCIDENT_FORMAT, type OnlineReplacement, type RecoveryPlan } from '../../ceremony/recovery.js';
import { checkRootDraft } from '../../ceremony/root-draft.js';
import { InputError, VerificationError } from '../../errors.js';
import { canonicalBytes } from '../../metadata/canonical.js';
import { formatExpires } from '../../metadata/expires.js';
import { parseJson } from '../../metadata/json.js';
import { Guard } from '../../metadata/parse.js';
import { findControlCharacter } from '../../metadata/plain-text.js';
import { stringifySorted } from '../../metadata/serialize.js';
import { Change } from '../../store/change.js';
import { readDraft, sha256Hex, writeDraft } from '../../store/drafts.js';
import { readOptionalFile } from '../../store/metadata-dir.js';
import type { Workspace } from '../../store/workspace.js';
import type { GlobalOptions, Io } from '../io.js';
import { artifact, audit, commit, keyResolver, namesFor, openCeremony, output, trustedRoot } from './context.js';

export const INCIDENT_PATH = 'drafts/root.incident.json';

export interface RevokeOptions {
  readonly revoke: readonly string[];
  readonly onlineKey?: readonly string[];
  readonly reason?: string;
  readonly outOfBand?: boolean;
  readonly replace?: boolean;
}

/** The incident record beside a recovery draft. */
export interface Incident {
  readonly format: typeof INCIDENT_FORMAT;
  readonly declared: string;
  readonly reason: string;
  readonly revoked_keyids: readonly string[];
  readonly trusted_version: number;
  readonly signed_recovery_possible: boolean;
}

/** Reads `drafts/root.incident.json`, or null. @throws InputError when malformed */
export function readIncident(ws: Workspace): Incident | null {
  return readIncidentIn(ws.dir);
}

/** The incident record of the workspace at `dir` (`verify` of a workspace), or null. */
export function readIncidentIn(dir: string): Incident | null {
  const bytes = readOptionalFile(join(dir, INCIDENT_PATH), 64 * 1024);
  if (bytes === null) return null;
  const g = new Guard(INCIDENT_PATH);
  const o = g.object(parseJson(bytes, INCIDENT_PATH, { maxBytes: 64 * 1024 }), []);
  if (o['format'] !== INCIDENT_FORMAT) g.fail(['format'], `must be "${INCIDENT_FORMAT}"`);
  g.stringSet(o['revoked_keyids'], ['revoked_keyids'], 'key ID');
  g.string(o['declared'], ['declared']);
  g.string(o['reason'], ['reason']);
  g.integer(o['trusted_version'], ['trusted_version'], 1);
  if (typeof o['signed_recovery_possible'] !== 'boolean') g.fail(['signed_recovery_possible'], 'must be true or false');
  return o as unknown as Incident;
}

function parseOnlineKey(text: string): { role: 'snapshot' | 'timestamp'; who: string } {
  const m = /^(snapshot|timestamp)=(.+)$/.exec(text);
  if (m === null) throw new InputError(`--online-key: "${text}" is not ROLE=WHO with ROLE snapshot or timestamp`, { field: '--online-key' });
  return { role: m[1] as 'snapshot' | 'timestamp', who: m[2] ?? '' };
}

/** `root draft --revoke WHO…` */
export async function runRootRevoke(opts: RevokeOptions, global: GlobalOptions, io: Io): Promise<number> {
  const hidden = opts.reason === undefined ? undefined : findControlCharacter(opts.reason);
  if (hidden !== undefined) {
    throw new InputError(`--reason: holds the character ${hidden.char} (a control, bidi or invisible character), which is never written into the incident file or the audit log`, { field: '--reason' });
  }
  const c = await openCeremony(global, io);
  const nowMs = io.now();
  const trusted = trustedRoot(c);
  if (trusted === null) throw new InputError('--revoke: nothing is published, so there is no trusted root to recover', { field: '--revoke' });
  const existing = readDraft(c.ws, 'root');
  if (existing !== null && opts.replace !== true) {
    throw new InputError(`a root draft already exists (version ${String(existing.md.signed.version)}); a recovery draft replaces it only with --replace`, {
      file: existing.file,
    });
  }
  const resolve = keyResolver(c);
  const revoked = opts.revoke.map((who) => {
    const k = resolve(who);
    return { keyid: k.keyid, key: k.key, name: k.keyholder };
  });
  const replacements: OnlineReplacement[] = (opts.onlineKey ?? []).map((text) => {
    const { role, who } = parseOnlineKey(text);
    const k = resolve(who);
    return { role, keyid: k.keyid, key: k.key };
  });
  const plan: RecoveryPlan = planRecovery(trusted, revoked, replacements, nowMs, { expiresDays: c.ws.settings.defaults.root_expires_days });
  const names = namesFor(c, plan.draft);
  const name = (id: string): string => names(id) ?? id.slice(0, 8);

  const incidentDetails = {
    revoked: plan.revoked.map((r) => ({ keyid: r.keyid, keyholder: r.name ?? null, key_ids_in_root: r.idsInRoot, roles: r.roles })),
    reason: opts.reason ?? null,
    trusted_version: plan.trustedVersion,
    signed_recovery_possible: plan.signedRecoveryPossible,
    online_roles_replaced: plan.onlineRolesAffected,
  };
  if (!plan.signedRecoveryPossible && opts.outOfBand !== true) {
    // The incident is recorded even though no draft can be signed.
    const head = await audit(c, 'incident', [], [], { ...incidentDetails, draft: null });
    const text = noSignedRecoveryText(plan, name);
    if (global.json) io.stdout(JSON.stringify({ ok: false, signedRecoveryPossible: false, usableOldRootKeys: plan.usableOldRootKeys.map(name), oldThreshold: plan.oldThreshold, auditHead: head }, null, 2) + '\n');
    throw new VerificationError(text, {
      hint: 'to draft the new root anyway, for distribution out of band, run again with --out-of-band; the incident is recorded in the audit log',
    });
  }

  const check = checkRootDraft(plan.draft, trusted, nowMs);
  const incident: Incident = {
    format: INCIDENT_FORMAT,
    declared: formatExpires(nowMs),
    reason: opts.reason ?? '',
    revoked_keyids: plan.revokedKeyids,
    trusted_version: plan.trustedVersion,
    signed_recovery_possible: plan.signedRecoveryPossible,
  };
  const incidentBytes = Buffer.from(stringifySorted(incident, INCIDENT_PATH), 'utf8');
  const change = new Change(c.ws.dir);
  change.write(INCIDENT_PATH, incidentBytes);
  const written = writeDraft(change, 'root', { signed: plan.draft, signatures: [] });
  const head = await commit(c, change, 'incident', existing === null ? [] : [artifact(existing.file, existing.bytes)], {
    ...incidentDetails,
    draft: { version: plan.draft.version, signed_sha256: sha256Hex(canonicalBytes(plan.draft)) },
  });
  const newRoot = plan.draft.roles['root'];
  const lines = [
    `incident: ${String(plan.revoked.length)} key${plan.revoked.length === 1 ? '' : 's'} declared compromised${opts.reason === undefined ? '' : ` (${opts.reason})`}:`,
    ...plan.revoked.map((r) => `  ${r.name ?? r.keyid.slice(0, 8)} (key ${r.keyid.slice(0, 16)}): ${r.roles.join(', ') || 'no role'}`),
    plan.signedRecoveryPossible
      ? `a signed recovery is possible: ${String(plan.usableOldRootKeys.length)} root keys of root version ${String(plan.trustedVersion)} are not compromised and ${String(plan.oldThreshold)} are needed`
      : noSignedRecoveryText(plan, name),
    `draft root version ${String(plan.draft.version)} written to ${written.path}, without the compromised keys`,
    'who must sign:',
    ...(plan.signedRecoveryPossible ? [`  old root (version ${String(plan.trustedVersion)}): ${String(plan.oldThreshold)} of ${plan.usableOldRootKeys.map(name).join(', ')}`] : []),
    `  new root (version ${String(plan.draft.version)}): ${String(newRoot?.threshold ?? 0)} of ${(newRoot?.keyids ?? []).map(name).join(', ') || 'nobody yet'}`,
    '  signatures by the compromised keys are refused by collect',
    ...(plan.onlineRolesAffected.length > 0 ? [onlineKeyChangeText(plan.onlineRolesAffected)] : []),
    ...check.warnings.map((w) => `warning: ${w}`),
    ...(check.errors.length > 0 ? ['to do before a signing request can be made:', ...check.errors.map((e) => `  - ${e}`)] : []),
    `audit head: ${head}`,
  ];
  output(
    c,
    {
      ok: true,
      signedRecoveryPossible: plan.signedRecoveryPossible,
      revoked: incidentDetails.revoked,
      usableOldRootKeys: plan.usableOldRootKeys.map(name),
      oldThreshold: plan.oldThreshold,
      newRoot: { version: plan.draft.version, threshold: newRoot?.threshold ?? 0, keys: (newRoot?.keyids ?? []).map(name) },
      onlineRolesReplaced: plan.onlineRolesAffected,
      errors: check.errors,
      warnings: check.warnings,
      file: written.path,
      auditHead: head,
    },
    lines
  );
  return 0;
}
