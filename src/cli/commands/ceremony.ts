// SPDX-License-Identifier: Apache-2.0
/**
 * The coordinator's side of a ceremony: `diff [ROLE]`, `request ROLE`,
 * `collect FILE…`, `status`, `publish ROLE` (docs/ceremony.md).
 */
import { createHash } from 'node:crypto';
import { basename, join, resolve } from 'node:path';
import { checkRootDraft } from '../../ceremony/root-draft.js';
import { keyIdsListing } from '../../metadata/key-listing.js';
import { makeRequest, serializeRequest, eligibleKeys } from '../../ceremony/request.js';
import { groupedHash, reviewLines } from '../../ceremony/review.js';
import {
  collectSignatures,
  incomingFromMetadata,
  incomingFromSignatureFile,
  parseSignatureFile,
  type CollectResult,
  type IncomingSignatures,
} from '../../ceremony/signature-file.js';
import { readIncident, INCIDENT_PATH } from './recover.js';
import { draftStatus, stillNeeded, thresholdLine, type DraftStatus } from '../../ceremony/status.js';
import { checkTargetsDraft } from '../../ceremony/targets-draft.js';
import { InputError, VerificationError } from '../../errors.js';
import { formatExpires, parseExpires, roundDays } from '../../metadata/expires.js';
import { parseJson } from '../../metadata/json.js';
import type { DecodedKey } from '../../metadata/keys.js';
import { own, type Metadata, type ParsedMetadata, type Root, type Signed, type Targets } from '../../metadata/model.js';
import { assertPublishable } from '../../metadata/second-verifier.js';
import { attestationOf, attestationText } from '../../crypto/attestation.js';
import { decodeKeyCached } from '../../metadata/verify.js';
import { parseMetadata } from '../../metadata/parse.js';
import { serializeMetadata, stringifySorted } from '../../metadata/serialize.js';
import { readLastEntry } from '../../audit/log.js';
import { writeFileAtomic } from '../../store/atomic.js';
import { Change } from '../../store/change.js';
import { canonicalize } from '../../metadata/canonical.js';
import {
  assertDraftRole,
  DRAFT_ROLES,
  MAX_DRAFT_BYTES,
  readDraft,
  sha256Hex,
  writeDraft,
  type Artifact,
  type DraftFile,
  type DraftRole,
} from '../../store/drafts.js';
import { metadataDirSource, readBoundedFile, readOptionalFile } from '../../store/metadata-dir.js';
import { rejectionsOf } from '../../verify/clients.js';
import { verifyRepository, type MetadataSource } from '../../verify/repository.js';
import type { GlobalOptions, Io } from '../io.js';
import { artifact, commit, keyIdsOf, nameRecord, namesFor, openCeremony, output, trustedRoot, type Ceremony } from './context.js';
import { minExpiryDays } from '../review-options.js';
import { trustPictureHtml, trustPictureSvg } from '../../ui/trust-svg.js';

/** The published version a draft of `role` is compared with. */
function previousOf(c: Ceremony, role: DraftRole): Signed | null {
  if (role === 'root') return trustedRoot(c);
  return c.publishedTargets()?.md.signed ?? null;
}

/** Errors that keep a draft from being requested or published. */
function draftErrors(c: Ceremony, role: DraftRole, md: ParsedMetadata, nowMs: number): string[] {
  const signed = md.signed;
  const revoked = revokedPresence(c, md);
  if (role === 'root') return [...revoked, ...checkRootDraft(signed as Root, trustedRoot(c), nowMs).errors];
  const published = c.publishedTargets()?.md.signed ?? null;
  return [...revoked, ...checkTargetsDraft(signed as Targets, published, trustedRoot(c), nowMs).errors];
}

/** A key declared compromised (the incident record) that a draft still holds: a signature by it, or a role listing it. */
function revokedPresence(c: Ceremony, md: ParsedMetadata): string[] {
  const revoked = revokedFor(c);
  if (revoked.size === 0) return [];
  const names = namesFor(c, md.signed._type === 'root' ? md.signed : null);
  const who = (id: string): string => `key ${id}${names(id) === undefined ? '' : ` (${names(id) ?? ''})`}`;
  const out: string[] = [];
  for (const s of md.signatures) {
    if (revoked.has(s.keyid)) out.push(`holds a signature by ${who(s.keyid)}, declared compromised in ${INCIDENT_PATH}: the draft was changed outside \`collect\`; make it again (root draft --revoke … --replace)`);
  }
  const roles = md.signed._type === 'root' ? Object.entries(md.signed.roles).map(([n, r]) => [n, r.keyids] as const) : md.signed._type === 'targets' ? (md.signed.delegations?.roles ?? []).map((r) => [r.name, r.keyids] as const) : [];
  for (const [name, keyids] of roles) for (const k of keyids) if (revoked.has(k)) out.push(`role ${name} lists ${who(k)}, declared compromised in ${INCIDENT_PATH}`);
  return out;
}

