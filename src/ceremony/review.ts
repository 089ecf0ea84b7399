// SPDX-License-Identifier: Apache-2.0
/**
 * The review a keyholder reads before signing (`sign`) and the coordinator
 * reads before asking for signatures (`diff`): what changes between the
 * trusted previous version of a role and the draft.
 *
 * Product rule 1, "what you see is what you sign": every line is derived
 * from the exact `signed` object being signed (its canonical bytes give the
 * hash shown) and from the previous version the reader trusts, never from a
 * summary carried with them. Only keyholder names come from outside; each is
 * shown beside the key ID it labels.
 *
 * Pure: objects in, lines out; the reference time is passed in.
 */
import { canonicalBytes, canonicalize, compareCodePoints } from '../metadata/canonical.js';
import { parseExpires, roundDays } from '../metadata/expires.js';
import type { TufKey } from '../metadata/keys.js';
import {
  own,
  TOP_LEVEL_ROLES,
  type DelegatedRole,
  type Delegations,
  type MetaFile,
  type Root,
  type RoleKeys,
  type Signed,
  type SuccinctRoles,
  type TargetFile,
  type Targets,
} from '../metadata/model.js';
import { sha256Hex } from './request.js';

export interface ReviewArgs {
  /** The role's name as shown (a top-level role, or a delegated role name). */
  readonly role: string;
  /** The draft's `signed` object: exactly what is signed. */
  readonly draft: Signed;
  /** The published version of the role (for root: the trusted root); null when there is none. */
  readonly previous: Signed | null;
  /** Keyholder names by key ID (labels only). */
  readonly keyholders: { readonly [keyid: string]: string };
  /** Reference time for "expires in N days". */
  readonly nowMs: number;
  /**
   * For roles other than root: the trusted root, to list the keys that may
   * sign. (For root the signers follow from `previous` and `draft`.)
   */
  readonly trustedRoot?: Root | null;
}

const DAY_MS = 86_400_000;

/**
 * A hex digest in groups of 4 characters separated by spaces
 * (`3f2a 9c1b …`, 16 groups for SHA-256), for two people to read aloud.
 */
export function groupedHash(hex: string): string {
  return (hex.toLowerCase().match(/.{1,4}/g) ?? []).join(' ');
}

function plural(n: number, word: string): string {
  return `${String(n)} ${word}${n === 1 ? '' : 's'}`;
}

/** "in 365 days", "in less than a day", "EXPIRED 3 days ago". */
export function expiresIn(expiresAtMs: number, nowMs: number): string {
  const diff = expiresAtMs - nowMs;
  if (diff <= 0) {
    const n = Math.floor(-diff / DAY_MS);
    return n === 0 ? 'EXPIRED less than a day ago' : `EXPIRED ${plural(n, 'day')} ago`;
  }
  if (diff < DAY_MS) return 'in less than a day';
  return `in ${plural(roundDays(nowMs, expiresAtMs), 'day')}`;
}

type Names = { readonly [keyid: string]: string };
type KeyMap = { readonly [keyid: string]: TufKey };

/** `alice (ed25519 key 1bf1c6e3a1b2c3d4)`: the name, the key type and the first 16 hex digits. */
function keyText(keyid: string, names: Names, ...maps: (KeyMap | undefined)[]): string {
  let key: TufKey | undefined;
  for (const m of maps) key ??= m === undefined ? undefined : own(m, keyid);
  const name = own(names, keyid) ?? 'no keyholder name';
  return `${name} (${key?.keytype ?? 'unknown'} key ${keyid.slice(0, 16)})`;
}

