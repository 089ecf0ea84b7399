// SPDX-License-Identifier: Apache-2.0
/**
 * The engine of a guided ceremony (`run`, docs/templates.md): starts a run
 * or resumes one, walks the template's steps, decides when a step passes,
 * stops the run at a failure (at the earliest step that can fix it, with
 * the reason) and records every step, exception and stop in the audit log.
 * The step kinds are in run-steps.ts.
 *
 * Pure: everything it does to the world (running a tuf-ceremony command,
 * reading and writing workspace files, the audit log, the time, messages
 * for the room) goes through {@link RunEffects}, which the CLI implements
 * (src/cli/commands/run.ts) and the tests implement in memory. Questions
 * go through the {@link Asker} (the answers file, then the prompter).
 */
import type { AuditEntry, AuditEvent } from '../audit/entry.js';
import { printable, readableHead } from '../audit/render.js';
import { InputError, CancelledError } from '../errors.js';
import { formatExpires } from '../metadata/expires.js';
import type { JsonObject, JsonValue } from '../metadata/json.js';
import { sha256Hex } from '../metadata/sha256.js';
import { oneLineText, str } from './run-output.js';
import { checkSameParticipants, checkStepAnswers, parametersOf, participantsOf, type Asker } from './run-questions.js';
import { resumePoint, type ResumePoint } from './run-recovery.js';
import { runDirPath, runId, runStatePath, RUN_FORMAT, type RunState, type StepResult } from './run-state.js';
import { executeStep } from './run-steps.js';
import { hasControl } from './yaml.js';
import { compareVersions, expandFile, expandText, isStepEnabled, type ParsedTemplate, type Step, type Template, type VariableValue, type Variables } from './template.js';

// ## The port

/** What a tuf-ceremony command run by a step returned. */
export interface CommandResult {
  readonly code: number;
  /** Its stdout when captured (its `--json` document); empty when shown. */
  readonly stdout: string;
  /** Its stderr (shown as it came): a failure's `error[CODE]: …` line is its reason. */
  readonly stderr: string;
}

/** The running code as `self-check` identifies it (docs/release.md). */
export interface ToolIdentity {
  readonly sha256: string;
  readonly kind: string;
  /** How many files the SHA-256 covers. */
  readonly files: number;
}

/**
 * Everything a guided run does outside itself. The CLI carries these out on
 * the workspace and the terminal; tests keep them in memory. Paths are
 * relative to the workspace, with `/` separators.
 */
export interface RunEffects {
  /**
   * Runs a tuf-ceremony command in the workspace with the run's terminal;
   * with `capture`, under `--json` and with its stdout returned instead of shown.
   */
  command(argv: readonly string[], capture: boolean): Promise<CommandResult>;
  /** A message for the room. */
  say(text: string): void;
  /** Appends an entry to the workspace's audit log, at the current time; returns the log's new head. */
  audit(event: AuditEvent): Promise<string>;
  /** The entries of the workspace's audit log. */
  auditEntries(): readonly AuditEntry[];
  /** Writes the run's state (`runs/RUN-ID.json`), atomically. */
  saveState(state: RunState): Promise<void>;
  /** A workspace file's bytes, at most `maxBytes` (a clear error otherwise). */
  readFile(path: string, maxBytes?: number): Uint8Array;
  /** Whether a workspace path is taken. */
  exists(path: string): boolean;
  /** Creates a directory of the workspace (and its parents). */
  makeDir(path: string): void;
  /** Writes a new workspace file; refused when it exists. */
  writeNewFile(path: string, bytes: Uint8Array): Promise<void>;
  /** An absolute path as the audit log records it: relative to the workspace when inside it. */
  recordedPath(abs: string): string;
  /** The running code. */
  tool(): Promise<ToolIdentity>;
  /** The time now, in milliseconds since the epoch. */
  now(): number;
}

/** What a run is of: the template, who answers, the tool's version, the workspace's name. */
export interface RunSetup {
  readonly parsed: ParsedTemplate & { readonly path: string };
  /** The template as the user named it (for hints). */
  readonly templateArg: string;
  readonly ask: Asker;
  readonly toolVersion: string;
  readonly workspaceName: string;
}

// ## The run in progress

