// SPDX-License-Identifier: Apache-2.0
/**
 * The step kinds of a guided ceremony (docs/templates.md): what each does
 * and when it passes. `checklist` passes when every item is confirmed;
 * `command` when the command exits as expected (a check such as
 * `status ROLE` exits 1 while the draft is not publishable) and its
 * `--json` output holds the expected values; `sign` when the draft meets
 * every threshold it is for (old AND new root), by the draft's verified
 * signatures; `verify`, `attest` and `device-inventory` by their checks.
 * Pure: the world is reached through the run's {@link RunEffects}.
 */
import { readableHead } from '../audit/render.js';
import { CancelledError } from '../errors.js';
import { formatExpires, parseExpires } from '../metadata/expires.js';
import type { JsonObject } from '../metadata/json.js';
import { sha256Hex } from '../metadata/sha256.js';
import type { RunContext, StepOutcome } from './run-engine.js';
import { at, errorReason, oneLineText, parseJsonOutput, safe, str, thresholdsInStatus, thresholdText, type DraftThreshold } from './run-output.js';
import { runDirPath, type PartialSign } from './run-state.js';
import { parseSignatureFile, MAX_SIGNATURE_FILE_BYTES } from './signature-file.js';
import { compareVersions, expandArgv, expandText, namesOf, signaturesNeeded, type Step } from './template.js';

type StepOf<K extends Step['kind']> = Extract<Step, { kind: K }>;

/** The outcome: passed when there is no failure. */
function outcome(failure: string | undefined, observed: JsonObject): StepOutcome {
  return failure === undefined ? { passed: true, observed } : { passed: false, failure, observed };
}

async function checklist(run: RunContext, step: StepOf<'checklist'>): Promise<StepOutcome> {
  const a = run.ask.step(step.id).confirm;
  const items = step.items.map((i) => expandText(i, run.vars));
  const confirmed: boolean[] = [];
  for (const [i, item] of items.entries()) {
    let ok: boolean;
    if (a !== undefined) ok = typeof a === 'boolean' ? a : (a[i] ?? false);
    else ok = await run.ask.confirm(`steps.${step.id}.confirm`, `☐ ${item}`);
    run.say(`  ${ok ? '☑' : '☒'} ${item}\n`);
    confirmed.push(ok);
  }
  const missed = confirmed.flatMap((ok, i) => (ok ? [] : [i + 1]));
  return outcome(missed.length === 0 ? undefined : `item${missed.length === 1 ? '' : 's'} ${missed.join(', ')} not confirmed`, { items: items.length, confirmed });
}

async function command(run: RunContext, step: StepOf<'command'>): Promise<StepOutcome> {
  const argv = expandArgv(step.run, run.vars);
  const capture = step.expect.json.length > 0;
  const r = await run.fx.command(argv, capture);
  const out = capture ? parseJsonOutput(r.stdout) : null;
  const checks = step.expect.json.map((c) => {
    const actual = at(out, c.path);
    return { path: c.path, expected: c.value, actual: safe(actual), ok: actual === c.value };
  });
  for (const c of checks) run.say(`  ${c.ok ? '✓' : '✗'} ${c.path} = ${JSON.stringify(c.actual)} (expected ${JSON.stringify(c.expected)})\n`);
  const bad = checks.filter((c) => !c.ok).map((c) => `${c.path} is ${JSON.stringify(c.actual)}, expected ${JSON.stringify(c.expected)}`);
  // The exit code first: a check that says "not yet" (exit 1) fails the step whatever it printed.
  const failure = r.code !== step.expect.exit ? `exit ${String(r.code)}, expected ${String(step.expect.exit)}${r.code === 0 ? '' : `: ${errorReason(r.stderr, r.code)}`}` : bad[0];
  return outcome(failure, { argv, exit: r.code, expected_exit: step.expect.exit, json: checks });
}

// ## Signing

/** A signature file name not taken yet (a retried signer gets -2, -3…: `sign` never replaces a file). */
function sigOut(run: RunContext, step: Step, name: string): string {
  const base = `${runDirPath(run.state.run)}/${step.id}.${name}`;
  for (let i = 1; ; i++) {
    const path = `${base}${i > 1 ? `-${String(i)}` : ''}.sig.json`;
    if (!run.fx.exists(path)) return path;
  }
}

/**
 * The thresholds the draft of `role` must meet (old AND new root for a root
 * draft), from `status --json`: the draft's verified signatures are the
 * truth, not what the run remembers. Null when there is no such draft.
 */
async function draftThresholds(run: RunContext, role: string): Promise<DraftThreshold[] | null> {
  const r = await run.fx.command(['status'], true);
  return r.code === 0 ? thresholdsInStatus(parseJsonOutput(r.stdout), role) : null;
}