/** Key IDs declared compromised (drafts/root.incident.json): refused and not counted for a draft of any role. */
function revokedFor(c: Ceremony): ReadonlySet<string> {
  return new Set(readIncident(c.ws)?.revoked_keyids ?? []);
}

function needDraft<R extends DraftRole>(c: Ceremony, role: R): DraftFile<R extends 'root' ? Root : Targets> {
  const d = readDraft(c.ws, role);
  if (d === null) {
    throw new InputError(`there is no ${role} draft in this workspace`, { field: 'ROLE', hint: `start one with \`tuf-ceremony ${role} draft\`` });
  }
  return d;
}

function allDrafts(c: Ceremony): DraftFile<Root | Targets>[] {
  return DRAFT_ROLES.map((r) => readDraft(c.ws, r)).filter((d): d is DraftFile<Root | Targets> => d !== null);
}

// ## diff

/** `diff [ROLE]`: the review of each draft against the published version. */
export async function runDiff(role: string | undefined, global: GlobalOptions, io: Io): Promise<number> {
  const c = await openCeremony(global, io);
  const drafts = role === undefined ? allDrafts(c) : [needDraft(c, assertDraftRole(role))];
  const nowMs = io.now();
  const out = drafts.map((d) => {
    const r = assertDraftRole(d.md.signed._type);
    const previous = previousOf(c, r);
    const names = nameRecord(c, [...keyIdsOf(d.md.signed), ...keyIdsOf(trustedRoot(c)), ...keyIdsOf(previous)], d.md.signed._type === 'root' ? d.md.signed : null);
    const lines = reviewLines({ role: r, draft: d.md.signed, previous, keyholders: names, nowMs, trustedRoot: trustedRoot(c), ...minExpiryDays(io) });
    return { role: r, version: d.md.signed.version, signedSha256: sha256Hex(d.md.signedBytes), errors: draftErrors(c, r, d.md, nowMs), review: lines };
  });
  const lines: string[] = [];
  if (out.length === 0) lines.push('no drafts in this workspace');
  for (const d of out) {
    if (lines.length > 0) lines.push('');
    lines.push(...d.review, ...d.errors.map((e) => `not ready: ${e}`));
  }
  output(c, { drafts: out }, lines);
  return 0;
}

// ## status --html

/**
 * `status --html FILE`: the root's roles, keys by keyholder name and
 * thresholds, old → new, as inline SVG in a self-contained A4 page. Old →
 * new is the published root → the root draft, or, with no draft, the
 * previous published root → the latest. Hardware: the keyholder's public key
 * file says where the key lives (`device.backend`).
 */
async function writeTrustPicture(c: Ceremony, file: string): Promise<void> {
  const chain = c.trust.chain.map((r) => r.md.signed);
  const draft = readDraft(c.ws, 'root');
  const next = draft !== null && alreadyPublished(c, 'root', draft) === null ? draft.md.signed : (chain.at(-1) ?? null);
  if (next === null) throw new InputError('status --html: there is no root to draw: no root is published and there is no root draft', { field: '--html' });
  const previous = next === chain.at(-1) ? (chain.at(-2) ?? null) : (chain.at(-1) ?? null);
  const names = namesFor(c, next, previous);
  // A root lists a keyholder's key under the ID of the key object it holds (the name bound in), not the file's.
  const onToken = new Map<string, boolean>();
  for (const p of c.keyholders) {
    for (const root of [previous, next]) for (const id of root === null ? [] : keyIdsListing(root.keys, p.key)) onToken.set(id, p.device['backend'] === 'pkcs11');
  }
  const hardware = (keyid: string): boolean | undefined => onToken.get(keyid);
  const title = `Trust of "${c.ws.settings.name}": root ${previous === null ? '' : `version ${String(previous.version)} → `}version ${String(next.version)}`;
  const lines = [`${next === chain.at(-1) ? 'published' : 'draft'} root version ${String(next.version)}, expires ${next.expires}`];
  const html = trustPictureHtml(title, lines, trustPictureSvg({ previous, next, names, hardware }));
  await writeFileAtomic(resolve(c.io.cwd, file), Buffer.from(html, 'utf8'));
}

