// SPDX-License-Identifier: Apache-2.0
/**
 * Root drafts: the next root version (always published + 1, spec §5.3.5),
 * started from the published root, edited one step at a time, checked, and
 * compared with the published root for review. Pure: no files and no clock
 * (`nowMs` is passed in); every edit returns a new Root and never changes
 * its argument.
 *
 * A draft holds only the fields this tool writes (`_type`, `spec_version`,
 * `version`, `expires`, `consistent_snapshot`, `keys`, the four top-level
 * `roles` as `{keyids, threshold}`): fields other tools added to the
 * published root (a `mirrors` role, `x-…` role fields) are not carried over,
 * and {@link rootDiff} lists them as removed. Key objects are copied as they
 * are, since a key ID is the hash of its whole key object.
 *
 * One public key is always referenced by one key ID (tuf-crib §8: clients
 * disagree on how to count one key under two IDs). Adding a public key that
 * the root already holds under another valid key ID reuses that key ID.
 */
import { InputError } from '../errors.js';
import { canonicalize } from '../metadata/canonical.js';
import { formatExpires, isStrictExpires, parseExpires } from '../metadata/expires.js';
import { fingerprintOf, keyIdsListing } from '../metadata/key-listing.js';
import { keyOwner } from '../metadata/key-owner.js';
import { computeKeyId, type TufKey } from '../metadata/keys.js';
import { own, ONLINE_ROLES, TOP_LEVEL_ROLES, type RoleKeys, type Root, type TopLevelRole } from '../metadata/model.js';
import { decodeKeyCached } from '../metadata/verify.js';

/** The spec version every draft is written with (tuf-crib §1). */
export const SPEC_VERSION = '1.0.31';
/** Default lifetime of a new root. */
export const DEFAULT_ROOT_EXPIRES_DAYS = 365;
/** `checkRootDraft` warns when the root expires sooner than this. */
export const EXPIRY_WARNING_DAYS = 30;
/** `checkRootDraft` warns when the root expires later than this. */
export const EXPIRY_MAX_YEARS = 5;
/** Longest lifetime `+Nd` accepts (100 years). */
export const MAX_EXPIRES_DAYS = 36_500;

const DAY_MS = 86_400_000;
const KEYID = /^[0-9a-f]{64}$/;

/** A registered keyholder: a name and one public key. */
export interface Keyholder {
  readonly name: string;
  readonly keyid: string;
  readonly key: TufKey;
}

/**
 * Turns what a user typed (WHO: a keyholder name, a key ID or a public key
 * file) into a key. Supplied by the command layer, which reads files and
 * the keyholder registry. `kind` says what a plan entry is meant to be:
 * `'keyholder'` for `keyholders:` entries, `'key-file'` for `keys:`
 * entries; undefined means any WHO.
 * @throws InputError when WHO names nothing usable
 */
export interface KeyResolver {
  (who: string, kind?: 'keyholder' | 'key-file'): { keyid: string; key: TufKey; keyholder?: string };
}

/** Where a value came from, for error messages: a file and a field, or a field alone (command line). */
export interface Source {
  readonly file?: string;
  readonly field: string;
}

/** The InputError for a bad value: `FILE: FIELD: PROBLEM`, or `FIELD: PROBLEM` without a file. */
export function valueError(source: Source, problem: string, cause?: unknown): InputError {
  const where = source.file === undefined ? source.field : `${source.file}: ${source.field}`;
  return new InputError(`${where}: ${problem}`, {
    field: source.field,
    ...(source.file === undefined ? {} : { file: source.file }),
    ...(cause === undefined ? {} : { cause }),
  });
}

/** A user's text for a message: quoted, control characters escaped, cut at 40 characters. */
export function quoted(text: string): string {
  return JSON.stringify(text.length > 40 ? text.slice(0, 40) + '…' : text);
}

// ## Roles and keys

/** Checks a role name. @throws InputError naming the field `role` */
export function assertRole(role: string): TopLevelRole {
  if (!(TOP_LEVEL_ROLES as readonly string[]).includes(role)) {
    throw valueError({ field: 'role' }, `${quoted(role)} is not a root role: use root, targets, snapshot or timestamp`);
  }
  return role as TopLevelRole;
}

