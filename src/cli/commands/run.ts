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
import { parseAnswers, MAX_ANSWERS_BYTES, type Answers } from '../../ceremony/answers.js';
import {
  parseRunState,
  runId,
  serializeRunState,
  RUN_FORMAT,
  type PartialSign,
  type RunState,
  type StepResult,
} from '../../ceremony/run-state.js';
import { at, errorReason, oneLineText, parseJsonOutput, safe, str, thresholdsInStatus, thresholdText, type DraftThreshold } from '../../ceremony/run-output.js';
import { Asker, checkSameParticipants, checkStepAnswers, parametersOf, participantsOf } from '../../ceremony/run-questions.js';
import { resumePoint, type ResumePoint } from '../../ceremony/run-recovery.js';
import { parseSignatureFile, MAX_SIGNATURE_FILE_BYTES } from '../../ceremony/signature-file.js';
import { hasControl } from '../../ceremony/yaml.js';
import { redact } from '../../crypto/pkcs11-uri.js';
import {
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

/** What a path names, for the answers' file checks. */
function pathKind(abs: string): 'file' | 'other' | 'missing' {
  try {
    return statSync(abs).isFile() ? 'file' : 'other';
  } catch {
    return 'missing';
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
async function sub(ctx: Ctx, argv: readonly string[], capture: boolean): Promise<{ code: number; stdout: string; stderr: string }> {
  let out = '';
  let err = '';
  const args = [...(capture ? ['--json'] : []), ...(ctx.noInput ? ['--no-input'] : []), ...(ctx.global.color ? [] : ['--no-color']), ...argv];
  const io: Io = {
    ...ctx.io,
    cwd: ctx.ws.dir,
    stdout: (t) => {
      if (capture) out += t;
      else ctx.say(t);
    },
    // Shown as it comes, and kept: a failure's `error[CODE]: …` line is its reason.
    stderr: (t) => {
      err += t;
      ctx.io.stderr(t);
    },
  };
  // A pkcs11: URI typed as a key could carry a PIN, which is refused later but must never be shown.
  const shown = argv.map((a) => redact(a)).map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a)));
  ctx.say(`  $ tuf-ceremony ${shown.join(' ')}\n`);
  const code = await ctx.tools.main(args, io);
  return { code, stdout: out, stderr: err };
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
  const failure = r.code !== step.expect.exit ? `exit ${String(r.code)}, expected ${String(step.expect.exit)}${r.code === 0 ? '' : `: ${errorReason(r.stderr, r.code)}`}` : bad[0];
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

/**
 * The thresholds the draft of `role` must meet (old AND new root for a root
 * draft), from `status --json`: the draft's verified signatures are the
 * truth, not what the run remembers. Null when there is no such draft.
 */
async function draftThresholds(ctx: Ctx, role: string): Promise<DraftThreshold[] | null> {
  const r = await sub(ctx, ['status'], true);
  return r.code === 0 ? thresholdsInStatus(parseJsonOutput(r.stdout), role) : null;
}

/**
 * A sign step: each signer not yet in the draft signs in turn; a failed
 * signature (a wrong passphrase) is offered again at once; the step passes
 * only when every threshold of the draft holds (old AND new root).
 */
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
      return { passed: false, failure: `request ${step.role} exited ${String(r.code)}: ${errorReason(r.stderr, r.code)}`, observed: { role: step.role, exit: r.code } };
    }
    await save({ ...p, request: file });
  }
  const request = p.request as string;
  const req = parseJsonOutput(Buffer.from(readBoundedFile(join(ctx.ws.dir, request))).toString('utf8'));
  const signedSha = at(req, 'signed_sha256');
  const version = at(req, 'version');
  ctx.say(`  signing request ${request}: ${step.role} version ${str(version)}\n`);
  ctx.say(`  SHA-256 of the bytes to sign, to read aloud: ${readableHead(str(signedSha))}\n`);
  // Who already has a verified signature in the draft (an earlier attempt, a resumed run) is not asked again.
  const before = await draftThresholds(ctx, step.role);
  const inDraft = new Set((before ?? []).flatMap((t) => t.signedBy));
  for (const name of signers) {
    if (inDraft.has(name) || p.signed.includes(name) || p.skipped.includes(name) || p.failed.includes(name)) continue;
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
    for (let attempt = 1; ; attempt++) {
      const out = sigOut(ctx, step, name);
      const args = ['sign', request, '--key', keyref, '--out', out, ...(pub === undefined ? [] : ['--pub', ctx.ask.pathFromFile(pub)]), ...(answers.confirm === true ? ['--yes'] : [])];
      const r = await sub(ctx, args, false);
      if (r.code === 130) {
        // Answering no to the review is a decision; Ctrl-C (at the passphrase prompt or anywhere) is not.
        const declined = /the keyholder declined/.test(r.stderr);
        await record(ctx, 'run sign', { step: step.id, keyholder: name, result: declined ? 'declined' : 'interrupted', attempt }, { actor: name });
        throw new CancelledError(declined ? `${name} declined to sign` : `interrupted (Ctrl-C) while ${name} was signing`);
      }
      if (r.code !== 0) {
        const reason = errorReason(r.stderr, r.code);
        ctx.say(`  ✗ ${name} did not sign: ${reason}\n`);
        await record(ctx, 'run sign', { step: step.id, keyholder: name, result: 'failed', exit: r.code, attempt, reason }, { actor: name });
        if (ctx.ask.canAsk() && (await ctx.ask.confirm(`steps.${step.id}.retry`, `${name}: signing failed (${reason}). Try again?`, true))) continue;
        await save({ ...p, failed: [...p.failed, name] });
        break;
      }
      const bytes = readBoundedFile(join(ctx.ws.dir, out), MAX_SIGNATURE_FILE_BYTES);
      const sf = parseSignatureFile(bytes, out);
      const c = sf.keyholder === name ? await sub(ctx, ['collect', out], false) : { code: -1, stderr: '' };
      const result = sf.keyholder !== name ? 'wrong-keyholder' : c.code === 0 ? 'signed' : 'rejected';
      await record(
        ctx,
        'run sign',
        { step: step.id, keyholder: name, result, attempt, role: sf.role, version: sf.version, signed_sha256: sf.signed_sha256, keyid: sf.keyid, signed_by: sf.keyholder },
        { actor: name, written: [{ path: out, sha256: sha256Hex(bytes) }], device: sf.device }
      );
      await save(result === 'signed' ? { ...p, signed: [...p.signed, name] } : { ...p, failed: [...p.failed, name] });
      break;
    }
  }
  const after = (await draftThresholds(ctx, step.role)) ?? [];
  for (const t of after) ctx.say(`  ${thresholdText(t)}\n`);
  const signedNow = signers.filter((n) => after.some((t) => t.signedBy.includes(n)));
  const observed = {
    role: step.role,
    request,
    version: safe(version),
    signed_sha256: safe(signedSha),
    needed,
    signed: signedNow,
    absent: [...p.skipped],
    failed: [...p.failed],
    thresholds: after.map((t) => ({ label: t.label, root_version: t.rootVersion, threshold: t.threshold, keys: t.keys, signed_by: [...t.signedBy], met: t.met })),
  };
  const unmet = after.filter((t) => !t.met);
  const failure =
    after.length === 0
      ? `no thresholds for a ${step.role} draft: status found none`
      : unmet.length > 0
        ? unmet.map(thresholdText).join('; ')
        : signedNow.length < needed
          ? `${String(signedNow.length)} of the signers signed, the template needs ${String(needed)}`
          : undefined;
  return { passed: failure === undefined, ...(failure === undefined ? {} : { failure }), observed };
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
  const mine = parseEntries(readAuditLog(ctx.ws.dir).bytes, 'audit/log.jsonl').filter((e) => e.details['run'] === ctx.state.run);
  // Steps recorded before the last stop were done before it (or undone by going back to an earlier step).
  const lastStop = mine.findLast((e) => e.command === 'run stop');
  const entries = lastStop === undefined ? mine : mine.filter((e) => e.seq > lastStop.seq);
  const back = lastStop?.details['resume_index'];
  if (typeof back === 'number' && Number.isSafeInteger(back) && back >= 0 && back < ctx.state.next) {
    // A crash after the stop entry but before the state was written: go back as the entry says.
    ctx.state = { ...ctx.state, next: back, results: ctx.state.results.slice(0, back), partial: null };
  }
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

