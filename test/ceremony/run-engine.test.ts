// SPDX-License-Identifier: Apache-2.0
/**
 * The guided-run engine (src/ceremony/run-engine.ts, run-steps.ts) through
 * its own port: an in-memory workspace implements {@link RunEffects} (files
 * in a map, a real hash-chained audit log built with `nextEntry`, a fixed
 * clock), and a small model of a root rotation answers the commands the
 * steps run (`request`, `status`, `sign`, `collect`, `publish`): the old
 * root is 2 of alice, bob, carol; the new root 2 of alice, bob, dave. The
 * CLI tests (test/cli/run*.test.ts) drive the same engine through the real
 * commands with real keys.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { nextEntry, ZERO_HEAD, type AuditEntry, type AuditEvent } from '../../src/audit/entry.js';
import { parseAnswers } from '../../src/ceremony/answers.js';
import { abandonRun, runCeremony, type CommandResult, type RunEffects, type RunSetup, type ToolIdentity } from '../../src/ceremony/run-engine.js';
import type { DraftThreshold } from '../../src/ceremony/run-output.js';
import { Asker } from '../../src/ceremony/run-questions.js';
import { parseRunState, serializeRunState, type RunState } from '../../src/ceremony/run-state.js';
import { signFailure } from '../../src/ceremony/run-steps.js';
import { makeSignatureFile, parseSignatureFile, serializeSignatureFile } from '../../src/ceremony/signature-file.js';
import { parseTemplate } from '../../src/ceremony/template.js';
import { CancelledError, InputError } from '../../src/errors.js';
import { sha256Hex } from '../../src/metadata/sha256.js';
import type { Prompter } from '../../src/ui/prompts.js';

const NOW = Date.UTC(2026, 7, 22, 9, 30, 0);
const RUN = 'rotate-20260822T093000Z';
const OLD_ROOT = { label: 'old root', rootVersion: 1, threshold: 2, keys: ['alice', 'bob', 'carol'] };
const NEW_ROOT = { label: 'new root', rootVersion: 2, threshold: 2, keys: ['alice', 'bob', 'dave'] };
const SIGNED_SHA = sha256Hex('root version 2');

// ## A root rotation, in memory

/** What a keyholder's `sign` does: sign, mistype the passphrase, press Ctrl-C, or answer no to the review. */
type SignBehaviour = 'sign' | 'wrong-passphrase' | 'ctrl-c' | 'decline';

/** The draft of root version 2 and the commands that work on it, as the real CLI answers them. */
class RootRotation {
  /** Keyholders with a verified signature in the draft. */
  readonly signed = new Set<string>();
  /** What each keyholder's next `sign` does; `sign` when none is queued. */
  readonly behaviour = new Map<string, SignBehaviour[]>();
  published = false;

  thresholds(): DraftThreshold[] {
    return [OLD_ROOT, NEW_ROOT].map((r) => {
      const signedBy = r.keys.filter((k) => this.signed.has(k));
      const more = Math.max(0, r.threshold - signedBy.length);
      return { label: r.label, rootVersion: r.rootVersion, threshold: r.threshold, keys: r.keys.length, signedBy, more, met: more === 0 };
    });
  }

  private line(t: DraftThreshold): string {
    return `${t.label} (version ${String(t.rootVersion)}): ${t.met ? 'met' : `${String(t.more)} more needed`}`;
  }

