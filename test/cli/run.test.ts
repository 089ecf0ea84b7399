// SPDX-License-Identifier: Apache-2.0
/**
 * `tuf-ceremony run TEMPLATE [--answers FILE]` through the real CLI, with
 * real keys (encrypted key files, passphrase from the environment): the
 * bootstrap template end to end from an answers file, the same ceremony
 * answered at the terminal (the same audit log, byte for byte), a run
 * interrupted by a missing answer and resumed at that step, hostile
 * templates and answers files (exit 2, nothing written), a changed
 * template, --abandon, --list and --check.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseTemplate } from '../../src/ceremony/template.js';
import { packageRoot } from '../../src/store/self-hash.js';
import type { CliResult } from '../support/cli.js';
import {
  auditEntries,
  bootstrapAnswers,
  disposeRunKeys,
  freshWorkspace,
  runAt,
  runKeys,
  RUN_PASS,
  RUN_TIME,
  scriptedPrompter,
  toolSha,
} from '../support/run.js';

const TEMPLATE = join(packageRoot() ?? '.', 'ceremony-templates', 'bootstrap-root.yaml');

let base: string;
let keys: string;
/** The scripted bootstrap run every test below compares with. */
let scripted: { ws: string; result: CliResult; log: string };

before(async () => {
  base = await mkdtemp(join(tmpdir(), 'tuf-ceremony-run-'));
  keys = await runKeys();
  const ws = await freshWorkspace(join(base, 'scripted'));
  await writeFile(join(base, 'answers.yaml'), bootstrapAnswers(keys));
  const result = await runAt(['--dir', ws, '--no-input', '--json', 'run', 'bootstrap-root', '--answers', 'answers.yaml'], base);
  scripted = { ws, result, log: await readFile(join(ws, 'audit', 'log.jsonl'), 'utf8') };
});

after(async () => {
  await rm(base, { recursive: true, force: true });
  await disposeRunKeys();
});

