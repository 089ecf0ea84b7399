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
import { keyOwner } from '../metadata/key-owner.js';
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
import { fingerprintOf } from '../metadata/key-listing.js';
import { showText } from '../ui/escape.js';
import { sha256Hex } from './request.js';

export interface ReviewArgs {
  /** The role's name as shown (a top-level role, or a delegated role name). */
  readonly role: string;
  /** The draft's `signed` object: exactly what is signed. */
  readonly draft: Signed;
  /** The published version of the role (for root: the trusted root); null when there is none. */
  readonly previous: Signed | null;
  /**
   * Keyholder names by key ID from the reader's own registry (the
   * coordinator's workspace, the keyholder's own public key file): trusted
   * by the reader. Names bound in the signed key objects
   * (`x-tuf-on-ci-keyowner`) are read from the metadata itself.
   */
  readonly keyholders: { readonly [keyid: string]: string };
  /**
   * Names by key ID that nothing binds (a request's `keyholders` map: not
   * covered by the hash read aloud): shown marked as unbound labels, and a
   * warning when one contradicts a bound name.
   */
  readonly labels?: { readonly [keyid: string]: string };
  /**
   * Days: an expiry shortened to less than this many days from now is a
   * warning (default {@link DEFAULT_MIN_EXPIRY_DAYS} for the role).
   */
  readonly minExpiryDays?: number;
  /** Reference time for "expires in N days". */
  readonly nowMs: number;
  /**
   * For roles other than root: the trusted root, to list the keys that may
   * sign. (For root the signers follow from `previous` and `draft`.)
   */
  readonly trustedRoot?: Root | null;
}

const DAY_MS = 86_400_000;

/** The default of {@link ReviewArgs.minExpiryDays} by role type. */
export const DEFAULT_MIN_EXPIRY_DAYS: { readonly [type: string]: number } = { root: 90, targets: 30, snapshot: 1, timestamp: 1 };

/** Roles whose keys are online (the repository signs with them unattended). */
const ONLINE_ROLES = ['snapshot', 'timestamp'];
/** Roles whose keys are offline, held by keyholders. */
const OFFLINE_ROLES = ['root', 'targets'];
/** At most this many keys added or removed are listed per role in the summary. */
const SUMMARY_KEYS = 6;

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

type KeyMap = { readonly [keyid: string]: TufKey };

/**
 * Where key names come from, and the warnings found while naming keys.
 * `registry`: the reader's own (trusted); `labels`: unbound (a request's).
 */
interface Names {
  readonly registry: { readonly [keyid: string]: string };
  readonly labels: { readonly [keyid: string]: string };
  readonly warnings: string[];
}

function warnOnce(names: Names, w: string): void {
  if (!names.warnings.includes(w)) names.warnings.push(w);
}

/**
 * The name of a key as the review may show it: bound in the signed key
 * object, else from the reader's registry, else an unbound label marked as
 * such, else none.
 */
function keyName(keyid: string, names: Names, key: TufKey | undefined): string {
  const bound = keyOwner(key);
  const reg = own(names.registry, keyid);
  const label = own(names.labels, keyid);
  const short16 = keyid.slice(0, 16);
  if (bound !== undefined && reg !== undefined && bound !== reg) {
    warnOnce(names, `WARNING: key ${short16} is bound to "${bound}" in the signed key, but your registry names it "${reg}"`);
  }
  const name = bound ?? reg;
  if (label !== undefined && name !== undefined && label !== name) {
    warnOnce(names, `WARNING: the request names key ${short16} "${label}", but it is "${name}": the request's names were altered`);
  }
  if (name !== undefined) return name;
  if (label !== undefined) return `"${label}"? (an unbound label from the request, not covered by the hash)`;
  return 'no keyholder name';
}