/** The role as the draft holds it (an absent role reads as empty with threshold 1). */
function roleOf(root: Root, role: TopLevelRole): RoleKeys {
  return own(root.roles, role) ?? { keyids: [], threshold: 1 };
}

/** First 8 hex digits of a key ID, as reviews show it. */
export function shortKeyId(keyid: string): string {
  return keyid.slice(0, 8);
}

/**
 * True when `keys` (a published root's, or published delegations') holds
 * exactly this key under this key ID: a key carried over keeps the ID
 * clients already pin, even one hashed over an older form of the key.
 */
export function isCarriedOver(keys: Root['keys'] | undefined, keyid: string, key: TufKey): boolean {
  const published = keys === undefined ? undefined : own(keys, keyid);
  return published !== undefined && canonicalize(published) === canonicalize(key);
}

/**
 * Why a key may not be written in a root (tuf-crib "Minimal safe profile":
 * Ed25519 as hex, ECDSA P-256 as PEM with keytype `ecdsa`, key ID = hash of
 * the whole key object), or undefined when it may. A key carried over from
 * the published metadata (`carried`) keeps its key ID and key fields as
 * they are: clients pin that ID (TAP 12, docs/decisions.md).
 */
export function keyProfileProblem(keyid: string, key: TufKey, carried = false): string | undefined {
  if (!KEYID.test(keyid)) return `key ID ${quoted(keyid)} is not 64 lowercase hex characters`;
  const computed = computeKeyId(key);
  if (computed !== keyid && !carried) return `key ID ${keyid} does not match its key, which hashes to ${computed}`;
  const d = decodeKeyCached(key);
  if (d.$case === 'unsupported') return d.reason;
  if (d.legacy.length > 0) return `${d.legacy[0] as string} is outside the safe profile`;
  if (d.algorithm !== 'ed25519' && d.algorithm !== 'ecdsa-p256') {
    return `${d.algorithm} keys are outside the safe profile (use ed25519 or ecdsa P-256)`;
  }
  if (Object.hasOwn(key, 'keyid_hash_algorithms') && !carried) return 'keyid_hash_algorithms is not written in new keys';
  const pub = key.keyval.public;
  if (pub.startsWith('-----') && !pub.endsWith('-----END PUBLIC KEY-----\n')) return 'PEM public key must end with a newline';
  return undefined;
}

/** Keeps only the keys some role uses. */
function pruneKeys(root: Root): Root {
  const used = new Set<string>();
  for (const r of Object.values(root.roles)) for (const id of r.keyids) used.add(id);
  const keys = Object.fromEntries(Object.entries(root.keys).filter(([id]) => used.has(id)));
  return { ...root, keys };
}

function withRole(root: Root, role: TopLevelRole, value: RoleKeys): Root {
  const roles = Object.fromEntries(
    Object.entries(root.roles).map(([name, r]) => [name, name === role ? value : r] as const)
  );
  if (!Object.hasOwn(roles, role)) roles[role] = value;
  return { ...root, roles };
}

/**
 * The key ID under which `key` goes into a key map (root `keys`, targets
 * `delegations.keys`): its own, unless the map already holds the same
 * public key under another key ID inside the safe profile, which is then
 * reused.
 * @param holder what holds the map, for messages (`the root`)
 * @throws InputError when the map holds the same public key in a form outside the profile
 */
export function keyIdIn(keys: Root['keys'], keyid: string, key: TufKey, source: Source, holder = 'the root'): string {
  if (own(keys, keyid) !== undefined) return keyid;
  const [other] = keyIdsListing(keys, key);
  const k = other === undefined ? undefined : own(keys, other);
  if (other === undefined || k === undefined) return keyid;
  const problem = keyProfileProblem(other, k);
  if (problem !== undefined) {
    throw valueError(source, `${holder} already holds this public key as ${other} (${problem}); remove ${shortKeyId(other)} from every role first`);
  }
  return other;
}