// ## request

export interface RequestOptions {
  readonly out?: string;
  readonly force?: boolean;
}

/** `request ROLE [--out F]`: a signing request for offline signers. */
export async function runRequest(roleArg: string, opts: RequestOptions, global: GlobalOptions, io: Io): Promise<number> {
  const c = await openCeremony(global, io);
  const role = assertDraftRole(roleArg);
  const d = needDraft(c, role);
  const nowMs = io.now();
  const errors = draftErrors(c, role, d.md, nowMs);
  if (errors.length > 0) {
    throw new InputError(`${d.file}: the ${role} draft is not ready for signing:\n  - ${errors.join('\n  - ')}`, {
      file: d.file,
      hint: `fix it with the ${role} commands; \`tuf-ceremony diff ${role}\` shows the draft`,
    });
  }
  const trusted = c.trust.root?.md ?? null;
  const signed = d.md.signed;
  const keyholders = nameRecord(c, [...keyIdsOf(signed), ...keyIdsOf(trusted?.signed ?? null)], signed._type === 'root' ? signed : null);
  const req = makeRequest({ signed, trustedRoot: trusted, keyholders, createdMs: nowMs, workspace: c.ws.settings.name });
  const rel = `requests/${role}-v${String(signed.version)}-${req.signed_sha256.slice(0, 12)}.json`;
  const target = opts.out === undefined ? join(c.ws.dir, rel) : resolve(io.cwd, opts.out);
  const shown = opts.out ?? rel;
  const bytes = serializeRequest(req, shown);
  const change = new Change(c.ws.dir);
  if (opts.out === undefined) change.write(rel, bytes);
  else await writeFileAtomic(target, bytes, { outside: { force: opts.force === true, option: '--out' } });
  const auditHead = await commit(c, change, 'request', [artifact(d.file, d.bytes)], {
    role,
    version: signed.version,
    signed_sha256: req.signed_sha256,
    eligible_keyids: req.eligible_keyids,
  }, 'coordinator', [artifact(shown, bytes)]);
  const st = draftStatus(d.md, trustedRoot(c), namesFor(c, signed._type === 'root' ? signed : null), revokedFor(c));
  output(
    c,
    { ok: true, role, version: signed.version, file: shown, signedSha256: req.signed_sha256, eligibleKeyids: req.eligible_keyids, thresholds: st.thresholds.map(jsonThreshold), auditHead },
    [
      `signing request for ${role} version ${String(signed.version)} written to ${shown}`,
      `SHA-256 of the bytes to sign: ${groupedHash(req.signed_sha256)}`,
      ...st.thresholds.map(thresholdLine),
      `carry it to each keyholder's machine; there: tuf-ceremony sign ${basename(shown)} --key KEYREF`,
      `audit head: ${auditHead}`,
    ]
  );
  return 0;
}

function jsonThreshold(t: DraftStatus['thresholds'][number]): object {
  return { label: t.label, rootVersion: t.rootVersion, threshold: t.threshold, keys: t.result.keyids.length, signedBy: t.signedBy, canStillSign: t.canStillSign, more: t.more, met: t.met, validKeyids: t.result.valid };
}

// ## collect

const MAX_COLLECT_FILE = MAX_DRAFT_BYTES;

interface Incoming {
  readonly file: string;
  readonly bytes: Uint8Array;
  readonly role: DraftRole;
  readonly incoming: IncomingSignatures;
}

/** Reads one file given to `collect`: a signature file, or a copy of the metadata. */
function readIncoming(file: string, io: Io): Incoming {
  const bytes = readBoundedFile(resolve(io.cwd, file), MAX_COLLECT_FILE);
  const json = parseJson(bytes, file, { maxBytes: MAX_COLLECT_FILE });
  const isSigFile = typeof json === 'object' && json !== null && !Array.isArray(json) && 'format' in json;
  if (isSigFile) {
    const sf = parseSignatureFile(bytes, file);
    return { file, bytes, role: roleOf(sf.role, file, 'role'), incoming: incomingFromSignatureFile(sf, file) };
  }
  const md = parseMetadata(bytes, file);
  return { file, bytes, role: roleOf(md.signed._type, file, 'signed._type'), incoming: incomingFromMetadata(md, file) };
}

function roleOf(role: string, file: string, field: string): DraftRole {
  if (!(DRAFT_ROLES as readonly string[]).includes(role)) {
    throw new InputError(`${file}: ${field}: "${role}" has no drafts in a workspace (only ${DRAFT_ROLES.join(' and ')})`, { file, field });
  }
  return role as DraftRole;
}