/**
 * Whether a sign step passed, from the draft's thresholds after signing:
 * every threshold must be met (for a root draft, the old root's AND the new
 * root's), and at least `needed` of the step's signers must have signed.
 * @returns the failure, or undefined when the step passed
 */
export function signFailure(role: string, thresholds: readonly DraftThreshold[], signedNow: number, needed: number): string | undefined {
  const unmet = thresholds.filter((t) => !t.met);
  if (thresholds.length === 0) return `no thresholds for a ${role} draft: status found none`;
  if (unmet.length > 0) return unmet.map(thresholdText).join('; ');
  if (signedNow < needed) return `${String(signedNow)} of the signers signed, the template needs ${String(needed)}`;
  return undefined;
}

/** The key a signer signs with now: from the answers file or typed; null when they do not sign. */
async function keyOf(run: RunContext, step: StepOf<'sign'>, name: string): Promise<string | null> {
  const answers = run.ask.step(step.id);
  if (answers.keys?.has(name) === true) {
    const k = answers.keys.get(name) ?? null;
    return k === null || k.startsWith('pkcs11:') ? k : run.ask.pathFromFile(k);
  }
  const typed = await run.ask.text(`steps.${step.id}.keys.${name}`, `Key of ${name} (a key file or a pkcs11: URI; empty if ${name} does not sign now)`, () => true);
  return typed === '' ? null : typed.startsWith('pkcs11:') ? typed : run.ask.pathTyped(typed);
}

/**
 * One signer signs `request` with `keyref`; a failed signature (a wrong
 * passphrase) is offered again at once when someone can answer.
 * @returns whether the signature is now collected into the draft
 * @throws CancelledError when the keyholder declined or Ctrl-C was pressed (recorded as which)
 */
async function signAs(run: RunContext, step: StepOf<'sign'>, name: string, request: string, keyref: string): Promise<boolean> {
  const answers = run.ask.step(step.id);
  const pub = answers.pubs?.get(name);
  for (let attempt = 1; ; attempt++) {
    const out = sigOut(run, step, name);
    const args = ['sign', request, '--key', keyref, '--out', out, ...(pub === undefined ? [] : ['--pub', run.ask.pathFromFile(pub)]), ...(answers.confirm === true ? ['--yes'] : [])];
    const r = await run.fx.command(args, false);
    if (r.code === 130) {
      // Answering no to the review is a decision; Ctrl-C (at the passphrase prompt or anywhere) is not.
      const declined = /the keyholder declined/.test(r.stderr);
      await run.record('run sign', { step: step.id, keyholder: name, result: declined ? 'declined' : 'interrupted', attempt }, { actor: name });
      throw new CancelledError(declined ? `${name} declined to sign` : `interrupted (Ctrl-C) while ${name} was signing`);
    }
    if (r.code !== 0) {
      const reason = errorReason(r.stderr, r.code);
      run.say(`  ✗ ${name} did not sign: ${reason}\n`);
      await run.record('run sign', { step: step.id, keyholder: name, result: 'failed', exit: r.code, attempt, reason }, { actor: name });
      if (run.ask.canAsk() && (await run.ask.confirm(`steps.${step.id}.retry`, `${name}: signing failed (${reason}). Try again?`, true))) continue;
      return false;
    }
    const bytes = run.fx.readFile(out, MAX_SIGNATURE_FILE_BYTES);
    const sf = parseSignatureFile(bytes, out);
    const c = sf.keyholder === name ? await run.fx.command(['collect', out], false) : { code: -1, stderr: '' };
    const result = sf.keyholder !== name ? 'wrong-keyholder' : c.code === 0 ? 'signed' : 'rejected';
    await run.record(
      'run sign',
      { step: step.id, keyholder: name, result, attempt, role: sf.role, version: sf.version, signed_sha256: sf.signed_sha256, keyid: sf.keyid, signed_by: sf.keyholder },
      { actor: name, written: [{ path: out, sha256: sha256Hex(bytes) }], device: sf.device }
    );
    return result === 'signed';
  }
}

/**
 * A sign step: each signer not yet in the draft signs in turn; a failed
 * signature (a wrong passphrase) is offered again at once; the step passes
 * only when every threshold of the draft holds (old AND new root).
 */
