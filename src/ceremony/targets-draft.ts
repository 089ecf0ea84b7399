// SPDX-License-Identifier: Apache-2.0
/**
 * Targets drafts: the next version of `targets` (always published + 1),
 * started from the published targets, edited one step at a time (target
 * files, delegations by paths or hash prefixes, TAP 15 succinct hash bins,
 * expiry) and checked before it is requested or published.
 *
 * Pure: objects in, objects out; times are passed in; every edit returns a
 * new Targets and never changes its argument. Files are hashed by the store
 * (src/store/hash-files.ts); this module sees only paths, lengths and hashes.
 *
 * A new draft keeps the published `targets` entries and `delegations` as
 * they are (unknown fields inside them included); top-level fields other
 * tools added are not carried over, and `diff` shows them as removed.
 *
 * Format rules (tuf-crib §3): target paths are relative, `/`-separated, with
 * no `.`/`..` or empty segments, backslashes or control characters; path
 * patterns use only `*` and `?`; role names and bin name prefixes use only
 * `A-Z a-z 0-9 . _ -`; a delegation has exactly one of `paths` and
 * `path_hash_prefixes`; `delegations` has exactly one of `roles` and
 * `succinct_roles`; `bit_length` is 1 to 32.
 */
import { canonicalize, compareCodePoints } from '../metadata/canonical.js';
import { formatExpires, isStrictExpires, parseExpires } from '../metadata/expires.js';
import type { TufKey } from '../metadata/keys.js';
import {
  own,
  TOP_LEVEL_ROLES,
  type DelegatedRole,
  type Delegations,
  type Root,
  type SuccinctRoles,
  type TargetFile,
  type Targets,
} from '../metadata/model.js';
import {
  checkNewKey,
  isCarriedOver,
  keyIdIn,
  keyProfileProblem,
  MAX_EXPIRES_DAYS,
  parseThreshold,
  quoted,
  shortKeyId,
  SPEC_VERSION,
  valueError,
  type Source,
} from './root-draft.js';
import { fingerprintOf } from '../metadata/key-listing.js';
import { hiddenPathProblem, lookalikePaths, pathLookalikeKey } from './target-paths.js';

export { setExpires } from './root-draft.js';

/** Default lifetime of a new targets draft (ceremony.json may say otherwise). */
export const DEFAULT_TARGETS_EXPIRES_DAYS = 365;
/** `checkTargetsDraft` warns when the draft expires sooner than this. */
export const TARGETS_EXPIRY_WARNING_DAYS = 30;
/** TAP 15: `bit_length` from 1 to 32. */
export const MAX_BIT_LENGTH = 32;
/** Above this bit length `checkTargetsDraft` warns about the number of bins to sign and list. */
export const BIT_LENGTH_WARNING = 16;
/** PEP 458: 16,384 bins. */
export const PEP458_BIT_LENGTH = 14;
/** Longest role name or bin name prefix: `{V}.{name}.json` must stay a valid file name. */
export const MAX_ROLE_NAME = 200;
/** At most this many target path problems are listed by `checkTargetsDraft`. */
const MAX_LISTED = 10;

const DAY_MS = 86_400_000;
const ROLE_NAME = /^[A-Za-z0-9._-]+$/;
const HASH_PREFIX = /^[0-9a-f]{1,64}$/;
// C0 and C1 control characters and DEL.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /\p{Cs}/u;
const SURROGATE = /[\uD800-\uDFFF]/;

// ## Names and paths

/**
 * Why a target path may not be written, or undefined when it may: empty,
 * absolute, a backslash, a control character, a lone surrogate, an empty,
 * `.` or `..` segment (spec §5.7.3: paths are relative to the repository's
 * targets URL, separated by `/`).
 */
export function targetPathProblem(path: string): string | undefined {
  if (path === '') return 'is empty';
  if (path.startsWith('/')) return 'must not start with / (target paths are relative)';
  if (path.includes('\\')) return 'must not contain a backslash (paths are separated by /)';
  if (CONTROL.test(path)) return 'must not contain control characters';
  if (LONE_SURROGATE.test(path)) return 'is not valid Unicode (a lone surrogate)';
  const hidden = hiddenPathProblem(path);
  if (hidden !== undefined) return hidden;
  for (const segment of path.split('/')) {
    if (segment === '') return 'must not have an empty segment (// or a trailing /)';
    if (segment === '.' || segment === '..') return `must not have a ${quoted(segment)} segment`;
  }
  return undefined;
}

