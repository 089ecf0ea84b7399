// SPDX-License-Identifier: Apache-2.0
/**
 * `targets draft` and the targets draft edits: `targets add`,
 * `targets remove`, `targets delegate`, `targets delegate-bins`,
 * `targets expires` (docs/ceremony.md, "Targets drafts").
 *
 * The draft rules are those of every draft (./drafts.ts): version published
 * + 1; an edit that changes the signed content discards the signatures
 * collected so far and says how many; an edit that brings in a new error is
 * refused and writes nothing; every change is audited.
 */
import { basename, resolve } from 'node:path';
import {
  addTargets,
  binRange,
  checkTargetsDraft,
  delegate,
  delegateBinRoles,
  delegateBins,
  newTargetsDraft,
  parseBitLength,
  removeTarget,
  setExpires,
  summarizeTargets,
  targetPathFor,
  type DelegationKey,
  type TargetsDraftCheck,
  type TargetsSummary,
} from '../../ceremony/targets-draft.js';
import { MAX_EXPIRES_DAYS } from '../../ceremony/root-draft.js';
import { InputError } from '../../errors.js';
import type { Metadata, Targets } from '../../metadata/model.js';
import { readDraft, writeDraft, type Artifact, type DraftFile } from '../../store/drafts.js';
import { hashFiles, type HashedFile } from '../../store/hash-files.js';
import { formatBytes, progressBar } from '../../ui/progress.js';
import { Change } from '../../store/change.js';
import type { GlobalOptions, Io } from '../io.js';
import { artifact, commit, keyResolver, namesFor, openCeremony, output, trustedRoot, type Ceremony } from './context.js';
import { carrySignatures, refuseExistingDraft, refuseNewErrors, saveEdit, signaturesLine, signedSha256, type FieldedCheck } from './drafts.js';

const fielded = (check: TargetsDraftCheck): FieldedCheck => ({ errors: check.errors, fields: check.issues.map((i) => i.field) });

function publishedTargets(c: Ceremony): Targets | null {
  return c.publishedTargets()?.md.signed ?? null;
}

function check(c: Ceremony, draft: Targets, nowMs: number): TargetsDraftCheck {
  return checkTargetsDraft(draft, publishedTargets(c), trustedRoot(c), nowMs);
}

function summaryLine(s: TargetsSummary): string {
  const delegations =
    s.succinctRoles !== null
      ? `${String(s.succinctRoles.bins)} hash bins (${s.succinctRoles.namePrefix}-…, bit length ${String(s.succinctRoles.bitLength)})`
      : s.roles.length > 8
        ? `${String(s.roles.length)} roles (${s.roles.slice(0, 3).join(', ')} … ${s.roles[s.roles.length - 1] ?? ''})`
        : s.roles.length > 0
          ? `${s.roles.join(', ')}`
          : 'none';
  return `the draft lists ${String(s.targets)} target${s.targets === 1 ? '' : 's'}; delegations: ${delegations}`;
}

/** What one command adds to the shared report: its own lines and JSON fields. */
interface Detail {
  readonly lines: readonly string[];
  readonly json: Record<string, unknown>;
}

/** The lines and JSON shared by every targets command's report. */
function report(
  c: Ceremony,
  draft: Targets,
  checked: TargetsDraftCheck,
  r: { action: string; discarded: number; kept: number; auditHead: string; written: Artifact },
  detail: Detail
): void {
  const summary = summarizeTargets(draft);
  const lines = [
    `${r.action}: targets version ${String(draft.version)} in ${r.written.path}`,
    ...signaturesLine(r.discarded, r.kept),
    ...detail.lines,
    summaryLine(summary),
    `expires: ${draft.expires}`,
    ...checked.warnings.map((w) => `warning: ${w}`),
    ...(checked.errors.length > 0
      ? ['to do before a signing request can be made:', ...checked.errors.map((e) => `  - ${e}`)]
      : ['the draft is ready for signing requests (tuf-ceremony request targets)']),
    `audit head: ${r.auditHead}`,
  ];
  output(
    c,
    {
      ok: true,
      action: r.action,
      role: 'targets',
      version: draft.version,
      expires: draft.expires,
      file: r.written.path,
      sha256: r.written.sha256,
      signedSha256: signedSha256(draft),
      discardedSignatures: r.discarded,
      keptSignatures: r.kept,
      ...detail.json,
      summary,
      errors: checked.errors,
      warnings: checked.warnings,
      ready: checked.errors.length === 0,
      auditHead: r.auditHead,
    },
    lines
  );
}

