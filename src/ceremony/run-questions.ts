// SPDX-License-Identifier: Apache-2.0
/**
 * The questions of a guided run (`run`, docs/templates.md): participants,
 * parameters and step answers, from the answers file or asked at the
 * terminal, each checked against the template before anything runs. No
 * I/O of its own: the prompter and what a path names are injected.
 */
import { resolve } from 'node:path';
import type { Answers, StepAnswers } from './answers.js';
import type { RunParticipants } from './run-state.js';
import { checkValue, namesOf, type Template, type VariableType, type VariableValue, type Variables } from './template.js';
import { InputError } from '../errors.js';
import type { JsonValue } from '../metadata/json.js';
import { str } from './run-output.js';
import type { Prompter } from '../ui/prompts.js';

// ## Answers: from the file, else asked

/** Where answers come from: the answers file, then the person at the terminal. */
export class Asker {
  private readonly answers: Answers | null;
  private readonly answersDir: string;
  private readonly prompter: Prompter | null;
  private readonly cwd: string;
  private readonly noInput: boolean;
  /** What a path names (the file system, injected): a regular file, something else, or nothing. */
  readonly pathKind: (abs: string) => 'file' | 'other' | 'missing';

  constructor(answers: Answers | null, answersDir: string, prompter: Prompter | null, cwd: string, noInput: boolean, pathKind: (abs: string) => 'file' | 'other' | 'missing') {
    this.answers = answers;
    this.answersDir = answersDir;
    this.prompter = prompter;
    this.cwd = cwd;
    this.noInput = noInput;
    this.pathKind = pathKind;
  }

  /** The error for a bad answer in the answers file: `FILE: FIELD: PROBLEM`. */
  error(field: string, problem: string): InputError {
    const file = this.answers?.file;
    return new InputError(`${file ?? 'answers'}: ${field}: ${problem}`, { ...(file === undefined ? {} : { file }), field });
  }

  /** The error for an answer nobody can give. */
  missing(field: string): InputError {
    const file = this.answers?.file ?? 'answers';
    const why = this.noInput ? '--no-input forbids asking' : 'there is no terminal to ask at';
    return new InputError(`${file}: ${field}: no answer${this.answers === null ? ' (no --answers file)' : ''}, and ${why}`, {
      ...(this.answers === null ? {} : { file }),
      field,
      hint: `add ${field} to the answers file (docs/templates.md), then run the same command again: the run resumes at this step`,
    });
  }

  step(id: string): StepAnswers {
    return this.answers?.steps.get(id) ?? {};
  }

  get participants(): Answers['participants'] {
    return this.answers?.participants ?? {};
  }

  parameter(id: string): JsonValue | undefined {
    return this.answers?.parameters.get(id);
  }

  /** A path from the answers file (relative to it) or typed (relative to the current directory). */
  pathFromFile(p: string): string {
    return resolve(this.answersDir, p);
  }

  pathTyped(p: string): string {
    return resolve(this.cwd, p);
  }

  canAsk(): boolean {
    return this.prompter !== null;
  }

  /** Asks yes or no: the terminal shows (y/N), or (Y/n) when `defaultAnswer` is true. */
  async confirm(field: string, message: string, defaultAnswer = false): Promise<boolean> {
    if (this.prompter === null) throw this.missing(field);
    return this.prompter.confirm(message, defaultAnswer);
  }

  async text(field: string, message: string, validate: (s: string) => true | string): Promise<string> {
    if (this.prompter === null) throw this.missing(field);
    return (await this.prompter.input(message, validate)).trim();
  }
}

// ## Participants and parameters

const splitNames = (s: string): string[] => s.split(/[\s,]+/).filter((x) => x !== '');

export async function participantsOf(ask: Asker, t: Template): Promise<RunParticipants> {
  const P = t.participants;
  const a = ask.participants;
  const field = (f: string): string => `participants.${f}`;
  const names = async (f: 'witnesses' | 'keyholders', title: string, min: number, max: number): Promise<string[]> => {
    const check = (v: JsonValue): string[] | string => {
      const c = checkValue('names', v, { min, max });
      return typeof c === 'string' ? c : [...(c.value as readonly string[])];
    };
    const given = a[f];
    if (given !== undefined) {
      const c = check(given);
      if (typeof c === 'string') throw ask.error(field(f), c);
      return c;
    }
    const plural = title.toLowerCase() + (title.endsWith('s') ? 'es' : 's');
    const typed = await ask.text(field(f), `Names of the ${plural} (${String(min)} to ${String(max)}, separated by spaces)`, (s) => {
      const c = check(splitNames(s));
      return typeof c === 'string' ? c : true;
    });
    return check(splitNames(typed)) as string[];
  };
  const coordinator =
    a.coordinator !== undefined
      ? str(a.coordinator)
      : await ask.text(field('coordinator'), `Name of the coordinator, ${P.coordinator.title} (a-z 0-9 . _ -)`, (s) => {
          const c = checkValue('name', s);
          return typeof c === 'string' ? c : true;
        });
  const witnesses = await names('witnesses', P.witnesses.title, P.witnesses.min, P.witnesses.max);
  const keyholders = await names('keyholders', P.keyholders.title, P.keyholders.min, P.keyholders.max);
  for (const w of witnesses) {
    if (w === coordinator || keyholders.includes(w)) {
      throw ask.error(field('witnesses'), `${w} cannot be a witness and also ${w === coordinator ? 'the coordinator' : 'a keyholder'}: a witness only observes`);
    }
  }
  const tMin = P.keyholders.threshold_min;
  const tMax = keyholders.length;
  if (tMin > tMax) throw ask.error(field('keyholders'), `${String(tMax)} keyholders cannot meet the smallest threshold this template allows (${String(tMin)})`);
  let threshold: number;
  if (a.threshold !== undefined) {
    const c = checkValue('integer', a.threshold, { min: tMin, max: tMax });
    if (typeof c === 'string') throw ask.error(field('threshold'), `${c} (M of the ${String(tMax)} keyholders)`);
    threshold = c.value as number;
  } else {
    const typed = await ask.text(field('threshold'), `Threshold M: how many of the ${String(tMax)} keyholders must sign (${String(tMin)} to ${String(tMax)})`, (s) => {
      const n = /^[0-9]{1,3}$/.test(s) ? Number(s) : NaN;
      return n >= tMin && n <= tMax ? true : `a whole number from ${String(tMin)} to ${String(tMax)}`;
    });
    threshold = Number(typed);
  }
  return { coordinator, witnesses, keyholders, threshold };
}

