// SPDX-License-Identifier: Apache-2.0
/**
 * `tuf-ceremony run TEMPLATE [--answers FILE]`: a guided ceremony
 * (docs/templates.md). Walks a template's steps: shows the read-aloud text,
 * asks for checklist confirmations, runs the commands itself (in-process,
 * through the same `main` users run), takes signatures, records witness
 * attestations and a device inventory. Every step, exception and
 * attestation is an audit entry; the first holds the template's SHA-256 and
 * the tool's version and SHA-256. The state (`runs/RUN-ID.json`) is written
 * after every step, so `run` again resumes where the run stopped.
 */
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { parseEntries } from '../../audit/entry.js';
import { appendAuditEntry, readAuditLog } from '../../audit/log.js';
import { printable, readableHead } from '../../audit/render.js';
import { parseAnswers, MAX_ANSWERS_BYTES, type Answers, type StepAnswers } from '../../ceremony/answers.js';
import {
  parseRunState,
  runId,
  serializeRunState,
  RUN_FORMAT,
  type PartialSign,
  type RunParticipants,
  type RunState,
  type StepResult,
} from '../../ceremony/run-state.js';
import { parseSignatureFile, MAX_SIGNATURE_FILE_BYTES } from '../../ceremony/signature-file.js';
import { hasControl } from '../../ceremony/yaml.js';
import { redact } from '../../crypto/pkcs11-uri.js';
import {
  checkValue,
  compareVersions,
  expandArgv,
  expandFile,
  expandText,
  isStepEnabled,
  namesOf,
  parseTemplate,
  signaturesNeeded,
  MAX_TEMPLATE_BYTES,
  type ParsedTemplate,
  type Step,
  type Template,
  type VariableType,
  type VariableValue,
  type Variables,
} from '../../ceremony/template.js';
import { CancelledError, InputError, UsageError, VerificationError } from '../../errors.js';
import { formatExpires, parseExpires } from '../../metadata/expires.js';
import type { JsonObject, JsonValue } from '../../metadata/json.js';
import { writeFileAtomic } from '../../store/atomic.js';
import { sha256Hex } from '../../store/drafts.js';
import { readBoundedFile } from '../../store/metadata-dir.js';
import { packageRoot, selfHashOnce } from '../../store/self-hash.js';
import { openWorkspace, type Workspace } from '../../store/workspace.js';
import type { Prompter } from '../../ui/prompts.js';
import type { GlobalOptions, Io } from '../io.js';
import { workspaceDir } from './workspace.js';

export interface RunOptions {
  readonly answers?: string;
  readonly list?: boolean;
  readonly check?: boolean;
  readonly abandon?: boolean;
}

/** What the composition root hands the runner: the CLI itself, to run steps with. */
export interface RunTools {
  readonly main: (argv: readonly string[], io: Io) => Promise<number>;
  readonly version: string;
}

// ## Templates

/** The shipped templates' directory, or null when the package's files cannot be found. */
function shippedDir(): string | null {
  const root = packageRoot();
  return root === null ? null : join(root, 'ceremony-templates');
}

function shippedNames(): string[] {
  const dir = shippedDir();
  if (dir === null) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -5))
    .sort();
}

/** A shipped template's name (`bootstrap-root`) or a template file's path. */
function loadTemplate(arg: string, io: Io): ParsedTemplate & { path: string } {
  const isPath = arg.includes('/') || arg.includes(sep) || /\.(ya?ml|json)$/i.test(arg);
  let path: string;
  let shown: string;
  if (isPath) {
    path = resolve(io.cwd, arg);
    shown = arg;
  } else {
    const dir = shippedDir();
    if (dir === null || !shippedNames().includes(arg)) {
      throw new InputError(`TEMPLATE: "${arg}" is not a shipped template (${shippedNames().join(', ') || 'none found'}) or a template file`, {
        field: 'TEMPLATE',
        hint: 'see `tuf-ceremony run --list`; a file is named by a path (./my.yaml)',
      });
    }
    path = join(dir, `${arg}.yaml`);
    shown = `ceremony-templates/${arg}.yaml`;
  }
  return { ...parseTemplate(readBoundedFile(path, MAX_TEMPLATE_BYTES), shown), path };
}

/** `run --list`: the shipped templates. */
function listTemplates(global: GlobalOptions, io: Io): number {
  const dir = shippedDir();
  const list = shippedNames().map((name) => {
    const file = join(dir ?? '.', `${name}.yaml`);
    const t = parseTemplate(readBoundedFile(file, MAX_TEMPLATE_BYTES), `ceremony-templates/${name}.yaml`);
    return { name, id: t.template.id, revision: t.template.revision, title: t.template.title, sha256: t.sha256 };
  });
  if (global.json) io.stdout(JSON.stringify({ ok: true, templates: list }, null, 2) + '\n');
  else for (const t of list) io.stdout(`${t.name.padEnd(24)} revision ${String(t.revision)}  ${t.title}\n`);
  return 0;
}

// ## Answers: from the file, else asked

/** Where answers come from: the answers file, then the person at the terminal. */
class Asker {
  private readonly answers: Answers | null;
  private readonly answersDir: string;
  private readonly prompter: Prompter | null;
  private readonly cwd: string;
  private readonly noInput: boolean;