/** @throws InputError naming the field when the target path is unsafe */
export function checkTargetPath(path: string, source: Source): string {
  const problem = targetPathProblem(path);
  if (problem !== undefined) throw valueError(source, `${quoted(path)} ${problem}`);
  return path;
}

/**
 * Why a `paths` pattern may not be written: the target path rules, and no
 * `[ ] { }` (python fnmatch, go filepath.Match and tuf-js minimatch read
 * them differently; tuf-crib §3).
 */
export function pathPatternProblem(pattern: string): string | undefined {
  const p = targetPathProblem(pattern);
  if (p !== undefined) return p;
  if (/[[\]{}]/.test(pattern)) return 'must use only * and ? as wildcards (clients read [ ] and { } differently)';
  return undefined;
}

/** Why a role name or bin name prefix may not be written (URL-safe, tuf-crib §5), or undefined. */
export function roleNameProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (name.length > MAX_ROLE_NAME) return `is longer than ${String(MAX_ROLE_NAME)} characters`;
  if (!ROLE_NAME.test(name)) return 'must use only A-Z a-z 0-9 . _ - (clients URL-encode other characters differently)';
  if (name === '.' || name === '..') return 'is not a role name';
  if ((TOP_LEVEL_ROLES as readonly string[]).includes(name)) return 'is a top-level role name';
  return undefined;
}

/** Why a bin name prefix may not be written, or undefined (tuf-crib §3: the libraries add the "-"). */
export function namePrefixProblem(prefix: string): string | undefined {
  const p = roleNameProblem(prefix);
  if (p !== undefined) return p;
  if (prefix.endsWith('-')) return 'must not end with - (clients add it: PREFIX-0000)';
  return undefined;
}

/**
 * The target path of a file given to `targets add`: its base name; with
 * `--path P`, P itself for a single file, or P + base name when P ends
 * with `/` (a directory prefix, one or several files).
 * @param count how many files the command adds
 * @throws InputError naming `--path` (a plain path for several files) or the path's problem
 */
export function targetPathFor(baseName: string, pathOption: string | undefined, count: number, file: string): string {
  if (pathOption === undefined) {
    return checkTargetPath(baseName, { file, field: 'path' });
  }
  if (pathOption.endsWith('/')) {
    checkTargetPath(pathOption.slice(0, -1), { field: '--path' });
    return checkTargetPath(pathOption + baseName, { file, field: 'path' });
  }
  if (count !== 1) {
    throw valueError(
      { field: '--path' },
      `${quoted(pathOption)} names one target, but ${String(count)} files were given: end it with / to put them all under that directory`
    );
  }
  return checkTargetPath(pathOption, { field: '--path' });
}

// ## Starting a draft

/**
 * Starts the next targets: version published + 1 (1 when nothing is
 * published), the published `targets` and `delegations` as they are, and a
 * new expiry `expiresDays` (default 365) days after `nowMs`.
 * @throws InputError when `expiresDays` is not an integer from 1 to 36500
 */
export function newTargetsDraft(published: Targets | null, nowMs: number, defaults: { expiresDays?: number } = {}): Targets {
  const days = defaults.expiresDays ?? DEFAULT_TARGETS_EXPIRES_DAYS;
  if (!Number.isSafeInteger(days) || days < 1 || days > MAX_EXPIRES_DAYS) {
    throw valueError({ field: 'expiresDays' }, `${String(days)} is not a whole number of days from 1 to ${String(MAX_EXPIRES_DAYS)}`);
  }
  return {
    _type: 'targets',
    spec_version: SPEC_VERSION,
    version: published === null ? 1 : published.version + 1,
    expires: formatExpires(nowMs + days * DAY_MS),
    targets: published === null ? {} : { ...published.targets },
    ...(published?.delegations === undefined ? {} : { delegations: published.delegations }),
  };
}

// ## Target files

/** A hashed file to list under a target path. */
export interface TargetEntry {
  readonly path: string;
  readonly length: number;
  readonly hashes: { readonly sha256: string; readonly sha512: string };
  /** The file it came from, for messages. */
  readonly file?: string;
}

export type TargetChange = 'added' | 'updated' | 'unchanged';

export interface AddTargetsResult {
  readonly draft: Targets;
  /** One per entry, in the order given. */
  readonly changes: readonly { readonly path: string; readonly change: TargetChange }[];
}

const sameHashes = (a: TargetFile['hashes'], b: TargetFile['hashes']): boolean => {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
};