/** `collect FILE…`: verify each signature against the draft, keep the valid ones. */
export async function runCollect(files: readonly string[], global: GlobalOptions, io: Io): Promise<number> {
  const c = await openCeremony(global, io);
  // Every file is read and checked before anything is written.
  const incoming = files.map((f) => readIncoming(f, io));
  const results: { role: DraftRole; version: number; result: CollectResult; status: DraftStatus; file: string }[] = [];
  const read: Artifact[] = [];
  const written: Artifact[] = [];
  const trusted = trustedRoot(c);
  const drafts = new Map<DraftRole, DraftFile>();
  for (const inc of incoming) if (!drafts.has(inc.role)) drafts.set(inc.role, needDraft(c, inc.role));
  // Evidence: the files as received, named by their hash, written with the draft in one change.
  const change = new Change(c.ws.dir);
  for (const inc of incoming) {
    const sha = sha256Hex(inc.bytes);
    const name = `${sha.slice(0, 16)}-${basename(inc.file).replace(/[^A-Za-z0-9._-]/g, '_')}`;
    change.write(`signatures/${name}`, inc.bytes);
    read.push(artifact(inc.file, inc.bytes));
    written.push({ path: `signatures/${name}`, sha256: sha });
  }
  for (const [role, d] of drafts) {
    const mine = incoming.filter((i) => i.role === role).map((i) => i.incoming);
    const signed = d.md.signed;
    // Keys declared compromised (a recovery draft) may not sign it.
    const revoked = revokedFor(c);
    const eligible = new Map([...eligibleKeys(signed, trusted)].filter(([id]) => !revoked.has(id)));
    const names = nameRecord(c, [...eligible.keys(), ...mine.flatMap((i) => i.sigs.map((s) => s.keyid))], signed._type === 'root' ? signed : null);
    const result = collectSignatures(d.md, eligible, mine, names);
    let md: ParsedMetadata = d.md;
    if (result.added.length > 0) {
      const w = writeDraft(change, role, { signed, signatures: result.signatures });
      written.push({ path: w.path, sha256: w.sha256 });
      md = parseMetadata(w.bytes, w.path, role);
    }
    read.push(artifact(d.file, d.bytes));
    results.push({ role, version: signed.version, result, status: draftStatus(md, trusted, namesFor(c, signed._type === 'root' ? signed : null), revokedFor(c)), file: d.file });
  }
  const auditHead = await commit(c, change, 'collect', read, {
    drafts: results.map((r) => ({
      role: r.role,
      version: r.version,
      signed_sha256: r.result.signedSha256,
      added: r.result.added.map((a) => ({ keyid: a.keyid, keyholder: a.keyholder ?? null, source: a.source, ...(a.claimedKeyholder === undefined ? {} : { claimed_keyholder: a.claimedKeyholder }) })),
      duplicates: r.result.duplicates.map((a) => ({ keyid: a.keyid, source: a.source })),
      rejected: r.result.rejected.map((a) => ({ keyid: a.keyid, keyholder: a.keyholder ?? null, source: a.source, reason: a.reason, ...(a.claimedKeyholder === undefined ? {} : { claimed_keyholder: a.claimedKeyholder }) })),
    })),
  }, 'coordinator', written);
  const rejected = results.flatMap((r) => r.result.rejected);
  const lines: string[] = [];
  for (const r of results) {
    lines.push(`${r.role} version ${String(r.version)} (SHA-256 ${groupedHash(r.result.signedSha256)}):`);
    const claim = (a: { claimedKeyholder?: string }): string => (a.claimedKeyholder === undefined ? '' : ` (WARNING: the file claims the signer is "${a.claimedKeyholder}"; the registry's name for this key is used)`);
    for (const a of r.result.added) lines.push(`  + ${a.keyholder ?? a.keyid.slice(0, 8)} (key ${a.keyid.slice(0, 8)}) from ${a.source}: signature verified and kept${claim(a)}`);
    for (const a of r.result.duplicates) lines.push(`  = ${a.keyholder ?? a.keyid.slice(0, 8)} from ${a.source}: ${a.note}`);
    for (const a of r.result.rejected) lines.push(`  ! ${a.keyholder ?? a.keyid.slice(0, 8)} from ${a.source}: REJECTED: ${a.reason}`);
    lines.push(...r.status.thresholds.map((t) => `  ${thresholdLine(t)}`));
  }
  lines.push(`audit head: ${auditHead}`);
  output(
    c,
    {
      ok: rejected.length === 0,
      drafts: results.map((r) => ({
        role: r.role,
        version: r.version,
        signedSha256: r.result.signedSha256,
        added: r.result.added,
        duplicates: r.result.duplicates,
        rejected: r.result.rejected,
        thresholds: r.status.thresholds.map(jsonThreshold),
        complete: r.status.complete,
      })),
      auditHead,
    },
    lines
  );
  if (rejected.length > 0) {
    const first = rejected[0];
    throw new VerificationError(
      `${String(rejected.length)} signature${rejected.length === 1 ? ' was' : 's were'} rejected; the first: ${first?.source ?? ''} (${first?.keyholder ?? first?.keyid ?? ''}): ${first?.reason ?? ''}`,
      { ...(first === undefined ? {} : { file: first.source }), hint: 'valid signatures from the other files were kept; the rejected ones were not' }
    );
  }
  return 0;
}

