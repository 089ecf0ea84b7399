// SPDX-License-Identifier: Apache-2.0
/**
 * Crash safety (issue 4 §8): `collect` and `publish` run as real processes
 * and are killed with SIGKILL at random points, many times over. After every
 * kill: no collected signature is lost (the set of valid signatures in the
 * draft only grows), no file is half-written (every file parses), `status`
 * reads the workspace, the audit chain is intact, and the ceremony goes on
 * to a published root that verifies.
 *
 * The kill times come from a seeded generator; the seed is printed so a
 * failure can be replayed (TUF_CEREMONY_CRASH_SEED=…).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseJson } from '../../src/metadata/json.js';
import { parseMetadata } from '../../src/metadata/parse.js';
import { verifyWithRoot } from '../../src/metadata/verify.js';
import { prng } from '../support/prng.js';
import { rootV2Signed, writeRunner } from '../support/processes.js';
import { runCli } from '../support/cli.js';
import { CEREMONY_NOW, CEREMONY_PASS, ceremonyFixture, type CeremonyFixture } from '../support/ceremony.js';

const SEED = Number(process.env['TUF_CEREMONY_CRASH_SEED'] ?? String(randomInt(1_000_000)));
/** Seeded (mulberry32), so a failing run can be replayed. */
const random = prng(SEED);

let base: string;
let fx: CeremonyFixture;
let sigs: string[];
let runner: string;
before(async () => {
  base = await mkdtemp(join(tmpdir(), 'tuf-ceremony-crash-'));
  fx = await ceremonyFixture(base);
  sigs = await rootV2Signed(fx);
  await cp(fx.ws, join(base, 'pristine'), { recursive: true });
  // The real CLI in a child process, at the fixed reference time.
  runner = await writeRunner(base, { quiet: true, marker: 'R' });
});
after(async () => {
  await rm(base, { recursive: true, force: true });
});

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Time from the moment the CLI started its work (modules loaded) to the exit. */
  readonly workMs: number;
}

/**
 * Runs the CLI in a child process. With `killAfterMs`, the child is killed
 * with SIGKILL that long after it starts the command's work (the runner
 * says when, once its modules are loaded), so kills land in the work.
 */
function child(cwd: string, args: readonly string[], killAfterMs?: number): Promise<Run> {
  return new Promise((done) => {
    const p = spawn(process.execPath, [runner, ...args], { cwd, stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, TUF_CEREMONY_PASSPHRASE: CEREMONY_PASS } });
    let started: number | undefined;
    let timer: NodeJS.Timeout | undefined;
    p.stdout.on('data', () => {
      if (started !== undefined) return;
      started = performance.now();
      if (killAfterMs !== undefined) timer = setTimeout(() => p.kill('SIGKILL'), killAfterMs);
    });
    p.on('exit', (code, signal) => {
      if (timer !== undefined) clearTimeout(timer);
      done({ code, signal, workMs: performance.now() - (started ?? performance.now()) });
    });
  });
}

/** Every file of the workspace (temporary files aside) reads whole: JSON parses, metadata is valid. */
async function assertNothingHalfWritten(ws: string): Promise<void> {
  for (const sub of ['drafts', 'metadata', 'signatures', 'requests', 'keyholders']) {
    for (const f of await readdir(join(ws, sub))) {
      if (f.endsWith('.tmp')) continue;
      const bytes = await readFile(join(ws, sub, f));
      if (sub === 'drafts' || sub === 'metadata') parseMetadata(bytes, `${sub}/${f}`);
      else parseJson(bytes, `${sub}/${f}`);
    }
  }
  if (existsSync(join(ws, 'manifest.json'))) parseJson(await readFile(join(ws, 'manifest.json')), 'manifest.json');
  const audit = await runCli(['--dir', ws, 'audit', 'verify'], { now: CEREMONY_NOW });
  assert.equal(audit.code, 0, `audit chain after a kill (seed ${String(SEED)}): ${audit.stdout}${audit.stderr}`);
  const status = await runCli(['--dir', ws, '--json', 'status'], { now: CEREMONY_NOW });
  assert.equal(status.code, 0, `status after a kill (seed ${String(SEED)}): ${status.stderr}`);
}

/** Key IDs with a valid signature on the root draft, judged with both roots' root keys; every stored signature must be valid. */
async function validSignatures(ws: string): Promise<Set<string>> {
  const draftPath = join(ws, 'drafts', 'root.json');
  if (!existsSync(draftPath)) return new Set();
  const md = parseMetadata(await readFile(draftPath), 'drafts/root.json', 'root');
  const v1 = parseMetadata(await readFile(join(ws, 'metadata', '1.root.json')), '1.root.json', 'root').signed;
  const old = verifyWithRoot(v1, 'root', md);
  const mine = verifyWithRoot(md.signed, 'root', md);
  const valid = new Set([...old.valid, ...mine.valid]);
  for (const s of md.signatures) assert.ok(valid.has(s.keyid), `a stored signature does not verify: ${s.keyid} (seed ${String(SEED)})`);
  return valid;
}

