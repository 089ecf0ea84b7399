// SPDX-License-Identifier: Apache-2.0
/**
 * Root plan files (`root draft --plan FILE`, product.md §2 "Root plan
 * file"): a declarative statement of the next root, in YAML or JSON.
 *
 * ```yaml
 * expires: +365d
 * consistent_snapshot: true
 * roles:
 *   root:      { threshold: 3, keyholders: [alice, bob, carol, dave, erin] }
 *   snapshot:  { threshold: 1, keys: [online/snapshot.pub.json] }
 * ```
 *
 * Reading is strict, because a plan decides who controls the repository:
 * unknown fields, duplicate keys, floats, non-decimal numbers, YAML tags,
 * anchors and aliases, several documents, invalid UTF-8 and files over
 * 1 MiB are all refused, with the file and the field path in the message.
 * Pure: bytes in; the command layer reads the file and resolves names.
 */
import { InputError } from '../errors.js';
import { formatExpires } from '../metadata/expires.js';
import { formatPath, type JsonValue } from '../metadata/json.js';
import { TOP_LEVEL_ROLES, type Root, type TopLevelRole } from '../metadata/model.js';
import { Guard } from '../metadata/parse.js';
import { checkKeyholderName } from '../metadata/public-key-file.js';
import { hasControl, readStructuredFile, structuredLimits } from './yaml.js';
import {
  newRootDraft,
  parseWhen,
  parseWhenText,
  quoted,
  setRoles,
  type KeyResolver,
  type RoleSetting,
  type Source,
} from './root-draft.js';
import { withOwner } from '../metadata/key-owner.js';

/** Largest plan file read: 1 MiB. */
export const MAX_PLAN_BYTES = 1024 * 1024;
/** A plan nests 4 levels; anything much deeper is not a plan (the shared reader's bounds). */
const PLAN_LIMITS = structuredLimits('plan', MAX_PLAN_BYTES);

export const PLAN_FIELDS = ['expires', 'consistent_snapshot', 'roles'] as const;
export const PLAN_ROLE_FIELDS = ['threshold', 'keyholders', 'keys'] as const;

/** One role as the plan wants it. */
export interface PlanRole {
  readonly threshold: number;
  /** Registered keyholder names. */
  readonly keyholders: readonly string[];
  /** Public key files (paths as written in the plan). */
  readonly keys: readonly string[];
}

/** A parsed plan. Absent fields keep the published value (or the default). */
export interface Plan {
  /** The plan's file name, for messages. */
  readonly file: string;
  /** WHEN text as written: `+365d`, a date or a date-time (checked syntax). */
  readonly expires?: string;
  readonly consistent_snapshot?: boolean;
  readonly roles: { readonly [R in TopLevelRole]?: PlanRole };
}

type Path = readonly (string | number)[];

// ## Reading a plan

function planRole(g: Guard, v: JsonValue | undefined, path: Path): PlanRole {
  const o = g.object(v, path);
  for (const k of Object.keys(o)) {
    if (!(PLAN_ROLE_FIELDS as readonly string[]).includes(k)) {
      g.fail([...path, k], `unknown field (a role has ${PLAN_ROLE_FIELDS.join(', ')})`);
    }
  }
  const threshold = g.integer(o['threshold'], [...path, 'threshold'], 1);
  const keyholders = Object.hasOwn(o, 'keyholders') ? g.stringSet(o['keyholders'], [...path, 'keyholders'], 'keyholder') : [];
  keyholders.forEach((name, i) => checkKeyholderName(name, g.file, formatPath([...path, 'keyholders', i])));
  const keys = Object.hasOwn(o, 'keys') ? g.stringSet(o['keys'], [...path, 'keys'], 'key file') : [];
  keys.forEach((k, i) => {
    if (k === '' || hasControl(k) || !k.isWellFormed()) g.fail([...path, 'keys', i], 'must be a public key file path');
  });
  const count = keyholders.length + keys.length;
  if (count === 0) g.fail(path, 'lists no keys: give keyholders, keys or both');
  if (threshold > count) {
    g.fail([...path, 'threshold'], `${String(threshold)} is more than the ${String(count)} keys listed, so it could never be met`);
  }
  return { threshold, keyholders, keys };
}

/**
 * Reads a root plan. `.json` files are read as strict JSON; anything else as
 * YAML 1.2 (core schema), which also reads JSON.
 * @param file the plan's name, used in messages and to choose JSON or YAML
 * @throws InputError (exit 2) naming the file and the field path
 */