/** A step's verdict: passed, or failed with a one-line reason; what was seen goes to the audit entry. */
export type StepOutcome =
  | { readonly passed: true; readonly observed: JsonObject }
  | { readonly passed: false; readonly failure: string; readonly observed: JsonObject };

/** Where an audit entry's extra parts come from: who acted, the files read and written, the device. */
export interface RecordExtra {
  readonly actor?: string;
  readonly read?: readonly { path: string; sha256: string }[];
  readonly written?: readonly { path: string; sha256: string }[];
  readonly device?: JsonObject | null;
}

/** A run in progress: its state, its variables and the audit head, kept as the steps go. */
export class RunContext {
  readonly fx: RunEffects;
  readonly setup: RunSetup;
  readonly template: Template;
  state: RunState;
  vars: Variables;
  head = '';

  constructor(fx: RunEffects, setup: RunSetup, state: RunState) {
    this.fx = fx;
    this.setup = setup;
    this.template = setup.parsed.template;
    this.state = state;
    this.vars = variablesOf(state, this.template, setup.workspaceName);
  }

  get ask(): Asker {
    return this.setup.ask;
  }

  say(text: string): void {
    this.fx.say(text);
  }

  /** An audit entry of this run (`details.run` is its ID). */
  async record(command: string, details: Record<string, unknown>, extra: RecordExtra = {}): Promise<void> {
    const device = extra.device === undefined || extra.device === null ? null : { ...extra.device, backend: str(extra.device['backend']) };
    this.head = await this.fx.audit({
      actor: extra.actor ?? 'coordinator',
      command,
      artifacts: { read: extra.read ?? [], written: extra.written ?? [] },
      device,
      details: { run: this.state.run, ...details },
    });
  }

  async save(): Promise<void> {
    await this.fx.saveState(this.state);
  }
}

/** The values `${…}` references in a template read: participants, the run's directory, the parameters. */
function variablesOf(state: RunState, t: Template, workspaceName: string): Variables {
  const vars = new Map<string, VariableValue>([
    ['coordinator', { type: 'name', value: state.participants.coordinator }],
    ['witnesses', { type: 'names', value: state.participants.witnesses }],
    ['keyholders', { type: 'names', value: state.participants.keyholders }],
    ['threshold', { type: 'integer', value: state.participants.threshold }],
    ['run_dir', { type: 'text', value: runDirPath(state.run) }],
    ['workspace', { type: 'text', value: workspaceName }],
  ]);
  for (const p of t.parameters) {
    const v = state.parameters[p.id];
    if (v !== undefined) vars.set(p.id, { type: p.type, value: v } as VariableValue);
  }
  return vars;
}

/** Parameters as the run's first entry records them: paths relative to the workspace when inside it. */
function recordedParameters(fx: RunEffects, params: ReadonlyMap<string, VariableValue>): JsonObject {
  const out: Record<string, JsonValue> = {};
  for (const [id, v] of params) {
    out[id] = v.type === 'path' ? fx.recordedPath(v.value) : v.type === 'paths' ? v.value.map((x) => fx.recordedPath(x)) : v.type === 'names' ? [...v.value] : v.value;
  }
  return out;
}

/** The tool as `self-check` identifies it: recorded in a run's first entry and at each resume. */
async function toolDetails(run: RunContext): Promise<JsonObject> {
  const self = await run.fx.tool();
  return { name: 'tuf-ceremony', version: run.setup.toolVersion, sha256: self.sha256, kind: self.kind, files: self.files };
}

/** What `--json` reports of a run, and the CLI prints. */
export interface RunSummary {
  readonly run: string;
  readonly template: { readonly id: string; readonly revision: number; readonly sha256: string };
  readonly status: string;
  readonly steps: { readonly step: string; readonly result: StepResult }[];
  readonly stopped: { readonly step: string; readonly reason: string } | null;
  readonly state: string;
  readonly auditHead: string;
}

function summary(run: RunContext): RunSummary {
  return {
    run: run.state.run,
    template: { id: run.template.id, revision: run.template.revision, sha256: run.setup.parsed.sha256 },
    status: run.state.status,
    steps: run.state.results.map((r) => ({ step: r.step, result: r.result })),
    stopped: run.state.stopped,
    state: runStatePath(run.state.run),
    auditHead: run.head,
  };
}

// ## The walk

