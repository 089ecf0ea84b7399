// SPDX-License-Identifier: Apache-2.0
/**
 * `drill --scenario rotate` (the default), run through `runDrill` with the
 * real `main` wrapped so the test sees what each command was given and
 * said: the throwaway passphrases are found nowhere else (stdout, stderr,
 * every file kept). Then the client check alone (`checkClient`) against the
 * kept repository, and against a copy whose 2.root.json lacks the old
 * root's threshold, which tuf-js must refuse.
 *
 * The clock: as in drill.test.ts, tuf-js judges expiry by the real clock,
 * so the drill is given the real time (Date.now()).
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Io } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { runDrill } from '../../src/cli/commands/drill.js';
import { checkClient } from '../../src/drill/client.js';
import { runCli } from '../support/cli.js';
import { isoSeconds, judgedByClients } from '../support/judges.js';

let tmp: string;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'tuf-ceremony-drill-rotate-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Every file under `dir`, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}

interface Root {
  signed: { version: number; roles: { root: { keyids: string[]; threshold: number } } };
  signatures: { keyid: string; sig: string }[];
}

describe('drill --scenario rotate', () => {
  const out = (): string => join(tmp, 'out');
  const passphrases = new Set<string>();
  const inner: string[] = [];
  let stdout = '';
  let stderr = '';
  let code = -1;

  before(async () => {
    // The real main, recording the passphrase each command gets and everything it prints.
    const run = (argv: readonly string[], io: Io): Promise<number> => {
      const pass = io.env['TUF_CEREMONY_PASSPHRASE'];
      if (pass !== undefined) passphrases.add(pass);
      return main(argv, {
        ...io,
        stdout: (t) => {
          inner.push(t);
          io.stdout(t);
        },
        stderr: (t) => {
          inner.push(t);
          io.stderr(t);
        },
      });
    };
    const io: Io = {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      env: {},
      now: () => Date.now(),
      isTTY: false,
      cwd: tmp,
      prompter: null,
    };
    code = await runDrill({ out: out() }, { json: true, color: false, input: false, yes: false }, io, run);
  });

  it('exit 0: dave replaces carol, signed by both thresholds, and tuf-js follows root 1 → 2', () => {
    assert.equal(code, 0, stderr);
    const doc = JSON.parse(stdout) as { ok: boolean; scenario: string; clientRootVersion: number; steps: { name: string; detail: string }[] };
    assert.equal(doc.ok, true);
    assert.equal(doc.scenario, 'rotate');
    assert.equal(doc.clientRootVersion, 2);
    const detail = (name: string): string => doc.steps.find((s) => s.name === name)?.detail ?? '';
    assert.match(detail('root v2 draft'), /^dave replaces carol in root and targets/);
    assert.match(detail('root v2 signing'), /^signed by dave, alice, bob,/);
    assert.match(detail('client'), /^tuf-js trusted root v1 → v2, downloaded releases\/drill-1\.0\.txt \(\d+ bytes, as published\)/);
  });

  it('each keyholder works in a directory of their own; only encrypted private keys on disk, online keys never written', async () => {
    assert.deepEqual((await readdir(join(out(), 'keyholders'))).sort(), ['alice', 'bob', 'carol', 'dave']);
    for (const who of ['alice', 'bob', 'carol', 'dave']) {
      const key = await readFile(join(out(), 'keyholders', who, `${who}.key`), 'utf8');
      assert.match(key, /^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
      assert.equal((await stat(join(out(), 'keyholders', who, `${who}.key`))).mode & 0o777, 0o600);
    }
    const signed = (await readdir(join(out(), 'keyholders', 'alice'))).filter((f) => f.endsWith('.sig.json'));
    assert.equal(signed.length, 3, 'alice signed root v1, root v2 and targets v1, from requests carried to her');
    assert.deepEqual((await readdir(join(out(), 'online'))).sort(), ['snapshot.pub.json', 'timestamp.pub.json']);
    for (const f of await filesUnder(out())) {
      assert.doesNotMatch(await readFile(f, 'utf8'), /BEGIN (?:EC )?PRIVATE KEY/, `${f} holds no clear private key`);
    }
  });

  it('the throwaway passphrases appear nowhere: not in the output, not in any command output, not in any file', async () => {
    assert.equal(passphrases.size, 4, 'one passphrase per keyholder');
    const files = await filesUnder(out());
    assert.ok(files.length > 30);
    for (const pass of passphrases) {
      assert.ok(pass.length >= 20);
      assert.ok(!stdout.includes(pass) && !stderr.includes(pass), 'not in the drill output');
      assert.ok(!inner.some((t) => t.includes(pass)), 'not in any command output');
      for (const f of files) assert.ok(!(await readFile(f)).includes(Buffer.from(pass, 'utf8')), `not in ${f}`);
    }
  });

  it('the client check alone: accepts the kept repository from root v1', { timeout: 60_000 }, async (t) => {
    const r = await checkClient({
      repository: out(),
      trustedRoot: await readFile(join(out(), 'metadata', '1.root.json')),
      targetPath: 'releases/drill-1.0.txt',
      expected: await readFile(join(out(), 'release', 'drill-1.0.txt')),
      clientDir: join(tmp, 'client-good'),
    });
    assert.deepEqual([r.ok, r.fromVersion, r.rootVersion, r.problem], [true, 1, 2, null]);
    assert.ok(r.requests.some((q) => q.path === '/metadata/3.root.json' && q.status === 404), 'it looked for root v3 and stopped at the 404');
    assert.ok(r.requests.some((q) => /^\/targets\/releases\/[0-9a-f]{64,128}\.drill-1\.0\.txt$/.test(q.path) && q.status === 200), 'a hash-prefixed target file');
    // python-tuf and tuf-js on the files themselves: the rotation 1 → 2, the online snapshot and timestamp, targets.
    await judgedByClients(t, { dir: join(out(), 'metadata'), at: isoSeconds(Date.now()) }, 'accept', { covers: ['2.root.json', 'timestamp.json'] });
  });

  it('the client check refuses a 2.root.json without the old root threshold (exit 1 from verify too)', { timeout: 60_000 }, async (t) => {
    const bad = join(tmp, 'tampered');
    await cp(join(out(), 'metadata'), join(bad, 'metadata'), { recursive: true });
    await cp(join(out(), 'targets'), join(bad, 'targets'), { recursive: true });
    const v1 = JSON.parse(await readFile(join(bad, 'metadata', '1.root.json'), 'utf8')) as Root;
    const v2 = JSON.parse(await readFile(join(bad, 'metadata', '2.root.json'), 'utf8')) as Root;
    // Drop old-root signatures until one fewer than its threshold is left; the new root's threshold still holds.
    const old = v1.signed.roles.root;
    const oldSigs = v2.signatures.filter((s) => old.keyids.includes(s.keyid));
    const dropped = new Set(oldSigs.slice(0, oldSigs.length - (old.threshold - 1)).map((s) => s.keyid));
    const newRoot = v2.signed.roles.root;
    const kept = v2.signatures.filter((s) => !dropped.has(s.keyid));
    assert.ok(kept.filter((s) => newRoot.keyids.includes(s.keyid)).length >= newRoot.threshold, 'the new threshold still holds');
    await writeFile(join(bad, 'metadata', '2.root.json'), JSON.stringify({ ...v2, signatures: kept }, null, 2) + '\n');

    const r = await checkClient({
      repository: bad,
      trustedRoot: await readFile(join(bad, 'metadata', '1.root.json')),
      targetPath: 'releases/drill-1.0.txt',
      expected: await readFile(join(out(), 'release', 'drill-1.0.txt')),
      clientDir: join(tmp, 'client-bad'),
    });
    assert.equal(r.ok, false);
    assert.equal(r.rootVersion, 1, 'the client still trusts root v1');
    assert.match(r.problem ?? '', /^tuf-js refused: UnsignedMetadataError: root was signed by 1\/2 keys/);
    const v = await runCli(['verify', join(bad, 'metadata')], { now: Date.now() });
    assert.equal(v.code, 1);
    assert.match(v.stdout + v.stderr, /trusted root v1 keys: 1 of 2 needed signatures valid/);
    await judgedByClients(t, { dir: join(bad, 'metadata'), at: isoSeconds(Date.now()) }, { file: '2.root.json', why: /root was signed by 1\/2 keys/ });
  });
});