export function parsePlan(bytes: Uint8Array, file: string): Plan {
  const value = readStructuredFile(bytes, file, PLAN_LIMITS);
  const g = new Guard(file);
  const o = g.object(value, []);
  for (const k of Object.keys(o)) {
    if (!(PLAN_FIELDS as readonly string[]).includes(k)) {
      g.fail([k], `unknown field (a plan has ${PLAN_FIELDS.join(', ')})`);
    }
  }
  let expires: string | undefined;
  if (Object.hasOwn(o, 'expires')) {
    expires = g.string(o['expires'], ['expires']);
    parseWhenText(expires, { file, field: 'expires' });
  }
  const consistent = Object.hasOwn(o, 'consistent_snapshot')
    ? g.boolean(o['consistent_snapshot'], ['consistent_snapshot'])
    : undefined;
  const roles: { [R in TopLevelRole]?: PlanRole } = {};
  if (Object.hasOwn(o, 'roles')) {
    const ro = g.object(o['roles'], ['roles']);
    for (const name of Object.keys(ro)) {
      if (!(TOP_LEVEL_ROLES as readonly string[]).includes(name)) {
        g.fail(['roles', name], 'unknown role (use root, targets, snapshot or timestamp)');
      }
      roles[name as TopLevelRole] = planRole(g, ro[name], ['roles', name]);
    }
  }
  return {
    file,
    ...(expires === undefined ? {} : { expires }),
    ...(consistent === undefined ? {} : { consistent_snapshot: consistent }),
    roles,
  };
}

// ## Applying a plan

/** Roles whose keys keyholders hold: their names are bound in the key objects. */
const OFFLINE_ROLES: readonly string[] = ['root', 'targets'];

function resolveEntry(
  resolve: KeyResolver,
  who: string,
  kind: 'keyholder' | 'key-file',
  source: Required<Source>,
  bind: boolean
): { keyid: string; key: ReturnType<KeyResolver>['key']; source: Source } {
  try {
    const r = resolve(who, kind);
    // A keyholder's name goes into the signed key object of an offline role.
    const k = r.keyholder === undefined || !bind ? r : withOwner(r.key, r.keyholder);
    return { keyid: k.keyid, key: k.key, source };
  } catch (e) {
    // Name the plan entry; other errors (a file that cannot be read: exit 3) keep their kind.
    if (!(e instanceof InputError)) throw e;
    throw new InputError(`${source.file}: ${source.field}: ${quoted(who)}: ${e.message}`, {
      file: source.file,
      field: source.field,
      cause: e,
      ...(e.hint === undefined ? {} : { hint: e.hint }),
    });
  }
}

/**
 * Builds the draft a plan describes: the published root changed to match it
 * (product.md "Root plan file"). Version published + 1; `expires` from the
 * plan, else `defaults.expiresDays` (365) from `nowMs`; `consistent_snapshot`
 * from the plan, else the published value; each role the plan names gets
 * exactly its keys and threshold, roles it does not name keep the published
 * value; keys no role uses any more leave `keys`. Keys are resolved in the
 * order written: `keyholders` entries, then `keys` entries.
 * @throws InputError naming the plan file and entry when a name or file does
 *   not resolve, a key is outside the safe profile, or one public key is
 *   listed twice for a role
 */
export function applyPlan(
  published: Root | null,
  plan: Plan,
  resolve: KeyResolver,
  nowMs: number,
  defaults: { expiresDays?: number } = {}
): Root {
  let draft = newRootDraft(published, nowMs, defaults);
  if (plan.expires !== undefined) {
    draft = { ...draft, expires: formatExpires(parseWhen(plan.expires, nowMs, { file: plan.file, field: 'expires' })) };
  }
  if (plan.consistent_snapshot !== undefined) draft = { ...draft, consistent_snapshot: plan.consistent_snapshot };
  const settings: RoleSetting[] = [];
  for (const role of TOP_LEVEL_ROLES) {
    const p = plan.roles[role];
    if (p === undefined) continue;
    const keys = [
      ...p.keyholders.map((who, i) =>
        resolveEntry(resolve, who, 'keyholder', { file: plan.file, field: formatPath(['roles', role, 'keyholders', i]) }, OFFLINE_ROLES.includes(role))
      ),
      ...p.keys.map((who, i) =>
        resolveEntry(resolve, who, 'key-file', { file: plan.file, field: formatPath(['roles', role, 'keys', i]) }, OFFLINE_ROLES.includes(role))
      ),
    ];
    settings.push({
      role,
      keys,
      threshold: p.threshold,
      thresholdSource: { file: plan.file, field: formatPath(['roles', role, 'threshold']) },
    });
  }
  return setRoles(draft, settings);
}