/**
 * Lists files as targets: `{length, hashes: {sha256, sha512}}` under each
 * path. A path already listed is updated (length and hashes; a `custom`
 * field it had is kept); the same content again changes nothing.
 * @throws InputError for an unsafe path, or one path given for two files
 */
export function addTargets(draft: Targets, entries: readonly TargetEntry[]): AddTargetsResult {
  const seen = new Map<string, string>();
  const targets = new Map(Object.entries(draft.targets));
  const lookalikes = new Map(Object.keys(draft.targets).map((p) => [pathLookalikeKey(p), p] as const));
  const changes: { path: string; change: TargetChange }[] = [];
  for (const e of entries) {
    const source = { ...(e.file === undefined ? {} : { file: e.file }), field: 'path' };
    checkTargetPath(e.path, source);
    const other = seen.get(e.path);
    if (other !== undefined) throw valueError(source, `${quoted(e.path)} is also the target path of ${other}: give each file its own --path`);
    seen.set(e.path, e.file ?? e.path);
    // One path per look: no two paths of the role that differ only by case or normalization.
    const key = pathLookalikeKey(e.path);
    const twin = lookalikes.get(key);
    if (twin !== undefined && twin !== e.path) {
      throw valueError(source, `${quoted(e.path)} differs from the target path ${quoted(twin)} only by case or Unicode normalization: people could not tell them apart`);
    }
    lookalikes.set(key, e.path);
    if (!Number.isSafeInteger(e.length) || e.length < 0) throw valueError({ ...source, field: 'length' }, `${String(e.length)} is not a length`);
    const hashes = { sha256: e.hashes.sha256, sha512: e.hashes.sha512 };
    const was = targets.get(e.path);
    if (was !== undefined && was.length === e.length && sameHashes(was.hashes, hashes)) {
      changes.push({ path: e.path, change: 'unchanged' });
      continue;
    }
    targets.set(e.path, { ...(was?.custom === undefined ? {} : { custom: was.custom }), length: e.length, hashes });
    changes.push({ path: e.path, change: was === undefined ? 'added' : 'updated' });
  }
  return { draft: { ...draft, targets: Object.fromEntries(targets) }, changes };
}

/**
 * Removes a target path from the draft.
 * @throws InputError naming `PATH` when the draft does not list it
 */
export function removeTarget(draft: Targets, path: string): { draft: Targets; removed: TargetFile } {
  const removed = own(draft.targets, path);
  if (removed === undefined) {
    const n = Object.keys(draft.targets).length;
    throw valueError({ field: 'PATH' }, `${quoted(path)} is not a target of the draft (it lists ${String(n)} target${n === 1 ? '' : 's'})`);
  }
  return { draft: { ...draft, targets: Object.fromEntries(Object.entries(draft.targets).filter(([p]) => p !== path)) }, removed };
}

// ## Delegations

/** A key for a delegation, as WHO resolved it. */
export interface DelegationKey {
  readonly keyid: string;
  readonly key: TufKey;
  /** What the user typed, for messages. */
  readonly who?: string;
}

/**
 * Puts the given keys into `delegations.keys` (a public key already there
 * under another valid key ID keeps that key ID) and returns their key IDs.
 * @throws InputError for no keys, a key outside the safe profile, the same public key twice, or a threshold above the number of keys
 */
function delegationKeys(
  keys: Delegations['keys'],
  given: readonly DelegationKey[],
  threshold: number | string
): { keys: Delegations['keys']; keyids: string[]; threshold: number } {
  const t = parseThreshold(threshold, { field: 'threshold' });
  if (given.length === 0) throw valueError({ field: 'key' }, 'give at least one key (--key WHO)');
  const next = new Map(Object.entries(keys));
  const keyids: string[] = [];
  const seen = new Map<string, string>();
  for (const k of given) {
    const source = { field: 'key' };
    checkNewKey(k.keyid, k.key, source);
    const fp = fingerprintOf(k.key) ?? k.keyid;
    const earlier = seen.get(fp);
    if (earlier !== undefined) throw valueError(source, `${quoted(k.who ?? k.keyid)} is the same public key as ${quoted(earlier)}`);
    seen.set(fp, k.who ?? k.keyid);
    const id = keyIdIn(Object.fromEntries(next), k.keyid, k.key, source, 'delegations.keys');
    if (!next.has(id)) next.set(id, k.key);
    keyids.push(id);
  }
  if (t > keyids.length) {
    throw valueError({ field: 'threshold' }, `${String(t)} is more than the ${String(keyids.length)} key${keyids.length === 1 ? '' : 's'} given, so it could never be met`);
  }
  return { keys: Object.fromEntries(next), keyids, threshold: t };
}