describe(`crash safety: SIGKILL during collect and publish (seed ${String(SEED)})`, () => {
  it('collect: killed 30 times at random points, no collected signature is lost and the ceremony goes on', { timeout: 240_000 }, async () => {
    const probe = join(base, 'collect-probe');
    await cp(join(base, 'pristine'), probe, { recursive: true });
    const full = await child(probe, ['collect', ...sigs]);
    assert.equal(full.code, 0);
    const span = full.workMs * 1.1;
    let kills = 0;
    for (let seq = 0; seq < 6; seq++) {
      const ws = join(base, `collect-${String(seq)}`);
      await cp(join(base, 'pristine'), ws, { recursive: true });
      let before = await validSignatures(ws);
      assert.equal(before.size, 0);
      for (let i = 0; i < 5; i++) {
        // Each run collects one more file than the last, so kills land in runs with real work to do.
        const files = sigs.slice(0, 1 + (i % sigs.length));
        const r = await child(ws, ['collect', ...files], random() * span);
        if (r.signal === 'SIGKILL') kills++;
        await assertNothingHalfWritten(ws);
        const now = await validSignatures(ws);
        for (const k of before) assert.ok(now.has(k), `signature of ${k} lost after a kill (seed ${String(SEED)})`);
        before = now;
      }
      const done = await child(ws, ['collect', ...sigs]);
      assert.equal(done.code, 0);
      assert.equal((await validSignatures(ws)).size, 3);
      const st = JSON.parse((await runCli(['--dir', ws, '--json', 'status'], { now: CEREMONY_NOW })).stdout) as { drafts: { publishable: boolean }[] };
      assert.equal(st.drafts[0]?.publishable, true);
    }
    assert.ok(kills >= 10, `at least 10 of the 30 runs were killed before they finished (${String(kills)})`);
    process.stdout.write(`# collect: ${String(kills)} of 30 runs killed, within ${full.workMs.toFixed(0)} ms of work\n`);
  });

  it('publish: killed 20 times at random points, every file whole, and publish finishes what was cut short', { timeout: 240_000 }, async () => {
    const signedWs = join(base, 'signed');
    await cp(join(base, 'pristine'), signedWs, { recursive: true });
    assert.equal((await child(signedWs, ['collect', ...sigs])).code, 0);
    const probe = join(base, 'publish-probe');
    await cp(signedWs, probe, { recursive: true });
    const full = await child(probe, ['publish', 'root']);
    assert.equal(full.code, 0);
    const span = full.workMs * 1.1;
    let kills = 0;
    let cutAfterWrite = 0;
    for (let i = 0; i < 20; i++) {
      const ws = join(base, `publish-${String(i)}`);
      await cp(signedWs, ws, { recursive: true });
      const r = await child(ws, ['publish', 'root'], random() * span);
      if (r.signal === 'SIGKILL') kills++;
      await assertNothingHalfWritten(ws);
      const hasV2 = existsSync(join(ws, 'metadata', '2.root.json'));
      const hasDraft = existsSync(join(ws, 'drafts', 'root.json'));
      if (hasV2 && hasDraft) cutAfterWrite++;
      if (hasDraft) {
        // The ceremony goes on: publish again, to the end.
        const again = await runCli(['--dir', ws, 'publish', 'root'], { now: CEREMONY_NOW });
        assert.equal(again.code, 0, `publish after a kill (seed ${String(SEED)}): ${again.stderr}`);
      }
      assert.equal(existsSync(join(ws, 'drafts', 'root.json')), false);
      const v = await runCli(['verify', join(ws, 'metadata'), '--at', '2030-06-01T00:00:00Z', '--json'], { now: CEREMONY_NOW });
      assert.equal(v.code, 0, v.stdout);
      assert.equal((JSON.parse(v.stdout) as { finalRoot: { version: number } }).finalRoot.version, 2);
      assert.ok((await readFile(join(ws, 'metadata', 'root.json'))).equals(await readFile(join(ws, 'metadata', '2.root.json'))));
      await assertNothingHalfWritten(ws);
    }
    assert.ok(kills >= 5, `at least 5 of the 20 runs were killed before they finished (${String(kills)})`);
    // Reported, not asserted: how often a kill fell between writing 2.root.json and removing the draft.
    process.stdout.write(`# publish kills: ${String(kills)} of 20; cut after the metadata was written: ${String(cutAfterWrite)}\n`);
  });
});