  constructor(answers: Answers | null, answersDir: string, prompter: Prompter | null, cwd: string, noInput: boolean) {
    this.answers = answers;
    this.answersDir = answersDir;
    this.prompter = prompter;
    this.cwd = cwd;
    this.noInput = noInput;
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

  async confirm(field: string, message: string): Promise<boolean> {
    if (this.prompter === null) throw this.missing(field);
    return this.prompter.confirm(message, false);
  }

  async text(field: string, message: string, validate: (s: string) => true | string): Promise<string> {
    if (this.prompter === null) throw this.missing(field);
    return (await this.prompter.input(message, validate)).trim();
  }
}

// ## The run

interface StepOutcome {
  readonly passed: boolean;
  /** Why it failed, one line. */
  readonly failure?: string;
  /** What was seen, for the audit entry (JSON, integers only, no control characters). */
  readonly observed: JsonObject;
}

interface Ctx {
  readonly io: Io;
  readonly global: GlobalOptions;
  readonly tools: RunTools;
  readonly ws: Workspace;
  readonly parsed: ParsedTemplate & { path: string };
  readonly template: Template;
  readonly ask: Asker;
  readonly noInput: boolean;
  /** Messages for the room: stdout, or stderr under --json. */
  readonly say: (text: string) => void;
  state: RunState;
  vars: Variables;
  head: string;
}

const stateRel = (run: string): string => `runs/${run}.json`;
const runDirRel = (run: string): string => `runs/${run}`;

/** A path as the audit log records it: relative to the workspace when inside it. */
function recordedPath(ws: Workspace, abs: string): string {
  const rel = relative(ws.dir, abs);
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep) ? rel.split(sep).join('/') : abs;
}

async function saveState(ctx: Ctx): Promise<void> {
  mkdirSync(join(ctx.ws.dir, 'runs'), { recursive: true });
  await writeFileAtomic(join(ctx.ws.dir, stateRel(ctx.state.run)), serializeRunState(ctx.state), { root: ctx.ws.dir });
}

async function record(
  ctx: Ctx,
  command: string,
  details: Record<string, unknown>,
  extra: { actor?: string; read?: { path: string; sha256: string }[]; written?: { path: string; sha256: string }[]; device?: JsonObject | null } = {}
): Promise<void> {
  const device = extra.device === undefined || extra.device === null ? null : { ...extra.device, backend: str(extra.device['backend']) };
  const { head } = await appendAuditEntry(
    ctx.ws.dir,
    {
      actor: extra.actor ?? 'coordinator',
      command,
      artifacts: { read: extra.read ?? [], written: extra.written ?? [] },
      device,
      details: { run: ctx.state.run, ...details },
    },
    ctx.io.now()
  );
  ctx.head = head;
}

/** Runs a tuf-ceremony command in the workspace, in-process, with the run's terminal. */
async function sub(ctx: Ctx, argv: readonly string[], capture: boolean): Promise<{ code: number; stdout: string }> {
  let out = '';
  const args = [...(capture ? ['--json'] : []), ...(ctx.noInput ? ['--no-input'] : []), ...(ctx.global.color ? [] : ['--no-color']), ...argv];
  const io: Io = {
    ...ctx.io,
    cwd: ctx.ws.dir,
    stdout: (t) => {
      if (capture) out += t;
      else ctx.say(t);
    },
  };
  // A pkcs11: URI typed as a key could carry a PIN, which is refused later but must never be shown.
  const shown = argv.map((a) => redact(a)).map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a)));
  ctx.say(`  $ tuf-ceremony ${shown.join(' ')}\n`);
  const code = await ctx.tools.main(args, io);
  return { code, stdout: out };
}

function parseJsonOutput(text: string): JsonObject | null {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as JsonObject) : null;
  } catch {
    return null;
  }
}

function at(o: JsonObject | null, path: string): JsonValue | undefined {
  let v: JsonValue | undefined = o ?? undefined;
  for (const k of path.split('.')) {
    if (Array.isArray(v) && /^(0|[1-9][0-9]{0,5})$/.test(k)) v = (v as readonly JsonValue[])[Number(k)];
    else if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.hasOwn(v, k)) v = (v as JsonObject)[k];
    else return undefined;
  }
  return v;
}

/** A value from outside (a device, a command's output) made safe for an audit entry: printable, integers only. */
function safe(v: JsonValue | undefined): JsonValue {
  if (v === undefined) return null;
  if (typeof v === 'string') return printable(v);
  if (typeof v === 'number') return Number.isSafeInteger(v) ? v : String(v);
  if (Array.isArray(v)) return v.map(safe);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [printable(k), safe(x)]));
  return v;
}

/** A value from a command's output as text. */
function str(v: JsonValue | undefined): string {
  return typeof v === 'string' ? v : JSON.stringify(v ?? null);
}

