// SPDX-License-Identifier: Apache-2.0
/**
 * What this tool writes holds no control characters. Canonical JSON escapes
 * only `"` and `\`, so a control character in a value reaches the signed
 * bytes raw, and every program that later prints the value (ours escapes
 * it; others may not) hands it to a terminal. So no file we write carries,
 * in any key or string value: controls (C0, DEL, C1: ESC, CR, TAB…), format
 * characters (bidi controls and marks, zero-width space and joiners, soft
 * hyphen, BOM, tags) or the line and paragraph separators. The one
 * exception is the newline inside a PEM block (public keys, certificates),
 * which that format needs. Pure.
 */
import { fieldError } from '../errors.js';
import { formatPath } from './json.js';

/**
 * The characters refused. Unicode's general categories Cc, Cf, Zl and Zp:
 * stable across Unicode versions, unlike "unassigned", so the same value is
 * accepted by every Node.js release.
 */
export const CONTROL_CHARACTERS = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
const CONTROL = CONTROL_CHARACTERS;
const CONTROL_ALL = new RegExp(CONTROL_CHARACTERS.source, 'gu');

/** One or more PEM blocks: the only strings that may hold a newline. */
const PEM = /^(?:-----BEGIN [A-Z0-9 ]+-----\n(?:[A-Za-z0-9+/=]+\n)+-----END [A-Z0-9 ]+-----\n?)+$/;

function refused(s: string): string | undefined {
  let m = CONTROL.exec(s);
  if (m === null) return undefined;
  if (m[0] === '\n') {
    // Newlines are allowed in PEM blocks: name another character if there is one.
    m = CONTROL.exec(s.replaceAll('\n', '')) ?? m;
    if (m[0] === '\n' && PEM.test(s)) return undefined;
  }
  const cp = (m[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
  return `U+${cp}`;
}

/**
 * The first key or string in `value` holding a refused character: its path
 * and the character (`U+001B`), or undefined when there is none.
 */
export function findControlCharacter(value: unknown, path: (string | number)[] = []): { path: (string | number)[]; char: string } | undefined {
  if (typeof value === 'string') {
    const char = refused(value);
    return char === undefined ? undefined : { path, char };
  }
  if (value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findControlCharacter(value[i], [...path, i]);
      if (found) return found;
    }
    return undefined;
  }
  for (const k of Object.keys(value)) {
    const keyChar = refused(k);
    if (keyChar !== undefined) return { path: [...path, k], char: keyChar };
    const v = (value as Record<string, unknown>)[k];
    if (typeof v === 'string') {
      const char = refused(v);
      if (char !== undefined) return { path: [...path, k], char };
      continue;
    }
    if (v !== null && typeof v === 'object') {
      const found = findControlCharacter(v, [...path, k]);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Refuses to write `value` when a key or string in it holds a control,
 * format or separator character (see the module comment).
 * @throws InputError (exit 2) naming the file and the field
 */
export function assertNoControlCharacters(value: unknown, file: string): void {
  const found = findControlCharacter(value);
  if (found === undefined) return;
  // The field's name may hold the character: shown as `\u{1B}`, never raw.
  const shown = found.path.map((seg) => (typeof seg === 'number' ? seg : seg.replace(CONTROL_ALL, (ch) => `\\u{${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase()}}`)));
  throw fieldError(
    file,
    formatPath(shown),
    `holds the character ${found.char} (a control, bidi or invisible character); tuf-ceremony never writes one into a file, since a program printing the value could be made to show something else than what is signed`
  );
}
