// SPDX-License-Identifier: Apache-2.0
/**
 * A test hook (docs/reliability.md, "Crash points"): every write, fsync,
 * rename and removal a workspace change makes passes a numbered crash
 * point. With `TUF_CEREMONY_CRASH_AT=N` in the environment the process
 * kills itself with SIGKILL at point N, exactly as a power cut or `kill -9`
 * would stop it there; `TUF_CEREMONY_CRASH_LOG=FILE` appends each point's
 * number and label to FILE (so a test learns how many points a command has).
 * Neither variable is set in normal use; nothing else reads them.
 */
import { appendFileSync } from 'node:fs';

const at = Number(process.env['TUF_CEREMONY_CRASH_AT'] ?? '0');
const log = process.env['TUF_CEREMONY_CRASH_LOG'];
let count = 0;

/** Passes crash point `label` (e.g. "rename drafts/root.json"). */
export function crashPoint(label: string): void {
  if (at <= 0 && log === undefined) return;
  count++;
  if (log !== undefined) appendFileSync(log, `${String(count)} ${label}\n`);
  if (count === at) process.kill(process.pid, 'SIGKILL');
}