describe('run bootstrap-root from an answers file', () => {
  test('exit 0; root version 1 is published and verifies; the --json report says finished', async () => {
    const r = scripted.result;
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { ok: boolean; run: string; status: string; steps: { step: string; result: string }[]; auditHead: string; template: { sha256: string } };
    assert.equal(report.ok, true);
    assert.equal(report.status, 'finished');
    assert.equal(report.run, 'bootstrap-root-20260822T093000Z');
    assert.equal(report.steps.length, 17);
    assert.deepEqual(report.steps.filter((s) => s.result !== 'passed'), [{ step: 'devices', result: 'exception' }]);
    assert.equal(report.auditHead, createHash('sha256').update(scripted.log.trimEnd().split('\n').at(-1) ?? '').digest('hex'));
    const root = JSON.parse(await readFile(join(scripted.ws, 'metadata', '1.root.json'), 'utf8')) as { signed: { version: number; roles: { root: { threshold: number; keyids: string[] } } } };
    assert.equal(root.signed.version, 1);
    assert.equal(root.signed.roles.root.threshold, 2);
    assert.equal(root.signed.roles.root.keyids.length, 3);
    const v = await runAt(['verify', join(scripted.ws, 'metadata'), '--at', RUN_TIME], base);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    const state = JSON.parse(await readFile(join(scripted.ws, 'runs', `${report.run}.json`), 'utf8')) as { status: string; next: number };
    assert.deepEqual([state.status, state.next], ['finished', 17]);
    // stdout is only the JSON document: the commands' own output went to stderr.
    assert.match(r.stderr, /\$ tuf-ceremony publish root/);
    for (const text of [r.stdout, r.stderr, scripted.log]) assert.ok(!text.includes(RUN_PASS), 'the passphrase is never shown or recorded');
  });

  test("the run's first audit entry holds the template's SHA-256 and the tool's version and SHA-256", async () => {
    const entries = await auditEntries(scripted.ws);
    assert.equal(entries[0]?.command, 'init', 'a workspace exists before a run can keep its state in it');
    const start = entries[1];
    assert.equal(start?.command, 'run start');
    const d = start.details as { template: { id: string; revision: number; sha256: string }; tool: { name: string; version: string; sha256: string }; participants: unknown; parameters: Record<string, unknown> };
    const shipped = await readFile(TEMPLATE);
    const sha = createHash('sha256').update(shipped).digest('hex');
    assert.deepEqual([d.template.id, d.template.revision, d.template.sha256], ['bootstrap-root', 2, sha]);
    assert.deepEqual(d.tool, { name: 'tuf-ceremony', version: '0.1.0', sha256: toolSha(), kind: 'package', files: d.tool['files' as keyof typeof d.tool] });
    assert.deepEqual(start.artifacts.read, [{ path: TEMPLATE, sha256: sha }]);
    assert.deepEqual(d.participants, { coordinator: 'olivia', witnesses: ['wendy'], keyholders: ['alice', 'bob', 'carol'], threshold: 2 });
    assert.equal(d.parameters['root_expires'], '+365d');
    // The root plan generated from the parameters is recorded with its hash.
    assert.equal(start.artifacts.written[0]?.path, 'runs/bootstrap-root-20260822T093000Z/root-plan.yaml');
    assert.equal(parseTemplate(shipped, 'x').sha256, sha);
  });

  test('every step, the exception, each signature and the attestation are audit entries', async () => {
    const entries = await auditEntries(scripted.ws);
    const template = parseTemplate(await readFile(TEMPLATE), 'bootstrap-root.yaml').template;
    const steps = entries.filter((e) => e.command === 'run step');
    assert.deepEqual(steps.map((e) => e.details['step']), template.steps.map((s) => s.id));
    assert.deepEqual(steps.map((e) => e.details['index']), template.steps.map((_, i) => i));
    assert.ok(steps.every((e) => e.details['run'] === 'bootstrap-root-20260822T093000Z'));
    const devices = steps.find((e) => e.details['step'] === 'devices');
    assert.deepEqual([devices?.details['result'], devices?.details['failure']], ['failed', '0 known tokens, at least 1 expected']);
    const exception = entries.find((e) => e.command === 'run exception');
    assert.deepEqual(exception?.details, {
      failure: '0 known tokens, at least 1 expected',
      index: 3,
      reason: 'drill: the keys are encrypted files on a USB stick',
      run: 'bootstrap-root-20260822T093000Z',
      step: 'devices',
    });
    assert.equal(entries.indexOf(exception), entries.indexOf(devices as (typeof entries)[number]) + 1);
    const attest = entries.filter((e) => e.command === 'run attest');
    assert.equal(attest.length, 1);
    assert.equal(attest[0]?.actor, 'wendy');
    assert.equal(attest[0]?.details['confirmed'], true);
    assert.match(String(attest[0]?.details['statement']), /^I observed this ceremony from its first step to its last\./);
    const signs = entries.filter((e) => e.command === 'run sign');
    assert.deepEqual(signs.map((e) => [e.actor, e.details['result']]), [['alice', 'signed'], ['bob', 'signed'], ['carol', 'absent']]);
    assert.match(String(signs[0]?.details['keyid']), /^[0-9a-f]{64}$/);
    // The commands the steps ran recorded their own entries in between.
    for (const c of ['keyholder add', 'root draft', 'request', 'collect', 'publish']) assert.ok(entries.some((e) => e.command === c), c);
    const clock = steps.find((e) => e.details['step'] === 'clock');
    assert.deepEqual([clock?.details['reference_time'], clock?.details['skew_seconds']], [RUN_TIME, 0]);
    const tool = steps.find((e) => e.details['step'] === 'tool');
    assert.deepEqual([tool?.details['sha256'], tool?.details['expected_sha256'], tool?.details['result']], [toolSha(), toolSha(), 'passed']);
    assert.equal(entries.at(-1)?.command, 'run finish');
    assert.deepEqual(entries.at(-1)?.details, { exceptions: 1, passed: 16, run: 'bootstrap-root-20260822T093000Z', skipped: 0, steps: 17 });
    const verify = await runAt(['--dir', scripted.ws, 'audit', 'verify'], base);
    assert.equal(verify.code, 0, verify.stdout);
  });
});

