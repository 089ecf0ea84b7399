// SPDX-License-Identifier: Apache-2.0
/**
 * Answers files (`run TEMPLATE --answers FILE`; format in docs/formats.md
 * §"Answers file"): every answer a run would ask for, so that a scripted run
 * records the same audit log as one answered at the terminal. Participants
 * and parameters by name, step answers by step ID.
 *
 * Read with the shared strict YAML/JSON reader and checked against the
 * template before anything runs: an unknown step, an answer a step of that
 * kind never asks, a value of the wrong type each fail with exit 2, naming
 * the file and the field. Pure: paths stay as written (the runner resolves
 * them against the file's directory).
 */
import { type JsonObject, type JsonValue } from '../metadata/json.js';
import { Guard } from '../metadata/parse.js';
import { isStrictExpires } from '../metadata/expires.js';
import { checkValue, type Step, type Template } from './template.js';
import { hasControl, readStructuredFile, structuredLimits } from './yaml.js';

export const ANSWERS_FORMAT = 'tuf-ceremony/answers/v1';
export const MAX_ANSWERS_BYTES = 1024 * 1024;
const ANSWERS_LIMITS = structuredLimits('answers file', MAX_ANSWERS_BYTES, { maxFlowOpenings: 4096 });

export const ANSWERS_FIELDS = ['format', 'template', 'participants', 'parameters', 'steps'] as const;
export const PARTICIPANT_FIELDS = ['coordinator', 'witnesses', 'keyholders', 'threshold'] as const;

/** The answers a step of each kind may have (besides `exception`). */
export function stepAnswerFields(s: Step): readonly string[] {
  switch (s.kind) {
    case 'checklist':
      return ['confirm'];
    case 'sign':
      return ['keys', 'pubs', 'confirm'];
    case 'attest':
      return ['witness', 'confirm'];
    case 'verify':
      return s.check === 'tool' ? ['sha256'] : s.check === 'clock' ? ['confirm', 'reference_time'] : [];
    case 'command':
    case 'device-inventory':
      return [];
  }
}

export interface StepAnswers {
  /** Checklist: every item at once, or one answer per item; sign: the keyholders accept the review; attest, clock: confirmed. */
  readonly confirm?: boolean | readonly boolean[];
  /** Why the run goes on although this step failed (steps with `on_failure: exception-allowed`). */
  readonly exception?: string;
  /** Tool check: the SHA-256 published for this release (64 hex digits). */
  readonly sha256?: string;
  /** Clock check: the time read from the reference clock, `YYYY-MM-DDTHH:MM:SSZ`. */
  readonly reference_time?: string;
  /** Sign: each signer's key (a key file or a pkcs11: URI), or null when they do not sign. */
  readonly keys?: ReadonlyMap<string, string | null>;
  /** Sign: the public key file of a pkcs11: key. */
  readonly pubs?: ReadonlyMap<string, string>;
  /** Attest: the witness making the statement. */
  readonly witness?: string;
}

export interface Answers {
  readonly file: string;
  readonly participants: {
    readonly coordinator?: JsonValue;
    readonly witnesses?: JsonValue;
    readonly keyholders?: JsonValue;
    readonly threshold?: JsonValue;
  };
  /** Raw values by parameter ID (checked against the parameter's type). */
  readonly parameters: ReadonlyMap<string, JsonValue>;
  readonly steps: ReadonlyMap<string, StepAnswers>;
}

type Path = readonly (string | number)[];

const SHA256 = /^[0-9a-f]{64}$/;

function oneLine(g: Guard, v: JsonValue | undefined, path: Path): string {
  const s = g.string(v, path);
  if (s.trim() === '' || s.length > 1000 || hasControl(s) || !s.isWellFormed()) g.fail(path, 'must be one line of text without control characters');
  return s;
}

function nameMap<T>(g: Guard, v: JsonValue | undefined, path: Path, value: (x: JsonValue | undefined, p: Path) => T): Map<string, T> {
  const o = g.object(v, path);
  const out = new Map<string, T>();
  for (const [name, x] of Object.entries(o)) {
    const checked = checkValue('name', name);
    if (typeof checked === 'string') g.fail([...path, name], checked);
    out.set(name, value(x, [...path, name]));
  }
  return out;
}

