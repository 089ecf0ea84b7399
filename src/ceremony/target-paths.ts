// SPDX-License-Identifier: Apache-2.0
/**
 * Target paths people can tell apart: NFC, nothing hidden,
 * and unique within a role under case folding and normalization. Refused by
 * `targets add` and the draft check, reported by `verify`. Pure.
 */
import { compareCodePoints } from '../metadata/canonical.js';
import { hasHiddenCharacters, showText } from '../ui/escape.js';

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
// eslint-disable-next-line no-control-regex -- every ASCII character, controls included
const ASCII = /^[\x00-\x7f]*$/;

/** Why a path would not show as itself, or undefined: hidden characters, or not NFC. */
export function hiddenPathProblem(path: string): string | undefined {
  // Printable ASCII (nearly every path) is NFC and hides nothing.
  if (PRINTABLE_ASCII.test(path)) return undefined;
  if (hasHiddenCharacters(path)) return `must not contain invisible, bidi or other hidden characters (${showText(path)})`;
  if (path.normalize('NFC') !== path) return `must be in Unicode normal form NFC: it would show the same as another path (${showText(path)})`;
  return undefined;
}

/**
 * The form two target paths share when people cannot tell them apart:
 * NFKC, then case folded (upper then lower case, as Unicode's full case
 * folding does for all but a few characters).
 */
export function pathLookalikeKey(path: string): string {
  // ASCII is its own NFKC form, and upper then lower case is lower case.
  if (ASCII.test(path)) return path.toLowerCase();
  return path.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC');
}

/**
 * Pairs of target paths of one role that differ only by case or Unicode
 * normalization: each is `[earlier, later]` in code point order. The paths
 * are distinct (a role's target keys).
 */
export function lookalikePaths(paths: readonly string[]): [string, string][] {
  // Two distinct paths that are each their own shared form (lower-case
  // ASCII: nearly all) can never share it, so a group always holds a path
  // that is not. Those are grouped first (none: no pairs, no map of every
  // path); then the others join the group their own text names.
  const byKey = new Map<string, string[]>();
  for (const p of paths) {
    const k = pathLookalikeKey(p);
    if (k === p) continue;
    const seen = byKey.get(k);
    if (seen === undefined) byKey.set(k, [p]);
    else seen.push(p);
  }
  if (byKey.size === 0) return [];
  for (const p of paths) {
    if (pathLookalikeKey(p) !== p) continue;
    byKey.get(p)?.push(p);
  }
  const pairs: [string, string][] = [];
  for (const group of byKey.values()) {
    if (group.length < 2) continue;
    group.sort(compareCodePoints);
    const first = group[0] as string;
    for (const p of group.slice(1)) pairs.push([first, p]);
  }
  return pairs.sort((a, b) => compareCodePoints(a[1], b[1]));
}


/** At most this many target path warnings per file. */
const MAX_PATH_WARNINGS = 10;

/**
 * What `verify` reports about a role's target paths (clients accept them;
 * people may be misled): hidden characters, not NFC, lookalikes.
 */
export function targetPathWarnings(paths: readonly string[]): string[] {
  const out: string[] = [];
  let n = 0;
  for (const p of paths) {
    const problem = hiddenPathProblem(p);
    if (problem !== undefined && ++n <= MAX_PATH_WARNINGS) out.push(`target path ${problem.replace(/^must not contain/, 'contains').replace(/^must be in/, 'is not in')}`);
  }
  const pairs = lookalikePaths(paths);
  for (const [a, b] of pairs.slice(0, MAX_PATH_WARNINGS)) out.push(`target paths "${showText(a)}" and "${showText(b)}" differ only by case or Unicode normalization`);
  const more = Math.max(0, n - MAX_PATH_WARNINGS) + Math.max(0, pairs.length - MAX_PATH_WARNINGS);
  if (more > 0) out.push(`${String(more)} more target path warnings`);
  return out;
}