// ## status

/** `status`: every draft's thresholds, and the published metadata with expiry. */
export async function runStatus(global: GlobalOptions, io: Io, role?: string, opts: { readonly html?: string } = {}): Promise<number> {
  const asked = role === undefined ? undefined : assertDraftRole(role);
  const c = await openCeremony(global, io);
  if (opts.html !== undefined) await writeTrustPicture(c, opts.html);
  const nowMs = io.now();
  const trusted = trustedRoot(c);
  const drafts = allDrafts(c).map((d) => {
    const role = assertDraftRole(d.md.signed._type);
    if (alreadyPublished(c, role, d) !== null) {
      const judge = role === 'root' ? (c.trust.chain.at(-2)?.md.signed ?? null) : trusted;
      const st = draftStatus(d.md, judge, namesFor(c, d.md.signed._type === 'root' ? d.md.signed : null), revokedFor(c));
      return { file: d.file, status: st, errors: [], interrupted: true };
    }
    const st = draftStatus(d.md, trusted, namesFor(c, d.md.signed._type === 'root' ? d.md.signed : null), revokedFor(c));
    return { file: d.file, status: st, errors: draftErrors(c, role, d.md, nowMs), interrupted: false };
  });
  const published = publishedList(c, nowMs);
  const lines: string[] = [`workspace "${c.ws.settings.name}" (${c.ws.dir})`];
  if (drafts.length === 0) lines.push('drafts: none');
  for (const d of drafts) {
    const s = d.status;
    lines.push(`draft ${s.role} version ${String(s.version)}, expires ${s.expires} (${d.file}, SHA-256 ${groupedHash(s.signedSha256)})`);
    const inc = s.role === 'root' ? readIncident(c.ws) : null;
    if (inc !== null) lines.push(`  recovery draft: ${String(inc.revoked_keyids.length)} key ID${inc.revoked_keyids.length === 1 ? '' : 's'} declared compromised on ${inc.declared}; their signatures are refused`);
    for (const t of s.thresholds) lines.push(`  ${thresholdLine(t)}`);
    for (const e of d.errors) lines.push(`  not ready: ${e}`);
    if (d.interrupted) lines.push(`  already written to metadata/ by a publish that was cut short: run \`tuf-ceremony publish ${s.role}\` to finish it`);
    else if (d.errors.length === 0) lines.push(s.complete ? `  ready to publish: tuf-ceremony publish ${s.role}` : `  not yet publishable: ${stillNeeded(s)}`);
  }
  lines.push(published.length === 0 ? 'published: nothing yet' : 'published:');
  for (const p of published) lines.push(`  ${p.file}: ${p.role} version ${String(p.version)}, expires ${p.expires} (${p.expiresIn})`);
  const hardware = rootKeyHardware(c);
  if (hardware.length > 0) lines.push('root keys (hardware attestation):');
  for (const h of hardware) lines.push(`  ${h.name} (${h.keyid.slice(0, 8)}): ${h.text}`);
  output(
    c,
    {
      workspace: { name: c.ws.settings.name, dir: c.ws.dir },
      trustedRootVersion: trusted?.version ?? null,
      drafts: drafts.map((d) => ({
        role: d.status.role,
        version: d.status.version,
        expires: d.status.expires,
        file: d.file,
        signedSha256: d.status.signedSha256,
        thresholds: d.status.thresholds.map(jsonThreshold),
        errors: d.errors,
        interruptedPublish: d.interrupted,
        publishable: d.errors.length === 0 && d.status.complete,
      })),
      published,
      rootKeys: hardware.map(({ name, keyid, attested }) => ({ name, keyid, hardwareAttested: attested })),
    },
    lines
  );
  // `status ROLE` is a check (guided runs use it before publishing): "not yet publishable" is exit 1, not a pass.
  if (asked !== undefined) {
    const d = drafts.find((x) => x.status.role === asked);
    if (d === undefined) throw new VerificationError(`${asked}: no draft to publish`, { hint: `start one with \`tuf-ceremony ${asked} draft\`` });
    if (!d.interrupted && (d.errors.length > 0 || !d.status.complete)) {
      throw new VerificationError(`${asked} version ${String(d.status.version)} is not yet publishable: ${d.errors[0] ?? stillNeeded(d.status)}`, { file: d.file });
    }
  }
  return 0;
}

