// SPDX-License-Identifier: Apache-2.0
/**
 * Ceremony templates (`ceremony-templates/*.yaml`, product.md §4; format in
 * docs/formats.md §"Ceremony template"): the script of a ceremony the way
 * the DNSSEC root KSK ceremony scripts are written. Participants and their
 * roles (coordinator, witnesses, keyholders M of N), parameters asked at the
 * start, files generated from them (a root plan), preconditions, ordered
 * steps (read-aloud text, actor, kind, expected values, what happens on
 * failure) and a closing sign-off.
 *
 * Reading is strict: a template decides what runs during a ceremony.
 * Unknown fields (per step kind too), duplicate keys and step IDs, unknown
 * `${…}` references, command lines that would leave the run's control
 * (`--dir`, `--yes`, `run`, `init`, `sign`) and everything the shared YAML
 * reader refuses are errors naming the file and the field. Pure: bytes in.
 */
import { createHash } from 'node:crypto';
import { formatPath, type JsonObject, type JsonValue } from '../metadata/json.js';
import { Guard } from '../metadata/parse.js';
import { KEYHOLDER_NAME } from '../metadata/public-key-file.js';
import { parseWhenText } from './root-draft.js';
import { hasControl, readStructuredFile, structuredLimits } from './yaml.js';

export const TEMPLATE_FORMAT = 'tuf-ceremony/template/v1';

/** Largest template read: 1 MiB. */
export const MAX_TEMPLATE_BYTES = 1024 * 1024;
// Read-aloud text may hold brackets; nesting stays bounded by the indentation check.
const TEMPLATE_LIMITS = structuredLimits('template', MAX_TEMPLATE_BYTES, { maxFlowOpenings: 4096 });
/** At most this many steps (preconditions included). */
export const MAX_STEPS = 200;
const MAX_TEXT = 20_000;
const MAX_LINE = 1000;

export const STEP_KINDS = ['checklist', 'command', 'sign', 'verify', 'attest', 'device-inventory'] as const;
export type StepKind = (typeof STEP_KINDS)[number];
/** Who performs a step. */
export const ACTORS = ['coordinator', 'witness', 'keyholders', 'all'] as const;
export type Actor = (typeof ACTORS)[number];
export const ON_FAILURE = ['abort', 'exception-allowed'] as const;
export type OnFailure = (typeof ON_FAILURE)[number];
/** What a `verify` step checks. */
export const VERIFY_CHECKS = ['tool', 'clock', 'repository', 'audit'] as const;
export type VerifyCheck = (typeof VERIFY_CHECKS)[number];
export const VARIABLE_TYPES = ['text', 'name', 'names', 'path', 'paths', 'integer', 'boolean', 'when'] as const;
export type VariableType = (typeof VARIABLE_TYPES)[number];

/**
 * The tuf-ceremony commands a `command` step may run. Not `init` (a run
 * lives in a workspace), `run` (no nesting), `sign` (a `sign` step) or
 * `tokens` (a `device-inventory` step).
 */
export const COMMANDS = ['keyholder', 'root', 'targets', 'diff', 'request', 'collect', 'status', 'publish', 'verify', 'audit', 'key'] as const;
/** Options the run sets itself, or that would take a step out of its control. */
export const FORBIDDEN_OPTIONS = ['--dir', '--json', '--no-input', '--yes', '--help', '-h', '--version', '-V', '--color', '--no-color'] as const;

/** Variables every template has, with their types. */
export const BUILTIN_VARIABLES: ReadonlyMap<string, VariableType> = new Map<string, VariableType>([
  ['coordinator', 'name'],
  ['witnesses', 'names'],
  ['keyholders', 'names'],
  ['threshold', 'integer'],
  ['run_dir', 'text'],
  ['workspace', 'text'],
]);

export const TEMPLATE_FIELDS = [
  'format',
  'id',
  'revision',
  'title',
  'summary',
  'requires',
  'participants',
  'parameters',
  'files',
  'preconditions',
  'steps',
  'sign_off',
] as const;
const BASE_STEP_FIELDS = ['id', 'title', 'kind', 'actor', 'say', 'on_failure', 'when'] as const;
/** Fields each kind of step has beyond the common ones. */
export const STEP_FIELDS: { readonly [K in StepKind]: readonly string[] } = {
  checklist: ['items'],
  command: ['run', 'expect'],
  sign: ['role', 'signers', 'min'],
  verify: ['check', 'max_skew_minutes'],
  attest: ['statement'],
  'device-inventory': ['expect'],
};

