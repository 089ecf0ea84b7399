// SPDX-License-Identifier: Apache-2.0
/**
 * `main` as the single-file release has it (scripts/release.ts,
 * docs/release.md). The single file is `bin/tuf-ceremony.js` bundled with
 * its fast path (`--version`, `NAME… --help`), with this module in place of
 * `build/src/cli/main.js`; the program itself (main.js and everything it
 * imports, bundled as CommonJS) stands in a comment at the top of the file:
 *
 *     #!/usr/bin/env node
 *     // one line saying so
 *     function __tufCeremonyProgram() {/*
 *     "use strict";            <- line PROGRAM_FIRST_LINE: the program
 *     ...
 *     *\/}
 *     the launcher: bin/tuf-ceremony.js, the fast path, this module
 *
 * V8 only scans a comment for its end, so `--version` and `--help` do not
 * pay for parsing the 1.5 MB program. A command gets the program back as
 * the function's source text (`Function.prototype.toString`: a slice of
 * the text Node loaded, the very bytes `self-check` hashes, neither read
 * again nor copied) and compiles it once with `vm.compileFunction`, named
 * after the single file and placed at its own line, so stack traces give
 * the file's lines. scripts/single-file.ts made the program fit for this:
 * no star-slash in it, and `import(` written `__tufCeremonyImport(`, which
 * is this module's `import()` (the same resolution from the single file:
 * `node:` modules, the optional native packages beside it).
 */

/** The name of the function whose body is the comment holding the program. */
export const PROGRAM_FUNCTION = '__tufCeremonyProgram';
/** The line of the single file (1-based) that holds the program's first line. */
export const PROGRAM_FIRST_LINE = 4;
/** The function's source text before the program. */
export const PROGRAM_OPEN = `function ${PROGRAM_FUNCTION}() {/*\n`;
/** After the program, to the end of the function's line. */
export const PROGRAM_CLOSE = '\n*/}\n';
/** What the program calls for `import()`. */
export const IMPORT_FUNCTION = '__tufCeremonyImport';
/** The parameters of the function the program is compiled into (esbuild's CommonJS, and `import.meta.url` defined as `__tufCeremonyUrl`). */
export const PROGRAM_PARAMETERS = ['module', 'exports', 'require', '__tufCeremonyUrl', IMPORT_FUNCTION] as const;

/** The program's text from the source text of its function. */
export function programText(functionSource: string): string {
  const end = PROGRAM_CLOSE.trimEnd();
  if (!functionSource.startsWith(PROGRAM_OPEN) || !functionSource.endsWith(end)) throw new Error(`${PROGRAM_FUNCTION} does not hold the program`);
  return functionSource.slice(PROGRAM_OPEN.length, functionSource.length - end.length);
}

interface Program {
  main(argv: readonly string[]): Promise<number>;
}

type Define = (module: { exports: unknown }, exports: unknown, require: NodeJS.Require, url: string, load: (specifier: string) => Promise<unknown>) => void;

/** Only in the single file, where scripts/release.ts puts it. */
declare function __tufCeremonyProgram(): void;

let loaded: Program | undefined;

/** Compiles and runs the program, once, and returns its exports. */
function program(): Program {
  if (loaded !== undefined) return loaded;
  // Not imported at the top: --version and --help need neither module.
  const { compileFunction } = process.getBuiltinModule('node:vm');
  const { createRequire } = process.getBuiltinModule('node:module');
  const define = compileFunction(programText(__tufCeremonyProgram.toString()), [...PROGRAM_PARAMETERS], {
    filename: import.meta.url,
    lineOffset: PROGRAM_FIRST_LINE - 1,
  }) as Define;
  const module = { exports: {} as unknown };
  define(module, module.exports, createRequire(import.meta.url), import.meta.url, (specifier) => import(specifier));
  loaded = module.exports as Program;
  return loaded;
}

/** build/src/cli/main.js's `main`, compiled on first call. */
export function main(argv: readonly string[]): Promise<number> {
  return program().main(argv);
}
