// SPDX-License-Identifier: Apache-2.0
/**
 * Crash points (issue 12 §8): `collect`, `publish`, `targets add` and root
 * edits run as real processes and kill themselves with SIGKILL at EVERY
 * write, fsync'd temporary file, rename, removal and audit append, one run
 * per point (the test hook TUF_CEREMONY_CRASH_AT=N, src/store/crash-point.ts:
 * deterministic, no timing). After each kill the next command (status)
 * reconciles, and then: no temporary file is left, the audit chain is
 * intact, no intent lacks its outcome, every file of the workspace is the
 * one its log says (no unaudited change); the command run again finishes:
 * no signature lost, no edit lost; what was published is accepted by
 * python-tuf and tuf-js.
 *
 * The long campaign (TUF_CEREMONY_CAMPAIGN=long, `npm run campaign`) also
 * kills the recovering command at each of its own points (a crash during
 * recovery).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TEMP_FILE } from '../../src/store/atomic.js';
import { parseMetadata } from '../../src/metadata/parse.js';
import { sha256Hex } from '../../src/metadata/sha256.js';
import { verifyWithRoot } from '../../src/metadata/verify.js';
import { rawAuditEntries } from '../support/audit.js';
import { runCli } from '../support/cli.js';
import { CEREMONY_NOW, CEREMONY_PASS, ceremonyFixture, type CeremonyFixture } from '../support/ceremony.js';
import { rootV2Signed, walk, writeRunner } from '../support/processes.js';
import { isoSeconds, judgedAllByClients } from '../support/judges.js';

const LONG = process.env['TUF_CEREMONY_CAMPAIGN'] === 'long';
const EXPIRES = '2031-03-01T00:00:00Z';

let base: string;
let fx: CeremonyFixture;
let runner: string;
let sigs: string[];
let targetFiles: string[];

before(async () => {
  base = await mkdtemp(join(tmpdir(), 'tuf-ceremony-points-'));
  fx = await ceremonyFixture(base);
  await fx.ok(fx.ws, ['targets', 'draft']);
  sigs = await rootV2Signed(fx);
  await cp(fx.ws, join(base, 'pristine'), { recursive: true });
  await fx.ok(fx.ws, ['collect', ...sigs]);
  await cp(fx.ws, join(base, 'signed'), { recursive: true });
  await mkdir(join(base, 'files'));
  targetFiles = [];
  for (let i = 0; i < 3; i++) {
    const f = join(base, 'files', `release-${String(i)}.txt`);
    await writeFile(f, `release ${String(i)}\n`);
    targetFiles.push(f);
  }
  runner = await writeRunner(base, { quiet: true });
});
after(async () => {
  await rm(base, { recursive: true, force: true });
});

function child(cwd: string, args: readonly string[], env: Record<string, string>): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((done) => {
    const p = spawn(process.execPath, [runner, ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TUF_CEREMONY_PASSPHRASE: CEREMONY_PASS, ...env } });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('exit', (code, signal) => done({ code, signal, stderr }));
  });
}

/** The crash points a command passes, run whole in a copy of `from`. */
async function points(from: string, args: readonly string[]): Promise<string[]> {
  const ws = join(base, `probe-${String(Math.random()).slice(2)}`);
  await cp(from, ws, { recursive: true });
  const log = join(base, `points-${String(Math.random()).slice(2)}.txt`);
  const r = await child(ws, args, { TUF_CEREMONY_CRASH_LOG: log });
  assert.equal(r.code, 0, r.stderr);
  return readFileSync(log, 'utf8').trim().split('\n');
}

/**
 * The workspace is what its log says: replaying every entry (a change's
 * files when its outcome says so; a plain entry's written artifacts) gives
 * each audited file's hash, and the disk holds exactly those.
 */