export interface ParticipantGroup {
  readonly title: string;
  readonly min: number;
  readonly max: number;
}

export interface Participants {
  readonly coordinator: { readonly title: string };
  readonly witnesses: ParticipantGroup;
  /** N keyholders from `min` to `max`, of whom M (`threshold`, at least `threshold_min`) must sign. */
  readonly keyholders: ParticipantGroup & { readonly threshold_min: number };
}

export type VariableValue =
  | { readonly type: 'text' | 'name' | 'path' | 'when'; readonly value: string }
  | { readonly type: 'names' | 'paths'; readonly value: readonly string[] }
  | { readonly type: 'integer'; readonly value: number }
  | { readonly type: 'boolean'; readonly value: boolean };

export interface Parameter {
  readonly id: string;
  readonly type: VariableType;
  /** The question asked at the start of a run. */
  readonly prompt: string;
  readonly default: VariableValue | null;
  /** Integers: the smallest and largest value; lists: the fewest and most items. */
  readonly min: number | null;
  readonly max: number | null;
  /** Asked only when an earlier boolean parameter is true (or, with `not`, false). */
  readonly when: Condition | null;
}

export interface TemplateFile {
  /** The file's name in the run's directory, `runs/RUN-ID/NAME`. */
  readonly name: string;
  /** Its text, with `${…}` references (values JSON-encoded, so the result stays valid YAML or JSON). */
  readonly text: string;
}

/** A step runs only when a boolean parameter is true (or, with `not`, false). */
export interface Condition {
  readonly parameter: string;
  readonly negate: boolean;
}

interface StepBase {
  readonly id: string;
  readonly title: string;
  readonly actor: Actor;
  /** Read aloud before the step. */
  readonly say: string;
  readonly on_failure: OnFailure;
  readonly when: Condition | null;
  /** True for the steps of `preconditions`. */
  readonly precondition: boolean;
}

export type Step =
  | (StepBase & { readonly kind: 'checklist'; readonly items: readonly string[] })
  | (StepBase & {
      readonly kind: 'command';
      /** tuf-ceremony arguments, with `${…}` references. */
      readonly run: readonly string[];
      readonly expect: { readonly exit: number; readonly json: readonly JsonCheck[] };
    })
  | (StepBase & {
      readonly kind: 'sign';
      readonly role: 'root' | 'targets';
      /** The variable naming the keyholders asked to sign, in order. */
      readonly signers: string;
      /** Signatures needed: a number, or an integer variable; null means every signer. */
      readonly min: number | string | null;
    })
  | (StepBase & { readonly kind: 'verify'; readonly check: VerifyCheck; readonly max_skew_minutes: number })
  | (StepBase & { readonly kind: 'attest'; readonly statement: string })
  | (StepBase & { readonly kind: 'device-inventory'; readonly expect: { readonly min_tokens: number; readonly no_warnings: boolean } });

/** A value expected at a dotted path of a command's `--json` output. */
export interface JsonCheck {
  readonly path: string;
  readonly value: string | number | boolean | null;
}

export interface Template {
  readonly format: typeof TEMPLATE_FORMAT;
  readonly id: string;
  readonly revision: number;
  readonly title: string;
  readonly summary: string;
  /** The oldest tuf-ceremony version that runs it. */
  readonly requires: { readonly tool: string };
  readonly participants: Participants;
  readonly parameters: readonly Parameter[];
  readonly files: readonly TemplateFile[];
  /** Preconditions, then steps: the order they run in. */
  readonly steps: readonly Step[];
  readonly sign_off: { readonly statement: string };
}

export interface ParsedTemplate {
  readonly template: Template;
  /** The file as named, for messages. */
  readonly file: string;
  /** SHA-256 of the file's exact bytes: recorded first in the run's audit log. */
  readonly sha256: string;
}

type Path = readonly (string | number)[];

const TEMPLATE_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;
const STEP_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;
const VARIABLE_ID = /^[a-z][a-z0-9_]{0,63}$/;
const FILE_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const JSON_PATH = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;
const SEMVER = /^(0|[1-9][0-9]{0,5})\.(0|[1-9][0-9]{0,5})\.(0|[1-9][0-9]{0,5})$/;
const REFERENCE = /\$\{([^}]*)\}/g;