export interface TargetsDraftOptions {
  readonly replace?: boolean;
}

/** `targets draft [--replace]` */
export async function runTargetsDraft(opts: TargetsDraftOptions, global: GlobalOptions, io: Io): Promise<number> {
  const c = await openCeremony(global, io);
  const nowMs = io.now();
  const existing = readDraft(c.ws, 'targets');
  refuseExistingDraft(existing, 'targets', opts.replace);
  const days = c.ws.settings.defaults.targets_expires_days;
  if (days > MAX_EXPIRES_DAYS) {
    throw new InputError(`ceremony.json: defaults.targets_expires_days: ${String(days)} is more than ${String(MAX_EXPIRES_DAYS)} days`, {
      file: 'ceremony.json',
      field: 'defaults.targets_expires_days',
    });
  }
  const published = c.publishedTargets();
  const draft = newTargetsDraft(published?.md.signed ?? null, nowMs, { expiresDays: days });
  const { kept, discarded } = carrySignatures(existing, draft);
  const md: Metadata<Targets> = { signed: draft, signatures: kept };
  const change = new Change(c.ws.dir);
  const written = writeDraft(change, 'targets', md);
  const read = published === null ? [] : [artifact(published.file, published.bytes)];
  const auditHead = await commit(c, change, 'targets draft', read, {
    version: draft.version,
    replaced: existing !== null,
    discarded_signatures: discarded,
    signed_sha256: signedSha256(draft),
  });
  const from = published === null ? 'nothing is published: a first targets' : `from ${published.file} (version ${String(published.md.signed.version)})`;
  report(
    c,
    draft,
    check(c, draft, nowMs),
    { action: existing === null ? 'new draft' : 'draft replaced', discarded, kept: kept.length, auditHead, written },
    { lines: [from], json: { publishedVersion: published?.md.signed.version ?? null } }
  );
  return 0;
}

/** One edit: the next draft, the files it read, and what it reports. */
interface Edit {
  readonly next: Targets;
  readonly read?: readonly Artifact[];
  readonly detail: Detail;
}

function needDraft(c: Ceremony): DraftFile<Targets> {
  const current = readDraft(c.ws, 'targets');
  if (current === null) {
    throw new InputError('there is no targets draft to edit', { field: 'ROLE', hint: 'start one with `tuf-ceremony targets draft`' });
  }
  return current;
}

/** Applies one edit to the targets draft under the rules at the top of this file. */
async function editTargets(
  global: GlobalOptions,
  io: Io,
  command: string,
  details: Record<string, unknown>,
  edit: (draft: Targets, c: Ceremony, nowMs: number) => Edit | Promise<Edit>
): Promise<number> {
  const c = await openCeremony(global, io);
  const nowMs = io.now();
  const current = needDraft(c);
  const before = check(c, current.md.signed, nowMs);
  const e = await edit(current.md.signed, c, nowMs);
  const after = check(c, e.next, nowMs);
  refuseNewErrors(command, fielded(before), fielded(after), (err) =>
    /threshold/.test(err) ? 'a threshold must be at most the number of keys given with --key' : undefined
  );
  const saved = await saveEdit(c, 'targets', current, e.next, command, details, e.read ?? []);
  report(
    c,
    e.next,
    after,
    { action: saved.changed ? 'draft changed' : 'draft unchanged', discarded: saved.discarded, kept: saved.kept, auditHead: saved.auditHead, written: saved.written },
    e.detail
  );
  return 0;
}

export interface TargetsAddOptions {
  readonly path?: string;
}

