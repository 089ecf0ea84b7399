// SPDX-License-Identifier: Apache-2.0
/**
 * What is on the screen is what is signed: text from a file is made visible
 * before it reaches a terminal. Control characters (C0, DEL, C1: ESC, CR,
 * cursor movement, erase), bidirectional controls (U+202E…), invisible and
 * zero-width characters, line and paragraph separators, unusual spaces,
 * lone surrogates and unassigned or private-use code points are written as
 * `\u{202E}`, never passed to the terminal to interpret.
 *
 * Two layers: {@link showText} for every value taken from a file, and
 * {@link terminalSafe}, the choke point every line passes on its way to
 * stdout and stderr (it keeps only the colour codes and progress-bar
 * controls this program writes itself). Pure.
 */

/**
 * Characters never shown raw: controls (Cc), format characters (Cf: bidi
 * controls, zero-width space and joiners, soft hyphen, tags, BOM), line and
 * paragraph separators, default-ignorable code points (Hangul fillers,
 * variation selectors…), spaces other than U+0020, surrogates, private use
 * and unassigned code points.
 */
const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}\p{Cs}\p{Co}\p{Cn}]|[^\S\n\t ]/gu;

/** `\u{1B}`: how a hidden character is shown. */
export function escapeCodePoint(ch: string): string {
  return `\\u{${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase()}}`;
}

function hideAll(text: string, keep: (ch: string) => boolean): string {
  return text.replace(HIDDEN, (ch) => (keep(ch) ? ch : escapeCodePoint(ch)));
}

/** True when `text` holds a character a terminal would not show as itself. */
export function hasHiddenCharacters(text: string): boolean {
  HIDDEN.lastIndex = 0;
  const found = HIDDEN.test(text);
  HIDDEN.lastIndex = 0;
  return found;
}

/**
 * A value from a file, made safe for one line of a terminal: every hidden
 * character (including newline and tab) as `\u{…}`. Idempotent, so a line
 * may pass it twice. (Text that already reads `\u{1B}` is shown as it is:
 * either way the reader sees that something unusual is there.)
 */
export function showText(text: string): string {
  return hideAll(text, () => false);
}

/** `"name"` with {@link showText} inside: for names and paths in a sentence. */
export function quoteText(text: string): string {
  return `"${showText(text)}"`;
}

// The SGR (colour) codes our own styles write: reset, bold, dim, normal,
// red, green, yellow, default colour, grey, underline and its end.
// eslint-disable-next-line no-control-regex
const OWN_SGR = /^\u001b\[(?:0|1|2|4|22|24|31|32|33|36|39|90)m/;
const ERASE_LINE = '\u001b[K';

/**
 * The choke point before a terminal (stdout and stderr of human output):
 * every hidden character becomes `\u{…}` except a newline, a tab, the
 * colour codes this program writes, and the progress bar's `\r` at the very
 * start and erase-line at the very end of one write. Idempotent on text
 * already passed through {@link showText}.
 */
export function terminalSafe(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === '\u001b') {
      const m = OWN_SGR.exec(text.slice(i, i + 6));
      if (m !== null) {
        out += m[0];
        i += m[0].length;
        continue;
      }
      if (text.startsWith(ERASE_LINE, i) && i + ERASE_LINE.length === text.length) {
        out += ERASE_LINE;
        break;
      }
    }
    if (ch === '\r' && i === 0) {
      out += ch;
      i++;
      continue;
    }
    // Up to the next ESC or CR, escaped as a whole.
    let j = i + 1;
    while (j < text.length && text[j] !== '\u001b' && text[j] !== '\r') j++;
    out += hideAll(text.slice(i, j), (c) => c === '\n' || c === '\t');
    i = j;
  }
  return out;
}

/**
 * The choke point for `--json` on stdout: JSON.stringify already escapes
 * C0 controls; DEL, C1 controls, bidi and invisible characters are written
 * as `\uXXXX` escapes too, which read back as the same string.
 */
export function jsonSafe(text: string): string {
  return text.replace(HIDDEN, (ch) => {
    if (ch === '\n' || ch === '\t' || ch === ' ') return ch;
    let s = '';
    for (let k = 0; k < ch.length; k++) s += `\\u${ch.charCodeAt(k).toString(16).padStart(4, '0')}`;
    return s;
  });
}