/** Key IDs some delegation of `d` lists. */
function usedKeyIds(d: Pick<Delegations, 'roles' | 'succinct_roles'>): Set<string> {
  return new Set([...(d.roles ?? []).flatMap((r) => r.keyids), ...(d.succinct_roles?.keyids ?? [])]);
}

/** Drops from `keys` the key IDs that `before` used and `after` no longer uses (other unused keys stay as they were). */
function dropReleasedKeys(before: Delegations | undefined, after: Delegations): Delegations {
  const was = before === undefined ? new Set<string>() : usedKeyIds(before);
  const now = usedKeyIds(after);
  const keys = Object.fromEntries(Object.entries(after.keys).filter(([id]) => now.has(id) || !was.has(id)));
  return { ...after, keys };
}

const without = <T extends object>(o: T | undefined, fields: readonly string[]): Partial<T> =>
  Object.fromEntries(Object.entries(o ?? {}).filter(([k]) => !fields.includes(k))) as Partial<T>;

/** What `targets delegate` asks for. */
export interface DelegateSpec {
  readonly name: string;
  readonly keys: readonly DelegationKey[];
  readonly threshold: number | string;
  /** Path patterns (`project/*`); exactly one of `paths` and `hashPrefixes`. */
  readonly paths?: readonly string[];
  /** Lowercase hex prefixes of the SHA-256 of target paths. */
  readonly hashPrefixes?: readonly string[];
  readonly terminating?: boolean;
}

export type DelegationChange = 'added' | 'updated' | 'unchanged';

function checkList(list: readonly string[], field: string, problemOf: (s: string) => string | undefined): void {
  if (list.length === 0) throw valueError({ field }, 'give at least one value');
  const seen = new Set<string>();
  for (const item of list) {
    const problem = problemOf(item);
    if (problem !== undefined) throw valueError({ field }, `${quoted(item)} ${problem}`);
    if (seen.has(item)) throw valueError({ field }, `${quoted(item)} is given twice`);
    seen.add(item);
  }
}

const hashPrefixProblem = (p: string): string | undefined =>
  HASH_PREFIX.test(p) ? undefined : /^[0-9A-Fa-f]{1,64}$/.test(p) ? 'must be lowercase hex' : 'is not 1 to 64 hex digits';

/**
 * Delegates to a role by path patterns or hash prefixes (spec §4.5
 * `delegations.roles`). A role of that name already delegated is updated in
 * place (its position, which is its search priority, is kept); a new role
 * goes last. Keys the role stops using, and no other role uses, leave
 * `delegations.keys`.
 * @throws InputError naming the field: a bad name, both or neither of
 *   paths and hash prefixes, an unsafe pattern, a bad prefix, a bad key or
 *   threshold, or a draft that delegates to succinct hash bins
 */
export function delegate(draft: Targets, spec: DelegateSpec): { draft: Targets; change: DelegationChange; role: DelegatedRole } {
  const nameProblem = roleNameProblem(spec.name);
  if (nameProblem !== undefined) throw valueError({ field: 'NAME' }, `${quoted(spec.name)} ${nameProblem}`);
  const d = draft.delegations;
  if (d?.succinct_roles !== undefined) {
    throw valueError(
      { field: 'delegations' },
      `the draft delegates to succinct hash bins (${d.succinct_roles.name_prefix}-…); delegations hold roles or succinct_roles, never both`
    );
  }
  if ((spec.paths === undefined) === (spec.hashPrefixes === undefined)) {
    throw valueError({ field: 'paths' }, 'give exactly one of --paths and --hash-prefixes');
  }
  if (spec.paths !== undefined) checkList(spec.paths, 'paths', pathPatternProblem);
  if (spec.hashPrefixes !== undefined) checkList(spec.hashPrefixes, 'hash-prefixes', hashPrefixProblem);
  const k = delegationKeys(d?.keys ?? {}, spec.keys, spec.threshold);
  const roles = d?.roles ?? [];
  const existing = roles.find((r) => r.name === spec.name);
  const role: DelegatedRole = {
    ...without(existing, ['name', 'keyids', 'threshold', 'terminating', 'paths', 'path_hash_prefixes']),
    name: spec.name,
    keyids: k.keyids,
    threshold: k.threshold,
    terminating: spec.terminating === true,
    ...(spec.paths !== undefined ? { paths: [...spec.paths] } : { path_hash_prefixes: [...(spec.hashPrefixes ?? [])] }),
  };
  const nextRoles = existing === undefined ? [...roles, role] : roles.map((r) => (r.name === spec.name ? role : r));
  const delegations = dropReleasedKeys(d, { ...without(d, ['keys', 'roles', 'succinct_roles']), keys: k.keys, roles: nextRoles });
  const next = { ...draft, delegations };
  const change: DelegationChange = existing === undefined ? 'added' : sameJson(draft, next) ? 'unchanged' : 'updated';
  return { draft: change === 'unchanged' ? draft : next, change, role };
}

