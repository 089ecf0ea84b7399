// SPDX-License-Identifier: Apache-2.0
/**
 * Progress of long commands on stderr: a bar only when stderr is a terminal
 * (stdout does not matter), and without one a plain line now and then, for
 * `verify` (files read) as for `targets add` (bytes hashed, see
 * targets.test.ts). A monotonic clock is passed in: no wall-clock timing.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../../src/store/self-hash.js';
import { runCli } from '../support/cli.js';

const FIXTURE = join(packageRoot() ?? '.', 'test', 'fixtures', 'sigstore-root-signing');
const ARGS = ['verify', FIXTURE, '--at', '2021-06-01T00:00:00Z'];

test('verify: progress lines on a stderr that is not a terminal, a bar on one that is, nothing when quick', async () => {
  let t = 0;
  const slow = (): number => (t += 4_000);
  const logged = await runCli(ARGS, { now: 0, isTTY: true, stderrIsTTY: false, monotonic: slow });
  assert.match(logged.stderr, /^verifying: \d+% \(\d+ of \d+ files\) after \d+ s$/m);
  assert.match(logged.stderr, /^verifying: done, \d+ files in \d+ s$/m);
  assert.ok(!logged.stderr.includes('\r') && !logged.stderr.includes('\u001b'), 'plain lines for a log');
  assert.ok(!logged.stdout.includes('verifying:'), 'progress never goes to stdout');
  t = 0;
  const terminal = await runCli(ARGS, { now: 0, isTTY: false, stderrIsTTY: true, monotonic: slow });
  assert.match(terminal.stderr, new RegExp(String.raw`\rverifying \[#*-*\] +\d+% {2}\d+ of \d+ files\u001b\[K`));
  assert.ok(terminal.stderr.includes('\r\u001b[K'), 'the bar is erased at the end');
  assert.equal(terminal.code, logged.code);
  const quick = await runCli(ARGS, { now: 0, stderrIsTTY: false, monotonic: () => 0 });
  assert.doesNotMatch(quick.stderr, /verifying/);
});