/** @throws InputError when the key is outside the safe profile or its key ID does not match */
export function checkNewKey(keyid: string, key: TufKey, source: Source): void {
  const problem = keyProfileProblem(keyid, key);
  if (problem !== undefined) throw valueError(source, problem);
}

// ## Starting a draft

/**
 * Starts the next root: version published + 1 (1 when nothing is published),
 * the published keys, roles and consistent_snapshot (a published root
 * without it meant false to clients, so the draft says false), and a new
 * expiry `expiresDays` (default 365) days after `nowMs`. With nothing
 * published: version 1, consistent_snapshot true, four empty roles with
 * threshold 1 (an empty role is an error for {@link checkRootDraft}).
 * @throws InputError when `expiresDays` is not an integer from 1 to 36500
 */
export function newRootDraft(published: Root | null, nowMs: number, defaults: { expiresDays?: number } = {}): Root {
  const days = defaults.expiresDays ?? DEFAULT_ROOT_EXPIRES_DAYS;
  if (!Number.isSafeInteger(days) || days < 1 || days > MAX_EXPIRES_DAYS) {
    throw valueError({ field: 'expiresDays' }, `${String(days)} is not a whole number of days from 1 to ${String(MAX_EXPIRES_DAYS)}`);
  }
  const expires = formatExpires(nowMs + days * DAY_MS);
  const roles = Object.fromEntries(
    TOP_LEVEL_ROLES.map((name) => {
      const r = published === null ? undefined : own(published.roles, name);
      return [name, { keyids: [...(r?.keyids ?? [])], threshold: r?.threshold ?? 1 }] as const;
    })
  );
  const draft: Root = {
    _type: 'root',
    spec_version: SPEC_VERSION,
    version: published === null ? 1 : published.version + 1,
    expires,
    consistent_snapshot: published === null ? true : (published.consistent_snapshot ?? false),
    keys: published === null ? {} : { ...published.keys },
    roles,
  };
  return pruneKeys(draft);
}

// ## Edits

/**
 * Adds a key to a role (and to `keys`). A public key the root already holds
 * under another key ID is added under that key ID.
 * @throws InputError for an unknown role, a key outside the safe profile or
 *   whose key ID does not match, or a key already in the role
 */
export function addKey(draft: Root, role: string, keyid: string, key: TufKey): Root {
  const r = assertRole(role);
  const source = { field: `roles.${r}.keyids` };
  checkNewKey(keyid, key, { field: 'key' });
  const id = keyIdIn(draft.keys, keyid, key, { field: 'key' });
  const current = roleOf(draft, r);
  if (current.keyids.includes(id)) {
    const as = id === keyid ? '' : ` (as ${id})`;
    throw valueError(source, `key ${keyid}${as} is already in the ${r} role`);
  }
  const keys = own(draft.keys, id) === undefined ? Object.fromEntries([...Object.entries(draft.keys), [id, key]]) : draft.keys;
  return withRole({ ...draft, keys }, r, { keyids: [...current.keyids, id], threshold: current.threshold });
}

/**
 * Removes a key from a role, and from `keys` when no role uses it any more.
 * With `key` given, a role entry holding the same public key under another
 * key ID matches too.
 * @throws InputError for an unknown role or a key not in the role
 */
export function removeKey(draft: Root, role: string, keyid: string, key?: TufKey): Root {
  const r = assertRole(role);
  const current = roleOf(draft, r);
  let id: string | undefined = current.keyids.includes(keyid) ? keyid : undefined;
  if (id === undefined && key !== undefined) {
    const listed = keyIdsListing(draft.keys, key);
    id = current.keyids.find((k) => listed.includes(k));
  }
  if (id === undefined) {
    throw valueError({ field: `roles.${r}.keyids` }, `key ${keyid} is not in the ${r} role`);
  }
  const keyids = current.keyids.filter((k) => k !== id);
  return pruneKeys(withRole(draft, r, { keyids, threshold: current.threshold }));
}