// ## Small checks

function checkFields(g: Guard, o: JsonObject, path: Path, allowed: readonly string[], what: string): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) g.fail([...path, k], `unknown field (${what} has ${allowed.join(', ')})`);
  }
}

function has(o: JsonObject, k: string): boolean {
  return Object.hasOwn(o, k);
}

/** A one-line text: a title, a checklist item, a prompt. */
function line(g: Guard, v: JsonValue | undefined, path: Path): string {
  const s = g.string(v, path);
  if (s.trim() === '') g.fail(path, 'must not be empty');
  if (s.length > MAX_LINE) g.fail(path, `is longer than ${String(MAX_LINE)} characters`);
  if (hasControl(s) || !s.isWellFormed()) g.fail(path, 'must be one line without control characters');
  return s;
}

/** Text that may span lines (read-aloud text, statements): newlines allowed, other control characters not. */
function text(g: Guard, v: JsonValue | undefined, path: Path): string {
  const s = g.string(v, path);
  if (s.trim() === '') g.fail(path, 'must not be empty');
  if (s.length > MAX_TEXT) g.fail(path, `is longer than ${String(MAX_TEXT)} characters`);
  if (hasControl(s.replace(/\n/g, '')) || !s.isWellFormed()) g.fail(path, 'must not hold control characters other than line breaks');
  return s;
}

function oneOf<T extends string>(g: Guard, v: JsonValue | undefined, path: Path, values: readonly T[]): T {
  const s = g.string(v, path);
  if (!(values as readonly string[]).includes(s)) g.fail(path, `must be one of ${values.join(', ')} (got ${JSON.stringify(s)})`);
  return s as T;
}

function bounded(g: Guard, v: JsonValue | undefined, path: Path, min: number, max: number): number {
  const n = g.integer(v, path, min);
  if (n > max) g.fail(path, `must be at most ${String(max)} (got ${String(n)})`);
  return n;
}

// ## References

/** The names `${…}` refers to in a text, in order. @throws InputError for a malformed or unknown reference */
export function references(g: Guard, s: string, path: Path, known: ReadonlyMap<string, VariableType>): string[] {
  const out: string[] = [];
  for (const m of s.matchAll(REFERENCE)) {
    const name = m[1] ?? '';
    if (!VARIABLE_ID.test(name)) g.fail(path, `\${${name}} is not a reference: names are a-z 0-9 _, starting with a letter`);
    if (!known.has(name)) {
      g.fail(path, `\${${name}}: no such variable (known: ${[...known.keys()].join(', ')})`);
    }
    out.push(name);
  }
  const stripped = s.replace(REFERENCE, '');
  if (stripped.includes('${')) g.fail(path, '"${" without a closing "}"');
  return out;
}

const isList = (t: VariableType | undefined): boolean => t === 'names' || t === 'paths';

/** The variable a field refers to as a whole (`${name}`), or undefined when it is not exactly one reference. */
function wholeReference(s: string): string | undefined {
  const m = /^\$\{([a-z][a-z0-9_]{0,63})\}$/.exec(s);
  return m?.[1];
}

// ## Parts of a template

function group(g: Guard, v: JsonValue | undefined, path: Path, extra: readonly string[]): { o: JsonObject; group: ParticipantGroup } {
  const o = g.object(v, path);
  checkFields(g, o, path, ['title', 'min', 'max', ...extra], 'a participant group');
  const title = line(g, o['title'], [...path, 'title']);
  const min = has(o, 'min') ? bounded(g, o['min'], [...path, 'min'], 0, 64) : 1;
  const max = has(o, 'max') ? bounded(g, o['max'], [...path, 'max'], Math.max(min, 1), 64) : Math.max(min, 1) + 15;
  return { o, group: { title, min, max } };
}