function oneLineText(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

// ### Step kinds

async function checklist(ctx: Ctx, step: Extract<Step, { kind: 'checklist' }>): Promise<StepOutcome> {
  const a = ctx.ask.step(step.id).confirm;
  const items = step.items.map((i) => expandText(i, ctx.vars));
  const confirmed: boolean[] = [];
  for (const [i, item] of items.entries()) {
    let ok: boolean;
    if (a !== undefined) ok = typeof a === 'boolean' ? a : (a[i] ?? false);
    else ok = await ctx.ask.confirm(`steps.${step.id}.confirm`, `☐ ${item}`);
    ctx.say(`  ${ok ? '☑' : '☒'} ${item}\n`);
    confirmed.push(ok);
  }
  const missed = confirmed.flatMap((ok, i) => (ok ? [] : [i + 1]));
  return {
    passed: missed.length === 0,
    ...(missed.length === 0 ? {} : { failure: `item${missed.length === 1 ? '' : 's'} ${missed.join(', ')} not confirmed` }),
    observed: { items: items.length, confirmed },
  };
}

async function command(ctx: Ctx, step: Extract<Step, { kind: 'command' }>): Promise<StepOutcome> {
  const argv = expandArgv(step.run, ctx.vars);
  const capture = step.expect.json.length > 0;
  const r = await sub(ctx, argv, capture);
  const out = capture ? parseJsonOutput(r.stdout) : null;
  const checks = step.expect.json.map((c) => {
    const actual = at(out, c.path);
    return { path: c.path, expected: c.value, actual: safe(actual), ok: actual === c.value };
  });
  for (const c of checks) ctx.say(`  ${c.ok ? '✓' : '✗'} ${c.path} = ${JSON.stringify(c.actual)} (expected ${JSON.stringify(c.expected)})\n`);
  const bad = checks.filter((c) => !c.ok).map((c) => `${c.path} is ${JSON.stringify(c.actual)}, expected ${JSON.stringify(c.expected)}`);
  const failure = r.code !== step.expect.exit ? `exit ${String(r.code)}, expected ${String(step.expect.exit)}` : bad[0];
  return { passed: failure === undefined, ...(failure === undefined ? {} : { failure }), observed: { argv, exit: r.code, expected_exit: step.expect.exit, json: checks } };
}

/** A signature file name not taken yet (a retried signer gets -2, -3…: `sign` never replaces a file). */
function sigOut(ctx: Ctx, step: Step, name: string): string {
  const base = `${runDirRel(ctx.state.run)}/${step.id}.${name}`;
  for (let i = 1; ; i++) {
    const rel = `${base}${i > 1 ? `-${String(i)}` : ''}.sig.json`;
    if (!existsSync(join(ctx.ws.dir, rel))) return rel;
  }
}

async function sign(ctx: Ctx, step: Extract<Step, { kind: 'sign' }>): Promise<StepOutcome> {
  const signers = namesOf(ctx.vars, step.signers);
  const needed = signaturesNeeded(step, ctx.vars);
  const answers = ctx.ask.step(step.id);
  let p: PartialSign = ctx.state.partial?.step === step.id ? ctx.state.partial : { step: step.id, request: null, signed: [], skipped: [], failed: [] };
  const save = async (next: PartialSign): Promise<void> => {
    p = next;
    ctx.state = { ...ctx.state, partial: p };
    await saveState(ctx);
  };
  if (p.request === null) {
    const r = await sub(ctx, ['request', step.role], true);
    const file = at(parseJsonOutput(r.stdout), 'file');
    if (r.code !== 0 || typeof file !== 'string') {
      return { passed: false, failure: `request ${step.role} exited ${String(r.code)}`, observed: { role: step.role, exit: r.code } };
    }
    await save({ ...p, request: file });
  }
  const request = p.request as string;
  const req = parseJsonOutput(Buffer.from(readBoundedFile(join(ctx.ws.dir, request))).toString('utf8'));
  const signedSha = at(req, 'signed_sha256');
  const version = at(req, 'version');
  ctx.say(`  signing request ${request}: ${step.role} version ${str(version)}\n`);
  ctx.say(`  SHA-256 of the bytes to sign, to read aloud: ${readableHead(str(signedSha))}\n`);
  for (const name of signers) {
    if (p.signed.includes(name) || p.skipped.includes(name) || p.failed.includes(name)) continue;
    const field = `steps.${step.id}.keys.${name}`;
    let keyref: string | null;
    if (answers.keys?.has(name) === true) {
      const k = answers.keys.get(name) ?? null;
      keyref = k === null || k.startsWith('pkcs11:') ? k : ctx.ask.pathFromFile(k);
    } else {
      const typed = await ctx.ask.text(field, `Key of ${name} (a key file or a pkcs11: URI; empty if ${name} does not sign now)`, () => true);
      keyref = typed === '' ? null : typed.startsWith('pkcs11:') ? typed : ctx.ask.pathTyped(typed);
    }
    if (keyref === null) {
      ctx.say(`  – ${name} does not sign\n`);
      await record(ctx, 'run sign', { step: step.id, keyholder: name, result: 'absent' }, { actor: name });
      await save({ ...p, skipped: [...p.skipped, name] });
      continue;
    }
    const pub = answers.pubs?.get(name);
    if (answers.confirm === undefined && !ctx.ask.canAsk()) throw ctx.ask.missing(`steps.${step.id}.confirm`);
    if (answers.confirm === false) throw ctx.ask.error(`steps.${step.id}.confirm`, 'false: the keyholders did not accept the review, so nothing is signed');
    const out = sigOut(ctx, step, name);
    const args = ['sign', request, '--key', keyref, '--out', out, ...(pub === undefined ? [] : ['--pub', ctx.ask.pathFromFile(pub)]), ...(answers.confirm === true ? ['--yes'] : [])];
    const r = await sub(ctx, args, false);
    if (r.code === 130) throw new CancelledError(`${name} declined to sign`);
    if (r.code !== 0) {
      await record(ctx, 'run sign', { step: step.id, keyholder: name, result: 'failed', exit: r.code }, { actor: name });
      await save({ ...p, failed: [...p.failed, name] });
      continue;
    }
    const bytes = readBoundedFile(join(ctx.ws.dir, out), MAX_SIGNATURE_FILE_BYTES);
    const sf = parseSignatureFile(bytes, out);
    const c = sf.keyholder === name ? await sub(ctx, ['collect', out], false) : { code: -1 };
    const result = sf.keyholder !== name ? 'wrong-keyholder' : c.code === 0 ? 'signed' : 'rejected';
    await record(
      ctx,
      'run sign',
      { step: step.id, keyholder: name, result, role: sf.role, version: sf.version, signed_sha256: sf.signed_sha256, keyid: sf.keyid, signed_by: sf.keyholder },
      { actor: name, written: [{ path: out, sha256: sha256Hex(bytes) }], device: sf.device }
    );
    await save(result === 'signed' ? { ...p, signed: [...p.signed, name] } : { ...p, failed: [...p.failed, name] });
  }
  const observed = { role: step.role, request, version: safe(version), signed_sha256: safe(signedSha), needed, signed: [...p.signed], absent: [...p.skipped], failed: [...p.failed] };
  ctx.say(`  ${String(p.signed.length)} of ${String(needed)} signatures needed: ${p.signed.join(', ') || 'none'}\n`);
  if (p.signed.length >= needed) return { passed: true, observed };
  return { passed: false, failure: `${String(p.signed.length)} signatures, ${String(needed)} needed`, observed };
}

async function verifyTool(ctx: Ctx, step: Step): Promise<StepOutcome> {
  const self = await selfHashOnce();
  const required = ctx.template.requires.tool;
  ctx.say(`  tuf-ceremony ${ctx.tools.version} (the template needs ${required} or later)\n  SHA-256 of its code: ${readableHead(self.sha256)}\n`);
  let expected = ctx.ask.step(step.id).sha256;
  if (expected === undefined) {
    const typed = await ctx.ask.text(`steps.${step.id}.sha256`, `SHA-256 published for tuf-ceremony ${ctx.tools.version} (64 hex digits)`, (s) =>
      /^[0-9a-f]{64}$/.test(s.replace(/[\s:]/g, '').toLowerCase()) ? true : 'give 64 hex digits (spaces are ignored)'
    );
    expected = typed.replace(/[\s:]/g, '').toLowerCase();
  }
  const versionOk = compareVersions(ctx.tools.version, required) >= 0;
  const match = expected === self.sha256;
  const failure = !versionOk ? `tuf-ceremony ${ctx.tools.version} is older than ${required}` : !match ? `the code's SHA-256 is not the one published (${expected.slice(0, 16)}…)` : undefined;
  return { passed: failure === undefined, ...(failure === undefined ? {} : { failure }), observed: { version: ctx.tools.version, required, sha256: self.sha256, expected_sha256: expected, kind: self.kind, files: self.files?.length ?? 1 } };
}

async function verifyClock(ctx: Ctx, step: Extract<Step, { kind: 'verify' }>): Promise<StepOutcome> {
  const now = ctx.io.now();
  const machine = formatExpires(now);
  ctx.say(`  this machine's clock: ${machine} (UTC)\n`);
  const a = ctx.ask.step(step.id);
  let reference = a.reference_time;
  if (reference === undefined && a.confirm === undefined) {
    reference = await ctx.ask.text(`steps.${step.id}.reference_time`, 'Time on the reference clock, UTC (YYYY-MM-DDTHH:MM:SSZ)', (s) =>
      parseExpires(s) === undefined ? 'give a date-time such as 2026-11-23T10:00:00Z' : true
    );
  }
  if (reference === undefined) {
    const ok = a.confirm === true;
    return { passed: ok, ...(ok ? {} : { failure: 'the clock was not confirmed' }), observed: { machine_time: machine, confirmed: ok, max_skew_minutes: step.max_skew_minutes } };
  }
  const ref = parseExpires(reference);
  const skew = ref === undefined ? Number.MAX_SAFE_INTEGER : Math.round(Math.abs(now - ref.ms) / 1000);
  const ok = skew <= step.max_skew_minutes * 60;
  return {
    passed: ok,
    ...(ok ? {} : { failure: `the clocks differ by ${String(skew)} s, more than ${String(step.max_skew_minutes)} min` }),
    observed: { machine_time: machine, reference_time: reference, skew_seconds: skew, max_skew_minutes: step.max_skew_minutes },
  };
}

async function verify(ctx: Ctx, step: Extract<Step, { kind: 'verify' }>): Promise<StepOutcome> {
  switch (step.check) {
    case 'tool':
      return verifyTool(ctx, step);
    case 'clock':
      return verifyClock(ctx, step);
    case 'repository': {
      const r = await sub(ctx, ['verify', 'metadata'], false);
      return { passed: r.code === 0, ...(r.code === 0 ? {} : { failure: `verify exited ${String(r.code)}` }), observed: { exit: r.code } };
    }
    case 'audit': {
      const r = await sub(ctx, ['audit', 'verify'], true);
      const o = parseJsonOutput(r.stdout);
      const head = at(o, 'head');
      ctx.say(`  audit log: ${str(at(o, 'entries'))} entries, ${r.code === 0 ? 'chain intact' : 'FAILED'}; head ${readableHead(str(head))}\n`);
      return { passed: r.code === 0, ...(r.code === 0 ? {} : { failure: `audit verify exited ${String(r.code)}` }), observed: { exit: r.code, entries: safe(at(o, 'entries')), head: safe(head) } };
    }
  }
}

async function attest(ctx: Ctx, step: Extract<Step, { kind: 'attest' }>): Promise<StepOutcome> {
  const statement = expandText(step.statement, ctx.vars);
  ctx.say(`  statement: ${statement.trim().split('\n').join('\n             ')}\n`);
  const a = ctx.ask.step(step.id);
  const witnesses = ctx.state.participants.witnesses;
  const witness =
    a.witness ??
    (await ctx.ask.text(`steps.${step.id}.witness`, `Witness making the statement (${witnesses.join(', ')})`, (s) =>
      witnesses.includes(s) ? true : `one of ${witnesses.join(', ')}`
    ));
  const confirmed = a.confirm ?? (await ctx.ask.confirm(`steps.${step.id}.confirm`, `${witness}: do you attest this statement?`));
  const ok = confirmed === true;
  await record(ctx, 'run attest', { step: step.id, witness, statement: oneLineText(statement), confirmed: ok }, { actor: witness });
  return { passed: ok, ...(ok ? {} : { failure: `${witness} did not attest the statement` }), observed: { witness, confirmed: ok } };
}

async function deviceInventory(ctx: Ctx, step: Extract<Step, { kind: 'device-inventory' }>): Promise<StepOutcome> {
  const r = await sub(ctx, ['tokens'], true);
  const o = parseJsonOutput(r.stdout);
  const list = at(o, 'tokens');
  const tokens = Array.isArray(list)
    ? list.map((t) => safe({ model: at(t as JsonObject, 'model') ?? null, vendorId: at(t as JsonObject, 'vendorId') ?? null, productId: at(t as JsonObject, 'productId') ?? null, product: at(t as JsonObject, 'product') ?? null, serial: at(t as JsonObject, 'serial') ?? null }))
    : [];
  const warnings = safe(at(o, 'warnings') ?? []);
  const recognized = at(o, 'recognized');
  const known = typeof recognized === 'number' ? recognized : 0;
  const warned = Array.isArray(warnings) ? warnings.length : 0;
  ctx.say(`  ${str(at(o, 'devices') ?? 0)} HID devices, ${String(known)} known tokens${warned > 0 ? `, ${String(warned)} warnings` : ''}\n`);
  for (const t of tokens) ctx.say(`    ${str(at(t as JsonObject, 'model') ?? 'unknown')} ${str(at(t as JsonObject, 'vendorId'))}:${str(at(t as JsonObject, 'productId'))} serial ${str(at(t as JsonObject, 'serial'))}\n`);
  const failure =
    r.code !== 0
      ? `tokens exited ${String(r.code)}`
      : known < step.expect.min_tokens
        ? `${String(known)} known tokens, at least ${String(step.expect.min_tokens)} expected`
        : step.expect.no_warnings && warned > 0
          ? `${String(warned)} warnings (unexpected devices)`
          : undefined;
  return {
    passed: failure === undefined,
    ...(failure === undefined ? {} : { failure }),
    observed: { exit: r.code, devices: safe(at(o, 'devices') ?? 0), recognized: known, tokens, warnings, expected: { min_tokens: step.expect.min_tokens, no_warnings: step.expect.no_warnings } },
  };
}

function execute(ctx: Ctx, step: Step): Promise<StepOutcome> {
  switch (step.kind) {
    case 'checklist':
      return checklist(ctx, step);
    case 'command':
      return command(ctx, step);
    case 'sign':
      return sign(ctx, step);
    case 'verify':
      return verify(ctx, step);
    case 'attest':
      return attest(ctx, step);
    case 'device-inventory':
      return deviceInventory(ctx, step);
  }
}

// ## Participants and parameters

const splitNames = (s: string): string[] => s.split(/[\s,]+/).filter((x) => x !== '');

async function participantsOf(ask: Asker, t: Template): Promise<RunParticipants> {
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
function checkFile(ask: Asker, abs: string, field: string): string {
  let file = false;
  try {
    file = statSync(abs).isFile();
  } catch {
    throw ask.error(field, `${abs}: no such file`);
  }
  if (!file) throw ask.error(field, `${abs}: not a regular file`);
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

async function parametersOf(ask: Asker, t: Template): Promise<Map<string, VariableValue>> {
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
    } else {
      const shown = p.default === null ? '' : ` [${Array.isArray(p.default.value) ? p.default.value.join(' ') : String(p.default.value)}]`;
      const read = (s: string): VariableValue | string => (s === '' && p.default !== null ? p.default : checkValue(p.type, typedValue(p.type, s), p));
      const typed = await ask.text(field, `${p.prompt}${p.type === 'boolean' ? ' (yes/no)' : ''}${shown}`, (s) => {
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

function variablesOf(state: RunState, t: Template, ws: Workspace): Variables {
  const vars = new Map<string, VariableValue>([
    ['coordinator', { type: 'name', value: state.participants.coordinator }],
    ['witnesses', { type: 'names', value: state.participants.witnesses }],
    ['keyholders', { type: 'names', value: state.participants.keyholders }],
    ['threshold', { type: 'integer', value: state.participants.threshold }],
    ['run_dir', { type: 'text', value: runDirRel(state.run) }],
    ['workspace', { type: 'text', value: ws.settings.name }],
  ]);
  for (const p of t.parameters) {
    const v = state.parameters[p.id];
    if (v !== undefined) vars.set(p.id, { type: p.type, value: v } as VariableValue);
  }
  return vars;
}

/** Parameters as the run's first entry records them: paths relative to the workspace when inside it. */
function recordedParameters(ws: Workspace, params: ReadonlyMap<string, VariableValue>): JsonObject {
  const out: Record<string, JsonValue> = {};
  for (const [id, v] of params) {
    out[id] =
      v.type === 'path' ? recordedPath(ws, v.value) : v.type === 'paths' ? v.value.map((x) => recordedPath(ws, x)) : v.type === 'names' ? [...v.value] : v.value;
  }
  return out;
}

/** Checks the step answers that depend on who takes part, before anything runs or is written. */
function checkStepAnswers(ask: Asker, t: Template, vars: Variables, participants: RunParticipants): void {
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
function checkSameParticipants(ask: Asker, p: RunParticipants): void {
  const a = ask.participants;
  const same = (x: JsonValue | undefined, y: unknown): boolean => x === undefined || JSON.stringify(x) === JSON.stringify(y);
  for (const [f, v] of [['coordinator', p.coordinator], ['witnesses', p.witnesses], ['keyholders', p.keyholders], ['threshold', p.threshold]] as const) {
    if (!same(a[f], v)) throw ask.error(`participants.${f}`, `differs from the run's (${JSON.stringify(v)}): the participants of a run are fixed when it starts`);
  }
}

// ## Runs on disk

/** The runs of this template not finished or abandoned. */
function openRuns(ws: Workspace, templateId: string): RunState[] {
  let files: string[];
  try {
    files = readdirSync(join(ws.dir, 'runs')).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  return files
    .sort()
    .map((f) => parseRunState(readBoundedFile(join(ws.dir, 'runs', f)), `runs/${f}`))
    .filter((r) => r.template.id === templateId && (r.status === 'running' || r.status === 'stopped'));
}

/** The run ID for a start time: with -2, -3… when a run started in the same second. */
function freeRunId(ws: Workspace, templateId: string, started: string): string {
  for (let i = 1; ; i++) {
    const id = runId(templateId, started, i);
    if (!existsSync(join(ws.dir, runDirRel(id))) && !existsSync(join(ws.dir, stateRel(id)))) return id;
  }
}

/**
 * Brings a resumed state up to date with the audit log: a crash between an
 * entry and the state write leaves the entry, which counts.
 */
function reconcile(ctx: Ctx): void {
  const entries = parseEntries(readAuditLog(ctx.ws.dir).bytes, 'audit/log.jsonl').filter((e) => e.details['run'] === ctx.state.run);
  for (;;) {
    const i = ctx.state.next;
    const step = ctx.template.steps[i];
    if (step === undefined) return;
    const done = entries.find(
      (e) =>
        e.details['index'] === i &&
        ((e.command === 'run step' && (e.details['result'] === 'passed' || e.details['result'] === 'skipped')) || e.command === 'run exception')
    );
    if (done === undefined) break;
    const result: StepResult = done.command === 'run exception' ? 'exception' : (done.details['result'] as StepResult);
    ctx.state = { ...ctx.state, next: i + 1, results: [...ctx.state.results, { step: step.id, result }], partial: null };
  }
  const p = ctx.state.partial;
  if (p !== null) {
    const signed = entries
      .filter((e) => e.command === 'run sign' && e.details['step'] === p.step && e.details['result'] === 'signed')
      .map((e) => str(e.details['keyholder']));
    // A retried sign step asks again those who failed or were absent; signatures collected stay.
    ctx.state = { ...ctx.state, partial: { ...p, signed: [...new Set([...p.signed, ...signed])], skipped: [], failed: [] } };
  }
}

// ## The command

/** The tool as `self-check` identifies it (docs/release.md): recorded in a run's first entry. */
async function toolDetails(tools: RunTools): Promise<JsonObject> {
  const self = await selfHashOnce();
  return { name: 'tuf-ceremony', version: tools.version, sha256: self.sha256, kind: self.kind, files: self.files?.length ?? 1 };
}

function header(ctx: Ctx, i: number, step: Step): void {
  const n = ctx.template.steps.length;
  ctx.say(`\n[${String(i + 1)}/${String(n)}] ${step.precondition ? 'precondition ' : ''}${step.id}: ${expandText(step.title, ctx.vars)} (${step.kind}, ${step.actor})\n`);
}

function readAloud(ctx: Ctx, step: Step): void {
  const text = expandText(step.say, ctx.vars).trimEnd();
  ctx.say(`  read aloud:\n${text.split('\n').map((l) => `  │ ${l}`).join('\n')}\n`);
}

function summary(ctx: Ctx): JsonObject {
  return {
    run: ctx.state.run,
    template: { id: ctx.template.id, revision: ctx.template.revision, sha256: ctx.parsed.sha256 },
    status: ctx.state.status,
    steps: ctx.state.results.map((r) => ({ step: r.step, result: r.result })),
    stopped: ctx.state.stopped,
    state: stateRel(ctx.state.run),
    auditHead: ctx.head,
  };
}

async function stop(ctx: Ctx, step: Step, index: number, reason: string): Promise<void> {
  await record(ctx, 'run stop', { step: step.id, index, reason: oneLineText(printable(reason)) });
  ctx.state = { ...ctx.state, status: 'stopped', stopped: { step: step.id, reason: oneLineText(reason) } };
  await saveState(ctx);
}

async function exceptionReason(ctx: Ctx, step: Step, failure: string): Promise<string | null> {
  const given = ctx.ask.step(step.id).exception;
  if (given !== undefined) return given;
  const typed = await ctx.ask.text(
    `steps.${step.id}.exception`,
    `Step ${step.id} failed (${failure}). The coordinator may continue with an exception: type the reason (empty: stop here)`,
    (s) => (hasControl(s) ? 'one line, without control characters' : true)
  );
  return typed === '' ? null : typed;
}

/** Runs the steps from `ctx.state.next` to the end. */
async function walk(ctx: Ctx): Promise<void> {
  const steps = ctx.template.steps;
  for (let i = ctx.state.next; i < steps.length; i++) {
    const step = steps[i] as Step;
    header(ctx, i, step);
    const base = { index: i, step: step.id, title: oneLineText(expandText(step.title, ctx.vars)), kind: step.kind, actor: step.actor, precondition: step.precondition };
    let result: StepResult;
    if (!isStepEnabled(step, ctx.vars)) {
      ctx.say(`  skipped: ${step.when?.negate === true ? 'not needed when' : 'only when'} ${step.when?.parameter ?? ''}\n`);
      await record(ctx, 'run step', { ...base, result: 'skipped', reason: `when: ${step.when?.negate === true ? 'not ' : ''}${step.when?.parameter ?? ''}` });
      result = 'skipped';
    } else {
      readAloud(ctx, step);
      let outcome: StepOutcome;
      try {
        outcome = await execute(ctx, step);
      } catch (e) {
        if (e instanceof InputError || e instanceof CancelledError) await stop(ctx, step, i, e.message);
        throw e;
      }
      const failure = outcome.failure;
      await record(ctx, 'run step', { ...base, result: outcome.passed ? 'passed' : 'failed', ...(failure === undefined ? {} : { failure: printable(failure) }), ...outcome.observed });
      if (outcome.passed) {
        ctx.say('  ✓ passed\n');
        result = 'passed';
      } else {
        ctx.say(`  ✗ failed: ${failure ?? ''}\n`);
        let reason: string | null = null;
        if (step.on_failure === 'exception-allowed') {
          try {
            reason = await exceptionReason(ctx, step, failure ?? 'failed');
          } catch (e) {
            if (e instanceof InputError || e instanceof CancelledError) await stop(ctx, step, i, e.message);
            throw e;
          }
        }
        if (reason === null) {
          await stop(ctx, step, i, `step ${step.id} failed: ${failure ?? ''}`);
          if (ctx.global.json) ctx.io.stdout(JSON.stringify({ ok: false, ...summary(ctx) }, null, 2) + '\n');
          throw new VerificationError(`step ${step.id} failed: ${failure ?? 'see above'}; the run stopped there`, {
            hint: `fix the cause, then run the same command again: run ${ctx.state.run} resumes at step ${step.id} (or abandon it with --abandon)`,
          });
        }
        await record(ctx, 'run exception', { index: i, step: step.id, reason, failure: printable(failure ?? '') });
        ctx.say(`  ! exception recorded: ${reason}\n`);
        result = 'exception';
      }
    }
    ctx.state = { ...ctx.state, next: i + 1, results: [...ctx.state.results, { step: step.id, result }], partial: null };
    await saveState(ctx);
  }
}

/**
 * `run TEMPLATE [--answers FILE] [--list] [--check] [--abandon]`
 * @returns 0 when the run finished
 * @throws InputError (exit 2) for a bad template or answers file (nothing written), or a missing answer (the run stops there)
 * @throws VerificationError (exit 1) when a step failed and the run stopped
 */
export async function runRun(templateArg: string | undefined, opts: RunOptions, global: GlobalOptions, io: Io, prompter: Prompter | null, tools: RunTools): Promise<number> {
  if (opts.list === true) return listTemplates(global, io);
  if (templateArg === undefined) throw new UsageError('TEMPLATE: name a shipped template (see `tuf-ceremony run --list`) or a template file');
  const parsed = loadTemplate(templateArg, io);
  const t = parsed.template;
  if (opts.check === true) {
    if (global.json) io.stdout(JSON.stringify({ ok: true, file: parsed.file, id: t.id, revision: t.revision, sha256: parsed.sha256, steps: t.steps.length }, null, 2) + '\n');
    else io.stdout(`${parsed.file}: template ${t.id} revision ${String(t.revision)}, ${String(t.steps.length)} steps, valid\nSHA-256 ${parsed.sha256}\n`);
    return 0;
  }
  let answers: Answers | null = null;
  let answersDir = io.cwd;
  if (opts.answers !== undefined) {
    const path = resolve(io.cwd, opts.answers);
    answers = parseAnswers(readBoundedFile(path, MAX_ANSWERS_BYTES), opts.answers, t);
    answersDir = dirname(path);
  }
  if (compareVersions(tools.version, t.requires.tool) < 0) {
    throw new InputError(`${parsed.file}: requires.tool: the template needs tuf-ceremony ${t.requires.tool} or later; this is ${tools.version}`, {
      file: parsed.file,
      field: 'requires.tool',
    });
  }
  const ws = openWorkspace(workspaceDir(global, io));
  const ask = new Asker(answers, answersDir, prompter, io.cwd, !global.input);
  const say = (text: string): void => (global.json ? io.stderr(text) : io.stdout(text));
  const open = openRuns(ws, t.id);
  const current = open[open.length - 1];
  if (opts.abandon === true) {
    if (current === undefined) throw new InputError(`no unfinished run of template ${t.id} to abandon`, { field: '--abandon' });
    const ctx: Ctx = { io, global, tools, ws, parsed, template: t, ask, noInput: !global.input, say, state: current, vars: variablesOf(current, t, ws), head: '' };
    await record(ctx, 'run abandon', { step: t.steps[current.next]?.id ?? null, index: current.next });
    ctx.state = { ...current, status: 'abandoned' };
    await saveState(ctx);
    if (global.json) io.stdout(JSON.stringify({ ok: true, ...summary(ctx) }, null, 2) + '\n');
    else io.stdout(`run ${current.run} abandoned at step ${String(current.next + 1)}\naudit head: ${ctx.head}\n`);
    return 0;
  }
  let ctx: Ctx;
  if (current !== undefined) {
    if (current.template.sha256 !== parsed.sha256) {
      throw new InputError(
        `${parsed.file}: the template changed since run ${current.run} started (SHA-256 ${current.template.sha256.slice(0, 16)}…, now ${parsed.sha256.slice(0, 16)}…); a run is resumed only with the template it started with`,
        { file: parsed.file, hint: `restore that template, or abandon the run: tuf-ceremony run ${templateArg} --abandon` }
      );
    }
    ctx = { io, global, tools, ws, parsed, template: t, ask, noInput: !global.input, say, state: current, vars: variablesOf(current, t, ws), head: '' };
    checkSameParticipants(ask, current.participants);
    checkStepAnswers(ask, t, ctx.vars, current.participants);
    reconcile(ctx);
    ctx.state = { ...ctx.state, status: 'running', stopped: null };
    say(`resuming run ${current.run} of ${t.title} at step ${String(ctx.state.next + 1)} of ${String(t.steps.length)}\n`);
    await record(ctx, 'run resume', { step: t.steps[ctx.state.next]?.id ?? null, index: ctx.state.next, template_sha256: parsed.sha256, tool: await toolDetails(tools) });
    await saveState(ctx);
  } else {
    const participants = await participantsOf(ask, t);
    const params = await parametersOf(ask, t);
    const started = formatExpires(io.now());
    const id = freeRunId(ws, t.id, started);
    const state: RunState = {
      format: RUN_FORMAT,
      run: id,
      template: { id: t.id, revision: t.revision, sha256: parsed.sha256, file: parsed.file },
      started,
      status: 'running',
      participants,
      parameters: recordedParameters(ws, params),
      next: 0,
      results: [],
      partial: null,
      stopped: null,
    };
    ctx = { io, global, tools, ws, parsed, template: t, ask, noInput: !global.input, say, state, vars: variablesOf(state, t, ws), head: '' };
    checkStepAnswers(ask, t, ctx.vars, participants);
    const tool = await toolDetails(tools);
    say(`${t.title}: template ${t.id} revision ${String(t.revision)}\n  template SHA-256: ${readableHead(parsed.sha256)}\n  tuf-ceremony ${tools.version}, SHA-256 ${readableHead(str(tool['sha256']))}\n`);
    mkdirSync(join(ws.dir, runDirRel(id)), { recursive: true });
    const written: { path: string; sha256: string }[] = [];
    for (const f of t.files) {
      const bytes = Buffer.from(expandFile(f.text, ctx.vars), 'utf8');
      const rel = `${runDirRel(id)}/${f.name}`;
      await writeFileAtomic(join(ws.dir, rel), bytes, { exclusive: true, root: ws.dir });
      written.push({ path: rel, sha256: sha256Hex(bytes) });
    }
    await record(
      ctx,
      'run start',
      {
        template: { id: t.id, revision: t.revision, title: t.title, file: parsed.file, sha256: parsed.sha256 },
        tool,
        participants: { ...participants },
        parameters: state.parameters,
        steps: t.steps.length,
        sign_off: oneLineText(expandText(t.sign_off.statement, ctx.vars)),
      },
      { read: [{ path: recordedPath(ws, parsed.path), sha256: parsed.sha256 }], written }
    );
    await saveState(ctx);
    say(`run ${id} started; its state is ${stateRel(id)}\n`);
  }
  await walk(ctx);
  const count = (r: StepResult): number => ctx.state.results.filter((x) => x.result === r).length;
  await record(ctx, 'run finish', { steps: t.steps.length, passed: count('passed'), exceptions: count('exception'), skipped: count('skipped') });
  ctx.state = { ...ctx.state, status: 'finished' };
  await saveState(ctx);
  if (global.json) io.stdout(JSON.stringify({ ok: true, ...summary(ctx) }, null, 2) + '\n');
  else {
    io.stdout(
      `\nceremony finished: ${String(count('passed'))} steps passed, ${String(count('exception'))} with exceptions, ${String(count('skipped'))} skipped\n` +
        `audit head, to write on the sign-off sheet:\n  ${ctx.head}\n  ${readableHead(ctx.head)}\n` +
        `transcript: tuf-ceremony audit export --run ${ctx.state.run} --format html --out ${ctx.state.run}.html\n`
    );
  }
  return 0;
}
