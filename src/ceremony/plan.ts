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
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  parseAllDocuments,
  type DocumentOptions,
  type ParseOptions,
  type SchemaOptions,
  type YAMLError,
} from 'yaml';
import { InputError } from '../errors.js';
import { formatExpires } from '../metadata/expires.js';
import { formatPath, parseJson, type JsonValue } from '../metadata/json.js';
import { TOP_LEVEL_ROLES, type Root, type TopLevelRole } from '../metadata/model.js';
import { Guard } from '../metadata/parse.js';
import { checkKeyholderName } from '../metadata/public-key-file.js';
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

/** Largest plan file read: 1 MiB. */
export const MAX_PLAN_BYTES = 1024 * 1024;
/** A plan nests 4 levels; anything much deeper is not a plan. */
const MAX_DEPTH = 16;
/**
 * Bounds checked on the raw text before the YAML parser runs, whose cost
 * grows with nesting: opening `[` / `{` anywhere in the file, and the
 * column where a line's content starts after indentation and block
 * indicators (`- `, `? `, `: `). Together they bound the nesting depth.
 */
const MAX_FLOW_OPENINGS = 256;
const MAX_INDENT = 64;

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

// ## Reading YAML

const YAML_OPTIONS: ParseOptions & DocumentOptions & SchemaOptions = {
  version: '1.2',
  schema: 'core',
  customTags: [],
  resolveKnownTags: false,
  merge: false,
  // Duplicate keys are refused by toJson with their field path: the library's
  // own check compares each key with all earlier ones (quadratic).
  uniqueKeys: false,
  strict: true,
  stringKeys: true,
  intAsBigInt: false,
  // Pretty errors cut code frames with regular expressions that can exhaust
  // memory on hostile input; positions are computed here instead.
  prettyErrors: false,
};

function lineColumn(text: string, pos: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < pos; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return `line ${String(line)} column ${String(pos - lineStart + 1)}`;
}

/** Refuses text whose nesting could make the YAML parser slow (see MAX_FLOW_OPENINGS). */
function checkNesting(text: string, file: string): void {
  let openings = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) openings++;
  }
  if (openings > MAX_FLOW_OPENINGS) {
    throw new InputError(`${file}: more than ${String(MAX_FLOW_OPENINGS)} [ and { in one plan; a plan is not nested that deeply`, {
      file,
    });
  }
  let lineStart = 0;
  while (lineStart < text.length) {
    let i = lineStart;
    let indicators = false;
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09) i++;
      else if (c === 0x2d || c === 0x3f || c === 0x3a) {
        // '-', '?', ':' may each open a nested block collection
        indicators = true;
        i++;
      } else break;
    }
    const blank = !indicators && (i === text.length || text.charCodeAt(i) === 0x0a || text.charCodeAt(i) === 0x0d);
    if (!blank && i - lineStart > MAX_INDENT) {
      throw new InputError(
        `${file}: ${lineColumn(text, i)}: indented or nested more than ${String(MAX_INDENT)} columns; a plan is not nested that deeply`,
        { file }
      );
    }
    const nl = text.indexOf('\n', lineStart);
    lineStart = nl === -1 ? text.length : nl + 1;
  }
}

function yamlError(file: string, text: string, e: YAMLError): InputError {
  const what =
    e.code === 'DUPLICATE_KEY'
      ? 'duplicate key'
      : e.code === 'NON_STRING_KEY'
        ? 'keys must be plain strings'
        : e.message.split('\n')[0] ?? e.message;
  return new InputError(`${file}: not a valid plan at ${lineColumn(text, e.pos[0])}: ${what}`, { file, cause: e });
}

/**
 * Converts the YAML tree to plain JSON values, refusing what a plan never
 * needs. `path` is one shared stack (pushed and popped as the walk goes),
 * copied only for a message.
 */
