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
  /** Whether stdout is a terminal (colour). */
  readonly isTTY: boolean;
  /** The width of the terminal stdout is, if it is one: `--help` wraps to it (else to 80 columns). */
  readonly columns?: number | undefined;
  /** Whether stderr is a terminal (progress bars; otherwise progress lines). Default: not. */
  readonly stderrIsTTY?: boolean;
  readonly cwd: string;
  /** Asks the person at the terminal; null when there is no terminal. */
  readonly prompter: Prompter | null;
}

/**
 * A writer to a process stream that a reader may close early (`| head -1`):
 * after EPIPE, writes are dropped quietly and the command ends with the exit
 * code it would have had, instead of an unhandled 'error' stack trace.
 */
function closable(stream: NodeJS.WriteStream): (text: string) => void {
  let closed = false;
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    closed = true;
  });
  return (t) => {
    if (!closed) stream.write(t);
  };
}

export function processIo(): Io {
  return {
    stdout: closable(process.stdout),
    stderr: closable(process.stderr),
    env: process.env,
    now: () => Date.now(),
    monotonic: () => performance.now(),
    isTTY: process.stdout.isTTY,
    columns: process.stdout.isTTY ? process.stdout.columns : undefined,
    stderrIsTTY: process.stderr.isTTY,
    cwd: process.cwd(),
    prompter: process.stdin.isTTY ? terminalPrompter() : null,
  };
}

/**
 * The one choke point between the commands and the terminal:
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