/** `targets add FILE… [--path P]`: hash each file (SHA-256 and SHA-512, streamed) and list it. */
export function runTargetsAdd(files: readonly string[], opts: TargetsAddOptions, global: GlobalOptions, io: Io): Promise<number> {
  return editTargets(global, io, 'targets add', { files: [...files], path: opts.path ?? null }, async (draft) => {
    // Every target path is checked before the first byte is hashed.
    const paths = files.map((f) => targetPathFor(basename(f), opts.path, files.length, f));
    const bar = progressBar({ label: 'hashing', write: io.stderr, isTTY: io.stderrIsTTY === true, clock: io.monotonic ?? (() => performance.now()) });
    let hashed: HashedFile[];
    try {
      hashed = await hashFiles(
        files.map((f) => ({ path: resolve(io.cwd, f), shown: f })),
        (done, total) => bar.update(done, total)
      );
    } finally {
      bar.finish();
    }
    const result = addTargets(
      draft,
      hashed.map((h, i) => ({ path: paths[i] as string, file: h.shown, length: h.length, hashes: { sha256: h.sha256, sha512: h.sha512 } }))
    );
    const targets = hashed.map((h, i) => ({
      path: paths[i] as string,
      file: h.shown,
      length: h.length,
      hashes: { sha256: h.sha256, sha512: h.sha512 },
      change: result.changes[i]?.change ?? 'unchanged',
    }));
    const sign = { added: '+', updated: '~', unchanged: '=' } as const;
    return {
      next: result.draft,
      read: hashed.map((h) => ({ path: h.shown, sha256: h.sha256 })),
      detail: {
        lines: targets.map((t) => `  ${sign[t.change]} ${t.path} (${t.change}): ${formatBytes(t.length)} (${String(t.length)} bytes), sha256 ${t.hashes.sha256}`),
        json: { targets },
      },
    };
  });
}

/** `targets remove PATH` */
export function runTargetsRemove(path: string, global: GlobalOptions, io: Io): Promise<number> {
  return editTargets(global, io, 'targets remove', { path }, (draft) => {
    const { draft: next, removed } = removeTarget(draft, path);
    return {
      next,
      detail: {
        lines: [`  - ${path}: ${String(removed.length)} bytes, sha256 ${removed.hashes['sha256'] ?? '(none)'}`],
        json: { removed: { path, length: removed.length, hashes: removed.hashes } },
      },
    };
  });
}

/** Resolves every WHO given with --key; keys the draft's delegations hold count as known key IDs. */
function resolveKeys(c: Ceremony, draft: Targets, who: readonly string[]): DelegationKey[] {
  const resolveWho = keyResolver(c, [draft.delegations]);
  return who.map((w) => {
    const k = resolveWho(w);
    return { keyid: k.keyid, key: k.key, who: w };
  });
}

function keysJson(c: Ceremony, draft: Targets, keyids: readonly string[]): { keyid: string; keyholder: string | null }[] {
  const names = namesFor(c, draft.delegations);
  return keyids.map((k) => ({ keyid: k, keyholder: names(k) ?? null }));
}

const keysText = (keys: readonly { keyid: string; keyholder: string | null }[]): string =>
  keys.map((k) => (k.keyholder === null ? k.keyid.slice(0, 8) : `${k.keyholder} (${k.keyid.slice(0, 8)})`)).join(', ');

export interface TargetsDelegateOptions {
  readonly key: readonly string[];
  readonly threshold: string;
  readonly paths?: readonly string[];
  readonly hashPrefixes?: readonly string[];
  readonly terminating?: boolean;
}

/** `targets delegate NAME --key WHO… --threshold T (--paths GLOB… | --hash-prefixes P…) [--terminating]` */
export function runTargetsDelegate(name: string, opts: TargetsDelegateOptions, global: GlobalOptions, io: Io): Promise<number> {
  const details = {
    name,
    keys: [...opts.key],
    threshold: opts.threshold,
    paths: opts.paths ?? null,
    hash_prefixes: opts.hashPrefixes ?? null,
    terminating: opts.terminating === true,
  };
  return editTargets(global, io, 'targets delegate', details, (draft, c) => {
    const r = delegate(draft, {
      name,
      keys: resolveKeys(c, draft, opts.key),
      threshold: opts.threshold,
      ...(opts.paths === undefined ? {} : { paths: opts.paths }),
      ...(opts.hashPrefixes === undefined ? {} : { hashPrefixes: opts.hashPrefixes }),
      terminating: opts.terminating === true,
    });
    const keys = keysJson(c, r.draft, r.role.keyids);
    const scope = r.role.paths !== undefined ? `paths ${r.role.paths.join(' ')}` : `hash prefixes ${(r.role.path_hash_prefixes ?? []).join(' ')}`;
    return {
      next: r.draft,
      detail: {
        lines: [
          `  delegation ${JSON.stringify(name)} (${r.change}): ${scope}; ${String(r.role.threshold)} of ${String(keys.length)} keys: ${keysText(keys)}; ${r.role.terminating ? 'terminating' : 'not terminating'}`,
        ],
        json: {
          delegation: {
            change: r.change,
            name,
            keys,
            threshold: r.role.threshold,
            terminating: r.role.terminating,
            paths: r.role.paths ?? null,
            pathHashPrefixes: r.role.path_hash_prefixes ?? null,
          },
        },
      },
    };
  });
}