/** A run stopped at a failed step: it resumes at `resume.step`. */
export interface RunStopped {
  readonly status: 'stopped';
  readonly summary: RunSummary;
  /** The step that failed, and why. */
  readonly step: string;
  readonly failure: string;
  /** Where the run resumes; `why` is null when at the failed step itself. */
  readonly resume: { readonly step: string; readonly why: string | null };
}

export interface RunFinished {
  readonly status: 'finished';
  readonly summary: RunSummary;
  readonly passed: number;
  readonly exceptions: number;
  readonly skipped: number;
}

function header(run: RunContext, i: number, step: Step): void {
  const n = run.template.steps.length;
  run.say(`\n[${String(i + 1)}/${String(n)}] ${step.precondition ? 'precondition ' : ''}${step.id}: ${expandText(step.title, run.vars)} (${step.kind}, ${step.actor})\n`);
}

function readAloud(run: RunContext, step: Step): void {
  const text = expandText(step.say, run.vars).trimEnd();
  run.say(`  read aloud:\n${text.split('\n').map((l) => `  │ ${l}`).join('\n')}\n`);
}

/**
 * Stops the run at step `index`. It resumes there, or at `resume` (an
 * earlier step that can fix the failure): the steps from there on run again.
 */
async function stop(run: RunContext, step: Step, index: number, reason: string, resume: ResumePoint = { index, why: null }): Promise<void> {
  const to = run.template.steps[resume.index] as Step;
  const full = resume.why === null ? reason : `${reason}; ${resume.why}: the run resumes at step ${to.id}`;
  await run.record('run stop', { step: step.id, index, reason: oneLineText(printable(full)), resume_step: to.id, resume_index: resume.index });
  const back = resume.index < run.state.next;
  run.state = {
    ...run.state,
    status: 'stopped',
    stopped: { step: to.id, reason: oneLineText(full) },
    ...(back ? { next: resume.index, results: run.state.results.slice(0, resume.index), partial: null } : {}),
  };
  await run.save();
}

/** Runs `f`; a missing answer or Ctrl-C stops the run at step `index` (recorded) before it goes on up. */
async function stoppingOn<T>(run: RunContext, step: Step, index: number, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof InputError || e instanceof CancelledError) await stop(run, step, index, e.message);
    throw e;
  }
}

/** The coordinator's reason to continue past a failed step, or null to stop there. */
async function exceptionReason(run: RunContext, step: Step, failure: string): Promise<string | null> {
  const given = run.ask.step(step.id).exception;
  if (given !== undefined) return given;
  const typed = await run.ask.text(
    `steps.${step.id}.exception`,
    `Step ${step.id} failed (${failure}). The coordinator may continue with an exception: type the reason (empty: stop here)`,
    (s) => (hasControl(s) ? 'one line, without control characters' : true)
  );
  return typed === '' ? null : typed;
}

/**
 * Runs the steps from `run.state.next` to the end. A step that fails stops
 * the run (unless the template allows an exception and the coordinator
 * gives a reason), at the earliest step that can fix it.
 * @returns null when every step is done, else where the run stopped
 * @throws InputError, CancelledError after recording the stop
 */
async function walk(run: RunContext): Promise<RunStopped | null> {
  const steps = run.template.steps;
  for (let i = run.state.next; i < steps.length; i++) {
    const step = steps[i] as Step;
    header(run, i, step);
    const base = { index: i, step: step.id, title: oneLineText(expandText(step.title, run.vars)), kind: step.kind, actor: step.actor, precondition: step.precondition };
    let result: StepResult;
    if (!isStepEnabled(step, run.vars)) {
      run.say(`  skipped: ${step.when?.negate === true ? 'not needed when' : 'only when'} ${step.when?.parameter ?? ''}\n`);
      await run.record('run step', { ...base, result: 'skipped', reason: `when: ${step.when?.negate === true ? 'not ' : ''}${step.when?.parameter ?? ''}` });
      result = 'skipped';
    } else {
      readAloud(run, step);
      const outcome = await stoppingOn(run, step, i, () => executeStep(run, step));
      if (outcome.passed) {
        await run.record('run step', { ...base, result: 'passed', ...outcome.observed });
        run.say('  ✓ passed\n');
        result = 'passed';
      } else {
        const failure = outcome.failure;
        await run.record('run step', { ...base, result: 'failed', failure: printable(failure), ...outcome.observed });
        run.say(`  ✗ failed: ${failure}\n`);
        const reason = step.on_failure === 'exception-allowed' ? await stoppingOn(run, step, i, () => exceptionReason(run, step, failure)) : null;
        if (reason === null) {
          const resume = resumePoint(run.template, run.vars, i);
          await stop(run, step, i, `step ${step.id} failed: ${failure}`, resume);
          return { status: 'stopped', summary: summary(run), step: step.id, failure, resume: { step: (steps[resume.index] as Step).id, why: resume.why } };
        }
        await run.record('run exception', { index: i, step: step.id, reason, failure: printable(failure) });
        run.say(`  ! exception recorded: ${reason}\n`);
        result = 'exception';
      }
    }
    run.state = { ...run.state, next: i + 1, results: [...run.state.results, { step: step.id, result }], partial: null };
    await run.save();
  }
  return null;
}