function participants(g: Guard, v: JsonValue | undefined): Participants {
  const P = ['participants'];
  const o = g.object(v, P);
  checkFields(g, o, P, ['coordinator', 'witnesses', 'keyholders'], 'participants');
  const c = g.object(o['coordinator'], [...P, 'coordinator']);
  checkFields(g, c, [...P, 'coordinator'], ['title'], 'the coordinator');
  const coordinator = { title: line(g, c['title'], [...P, 'coordinator', 'title']) };
  const witnesses = group(g, o['witnesses'], [...P, 'witnesses'], []).group;
  const k = group(g, o['keyholders'], [...P, 'keyholders'], ['threshold']);
  if (k.group.min < 1) g.fail([...P, 'keyholders', 'min'], 'a ceremony needs at least one keyholder');
  let thresholdMin = 1;
  if (has(k.o, 'threshold')) {
    const t = g.object(k.o['threshold'], [...P, 'keyholders', 'threshold']);
    checkFields(g, t, [...P, 'keyholders', 'threshold'], ['min'], 'the threshold');
    thresholdMin = bounded(g, t['min'], [...P, 'keyholders', 'threshold', 'min'], 1, 64);
    if (thresholdMin > k.group.max) {
      g.fail([...P, 'keyholders', 'threshold', 'min'], `${String(thresholdMin)} is more than the ${String(k.group.max)} keyholders allowed`);
    }
  }
  return { coordinator, witnesses, keyholders: { ...k.group, threshold_min: thresholdMin } };
}

/**
 * Checks a value (an answer, or a parameter's default) against a variable type.
 * @returns the value, or a problem text
 */
export function checkValue(
  type: VariableType,
  v: JsonValue | undefined,
  bounds: { readonly min: number | null; readonly max: number | null } = { min: null, max: null }
): VariableValue | string {
  const countProblem = (n: number): string | undefined =>
    bounds.min !== null && n < bounds.min
      ? `give at least ${String(bounds.min)}`
      : bounds.max !== null && n > bounds.max
        ? `give at most ${String(bounds.max)}`
        : undefined;
  switch (type) {
    case 'text':
    case 'path':
    case 'when':
    case 'name': {
      if (typeof v !== 'string') return 'must be a string';
      if (v.trim() === '' || v.length > MAX_LINE || hasControl(v) || !v.isWellFormed()) return 'must be one line of text without control characters';
      if (type === 'name' && !KEYHOLDER_NAME.test(v)) return `"${v}" is not a name (1-64 of a-z 0-9 . _ -, starting with a letter or digit)`;
      if (type === 'when') {
        try {
          parseWhenText(v);
        } catch {
          return `"${v}" is not +Nd (days from now), a date such as 2027-11-23 or a date-time such as 2027-11-23T00:00:00Z`;
        }
      }
      return { type, value: v };
    }
    case 'names':
    case 'paths': {
      if (!Array.isArray(v)) return 'must be a list';
      const items: string[] = [];
      for (const [i, item] of (v as readonly JsonValue[]).entries()) {
        const one = checkValue(type === 'names' ? 'name' : 'path', item);
        if (typeof one === 'string') return `item ${String(i + 1)}: ${one}`;
        if (items.includes(one.value as string)) return `"${String(one.value)}" is given twice`;
        items.push(one.value as string);
      }
      const p = countProblem(items.length);
      return p ?? { type, value: items };
    }
    case 'integer': {
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) return 'must be a whole number';
      if (bounds.min !== null && v < bounds.min) return `must be at least ${String(bounds.min)}`;
      if (bounds.max !== null && v > bounds.max) return `must be at most ${String(bounds.max)}`;
      return { type, value: v };
    }
    case 'boolean':
      return typeof v === 'boolean' ? { type, value: v } : 'must be true or false';
  }
}