/** What `targets delegate-bins` asks for. */
export interface DelegateBinsSpec {
  readonly namePrefix: string;
  readonly bitLength: number | string;
  readonly keys: readonly DelegationKey[];
  readonly threshold: number | string;
}

/**
 * Parses a bit length: an integer from 1 to 32 (TAP 15), or its decimal text.
 * @throws InputError naming the field `bit-length`
 */
export function parseBitLength(b: number | string): number {
  const n = typeof b === 'string' ? (/^[0-9]{1,2}$/.test(b) ? Number(b) : NaN) : b;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_BIT_LENGTH) {
    throw valueError(
      { field: 'bit-length' },
      `${typeof b === 'string' ? quoted(b) : String(b)} is not a whole number from 1 to ${String(MAX_BIT_LENGTH)} (TAP 15; PEP 458 uses ${String(PEP458_BIT_LENGTH)}, 16,384 bins)`
    );
  }
  return n;
}

/** How many bins a bit length gives, and the first and last bin names (TAP 15). */
export function binRange(sr: Pick<SuccinctRoles, 'bit_length' | 'name_prefix'>): { count: number; first: string; last: string } {
  const count = 2 ** sr.bit_length;
  const width = (count - 1).toString(16).length;
  return { count, first: `${sr.name_prefix}-${'0'.repeat(width)}`, last: `${sr.name_prefix}-${(count - 1).toString(16).padStart(width, '0')}` };
}

/**
 * Delegates every target path to 2^bit_length hash bins (TAP 15
 * `succinct_roles`: `{keyids, threshold, bit_length, name_prefix}`), all
 * signed by the same keys. Replaces succinct bins already delegated.
 * @throws InputError naming the field: a bad prefix or bit length, a bad
 *   key or threshold, or a draft that delegates to roles
 */
export function delegateBins(draft: Targets, spec: DelegateBinsSpec): { draft: Targets; change: DelegationChange; succinctRoles: SuccinctRoles } {
  const problem = namePrefixProblem(spec.namePrefix);
  if (problem !== undefined) throw valueError({ field: 'name-prefix' }, `${quoted(spec.namePrefix)} ${problem}`);
  const bits = parseBitLength(spec.bitLength);
  const d = draft.delegations;
  if (d?.roles !== undefined && d.roles.length > 0) {
    throw valueError(
      { field: 'delegations' },
      `the draft delegates to ${String(d.roles.length)} role${d.roles.length === 1 ? '' : 's'} (${d.roles.map((r) => r.name).slice(0, 3).join(', ')}); delegations hold roles or succinct_roles, never both`
    );
  }
  const k = delegationKeys(d?.keys ?? {}, spec.keys, spec.threshold);
  const succinctRoles: SuccinctRoles = {
    ...without(d?.succinct_roles, ['keyids', 'threshold', 'bit_length', 'name_prefix']),
    keyids: k.keyids,
    threshold: k.threshold,
    bit_length: bits,
    name_prefix: spec.namePrefix,
  };
  const delegations = dropReleasedKeys(d, { ...without(d, ['keys', 'roles', 'succinct_roles']), keys: k.keys, succinct_roles: succinctRoles });
  const next = { ...draft, delegations };
  const change: DelegationChange = d?.succinct_roles === undefined ? 'added' : sameJson(draft, next) ? 'unchanged' : 'updated';
  return { draft: change === 'unchanged' ? draft : next, change, succinctRoles };
}

/** `targets delegate-bins --roles` lists at most 2^16 bins: each is a role entry in targets.json. */
export const MAX_ROLE_BIN_BIT_LENGTH = 16;

/**
 * The hash bins of a bit length as explicit `path_hash_prefixes`: bin i
 * holds the targets whose SHA-256 starts with the top `bitLength` bits i
 * (TAP 15's rule), written as the hex prefixes of ceil(bitLength / 4)
 * digits that start with those bits. Bit length 14 (PEP 458): 16,384 bins
 * of 4 four-digit prefixes each, `P-0000` … `P-3fff`.
 */