/**
 * Parses a threshold: a positive integer, or its decimal text.
 * @throws InputError naming the field
 */
export function parseThreshold(t: number | string, source: Source = { field: 'threshold' }): number {
  const n = typeof t === 'string' ? (/^[1-9][0-9]{0,8}$/.test(t) ? Number(t) : NaN) : t;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw valueError(source, `${typeof t === 'string' ? quoted(t) : String(t)} is not a whole number of at least 1`);
  }
  return n;
}

/**
 * Sets a role's threshold. A threshold above the role's current number of
 * keys is accepted here (keys may be added next) and reported by
 * {@link checkRootDraft}.
 * @throws InputError for an unknown role or a threshold that is not an integer >= 1
 */
export function setThreshold(draft: Root, role: string, t: number | string): Root {
  const r = assertRole(role);
  const threshold = parseThreshold(t);
  return withRole(draft, r, { keyids: [...roleOf(draft, r).keyids], threshold });
}

/** What a WHEN text says, before it is measured from a reference time. */
export type When = { readonly $case: 'days'; readonly days: number } | { readonly $case: 'time'; readonly ms: number };

/**
 * Reads WHEN: `+Nd` (N days from now), a date `2027-11-23` (midnight UTC)
 * or a date-time `2027-11-23T00:00:00Z` (an RFC 3339 UTC offset is
 * converted to UTC; fractional seconds are refused).
 * @throws InputError naming the field
 */
export function parseWhenText(text: string, source: Source = { field: 'expires' }): When {
  const days = /^\+([0-9]{1,6})d$/.exec(text);
  if (days !== null) {
    const n = Number(days[1]);
    if (n < 1 || n > MAX_EXPIRES_DAYS) {
      throw valueError(source, `${quoted(text)}: the number of days must be from 1 to ${String(MAX_EXPIRES_DAYS)}`);
    }
    return { $case: 'days', days: n };
  }
  const full = /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text;
  const parsed = /\.\d/.test(full) ? undefined : parseExpires(full);
  if (parsed === undefined) {
    throw valueError(
      source,
      `${quoted(text)} is not a time: use +365d (days from now), a date such as 2027-11-23 or a date-time such as 2027-11-23T00:00:00Z`
    );
  }
  return { $case: 'time', ms: parsed.ms };
}

/**
 * Resolves WHEN against `nowMs` into milliseconds since the epoch (whole seconds).
 * @throws InputError naming the field when WHEN is malformed or not after `nowMs`
 */
export function parseWhen(text: string, nowMs: number, source: Source = { field: 'expires' }): number {
  const when = parseWhenText(text, source);
  const ms = when.$case === 'days' ? nowMs + when.days * DAY_MS : when.ms;
  const seconds = Math.floor(ms / 1000) * 1000;
  if (seconds <= nowMs) {
    throw valueError(source, `${quoted(text)} is not in the future (now is ${formatExpires(nowMs)})`);
  }
  return seconds;
}

/**
 * Sets `expires` (of a root or targets draft) from WHEN (see
 * {@link parseWhenText}), written in the strict `YYYY-MM-DDTHH:MM:SSZ` form.
 * @throws InputError naming the field `expires`
 */
export function setExpires<T extends { readonly expires: string }>(draft: T, whenText: string, nowMs: number): T {
  return { ...draft, expires: formatExpires(parseWhen(whenText, nowMs)) };
}

/**
 * Sets `consistent_snapshot`: a boolean, or the text `true` / `false`.
 * @throws InputError naming the field `consistent_snapshot`
 */
export function setConsistentSnapshot(draft: Root, value: boolean | string): Root {
  const b = value === true || value === 'true' ? true : value === false || value === 'false' ? false : undefined;
  if (b === undefined) {
    throw valueError({ field: 'consistent_snapshot' }, `${typeof value === 'string' ? quoted(value) : String(value)} is not true or false`);
  }
  return { ...draft, consistent_snapshot: b };
}

