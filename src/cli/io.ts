// SPDX-License-Identifier: Apache-2.0
/**
 * The edges a command may touch, wired once in main.ts: output streams, the
 * environment, the clock. Tests pass their own.
 */
import { jsonSafe, terminalSafe } from '../ui/escape.js';
import { terminalPrompter, type Prompter } from '../ui/prompts.js';

export interface Io {
  /** Data: the report, the JSON document. */
  readonly stdout: (text: string) => void;
  /** Messages: progress, warnings, errors. */
  readonly stderr: (text: string) => void;
  readonly env: { readonly [name: string]: string | undefined };
  /** The current time, in ms. Only the CLI layer asks for it. */
  readonly now: () => number;
  /** A monotonic clock in ms, for how long work has taken (progress bars); default `performance.now`. */
  readonly monotonic?: () => number;
  /** Whether stdout is a terminal (colour, progress bars). */
  readonly isTTY: boolean;
  readonly cwd: string;
  /** Asks the person at the terminal; null when there is no terminal. */
  readonly prompter: Prompter | null;
}

export function processIo(): Io {
  return {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    env: process.env,
    now: () => Date.now(),
    monotonic: () => performance.now(),
    isTTY: process.stdout.isTTY,
    cwd: process.cwd(),
    prompter: process.stdin.isTTY ? terminalPrompter() : null,
  };
}

/**
 * The one choke point between the commands and the terminal (issue 14 §0):
 * human text on stdout and stderr passes {@link terminalSafe}, so no
 * control, bidi or invisible character from a file is ever interpreted;
 * `--json` output on stdout passes {@link jsonSafe} (still the same JSON).
 * Prompt messages are shown with every hidden character escaped.
 */
export function safeIo(io: Io, json: boolean): Io {
  const p = io.prompter;
  return {
    ...io,
    stdout: (t) => io.stdout(json ? jsonSafe(t) : terminalSafe(t)),
    stderr: (t) => io.stderr(terminalSafe(t)),
    prompter:
      p === null
        ? null
        : {
            password: (m) => p.password(terminalSafe(m)),
            confirm: (m, d) => p.confirm(terminalSafe(m), d),
            input: (m, v) => p.input(terminalSafe(m), v),
          },
  };
}

/** Global options every command takes. */
export interface GlobalOptions {
  readonly json: boolean;
  readonly color: boolean;
  readonly input: boolean;
  readonly yes: boolean;
  /** The workspace (`--dir`); commands default to the current directory. */
  readonly dir?: string | undefined;
}