function stepAnswers(g: Guard, s: Step, o: JsonObject, path: Path): StepAnswers {
  const allowed = [...stepAnswerFields(s), 'exception'];
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) g.fail([...path, k], `unknown field (a ${s.kind}${s.kind === 'verify' ? ` ${s.check}` : ''} step's answers are ${allowed.join(', ')})`);
  }
  const out: { -readonly [K in keyof StepAnswers]: StepAnswers[K] } = {};
  if (Object.hasOwn(o, 'exception')) {
    if (s.on_failure !== 'exception-allowed') g.fail([...path, 'exception'], `step ${s.id} allows no exception (on_failure: abort)`);
    out.exception = oneLine(g, o['exception'], [...path, 'exception']);
  }
  if (Object.hasOwn(o, 'confirm')) {
    const c = o['confirm'];
    if (s.kind === 'checklist' && Array.isArray(c)) {
      if (c.length !== s.items.length) g.fail([...path, 'confirm'], `give one answer per item (${String(s.items.length)}), or true for all`);
      out.confirm = (c as readonly JsonValue[]).map((x, i) => g.boolean(x, [...path, 'confirm', i]));
    } else {
      out.confirm = g.boolean(c, [...path, 'confirm']);
    }
  }
  if (Object.hasOwn(o, 'sha256')) {
    const h = g.string(o['sha256'], [...path, 'sha256']).replace(/[\s:]/g, '').toLowerCase();
    if (!SHA256.test(h)) g.fail([...path, 'sha256'], 'must be a SHA-256: 64 hex digits');
    out.sha256 = h;
  }
  if (Object.hasOwn(o, 'reference_time')) {
    const t = g.string(o['reference_time'], [...path, 'reference_time']);
    if (!isStrictExpires(t)) g.fail([...path, 'reference_time'], `"${t}" is not a UTC date-time such as 2026-11-23T10:00:00Z`);
    out.reference_time = t;
  }
  if (Object.hasOwn(o, 'keys')) {
    out.keys = nameMap(g, o['keys'], [...path, 'keys'], (x, p) => (x === null ? null : oneLine(g, x, p)));
  }
  if (Object.hasOwn(o, 'pubs')) out.pubs = nameMap(g, o['pubs'], [...path, 'pubs'], (x, p) => oneLine(g, x, p));
  if (Object.hasOwn(o, 'witness')) {
    const w = checkValue('name', o['witness']);
    if (typeof w === 'string') g.fail([...path, 'witness'], w);
    out.witness = w.value as string;
  }
  return out;
}

/**
 * Reads an answers file and checks it against the template.
 * @throws InputError (exit 2) naming the file and the field
 */
export function parseAnswers(bytes: Uint8Array, file: string, template: Template): Answers {
  const value = readStructuredFile(bytes, file, ANSWERS_LIMITS);
  const g: Guard = new Guard(file);
  const o = g.object(value, []);
  for (const k of Object.keys(o)) if (!(ANSWERS_FIELDS as readonly string[]).includes(k)) g.fail([k], `unknown field (an answers file has ${ANSWERS_FIELDS.join(', ')})`);
  if (o['format'] !== ANSWERS_FORMAT) g.fail(['format'], `must be "${ANSWERS_FORMAT}" (got ${JSON.stringify(o['format'] ?? null)})`);
  if (Object.hasOwn(o, 'template')) {
    const t = g.string(o['template'], ['template']);
    if (t !== template.id) g.fail(['template'], `these answers are for template "${t}", not "${template.id}"`);
  }
  const participants: { -readonly [K in keyof Answers['participants']]: JsonValue } = {};
  if (Object.hasOwn(o, 'participants')) {
    const p = g.object(o['participants'], ['participants']);
    for (const [k, v] of Object.entries(p)) {
      if (!(PARTICIPANT_FIELDS as readonly string[]).includes(k)) g.fail(['participants', k], `unknown field (participants are ${PARTICIPANT_FIELDS.join(', ')})`);
      const checked =
        k === 'threshold' ? checkValue('integer', v, { min: 1, max: null }) : checkValue(k === 'coordinator' ? 'name' : 'names', v);
      if (typeof checked === 'string') g.fail(['participants', k], checked);
      participants[k as keyof typeof participants] = v;
    }
  }
  const parameters = new Map<string, JsonValue>();
  if (Object.hasOwn(o, 'parameters')) {
    const p = g.object(o['parameters'], ['parameters']);
    for (const [k, v] of Object.entries(p)) {
      const def = template.parameters.find((x) => x.id === k);
      if (def === undefined) {
        g.fail(['parameters', k], `template ${template.id} has no parameter "${k}" (it has ${template.parameters.map((x) => x.id).join(', ') || 'none'})`);
      }
      const checked = checkValue(def.type, v, def);
      if (typeof checked === 'string') g.fail(['parameters', k], checked);
      parameters.set(k, v);
    }
  }
  const steps = new Map<string, StepAnswers>();
  if (Object.hasOwn(o, 'steps')) {
    const s = g.object(o['steps'], ['steps']);
    for (const [id, v] of Object.entries(s)) {
      const st = template.steps.find((x) => x.id === id);
      if (st === undefined) g.fail(['steps', id], `template ${template.id} has no step "${id}"`);
      steps.set(id, stepAnswers(g, st, g.object(v, ['steps', id]), ['steps', id]));
    }
  }
  return { file, participants, parameters, steps };
}