  run(argv: readonly string[], ws: MemoryWorkspace): CommandResult {
    const ok = (stdout: string): CommandResult => ({ code: 0, stdout, stderr: '' });
    const fail = (exit: number, errorCode: string, message: string): CommandResult => ({ code: exit, stdout: '', stderr: `error[${errorCode}]: ${message}\n` });
    const complete = this.thresholds().every((t) => t.met);
    const [cmd, ...rest] = argv;
    switch (cmd) {
      case 'request':
        ws.files.set('requests/root-v2.json', Buffer.from(JSON.stringify({ signed_sha256: SIGNED_SHA, version: 2 })));
        return ok(JSON.stringify({ ok: true, file: 'requests/root-v2.json' }));
      case 'status':
        if (rest[0] === undefined) return ok(JSON.stringify({ ok: true, drafts: [{ role: 'root', thresholds: this.thresholds() }] }));
        // `status ROLE` is a check: exit 1 while the draft is not yet publishable.
        return complete
          ? ok('root version 2: ready to publish\n')
          : { ...fail(1, 'VERIFICATION_FAILED', `root version 2 is not yet publishable: ${this.thresholds().filter((t) => !t.met).map((t) => this.line(t)).join('; ')}`), stdout: '  not yet publishable\n' };
      case 'sign': {
        const name = (argv[argv.indexOf('--key') + 1] ?? '').replace(/^pkcs11:token=/, '');
        const out = argv[argv.indexOf('--out') + 1] ?? '';
        const does = this.behaviour.get(name)?.shift() ?? 'sign';
        if (does === 'wrong-passphrase') return fail(2, 'INVALID_INPUT', `pkcs11:token=${name}: wrong passphrase (the key could not be decrypted)`);
        if (does === 'ctrl-c') return fail(130, 'CANCELLED', 'cancelled at the prompt');
        if (does === 'decline') return fail(130, 'CANCELLED', 'not signed: the keyholder declined');
        const sf = makeSignatureFile({ role: 'root', version: 2, signedSha256: SIGNED_SHA, keyid: sha256Hex(name), sig: 'abcd', keyholder: name, signedAtMs: NOW, device: { backend: 'pkcs11', model: 'test token' } });
        ws.files.set(out, serializeSignatureFile(sf, out));
        return ok(`signed as ${name}\n`);
      }
      case 'collect': {
        const sf = parseSignatureFile(ws.readFile(rest[0] ?? ''), rest[0] ?? '');
        this.signed.add(sf.keyholder);
        return ok(`collected ${sf.keyholder}\n`);
      }
      case 'publish':
        if (!complete) return fail(1, 'THRESHOLD_NOT_MET', `root version 2 cannot be published yet: ${this.thresholds().map((t) => this.line(t)).join('; ')}`);
        this.published = true;
        return ok('published root version 2\n');
      default:
        return fail(2, 'USAGE', `the model does not know ${argv.join(' ')}`);
    }
  }
}

/** The engine's port, in memory: the workspace's files, its audit log, the run's state, what the room was told. */
class MemoryWorkspace implements RunEffects {
  readonly files = new Map<string, Uint8Array>();
  readonly entries: AuditEntry[] = [];
  readonly commands: string[][] = [];
  readonly said: string[] = [];
  /** The state file as last written (bytes, read back as `run` would on the next start). */
  stateBytes: Uint8Array | null = null;
  /** The log's head: the SHA-256 of its last line. */
  head = ZERO_HEAD;
  private readonly world: RootRotation;

  constructor(world: RootRotation) {
    this.world = world;
  }

  command(argv: readonly string[], capture: boolean): Promise<CommandResult> {
    this.commands.push([...argv]);
    const r = this.world.run(argv, this);
    if (capture) return Promise.resolve(r);
    this.said.push(r.stdout);
    return Promise.resolve({ ...r, stdout: '' });
  }
  say(text: string): void {
    this.said.push(text);
  }
  audit(event: AuditEvent): Promise<string> {
    const { entry, head } = nextEntry(this.head, this.entries.length, event, NOW);
    this.entries.push(entry);
    this.head = head;
    return Promise.resolve(head);
  }
  auditEntries(): readonly AuditEntry[] {
    return this.entries;
  }
  saveState(state: RunState): Promise<void> {
    this.stateBytes = serializeRunState(state);
    return Promise.resolve();
  }
  readFile(path: string): Uint8Array {
    const bytes = this.files.get(path);
    if (bytes === undefined) throw new InputError(`${path}: no such file`, { file: path });
    return bytes;
  }
  exists(path: string): boolean {
    return [...this.files.keys()].some((f) => f === path || f.startsWith(`${path}/`));
  }
  makeDir(): void {}
  writeNewFile(path: string, bytes: Uint8Array): Promise<void> {
    if (this.files.has(path)) return Promise.reject(new InputError(`${path}: exists`, { file: path }));
    this.files.set(path, bytes);
    return Promise.resolve();
  }
  recordedPath(abs: string): string {
    return abs;
  }
  tool(): Promise<ToolIdentity> {
    return Promise.resolve({ sha256: 'c'.repeat(64), kind: 'package', files: 1 });
  }
  now(): number {
    return NOW;
  }