async function assertAudited(ws: string, what: string): Promise<void> {
  const model = new Map<string, string | null>();
  const pending = new Map<string, { writes: { path: string; sha256: string }[]; removes: { path: string }[] }>();
  const entries = await rawAuditEntries(ws);
  for (const e of entries) {
    const change = e.details['change'] as { tx: string; writes: { path: string; sha256: string }[]; removes: { path: string }[] } | undefined;
    if (e.command === 'outcome') {
      const c = pending.get(e.details['tx'] as string);
      assert.ok(c !== undefined, `${what}: an outcome without its intent`);
      pending.delete(e.details['tx'] as string);
      if (e.details['result'] === 'rolled back') continue;
      for (const w of c.writes) model.set(w.path, w.sha256);
      for (const r of c.removes) model.set(r.path, null);
    } else if (change !== undefined) pending.set(change.tx, change);
    else for (const w of e.artifacts.written) model.set(w.path, w.sha256);
  }
  assert.equal(pending.size, 0, `${what}: an intent has no outcome after the next command ran`);
  const audited = (p: string): boolean => /^(drafts|metadata|signatures|keyholders)\//.test(p) || p === 'manifest.json' || p === 'anchors.jsonl' || p === 'ceremony.json';
  const onDisk = new Map(walk(ws).map((p) => [p.slice(ws.length + 1), p] as const).filter(([rel]) => audited(rel)));
  for (const [rel, abs] of onDisk) {
    assert.equal(sha256Hex(readFileSync(abs)), model.get(rel), `${what}: ${rel} on disk is not what the audit log says (an unaudited change)`);
  }
  for (const [rel, sha] of model) if (sha !== null && audited(rel)) assert.ok(onDisk.has(rel), `${what}: ${rel} is in the log but not on disk`);
}

async function assertConsistent(ws: string, what: string): Promise<void> {
  const temps = walk(ws).filter((p) => TEMP_FILE.test(p.split('/').at(-1) ?? ''));
  assert.deepEqual(temps, [], `${what}: temporary files left`);
  const v = await runCli(['--dir', ws, 'audit', 'verify'], { now: CEREMONY_NOW });
  assert.equal(v.code, 0, `${what}: audit chain: ${v.stdout}${v.stderr}`);
  await assertAudited(ws, what);
}

/** Valid signatures on the root draft (judged by root v1 and by the draft's own root keys). */
function validRootSignatures(ws: string): Set<string> {
  const p = join(ws, 'drafts', 'root.json');
  if (!existsSync(p)) return new Set();
  const md = parseMetadata(readFileSync(p), 'drafts/root.json', 'root');
  const v1 = parseMetadata(readFileSync(join(ws, 'metadata', '1.root.json')), '1.root.json', 'root').signed;
  return new Set([...verifyWithRoot(v1, 'root', md).valid, ...verifyWithRoot(md.signed, 'root', md).valid]);
}

interface Scenario {
  readonly name: string;
  readonly from: () => string;
  readonly args: () => string[];
  /** Keeps the draft's signatures (root edits discard them, by design and audited). */
  readonly keepsSignatures: boolean;
  /** After the command ran again: its effect is whole. */
  readonly done: (ws: string) => void;
}

const scenarios: Scenario[] = [
  {
    name: 'collect (3 signature files)',
    keepsSignatures: true,
    from: () => join(base, 'pristine'),
    args: () => ['collect', ...sigs],
    done: (ws) => assert.equal(validRootSignatures(ws).size, 3, 'a collected signature was lost'),
  },
  {
    name: 'publish root',
    keepsSignatures: true,
    from: () => join(base, 'signed'),
    args: () => ['publish', 'root'],
    done: (ws) => {
      assert.equal(existsSync(join(ws, 'drafts', 'root.json')), false);
      assert.ok(readFileSync(join(ws, 'metadata', 'root.json')).equals(readFileSync(join(ws, 'metadata', '2.root.json'))));
    },
  },
  {
    name: 'targets add (3 files)',
    keepsSignatures: true,
    from: () => join(base, 'pristine'),
    args: () => ['targets', 'add', ...targetFiles],
    done: (ws) => {
      const md = parseMetadata(readFileSync(join(ws, 'drafts', 'targets.json')), 'targets', 'targets');
      assert.deepEqual(Object.keys(md.signed.targets).sort(), ['release-0.txt', 'release-1.txt', 'release-2.txt'], 'an added target was lost');
    },
  },
  {
    name: 'root expires',
    keepsSignatures: false,
    from: () => join(base, 'signed'),
    args: () => ['root', 'expires', EXPIRES],
    done: (ws) => assert.equal(parseMetadata(readFileSync(join(ws, 'drafts', 'root.json')), 'root', 'root').signed.expires, EXPIRES, 'the edit was lost'),
  },
  {
    name: 'root set-threshold',
    keepsSignatures: false,
    from: () => join(base, 'signed'),
    args: () => ['root', 'set-threshold', 'root', '3'],
    done: (ws) => assert.equal(parseMetadata(readFileSync(join(ws, 'drafts', 'root.json')), 'root', 'root').signed.roles['root']?.threshold, 3, 'the edit was lost'),
  },
];

