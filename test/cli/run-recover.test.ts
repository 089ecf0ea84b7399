// SPDX-License-Identifier: Apache-2.0
/**
 * Guided runs that recover, through the real CLI with real encrypted keys
 * and passphrases typed at a (scripted) prompt: `run add-keyholder` (dave
 * joins a 2-of-3 root; the new root is 2 of 4) driven through Ctrl-C at a
 * passphrase prompt, a wrong passphrase (offered again at once), a sign
 * step whose old-root threshold is not met (it does not pass), and a failed
 * publish (the run goes back to signing, with the reason) to success; then
 * the transcript, whose "Published" section must match the verified
 * signatures of the published file.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CancelledError } from '../../src/errors.js';
import { keyIdsListing } from '../../src/metadata/key-listing.js';
import type { TufKey } from '../../src/metadata/keys.js';
import { packageRoot } from '../../src/store/self-hash.js';
import type { Prompter } from '../../src/ui/prompts.js';
import { runCli, type CliResult } from '../support/cli.js';
import { addKeyholderAnswers, auditEntries, bootstrapAnswers, disposeRunKeys, freshWorkspace, runAt, runKeys, RUN_NOW, RUN_PASS, RUN_TIME } from '../support/run.js';

const WRONG = 'not the passphrase of this key';
const RUN = 'add-keyholder-20260822T093000Z';

let base: string;
let keys: string;
let ws: string;

before(async () => {
  base = await mkdtemp(join(tmpdir(), 'tuf-ceremony-recover-'));
  keys = await runKeys();
  ws = await freshWorkspace(join(base, 'w'));
  await writeFile(join(base, 'bootstrap.yaml'), bootstrapAnswers(keys));
  const b = await runAt(['--dir', ws, '--no-input', 'run', 'bootstrap-root', '--answers', 'bootstrap.yaml'], base);
  assert.equal(b.code, 0, b.stderr);
  // add-keyholder with one more step between the threshold check and the publish, during which the draft loses a signature.
  const shipped = await readFile(join(packageRoot() ?? '.', 'ceremony-templates', 'add-keyholder.yaml'), 'utf8');
  const extra = [
    '  - id: cards-filed',
    '    title: The key cards are filed',
    '    kind: checklist',
    '    actor: coordinator',
    '    say: |',
    '      I file the printed key cards with the ceremony papers.',
    '    items:',
    '      - The key cards are filed',
    '',
  ].join('\n');
  assert.ok(shipped.includes('  - id: publish-root\n'));
  await writeFile(join(base, 'add-keyholder-filed.yaml'), shipped.replace('  - id: publish-root\n', `${extra}  - id: publish-root\n`));
});

after(async () => {
  await rm(base, { recursive: true, force: true });
  await disposeRunKeys();
});

function answers(bob: boolean): string {
  return addKeyholderAnswers(keys, { threshold: 2, bob });
}

/**
 * A keyholder at the terminal: passphrases from `passwords` in turn (a
 * function: Ctrl-C), yes/no answers by rule. Records every question with
 * the default offered.
 */
function terminal(passwords: (string | (() => never))[], confirm: (message: string) => boolean | Promise<boolean>, input: (message: string) => string): Prompter & { asked: { message: string; default?: boolean }[] } {
  const asked: { message: string; default?: boolean }[] = [];
  return {
    asked,
    password: (m) => {
      asked.push({ message: m });
      const next = passwords.shift() ?? RUN_PASS;
      return typeof next === 'string' ? Promise.resolve(next) : Promise.resolve().then(next);
    },
    confirm: async (m, d) => {
      asked.push({ message: m, default: d });
      return confirm(m);
    },
    input: (m) => {
      asked.push({ message: m });
      return Promise.resolve(input(m));
    },
  };
}

const run = (prompter: Prompter, answersFile: string): Promise<CliResult> =>
  // No passphrase in the environment: each keyholder types theirs.
  runCli(['--dir', ws, 'run', join(base, 'add-keyholder-filed.yaml'), '--answers', answersFile], { cwd: base, env: {}, now: RUN_NOW, prompter });

/**
 * The key IDs under which `name`'s key is listed in a root or draft file: keys carry
 * their owner's name in the signed key object, so the ID there is not the public key
 * file's; the key is matched by its public key.
 */
async function keyidsOf(name: string, file: string): Promise<string[]> {
  const pub = JSON.parse(await readFile(join(keys, `${name}.pub.json`), 'utf8')) as { key: TufKey };
  const md = JSON.parse(await readFile(file, 'utf8')) as { signed: { keys: Record<string, TufKey> } };
  return keyIdsListing(md.signed.keys, pub.key);
}