/** One role as a plan states it: exactly these keys and this threshold. */
export interface RoleSetting {
  readonly role: string;
  readonly keys: readonly { readonly keyid: string; readonly key: TufKey; readonly source?: Source }[];
  readonly threshold: number | string;
  /** Where the threshold came from, for messages. */
  readonly thresholdSource?: Source;
}

/**
 * Sets each role to exactly its keys and threshold (what a plan does for
 * the roles it names), then drops keys no role uses. A public key the root
 * already holds under another valid key ID keeps that key ID, and one
 * public key listed for several roles gets one key ID.
 * @throws InputError (see {@link addKey}); the same public key twice in one role
 */
export function setRoles(draft: Root, settings: readonly RoleSetting[]): Root {
  let next = draft;
  for (const s of settings) {
    const r = assertRole(s.role);
    const t = parseThreshold(s.threshold, s.thresholdSource ?? { field: `roles.${r}.threshold` });
    const seen = new Map<string, string>();
    const keyids: string[] = [];
    for (const k of s.keys) {
      const source = k.source ?? { field: `roles.${r}.keyids` };
      checkNewKey(k.keyid, k.key, source);
      const fp = fingerprintOf(k.key) ?? k.keyid;
      const earlier = seen.get(fp);
      if (earlier !== undefined) throw valueError(source, `is the same public key as ${earlier}`);
      seen.set(fp, source.field);
      const id = keyIdIn(next.keys, k.keyid, k.key, source);
      if (own(next.keys, id) === undefined) {
        next = { ...next, keys: Object.fromEntries([...Object.entries(next.keys), [id, k.key]]) };
      }
      keyids.push(id);
    }
    next = withRole(next, r, { keyids, threshold: t });
  }
  return pruneKeys(next);
}

// ## Checks

export interface RootDraftCheck {
  /** Problems that make the draft unpublishable. */
  readonly errors: string[];
  /** Risks a coordinator should see before asking for signatures. */
  readonly warnings: string[];
}

function addYears(ms: number, years: number): number {
  const d = new Date(ms);
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d.getTime();
}

/**
 * Checks a draft as a root ceremony must (spec §5.3, tuf-crib §2 and §8).
 * Errors: version not published + 1; a missing, empty or extra role; a
 * threshold below 1 or above the role's number of keys; a key ID listed
 * twice in a role or missing from `keys`; the same public key under two key
 * IDs; a key outside the safe profile; `expires` not strict or already
 * passed; `consistent_snapshot` not written. Warnings: root threshold 1;
 * root threshold equal to the number of root keys (no key may be lost); a
 * root key also used by snapshot or timestamp (online keys); expiry within
 * 30 days or beyond 5 years of `nowMs`; keys no role uses. Never throws.
 */