const published: string[] = [];

describe(`crash points: SIGKILL at every write and rename${LONG ? ' (long campaign: and at every point of the recovery)' : ''}`, () => {
  for (const s of scenarios) {
    it(`${s.name}: killed at each of its crash points, then recovered whole`, { timeout: 900_000 }, async () => {
      const list = await points(s.from(), s.args());
      assert.ok(list.length >= 6, `${s.name}: ${String(list.length)} crash points`);
      let runs = 0;
      for (let k = 1; k <= list.length; k++) {
        const what = `${s.name}, killed at point ${String(k)} (${list[k - 1] ?? ''})`;
        const ws = join(base, `${s.name.replace(/\W+/g, '-')}-${String(k)}`);
        await cp(s.from(), ws, { recursive: true });
        const before = validRootSignatures(ws);
        const r = await child(ws, s.args(), { TUF_CEREMONY_CRASH_AT: String(k) });
        assert.equal(r.signal, 'SIGKILL', `${what}: not killed (${String(r.code)}: ${r.stderr})`);
        runs++;
        if (LONG) {
          // A crash during the recovery too: the next command killed at each of its first points.
          for (let j = 1; j <= 4; j++) {
            const again = await child(ws, ['status'], { TUF_CEREMONY_CRASH_AT: String(j) });
            runs++;
            if (again.signal !== 'SIGKILL') break;
          }
        }
        const st = await runCli(['--dir', ws, 'status'], { now: CEREMONY_NOW, env: {} });
        assert.equal(st.code, 0, `${what}: status: ${st.stderr}`);
        await assertConsistent(ws, what);
        if (s.keepsSignatures) for (const id of before) assert.ok(validRootSignatures(ws).has(id) || !existsSync(join(ws, 'drafts', 'root.json')), `${what}: signature ${id} lost`);
        if (!(s.name === 'publish root' && !existsSync(join(ws, 'drafts', 'root.json')))) {
          const again = await runCli(['--dir', ws, '--no-input', ...s.args()], { now: CEREMONY_NOW, env: { TUF_CEREMONY_PASSPHRASE: CEREMONY_PASS } });
          assert.equal(again.code, 0, `${what}: run again: ${again.stderr}`);
        }
        s.done(ws);
        await assertConsistent(ws, `${what}, run again`);
        if (s.name === 'publish root') published.push(join(ws, 'metadata'));
      }
      process.stdout.write(`# ${s.name}: ${String(list.length)} crash points, ${String(runs)} killed runs, 0 lost\n`);
    });
  }

  it('what every publish that was killed and finished wrote is accepted by python-tuf and tuf-js', { timeout: 120_000 }, async (t) => {
    assert.ok(published.length >= 6);
    // Each client updates its trusted root 1 → 2 (and walks whatever else the directory holds) at the ceremony's time.
    for (const d of published) assert.ok(!existsSync(join(d, '3.root.json')), `${d}: root version 2 is the last`);
    const at = isoSeconds(CEREMONY_NOW);
    await judgedAllByClients(t, published.map((dir) => ({ dir, at, trustedRoot: '1.root.json' })), 'accept', { covers: ['1.root.json', '2.root.json'] });
    process.stdout.write(`# ${String(published.length)} published repositories judged by python-tuf and tuf-js\n`);
  });
});