function parameters(g: Guard, v: JsonValue | undefined): Parameter[] {
  if (v === undefined) return [];
  const list = g.array(v, ['parameters']);
  const seen = new Map<string, VariableType>();
  return list.map((item, i) => {
    const P = ['parameters', i];
    const o = g.object(item, P);
    checkFields(g, o, P, ['id', 'type', 'prompt', 'default', 'min', 'max', 'when'], 'a parameter');
    const id = g.string(o['id'], [...P, 'id']);
    if (!VARIABLE_ID.test(id)) g.fail([...P, 'id'], `"${id}" is not a parameter name (a-z 0-9 _, starting with a letter, at most 64)`);
    if (BUILTIN_VARIABLES.has(id)) g.fail([...P, 'id'], `"${id}" is a built-in variable (${[...BUILTIN_VARIABLES.keys()].join(', ')})`);
    if (seen.has(id)) g.fail([...P, 'id'], `duplicate parameter "${id}"`);
    // A condition names a boolean parameter asked before this one.
    const when = has(o, 'when') ? condition(g, o['when'], [...P, 'when'], seen) : null;
    const type = oneOf(g, o['type'], [...P, 'type'], VARIABLE_TYPES);
    seen.set(id, type);
    const prompt = line(g, o['prompt'], [...P, 'prompt']);
    const countable = type === 'integer' || isList(type);
    for (const k of ['min', 'max']) {
      if (has(o, k) && !countable) g.fail([...P, k], `only integer and list parameters have ${k}`);
    }
    const min = has(o, 'min') ? g.integer(o['min'], [...P, 'min'], isList(type) ? 0 : Number.MIN_SAFE_INTEGER) : null;
    const max = has(o, 'max') ? g.integer(o['max'], [...P, 'max'], min ?? Number.MIN_SAFE_INTEGER) : null;
    let def: VariableValue | null = null;
    if (has(o, 'default')) {
      if (type === 'path' || type === 'paths') g.fail([...P, 'default'], 'files are named at the run: a path parameter has no default');
      const checked = checkValue(type, o['default'], { min, max });
      if (typeof checked === 'string') g.fail([...P, 'default'], checked);
      def = checked;
    }
    return { id, type, prompt, default: def, min, max, when };
  });
}

const sameCondition = (a: Condition | null, b: Condition | null): boolean =>
  a === null ? b === null : b !== null && a.parameter === b.parameter && a.negate === b.negate;

/**
 * Refuses references to a parameter that is asked only under a condition
 * from a place that does not run under the same condition: its value would
 * be missing.
 */
function checkConditional(g: Guard, used: readonly string[], path: Path, when: Condition | null, params: readonly Parameter[]): void {
  for (const name of used) {
    const p = params.find((x) => x.id === name);
    if (p === undefined || p.when === null || sameCondition(p.when, when)) continue;
    const cond = `${p.when.negate ? 'not ' : ''}${p.when.parameter}`;
    g.fail(path, `\${${name}} is asked only when ${cond}: this ${path[0] === 'files' ? 'file' : path[0] === 'sign_off' ? 'sign-off' : 'step'} must have when: ${cond}`);
  }
}

function files(g: Guard, v: JsonValue | undefined, known: ReadonlyMap<string, VariableType>, params: readonly Parameter[]): TemplateFile[] {
  if (v === undefined) return [];
  const o = g.object(v, ['files']);
  return Object.keys(o).map((name) => {
    const P = ['files', name];
    if (!FILE_NAME.test(name)) g.fail(P, 'a file name is 1-64 of a-z 0-9 . _ -, starting with a letter or digit');
    const t = text(g, o[name], P);
    checkConditional(g, references(g, t, P, known), P, null, params);
    return { name, text: t };
  });
}

function condition(g: Guard, v: JsonValue | undefined, path: Path, known: ReadonlyMap<string, VariableType>): Condition {
  const s = g.string(v, path);
  const m = /^(not )?([a-z][a-z0-9_]{0,63})$/.exec(s);
  if (m === null) g.fail(path, 'must be the name of a boolean parameter, or "not NAME"');
  const parameter = m[2] as string;
  if (known.get(parameter) !== 'boolean') g.fail(path, `"${parameter}" is not a boolean parameter`);
  return { parameter, negate: m[1] !== undefined };
}

function argv(g: Guard, v: JsonValue | undefined, path: Path, known: ReadonlyMap<string, VariableType>): string[] {
  const list = g.array(v, path);
  if (list.length === 0) g.fail(path, 'must name a tuf-ceremony command');
  if (list.length > 256) g.fail(path, 'has more than 256 arguments');
  const args = list.map((a, i) => {
    const p = [...path, i];
    const s = g.string(a, p);
    if (s.length > 4096 || hasControl(s) || !s.isWellFormed()) g.fail(p, 'must be one line without control characters');
    const refs = references(g, s, p, known);
    const whole = wholeReference(s);
    if (whole === undefined) {
      for (const r of refs) if (isList(known.get(r))) g.fail(p, `\${${r}} is a list: it must be an argument of its own`);
    }
    for (const opt of FORBIDDEN_OPTIONS) {
      if (s === opt || s.startsWith(opt + '=')) {
        g.fail(p, `${opt} is not allowed in a template: the run sets the workspace, --json and --no-input itself, and only a keyholder confirms a signature`);
      }
    }
    return s;
  });
  const first = args[0] as string;
  if (!(COMMANDS as readonly string[]).includes(first)) {
    g.fail([...path, 0], `"${first}" is not a command a step may run (${COMMANDS.join(', ')}; signatures are sign steps, the token inventory a device-inventory step)`);
  }
  return args;
}