function short(value: unknown, max = 120): string {
  let text: string;
  try {
    text = canonicalize(value);
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function same(a: unknown, b: unknown): boolean {
  if (a === undefined || b === undefined) return a === b;
  try {
    return canonicalize(a) === canonicalize(b);
  } catch {
    return false;
  }
}

/** A shallow copy of `o` without `fields`: what the detailed lines do not show. */
function without(o: object, fields: readonly string[]): { [k: string]: unknown } {
  const out: { [k: string]: unknown } = {};
  for (const [k, v] of Object.entries(o)) if (!fields.includes(k)) out[k] = v;
  return out;
}

function quoteList(items: readonly string[]): string {
  return items.map((s) => JSON.stringify(s)).join(', ');
}

/**
 * Lines for one `{keyids, threshold}` role: a header, then every key, marked
 * `+` (added), `-` (removed) or blank (kept).
 */
function roleLines(
  label: string,
  next: RoleKeys | undefined,
  prev: RoleKeys | undefined,
  names: Names,
  nextKeys: KeyMap | undefined,
  prevKeys: KeyMap | undefined,
  indent: string
): string[] {
  const lines: string[] = [];
  if (next === undefined && prev === undefined) return lines;
  if (next === undefined) {
    lines.push(`${indent}${label}: REMOVED (was ${String(prev?.threshold)} of ${plural(prev?.keyids.length ?? 0, 'key')})`);
    for (const k of prev?.keyids ?? []) lines.push(`${indent}  - ${keyText(k, names, prevKeys, nextKeys)}`);
    return lines;
  }
  const n = `${String(next.threshold)} of ${plural(next.keyids.length, 'key')}`;
  if (prev === undefined) {
    lines.push(`${indent}${label}: new, ${n}`);
    for (const k of next.keyids) lines.push(`${indent}  + ${keyText(k, names, nextKeys, prevKeys)}`);
    return lines;
  }
  const before = new Set(prev.keyids);
  const after = new Set(next.keyids);
  const changes: string[] = [];
  if (next.threshold !== prev.threshold) changes.push(`threshold ${String(prev.threshold)} → ${String(next.threshold)}`);
  const addedN = next.keyids.filter((k) => !before.has(k)).length;
  const removedN = prev.keyids.filter((k) => !after.has(k)).length;
  if (addedN > 0) changes.push(`${plural(addedN, 'key')} added`);
  if (removedN > 0) changes.push(`${plural(removedN, 'key')} removed`);
  lines.push(`${indent}${label}: ${changes.length === 0 ? `unchanged, ${n}` : `${changes.join(', ')}; now ${n}`}`);
  if (next.threshold > next.keyids.length) {
    lines.push(`${indent}  WARNING: the threshold is above the number of keys and can never be met`);
  }
  for (const k of next.keyids) {
    const missing = nextKeys !== undefined && own(nextKeys, k) === undefined ? ' WARNING: not in keys, it can never count' : '';
    lines.push(`${indent}  ${before.has(k) ? ' ' : '+'} ${keyText(k, names, nextKeys, prevKeys)}${missing}`);
  }
  for (const k of prev.keyids) if (!after.has(k)) lines.push(`${indent}  - ${keyText(k, names, prevKeys, nextKeys)}`);
  return lines;
}

/** Top-level fields a role type has; any other field is shown generically. */
const KNOWN_FIELDS: { readonly [type: string]: readonly string[] } = {
  root: ['consistent_snapshot', 'keys', 'roles'],
  targets: ['targets', 'delegations'],
  snapshot: ['meta'],
  timestamp: ['meta'],
};
const COMMON_FIELDS = ['_type', 'spec_version', 'version', 'expires'];

function otherFieldLines(draft: Signed, previous: Signed | null): string[] {
  const known = new Set([...COMMON_FIELDS, ...(KNOWN_FIELDS[draft._type] ?? [])]);
  const d = draft as unknown as { readonly [k: string]: unknown };
  const p = (previous ?? {}) as unknown as { readonly [k: string]: unknown };
  const fields = new Set([...Object.keys(d), ...Object.keys(p)].filter((f) => !known.has(f)));
  const lines: string[] = [];
  for (const f of [...fields].sort(compareCodePoints)) {
    const inD = Object.hasOwn(d, f);
    const inP = previous !== null && Object.hasOwn(p, f);
    if (inD && !inP) lines.push(`Field ${JSON.stringify(f)}: ${previous === null ? '' : 'added '}${short(d[f])}`);
    else if (!inD && inP) lines.push(`Field ${JSON.stringify(f)}: REMOVED (was ${short(p[f])})`);
    else if (!same(d[f], p[f])) lines.push(`Field ${JSON.stringify(f)}: ${short(p[f])} → ${short(d[f])}`);
  }
  return lines;
}

function rootLines(draft: Root, previous: Root | null, names: Names): string[] {
  const lines: string[] = [];
  const prevRoles = previous?.roles ?? {};
  const roleNames = [
    ...TOP_LEVEL_ROLES.filter((r) => Object.hasOwn(draft.roles, r) || Object.hasOwn(prevRoles, r)),
    ...[...new Set([...Object.keys(draft.roles), ...Object.keys(prevRoles)])]
      .filter((r) => !(TOP_LEVEL_ROLES as readonly string[]).includes(r))
      .sort(compareCodePoints),
  ];
  for (const r of roleNames) {
    const label = `${r.slice(0, 1).toUpperCase()}${r.slice(1)} role`;
    const prevRole = previous === null ? undefined : own(prevRoles, r);
    lines.push(...roleLines(label, own(draft.roles, r), prevRole, names, draft.keys, previous?.keys, ''));
  }

  // Keys in `keys` that no role lists, and key objects changed under one key ID.
  const used = new Set(Object.values(draft.roles).flatMap((r) => r.keyids));
  for (const keyid of Object.keys(draft.keys)) {
    const prevKey = previous === null ? undefined : own(previous.keys, keyid);
    if (!used.has(keyid) && prevKey === undefined) {
      lines.push(`Key added to "keys" but used by no role: ${keyText(keyid, names, draft.keys)}`);
    }
    if (prevKey !== undefined && !same(prevKey, own(draft.keys, keyid))) {
      lines.push(`Key object changed under the same key ID: ${keyText(keyid, names, draft.keys)}: ${short(own(draft.keys, keyid))}`);
    }
  }

  const cs = (r: Root | null): string => (r?.consistent_snapshot === undefined ? 'absent' : String(r.consistent_snapshot));
  if (previous === null) lines.push(`consistent_snapshot: ${cs(draft)}`);
  else if (cs(previous) !== cs(draft)) lines.push(`consistent_snapshot: ${cs(previous)} → ${cs(draft)}`);
  else lines.push(`consistent_snapshot: ${cs(draft)} (unchanged)`);

  // Who must sign (spec §5.3.4-5.3.5): a threshold of the old root's root keys
  // and a threshold of the new root's own root keys.
  const who = (r: Root): string => {
    const role = own(r.roles, 'root');
    if (role === undefined) return 'no root role';
    const list = role.keyids.map((k) => own(names, k) ?? k.slice(0, 16)).join(', ');
    return `${String(role.threshold)} of ${String(role.keyids.length)} (${list})`;
  };
  lines.push(
    previous === null
      ? `Signatures needed: ${who(draft)} of its own root keys`
      : `Signatures needed: ${who(previous)} of the trusted root's root keys AND ${who(draft)} of the new root's root keys`
  );
  return lines;
}

function hashLines(file: TargetFile, prev: TargetFile | undefined, indent: string): string[] {
  const lines: string[] = [];
  const algs = [...new Set([...Object.keys(file.hashes), ...Object.keys(prev?.hashes ?? {})])].sort(compareCodePoints);
  for (const alg of algs) {
    const now = own(file.hashes, alg);
    const was = prev === undefined ? undefined : own(prev.hashes, alg);
    if (now === undefined) lines.push(`${indent}${alg}: REMOVED (was ${String(was)})`);
    else if (prev === undefined) lines.push(`${indent}${alg}: ${now}`);
    else if (was === undefined) lines.push(`${indent}${alg}: ${now} (added)`);
    else if (was !== now) lines.push(`${indent}${alg}: ${now} (was ${was})`);
  }
  return lines;
}

function targetsLines(draft: Targets, previous: Targets | null, names: Names): string[] {
  const lines: string[] = [];
  const prevTargets = previous?.targets ?? {};
  const paths = Object.keys(draft.targets).sort(compareCodePoints);
  const added: string[] = [];
  const changed: string[] = [];
  let unchanged = 0;
  for (const p of paths) {
    const was = own(prevTargets, p);
    if (was === undefined) added.push(p);
    else if (!same(was, own(draft.targets, p))) changed.push(p);
    else unchanged++;
  }
  const removed = Object.keys(prevTargets)
    .filter((p) => !Object.hasOwn(draft.targets, p))
    .sort(compareCodePoints);
  lines.push(
    `Targets: ${String(added.length)} added, ${String(removed.length)} removed, ${String(changed.length)} changed, ${String(unchanged)} unchanged (${plural(paths.length, 'target')} listed)`
  );
  for (const p of added) {
    const f = own(draft.targets, p) as TargetFile;
    lines.push(`  + ${p}: ${String(f.length)} bytes`);
    lines.push(...hashLines(f, undefined, '      '));
    if (f.custom !== undefined) lines.push(`      custom: ${short(f.custom)}`);
  }
  for (const p of removed) lines.push(`  - ${p}`);
  for (const p of changed) {
    const f = own(draft.targets, p) as TargetFile;
    const was = own(prevTargets, p) as TargetFile;
    lines.push(`  ~ ${p}`);
    if (f.length !== was.length) lines.push(`      length: ${String(was.length)} → ${String(f.length)}`);
    lines.push(...hashLines(f, was, '      '));
    if (!same(f.custom, was.custom)) {
      lines.push(`      custom: ${was.custom === undefined ? 'absent' : short(was.custom)} → ${f.custom === undefined ? 'absent' : short(f.custom)}`);
    }
    const restNow = without(f, ['length', 'hashes', 'custom']);
    const restWas = without(was, ['length', 'hashes', 'custom']);
    if (!same(restNow, restWas)) lines.push(`      other fields: ${short(restWas)} → ${short(restNow)}`);
  }
  lines.push(...delegationLines(draft.delegations, previous?.delegations, names));
  return lines;
}

function delegatedRoleSummary(r: DelegatedRole): string {
  const scope =
    r.paths !== undefined
      ? `paths ${quoteList(r.paths)}`
      : r.path_hash_prefixes !== undefined
        ? `path_hash_prefixes ${quoteList(r.path_hash_prefixes)}`
        : 'no paths';
  return `${scope}; ${String(r.threshold)} of ${plural(r.keyids.length, 'key')}; ${r.terminating ? 'terminating' : 'not terminating'}`;
}

function listChange(label: string, next: readonly string[] | undefined, prev: readonly string[] | undefined): string[] {
  if (same(next ?? null, prev ?? null)) return [];
  if (next === undefined) return [`${label}: REMOVED (was ${quoteList(prev ?? [])})`];
  if (prev === undefined) return [`${label}: ${quoteList(next)} (added)`];
  const plus = next.filter((x) => !prev.includes(x));
  const minus = prev.filter((x) => !next.includes(x));
  const parts: string[] = [];
  if (plus.length > 0) parts.push(`+ ${quoteList(plus)}`);
  if (minus.length > 0) parts.push(`- ${quoteList(minus)}`);
  if (parts.length === 0) parts.push(`order now ${quoteList(next)}`);
  return [`${label}: ${parts.join('; ')}`];
}

function binsText(sr: SuccinctRoles): string {
  const count = 2 ** sr.bit_length;
  const width = (count - 1).toString(16).length;
  const last = (count - 1).toString(16).padStart(width, '0');
  return `${String(count)} bins ${sr.name_prefix}-${'0'.repeat(width)} … ${sr.name_prefix}-${last} (bit_length ${String(sr.bit_length)})`;
}

function delegationLines(next: Delegations | undefined, prev: Delegations | undefined, names: Names): string[] {
  if (next === undefined && prev === undefined) return [];
  if (same(next ?? null, prev ?? null)) {
    const n = next?.roles?.length;
    return [`Delegations: unchanged (${next?.succinct_roles !== undefined ? 'succinct hash bins' : plural(n ?? 0, 'role')})`];
  }
  return delegationChangeLines(next, prev, names);
}

function delegationChangeLines(next: Delegations | undefined, prev: Delegations | undefined, names: Names): string[] {
  const lines: string[] = [next === undefined ? 'Delegations: ALL REMOVED' : 'Delegations:'];
  const nextKeys = next?.keys ?? {};
  const prevKeys = prev?.keys ?? {};
  for (const k of Object.keys(nextKeys)) {
    if (!Object.hasOwn(prevKeys, k)) lines.push(`  key added: ${keyText(k, names, nextKeys)}`);
    else if (!same(own(nextKeys, k), own(prevKeys, k))) lines.push(`  key object changed under the same key ID: ${keyText(k, names, nextKeys)}`);
  }
  for (const k of Object.keys(prevKeys)) {
    if (!Object.hasOwn(nextKeys, k)) lines.push(`  key removed: ${keyText(k, names, prevKeys)}`);
  }

  const nextRoles = next?.roles ?? [];
  const prevRoles = prev?.roles ?? [];
  const prevByName = new Map(prevRoles.map((r) => [r.name, r]));
  const nextByName = new Map(nextRoles.map((r) => [r.name, r]));
  for (const r of nextRoles) {
    const was = prevByName.get(r.name);
    if (was === undefined) {
      lines.push(`  + role ${JSON.stringify(r.name)}: ${delegatedRoleSummary(r)}`);
      for (const k of r.keyids) lines.push(`      + ${keyText(k, names, nextKeys, prevKeys)}`);
      continue;
    }
    if (same(r, was)) continue;
    lines.push(`  ~ role ${JSON.stringify(r.name)}: now ${delegatedRoleSummary(r)}`);
    lines.push(...roleLines('keys', r, was, names, nextKeys, prevKeys, '      '));
    lines.push(...listChange('paths', r.paths, was.paths).map((l) => `      ${l}`));
    lines.push(...listChange('path_hash_prefixes', r.path_hash_prefixes, was.path_hash_prefixes).map((l) => `      ${l}`));
    if (r.terminating !== was.terminating) lines.push(`      terminating: ${String(was.terminating)} → ${String(r.terminating)}`);
    const shown = ['name', 'keyids', 'threshold', 'paths', 'path_hash_prefixes', 'terminating'];
    const restNow = without(r, shown);
    const restWas = without(was, shown);
    if (!same(restNow, restWas)) lines.push(`      other fields: ${short(restWas)} → ${short(restNow)}`);
  }
  for (const r of prevRoles) {
    if (!nextByName.has(r.name)) lines.push(`  - role ${JSON.stringify(r.name)} (was ${delegatedRoleSummary(r)})`);
  }
  // Delegations are searched in order (spec §5.6.7.2): a reordering matters.
  const keptNext = nextRoles.filter((r) => prevByName.has(r.name)).map((r) => r.name);
  const keptPrev = prevRoles.filter((r) => nextByName.has(r.name)).map((r) => r.name);
  if (!same(keptNext, keptPrev)) lines.push(`  role search order changed: ${quoteList(nextRoles.map((r) => r.name))}`);

  const sr = next?.succinct_roles;
  const srWas = prev?.succinct_roles;
  if (sr !== undefined && srWas === undefined) {
    lines.push(`  + succinct hash bins: ${binsText(sr)}; ${String(sr.threshold)} of ${plural(sr.keyids.length, 'key')}`);
    for (const k of sr.keyids) lines.push(`      + ${keyText(k, names, nextKeys, prevKeys)}`);
  } else if (sr === undefined && srWas !== undefined) {
    lines.push(`  - succinct hash bins (was ${binsText(srWas)})`);
  } else if (sr !== undefined && srWas !== undefined && !same(sr, srWas)) {
    lines.push(`  ~ succinct hash bins: now ${binsText(sr)}`);
    if (sr.bit_length !== srWas.bit_length) {
      lines.push(`      bit_length: ${String(srWas.bit_length)} → ${String(sr.bit_length)} (${String(2 ** srWas.bit_length)} → ${String(2 ** sr.bit_length)} bins)`);
    }
    if (sr.name_prefix !== srWas.name_prefix) {
      lines.push(`      name_prefix: ${JSON.stringify(srWas.name_prefix)} → ${JSON.stringify(sr.name_prefix)}`);
    }
    lines.push(...roleLines('keys', sr, srWas, names, nextKeys, prevKeys, '      '));
  }
  return lines;
}

function metaLines(next: { readonly [f: string]: MetaFile }, prev: { readonly [f: string]: MetaFile } | undefined): string[] {
  const lines: string[] = [];
  const p = prev ?? {};
  for (const f of Object.keys(next).sort(compareCodePoints)) {
    const m = own(next, f) as MetaFile;
    const was = own(p, f);
    if (was === undefined) lines.push(`  + ${f}: version ${String(m.version)}`);
    else if (!same(m, was)) lines.push(`  ~ ${f}: version ${String(was.version)} → ${String(m.version)}${same({ ...m, version: 0 }, { ...was, version: 0 }) ? '' : ', length or hashes changed'}`);
  }
  for (const f of Object.keys(p).sort(compareCodePoints)) if (!Object.hasOwn(next, f)) lines.push(`  - ${f}`);
  return lines.length === 0 ? ['Meta: unchanged'] : ['Meta:', ...lines];
}

/**
 * The review of a draft against the previous version: role, version, expiry
 * ("in N days"), the SHA-256 of the canonical bytes in groups of four, then
 * what changed. For root: keys added and removed per role (with names),
 * thresholds, consistent_snapshot and who must sign. For targets: targets
 * added, removed and changed (length, hashes), and delegation changes (keys,
 * thresholds, paths and prefixes, terminating, succinct bins).
 */
export function reviewLines(args: ReviewArgs): string[] {
  const { draft, previous, nowMs } = args;
  const names = args.keyholders;
  const lines: string[] = [];
  const hash = sha256Hex(canonicalBytes(draft));

  lines.push(`Role: ${args.role}${args.role === draft._type ? '' : ` (${draft._type} metadata)`}`);
  lines.push(`Version: ${String(draft.version)}${previous === null ? ' (no previous version)' : ` (previous version ${String(previous.version)})`}`);
  const exp = parseExpires(draft.expires);
  const expText = exp === undefined ? `${draft.expires} (not a valid date-time)` : `${draft.expires}, ${expiresIn(exp.ms, nowMs)}`;
  const expWas = previous === null ? '' : previous.expires === draft.expires ? ' (unchanged)' : ` (was ${previous.expires})`;
  lines.push(`Expires: ${expText}${expWas}`);
  lines.push(`SHA-256 of the bytes you sign: ${groupedHash(hash)}`);
  if (previous !== null) {
    lines.push(`Compared with: ${previous._type} version ${String(previous.version)}, SHA-256 ${groupedHash(sha256Hex(canonicalBytes(previous)))}`);
  }

  // Warnings first: they matter more than the details.
  if (previous !== null && previous._type !== draft._type) {
    lines.push(`WARNING: the previous version is ${previous._type} metadata, the draft is ${draft._type}`);
  }
  if (previous !== null && draft._type === 'root' && draft.version !== previous.version + 1) {
    lines.push(`WARNING: root version ${String(draft.version)} does not follow ${String(previous.version)}: clients accept only version ${String(previous.version + 1)}`);
  } else if (previous !== null && draft.version <= previous.version) {
    lines.push(`WARNING: version ${String(draft.version)} is not above the previous version ${String(previous.version)}: clients refuse it as a rollback`);
  }
  if (exp !== undefined && exp.ms <= nowMs) lines.push('WARNING: the draft is already expired: clients will refuse it');
  if (previous !== null && previous.spec_version !== draft.spec_version) {
    lines.push(`spec_version: ${previous.spec_version} → ${draft.spec_version}`);
  }

  const prev = previous !== null && previous._type === draft._type ? previous : null;
  switch (draft._type) {
    case 'root':
      lines.push(...rootLines(draft, prev as Root | null, names));
      break;
    case 'targets':
      lines.push(...targetsLines(draft, prev as Targets | null, names));
      break;
    case 'snapshot':
    case 'timestamp':
      lines.push(...metaLines(draft.meta, prev === null ? undefined : (prev as { readonly meta: { readonly [f: string]: MetaFile } }).meta));
      break;
  }
  lines.push(...otherFieldLines(draft, prev));

  if (draft._type !== 'root' && args.trustedRoot !== undefined && args.trustedRoot !== null) {
    const tr = args.trustedRoot;
    const role = own(tr.roles, draft._type);
    if (role === undefined) {
      lines.push(`Signatures needed: the trusted root (version ${String(tr.version)}) has no ${draft._type} role`);
    } else {
      lines.push(
        `Signatures needed: ${String(role.threshold)} of ${String(role.keyids.length)} ${draft._type} keys of the trusted root (version ${String(tr.version)}):`
      );
      for (const k of role.keyids) lines.push(`    ${keyText(k, names, tr.keys)}`);
    }
  }
  return lines;
}
