// SPDX-License-Identifier: Apache-2.0
/**
 * Writes build/src/cli/help-data.js: every command's `--help` page as
 * commander lays it out, captured from main.ts's definitions, with the parts
 * that depend on the terminal's width left as pieces for
 * src/cli/help-fast.ts to lay out. Run by `npm run build` after tsc.
 *
 * Capture: commander's help formatter is given its two width-dependent
 * steps (`formatItem`, `boxWrap`) as functions that record their arguments
 * and leave a marker; everything else commander writes (usage, headings,
 * the text added after) is kept as it is.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { buildProgram } from '../src/cli/main.js';
import type { HelpPage, HelpPages, HelpPiece } from '../src/cli/help-fast.js';
import { terminalSafe } from '../src/ui/escape.js';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'help-data.js');

function capture(cmd: Command): HelpPage {
  const pieces: HelpPiece[] = [];
  const marker = (piece: HelpPiece): string => `\0${String(pieces.push(piece) - 1)}\0`;
  cmd.configureHelp({
    formatItem: (term, termWidth, description) => marker({ kind: 'item', term, termWidth, description }),
    boxWrap: (text) => marker({ kind: 'text', text }),
  });
  let template = '';
  cmd.configureOutput({ writeOut: (s) => (template += s), writeErr: (s) => (template += s), getOutHasColors: () => false });
  cmd.outputHelp();
  // The fast path writes the page as it is: what main.ts's output passes through must leave it unchanged.
  for (const text of [template.replace(/\0\d+\0/g, ''), ...pieces.map((p) => (p.kind === 'item' ? p.term + p.description : p.text))]) {
    if (terminalSafe(text) !== text || text.includes('\u001b')) throw new Error(`help of "${cmd.name()}" holds characters the terminal output would escape`);
  }
  return { template, pieces };
}

/** Every command's page, by command path. */
export function helpPages(): HelpPages {
  const io = { stdout: () => {}, stderr: () => {}, env: {}, now: () => 0, isTTY: false, cwd: '/', prompter: null };
  const pages: Record<string, HelpPage> = {};
  const walk = (cmd: Command, path: readonly string[]): void => {
    pages[path.join(' ')] = capture(cmd);
    for (const sub of cmd.commands) walk(sub, [...path, sub.name()]);
  };
  walk(buildProgram(io, () => {}), []);
  return pages;
}

const isMain = process.argv[1]?.endsWith(join('scripts', 'help-data.js')) === true;
if (isMain) {
  const text =
    '// SPDX-License-Identifier: Apache-2.0\n' +
    '// Written by build/scripts/help-data.js at `npm run build` from the commander definitions: do not edit.\n' +
    `export default ${JSON.stringify(helpPages(), null, 1)};\n`;
  writeFileSync(OUT, text);
}