/**
 * Stops the run at step `index`. It resumes there, or at `resume` (an
 * earlier step that can fix the failure): the steps from there on run again.
 */
async function stop(ctx: Ctx, step: Step, index: number, reason: string, resume: ResumePoint = { index, why: null }): Promise<void> {
  const to = ctx.template.steps[resume.index] as Step;
  const full = resume.why === null ? reason : `${reason}; ${resume.why}: the run resumes at step ${to.id}`;
  await record(ctx, 'run stop', { step: step.id, index, reason: oneLineText(printable(full)), resume_step: to.id, resume_index: resume.index });
  const back = resume.index < ctx.state.next;
  ctx.state = {
    ...ctx.state,
    status: 'stopped',
    stopped: { step: to.id, reason: oneLineText(full) },
    ...(back ? { next: resume.index, results: ctx.state.results.slice(0, resume.index), partial: null } : {}),
  };
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
          const resume = resumePoint(ctx.template, ctx.vars, i);
          const to = (steps[resume.index] as Step).id;
          await stop(ctx, step, i, `step ${step.id} failed: ${failure ?? ''}`, resume);
          if (ctx.global.json) ctx.io.stdout(JSON.stringify({ ok: false, ...summary(ctx) }, null, 2) + '\n');
          else if (resume.why !== null) ctx.say(`  ↩ ${resume.why}: the run resumes at step ${to}\n`);
          throw new VerificationError(`step ${step.id} failed: ${failure ?? 'see above'}; the run stopped there`, {
            hint: `${resume.why === null ? 'fix the cause' : resume.why}, then run the same command again: run ${ctx.state.run} resumes at step ${to} (or abandon it with --abandon)`,
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
  const ask = new Asker(answers, answersDir, prompter, io.cwd, !global.input, pathKind);
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