  /** The run's state as the next `run` reads it from the file. */
  state(): RunState {
    assert.ok(this.stateBytes !== null, 'the state was written');
    return parseRunState(this.stateBytes, `runs/${RUN}.json`);
  }

  /** The audit entries of one command, e.g. `run sign`. */
  of(command: string): AuditEntry[] {
    return this.entries.filter((e) => e.command === command);
  }
}

// ## Templates and answers

const STEPS = {
  sign: `  - id: sign-root
    title: The keyholders sign the root draft
    kind: sign
    role: root
    signers: \${keyholders}
    min: \${threshold}
    actor: keyholders
    say: One keyholder at a time signs.
`,
  status: `  - id: status-root
    title: The thresholds hold
    kind: command
    actor: coordinator
    say: The screen shows who signed.
    run: [status, root]
`,
  cards: `  - id: cards-filed
    title: The key cards are filed
    kind: checklist
    actor: coordinator
    say: I file the key cards.
    items: [The key cards are filed]
`,
  publish: `  - id: publish-root
    title: Publish the root draft
    kind: command
    actor: coordinator
    say: I publish the new root version.
    run: [publish, root]
`,
};

function template(...steps: (keyof typeof STEPS)[]): RunSetup['parsed'] {
  const text = `format: tuf-ceremony/template/v1
id: rotate
revision: 1
title: Rotate the root
requires: { tool: 0.1.0 }
participants:
  coordinator: { title: Coordinator }
  witnesses: { title: Witness, min: 1, max: 2 }
  keyholders: { title: Keyholder, min: 2, max: 5, threshold: { min: 1 } }
parameters: []
steps:
${steps.map((s) => STEPS[s]).join('')}sign_off:
  statement: Signed.
`;
  return { ...parseTemplate(Buffer.from(text), 'rotate.yaml'), path: '/templates/rotate.yaml' };
}

/** The answers file: alice, bob and dave take part (bob's key null: he is absent). */
function answers(parsed: RunSetup['parsed'], keys: { alice?: string | null; bob?: string | null; dave?: string | null } = {}): string {
  const key = (n: 'alice' | 'bob' | 'dave'): string => {
    const k = keys[n] === undefined ? `pkcs11:token=${n}` : keys[n];
    return k === null ? 'null' : `"${k}"`;
  };
  const sign = parsed.template.steps.some((s) => s.id === 'sign-root')
    ? `\n  sign-root: { confirm: true, keys: { alice: ${key('alice')}, bob: ${key('bob')}, dave: ${key('dave')} } }\n`
    : ' {}\n';
  return `format: tuf-ceremony/answers/v1
template: rotate
participants: { coordinator: olivia, witnesses: [wendy], keyholders: [alice, bob, dave], threshold: 2 }
steps:${sign}`;
}

/** Someone at the terminal: yes/no questions answered by `confirm`; nothing else may be asked. */
function terminal(confirm: (message: string) => boolean): Prompter & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    password: (m) => Promise.reject(new Error(`no secret is asked by the engine (${m})`)),
    confirm: (m) => {
      asked.push(m);
      return Promise.resolve(confirm(m));
    },
    input: (m) => Promise.reject(new Error(`unexpected question: ${m}`)),
  };
}

/** The coordinator confirms every item; the first time the key cards are filed, bob's signature is lost from the draft. */
function losesBobOnce(world: RootRotation): Prompter & { asked: string[] } {
  let lost = false;
  return terminal((m) => {
    if (m === '☐ The key cards are filed' && !lost) {
      world.signed.delete('bob');
      lost = true;
    }
    return true;
  });
}