/** The registered keyholders whose keys the trusted root or the root draft lists for root, with their attestation. */
function rootKeyHardware(c: Ceremony): { name: string; keyid: string; attested: boolean; text: string }[] {
  const draft = allDrafts(c).find((d) => d.md.signed._type === 'root')?.md.signed as Root | undefined;
  // Matched by the public key, not the key ID: a root lists a key under the ID of the key object
  // it holds (with its owner's name bound in), not the public key file's.
  const inRootRole = (p: (typeof c.keyholders)[number]): boolean =>
    [trustedRoot(c), draft].some((root) => root !== null && root !== undefined && keyIdsListing(root.keys, p.key).some((id) => root.roles['root']?.keyids.includes(id) === true));
  return c.keyholders
    .filter(inRootRole)
    .map((p) => {
      const a = attestationOf(p);
      return { name: p.name, keyid: p.keyid, attested: a?.$case === 'attested', text: attestationText(a) };
    });
}

function publishedList(c: Ceremony, nowMs: number): { file: string; role: string; version: number; expires: string; expiresIn: string; expired: boolean }[] {
  const out: { file: string; role: string; version: number; expires: string; expiresIn: string; expired: boolean }[] = [];
  const add = (file: string, signed: Signed): void => {
    const ms = parseExpires(signed.expires)?.ms ?? 0;
    const days = ms - nowMs < 86_400_000 ? 0 : roundDays(nowMs, ms);
    out.push({
      file,
      role: signed._type,
      version: signed.version,
      expires: signed.expires,
      expiresIn: ms <= nowMs ? 'EXPIRED' : days === 0 ? 'expires within a day' : `in ${String(days)} days`,
      expired: ms <= nowMs,
    });
  };
  if (c.trust.root !== null) add(c.trust.root.file, c.trust.root.md.signed);
  const t = c.publishedTargets();
  if (t !== null) add(t.file, t.md.signed);
  return out;
}

// ## publish

export const MANIFEST_PATH = 'manifest.json';
export const MANIFEST_FORMAT = 'tuf-ceremony/manifest/v1';
/** The publish history: one canonical JSON line per publish, appended, never rewritten (docs/formats.md). */
export const ANCHORS_PATH = 'anchors.jsonl';

/** A metadata source: the workspace's metadata/ with new files laid over it. */
/** The key a published signature is judged with: the draft root's own keys, else the trusted root's. */
function publishKey(keyid: string, signed: Signed, trusted: Root | null): DecodedKey | undefined {
  const key = (signed._type === 'root' ? own(signed.keys, keyid) : undefined) ?? (trusted === null ? undefined : own(trusted.keys, keyid));
  return key === undefined ? undefined : decodeKeyCached(key);
}

function overlay(dir: string, extra: ReadonlyMap<string, Uint8Array>): MetadataSource {
  const base = metadataDirSource(dir);
  const names = [...new Set([...base.names, ...extra.keys()])].sort();
  return { names, read: (n) => extra.get(n) ?? base.read(n) };
}

/** Plans a published file; an existing file with the same bytes is fine (a publish run again after a crash). */
function writePublished(change: Change, name: string, bytes: Uint8Array, exclusive: boolean): void {
  const rel = `metadata/${name}`;
  if (exclusive) {
    const existing = readOptionalFile(join(change.dir, rel), MAX_DRAFT_BYTES);
    if (existing !== null && !Buffer.from(existing).equals(Buffer.from(bytes))) {
      throw new InputError(`${rel}: already published with other content; not replaced`, {
        file: rel,
        hint: 'a version number is published once; draft the next version instead',
      });
    }
  }
  change.write(rel, bytes);
}

