// SPDX-License-Identifier: Apache-2.0
/**
 * `main` as the single-file release has it (scripts/release.ts,
 * docs/release.md). The single file is `bin/tuf-ceremony.js` bundled with
 * its fast path (`--version`, `NAME… --help`), with this module in place of
 * `build/src/cli/main.js`; the program itself (main.js and everything it
 * imports, bundled as CommonJS) is kept as the text of a comment at the top
 * of the file:
 *
 *     #!/usr/bin/env node
 *     // one line saying so
 *     function __tufCeremonyProgram() {/*
 *     "use strict";            <- line PROGRAM_FIRST_LINE: the program, as esbuild wrote it,
 *     ...                         each star-slash in it written star-backslash-slash
 *     *\/}
 *     the launcher: bin/tuf-ceremony.js, the fast path, this module
 *
 * V8 only scans a comment for its end, so `--version` and `--help` do not
 * pay for parsing the 1.5 MB program. A command that runs it gets the
 * comment's text back from the function (`Function.prototype.toString`
 * returns the source V8 loaded: the very bytes `self-check` hashes, with no
 * second read of the file), undoes the escaping and compiles it with an
 * indirect eval, once. Code compiled by eval keeps its module's
 * `import()` (the optional native packages and `node:` modules resolve
 * from the single file as before), and `//# sourceURL` with the program
 * placed at its own line number makes stack traces name the single file
 * and the line of the code in it.
 */
import { createRequire } from 'node:module';

/** The line of the single file (1-based) that holds the program's first line. */
export const PROGRAM_FIRST_LINE = 4;
/** The name of the function whose body is the comment holding the program. */
export const PROGRAM_FUNCTION = '__tufCeremonyProgram';
/** The opening of that function up to the comment's first line break. */
const OPEN = `function ${PROGRAM_FUNCTION}() {/*\n`;
/** Its end, from the line break after the program's last line. */
const CLOSE = '\n*/}\n';
/** What stands in the comment for each star-slash of the program (which would end the comment). */
const ESCAPED = '*\\/';

/** Parameters of the function the program is compiled into (esbuild's CommonJS output, `import.meta.url` defined as the last). */
export const PROGRAM_PARAMETERS = ['module', 'exports', 'require', '__tufCeremonyUrl'] as const;

/**
 * The program as the declaration of a function whose body is one comment:
 * `OPEN` + program with star-slash escaped + `CLOSE`.
 * @throws Error when the program cannot be kept that way losslessly (it
 * holds the escape itself, or is not ASCII)
 */
export function hideProgram(program: string): string {
  if (program.includes(ESCAPED)) throw new Error(`the program holds ${ESCAPED}: it could not be told from an escaped star-slash`);
  if (/[^\0-\x7f]/.test(program)) throw new Error('the program is not ASCII');
  return OPEN + program.replaceAll('*/', ESCAPED) + CLOSE;
}

/**
 * The text that eval compiles, from the source text of the function
 * {@link hideProgram} wrote: the program, unescaped, wrapped in a function
 * of {@link PROGRAM_PARAMETERS} whose first line is at
 * {@link PROGRAM_FIRST_LINE}, named `url` in stack traces. Built with one
 * `join`, so that the 1.5 MB are copied once (each copy into fresh memory
 * costs milliseconds: docs/performance.md, "Start-up").
 */
export function programSource(functionSource: string, url: string): string {
  if (!functionSource.startsWith(OPEN) || !functionSource.endsWith(CLOSE.trimEnd())) throw new Error(`${PROGRAM_FUNCTION} is not the program's comment`);
  const parts = functionSource.slice(OPEN.length, functionSource.length - CLOSE.trimEnd().length).split(ESCAPED);
  const head = '\n'.repeat(PROGRAM_FIRST_LINE - 2) + `(function (${PROGRAM_PARAMETERS.join(', ')}) {\n`;
  parts[0] = head + (parts[0] ?? '');
  parts[parts.length - 1] += `\n})\n//# sourceURL=${url}\n`;
  return parts.join('*/');
}

interface Program {
  main(argv: readonly string[]): Promise<number>;
}

/** Only in the single file, where scripts/release.ts puts it. */
declare function __tufCeremonyProgram(): void;

let loaded: Program | undefined;

/** Compiles and runs the program, once, and returns its exports. */
function program(): Program {
  if (loaded !== undefined) return loaded;
  const source = programSource(__tufCeremonyProgram.toString(), import.meta.url);
  // Indirect eval: global scope, and import() resolves from this module (vm.compileFunction would need an experimental flag for it).
  // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- eval returns any: the function the source is
  const define: (module: { exports: unknown }, exports: unknown, require: NodeJS.Require, url: string) => void = (0, eval)(source);
  const module = { exports: {} as unknown };
  define(module, module.exports, createRequire(import.meta.url), import.meta.url);
  loaded = module.exports as Program;
  return loaded;
}

/** build/src/cli/main.js's `main`, compiled on first call. */
export function main(argv: readonly string[]): Promise<number> {
  return program().main(argv);
}