function expectCommand(g: Guard, v: JsonValue | undefined, path: Path): { exit: number; json: JsonCheck[] } {
  if (v === undefined) return { exit: 0, json: [] };
  const o = g.object(v, path);
  checkFields(g, o, path, ['exit', 'json'], 'expect');
  const exit = has(o, 'exit') ? bounded(g, o['exit'], [...path, 'exit'], 0, 255) : 0;
  const json: JsonCheck[] = [];
  if (has(o, 'json')) {
    const j = g.object(o['json'], [...path, 'json']);
    for (const [p, value] of Object.entries(j)) {
      if (!JSON_PATH.test(p)) g.fail([...path, 'json', p], 'must be a dotted path such as ready or summary.targets');
      if (value !== null && typeof value === 'object') g.fail([...path, 'json', p], 'must be a string, a whole number, true, false or null');
      json.push({ path: p, value });
    }
  }
  return { exit, json };
}

function step(g: Guard, v: JsonValue, path: Path, precondition: boolean, known: ReadonlyMap<string, VariableType>): Step {
  const o = g.object(v, path);
  const kind = oneOf(g, o['kind'], [...path, 'kind'], STEP_KINDS);
  checkFields(g, o, path, [...BASE_STEP_FIELDS, ...STEP_FIELDS[kind]], `a ${kind} step`);
  const id = g.string(o['id'], [...path, 'id']);
  if (!STEP_ID.test(id)) g.fail([...path, 'id'], `"${id}" is not a step ID (1-64 of a-z 0-9 -, starting with a letter or digit)`);
  const title = line(g, o['title'], [...path, 'title']);
  references(g, title, [...path, 'title'], known);
  const actor = oneOf(g, o['actor'], [...path, 'actor'], ACTORS);
  const say = text(g, o['say'], [...path, 'say']);
  references(g, say, [...path, 'say'], known);
  const onFailure = has(o, 'on_failure') ? oneOf(g, o['on_failure'], [...path, 'on_failure'], ON_FAILURE) : 'abort';
  const when = has(o, 'when') ? condition(g, o['when'], [...path, 'when'], known) : null;
  const base = { id, title, actor, say, on_failure: onFailure, when, precondition };
  switch (kind) {
    case 'checklist': {
      const items = g.array(o['items'], [...path, 'items']).map((item, i) => {
        const s = line(g, item, [...path, 'items', i]);
        references(g, s, [...path, 'items', i], known);
        return s;
      });
      if (items.length === 0) g.fail([...path, 'items'], 'a checklist has at least one item');
      if (items.length > 100) g.fail([...path, 'items'], 'a checklist has at most 100 items');
      return { ...base, kind, items };
    }
    case 'command':
      return { ...base, kind, run: argv(g, o['run'], [...path, 'run'], known), expect: expectCommand(g, o['expect'], [...path, 'expect']) };
    case 'sign': {
      const role = oneOf(g, o['role'], [...path, 'role'], ['root', 'targets'] as const);
      const signersText = has(o, 'signers') ? g.string(o['signers'], [...path, 'signers']) : '${keyholders}';
      const signers = wholeReference(signersText);
      const st = signers === undefined ? undefined : known.get(signers);
      if (signers === undefined || (st !== 'name' && st !== 'names')) {
        g.fail([...path, 'signers'], 'must be ${keyholders} or ${NAME} of a name or names parameter');
      }
      let min: number | string | null = null;
      if (has(o, 'min')) {
        const m = o['min'];
        if (typeof m === 'string') {
          const ref = wholeReference(m);
          if (ref === undefined || known.get(ref) !== 'integer') g.fail([...path, 'min'], 'must be a whole number or ${NAME} of an integer variable such as ${threshold}');
          min = ref;
        } else {
          min = bounded(g, m, [...path, 'min'], 1, 64);
        }
      }
      return { ...base, kind, role, signers, min };
    }
    case 'verify': {
      const check = oneOf(g, o['check'], [...path, 'check'], VERIFY_CHECKS);
      if (has(o, 'max_skew_minutes') && check !== 'clock') g.fail([...path, 'max_skew_minutes'], 'only a clock check has max_skew_minutes');
      const skew = has(o, 'max_skew_minutes') ? bounded(g, o['max_skew_minutes'], [...path, 'max_skew_minutes'], 1, 24 * 60) : 5;
      return { ...base, kind, check, max_skew_minutes: skew };
    }
    case 'attest': {
      const statement = text(g, o['statement'], [...path, 'statement']);
      references(g, statement, [...path, 'statement'], known);
      if (actor !== 'witness') g.fail([...path, 'actor'], 'an attest step is a witness statement: its actor is witness');
      return { ...base, kind, statement };
    }
    case 'device-inventory': {
      let expect = { min_tokens: 0, no_warnings: false };
      if (has(o, 'expect')) {
        const e = g.object(o['expect'], [...path, 'expect']);
        checkFields(g, e, [...path, 'expect'], ['min_tokens', 'no_warnings'], 'a device inventory\'s expect');
        expect = {
          min_tokens: has(e, 'min_tokens') ? bounded(g, e['min_tokens'], [...path, 'expect', 'min_tokens'], 0, 64) : 0,
          no_warnings: has(e, 'no_warnings') ? g.boolean(e['no_warnings'], [...path, 'expect', 'no_warnings']) : false,
        };
      }
      return { ...base, kind, expect };
    }
  }
}