test('Ctrl-C, a wrong passphrase, an unmet old-root threshold and a failed publish, then success; the transcript matches the published root', async () => {
  await writeFile(join(base, 'without-bob.yaml'), answers(false));
  await writeFile(join(base, 'with-bob.yaml'), answers(true));
  const noQuestion = (m: string): never => assert.fail(`unexpected question: ${m}`);
  const inputs = (m: string): string => (/^When the new root version expires/.test(m) ? '' : noQuestion(m));

  // 0. Ctrl-C at alice's passphrase prompt: the run stops (exit 130) and says "interrupted", not "declined".
  const ctrlC = (): never => {
    throw new CancelledError('cancelled at the prompt');
  };
  const t0 = terminal([ctrlC], (m) => (/also join the targets role/.test(m) ? false : noQuestion(m)), inputs);
  const r0 = await run(t0, 'without-bob.yaml');
  assert.equal(r0.code, 130, r0.stderr);
  const boolean = t0.asked.find((q) => /also join the targets role/.test(q.message));
  assert.deepEqual(boolean, { message: 'Does the new keyholder also join the targets role?', default: false }, 'a yes/no parameter is a yes/no question, default no');
  assert.ok(t0.asked.every((q) => !/\[(false|true)\]|\(yes\/no\)/.test(q.message)), 'no [false] in any question');
  let entries = await auditEntries(ws);
  const interrupted = entries.filter((e) => e.command === 'run sign').at(-1);
  assert.deepEqual([interrupted?.actor, interrupted?.details['result']], ['alice', 'interrupted']);
  assert.match(String(entries.at(-1)?.details['reason']), /interrupted \(Ctrl-C\) while alice was signing/);
  assert.ok(!JSON.stringify(entries).includes('declined'));

  // 1. A wrong passphrase for alice: the sign command itself asks again (3 tries, no fresh review);
  // after three wrong ones the run offers her another go at once. bob is absent, so the old
  // root's threshold (2 of alice, bob, carol) is not met: the step fails.
  const t1 = terminal([WRONG, WRONG, WRONG, RUN_PASS, RUN_PASS], (m) => (/^alice: signing failed \(.*wrong passphrase.*\)\. Try again\?$/.test(m) ? true : noQuestion(m)), noQuestion);
  const r1 = await run(t1, 'without-bob.yaml');
  assert.equal(r1.code, 1, r1.stderr);
  assert.deepEqual(t1.asked.filter((q) => q.default !== undefined).map((q) => q.default), [true], 'try again defaults to yes');
  assert.match(r1.stderr, /step sign-root failed: old root \(version 1\): 2 of 3 needed, signed by alice — 1 more needed/);
  assert.match(r1.stdout, /new root \(version 2\): 2 of 4 needed, signed by alice, dave — met/);
  entries = await auditEntries(ws);
  const signs1 = entries.filter((e) => e.command === 'run sign' && e.details['run'] === RUN).slice(1).map((e) => [e.actor, e.details['result'], e.details['reason'] ?? null]);
  assert.deepEqual(signs1, [
    ['alice', 'failed', `${keys}/alice.key: wrong passphrase (the key could not be decrypted)`],
    ['alice', 'signed', null],
    ['bob', 'absent', null],
    ['dave', 'signed', null],
  ]);
  const step1 = entries.filter((e) => e.command === 'run step' && e.details['step'] === 'sign-root').at(-1);
  assert.equal(step1?.details['result'], 'failed', 'a sign step whose old-root threshold is not met does not pass');

  // 2. bob signs (alice and dave are in the draft and not asked again); then, before the publish, the draft loses bob's signature: the publish fails and the run goes back to signing.
  const bobIds = await keyidsOf('bob', join(ws, 'drafts', 'root.json'));
  assert.ok(bobIds.length > 0, "bob's key is in the draft");
  let dropped = false;
  const t2 = terminal(
    [RUN_PASS],
    async (m) => {
      if (/^☐ The key cards are filed$/.test(m)) {
        const file = join(ws, 'drafts', 'root.json');
        const draft = JSON.parse(await readFile(file, 'utf8')) as { signatures: { keyid: string }[] };
        draft.signatures = draft.signatures.filter((s) => !bobIds.includes(s.keyid));
        await writeFile(file, JSON.stringify(draft));
        dropped = true;
        return true;
      }
      return noQuestion(m);
    },
    noQuestion
  );
  const r2 = await run(t2, 'with-bob.yaml');
  assert.ok(dropped);
  assert.equal(r2.code, 1, r2.stderr);
  assert.equal(t2.asked.filter((q) => /^Passphrase/.test(q.message)).length, 1, 'only bob typed a passphrase');
  assert.match(r2.stderr, /step publish-root failed: exit 1, expected 0: root version 2 cannot be published yet/);
  assert.match(r2.stderr, /signing \(step sign-root\) is what can fix it, then run the same command again: run add-keyholder-20260822T093000Z resumes at step sign-root/);
  const state = JSON.parse(await readFile(join(ws, 'runs', `${RUN}.json`), 'utf8')) as { status: string; next: number; stopped: { step: string; reason: string } };
  entries = await auditEntries(ws);
  const stop = entries.at(-1);
  assert.equal(stop?.command, 'run stop');
  assert.deepEqual([stop.details['step'], stop.details['resume_step']], ['publish-root', 'sign-root']);
  assert.deepEqual([state.status, state.stopped.step, state.next], ['stopped', 'sign-root', stop.details['resume_index']]);

  // 3. The run resumes at signing: bob signs again; the checks, the publish and the rest pass.
  const t3 = terminal([RUN_PASS], (m) => (/^☐ The key cards are filed$/.test(m) ? true : noQuestion(m)), noQuestion);
  const r3 = await run(t3, 'with-bob.yaml');
  assert.equal(r3.code, 0, r3.stderr);
  assert.match(r3.stdout, /resuming run add-keyholder-20260822T093000Z of Add a keyholder at step \d+ of \d+/);
  const v = await runAt(['verify', join(ws, 'metadata'), '--at', RUN_TIME], base);
  assert.equal(v.code, 0, v.stdout + v.stderr);

  // The transcript: who signed is who has a verified signature in the published file, per root, with each root's own threshold.
  const root1 = JSON.parse(await readFile(join(ws, 'metadata', '1.root.json'), 'utf8')) as { signed: { roles: { root: { keyids: string[]; threshold: number } } } };
  const root2 = JSON.parse(await readFile(join(ws, 'metadata', '2.root.json'), 'utf8')) as { signed: { roles: { root: { keyids: string[]; threshold: number } } }; signatures: { keyid: string }[] };
  const sigs = root2.signatures.map((s) => s.keyid);
  const names = new Map<string, string>();
  for (const n of ['alice', 'bob', 'carol', 'dave']) {
    for (const f of ['1.root.json', '2.root.json']) for (const id of await keyidsOf(n, join(ws, 'metadata', f))) names.set(id, n);
  }
  const expectRow = (label: string, role: { keyids: string[]; threshold: number }): string => {
    const who = role.keyids.filter((k) => sigs.includes(k)).map((k) => `${names.get(k) ?? '?'} \`${k}\``);
    return `| root version 2 | ${label} | ${String(role.threshold)} of ${String(role.keyids.length)} | ${who.join(' — ')} |`;
  };
  const md = await runAt(['--dir', ws, 'audit', 'export', '--format', 'md', '--run', RUN], base);
  assert.equal(md.code, 0, md.stderr);
  assert.ok(md.stdout.includes(expectRow('old root \\(version 1\\)', root1.signed.roles.root)), md.stdout);
  assert.ok(md.stdout.includes(expectRow('new root \\(version 2\\)', root2.signed.roles.root)), md.stdout);
  assert.match(md.stdout, /\| old root \\\(version 1\\\) \| 2 of 3 \| alice `[0-9a-f]{64}` — bob `/);
  assert.match(md.stdout, /\| new root \\\(version 2\\\) \| 2 of 4 \| alice `[0-9a-f]{64}` — bob `[0-9a-f]{64}` — dave `/);
  assert.doesNotMatch(md.stdout, /must sign/);
  assert.match(md.stdout, /\| alice \| sign-root \| [^|]+ \| failed — .*wrong passphrase/);
  assert.match(md.stdout, /\| alice \| sign-root \| [^|]+ \| interrupted \|/);
  assert.match(md.stdout, /stopped \| publish-root \| step publish-root failed: .* the run resumes at step sign-root/);
  assert.match(md.stdout, /\| Status \| finished \|/);
  for (const r of [r0, r1, r2, r3]) for (const text of [r.stdout, r.stderr]) assert.ok(!text.includes(RUN_PASS) && !text.includes(WRONG), 'no passphrase is shown');
  assert.ok(!(await readFile(join(ws, 'audit', 'log.jsonl'), 'utf8')).includes(WRONG));
});