export interface TargetsDelegateBinsOptions {
  readonly namePrefix: string;
  readonly bitLength: string;
  readonly key: readonly string[];
  readonly threshold: string;
  /** List the bins as roles with hash prefixes (PEP 458's original layout) instead of succinct_roles. */
  readonly asRoles?: boolean;
}

/** `targets delegate-bins --name-prefix P --bit-length B --key WHO… --threshold T [--as-roles]` */
export function runTargetsDelegateBins(opts: TargetsDelegateBinsOptions, global: GlobalOptions, io: Io): Promise<number> {
  const details = { name_prefix: opts.namePrefix, bit_length: opts.bitLength, keys: [...opts.key], threshold: opts.threshold, as_roles: opts.asRoles === true };
  if (opts.asRoles === true) {
    return editTargets(global, io, 'targets delegate-bins', details, (draft, c) => {
      const r = delegateBinRoles(draft, { namePrefix: opts.namePrefix, bitLength: opts.bitLength, keys: resolveKeys(c, draft, opts.key), threshold: opts.threshold });
      const bits = parseBitLength(opts.bitLength);
      const range = binRange({ bit_length: bits, name_prefix: opts.namePrefix });
      const first = r.draft.delegations?.roles?.find((x) => x.name === range.first);
      const keys = keysJson(c, r.draft, first?.keyids ?? []);
      return {
        next: r.draft,
        detail: {
          lines: [
            `  hash bins as roles (${r.change}): ${String(r.bins)} roles ${range.first} … ${range.last} (bit length ${String(bits)}, ${String(r.prefixesPerBin)} hash prefix${r.prefixesPerBin === 1 ? '' : 'es'} each); ${String(first?.threshold ?? 0)} of ${String(keys.length)} keys: ${keysText(keys)}`,
          ],
          json: {
            binRoles: { change: r.change, namePrefix: opts.namePrefix, bitLength: bits, bins: r.bins, prefixesPerBin: r.prefixesPerBin, firstBin: range.first, lastBin: range.last, keys, threshold: first?.threshold ?? 0 },
          },
        },
      };
    });
  }
  return editTargets(global, io, 'targets delegate-bins', details, (draft, c) => {
    const r = delegateBins(draft, { namePrefix: opts.namePrefix, bitLength: opts.bitLength, keys: resolveKeys(c, draft, opts.key), threshold: opts.threshold });
    const sr = r.succinctRoles;
    const keys = keysJson(c, r.draft, sr.keyids);
    const bins = binRange(sr);
    return {
      next: r.draft,
      detail: {
        lines: [
          `  hash bins (${r.change}): ${String(bins.count)} bins ${bins.first} … ${bins.last} (bit length ${String(sr.bit_length)}); ${String(sr.threshold)} of ${String(keys.length)} keys: ${keysText(keys)}`,
        ],
        json: {
          succinctRoles: {
            change: r.change,
            namePrefix: sr.name_prefix,
            bitLength: sr.bit_length,
            bins: bins.count,
            firstBin: bins.first,
            lastBin: bins.last,
            keys,
            threshold: sr.threshold,
          },
        },
      },
    };
  });
}

/** `targets expires WHEN` */
export function runTargetsExpires(when: string, global: GlobalOptions, io: Io): Promise<number> {
  return editTargets(global, io, 'targets expires', { when }, (draft, _c, nowMs) => {
    const next = setExpires(draft, when, nowMs);
    return { next, detail: { lines: [`  expires: ${draft.expires} → ${next.expires}`], json: { previousExpires: draft.expires } } };
  });
}
