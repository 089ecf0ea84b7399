// SPDX-License-Identifier: Apache-2.0
/**
 * Shows a review on the terminal: the summary first, one
 * screen whatever the draft's size; then the details through `less` when
 * stdout and stdin are a terminal and `less` is on PATH (quit it to come
 * back to the summary and the prompt), else printed after the summary, with
 * the hash repeated at the end. `--full` prints everything, no pager.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { groupedHash, type Review } from '../ceremony/review.js';
import { terminalSafe } from '../ui/escape.js';
import type { Style } from '../ui/render.js';
import type { Io } from './io.js';

/** The `less` on PATH, or null. */
function findLess(io: Io): string | null {
  for (const dir of (io.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const p = join(dir, 'less');
    if (existsSync(p)) return p;
  }
  return null;
}

/** A review line coloured by what it says: added, removed, warnings. The text is escaped before (buildReview). */
export function colourLine(line: string, style: Style): string {
  const t = line.trimStart();
  if (t.startsWith('WARNING')) return style.warn(line);
  if (t.startsWith('+ ')) return style.ok(line);
  if (t.startsWith('- ')) return style.bad(line);
  return line;
}

export interface ReviewScreenOptions {
  /** Everything at once, no pager. */
  readonly full: boolean;
  /** Where the review goes: stdout, or stderr when stdout carries --json. */
  readonly write: (text: string) => void;
  readonly style: Style;
  /** Lines before the summary (the request's file) and after the details (the signing key). */
  readonly header: readonly string[];
  readonly footer: readonly string[];
  /** Whether the person at the terminal can page (stdout and stdin are terminals). */
  readonly interactive: boolean;
}

/** Prints the review; returns how the details were shown. */
export function showReview(review: Review, io: Io, o: ReviewScreenOptions): 'pager' | 'printed' | 'none' {
  const put = (lines: readonly string[]): void => {
    for (const l of lines) o.write(colourLine(l, o.style) + '\n');
  };
  put([...o.header, ...review.summary]);
  const less = o.full || !o.interactive || review.details.length === 0 ? null : findLess(io);
  if (less !== null) {
    put(['', `Details: ${String(review.details.length)} lines, shown in less (space: next page, q: back here). --full prints them instead.`]);
    const text = terminalSafe([...review.summary, '', ...review.details.map((l) => colourLine(l, o.style))].join('\n') + '\n');
    // LESSSECURE: no shell, editor or file commands from inside the pager.
    const r = spawnSync(less, ['-R'], { input: text, stdio: ['pipe', 'inherit', 'inherit'], env: { ...io.env, LESSSECURE: '1', LESS: '' } });
    if (r.error === undefined && r.status === 0) {
      put([...o.footer, `SHA-256 of the bytes you sign: ${groupedHash(review.sha256)}`]);
      return 'pager';
    }
  }
  if (review.details.length > 0) put(['', 'Details:', ...review.details]);
  put([...o.footer, ...(review.details.length > 0 ? [`SHA-256 of the bytes you sign (as above): ${groupedHash(review.sha256)}`] : [])]);
  return review.details.length > 0 ? 'printed' : 'none';
}
