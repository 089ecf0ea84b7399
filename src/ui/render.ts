// SPDX-License-Identifier: Apache-2.0
/**
 * Turns results into the lines people read. Pure: strings out, no terminal.
 */
import type { ThresholdResult } from '../metadata/verify.js';
import type { ChalkInstance } from 'chalk';
import { showText } from './escape.js';
import type { VerifyReport, VerifyStep } from '../verify/repository.js';

export interface Style {
  ok(s: string): string;
  bad(s: string): string;
  warn(s: string): string;
  dim(s: string): string;
}

export const PLAIN: Style = { ok: (s) => s, bad: (s) => s, warn: (s) => s, dim: (s) => s };

// chalk at level 1 (the 16 basic colours every colour terminal has); whether
// to colour at all is decided once, by {@link colourWanted}, not by chalk's
// own look at the process. Loaded only when output is coloured
// ({@link loadColour}: about 30 ms of start-up).
let chalk: ChalkInstance | undefined;

/** Loads chalk for {@link COLOR}; main does so before a command whose output is coloured. */
export async function loadColour(): Promise<void> {
  if (chalk !== undefined) return;
  const { Chalk } = await import('chalk');
  chalk = new Chalk({ level: 1 });
}

function colours(): ChalkInstance {
  if (chalk === undefined) throw new Error('internal: coloured output before loadColour()');
  return chalk;
}

export const COLOR: Style = {
  ok: (s) => colours().green(s),
  bad: (s) => colours().red(s),
  warn: (s) => colours().yellow(s),
  dim: (s) => colours().dim(s),
};

/**
 * Whether to colour human output: never with `--no-color`, `--json`,
 * `NO_COLOR` (set and not empty), `FORCE_COLOR=0` or `TERM=dumb`; always with
 * another `FORCE_COLOR`; else when the output is a terminal.
 */
export function colourWanted(env: { readonly [name: string]: string | undefined }, isTTY: boolean, flag: boolean, json: boolean): boolean {
  if (!flag || json) return false;
  const no = env['NO_COLOR'];
  if (no !== undefined && no !== '') return false;
  const force = env['FORCE_COLOR'];
  if (force !== undefined && force !== '') return force !== '0' && force !== 'false';
  if (env['TERM'] === 'dumb') return false;
  return isTTY;
}

/** A key as people name it: the first 8 hex digits, and its owner if known. */
export function keyLabel(keyid: string, owners: { readonly [k: string]: string }): string {
  const owner = Object.hasOwn(owners, keyid) ? owners[keyid] : undefined;
  return owner === undefined ? keyid.slice(0, 8) : `${keyid.slice(0, 8)} ${owner}`;
}

/** "3 of 5 needed, 4 valid (a, b, c, d)" plus what is wrong, if anything. */
export function thresholdText(r: ThresholdResult, owners: { readonly [k: string]: string }): string {
  const labels = r.valid.map((k) => keyLabel(k, owners));
  let s = `${String(r.threshold)} of ${String(r.keyids.length)} needed, ${String(r.counted)} valid`;
  if (labels.length > 0) s += ` (${labels.join(', ')})`;
  if (r.counted !== r.valid.length) s += `, counted once per public key`;
  if (r.invalid.length > 0) s += `; ${String(r.invalid.length)} invalid (${r.invalid.map((k) => keyLabel(k, owners)).join(', ')})`;
  if (r.unsupported.length > 0) s += `; ${String(r.unsupported.length)} not counted (unsupported key)`;
  if (r.unlisted.length > 0) s += `; ${String(r.unlisted.length)} from keys the role does not list (ignored)`;
  return s;
}

function stepText(s: VerifyStep, owners: { readonly [k: string]: string }): string {
  const v = s.version === undefined ? '' : ` v${String(s.version)}`;
  const [first, second] = s.thresholds;
  switch (s.kind) {
    case 'trusted-root':
      return `trusted root ${s.file}: root${v}: ${first ? thresholdText(first, owners) : ''}`;
    case 'root-rotation': {
      const from = first !== undefined ? `old root ${thresholdText(first, owners)}` : '';
      const to = second !== undefined ? `new root ${thresholdText(second, owners)}` : '';
      return `${s.file}: root v${String((s.version ?? 1) - 1)} → v${String(s.version)}: ${from}; ${to}`;
    }
    case 'root':
      return `root${v} (${s.file}) is the final root: expires ${s.expires ?? '?'}`;
    case 'timestamp':
    case 'snapshot':
    case 'targets':
      return `${s.role}${v} (${s.file}): ${first ? thresholdText(first, owners) : ''}; expires ${s.expires ?? '?'}`;
    case 'delegated':
      return `delegated role ${s.role}${v} (${s.file}, from ${s.delegator ?? '?'}): ${first ? thresholdText(first, owners) : ''}; expires ${s.expires ?? '?'}`;
    case 'bins': {
      const b = s.bins ?? { count: 0, present: 0, verified: 0 };
      return `hash bins ${s.role} (${String(b.count)} bins, from ${s.delegator ?? '?'} in ${s.file}): ${String(b.present)} present, ${String(b.verified)} verified${first ? `; e.g. ${first.role}: ${thresholdText(first, owners)}` : ''}`;
    }
  }
}

/** The human report of `verify`: one line per step, then warnings and the verdict. */
export function renderVerifyReport(report: VerifyReport, dir: string, style: Style): string[] {
  // Text from the files (names, paths, messages quoting them) is escaped before it is coloured.
  const lines: string[] = [style.dim(`verifying ${showText(dir)} at ${showText(report.at)}`)];
  for (const s of report.steps) {
    lines.push(`${s.ok ? style.ok('ok  ') : style.bad('FAIL')}  ${showText(stepText(s, report.keyOwners))}`);
    for (const p of s.problems) lines.push(`      ${style.bad('→')} ${showText(p)}`);
  }
  const stepFailures = new Set(report.steps.flatMap((s) => s.problems.map((p) => `${s.file}: ${s.role}: ${p}`)));
  for (const f of report.failures) if (!stepFailures.has(f)) lines.push(`${style.bad('FAIL')}  ${showText(f)}`);
  for (const w of report.warnings) lines.push(`${style.warn('warning')}: ${showText(w.file)}: ${showText(w.message)}`);
  const n = report.failures.length;
  lines.push(
    report.ok
      ? style.ok(`verified: final root v${String(report.finalRoot?.version ?? '?')}, ${String(report.steps.length)} checks passed, ${String(report.warnings.length)} warnings`)
      : style.bad(`verification FAILED: ${String(n)} check${n === 1 ? '' : 's'} failed`)
  );
  return lines;
}

/** A signing device as one line: `backend=pkcs11, model=…, serial=…`. */
export function deviceText(device: object): string {
  const parts = Object.entries(device).map(([k, v]) => `${showText(k)}=${showText(typeof v === 'string' ? v : JSON.stringify(v))}`);
  return parts.length > 0 ? parts.join(', ') : 'unknown';
}