/** Checks that a file named in an answer is there (paths are resolved already). */
export function checkFile(ask: Asker, abs: string, field: string): string {
  const kind = ask.pathKind(abs);
  if (kind === 'missing') throw ask.error(field, `${abs}: no such file`);
  if (kind === 'other') throw ask.error(field, `${abs}: not a regular file`);
  return abs;
}

/** A typed answer as the JSON value its type reads. */
function typedValue(type: VariableType, s: string): JsonValue {
  switch (type) {
    case 'integer':
      return /^-?[0-9]{1,15}$/.test(s) ? Number(s) : s;
    case 'boolean':
      return s === 'yes' || s === 'true' ? true : s === 'no' || s === 'false' ? false : s;
    case 'names':
    case 'paths':
      return splitNames(s);
    case 'text':
    case 'name':
    case 'path':
    case 'when':
      return s;
  }
}

export async function parametersOf(ask: Asker, t: Template): Promise<Map<string, VariableValue>> {
  const out = new Map<string, VariableValue>();
  for (const p of t.parameters) {
    const field = `parameters.${p.id}`;
    // Asked only under its condition (an earlier boolean parameter).
    if (p.when !== null && (out.get(p.when.parameter)?.value === true) === p.when.negate) {
      if (ask.parameter(p.id) !== undefined) throw ask.error(field, `not asked in this run: it is only for ${p.when.negate ? 'not ' : ''}${p.when.parameter}`);
      continue;
    }
    const given = ask.parameter(p.id);
    let value: VariableValue;
    let base: (x: string) => string;
    if (given !== undefined) {
      const c = checkValue(p.type, given, p);
      if (typeof c === 'string') throw ask.error(field, c);
      value = c;
      base = (x) => ask.pathFromFile(x);
    } else if (p.default !== null && !ask.canAsk()) {
      value = p.default;
      base = (x) => ask.pathTyped(x);
    } else if (p.type === 'boolean') {
      // A yes/no question shows (y/N) or (Y/n), never the default as a word.
      value = { type: 'boolean', value: await ask.confirm(field, p.prompt, p.default?.value === true) };
      base = (x) => ask.pathTyped(x);
    } else {
      const shown = p.default === null ? '' : ` [${Array.isArray(p.default.value) ? p.default.value.join(' ') : String(p.default.value)}]`;
      const read = (s: string): VariableValue | string => (s === '' && p.default !== null ? p.default : checkValue(p.type, typedValue(p.type, s), p));
      const typed = await ask.text(field, `${p.prompt}${shown}`, (s) => {
        const c = read(s);
        return typeof c === 'string' ? c : true;
      });
      value = read(typed) as VariableValue;
      base = (x) => ask.pathTyped(x);
    }
    if (value.type === 'path') value = { type: 'path', value: checkFile(ask, base(value.value), field) };
    if (value.type === 'paths') value = { type: 'paths', value: value.value.map((x) => checkFile(ask, base(x), field)) };
    out.set(p.id, value);
  }
  return out;
}

/** Checks the step answers that depend on who takes part, before anything runs or is written. */
export function checkStepAnswers(ask: Asker, t: Template, vars: Variables, participants: RunParticipants): void {
  for (const s of t.steps) {
    const a = ask.step(s.id);
    if (s.kind === 'sign') {
      const signers = namesOf(vars, s.signers);
      for (const [what, names] of [['keys', [...(a.keys?.keys() ?? [])]], ['pubs', [...(a.pubs?.keys() ?? [])]]] as const) {
        for (const name of names) {
          if (!signers.includes(name)) throw ask.error(`steps.${s.id}.${what}.${name}`, `${name} is not a signer of this step (${signers.join(', ')})`);
        }
      }
      for (const [name, k] of a.keys ?? []) if (k !== null && !k.startsWith('pkcs11:')) checkFile(ask, ask.pathFromFile(k), `steps.${s.id}.keys.${name}`);
      for (const [name, k] of a.pubs ?? []) checkFile(ask, ask.pathFromFile(k), `steps.${s.id}.pubs.${name}`);
    }
    if (s.kind === 'attest' && a.witness !== undefined && !participants.witnesses.includes(a.witness)) {
      throw ask.error(`steps.${s.id}.witness`, `${a.witness} is not a witness of this run (${participants.witnesses.join(', ') || 'none'})`);
    }
  }
}

/** On a resume, participants in the answers file must be the run's own. */
export function checkSameParticipants(ask: Asker, p: RunParticipants): void {
  const a = ask.participants;
  const same = (x: JsonValue | undefined, y: unknown): boolean => x === undefined || JSON.stringify(x) === JSON.stringify(y);
  for (const [f, v] of [['coordinator', p.coordinator], ['witnesses', p.witnesses], ['keyholders', p.keyholders], ['threshold', p.threshold]] as const) {
    if (!same(a[f], v)) throw ask.error(`participants.${f}`, `differs from the run's (${JSON.stringify(v)}): the participants of a run are fixed when it starts`);
  }
}