describe('the same answers give the same audit log', () => {
  test('answered at the terminal, the ceremony records exactly the log the answers file recorded', async () => {
    const ws = await freshWorkspace(join(base, 'interactive'));
    const pubs = ['alice', 'bob', 'carol'].map((n) => join(keys, `${n}.pub.json`)).join(' ');
    const prompter = scriptedPrompter([
      [/^Name of the coordinator/, 'olivia'],
      [/^Names of the witnesses/, 'wendy'],
      [/^Names of the root keyholders/, 'alice bob carol'],
      [/^Threshold M/, '2'],
      [/public key files \(NAME\.pub\.json\), one per keyholder/, pubs],
      [/public key file of the online key/, join(keys, 'online.pub.json')],
      [/^When root version 1 expires/, ''],
      [/^☐ /, true],
      [/^SHA-256 published for tuf-ceremony/, toolSha()],
      [/^Time on the reference clock/, RUN_TIME],
      [/^Step devices failed/, 'drill: the keys are encrypted files on a USB stick'],
      [/^Key of alice/, join(keys, 'alice.key')],
      [/^Key of bob/, join(keys, 'bob.key')],
      [/^Key of carol/, ''],
      [/^Sign root version 1, SHA-256 .* as (alice|bob)\?/, true],
      [/^Witness making the statement/, 'wendy'],
      [/^wendy: do you attest/, true],
    ]);
    const r = await runAt(['--dir', ws, 'run', 'bootstrap-root'], base, prompter);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.ok(prompter.asked.length > 20, prompter.asked.join('\n'));
    assert.ok(prompter.asked.some((q) => /^Sign root version 1/.test(q)), 'each keyholder confirmed the review themselves');
    const log = await readFile(join(ws, 'audit', 'log.jsonl'), 'utf8');
    assert.equal(log, scripted.log);
  });
});