async function sign(run: RunContext, step: StepOf<'sign'>): Promise<StepOutcome> {
  const signers = namesOf(run.vars, step.signers);
  const needed = signaturesNeeded(step, run.vars);
  const answers = run.ask.step(step.id);
  let p: PartialSign = run.state.partial?.step === step.id ? run.state.partial : { step: step.id, request: null, signed: [], skipped: [], failed: [] };
  const save = async (next: PartialSign): Promise<void> => {
    p = next;
    run.state = { ...run.state, partial: p };
    await run.save();
  };
  if (p.request === null) {
    const r = await run.fx.command(['request', step.role], true);
    const file = at(parseJsonOutput(r.stdout), 'file');
    if (r.code !== 0 || typeof file !== 'string') {
      return outcome(`request ${step.role} exited ${String(r.code)}: ${errorReason(r.stderr, r.code)}`, { role: step.role, exit: r.code });
    }
    await save({ ...p, request: file });
  }
  const request = p.request as string;
  const req = parseJsonOutput(Buffer.from(run.fx.readFile(request)).toString('utf8'));
  const signedSha = at(req, 'signed_sha256');
  const version = at(req, 'version');
  run.say(`  signing request ${request}: ${step.role} version ${str(version)}\n`);
  run.say(`  SHA-256 of the bytes to sign, to read aloud: ${readableHead(str(signedSha))}\n`);
  // Who already has a verified signature in the draft (an earlier attempt, a resumed run) is not asked again.
  const before = await draftThresholds(run, step.role);
  const inDraft = new Set((before ?? []).flatMap((t) => t.signedBy));
  for (const name of signers) {
    if (inDraft.has(name) || p.signed.includes(name) || p.skipped.includes(name) || p.failed.includes(name)) continue;
    const keyref = await keyOf(run, step, name);
    if (keyref === null) {
      run.say(`  – ${name} does not sign\n`);
      await run.record('run sign', { step: step.id, keyholder: name, result: 'absent' }, { actor: name });
      await save({ ...p, skipped: [...p.skipped, name] });
      continue;
    }
    if (answers.confirm === undefined && !run.ask.canAsk()) throw run.ask.missing(`steps.${step.id}.confirm`);
    if (answers.confirm === false) throw run.ask.error(`steps.${step.id}.confirm`, 'false: the keyholders did not accept the review, so nothing is signed');
    const signed = await signAs(run, step, name, request, keyref);
    await save(signed ? { ...p, signed: [...p.signed, name] } : { ...p, failed: [...p.failed, name] });
  }
  const after = (await draftThresholds(run, step.role)) ?? [];
  for (const t of after) run.say(`  ${thresholdText(t)}\n`);
  const signedNow = signers.filter((n) => after.some((t) => t.signedBy.includes(n)));
  return outcome(signFailure(step.role, after, signedNow.length, needed), {
    role: step.role,
    request,
    version: safe(version),
    signed_sha256: safe(signedSha),
    needed,
    signed: signedNow,
    absent: [...p.skipped],
    failed: [...p.failed],
    thresholds: after.map((t) => ({ label: t.label, root_version: t.rootVersion, threshold: t.threshold, keys: t.keys, signed_by: [...t.signedBy], met: t.met })),
  });
}

// ## Checks

async function verifyTool(run: RunContext, step: Step): Promise<StepOutcome> {
  const self = await run.fx.tool();
  const version = run.setup.toolVersion;
  const required = run.template.requires.tool;
  run.say(`  tuf-ceremony ${version} (the template needs ${required} or later)\n  SHA-256 of its code: ${readableHead(self.sha256)}\n`);
  let expected = run.ask.step(step.id).sha256;
  if (expected === undefined) {
    const typed = await run.ask.text(`steps.${step.id}.sha256`, `SHA-256 published for tuf-ceremony ${version} (64 hex digits)`, (s) =>
      /^[0-9a-f]{64}$/.test(s.replace(/[\s:]/g, '').toLowerCase()) ? true : 'give 64 hex digits (spaces are ignored)'
    );
    expected = typed.replace(/[\s:]/g, '').toLowerCase();
  }
  const versionOk = compareVersions(version, required) >= 0;
  const match = expected === self.sha256;
  const failure = !versionOk ? `tuf-ceremony ${version} is older than ${required}` : !match ? `the code's SHA-256 is not the one published (${expected.slice(0, 16)}…)` : undefined;
  return outcome(failure, { version, required, sha256: self.sha256, expected_sha256: expected, kind: self.kind, files: self.files });
}

async function verifyClock(run: RunContext, step: StepOf<'verify'>): Promise<StepOutcome> {
  const now = run.fx.now();
  const machine = formatExpires(now);
  run.say(`  this machine's clock: ${machine} (UTC)\n`);
  const a = run.ask.step(step.id);
  let reference = a.reference_time;
  if (reference === undefined && a.confirm === undefined) {
    reference = await run.ask.text(`steps.${step.id}.reference_time`, 'Time on the reference clock, UTC (YYYY-MM-DDTHH:MM:SSZ)', (s) =>
      parseExpires(s) === undefined ? 'give a date-time such as 2026-11-23T10:00:00Z' : true
    );
  }
  if (reference === undefined) {
    const ok = a.confirm === true;
    return outcome(ok ? undefined : 'the clock was not confirmed', { machine_time: machine, confirmed: ok, max_skew_minutes: step.max_skew_minutes });
  }
  const ref = parseExpires(reference);
  const skew = ref === undefined ? Number.MAX_SAFE_INTEGER : Math.round(Math.abs(now - ref.ms) / 1000);
  const ok = skew <= step.max_skew_minutes * 60;
  return outcome(ok ? undefined : `the clocks differ by ${String(skew)} s, more than ${String(step.max_skew_minutes)} min`, {
    machine_time: machine,
    reference_time: reference,
    skew_seconds: skew,
    max_skew_minutes: step.max_skew_minutes,
  });
}