export function hashBinPrefixes(namePrefix: string, bitLength: number): { name: string; prefixes: string[] }[] {
  const { count } = binRange({ bit_length: bitLength, name_prefix: namePrefix });
  const width = (count - 1).toString(16).length;
  const digits = Math.ceil(bitLength / 4);
  const per = 2 ** (4 * digits - bitLength);
  return Array.from({ length: count }, (_, i) => ({
    name: `${namePrefix}-${i.toString(16).padStart(width, '0')}`,
    prefixes: Array.from({ length: per }, (_x, j) => (i * per + j).toString(16).padStart(digits, '0')),
  }));
}

/**
 * Delegates every target path to 2^bit_length hash bins listed as roles
 * (`delegations.roles`, each with the `path_hash_prefixes` of its bin,
 * terminating, as TAP 15 treats bins): PEP 458's original layout. Unlike
 * `succinct_roles` it can stand beside other delegated roles, such as a
 * `backsigned` role searched before the bins. Bins already listed under
 * the same prefix are replaced; other roles keep their places; new bins
 * go last.
 * @throws InputError naming the field: a bad prefix, a bit length above
 *   {@link MAX_ROLE_BIN_BIT_LENGTH}, a bad key or threshold, a bin name
 *   already used by another role, or a draft that delegates to succinct bins
 */
export function delegateBinRoles(draft: Targets, spec: DelegateBinsSpec): { draft: Targets; change: DelegationChange; bins: number; prefixesPerBin: number } {
  const problem = namePrefixProblem(spec.namePrefix);
  if (problem !== undefined) throw valueError({ field: 'name-prefix' }, `${quoted(spec.namePrefix)} ${problem}`);
  const bits = parseBitLength(spec.bitLength);
  if (bits > MAX_ROLE_BIN_BIT_LENGTH) {
    throw valueError(
      { field: 'bit-length' },
      `${String(bits)}: bins listed as roles go up to bit length ${String(MAX_ROLE_BIN_BIT_LENGTH)} (${String(2 ** MAX_ROLE_BIN_BIT_LENGTH)} roles in targets.json); use succinct bins above that`
    );
  }
  const d = draft.delegations;
  if (d?.succinct_roles !== undefined) {
    throw valueError(
      { field: 'delegations' },
      `the draft delegates to succinct hash bins (${d.succinct_roles.name_prefix}-…); delegations hold roles or succinct_roles, never both`
    );
  }
  const k = delegationKeys(d?.keys ?? {}, spec.keys, spec.threshold);
  const bins = hashBinPrefixes(spec.namePrefix, bits);
  const binName = new RegExp(`^${spec.namePrefix.replace(/[.]/g, '\\.')}-[0-9a-f]+$`);
  // Bins listed earlier: hash-prefix roles named like bins. A path role of such a name is not one.
  const kept = (d?.roles ?? []).filter((r) => !(binName.test(r.name) && r.path_hash_prefixes !== undefined));
  const names = new Set(kept.map((r) => r.name));
  for (const b of bins) if (names.has(b.name)) throw valueError({ field: 'name-prefix' }, `bin ${b.name} would take the name of a role already delegated`);
  const roles: DelegatedRole[] = bins.map((b) => ({ name: b.name, keyids: k.keyids, threshold: k.threshold, terminating: true, path_hash_prefixes: b.prefixes }));
  const delegations = dropReleasedKeys(d, { ...without(d, ['keys', 'roles', 'succinct_roles']), keys: k.keys, roles: [...kept, ...roles] });
  const next = { ...draft, delegations };
  const had = (d?.roles ?? []).length !== kept.length;
  const change: DelegationChange = !had ? 'added' : sameJson(draft, next) ? 'unchanged' : 'updated';
  return { draft: change === 'unchanged' ? draft : next, change, bins: bins.length, prefixesPerBin: bins[0]?.prefixes.length ?? 0 };
}

/** Same signed content: equal canonical JSON (drafts hold integers only). */
function sameJson(a: unknown, b: unknown): boolean {
  return canonicalize(a) === canonicalize(b);
}

// ## Checks

/** One problem: the field it is in, and what is wrong. */
export interface DraftIssue {
  readonly field: string;
  readonly problem: string;
}

export interface TargetsDraftCheck {
  /** Problems that make the draft unpublishable, as `FIELD: PROBLEM`. */
  readonly errors: string[];
  /** The same problems with their fields apart (a target path may hold ": "). */
  readonly issues: readonly DraftIssue[];
  /** Risks the coordinator should see. */
  readonly warnings: string[];
}

