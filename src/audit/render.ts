// SPDX-License-Identifier: Apache-2.0
/**
 * The audit log as people read it: `audit show` and `audit verify`. Pure:
 * lines out. Everything taken from the log is made printable first, since a
 * tampered log may carry terminal escape sequences.
 */
import { canonicalize } from '../metadata/canonical.js';
import type { Style } from '../ui/render.js';
import type { AuditArtifact, AuditEntry, AuditProblem, AuditVerifyResult, ScannedLine } from './entry.js';

/** Longest `details` text shown on one line; `--json` has it all. */
const DETAILS_WIDTH = 160;

/**
 * Shows control characters, C1 controls and bidirectional overrides as
 * `\u{…}` so that text from a file can never drive the terminal.
 */
export function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`);
}

/** A head in groups of four hex digits, for reading aloud and writing down. */
export function readableHead(head: string): string {
  return (head.match(/.{1,4}/g) ?? []).join(' ');
}

/** The first 16 hex digits of a hash, enough to tell artifacts apart by eye. */
export function shortHash(hash: string): string {
  return hash.slice(0, 16);
}

function artifactLines(label: string, list: readonly AuditArtifact[], style: Style): string[] {
  return list.map((a) => `      ${label.padEnd(7)} ${printable(a.path)}  ${style.dim('sha256 ' + shortHash(printable(a.sha256)))}`);
}

/** One entry: a header line, then what it read and wrote, its device and details. */
export function renderAuditEntry(e: AuditEntry, style: Style): string[] {
  const lines = [`#${String(e.seq).padEnd(4)} ${printable(e.time)}  ${printable(e.actor)}  ${style.ok(printable(e.command))}`];
  lines.push(...artifactLines('read', e.artifacts.read, style), ...artifactLines('wrote', e.artifacts.written, style));
  if (e.device !== null) {
    const parts = Object.keys(e.device).map((k) => {
      const v = e.device?.[k];
      return `${k}=${typeof v === 'string' ? v : canonicalize(v)}`;
    });
    lines.push(`      device  ${printable(parts.join(', '))}`);
  }
  if (Object.keys(e.details).length > 0) {
    const text = printable(canonicalize(e.details));
    lines.push(`      details ${text.length > DETAILS_WIDTH ? text.slice(0, DETAILS_WIDTH - 1) + '…' : text}`);
  }
  return lines;
}

/** `audit show`: every entry, and a note in place of each line that is not one. */
export function renderAuditLog(lines: readonly ScannedLine[], style: Style): string[] {
  const out: string[] = [];
  for (const l of lines) {
    if (l.entry !== null) out.push(...renderAuditEntry(l.entry, style));
    else out.push(style.bad(`line ${String(l.line)}: not an entry: ${printable(l.problems[0]?.message ?? 'unreadable')}`));
  }
  if (lines.length === 0) out.push(style.dim('(the audit log is empty)'));
  return out;
}

function problemLine(p: AuditProblem): string {
  return `line ${String(p.line)}: ${printable(p.message)}`;
}

/** `audit verify`: each problem and warning by line, the head, and a verdict. */
export function renderAuditVerify(r: AuditVerifyResult, style: Style, exists = true): string[] {
  const out: string[] = [];
  out.push(exists ? `audit log ${printable(r.file)}: ${String(r.entries)} entries` : `audit log ${printable(r.file)}: does not exist (an empty log)`);
  for (const p of r.problems) out.push(style.bad(`  ✗ ${problemLine(p)}`));
  for (const w of r.warnings) out.push(style.warn(`  ! warning: ${problemLine(w)}`));
  out.push(`head: ${r.head}`, `      ${readableHead(r.head)}`);
  if (r.expectedHead !== null) {
    if (r.appended === 0) out.push(style.ok('  ✓ matches the head you were given'));
    else if (r.appended !== null) {
      const first = r.entries - r.appended + 1;
      out.push(
        style.warn(
          `  ! ${String(r.appended)} ${r.appended === 1 ? 'entry was' : 'entries were'} appended after the head you were given ` +
            `(${first === r.entries ? `line ${String(first)}` : `lines ${String(first)}–${String(r.entries)}`}): review ${r.appended === 1 ? 'it' : 'them'} with \`audit show\``
        )
      );
    }
  }
  if (r.ok) {
    out.push(
      style.ok(
        `verified: ${String(r.entries)} entries, chain intact` +
          (r.expectedHead === null ? ' (give --head HASH to also detect entries cut off the end)' : '')
      )
    );
  } else {
    const lines = [...new Set(r.problems.map((p) => p.line))];
    out.push(
      style.bad(
        `audit log FAILED: ${String(r.problems.length)} problem${r.problems.length === 1 ? '' : 's'} at line${lines.length === 1 ? '' : 's'} ${lines.join(', ')}`
      )
    );
  }
  return out;
}