// ## Resuming

/**
 * Brings a resumed state up to date with the audit log: a crash between an
 * entry and the state write leaves the entry, which counts.
 */
function reconcile(run: RunContext): void {
  const mine = run.fx.auditEntries().filter((e) => e.details['run'] === run.state.run);
  // Steps recorded before the last stop were done before it (or undone by going back to an earlier step).
  const lastStop = mine.findLast((e) => e.command === 'run stop');
  const entries = lastStop === undefined ? mine : mine.filter((e) => e.seq > lastStop.seq);
  const back = lastStop?.details['resume_index'];
  if (typeof back === 'number' && Number.isSafeInteger(back) && back >= 0 && back < run.state.next) {
    // A crash after the stop entry but before the state was written: go back as the entry says.
    run.state = { ...run.state, next: back, results: run.state.results.slice(0, back), partial: null };
  }
  for (;;) {
    const i = run.state.next;
    const step = run.template.steps[i];
    if (step === undefined) return;
    const done = entries.find(
      (e) =>
        e.details['index'] === i &&
        ((e.command === 'run step' && (e.details['result'] === 'passed' || e.details['result'] === 'skipped')) || e.command === 'run exception')
    );
    if (done === undefined) break;
    const result: StepResult = done.command === 'run exception' ? 'exception' : (done.details['result'] as StepResult);
    run.state = { ...run.state, next: i + 1, results: [...run.state.results, { step: step.id, result }], partial: null };
  }
  const p = run.state.partial;
  if (p !== null) {
    const signed = entries
      .filter((e) => e.command === 'run sign' && e.details['step'] === p.step && e.details['result'] === 'signed')
      .map((e) => str(e.details['keyholder']));
    // A retried sign step asks again those who failed or were absent; signatures collected stay.
    run.state = { ...run.state, partial: { ...p, signed: [...new Set([...p.signed, ...signed])], skipped: [], failed: [] } };
  }
}

async function resume(fx: RunEffects, setup: RunSetup, current: RunState): Promise<RunContext> {
  const { parsed, ask } = setup;
  const t = parsed.template;
  if (current.template.sha256 !== parsed.sha256) {
    throw new InputError(
      `${parsed.file}: the template changed since run ${current.run} started (SHA-256 ${current.template.sha256.slice(0, 16)}…, now ${parsed.sha256.slice(0, 16)}…); a run is resumed only with the template it started with`,
      { file: parsed.file, hint: `restore that template, or abandon the run: tuf-ceremony run ${setup.templateArg} --abandon` }
    );
  }
  const run = new RunContext(fx, setup, current);
  checkSameParticipants(ask, current.participants);
  checkStepAnswers(ask, t, run.vars, current.participants);
  reconcile(run);
  run.state = { ...run.state, status: 'running', stopped: null };
  fx.say(`resuming run ${current.run} of ${t.title} at step ${String(run.state.next + 1)} of ${String(t.steps.length)}\n`);
  await run.record('run resume', { step: t.steps[run.state.next]?.id ?? null, index: run.state.next, template_sha256: parsed.sha256, tool: await toolDetails(run) });
  await run.save();
  return run;
}

// ## Starting

/** The run ID for a start time: with -2, -3… when a run started in the same second. */
function freeRunId(fx: RunEffects, templateId: string, started: string): string {
  for (let i = 1; ; i++) {
    const id = runId(templateId, started, i);
    if (!fx.exists(runDirPath(id)) && !fx.exists(runStatePath(id))) return id;
  }
}