/** `alice (ed25519 key 1bf1c6e3a1b2c3d4)`: the name, the key type and the first 16 hex digits. */
function keyText(keyid: string, names: Names, ...maps: (KeyMap | undefined)[]): string {
  let key: TufKey | undefined;
  for (const m of maps) key ??= m === undefined ? undefined : own(m, keyid);
  return `${keyName(keyid, names, key)} (${key?.keytype ?? 'unknown'} key ${keyid.slice(0, 16)})`;
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
    const list = role.keyids
      .map((k) => {
        const n = keyOwner(own(r.keys, k)) ?? own(names.registry, k);
        return n ?? (own(names.labels, k) === undefined ? k.slice(0, 16) : `"${own(names.labels, k) ?? ''}"?`);
      })
      .join(', ');
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

// ## The summary screen

/** Fields of `signed` that TUF does not define for the role type. */
function unknownFields(draft: Signed): string[] {
  const known = new Set([...COMMON_FIELDS, ...(KNOWN_FIELDS[draft._type] ?? [])]);
  return Object.keys(draft)
    .filter((f) => !known.has(f))
    .sort(compareCodePoints);
}

function signedDays(ms: number): string {
  const d = Math.round(ms / DAY_MS);
  return `${d >= 0 ? '+' : '−'}${plural(Math.abs(d), 'day')}`;
}

/** The public key a key object holds (its fingerprint), to compare keys across key IDs; the key ID when it cannot be read. */
function keyIdentity(keyid: string, keys: KeyMap): string {
  const k = own(keys, keyid);
  return (k === undefined ? undefined : fingerprintOf(k)) ?? keyid;
}

/** One root role, old → new, in a line, then the keys that join and leave. */
function roleSummary(role: string, next: RoleKeys | undefined, prev: RoleKeys | undefined, names: Names, nextKeys: KeyMap, prevKeys: KeyMap | undefined): string[] {
  const t = (r: RoleKeys | undefined): string => (r === undefined ? 'none' : `${String(r.threshold)} of ${String(r.keyids.length)}`);
  const added = (next?.keyids ?? []).filter((k) => !(prev?.keyids ?? []).includes(k));
  const removed = prev === undefined ? [] : prev.keyids.filter((k) => !(next?.keyids ?? []).includes(k));
  const moved = prevKeys === undefined ? `${t(next)} (new)` : t(prev) === t(next) && added.length === 0 ? `${t(next)} (unchanged)` : `${t(prev)} → ${t(next)}`;
  const counts = [added.length > 0 ? `+${String(added.length)}` : '', removed.length > 0 ? `−${String(removed.length)}` : ''].filter((x) => x !== '').join(' ');
  const lines = [`  ${role.padEnd(10)} ${moved}${counts === '' || prevKeys === undefined ? '' : `  (keys ${counts})`}`];
  const list = (sign: string, ids: readonly string[], ...maps: (KeyMap | undefined)[]): void => {
    for (const k of ids.slice(0, SUMMARY_KEYS)) lines.push(`      ${sign} ${keyText(k, names, ...maps)}`);
    if (ids.length > SUMMARY_KEYS) lines.push(`      ${sign} … and ${String(ids.length - SUMMARY_KEYS)} more (in the details)`);
  };
  if (prevKeys !== undefined) {
    list('+', added, nextKeys, prevKeys);
    list('-', removed, prevKeys, nextKeys);
  }
  return lines;
}

function thresholdWarnings(label: string, next: RoleKeys | undefined, prev: RoleKeys | undefined, offline: boolean): string[] {
  const w: string[] = [];
  if (next === undefined) return w;
  if (prev !== undefined && next.threshold < prev.threshold) {
    w.push(`WARNING: ${label} threshold lowered ${String(prev.threshold)} → ${String(next.threshold)}: fewer keys are needed to sign`);
  }
  if (next.threshold > next.keyids.length) w.push(`WARNING: ${label}: the threshold ${String(next.threshold)} is above its ${plural(next.keyids.length, 'key')} and can never be met`);
  else if (offline && next.keyids.length < next.threshold + 1 && (prev === undefined || prev.keyids.length - prev.threshold > next.keyids.length - next.threshold)) {
    w.push(`WARNING: ${label}: ${String(next.threshold)} of ${plural(next.keyids.length, 'key')}: no spare key, losing one key locks the role (keep at least threshold + 1 keys)`);
  }
  return w;
}

function rootSummary(draft: Root, prev: Root | null, names: Names, warnings: string[]): string[] {
  const lines = ['Keys and thresholds (old → new):'];
  const roleNames = [...TOP_LEVEL_ROLES, ...Object.keys(draft.roles).filter((r) => !(TOP_LEVEL_ROLES as readonly string[]).includes(r)).sort(compareCodePoints)];
  for (const r of roleNames) {
    const next = own(draft.roles, r);
    const before = prev === null ? undefined : own(prev.roles, r);
    lines.push(...roleSummary(r, next, before, names, draft.keys, prev?.keys));
    warnings.push(...thresholdWarnings(`${r} role`, next, before, OFFLINE_ROLES.includes(r)));
    if (prev !== null && next !== undefined && before !== undefined) {
      const added = next.keyids.filter((k) => !before.keyids.includes(k));
      const unnamed = added.filter((k) => keyOwner(own(draft.keys, k)) === undefined && own(names.registry, k) === undefined);
      if (unnamed.length > 0 && OFFLINE_ROLES.includes(r)) {
        warnings.push(`WARNING: ${r} role: ${plural(unnamed.length, 'key')} added with no name bound in the signed key (${unnamed.map((k) => k.slice(0, 16)).join(', ')}): check the key IDs with their holders`);
      }
    }
  }
  // A key both online and offline: a compromise of the online server reaches an offline role.
  const identities = (roles: readonly string[]): Map<string, string[]> => {
    const m = new Map<string, string[]>();
    for (const r of roles) for (const k of own(draft.roles, r)?.keyids ?? []) m.set(keyIdentity(k, draft.keys), [...(m.get(keyIdentity(k, draft.keys)) ?? []), r]);
    return m;
  };
  const online = identities(ONLINE_ROLES);
  for (const [id, offRoles] of identities(OFFLINE_ROLES)) {
    const on = online.get(id);
    if (on !== undefined) warnings.push(`WARNING: one key is in the offline ${offRoles.join(' and ')} and the online ${on.join(' and ')} role: a compromise of the online server reaches ${offRoles.join(' and ')}`);
  }
  // One name bound to two keys of the root: a name does not prove who holds a key.
  const byName = new Map<string, string[]>();
  for (const [k, key] of Object.entries(draft.keys)) {
    const n = keyOwner(key);
    if (n !== undefined) byName.set(n, [...(byName.get(n) ?? []), k]);
  }
  for (const [n, ids] of byName) {
    if (ids.length > 1) warnings.push(`WARNING: ${plural(ids.length, 'key')} are bound to the same name "${n}" (${ids.map((k) => k.slice(0, 16)).join(', ')})`);
  }
  return lines;
}

function targetsSummary(draft: Targets, prev: Targets | null, warnings: string[]): string[] {
  const prevTargets = prev?.targets ?? {};
  let added = 0;
  let changed = 0;
  let unchanged = 0;
  for (const [p, f] of Object.entries(draft.targets)) {
    const was = own(prevTargets, p);
    if (was === undefined) added++;
    else if (!same(was, f)) changed++;
    else unchanged++;
  }
  const removed = Object.keys(prevTargets).filter((p) => !Object.hasOwn(draft.targets, p)).length;
  const lines = [`Targets: ${String(added)} added, ${String(changed)} changed, ${String(removed)} removed, ${String(unchanged)} unchanged`];
  const d = draft.delegations;
  const pd = prev?.delegations;
  if (d !== undefined || pd !== undefined) {
    const roles = d?.roles ?? [];
    const prevRoles = new Map((pd?.roles ?? []).map((r) => [r.name, r]));
    const joined = roles.filter((r) => !prevRoles.has(r.name)).length;
    const left = [...prevRoles.keys()].filter((n) => !roles.some((r) => r.name === n)).length;
    const changedRoles = roles.filter((r) => prevRoles.has(r.name) && !same(r, prevRoles.get(r.name))).length;
    const bins = d?.succinct_roles === undefined ? '' : `; succinct hash bins: ${binsText(d.succinct_roles)}, ${String(d.succinct_roles.threshold)} of ${plural(d.succinct_roles.keyids.length, 'key')}`;
    lines.push(`Delegations: ${plural(roles.length, 'role')} (${String(joined)} new, ${String(changedRoles)} changed, ${String(left)} removed)${bins}`);
    for (const r of roles) {
      const was = prevRoles.get(r.name);
      warnings.push(...thresholdWarnings(`delegated role "${r.name}"`, r, was, false));
    }
    if (d?.succinct_roles !== undefined) warnings.push(...thresholdWarnings('hash bins', d.succinct_roles, pd?.succinct_roles, false));
  }
  return lines;
}

/** A review: the summary screen, the details, the warnings (also in the summary) and the hash. */
export interface Review {
  /** One screen: role, version, expiry, keys and thresholds, counts, warnings, the hash. */
  readonly summary: readonly string[];
  /** Everything else, line by line. */
  readonly details: readonly string[];
  readonly warnings: readonly string[];
  /** SHA-256 (hex) of the canonical bytes of the draft's `signed`: what is signed. */
  readonly sha256: string;
}

/**
 * The review of a draft against the previous version. The summary comes
 * first and fits one screen whatever the draft's size: role, version and
 * expiry (and how they moved), keys and thresholds old → new with the keys
 * that join and leave, counts of targets and delegations, every warning
 * (weakening: thresholds lowered, no spare key, expiry shortened under the
 * minimum, a key shared by online and offline roles; fields TUF does not
 * define; names that contradict the signed ones) and the SHA-256 in groups
 * to read aloud. The details follow: for root, every key per role with
 * names, consistent_snapshot and who must sign; for targets, targets added,
 * removed and changed (length, hashes) and delegation changes.
 *
 * Every line is escaped (src/ui/escape.ts): text from the metadata cannot
 * move the cursor, erase or reorder what is shown.
 */
export function buildReview(args: ReviewArgs): Review {
  const { draft, previous, nowMs } = args;
  const names: Names = { registry: args.keyholders, labels: args.labels ?? {}, warnings: [] };
  const warnings: string[] = [];
  const hash = sha256Hex(canonicalBytes(draft));
  const summary: string[] = [];

  summary.push(`Role: ${args.role}${args.role === draft._type ? '' : ` (${draft._type} metadata)`}`);
  summary.push(`Version: ${String(draft.version)}${previous === null ? ' (no previous version)' : ` (previous version ${String(previous.version)})`}`);
  const exp = parseExpires(draft.expires);
  const expWasMs = previous === null ? undefined : parseExpires(previous.expires)?.ms;
  const expText = exp === undefined ? `${draft.expires} (not a valid date-time)` : `${draft.expires}, ${expiresIn(exp.ms, nowMs)}`;
  const moved = exp !== undefined && expWasMs !== undefined && exp.ms !== expWasMs ? `, ${signedDays(exp.ms - expWasMs)}` : '';
  const expWas = previous === null ? '' : previous.expires === draft.expires ? ' (unchanged)' : ` (was ${previous.expires}${moved})`;
  summary.push(`Expires: ${expText}${expWas}`);
  summary.push(`SHA-256 of the bytes you sign: ${groupedHash(hash)}`);
  if (previous !== null) {
    summary.push(`Compared with: ${previous._type} version ${String(previous.version)}, SHA-256 ${groupedHash(sha256Hex(canonicalBytes(previous)))}`);
  }

  if (previous !== null && previous._type !== draft._type) {
    warnings.push(`WARNING: the previous version is ${previous._type} metadata, the draft is ${draft._type}`);
  }
  if (previous !== null && draft._type === 'root' && draft.version !== previous.version + 1) {
    warnings.push(`WARNING: root version ${String(draft.version)} does not follow ${String(previous.version)}: clients accept only version ${String(previous.version + 1)}`);
  } else if (previous !== null && draft.version <= previous.version) {
    warnings.push(`WARNING: version ${String(draft.version)} is not above the previous version ${String(previous.version)}: clients refuse it as a rollback`);
  }
  if (exp !== undefined && exp.ms <= nowMs) warnings.push('WARNING: the draft is already expired: clients will refuse it');
  const minDays = args.minExpiryDays ?? DEFAULT_MIN_EXPIRY_DAYS[draft._type] ?? 1;
  if (exp !== undefined && exp.ms > nowMs && expWasMs !== undefined && exp.ms < expWasMs && exp.ms - nowMs < minDays * DAY_MS) {
    warnings.push(`WARNING: the expiry is shortened: it expires ${expiresIn(exp.ms, nowMs)}, under the minimum of ${plural(minDays, 'day')}`);
  }
  const unknown = unknownFields(draft);
  if (unknown.length > 0) {
    const listed = unknown.slice(0, 6).map((f) => JSON.stringify(f)).join(', ');
    warnings.push(
      `WARNING: ${plural(unknown.length, 'field')} that TUF does not define in "signed" (${listed}${unknown.length > 6 ? `, … ${String(unknown.length - 6)} more` : ''}): they are signed too; see the details`
    );
  }

  const prev = previous !== null && previous._type === draft._type ? previous : null;
  const details: string[] = [];
  if (previous !== null && previous.spec_version !== draft.spec_version) {
    details.push(`spec_version: ${previous.spec_version} → ${draft.spec_version}`);
  }
  switch (draft._type) {
    case 'root':
      summary.push(...rootSummary(draft, prev as Root | null, names, warnings));
      details.push(...rootLines(draft, prev as Root | null, names));
      break;
    case 'targets':
      summary.push(...targetsSummary(draft, prev as Targets | null, warnings));
      details.push(...targetsLines(draft, prev as Targets | null, names));
      break;
    case 'snapshot':
    case 'timestamp':
      details.push(...metaLines(draft.meta, prev === null ? undefined : (prev as { readonly meta: { readonly [f: string]: MetaFile } }).meta));
      summary.push(`Meta: ${plural(Object.keys(draft.meta).length, 'file')}`);
      break;
  }
  details.push(...otherFieldLines(draft, prev));

  if (draft._type !== 'root' && args.trustedRoot !== undefined && args.trustedRoot !== null) {
    const tr = args.trustedRoot;
    const role = own(tr.roles, draft._type);
    if (role === undefined) {
      details.push(`Signatures needed: the trusted root (version ${String(tr.version)}) has no ${draft._type} role`);
    } else {
      details.push(`Signatures needed: ${String(role.threshold)} of ${String(role.keyids.length)} ${draft._type} keys of the trusted root (version ${String(tr.version)}):`);
      for (const k of role.keyids) details.push(`    ${keyText(k, names, tr.keys)}`);
    }
  }
  const allWarnings = [...warnings, ...names.warnings];
  summary.push(...(allWarnings.length === 0 ? ['Warnings: none'] : [`Warnings (${String(allWarnings.length)}):`, ...allWarnings]));
  return { summary: summary.map(showText), details: details.map(showText), warnings: allWarnings.map(showText), sha256: hash };
}

/** The whole review as lines: the summary, then the details. */
export function reviewLines(args: ReviewArgs): string[] {
  const r = buildReview(args);
  return [...r.summary, ...r.details];
}
