// SPDX-License-Identifier: Apache-2.0
/**
 * A progress bar for long work (hashing large target files), drawn on
 * stderr only on a terminal and only once the work has taken longer than a
 * moment, so quick runs and scripts see nothing. The line is redrawn in
 * place and erased when the work is done.
 */

/** How long work may take before a bar appears. */
export const PROGRESS_DELAY_MS = 500;
/** Least time between two redraws. */
export const PROGRESS_INTERVAL_MS = 100;
const BAR_WIDTH = 24;

export interface ProgressView {
  readonly label: string;
  readonly done: number;
  readonly total: number;
  readonly elapsedMs: number;
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
  const fraction = v.total <= 0 ? 1 : Math.min(1, Math.max(0, v.done / v.total));
  const filled = Math.round(fraction * width);
  const percent = `${String(Math.floor(fraction * 100)).padStart(3)}%`;
  const rate = v.elapsedMs > 0 ? `, ${formatBytes(Math.round((v.done * 1000) / v.elapsedMs))}/s` : '';
  return `${v.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${percent}  ${formatBytes(v.done)} of ${formatBytes(v.total)}${rate}`;
}

export interface ProgressOptions {
  readonly label: string;
  /** Where the bar goes (stderr). */
  readonly write: (text: string) => void;
  /** Whether that is a terminal; without one nothing is ever written. */
  readonly isTTY: boolean;
  /** A monotonic clock in ms. */
  readonly clock: () => number;
  readonly delayMs?: number;
  readonly intervalMs?: number;
}

export interface Progress {
  update(done: number, total: number): void;
  /** Erases the bar, if one was drawn. */
  finish(): void;
}

const NONE: Progress = { update: () => undefined, finish: () => undefined };

/** A progress bar that draws itself only on a terminal, after `delayMs`, at most every `intervalMs`. */
export function progressBar(o: ProgressOptions): Progress {
  if (!o.isTTY) return NONE;
  const start = o.clock();
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
      o.write(`\r${renderProgressBar({ label: o.label, done, total, elapsedMs: now - start })}\u001b[K`);
    },
    finish() {
      if (drawnAt !== undefined) o.write('\r\u001b[K');
    },
  };
}
