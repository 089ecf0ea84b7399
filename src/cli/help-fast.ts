// SPDX-License-Identifier: Apache-2.0
/**
 * `--help` without commander or any command module: the help pages are
 * captured from the commander definitions at build time
 * (scripts/help-data.ts writes build/src/cli/help-data.js) and only their
 * width-dependent parts are laid out here, for the width commander would
 * use. test/cli/help-fast.test.ts holds the output byte for byte to what
 * commander prints, for every command at every width.
 */
import HELP from './help-data.js';

/** A part of a help page whose layout depends on the width. */
export type HelpPiece =
  /** A term and its description: `formatItem(term, termWidth, description)`. */
  | { readonly kind: 'item'; readonly term: string; readonly termWidth: number; readonly description: string }
  /** A paragraph wrapped to the whole width: `boxWrap(text, helpWidth)`. */
  | { readonly kind: 'text'; readonly text: string };

/** One command's help: what commander writes, with `\0N\0` standing for piece N. */
export interface HelpPage {
  readonly template: string;
  readonly pieces: readonly HelpPiece[];
}

/** The help pages by command path (`''` for the program, `'root draft'`, …). */
export type HelpPages = Readonly<Record<string, HelpPage>>;

/** Narrower than this, commander does not wrap. */
const MIN_WIDTH_TO_WRAP = 40;
const ITEM_INDENT = '  ';
const SPACER = 2;

/** Greedy wrap at whitespace, keeping the line breaks already there (commander's `boxWrap`). */
function wrap(text: string, width: number): string {
  if (width < MIN_WIDTH_TO_WRAP) return text;
  const lines: string[] = [];
  for (const line of text.split(/\r\n|\n/)) {
    const words = line.match(/\s*\S+/g);
    if (words === null) {
      lines.push('');
      continue;
    }
    let current = words[0];
    for (const word of words.slice(1)) {
      if (current.length + word.length <= width) {
        current += word;
      } else {
        lines.push(current);
        current = word.trimStart();
      }
    }
    lines.push(current);
  }
  return lines.join('\n');
}

/** A term padded to the terms' width and its description wrapped beside it (commander's `formatItem`). */
function item(term: string, termWidth: number, description: string, width: number): string {
  if (description === '') return ITEM_INDENT + term;
  const room = width - termWidth - SPACER - ITEM_INDENT.length;
  // Descriptions with a line break followed by indentation are laid out by hand.
  const text =
    room < MIN_WIDTH_TO_WRAP || /\n[^\S\r\n]/.test(description)
      ? description
      : wrap(description, room).replace(/\n/g, '\n' + ' '.repeat(termWidth + SPACER));
  return ITEM_INDENT + term.padEnd(termWidth) + ' '.repeat(SPACER) + text.replace(/\n/g, '\n' + ITEM_INDENT);
}

/** A page laid out for `columns` (the terminal's width; undefined when stdout is not one: 80). */
export function renderHelp(page: HelpPage, columns: number | undefined): string {
  const width = columns ?? 80;
  return page.template.replace(/\0(\d+)\0/g, (_, n: string) => {
    const piece = page.pieces[Number(n)] as HelpPiece;
    return piece.kind === 'item' ? item(piece.term, piece.termWidth, piece.description, width) : wrap(piece.text, width);
  });
}

/**
 * The help text for a command line that is command names followed by
 * `--help` or `-h` and nothing else; null for any other command line (it
 * goes to commander).
 */
export function staticHelp(args: readonly string[], columns: number | undefined, pages: HelpPages = HELP): string | null {
  const flag = args[args.length - 1];
  if (flag !== '--help' && flag !== '-h') return null;
  const names = args.slice(0, -1);
  if (!names.every((n) => /^[a-z][a-z0-9-]*$/.test(n))) return null;
  const page = Object.hasOwn(pages, names.join(' ')) ? pages[names.join(' ')] : undefined;
  return page === undefined ? null : renderHelp(page, columns);
}