function setup(parsed: RunSetup['parsed'], answerText: string, prompter: Prompter | null = null): RunSetup {
  const a = parseAnswers(Buffer.from(answerText), 'answers.yaml', parsed.template);
  const ask = new Asker(a, '/answers', prompter, '/cwd', prompter === null, () => 'file');
  return { parsed, templateArg: 'rotate.yaml', ask, toolVersion: '0.1.0', workspaceName: 'demo' };
}

/** The `run step` entries' step and result, in order. */
function stepResults(ws: MemoryWorkspace): [unknown, unknown][] {
  return ws.of('run step').map((e) => [e.details['step'], e.details['result']]);
}

// ## The tests

describe('a step passes only when its check says so', () => {
  test('a check that says "not yet" (status ROLE, exit 1) fails the step whatever it printed; once the draft is complete it passes', async () => {
    const world = new RootRotation();
    world.signed.add('alice');
    const ws = new MemoryWorkspace(world);
    const parsed = template('status', 'publish');
    const first = await runCeremony(ws, setup(parsed, answers(parsed)), undefined);
    assert.equal(first.status, 'stopped');
    assert.ok(first.status === 'stopped');
    assert.equal(first.step, 'status-root');
    assert.match(first.failure, /^exit 1, expected 0: root version 2 is not yet publishable: old root \(version 1\): 1 more needed/);
    assert.deepEqual(first.resume, { step: 'status-root', why: null }, 'no sign step before it: the check itself is run again');
    assert.deepEqual(stepResults(ws), [['status-root', 'failed']]);
    assert.ok(!ws.commands.some((c) => c[0] === 'publish'), 'nothing after the failed check ran');
    assert.deepEqual([ws.state().status, ws.state().next, ws.state().stopped?.step], ['stopped', 0, 'status-root']);

    world.signed.add('bob');
    const second = await runCeremony(ws, setup(parsed, answers(parsed)), ws.state());
    assert.equal(second.status, 'finished');
    assert.deepEqual(stepResults(ws), [['status-root', 'failed'], ['status-root', 'passed'], ['publish-root', 'passed']]);
    assert.ok(world.published);
    assert.equal(ws.entries.at(-1)?.command, 'run finish');
  });
});