const targetField = (path: string): string => `targets[${JSON.stringify(path)}]`;

function checkDelegationRole(
  field: string,
  r: Pick<DelegatedRole, 'keyids' | 'threshold'>,
  keys: Delegations['keys'],
  issue: (field: string, problem: string) => void
): void {
  const unique = new Set(r.keyids);
  if (unique.size !== r.keyids.length) issue(`${field}.keyids`, 'a key ID is listed more than once');
  for (const k of unique) if (own(keys, k) === undefined) issue(`${field}.keyids`, `key ${k} is not in delegations.keys`);
  if (unique.size === 0) issue(`${field}.keyids`, 'the delegation has no keys');
  if (!Number.isSafeInteger(r.threshold) || r.threshold < 1) {
    issue(`${field}.threshold`, `${String(r.threshold)} must be a whole number of at least 1`);
  } else if (unique.size > 0 && r.threshold > unique.size) {
    issue(`${field}.threshold`, `${String(r.threshold)} is more than the ${String(unique.size)} keys listed, so it can never be met`);
  }
}

function checkDelegations(
  d: Delegations,
  publishedKeys: Delegations['keys'] | undefined,
  issue: (field: string, problem: string) => void,
  warn: (w: string) => void
): void {
  const hasRoles = d.roles !== undefined;
  const hasSuccinct = d.succinct_roles !== undefined;
  if (hasRoles === hasSuccinct) issue('delegations', 'must have exactly one of roles and succinct_roles (python-tuf rejects both and neither)');
  const names = new Set<string>();
  for (const r of d.roles ?? []) {
    const field = `delegations.roles.${r.name}`;
    const nameProblem = roleNameProblem(r.name);
    if (nameProblem !== undefined) issue(`${field}.name`, `${quoted(r.name)} ${nameProblem}`);
    if (names.has(r.name)) issue(`${field}.name`, `${quoted(r.name)} is delegated more than once`);
    names.add(r.name);
    if (typeof r.terminating !== 'boolean') issue(`${field}.terminating`, 'must be true or false (python-tuf and tuf-js require it)');
    checkDelegationRole(field, r, d.keys, issue);
    if ((r.paths === undefined) === (r.path_hash_prefixes === undefined)) {
      issue(field, 'must have exactly one of paths and path_hash_prefixes (python-tuf requires one)');
    }
    for (const p of r.paths ?? []) {
      const problem = pathPatternProblem(p);
      if (problem !== undefined) issue(`${field}.paths`, `${quoted(p)} ${problem}`);
    }
    for (const p of r.path_hash_prefixes ?? []) {
      const problem = hashPrefixProblem(p);
      if (problem !== undefined) issue(`${field}.path_hash_prefixes`, `${quoted(p)} ${problem}`);
    }
  }
  const sr = d.succinct_roles;
  if (sr !== undefined) {
    const field = 'delegations.succinct_roles';
    checkDelegationRole(field, sr, d.keys, issue);
    if (!Number.isSafeInteger(sr.bit_length) || sr.bit_length < 1 || sr.bit_length > MAX_BIT_LENGTH) {
      issue(`${field}.bit_length`, `${String(sr.bit_length)} must be from 1 to ${String(MAX_BIT_LENGTH)}`);
    } else if (sr.bit_length > BIT_LENGTH_WARNING) {
      warn(`${field}.bit_length: ${String(sr.bit_length)} gives ${String(2 ** sr.bit_length)} bins, each a file to sign and list in snapshot`);
    }
    const problem = namePrefixProblem(sr.name_prefix);
    if (problem !== undefined) issue(`${field}.name_prefix`, `${quoted(sr.name_prefix)} ${problem}`);
  }
  const used = usedKeyIds(d);
  const byFingerprint = new Map<string, string>();
  for (const [id, key] of Object.entries(d.keys)) {
    const problem = keyProfileProblem(id, key, isCarriedOver(publishedKeys, id, key));
    if (problem !== undefined) issue(`delegations.keys.${id}`, problem);
    const fp = fingerprintOf(key);
    const other = fp === undefined ? undefined : byFingerprint.get(fp);
    if (other !== undefined) issue('delegations.keys', `${other} and ${id} are the same public key under two key IDs (clients count it differently)`);
    else if (fp !== undefined) byFingerprint.set(fp, id);
    if (!used.has(id)) warn(`delegations.keys.${id}: no delegation uses key ${shortKeyId(id)}`);
  }
}