/** The variables a (checked) step refers to. */
function stepReferences(s: Step): string[] {
  const texts: string[] = [s.title, s.say];
  switch (s.kind) {
    case 'checklist':
      texts.push(...s.items);
      break;
    case 'command':
      texts.push(...s.run);
      break;
    case 'attest':
      texts.push(s.statement);
      break;
    case 'sign':
      return [...texts.flatMap((t) => [...t.matchAll(REFERENCE)].map((m) => m[1] ?? '')), s.signers, ...(typeof s.min === 'string' ? [s.min] : [])];
    case 'verify':
    case 'device-inventory':
      break;
  }
  return texts.flatMap((t) => [...t.matchAll(REFERENCE)].map((m) => m[1] ?? ''));
}

function stepList(
  g: Guard,
  v: JsonValue | undefined,
  field: 'preconditions' | 'steps',
  known: ReadonlyMap<string, VariableType>,
  params: readonly Parameter[]
): Step[] {
  if (v === undefined && field === 'preconditions') return [];
  const list = g.array(v, [field]);
  return list.map((item, i) => {
    const s = step(g, item, [field, i], field === 'preconditions', known);
    checkConditional(g, stepReferences(s), [field, i], s.when, params);
    return s;
  });
}

/**
 * Reads and checks a ceremony template. `.json` files are read as strict
 * JSON, anything else as YAML 1.2 (core schema).
 * @param file the template's name, for messages
 * @throws InputError (exit 2) naming the file and the field path
 */