/** `publish ROLE`: refuses unless every threshold holds; writes the metadata and the manifest. */
export async function runPublish(roleArg: string, global: GlobalOptions, io: Io): Promise<number> {
  const c = await openCeremony(global, io);
  const role = assertDraftRole(roleArg);
  const d = needDraft(c, role);
  const nowMs = io.now();
  // A publish cut short (crash, kill) after the metadata was written: finish it.
  const resumed = alreadyPublished(c, role, d);
  if (!resumed) {
    const errors = draftErrors(c, role, d.md, nowMs);
    if (errors.length > 0) {
      throw new VerificationError(`${d.file}: the ${role} draft cannot be published:\n  - ${errors.join('\n  - ')}`, { file: d.file });
    }
  }
  // The root that judges the draft: for a resumed root publish, the one before it.
  const trusted = resumed && role === 'root' ? (c.trust.chain.at(-2)?.md.signed ?? null) : trustedRoot(c);
  const signed = d.md.signed;
  const st = draftStatus(d.md, trusted, namesFor(c, signed._type === 'root' ? signed : null), revokedFor(c));
  if (!st.complete) {
    throw new VerificationError(
      `${role} version ${String(signed.version)} cannot be published yet: ${st.thresholds.map(thresholdLine).join('; ')}`,
      { file: d.file, hint: `still needed: ${stillNeeded(st)}; export a request with \`tuf-ceremony request ${role}\`` }
    );
  }
  // Only valid signatures of listed keys leave the tool; placeholders and strays stay behind.
  const counted = new Set(st.thresholds.flatMap((t) => t.result.valid));
  const md: Metadata = { signed, signatures: d.md.signatures.filter((s) => counted.has(s.keyid)) };
  // Judged a second time, by @noble, before anything is written: both verifiers must agree.
  assertPublishable(md.signatures, (k) => publishKey(k, signed, trusted), d.md.signedBytes, d.file);
  const metaDir = join(c.ws.dir, 'metadata');
  const files = new Map<string, Uint8Array>();
  const bytes = resumed ? resumed.bytes : serializeMetadata(md, `${role} version ${String(signed.version)}`);
  const rootForLayout = trustedRoot(c);
  if (role === 'root') {
    files.set(`${String(signed.version)}.root.json`, bytes);
    files.set('root.json', bytes);
  } else {
    files.set('targets.json', bytes);
    if (rootForLayout?.consistent_snapshot === true) files.set(`${String(signed.version)}.targets.json`, bytes);
  }
  // Verified as a client would before a byte is written: the root chain always; other failures are reported.
  const pre = verifyRepository(overlay(metaDir, files), { atMs: nowMs });
  const rootFailures = pre.steps.filter((s) => (s.kind === 'trusted-root' || s.kind === 'root-rotation' || s.kind === 'root') && !s.ok);
  const roleFailures = pre.steps.filter((s) => s.kind === role && !s.ok);
  if (rootFailures.length > 0 || roleFailures.length > 0 || (pre.failures.length > 0 && pre.steps.length === 0)) {
    throw new VerificationError(`refusing to publish: the result would not verify: ${pre.failures[0] ?? 'no root'}`, { file: d.file });
  }
  // What we emit must be accepted by python-tuf, go-tuf and tuf-js alike (docs/client-verdicts.md).
  const clientReasons = rejectionsOf(pre.clients, files);
  if (clientReasons.length > 0) {
    throw new VerificationError(`refusing to publish: a client would reject it: ${clientReasons.join('; ')}`, { file: d.file });
  }
  const written: Artifact[] = [];
  const change = new Change(c.ws.dir);
  for (const [name, b] of files) {
    writePublished(change, name, b, /^\d+\./.test(name));
    written.push(artifact(`metadata/${name}`, b));
  }
  const anchor = await readLastEntry(c.ws.dir);
  const manifest = buildManifest(overlay(metaDir, files), nowMs, anchor);
  change.write(MANIFEST_PATH, manifest);
  written.push(artifact(MANIFEST_PATH, manifest));
  const anchors = appendAnchor(c.ws.dir, { role, version: signed.version, files, anchor });
  if (anchors !== null) {
    change.write(ANCHORS_PATH, anchors);
    written.push(artifact(ANCHORS_PATH, anchors));
  }
  // Until the draft is gone, running publish again finishes an interrupted publish: removed in the same change.
  if (role === 'root') change.remove(INCIDENT_PATH);
  change.remove(d.file);
  // And checked again as it will be written.
  const post = verifyRepository(overlay(metaDir, files), { atMs: nowMs });
  const auditHead = await commit(c, change, 'publish', [artifact(d.file, d.bytes)], {
    role,
    version: signed.version,
    signed_sha256: st.signedSha256,
    resumed: resumed !== null,
    // The transcript states who signed and what each root required from this entry alone.
    thresholds: st.thresholds.map((t) => ({ label: t.label, root_version: t.rootVersion, threshold: t.threshold, keys: t.result.keyids.length, valid_keyids: t.result.valid, signed_by: t.signedBy })),
    verify_ok: post.ok,
    verify_failures: post.failures,
    audit_anchor: { head: anchor.head, seq: anchor.entry?.seq ?? 0 },
  }, 'coordinator', written);
  const lines = [
    `published ${role} version ${String(signed.version)}${resumed ? ' (an interrupted publish, finished now)' : ''}:`,
    ...st.thresholds.map((t) => `  ${thresholdLine(t)}`),
    ...written.map((w) => `  wrote ${w.path} (SHA-256 ${w.sha256})`),
    post.ok ? 'verify: the published metadata verifies as a client would' : 'verify: the published metadata does not fully verify yet:',
    ...post.failures.map((f) => `  - ${f}`),
    `audit head: ${auditHead}`,
    'write the audit head down: it anchors the log outside the workspace',
  ];
  output(c, { ok: true, role, version: signed.version, written, thresholds: st.thresholds.map(jsonThreshold), verify: { ok: post.ok, failures: post.failures }, auditHead }, lines);
  return 0;
}