function toJson(g: Guard, node: unknown, path: (string | number)[]): JsonValue {
  const fail = (problem: string): never => g.fail([...path], problem);
  if (path.length > MAX_DEPTH) fail('nested too deeply');
  if (node === null || node === undefined) return null;
  if (isAlias(node)) fail(`YAML aliases (*${node.source}) are not allowed in a plan`);
  const n = node as { anchor?: string; tag?: string };
  if (n.anchor !== undefined) fail(`YAML anchors (&${n.anchor}) are not allowed in a plan`);
  if (n.tag !== undefined) fail(`YAML tags (${n.tag}) are not allowed in a plan`);
  if (isMap(node)) {
    const entries: [string, JsonValue][] = [];
    const seen = new Set<string>();
    for (const pair of node.items) {
      const k = pair.key;
      if (!isScalar(k) || typeof k.value !== 'string') return fail('keys must be plain strings');
      const kn = k as { anchor?: string; tag?: string };
      path.push(k.value);
      if (kn.anchor !== undefined || kn.tag !== undefined) fail('keys must be plain strings');
      if (seen.has(k.value)) fail('duplicate key');
      seen.add(k.value);
      entries.push([k.value, toJson(g, pair.value, path)]);
      path.pop();
    }
    return Object.fromEntries(entries);
  }
  if (isSeq(node)) {
    return node.items.map((item, i) => {
      path.push(i);
      const v = toJson(g, item, path);
      path.pop();
      return v;
    });
  }
  if (isScalar(node)) {
    const v = node.value;
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
    if (typeof v === 'number') {
      const text = node.source ?? '';
      if (!/^-?(?:0|[1-9][0-9]*)$/.test(text) || !Number.isSafeInteger(v)) {
        fail(`${text} is not a whole number (floats, exponents, hex and octal are not allowed)`);
      }
      return v;
    }
  }
  return fail('unsupported YAML value');
}

function parseYaml(text: string, file: string): JsonValue {
  checkNesting(text, file);
  const docs = parseAllDocuments(text, YAML_OPTIONS);
  if ('empty' in docs || docs.length === 0) throw new InputError(`${file}: the plan is empty`, { file });
  if (docs.length > 1) throw new InputError(`${file}: holds ${String(docs.length)} YAML documents; a plan is one`, { file });
  const doc = docs[0] as (typeof docs)[number];
  const g = new Guard(file);
  // Duplicate keys are reported below with their field path.
  const fatal = doc.errors.find((e) => e.code !== 'DUPLICATE_KEY') ?? doc.warnings[0];
  if (fatal !== undefined) throw yamlError(file, text, fatal);
  if (doc.contents === null) throw new InputError(`${file}: the plan is empty`, { file });
  const value = toJson(g, doc.contents, []);
  // `---` alone, `~` or `null`: a document with nothing in it
  if (value === null) throw new InputError(`${file}: the plan is empty`, { file });
  const dup = doc.errors[0];
  if (dup !== undefined) throw yamlError(file, text, dup);
  return value;
}

// ## Reading a plan

function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

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
  if (bytes.length > MAX_PLAN_BYTES) {
    throw new InputError(`${file}: file is ${String(bytes.length)} bytes, more than the ${String(MAX_PLAN_BYTES)} a plan may have`, {
      file,
    });
  }
  const body = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
  } catch (cause) {
    throw new InputError(`${file}: not valid UTF-8`, { file, cause });
  }
  if (text.trim() === '') throw new InputError(`${file}: the plan is empty`, { file });
  const value = /\.json$/i.test(file)
    ? parseJson(body, file, { maxBytes: MAX_PLAN_BYTES, maxDepth: MAX_DEPTH })
    : parseYaml(text, file);

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

function resolveEntry(
  resolve: KeyResolver,
  who: string,
  kind: 'keyholder' | 'key-file',
  source: Required<Source>
): { keyid: string; key: ReturnType<KeyResolver>['key']; source: Source } {
  try {
    const r = resolve(who, kind);
    return { keyid: r.keyid, key: r.key, source };
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
        resolveEntry(resolve, who, 'keyholder', { file: plan.file, field: formatPath(['roles', role, 'keyholders', i]) })
      ),
      ...p.keys.map((who, i) =>
        resolveEntry(resolve, who, 'key-file', { file: plan.file, field: formatPath(['roles', role, 'keys', i]) })
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
