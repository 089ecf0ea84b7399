// SPDX-License-Identifier: Apache-2.0
/**
 * The build side of the single file's layout (scripts/single-file-main.ts
 * shows it and is the run side): the program, as esbuild bundled it, made
 * fit to stand verbatim inside a block comment and be compiled from there
 * as it stands (no copy, no unescaping at run time):
 *
 * - no star-slash anywhere, which would end the comment: block comments
 *   on lines of their own become line comments (the license comments stay
 *   in the file), the others (`@__PURE__` annotations) are dropped, left
 *   as a space, or as a line break where they held one (so ASI is
 *   unchanged); a star-slash in a line comment is written `* /`, in a
 *   string `*\/`, in a regular expression `*\/` or, before the closing
 *   slash, `*(?:)/` (an empty group: the same matches and groups); a
 *   template literal holding one is refused;
 * - `import(` calls `__tufCeremonyImport(`, the launcher's own `import()`
 *   (code compiled by `vm.compileFunction` has no `import()` of its own
 *   without an experimental flag).
 *
 * The result is checked token by token against the program (acorn): the
 * same tokens with the same values, but for exactly these changes.
 */
import { parse, tokenizer, type Comment, type Token } from 'acorn';
import { IMPORT_FUNCTION, PROGRAM_CLOSE, PROGRAM_OPEN } from './single-file-main.js';

interface Edit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

const ACORN = { ecmaVersion: 'latest', sourceType: 'script', allowReturnOutsideFunction: true } as const;

function isBlank(text: string): boolean {
  return /^[ \t]*$/.test(text);
}

/** What stands for a comment: see the module comment. */
function commentEdit(program: string, c: Comment): Edit | null {
  if (c.type === 'Line') return c.value.includes('*/') ? { start: c.start, end: c.end, text: '//' + c.value.replaceAll('*/', '* /') } : null;
  const lineStart = program.lastIndexOf('\n', c.start - 1) + 1;
  const lineEnd = program.indexOf('\n', c.end);
  const before = program.slice(lineStart, c.start);
  if (isBlank(before) && isBlank(program.slice(c.end, lineEnd === -1 ? program.length : lineEnd))) {
    const lines = c.value.split('\n').map((line, i) => {
      const indent = i === 0 ? '' : (/^[ \t]*/.exec(line) as RegExpExecArray)[0];
      return indent + '//' + line.slice(indent.length).replaceAll('*/', '* /').trimEnd();
    });
    // The blank line before the star-slash of a doc comment goes.
    if (lines.length > 1 && /^[ \t]*\/\/$/.test(lines[lines.length - 1] as string)) lines.pop();
    return { start: c.start, end: c.end, text: lines.join('\n') };
  }
  return { start: c.start, end: c.end, text: c.value.includes('\n') ? '\n' : ' ' };
}

/** Whether the call whose `(` is `tokens[0]` has one argument (no comma at its own depth before its `)`). */
function oneArgument(tokens: readonly Token[]): boolean {
  let depth = 0;
  for (const t of tokens) {
    const label = t.type.label;
    if (label === '(' || label === '[' || label === '{' || label === '${') depth++;
    else if (label === ')' || label === ']' || label === '}') {
      depth--;
      if (depth === 0) return true;
    } else if (label === ',' && depth === 1) return false;
  }
  return false;
}

/** What stands for a token: see the module comment. */
function tokenEdit(program: string, tokens: readonly Token[], i: number): Edit | null {
  const t = tokens[i] as Token;
  const raw = program.slice(t.start, t.end);
  switch (t.type.label) {
    case 'import':
      if (tokens[i + 1]?.type.label !== '(') throw new Error(`the program uses import other than import(...) at ${String(t.start)}`);
      if (!oneArgument(tokens.slice(i + 1, i + 200))) throw new Error(`the program passes import() options at ${String(t.start)}: ${IMPORT_FUNCTION} takes the specifier only`);
      return { start: t.start, end: t.end, text: IMPORT_FUNCTION };
    case 'string':
      return raw.includes('*/') ? { start: t.start, end: t.end, text: raw.replaceAll('*/', '*\\/') } : null;
    case 'template':
      if (raw.includes('*/')) throw new Error(`a template literal in the program holds */ at ${String(t.start)}`);
      return null;
    case 'regexp': {
      const close = raw.lastIndexOf('/');
      let pattern = raw.slice(1, close).replaceAll('*/', '*\\/');
      if (pattern.endsWith('*')) pattern += '(?:)';
      const text = `/${pattern}${raw.slice(close)}`;
      return text === raw ? null : { start: t.start, end: t.end, text };
    }
    default:
      return null;
  }
}

/** acorn's tokens carry their value (a string's, a name's, a regular expression's pattern and flags). */
type Tok = Token & { readonly value: unknown };

function tokensOf(text: string, comments?: Comment[]): Tok[] {
  return [...tokenizer(text, { ...ACORN, ...(comments === undefined ? {} : { onComment: comments }) })] as Tok[];
}

/** Throws unless `after` has the tokens of `before`, changed only as the module comment says. */
function checkSame(before: readonly Tok[], after: readonly Tok[]): void {
  if (before.length !== after.length) throw new Error(`the program changed: ${String(before.length)} tokens became ${String(after.length)}`);
  before.forEach((a, i) => {
    const b = after[i] as Tok;
    const label = a.type.label === 'import' ? 'name' : a.type.label;
    const same =
      label === b.type.label &&
      (a.type.label === 'import'
        ? b.value === IMPORT_FUNCTION
        : a.type.label === 'regexp'
          ? (a.value as { flags: string }).flags === (b.value as { flags: string }).flags &&
            (a.value as { pattern: string }).pattern === (b.value as { pattern: string }).pattern.replace(/\(\?:\)$/, '').replaceAll('*\\/', '*/')
          : a.value === b.value);
    if (!same) throw new Error(`the program changed at token ${String(i)}: ${JSON.stringify(a.value)} became ${JSON.stringify(b.value)}`);
  });
}

/**
 * The program fit to stand in a block comment and be compiled from it
 * (see the module comment).
 * @throws Error when it is not ASCII, holds a carriage return or a
 * template literal with a star-slash, or does not parse
 */
export function commentSafe(program: string): string {
  if (/[^\0-\x7f]/.test(program) || program.includes('\r')) throw new Error('the program is not ASCII with line feeds only');
  parse(program, ACORN);
  const comments: Comment[] = [];
  const tokens = tokensOf(program, comments);
  const edits: Edit[] = [];
  for (const c of comments) {
    const e = commentEdit(program, c);
    if (e !== null) edits.push(e);
  }
  for (let i = 0; i < tokens.length; i++) {
    const e = tokenEdit(program, tokens, i);
    if (e !== null) edits.push(e);
  }
  edits.sort((a, b) => a.start - b.start);
  let out = '';
  let at = 0;
  for (const e of edits) {
    if (e.start < at) throw new Error(`overlapping changes at ${String(e.start)}`);
    out += program.slice(at, e.start) + e.text;
    at = e.end;
  }
  out += program.slice(at);
  if (out.includes('*/')) throw new Error(`the program still holds */ at ${String(out.indexOf('*/'))}`);
  parse(out, ACORN);
  checkSame(tokens, tokensOf(out));
  return out;
}

/** The program as the declaration of a function whose body is one comment holding it. */
export function hideProgram(program: string): string {
  const safe = commentSafe(program);
  return PROGRAM_OPEN + safe + PROGRAM_CLOSE;
}