/**
 * The published file of the draft's version when it holds the draft's very
 * signed bytes (a publish that stopped before removing the draft), else null.
 */
function alreadyPublished(c: Ceremony, role: DraftRole, d: DraftFile): { bytes: Uint8Array } | null {
  const p = role === 'root' ? c.trust.root : c.publishedTargets();
  if (p === null || p.md.signed.version !== d.md.signed.version) return null;
  return Buffer.from(p.md.signedBytes).equals(Buffer.from(d.md.signedBytes)) ? { bytes: p.bytes } : null;
}

/**
 * The anchors file with this publish's line appended: role, version, each
 * file written with its SHA-256, and the audit log's seq and head before
 * this publish. Null when its last line already records this very publish
 * (a publish finished after a crash).
 */
function appendAnchor(
  dir: string,
  p: { role: DraftRole; version: number; files: ReadonlyMap<string, Uint8Array>; anchor: { head: string; entry: { seq: number } | null } }
): Uint8Array | null {
  const old = readOptionalFile(join(dir, ANCHORS_PATH), MAX_ANCHORS_BYTES) ?? new Uint8Array();
  const files = Object.fromEntries([...p.files].map(([n, b]) => [`metadata/${n}`, { length: b.length, sha256: sha256Hex(b) }]));
  const line = canonicalize({ audit: { head: p.anchor.head, seq: p.anchor.entry?.seq ?? 0 }, files, role: p.role, version: p.version });
  const text = Buffer.from(old).toString('utf8');
  const last = text.trimEnd().split('\n').at(-1) ?? '';
  if (last !== '' && sameRecord(last, p.role, p.version, files)) return null;
  const prefix = text === '' || text.endsWith('\n') ? text : `${text}\n`;
  return Buffer.from(`${prefix}${line}\n`, 'utf8');
}

/** Up to 64 MiB of anchors (a line is a few hundred bytes). */
export const MAX_ANCHORS_BYTES = 64 * 1024 * 1024;

function sameRecord(line: string, role: string, version: number, files: Record<string, unknown>): boolean {
  try {
    const o = JSON.parse(line) as { role?: unknown; version?: unknown; files?: unknown };
    return o.role === role && o.version === version && canonicalize(o.files) === canonicalize(files);
  } catch {
    return false;
  }
}

/**
 * `manifest.json`: length, SHA-256 and SHA-512 of every file in metadata/,
 * and the audit log's head and seq before this publish (an anchor: `audit
 * verify` fails on a log cut back before it).
 */
function buildManifest(src: MetadataSource, nowMs: number, anchor: { head: string; entry: { seq: number } | null }): Uint8Array {
  const files: Record<string, { length: number; sha256: string; sha512: string }> = {};
  for (const n of src.names) {
    const b = src.read(n) ?? new Uint8Array();
    files[`metadata/${n}`] = { length: b.length, sha256: sha256Hex(b), sha512: createHash('sha512').update(b).digest('hex') };
  }
  return Buffer.from(
    stringifySorted({ format: MANIFEST_FORMAT, generated: formatExpires(nowMs), audit: { head: anchor.head, seq: anchor.entry?.seq ?? 0 }, files }),
    'utf8'
  );
}