describe('an interrupted run resumes at the step where it stopped', () => {
  test('a missing answer under --no-input stops the run with exit 2 at that step; run again, it resumes there', async () => {
    const ws = await freshWorkspace(join(base, 'interrupted'));
    await writeFile(join(base, 'partial.yaml'), bootstrapAnswers(keys, ['identify']));
    const first = await runAt(['--dir', ws, '--no-input', 'run', 'bootstrap-root', '--answers', 'partial.yaml'], base);
    assert.equal(first.code, 2, first.stderr);
    assert.match(first.stderr, /error\[INVALID_INPUT\]: partial\.yaml: steps\.identify\.confirm: no answer, and --no-input forbids asking/);
    assert.match(first.stderr, /the run resumes at this step/);
    const id = 'bootstrap-root-20260822T093000Z';
    const stopped = JSON.parse(await readFile(join(ws, 'runs', `${id}.json`), 'utf8')) as { status: string; next: number; stopped: { step: string } };
    assert.deepEqual([stopped.status, stopped.next, stopped.stopped.step], ['stopped', 5, 'identify']);
    const before = await auditEntries(ws);
    assert.equal(before.at(-1)?.command, 'run stop');
    assert.equal(before.at(-1)?.details['step'], 'identify');
    assert.equal(before.filter((e) => e.command === 'run step').length, 5);

    const second = await runAt(['--dir', ws, '--no-input', 'run', 'bootstrap-root', '--answers', 'answers.yaml'], base);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /resuming run bootstrap-root-20260822T093000Z of Bootstrap a new root at step 6 of 17/);
    const entries = await auditEntries(ws);
    const resume = entries.find((e) => e.command === 'run resume');
    assert.deepEqual([resume?.details['step'], resume?.details['index']], ['identify', 5]);
    assert.equal(entries.filter((e) => e.command === 'run start').length, 1);
    const steps = entries.filter((e) => e.command === 'run step').map((e) => e.details['index']);
    assert.deepEqual(steps, [...Array(17).keys()], 'every step ran once: none before the stop was run again');
    assert.equal(entries.at(-1)?.command, 'run finish');
    await readFile(join(ws, 'metadata', '1.root.json'));
  });

  test('a run whose template changed is not resumed; --abandon ends it (recorded) and a new run can start', async () => {
    const ws = await freshWorkspace(join(base, 'changed'));
    const file = join(base, 'my-bootstrap.yaml');
    await copyFile(TEMPLATE, file);
    const stop = await runAt(['--dir', ws, '--no-input', 'run', file, '--answers', 'partial.yaml'], base);
    assert.equal(stop.code, 2, stop.stderr);
    await writeFile(file, (await readFile(file, 'utf8')) + '# an edit\n');
    const changed = await runAt(['--dir', ws, '--no-input', '--json', 'run', file, '--answers', 'answers.yaml'], base);
    assert.equal(changed.code, 2);
    assert.match(changed.stderr, /the template changed since run bootstrap-root-20260822T093000Z started/);
    const logBefore = await readFile(join(ws, 'audit', 'log.jsonl'), 'utf8');
    assert.equal((JSON.parse(changed.stdout) as { error: { file: string } }).error.file, file);
    const abandon = await runAt(['--dir', ws, '--json', 'run', file, '--abandon'], base);
    assert.equal(abandon.code, 0, abandon.stderr);
    assert.equal((JSON.parse(abandon.stdout) as { status: string }).status, 'abandoned');
    const entries = await auditEntries(ws);
    assert.equal(entries.at(-1)?.command, 'run abandon');
    assert.equal((await readFile(join(ws, 'audit', 'log.jsonl'), 'utf8')).startsWith(logBefore), true);
    const again = await runAt(['--dir', ws, '--no-input', 'run', file, '--answers', 'partial.yaml'], base);
    assert.equal(again.code, 2);
    assert.match(again.stdout, /run bootstrap-root-20260822T093000Z-2 started/);
  });
});