describe('a sign step passes only when the old AND the new root thresholds are met', () => {
  test('bob absent: the new root (alice, dave) is met but the old root (alice only) is not, so the step fails naming the old root', async () => {
    const world = new RootRotation();
    const ws = new MemoryWorkspace(world);
    const parsed = template('sign', 'publish');
    const r = await runCeremony(ws, setup(parsed, answers(parsed, { bob: null })), undefined);
    assert.ok(r.status === 'stopped');
    assert.equal(r.step, 'sign-root');
    assert.equal(r.failure, 'old root (version 1): 2 of 3 needed, signed by alice — 1 more needed');
    assert.deepEqual([...world.signed].sort(), ['alice', 'dave']);
    assert.deepEqual(ws.of('run sign').map((e) => [e.actor, e.details['result']]), [['alice', 'signed'], ['bob', 'absent'], ['dave', 'signed']]);
    const step = ws.of('run step')[0];
    assert.deepEqual(
      (step?.details['thresholds'] as { label: string; met: boolean }[]).map((t) => [t.label, t.met]),
      [['old root', false], ['new root', true]],
      'the audit entry records both thresholds as status reported them'
    );
    assert.ok(!world.published && !ws.commands.some((c) => c[0] === 'publish'));
  });

  test('with bob, both thresholds are met and the step passes; a wrong passphrase is offered again at once and does not count', async () => {
    const world = new RootRotation();
    world.behaviour.set('alice', ['wrong-passphrase']);
    const ws = new MemoryWorkspace(world);
    const parsed = template('sign', 'publish');
    const keyholder = terminal((m) => /^alice: signing failed \(.*wrong passphrase.*\)\. Try again\?$/.test(m));
    const r = await runCeremony(ws, setup(parsed, answers(parsed), keyholder), undefined);
    assert.equal(r.status, 'finished');
    assert.deepEqual(keyholder.asked.length, 1);
    assert.deepEqual(ws.of('run sign').map((e) => [e.actor, e.details['result'], e.details['attempt']]), [
      ['alice', 'failed', 1],
      ['alice', 'signed', 2],
      ['bob', 'signed', 1],
      ['dave', 'signed', 1],
    ]);
    assert.deepEqual(stepResults(ws), [['sign-root', 'passed'], ['publish-root', 'passed']]);
    // A retried signer writes a new signature file: `sign` never replaces one.
    assert.deepEqual(ws.commands.filter((c) => c[0] === 'collect').map((c) => c[1]), [
      `runs/${RUN}/sign-root.alice.sig.json`,
      `runs/${RUN}/sign-root.bob.sig.json`,
      `runs/${RUN}/sign-root.dave.sig.json`,
    ]);
  });

  test('the decision itself: every threshold met and enough of the step\'s signers, else the first reason', () => {
    const t = (label: string, met: boolean, signedBy: string[]): DraftThreshold => ({ label, rootVersion: 1, threshold: 2, keys: 3, signedBy, more: met ? 0 : 1, met });
    const cases: [string, DraftThreshold[], number, number, RegExp | undefined][] = [
      ['no draft thresholds', [], 3, 2, /^no thresholds for a root draft/],
      ['old unmet, new met', [t('old root', false, ['alice']), t('new root', true, ['alice', 'dave'])], 2, 2, /^old root \(version 1\): 2 of 3 needed, signed by alice — 1 more needed$/],
      ['old met, new unmet', [t('old root', true, ['alice', 'bob']), t('new root', false, ['alice'])], 2, 2, /^new root/],
      ['both unmet', [t('old root', false, []), t('new root', false, [])], 0, 2, /^old root .*; new root /],
      ['both met, too few of the signers', [t('old root', true, ['alice', 'bob']), t('new root', true, ['alice', 'bob'])], 2, 3, /^2 of the signers signed, the template needs 3$/],
      ['both met', [t('old root', true, ['alice', 'bob']), t('new root', true, ['alice', 'bob'])], 2, 2, undefined],
    ];
    for (const [name, thresholds, signedNow, needed, expected] of cases) {
      const f = signFailure('root', thresholds, signedNow, needed);
      if (expected === undefined) assert.equal(f, undefined, name);
      else assert.match(f ?? '(passed)', expected, name);
    }
  });
});

describe('a failed publish resumes at signing', () => {
  test('the draft loses a signature before the publish: the run stops with the reason and goes back to sign-root; resumed, only the missing signer signs, and the run finishes', async () => {
    const world = new RootRotation();
    const ws = new MemoryWorkspace(world);
    const parsed = template('sign', 'status', 'cards', 'publish');
    const coordinator = losesBobOnce(world);
    const r = await runCeremony(ws, setup(parsed, answers(parsed), coordinator), undefined);
    assert.ok(r.status === 'stopped');
    assert.equal(r.step, 'publish-root');
    assert.match(r.failure, /^exit 1, expected 0: root version 2 cannot be published yet: old root \(version 1\): 1 more needed; new root \(version 2\): met$/);
    assert.deepEqual(r.resume, { step: 'sign-root', why: 'the root draft is not publishable: signing (step sign-root) is what can fix it' });
    const stop = ws.entries.at(-1);
    assert.equal(stop?.command, 'run stop');
    assert.deepEqual([stop.details['step'], stop.details['resume_step'], stop.details['resume_index']], ['publish-root', 'sign-root', 0]);
    assert.match(stop.details['reason'] as string, /^step publish-root failed: .*; the root draft is not publishable: signing \(step sign-root\) is what can fix it: the run resumes at step sign-root$/);
    const stopped = ws.state();
    assert.deepEqual([stopped.status, stopped.next, stopped.results, stopped.stopped?.step], ['stopped', 0, [], 'sign-root']);
    assert.equal(r.summary.state, `runs/${RUN}.json`);

    const before = ws.commands.length;
    const again = await runCeremony(ws, setup(parsed, answers(parsed), coordinator), stopped);
    assert.equal(again.status, 'finished');
    assert.ok(world.published);
    const resume = ws.of('run resume')[0];
    assert.deepEqual([resume?.details['step'], resume?.details['index']], ['sign-root', 0]);
    assert.deepEqual(ws.commands.slice(before).filter((c) => c[0] === 'sign').map((c) => c[3]), ['pkcs11:token=bob'], 'alice and dave are in the draft and not asked again');
    assert.deepEqual(stepResults(ws).slice(4), [['sign-root', 'passed'], ['status-root', 'passed'], ['cards-filed', 'passed'], ['publish-root', 'passed']]);
  });

  test('a crash after the stop entry, before the state was written: the resume goes back as the entry says', async () => {
    const world = new RootRotation();
    const ws = new MemoryWorkspace(world);
    const parsed = template('sign', 'status', 'cards', 'publish');
    const coordinator = losesBobOnce(world);
    const save = ws.saveState.bind(ws);
    // The state write of the stop never happens.
    ws.saveState = (state: RunState): Promise<void> => (state.status === 'stopped' ? Promise.resolve() : save(state));
    const r = await runCeremony(ws, setup(parsed, answers(parsed), coordinator), undefined);
    assert.equal(r.status, 'stopped');
    assert.equal(ws.entries.at(-1)?.command, 'run stop');
    const stale = ws.state();
    assert.equal(stale.next, 3, 'the file still says the run is at the publish');
    ws.saveState = save;
    const again = await runCeremony(ws, setup(parsed, answers(parsed), coordinator), stale);
    assert.equal(again.status, 'finished');
    assert.deepEqual(ws.of('run resume')[0]?.details['step'], 'sign-root');
  });
});