export function checkRootDraft(draft: Root, published: Root | null, nowMs: number): RootDraftCheck {
  const errors: string[] = [];
  const warnings: string[] = [];
  const expectedVersion = published === null ? 1 : published.version + 1;
  if (draft.version !== expectedVersion) {
    const what = published === null ? 'nothing is published' : `the published root is version ${String(published.version)}`;
    errors.push(`version: ${String(draft.version)} must be ${String(expectedVersion)} (${what}; clients accept only version N+1)`);
  }
  if (typeof draft.consistent_snapshot !== 'boolean') {
    errors.push('consistent_snapshot: must be written as true or false (tuf-js rejects a root without it)');
  }

  if (!isStrictExpires(draft.expires)) {
    errors.push(`expires: "${draft.expires}" is not of the form 2030-01-01T00:00:00Z`);
  } else {
    const ms = (parseExpires(draft.expires) as { ms: number }).ms;
    if (ms <= nowMs) {
      errors.push(`expires: ${draft.expires} has already passed (now is ${formatExpires(nowMs)})`);
    } else if (ms - nowMs < EXPIRY_WARNING_DAYS * DAY_MS) {
      const days = Math.ceil((ms - nowMs) / DAY_MS);
      warnings.push(`expires: ${draft.expires} is only ${String(days)} days away; the next ceremony must happen before then`);
    } else if (ms > addYears(nowMs, EXPIRY_MAX_YEARS)) {
      warnings.push(`expires: ${draft.expires} is more than ${String(EXPIRY_MAX_YEARS)} years away; a compromised root key stays trusted that long`);
    }
  }

  for (const name of Object.keys(draft.roles)) {
    if (!(TOP_LEVEL_ROLES as readonly string[]).includes(name)) {
      errors.push(`roles.${name}: only root, targets, snapshot and timestamp may be written (python-tuf rejects other roles)`);
    }
  }
  const used = new Set<string>();
  for (const name of TOP_LEVEL_ROLES) {
    const role = own(draft.roles, name);
    if (role === undefined) {
      errors.push(`roles.${name}: the role is missing`);
      continue;
    }
    const unique = new Set(role.keyids);
    role.keyids.forEach((id) => used.add(id));
    if (unique.size !== role.keyids.length) errors.push(`roles.${name}: a key ID is listed more than once`);
    for (const id of unique) {
      if (own(draft.keys, id) === undefined) errors.push(`roles.${name}: key ${id} is not in keys`);
    }
    if (!Number.isSafeInteger(role.threshold) || role.threshold < 1) {
      errors.push(`roles.${name}.threshold: ${String(role.threshold)} must be a whole number of at least 1`);
    }
    if (unique.size === 0) {
      errors.push(`roles.${name}: the role has no keys; add at least ${String(Math.max(1, role.threshold))}`);
    } else if (role.threshold > unique.size) {
      errors.push(
        `roles.${name}.threshold: ${String(role.threshold)} is more than the ${String(unique.size)} keys in the role, so it can never be met`
      );
    }
  }

  const byFingerprint = new Map<string, string>();
  for (const [id, key] of Object.entries(draft.keys)) {
    const problem = keyProfileProblem(id, key, isCarriedOver(published?.keys, id, key));
    if (problem !== undefined) errors.push(`keys.${id}: ${problem}`);
    const fp = fingerprintOf(key);
    if (fp !== undefined) {
      const other = byFingerprint.get(fp);
      if (other !== undefined) {
        errors.push(`keys: ${other} and ${id} are the same public key under two key IDs (clients count it differently)`);
      } else {
        byFingerprint.set(fp, id);
      }
    }
    if (!used.has(id)) warnings.push(`keys.${id}: no role uses this key`);
  }

  const root = own(draft.roles, 'root');
  if (root !== undefined && root.keyids.length > 0) {
    if (root.threshold === 1) {
      warnings.push('roles.root.threshold: 1 means a single stolen or lost root key decides; use at least 2');
    } else if (root.threshold === new Set(root.keyids).size) {
      warnings.push(
        `roles.root.threshold: ${String(root.threshold)} of ${String(root.threshold)} means losing any one root key makes the root impossible to rotate`
      );
    }
    const rootFingerprints = new Map<string, string>();
    for (const id of root.keyids) {
      const k = own(draft.keys, id);
      rootFingerprints.set(k === undefined ? id : (fingerprintOf(k) ?? id), id);
    }
    for (const online of ONLINE_ROLES) {
      for (const id of own(draft.roles, online)?.keyids ?? []) {
        const k = own(draft.keys, id);
        const rootId = rootFingerprints.get(k === undefined ? id : (fingerprintOf(k) ?? id));
        if (rootId !== undefined) {
          warnings.push(`roles.${online}: root key ${shortKeyId(rootId)} is also a ${online} key, which is kept online`);
        }
      }
    }
  }
  return { errors, warnings };
}

// ## Review

/** A key as a review shows it. */
export interface KeyRef {
  readonly keyid: string;
  /** The keyholder's name, or null when no registered keyholder holds it. */
  readonly keyholder: string | null;
}

export interface Change<T> {
  readonly from: T;
  readonly to: T;
}

export interface RootRoleDiff {
  readonly role: TopLevelRole;
  /** Null `from` when nothing is published. */
  readonly threshold: Change<number | null>;
  /** In the draft's order. */
  readonly added: readonly KeyRef[];
  /** In the published root's order. */
  readonly removed: readonly KeyRef[];
  readonly kept: readonly KeyRef[];
}

