// SPDX-License-Identifier: Apache-2.0
/**
 * A closed stdout (`tuf-ceremony --help | head -1`): the real binary in a
 * child process whose stdout pipe is closed before it writes, and through a
 * shell pipeline into `head -1`. The process ends quietly (no EPIPE, no
 * stack trace) with the exit code it has when its output is read in full.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { packageRoot } from '../../src/store/self-hash.js';

const BIN = join(packageRoot() ?? '.', 'bin', 'tuf-ceremony.js');
const FIXTURE = join(packageRoot() ?? '.', 'test', 'fixtures', 'sigstore-root-signing');

let base: string;
let ws: string;

before(async () => {
  base = await mkdtemp(join(tmpdir(), 'tuf-ceremony-epipe-'));
  ws = join(base, 'ws');
  const init = spawnSync(process.execPath, [BIN, 'init', ws, '--name', 'pipe'], { encoding: 'utf8' });
  assert.equal(init.status, 0, init.stderr);
});

after(async () => {
  await rm(base, { recursive: true, force: true });
});

/** Runs the binary with stdout read in full: its exit code. */
function fullRun(args: readonly string[]): number | null {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).status;
}

/** Runs the binary with the read end of its stdout pipe closed before it has written anything. */
function closedEarly(args: readonly string[]): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (code, signal) => done({ code, signal, stderr }));
  });
}

const CASES: readonly (readonly [string, readonly string[], number])[] = [
  ['--help', ['--help'], 0],
  ['status', ['--dir', '<ws>', 'status'], 0],
  ['verify (a check that says no)', ['verify', FIXTURE, '--at', '2022-01-01T00:00:00Z'], 1],
];

describe('a closed stdout ends the process quietly with its own exit code', () => {
  for (const [name, raw, want] of CASES) {
    test(name, async () => {
      const args = raw.map((a) => (a === '<ws>' ? ws : a));
      assert.equal(fullRun(args), want, 'the exit code with stdout read in full');
      const r = await closedEarly(args);
      assert.equal(r.signal, null);
      assert.equal(r.code, want, r.stderr);
      assert.doesNotMatch(r.stderr, /EPIPE|Unhandled 'error' event|\n\s+at /);
    });
  }

  test('through a shell pipeline: tuf-ceremony --help | head -1, and status | head -1', () => {
    for (const args of [['--help'], ['--dir', ws, 'status']]) {
      const cmd = `"${process.execPath}" "${BIN}" ${args.map((a) => `"${a}"`).join(' ')} | head -1; echo "exit \${PIPESTATUS[0]}" >&2`;
      const r = spawnSync('bash', ['-c', cmd], { encoding: 'utf8' });
      assert.equal(r.stdout.split('\n').length, 2, r.stdout);
      assert.match(r.stderr, /^exit 0\n$/, r.stderr);
    }
  });
});