describe('Ctrl-C is "interrupted", answering no is "declined"', () => {
  for (const [does, result, message] of [
    ['ctrl-c', 'interrupted', 'interrupted (Ctrl-C) while alice was signing'],
    ['decline', 'declined', 'alice declined to sign'],
  ] as const) {
    test(`${does}: recorded as ${result}, the run stops at the sign step (exit 130) and resumes there`, async () => {
      const world = new RootRotation();
      world.behaviour.set('alice', [does]);
      const ws = new MemoryWorkspace(world);
      const parsed = template('sign', 'publish');
      await assert.rejects(runCeremony(ws, setup(parsed, answers(parsed)), undefined), (e: unknown) => e instanceof CancelledError && e.message === message && e.exitCode === 130);
      const sign = ws.of('run sign').at(-1);
      assert.deepEqual([sign?.actor, sign?.details['result'], sign?.details['attempt']], ['alice', result, 1]);
      assert.equal(ws.of('run sign').filter((e) => e.details['result'] === (result === 'interrupted' ? 'declined' : 'interrupted')).length, 0);
      const stop = ws.entries.at(-1);
      assert.deepEqual([stop?.command, stop?.details['step'], stop?.details['reason']], ['run stop', 'sign-root', message]);
      assert.equal(ws.of('run step').length, 0, 'the step has no verdict: it was interrupted, not failed');
      const state = ws.state();
      assert.deepEqual([state.status, state.next, state.stopped?.step, state.partial?.request], ['stopped', 0, 'sign-root', 'requests/root-v2.json']);

      const again = await runCeremony(ws, setup(parsed, answers(parsed)), state);
      assert.equal(again.status, 'finished');
      assert.deepEqual(ws.of('run sign').slice(1).map((e) => [e.actor, e.details['result']]), [['alice', 'signed'], ['bob', 'signed'], ['dave', 'signed']]);
    });
  }
});

describe('abandon', () => {
  test('an unfinished run is ended for good, recorded at the step it stopped at', async () => {
    const world = new RootRotation();
    const ws = new MemoryWorkspace(world);
    const parsed = template('status', 'publish');
    await runCeremony(ws, setup(parsed, answers(parsed)), undefined);
    const summary = await abandonRun(ws, setup(parsed, answers(parsed)), ws.state());
    assert.deepEqual([summary.status, ws.state().status], ['abandoned', 'abandoned']);
    assert.deepEqual(ws.entries.at(-1)?.details, { run: RUN, step: 'status-root', index: 0 });
    assert.equal(summary.auditHead, ws.head);
  });
});