/**
 * A new run: asks for the participants and parameters, writes the
 * template's files into the run's directory and records the start (the
 * template's SHA-256, the tool's version and SHA-256).
 */
async function start(fx: RunEffects, setup: RunSetup): Promise<RunContext> {
  const { parsed, ask } = setup;
  const t = parsed.template;
  const participants = await participantsOf(ask, t);
  const params = await parametersOf(ask, t);
  const started = formatExpires(fx.now());
  const id = freeRunId(fx, t.id, started);
  const state: RunState = {
    format: RUN_FORMAT,
    run: id,
    template: { id: t.id, revision: t.revision, sha256: parsed.sha256, file: parsed.file },
    started,
    status: 'running',
    participants,
    parameters: recordedParameters(fx, params),
    next: 0,
    results: [],
    partial: null,
    stopped: null,
  };
  const run = new RunContext(fx, setup, state);
  checkStepAnswers(ask, t, run.vars, participants);
  const tool = await toolDetails(run);
  fx.say(`${t.title}: template ${t.id} revision ${String(t.revision)}\n  template SHA-256: ${readableHead(parsed.sha256)}\n  tuf-ceremony ${setup.toolVersion}, SHA-256 ${readableHead(str(tool['sha256']))}\n`);
  fx.makeDir(runDirPath(id));
  const written: { path: string; sha256: string }[] = [];
  for (const f of t.files) {
    const bytes = Buffer.from(expandFile(f.text, run.vars), 'utf8');
    const path = `${runDirPath(id)}/${f.name}`;
    await fx.writeNewFile(path, bytes);
    written.push({ path, sha256: sha256Hex(bytes) });
  }
  await run.record(
    'run start',
    {
      template: { id: t.id, revision: t.revision, title: t.title, file: parsed.file, sha256: parsed.sha256 },
      tool,
      participants: { ...participants },
      parameters: state.parameters,
      steps: t.steps.length,
      sign_off: oneLineText(expandText(t.sign_off.statement, run.vars)),
    },
    { read: [{ path: fx.recordedPath(parsed.path), sha256: parsed.sha256 }], written }
  );
  await run.save();
  fx.say(`run ${id} started; its state is ${runStatePath(id)}\n`);
  return run;
}

// ## The engine's entry points

/**
 * The template must not need a newer tool than this one.
 * @throws InputError (exit 2) naming `requires.tool`
 */
export function checkRequiredTool(parsed: ParsedTemplate, toolVersion: string): void {
  const t = parsed.template;
  if (compareVersions(toolVersion, t.requires.tool) < 0) {
    throw new InputError(`${parsed.file}: requires.tool: the template needs tuf-ceremony ${t.requires.tool} or later; this is ${toolVersion}`, {
      file: parsed.file,
      field: 'requires.tool',
    });
  }
}

/**
 * Runs a guided ceremony: resumes `current` (the template's unfinished
 * run) or starts a new one, walks its steps to the end and records the
 * finish; or stops at a failed step.
 * @throws InputError (exit 2) for a bad answer, a missing one (the run stops there) or a changed template
 * @throws CancelledError (exit 130) on Ctrl-C or a keyholder declining (the run stops there)
 */
export async function runCeremony(fx: RunEffects, setup: RunSetup, current: RunState | undefined): Promise<RunFinished | RunStopped> {
  const run = current === undefined ? await start(fx, setup) : await resume(fx, setup, current);
  const stopped = await walk(run);
  if (stopped !== null) return stopped;
  const count = (r: StepResult): number => run.state.results.filter((x) => x.result === r).length;
  const done = { passed: count('passed'), exceptions: count('exception'), skipped: count('skipped') };
  await run.record('run finish', { steps: run.template.steps.length, ...done });
  run.state = { ...run.state, status: 'finished' };
  await run.save();
  return { status: 'finished', summary: summary(run), ...done };
}

/** Ends an unfinished run for good (recorded); a new run of the template can start. */
export async function abandonRun(fx: RunEffects, setup: RunSetup, current: RunState): Promise<RunSummary> {
  const run = new RunContext(fx, setup, current);
  await run.record('run abandon', { step: run.template.steps[current.next]?.id ?? null, index: current.next });
  run.state = { ...current, status: 'abandoned' };
  await run.save();
  return summary(run);
}
