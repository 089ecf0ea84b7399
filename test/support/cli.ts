// SPDX-License-Identifier: Apache-2.0
/** Runs the CLI in-process with captured output and no clock. */
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/io.js';
import type { Prompter } from '../../src/ui/prompts.js';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  readonly cwd?: string;
  readonly env?: Record<string, string | undefined>;
  /** The current time; by default reading the clock fails the test. */
  readonly now?: number;
  readonly prompter?: Prompter | null;
  /** Pretend stdout is a terminal (default: not). */
  readonly isTTY?: boolean;
  /** The terminal's width `--help` wraps to (default: none, 80 columns). */
  readonly columns?: number;
  /** Pretend stderr is a terminal (default: not). */
  readonly stderrIsTTY?: boolean;
  /** The monotonic clock progress bars read (default: none is given). */
  readonly monotonic?: () => number;
}

/** A clock that must never be read by tests that pass a reference time. */
function noClock(): number {
  throw new Error('the clock was read');
}

export async function runCli(args: readonly string[], opts: CliOptions = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const now = opts.now;
  const io: Io = {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env: opts.env ?? {},
    now: now === undefined ? noClock : () => now,
    isTTY: opts.isTTY ?? false,
    stderrIsTTY: opts.stderrIsTTY ?? false,
    cwd: opts.cwd ?? process.cwd(),
    prompter: opts.prompter ?? null,
    ...(opts.monotonic === undefined ? {} : { monotonic: opts.monotonic }),
    ...(opts.columns === undefined ? {} : { columns: opts.columns }),
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}