describe('bad templates and answers files: exit 2 naming the file and the field, nothing written', () => {
  let ws: string;
  let logBefore: string;
  before(async () => {
    ws = await freshWorkspace(join(base, 'hostile'));
    logBefore = await readFile(join(ws, 'audit', 'log.jsonl'), 'utf8');
  });

  async function refused(args: readonly string[], file: string | null, field: string | null, message: RegExp): Promise<void> {
    const r = await runAt(['--dir', ws, '--no-input', '--json', 'run', ...args], base);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, message);
    const error = (JSON.parse(r.stdout) as { error: { file: string | null; field: string | null } }).error;
    assert.equal(error.file, file, r.stderr);
    assert.equal(error.field, field, r.stderr);
    assert.deepEqual(await readdir(ws).then((d) => d.includes('runs')), false, 'no run state written');
    assert.equal(await readFile(join(ws, 'audit', 'log.jsonl'), 'utf8'), logBefore, 'nothing recorded');
  }

  const template = async (name: string, text: string): Promise<string> => {
    await writeFile(join(base, name), text);
    return name;
  };
  const answers = async (name: string, text: string): Promise<string> => {
    await writeFile(join(base, name), text);
    return name;
  };

  test('malformed, duplicate keys, unknown fields, wrong kinds, duplicate step IDs, oversized templates', async () => {
    const shipped = await readFile(TEMPLATE, 'utf8');
    await refused([await template('t1.yaml', shipped.replace('revision: 2\n', 'revision: 2\nrevision: 3\n'))], 't1.yaml', 'revision', /t1\.yaml: revision: duplicate key/);
    await refused([await template('t2.yaml', shipped.replace('    kind: checklist\n', '    kind: checklist\n    colour: red\n'))], 't2.yaml', 'preconditions[0].colour', /unknown field/);
    await refused([await template('t3.yaml', shipped.replace('kind: attest', 'kind: testify'))], 't3.yaml', 'steps[11].kind', /must be one of checklist/);
    await refused([await template('t4.yaml', shipped.replace('  - id: register\n', '  - id: identify\n'))], 't4.yaml', 'steps[1].id', /duplicate step ID "identify"/);
    await refused([await template('t5.yaml', shipped.replace('steps:\n', 'steps: [\n'))], 't5.yaml', null, /not a valid template at line/);
    await refused([await template('t6.yaml', shipped + '#' + 'x'.repeat(1024 * 1024))], join(base, 't6.yaml'), null, /more than the 1048576 accepted/);
    await refused(['no-such-template'], null, 'TEMPLATE', /"no-such-template" is not a shipped template \(add-keyholder, bootstrap-root/);
  });

  test('malformed, duplicate keys, unknown fields, unknown steps, oversized answers files', async () => {
    const good = bootstrapAnswers(keys);
    const run = (f: string): string[] => ['bootstrap-root', '--answers', f];
    await refused(run(await answers('a1.yaml', good.replace('steps:\n', 'steps:\n  air-gap: { confirm: false }\n'))), 'a1.yaml', 'steps.air-gap', /duplicate key/);
    await refused(run(await answers('a2.yaml', good + 'colour: red\n')), 'a2.yaml', 'colour', /unknown field/);
    await refused(run(await answers('a3.yaml', good.replace('  air-gap:', '  air-gaps:'))), 'a3.yaml', 'steps.air-gaps', /has no step "air-gaps"/);
    await refused(run(await answers('a4.yaml', good.replace('  identify: { confirm: [true, true] }', '  identify: { confirm: [true] }'))), 'a4.yaml', 'steps.identify.confirm', /one answer per item \(2\)/);
    await refused(run(await answers('a5.yaml', '{{{')), 'a5.yaml', null, /not a valid answers file/);
    await refused(run(await answers('a6.yaml', good + '#' + 'x'.repeat(1024 * 1024))), join(base, 'a6.yaml'), null, /more than the 1048576 accepted/);
    await refused(run(await answers('a7.yaml', good.replace('carol: null', 'carol: null, zed: null'))), 'a7.yaml', 'steps.sign.keys.zed', /zed is not a signer of this step/);
    await refused(run(await answers('a8.yaml', good.replace('witnesses: [wendy]', 'witnesses: [alice]'))), 'a8.yaml', 'participants.witnesses', /alice cannot be a witness and also a keyholder/);
    await refused(run(await answers('a9.yaml', good.replace('online.pub.json', 'missing.pub.json'))), 'a9.yaml', 'parameters.online_key', /no such file/);
    await refused(run(await answers('a10.yaml', good.replace('threshold: 2', 'threshold: 1'))), 'a10.yaml', 'participants.threshold', /must be at least 2/);
  });

  test('without an answer and without a terminal, nothing starts', async () => {
    await refused(['bootstrap-root'], null, 'participants.coordinator', /participants\.coordinator: no answer \(no --answers file\), and --no-input forbids asking/);
  });
});

describe('run --list and --check', () => {
  test('--list names the six shipped templates; --check validates one and runs nothing', async () => {
    const list = await runAt(['--json', 'run', '--list'], base);
    assert.equal(list.code, 0, list.stderr);
    const names = (JSON.parse(list.stdout) as { templates: { name: string; sha256: string }[] }).templates.map((t) => t.name);
    assert.deepEqual(names, ['add-keyholder', 'bootstrap-root', 'key-compromise-recovery', 'pep458-layout', 'replace-keyholder', 'routine-resign']);
    const check = await runAt(['run', 'pep458-layout', '--check'], base);
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout, /template pep458-layout revision 1, 25 steps, valid/);
    const help = await runAt(['run', '--help'], base);
    assert.match(help.stdout, /--answers <FILE>/);
  });
});
