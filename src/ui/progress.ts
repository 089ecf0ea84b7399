// SPDX-License-Identifier: Apache-2.0
/**
 * Progress for long work (hashing large target files, verifying thousands of
 * metadata files), on stderr, only once the work has taken longer than a
 * moment, so quick runs and scripts see nothing. When stderr is a terminal a
 * bar is redrawn in place and erased when the work is done; when it is not
 * (a log file, CI), a plain line now and then says what is being done.
 */
/** How long work may take before a bar appears. */
export const PROGRESS_DELAY_MS = 500;
/** Least time between two redraws. */
export const PROGRESS_INTERVAL_MS = 100;
const BAR_WIDTH = 24;

/** Without a terminal: how long work may take before the first line, and the least time between lines. */
export const PROGRESS_LINE_DELAY_MS = 2_000;
export const PROGRESS_LINE_INTERVAL_MS = 10_000;

/** What is counted: bytes (hashing) or files (verifying). */
export type ProgressUnit = 'bytes' | 'files';

export interface ProgressView {
  readonly label: string;
  readonly done: number;
  readonly total: number;
  readonly elapsedMs: number;
  readonly unit?: ProgressUnit;
}

function amount(n: number, unit: ProgressUnit): string {
  return unit === 'bytes' ? formatBytes(n) : `${n.toLocaleString('en-US')} file${n === 1 ? '' : 's'}`;
}

/** `1.5 MiB`, `64.0 MiB`, `812 B`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${String(n)} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i] as string}`;
}

/**
 * One line of the bar, e.g.
 * `hashing [##########--------------]  42%  27.0 MiB of 64.0 MiB, 54.0 MiB/s`.
 * Pure.
 */
export function renderProgressBar(v: ProgressView, width = BAR_WIDTH): string {
  const unit = v.unit ?? 'bytes';
  const fraction = v.total <= 0 ? 1 : Math.min(1, Math.max(0, v.done / v.total));
  const filled = Math.round(fraction * width);
  const percent = `${String(Math.floor(fraction * 100)).padStart(3)}%`;
  const rate = v.elapsedMs > 0 && unit === 'bytes' ? `, ${formatBytes(Math.round((v.done * 1000) / v.elapsedMs))}/s` : '';
  const of = unit === 'bytes' ? `${formatBytes(v.done)} of ${formatBytes(v.total)}` : `${v.done.toLocaleString('en-US')} of ${amount(v.total, unit)}`;
  return `${v.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${percent}  ${of}${rate}`;
}

/** One plain line for a log, e.g. `hashing: 42% (27.0 MiB of 64.0 MiB) after 12 s`. Pure. */
export function renderProgressLine(v: ProgressView): string {
  const unit = v.unit ?? 'bytes';
  const fraction = v.total <= 0 ? 1 : Math.min(1, Math.max(0, v.done / v.total));
  const of = unit === 'bytes' ? `${formatBytes(v.done)} of ${formatBytes(v.total)}` : `${v.done.toLocaleString('en-US')} of ${amount(v.total, unit)}`;
  return `${v.label}: ${String(Math.floor(fraction * 100))}% (${of}) after ${String(Math.round(v.elapsedMs / 1000))} s`;
}

export interface ProgressOptions {
  readonly label: string;
  /** Where the bar goes (stderr). */
  readonly write: (text: string) => void;
  /** Whether that (stderr) is a terminal: a bar; otherwise a plain line now and then. */
  readonly isTTY: boolean;
  /** A monotonic clock in ms. */
  readonly clock: () => number;
  readonly delayMs?: number;
  readonly intervalMs?: number;
  /** Without a terminal: the delay before the first line and the least time between lines. */
  readonly lineDelayMs?: number;
  readonly lineIntervalMs?: number;
  readonly unit?: ProgressUnit;
}

export interface Progress {
  update(done: number, total: number): void;
  /** Erases the bar, if one was drawn. */
  finish(): void;
}

/**
 * Progress that shows itself only after a delay: on a terminal a bar at most
 * every `intervalMs`, erased at the end; otherwise a line at most every
 * `lineIntervalMs`, and a last line when it is done.
 */
export function progressBar(o: ProgressOptions): Progress {
  const start = o.clock();
  const unit = o.unit ?? 'bytes';
  if (!o.isTTY) {
    const delay = o.lineDelayMs ?? PROGRESS_LINE_DELAY_MS;
    const interval = o.lineIntervalMs ?? PROGRESS_LINE_INTERVAL_MS;
    let lineAt: number | undefined;
    let last: { done: number; total: number } = { done: 0, total: 0 };
    return {
      update(done, total) {
        last = { done, total };
        const now = o.clock();
        if (now - start < delay || (lineAt !== undefined && now - lineAt < interval)) return;
        lineAt = now;
        o.write(`${renderProgressLine({ label: o.label, done, total, elapsedMs: now - start, unit })}\n`);
      },
      finish() {
        if (lineAt !== undefined) o.write(`${o.label}: done, ${amount(last.total, unit)} in ${String(Math.round((o.clock() - start) / 1000))} s\n`);
      },
    };
  }
  const delay = o.delayMs ?? PROGRESS_DELAY_MS;
  const interval = o.intervalMs ?? PROGRESS_INTERVAL_MS;
  let drawnAt: number | undefined;
  return {
    update(done, total) {
      const now = o.clock();
      if (now - start < delay) return;
      if (drawnAt !== undefined && now - drawnAt < interval && done < total) return;
      drawnAt = now;
      // \r: back to the start of the line; \x1b[K: erase to its end.
      o.write(`\r${renderProgressBar({ label: o.label, done, total, elapsedMs: now - start, unit })}\u001b[K`);
    },
    finish() {
      if (drawnAt !== undefined) o.write('\r\u001b[K');
    },
  };
}