export interface RootDiff {
  /** `from` is null when nothing is published. */
  readonly version: Change<number | null>;
  readonly specVersion: Change<string | null>;
  readonly expires: Change<string | null>;
  /** null: not written. */
  readonly consistentSnapshot: Change<boolean | null>;
  /** The four top-level roles, in the order root, targets, snapshot, timestamp. */
  readonly roles: readonly RootRoleDiff[];
  /** Key IDs that enter or leave `keys`. */
  readonly keys: { readonly added: readonly KeyRef[]; readonly removed: readonly KeyRef[] };
  /** Fields outside what this tool writes that differ (e.g. a dropped `x-…` field). */
  readonly otherFields: readonly { readonly field: string; readonly change: 'added' | 'removed' | 'changed' }[];
}

const KNOWN_ROOT_FIELDS = ['_type', 'spec_version', 'version', 'expires', 'consistent_snapshot', 'keys', 'roles'];
const KNOWN_ROLE_FIELDS = ['keyids', 'threshold'];

function fieldChanges(
  from: object | undefined,
  to: object | undefined,
  known: readonly string[],
  prefix: string,
  out: { field: string; change: 'added' | 'removed' | 'changed' }[]
): void {
  const a = (from ?? {}) as Record<string, unknown>;
  const b = (to ?? {}) as Record<string, unknown>;
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const name of [...names].sort()) {
    if (known.includes(name)) continue;
    const field = `${prefix}${name}`;
    if (!Object.hasOwn(b, name)) out.push({ field, change: 'removed' });
    else if (!Object.hasOwn(a, name)) out.push({ field, change: 'added' });
    else if (canonicalize(a[name]) !== canonicalize(b[name])) out.push({ field, change: 'changed' });
  }
}

/**
 * What the draft changes against the published root (or everything, for a
 * first root). `names` gives the keyholder holding a key ID (see
 * {@link keyholderNames}).
 */
export function rootDiff(published: Root | null, draft: Root, names: (keyid: string) => string | undefined): RootDiff {
  const ref = (keyid: string): KeyRef => ({ keyid, keyholder: names(keyid) ?? null });
  const roles = TOP_LEVEL_ROLES.map((role): RootRoleDiff => {
    const before = published === null ? undefined : own(published.roles, role);
    const after = own(draft.roles, role);
    const old = before?.keyids ?? [];
    const now = after?.keyids ?? [];
    return {
      role,
      threshold: { from: before?.threshold ?? null, to: after?.threshold ?? null },
      added: now.filter((id) => !old.includes(id)).map(ref),
      removed: old.filter((id) => !now.includes(id)).map(ref),
      kept: now.filter((id) => old.includes(id)).map(ref),
    };
  });
  const oldKeys = published === null ? [] : Object.keys(published.keys);
  const newKeys = Object.keys(draft.keys);
  const otherFields: { field: string; change: 'added' | 'removed' | 'changed' }[] = [];
  fieldChanges(published ?? undefined, draft, KNOWN_ROOT_FIELDS, '', otherFields);
  const roleNames = new Set([...(published === null ? [] : Object.keys(published.roles)), ...Object.keys(draft.roles)]);
  for (const name of [...roleNames].sort()) {
    const before = published === null ? undefined : own(published.roles, name);
    const after = own(draft.roles, name);
    if (!(TOP_LEVEL_ROLES as readonly string[]).includes(name)) {
      if (before !== undefined && after === undefined) otherFields.push({ field: `roles.${name}`, change: 'removed' });
      else if (before === undefined && after !== undefined) otherFields.push({ field: `roles.${name}`, change: 'added' });
      else if (canonicalize(before) !== canonicalize(after)) otherFields.push({ field: `roles.${name}`, change: 'changed' });
      continue;
    }
    fieldChanges(before, after, KNOWN_ROLE_FIELDS, `roles.${name}.`, otherFields);
  }
  return {
    version: { from: published?.version ?? null, to: draft.version },
    specVersion: { from: published?.spec_version ?? null, to: draft.spec_version },
    expires: { from: published?.expires ?? null, to: draft.expires },
    consistentSnapshot: {
      from: published === null ? null : (published.consistent_snapshot ?? null),
      to: draft.consistent_snapshot ?? null,
    },
    roles,
    keys: {
      added: newKeys.filter((id) => !oldKeys.includes(id)).map(ref),
      removed: oldKeys.filter((id) => !newKeys.includes(id)).map(ref),
    },
    otherFields,
  };
}