export function parseTemplate(bytes: Uint8Array, file: string): ParsedTemplate {
  const value = readStructuredFile(bytes, file, TEMPLATE_LIMITS);
  const g: Guard = new Guard(file);
  const o = g.object(value, []);
  checkFields(g, o, [], TEMPLATE_FIELDS, 'a template');
  if (o['format'] !== TEMPLATE_FORMAT) {
    g.fail(['format'], `must be "${TEMPLATE_FORMAT}" (got ${JSON.stringify(o['format'] ?? null)})`);
  }
  const id = g.string(o['id'], ['id']);
  if (!TEMPLATE_ID.test(id)) g.fail(['id'], `"${id}" is not a template ID (1-64 of a-z 0-9 -, starting with a letter or digit)`);
  const revision = g.integer(o['revision'], ['revision'], 1);
  const title = line(g, o['title'], ['title']);
  const summary = has(o, 'summary') ? text(g, o['summary'], ['summary']) : '';
  const req = g.object(o['requires'], ['requires']);
  checkFields(g, req, ['requires'], ['tool'], 'requires');
  const tool = g.string(req['tool'], ['requires', 'tool']);
  if (!SEMVER.test(tool)) g.fail(['requires', 'tool'], `"${tool}" is not a version such as 0.1.0`);
  const parts = participants(g, o['participants']);
  const params = parameters(g, o['parameters']);
  const known = new Map(BUILTIN_VARIABLES);
  for (const p of params) known.set(p.id, p.type);
  const generated = files(g, o['files'], known, params);
  const steps = [...stepList(g, o['preconditions'], 'preconditions', known, params), ...stepList(g, o['steps'], 'steps', known, params)];
  if (steps.every((s) => s.precondition)) g.fail(['steps'], 'a template has at least one step');
  if (steps.length > MAX_STEPS) g.fail(['steps'], `more than ${String(MAX_STEPS)} steps`);
  const seen = new Map<string, string>();
  let pre = 0;
  steps.forEach((s, i) => {
    const field = s.precondition ? ['preconditions', i, 'id'] : ['steps', i - pre, 'id'];
    if (s.precondition) pre++;
    const other = seen.get(s.id);
    if (other !== undefined) g.fail(field, `duplicate step ID "${s.id}" (also ${other})`);
    seen.set(s.id, formatPath(field.slice(0, 2)));
  });
  const so = g.object(o['sign_off'], ['sign_off']);
  checkFields(g, so, ['sign_off'], ['statement'], 'sign_off');
  const statement = text(g, so['statement'], ['sign_off', 'statement']);
  checkConditional(g, references(g, statement, ['sign_off', 'statement'], known), ['sign_off', 'statement'], null, params);
  const template: Template = {
    format: TEMPLATE_FORMAT,
    id,
    revision,
    title,
    summary,
    requires: { tool },
    participants: parts,
    parameters: params,
    files: generated,
    steps,
    sign_off: { statement },
  };
  return { template, file, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** Compares two x.y.z versions: negative when a < b. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

// ## Substitution

/** The values of a run's variables, by name. */
export type Variables = ReadonlyMap<string, VariableValue>;

function scalarText(v: VariableValue): string {
  return Array.isArray(v.value) ? v.value.join(', ') : String(v.value);
}

function lookup(vars: Variables, name: string): VariableValue {
  const v = vars.get(name);
  // parseTemplate refused unknown names; a missing value is a bug in the runner.
  if (v === undefined) throw new Error(`no value for \${${name}}`);
  return v;
}

/** Read-aloud text: lists joined with commas. */
export function expandText(s: string, vars: Variables): string {
  return s.replace(REFERENCE, (_, name: string) => scalarText(lookup(vars, name)));
}

/** A command line: a whole-argument list reference becomes one argument per item. */
export function expandArgv(args: readonly string[], vars: Variables): string[] {
  return args.flatMap((a) => {
    const whole = wholeReference(a);
    if (whole !== undefined) {
      const v = lookup(vars, whole);
      return Array.isArray(v.value) ? [...(v.value as readonly string[])] : [String(v.value)];
    }
    return [expandText(a, vars)];
  });
}

/**
 * A generated file: values are JSON-encoded (strings quoted, lists as
 * comma-separated quoted strings), so a name or a path can never change the
 * structure of the YAML or JSON around it.
 */
export function expandFile(s: string, vars: Variables): string {
  return s.replace(REFERENCE, (_, name: string) => {
    const v = lookup(vars, name);
    return Array.isArray(v.value) ? (v.value as readonly string[]).map((x) => JSON.stringify(x)).join(', ') : JSON.stringify(v.value);
  });
}

/** Whether a step runs with these variables (its `when` condition). */
export function isStepEnabled(s: Step, vars: Variables): boolean {
  if (s.when === null) return true;
  const v = vars.get(s.when.parameter);
  return (v?.value === true) !== s.when.negate;
}

/** The names of a variable of type name or names. */
export function namesOf(vars: Variables, name: string): readonly string[] {
  const v = lookup(vars, name);
  if (Array.isArray(v.value)) return v.value as readonly string[];
  return [String(v.value)];
}

/** A sign step's required number of signatures, given its signers. */
export function signaturesNeeded(s: Extract<Step, { kind: 'sign' }>, vars: Variables): number {
  const signers = namesOf(vars, s.signers).length;
  if (s.min === null) return signers;
  if (typeof s.min === 'number') return s.min;
  const v = lookup(vars, s.min);
  return typeof v.value === 'number' ? v.value : signers;
}
