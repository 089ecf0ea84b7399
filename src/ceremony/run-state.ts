// SPDX-License-Identifier: Apache-2.0
/**
 * The state of a guided ceremony (`runs/RUN-ID.json` in the workspace,
 * format in docs/formats.md §"Run state"): which template, who takes part,
 * the parameters, how far the run got. Written atomically after every step,
 * next to the audit entries that record the same progress, so that `run`
 * again resumes at the first unfinished step. Pure: bytes in, bytes out.
 */
import { parseJson, type JsonObject, type JsonValue } from '../metadata/json.js';
import { Guard } from '../metadata/parse.js';
import { stringifySorted } from '../metadata/serialize.js';
import { isStrictExpires } from '../metadata/expires.js';

export const RUN_FORMAT = 'tuf-ceremony/run/v1';
export const MAX_RUN_STATE_BYTES = 1024 * 1024;

export const RUN_STATUSES = ['running', 'stopped', 'finished', 'abandoned'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const STEP_RESULTS = ['passed', 'failed', 'exception', 'skipped'] as const;
/** `exception`: failed, and continued with the coordinator's reason. */
export type StepResult = (typeof STEP_RESULTS)[number];

export interface RunParticipants {
  readonly coordinator: string;
  readonly witnesses: readonly string[];
  readonly keyholders: readonly string[];
  /** M of the N keyholders. */
  readonly threshold: number;
}

/** A sign step part-way through: the request made, and each signer's outcome so far. */
export interface PartialSign {
  readonly step: string;
  readonly request: string | null;
  readonly signed: readonly string[];
  readonly skipped: readonly string[];
  readonly failed: readonly string[];
}

export interface RunState {
  readonly format: typeof RUN_FORMAT;
  /** `TEMPLATE-ID-YYYYMMDDTHHMMSSZ` (the start time), `-2`… when taken. */
  readonly run: string;
  readonly template: { readonly id: string; readonly revision: number; readonly sha256: string; readonly file: string };
  readonly started: string;
  readonly status: RunStatus;
  readonly participants: RunParticipants;
  /** Parameter values by ID, as recorded in the run's first audit entry (paths absolute). */
  readonly parameters: JsonObject;
  /** Index (0-based, preconditions first) of the next step to run. */
  readonly next: number;
  /** One per step done, in order. */
  readonly results: readonly { readonly step: string; readonly result: StepResult }[];
  readonly partial: PartialSign | null;
  /** Why the run is stopped (status `stopped`): the step and the reason. */
  readonly stopped: { readonly step: string; readonly reason: string } | null;
}

const RUN_FIELDS = ['format', 'run', 'template', 'started', 'status', 'participants', 'parameters', 'next', 'results', 'partial', 'stopped'];

function strings(g: Guard, v: JsonValue | undefined, path: (string | number)[]): string[] {
  return g.array(v, path).map((x, i) => g.string(x, [...path, i]));
}

function only(g: Guard, o: JsonObject, path: (string | number)[], fields: readonly string[]): void {
  for (const k of Object.keys(o)) if (!fields.includes(k)) g.fail([...path, k], 'unknown field');
}

/**
 * Reads a run state file.
 * @throws InputError (exit 2) naming the file and the field
 */
export function parseRunState(bytes: Uint8Array, file: string): RunState {
  const g: Guard = new Guard(file);
  const o = g.object(parseJson(bytes, file, { maxBytes: MAX_RUN_STATE_BYTES }), []);
  only(g, o, [], RUN_FIELDS);
  if (o['format'] !== RUN_FORMAT) g.fail(['format'], `must be "${RUN_FORMAT}"`);
  const run = g.string(o['run'], ['run']);
  const t = g.object(o['template'], ['template']);
  only(g, t, ['template'], ['id', 'revision', 'sha256', 'file']);
  const template = {
    id: g.string(t['id'], ['template', 'id']),
    revision: g.integer(t['revision'], ['template', 'revision'], 1),
    sha256: g.string(t['sha256'], ['template', 'sha256']),
    file: g.string(t['file'], ['template', 'file']),
  };
  if (!/^[0-9a-f]{64}$/.test(template.sha256)) g.fail(['template', 'sha256'], 'must be 64 lowercase hex digits');
  const started = g.string(o['started'], ['started']);
  if (!isStrictExpires(started)) g.fail(['started'], 'must be a date-time such as 2026-11-23T10:00:00Z');
  const status = g.string(o['status'], ['status']);
  if (!(RUN_STATUSES as readonly string[]).includes(status)) g.fail(['status'], `must be one of ${RUN_STATUSES.join(', ')}`);
  const p = g.object(o['participants'], ['participants']);
  only(g, p, ['participants'], ['coordinator', 'witnesses', 'keyholders', 'threshold']);
  const participants: RunParticipants = {
    coordinator: g.string(p['coordinator'], ['participants', 'coordinator']),
    witnesses: strings(g, p['witnesses'], ['participants', 'witnesses']),
    keyholders: strings(g, p['keyholders'], ['participants', 'keyholders']),
    threshold: g.integer(p['threshold'], ['participants', 'threshold'], 1),
  };
  const parameters = g.object(o['parameters'], ['parameters']);
  const next = g.integer(o['next'], ['next'], 0);
  const results = g.array(o['results'], ['results']).map((r, i) => {
    const ro = g.object(r, ['results', i]);
    only(g, ro, ['results', i], ['step', 'result']);
    const result = g.string(ro['result'], ['results', i, 'result']);
    if (!(STEP_RESULTS as readonly string[]).includes(result)) g.fail(['results', i, 'result'], `must be one of ${STEP_RESULTS.join(', ')}`);
    return { step: g.string(ro['step'], ['results', i, 'step']), result: result as StepResult };
  });
  if (results.length !== next) g.fail(['results'], `holds ${String(results.length)} results for ${String(next)} steps done`);
  let partial: PartialSign | null = null;
  if (o['partial'] !== null) {
    const po = g.object(o['partial'], ['partial']);
    only(g, po, ['partial'], ['step', 'request', 'signed', 'skipped', 'failed']);
    partial = {
      step: g.string(po['step'], ['partial', 'step']),
      request: po['request'] === null ? null : g.string(po['request'], ['partial', 'request']),
      signed: strings(g, po['signed'], ['partial', 'signed']),
      skipped: strings(g, po['skipped'], ['partial', 'skipped']),
      failed: strings(g, po['failed'], ['partial', 'failed']),
    };
  }
  let stopped: RunState['stopped'] = null;
  if (o['stopped'] !== null) {
    const so = g.object(o['stopped'], ['stopped']);
    only(g, so, ['stopped'], ['step', 'reason']);
    stopped = { step: g.string(so['step'], ['stopped', 'step']), reason: g.string(so['reason'], ['stopped', 'reason']) };
  }
  return { format: RUN_FORMAT, run, template, started, status: status as RunStatus, participants, parameters, next, results, partial, stopped };
}

/** The file's bytes: sorted, indented JSON. */
export function serializeRunState(state: RunState): Uint8Array {
  return Buffer.from(stringifySorted(state), 'utf8');
}

/** The run ID for a template started at `startedTime` (strict form): `ID-YYYYMMDDTHHMMSSZ`. */
export function runId(templateId: string, startedTime: string, attempt = 1): string {
  const compact = startedTime.replace(/[-:]/g, '');
  return `${templateId}-${compact}${attempt > 1 ? `-${String(attempt)}` : ''}`;
}

/** Where a run's state is kept, relative to the workspace. */
export function runStatePath(run: string): string {
  return `runs/${run}.json`;
}

/** The run's own directory (its files, its signature files), relative to the workspace. */
export function runDirPath(run: string): string {
  return `runs/${run}`;
}