/** `alice (1a2b3c4d)`, or `key 1a2b3c4d (no keyholder)`. */
export function describeKey(k: KeyRef): string {
  return k.keyholder === null ? `key ${shortKeyId(k.keyid)} (no keyholder)` : `${k.keyholder} (${shortKeyId(k.keyid)})`;
}

function show(v: string | number | boolean | null): string {
  return v === null ? '(none)' : String(v);
}

/**
 * The diff as review lines, e.g. `root: + alice (1a2b3c4d)`,
 * `root: threshold 2 → 3`, `expires: 2026-… → 2027-…`. Unchanged values
 * are not shown, except the version, which always is.
 */
export function renderRootDiff(diff: RootDiff): string[] {
  const lines: string[] = [];
  const change = (label: string, c: Change<string | number | boolean | null>): void => {
    if (c.from !== c.to) lines.push(c.from === null ? `${label}: ${show(c.to)}` : `${label}: ${show(c.from)} → ${show(c.to)}`);
  };
  lines.push(
    diff.version.from === null
      ? `version: ${String(diff.version.to)} (first root)`
      : `version: ${String(diff.version.from)} → ${String(diff.version.to)}`
  );
  change('spec_version', diff.specVersion);
  change('expires', diff.expires);
  change('consistent_snapshot', diff.consistentSnapshot);
  const inRoles = new Set<string>();
  for (const r of diff.roles) {
    if (r.threshold.from !== r.threshold.to) {
      lines.push(
        r.threshold.from === null
          ? `${r.role}: threshold ${show(r.threshold.to)}`
          : `${r.role}: threshold ${show(r.threshold.from)} → ${show(r.threshold.to)}`
      );
    }
    for (const k of r.removed) lines.push(`${r.role}: - ${describeKey(k)}`);
    for (const k of r.added) lines.push(`${r.role}: + ${describeKey(k)}`);
    for (const k of [...r.added, ...r.removed, ...r.kept]) inRoles.add(k.keyid);
  }
  for (const k of diff.keys.removed) {
    if (!inRoles.has(k.keyid)) lines.push(`keys: - ${describeKey(k)} (no role used it)`);
  }
  for (const f of diff.otherFields) lines.push(`${f.field}: ${f.change}`);
  return lines;
}

/**
 * Names for key IDs: a keyholder's own key ID, and any key ID under which
 * one of `roots` (or another holder of a key map, such as a targets
 * draft's `delegations`) holds the same public key (older roots may hold a
 * keyholder's key with extra fields, hence another key ID).
 */
export function keyholderNames(
  keyholders: readonly Keyholder[],
  ...roots: readonly (Pick<Root, 'keys'> | null | undefined)[]
): (keyid: string) => string | undefined {
  const byId = new Map<string, string>();
  const byFingerprint = new Map<string, string>();
  for (const k of keyholders) {
    if (!byId.has(k.keyid)) byId.set(k.keyid, k.name);
    const fp = fingerprintOf(k.key);
    if (fp !== undefined && !byFingerprint.has(fp)) byFingerprint.set(fp, k.name);
  }
  for (const root of roots) {
    for (const [id, key] of Object.entries(root?.keys ?? {})) {
      if (byId.has(id)) continue;
      const fp = fingerprintOf(key);
      // The registry's name first; else the name bound in the key object (tuf-on-ci's x-tuf-on-ci-keyowner).
      const name = (fp === undefined ? undefined : byFingerprint.get(fp)) ?? keyOwner(key);
      if (name !== undefined) byId.set(id, name);
    }
  }
  return (keyid) => byId.get(keyid);
}