/**
 * Checks a targets draft. Errors: version not published + 1 (1 when none);
 * `expires` not strict or already passed; no published root, or one with
 * no targets keys; an unsafe target path; target paths that tuf-js would
 * sort differently from python-tuf and go-tuf (supplementary-plane
 * characters mixed with U+E000–U+FFFF); delegations with both or neither
 * of roles and succinct_roles, a role name that is unsafe, repeated or a
 * top-level role, a role with both or neither of paths and
 * path_hash_prefixes, an unsafe pattern or prefix, a key ID missing from
 * `delegations.keys` or listed twice, a threshold below 1 or above the
 * number of keys, a bit length outside 1–32, a bad name prefix, a key
 * outside the safe profile, one public key under two key IDs. Warnings:
 * expiry within 30 days; more than 2^16 bins; delegation keys no
 * delegation uses. Never throws.
 */
export function checkTargetsDraft(draft: Targets, published: Targets | null, trustedRoot: Root | null, nowMs: number): TargetsDraftCheck {
  const issues: DraftIssue[] = [];
  const warnings: string[] = [];
  const issue = (field: string, problem: string): void => {
    issues.push({ field, problem });
  };
  const expected = published === null ? 1 : published.version + 1;
  if (draft.version !== expected) {
    issue('version', `${String(draft.version)} must be ${String(expected)} (${published === null ? 'nothing is published' : `the published targets is version ${String(published.version)}`})`);
  }
  if (!isStrictExpires(draft.expires)) {
    issue('expires', `"${draft.expires}" is not of the form 2030-01-01T00:00:00Z`);
  } else {
    const ms = parseExpires(draft.expires)?.ms ?? 0;
    if (ms <= nowMs) issue('expires', `${draft.expires} has already passed (now is ${formatExpires(nowMs)})`);
    else if (ms - nowMs < TARGETS_EXPIRY_WARNING_DAYS * DAY_MS) warnings.push(`expires: ${draft.expires} is less than ${String(TARGETS_EXPIRY_WARNING_DAYS)} days away`);
  }
  if (trustedRoot === null) {
    issue('root', 'no root is published yet; publish root version 1 first (it names the targets keys)');
  } else {
    const role = own(trustedRoot.roles, 'targets');
    if (role === undefined || role.keyids.length === 0) issue('root', `the published root (version ${String(trustedRoot.version)}) lists no targets keys`);
  }

  const paths = Object.keys(draft.targets);
  let unsafe = 0;
  for (const p of paths) {
    const problem = targetPathProblem(p);
    if (problem === undefined) continue;
    if (++unsafe <= MAX_LISTED) issue(targetField(p), `the target path ${problem}`);
  }
  if (unsafe > MAX_LISTED) issue('targets', `${String(unsafe - MAX_LISTED)} more unsafe target paths`);
  for (const [a, b] of lookalikePaths(paths).slice(0, MAX_LISTED)) {
    issue(targetField(b), `the target path ${quoted(b)} differs from ${quoted(a)} only by case or Unicode normalization`);
  }
  if (paths.some((p) => SURROGATE.test(p))) {
    // Canonical JSON sorts keys by code point (python, go); @tufjs/canonical-json by UTF-16 code unit.
    const byCodePoint = [...paths].sort(compareCodePoints);
    const byCodeUnit = [...paths].sort();
    if (byCodePoint.some((p, i) => p !== byCodeUnit[i])) {
      issue('targets', 'target paths mix characters above U+FFFF with U+E000–U+FFFF: tuf-js orders them differently and its signature check would fail');
    }
  }
  if (draft.delegations !== undefined) checkDelegations(draft.delegations, published?.delegations?.keys, issue, (w) => warnings.push(w));
  return { errors: issues.map((i) => `${i.field}: ${i.problem}`), issues, warnings };
}

// ## Summary

/** The draft in numbers, for reports. */
export interface TargetsSummary {
  readonly targets: number;
  /** Delegated roles by name, in search order. */
  readonly roles: readonly string[];
  readonly succinctRoles: { readonly namePrefix: string; readonly bitLength: number; readonly bins: number } | null;
}

export function summarizeTargets(draft: Targets): TargetsSummary {
  const sr = draft.delegations?.succinct_roles;
  return {
    targets: Object.keys(draft.targets).length,
    roles: (draft.delegations?.roles ?? []).map((r) => r.name),
    succinctRoles: sr === undefined ? null : { namePrefix: sr.name_prefix, bitLength: sr.bit_length, bins: 2 ** sr.bit_length },
  };
}