async function verify(run: RunContext, step: StepOf<'verify'>): Promise<StepOutcome> {
  switch (step.check) {
    case 'tool':
      return verifyTool(run, step);
    case 'clock':
      return verifyClock(run, step);
    case 'repository': {
      const r = await run.fx.command(['verify', 'metadata'], false);
      return outcome(r.code === 0 ? undefined : `verify exited ${String(r.code)}`, { exit: r.code });
    }
    case 'audit': {
      const r = await run.fx.command(['audit', 'verify'], true);
      const o = parseJsonOutput(r.stdout);
      const head = at(o, 'head');
      run.say(`  audit log: ${str(at(o, 'entries'))} entries, ${r.code === 0 ? 'chain intact' : 'FAILED'}; head ${readableHead(str(head))}\n`);
      return outcome(r.code === 0 ? undefined : `audit verify exited ${String(r.code)}`, { exit: r.code, entries: safe(at(o, 'entries')), head: safe(head) });
    }
  }
}

async function attest(run: RunContext, step: StepOf<'attest'>): Promise<StepOutcome> {
  const statement = expandText(step.statement, run.vars);
  run.say(`  statement: ${statement.trim().split('\n').join('\n             ')}\n`);
  const a = run.ask.step(step.id);
  const witnesses = run.state.participants.witnesses;
  const witness =
    a.witness ??
    (await run.ask.text(`steps.${step.id}.witness`, `Witness making the statement (${witnesses.join(', ')})`, (s) =>
      witnesses.includes(s) ? true : `one of ${witnesses.join(', ')}`
    ));
  const confirmed = a.confirm ?? (await run.ask.confirm(`steps.${step.id}.confirm`, `${witness}: do you attest this statement?`));
  const ok = confirmed === true;
  await run.record('run attest', { step: step.id, witness, statement: oneLineText(statement), confirmed: ok }, { actor: witness });
  return outcome(ok ? undefined : `${witness} did not attest the statement`, { witness, confirmed: ok });
}

async function deviceInventory(run: RunContext, step: StepOf<'device-inventory'>): Promise<StepOutcome> {
  const r = await run.fx.command(['tokens'], true);
  const o = parseJsonOutput(r.stdout);
  const list = at(o, 'tokens');
  const field = (t: unknown, f: string): ReturnType<typeof at> => at(t as JsonObject, f);
  const tokens = Array.isArray(list)
    ? list.map((t) => safe({ model: field(t, 'model') ?? null, vendorId: field(t, 'vendorId') ?? null, productId: field(t, 'productId') ?? null, product: field(t, 'product') ?? null, serial: field(t, 'serial') ?? null }))
    : [];
  const warnings = safe(at(o, 'warnings') ?? []);
  const recognized = at(o, 'recognized');
  const known = typeof recognized === 'number' ? recognized : 0;
  const warned = Array.isArray(warnings) ? warnings.length : 0;
  run.say(`  ${str(at(o, 'devices') ?? 0)} HID devices, ${String(known)} known tokens${warned > 0 ? `, ${String(warned)} warnings` : ''}\n`);
  for (const t of tokens) run.say(`    ${str(field(t, 'model') ?? 'unknown')} ${str(field(t, 'vendorId'))}:${str(field(t, 'productId'))} serial ${str(field(t, 'serial'))}\n`);
  const failure =
    r.code !== 0
      ? `tokens exited ${String(r.code)}`
      : known < step.expect.min_tokens
        ? `${String(known)} known tokens, at least ${String(step.expect.min_tokens)} expected`
        : step.expect.no_warnings && warned > 0
          ? `${String(warned)} warnings (unexpected devices)`
          : undefined;
  return outcome(failure, { exit: r.code, devices: safe(at(o, 'devices') ?? 0), recognized: known, tokens, warnings, expected: { min_tokens: step.expect.min_tokens, no_warnings: step.expect.no_warnings } });
}

/** Runs one (enabled) step and judges it. */
export function executeStep(run: RunContext, step: Step): Promise<StepOutcome> {
  switch (step.kind) {
    case 'checklist':
      return checklist(run, step);
    case 'command':
      return command(run, step);
    case 'sign':
      return sign(run, step);
    case 'verify':
      return verify(run, step);
    case 'attest':
      return attest(run, step);
    case 'device-inventory':
      return deviceInventory(run, step);
  }
}
