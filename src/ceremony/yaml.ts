// SPDX-License-Identifier: Apache-2.0
/**
 * The hardened reader for the YAML or JSON files people write for the tool:
 * root plans, ceremony templates, answers files. Bytes in, plain JSON
 * values out; each caller checks the fields.
 *
 * Refused, with the file (and, where there is one, the field path) in the
 * message: files over the caller's limit, invalid UTF-8, empty documents,
 * several documents, duplicate keys, floats and non-decimal numbers, YAML
 * tags, anchors and aliases (no billion laughs), keys that are not plain
 * strings, and nesting deep enough to make the parser slow. `.json` files
 * are read by the strict JSON reader instead. Pure.
 */
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  parseAllDocuments,
  type DocumentOptions,
  type ParseOptions,
  type SchemaOptions,
  type YAMLError,
} from 'yaml';
import { InputError } from '../errors.js';
import { parseJson, type JsonValue } from '../metadata/json.js';
import { Guard } from '../metadata/parse.js';

/** What a kind of file may hold, and how it is named in messages. */
export interface StructuredFileLimits {
  /** The kind of file, for messages: `plan`, `template`, `answers file`. */
  readonly noun: string;
  /** Largest file read, in bytes. */
  readonly maxBytes: number;
  /** Deepest nesting of mappings and sequences. */
  readonly maxDepth: number;
  /**
   * Bounds checked on the raw text before the YAML parser runs, whose cost
   * grows with nesting: opening `[` / `{` anywhere in the file, and the
   * column where a line's content starts after indentation and block
   * indicators (`- `, `? `, `: `). Together they bound the nesting depth.
   */
  readonly maxFlowOpenings: number;
  readonly maxIndent: number;
}

/**
 * The limits of a file of `noun` up to `maxBytes`: 16 levels of nesting,
 * 256 `[`/`{` and 64 columns of indentation unless `more` says otherwise.
 */
export function structuredLimits(noun: string, maxBytes: number, more: Partial<StructuredFileLimits> = {}): StructuredFileLimits {
  return { noun, maxBytes, maxDepth: 16, maxFlowOpenings: 256, maxIndent: 64, ...more };
}

const YAML_OPTIONS: ParseOptions & DocumentOptions & SchemaOptions = {
  version: '1.2',
  schema: 'core',
  customTags: [],
  resolveKnownTags: false,
  merge: false,
  // Duplicate keys are refused by toJson with their field path: the library's
  // own check compares each key with all earlier ones (quadratic).
  uniqueKeys: false,
  strict: true,
  stringKeys: true,
  intAsBigInt: false,
  // Pretty errors cut code frames with regular expressions that can exhaust
  // memory on hostile input; positions are computed here instead.
  prettyErrors: false,
};

/** `a plan`, `an answers file`. */
function a(noun: string): string {
  return `${/^[aeiou]/.test(noun) ? 'an' : 'a'} ${noun}`;
}

function lineColumn(text: string, pos: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < pos; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return `line ${String(line)} column ${String(pos - lineStart + 1)}`;
}

/** Refuses text whose nesting could make the YAML parser slow (see StructuredFileLimits). */
function checkNesting(text: string, file: string, limits: StructuredFileLimits): void {
  let openings = 0;
  // Depth of [ and { (quotes ignored, so strings can only make it larger):
  // the YAML parser recurses once per level, and a stack overflow inside
  // V8's regular-expression compiler aborts the process instead of throwing
  // (found by fuzzing: 4,000 nested [ in a template), so depth is refused first.
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) {
      openings++;
      depth++;
      if (depth > 2 * limits.maxDepth) {
        throw new InputError(`${file}: ${lineColumn(text, i)}: [ and { nested more than ${String(2 * limits.maxDepth)} deep; ${a(limits.noun)} is not nested that deeply`, { file });
      }
    } else if ((c === 0x5d || c === 0x7d) && depth > 0) depth--;
  }
  if (openings > limits.maxFlowOpenings) {
    throw new InputError(
      `${file}: more than ${String(limits.maxFlowOpenings)} [ and { in one ${limits.noun}; ${a(limits.noun)} is not nested that deeply`,
      { file }
    );
  }
  let lineStart = 0;
  while (lineStart < text.length) {
    let i = lineStart;
    let indicators = false;
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09) i++;
      else if (c === 0x2d || c === 0x3f || c === 0x3a) {
        // '-', '?', ':' may each open a nested block collection
        indicators = true;
        i++;
      } else break;
    }
    const blank = !indicators && (i === text.length || text.charCodeAt(i) === 0x0a || text.charCodeAt(i) === 0x0d);
    if (!blank && i - lineStart > limits.maxIndent) {
      throw new InputError(
        `${file}: ${lineColumn(text, i)}: indented or nested more than ${String(limits.maxIndent)} columns; ${a(limits.noun)} is not nested that deeply`,
        { file }
      );
    }
    const nl = text.indexOf('\n', lineStart);
    lineStart = nl === -1 ? text.length : nl + 1;
  }
}

function yamlError(file: string, text: string, e: YAMLError, noun: string): InputError {
  const what =
    e.code === 'DUPLICATE_KEY'
      ? 'duplicate key'
      : e.code === 'NON_STRING_KEY'
        ? 'keys must be plain strings'
        : e.message.split('\n')[0] ?? e.message;
  return new InputError(`${file}: not a valid ${noun} at ${lineColumn(text, e.pos[0])}: ${what}`, { file, cause: e });
}

/**
 * Converts the YAML tree to plain JSON values, refusing what these files
 * never need. `path` is one shared stack (pushed and popped as the walk
 * goes), copied only for a message.
 */
function toJson(g: Guard, node: unknown, path: (string | number)[], limits: StructuredFileLimits): JsonValue {
  const fail = (problem: string): never => g.fail([...path], problem);
  if (path.length > limits.maxDepth) fail('nested too deeply');
  if (node === null || node === undefined) return null;
  if (isAlias(node)) fail(`YAML aliases (*${node.source}) are not allowed in ${a(limits.noun)}`);
  const n = node as { anchor?: string; tag?: string };
  if (n.anchor !== undefined) fail(`YAML anchors (&${n.anchor}) are not allowed in ${a(limits.noun)}`);
  if (n.tag !== undefined) fail(`YAML tags (${n.tag}) are not allowed in ${a(limits.noun)}`);
  if (isMap(node)) {
    const entries: [string, JsonValue][] = [];
    const seen = new Set<string>();
    for (const pair of node.items) {
      const k = pair.key;
      if (!isScalar(k) || typeof k.value !== 'string') return fail('keys must be plain strings');
      const kn = k as { anchor?: string; tag?: string };
      path.push(k.value);
      if (kn.anchor !== undefined || kn.tag !== undefined) fail('keys must be plain strings');
      if (seen.has(k.value)) fail('duplicate key');
      seen.add(k.value);
      entries.push([k.value, toJson(g, pair.value, path, limits)]);
      path.pop();
    }
    return Object.fromEntries(entries);
  }
  if (isSeq(node)) {
    return node.items.map((item, i) => {
      path.push(i);
      const v = toJson(g, item, path, limits);
      path.pop();
      return v;
    });
  }
  if (isScalar(node)) {
    const v = node.value;
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
    if (typeof v === 'number') {
      const text = node.source ?? '';
      if (!/^-?(?:0|[1-9][0-9]*)$/.test(text) || !Number.isSafeInteger(v)) {
        fail(`${text} is not a whole number (floats, exponents, hex and octal are not allowed)`);
      }
      return v;
    }
  }
  return fail('unsupported YAML value');
}

function parseYaml(text: string, file: string, limits: StructuredFileLimits): JsonValue {
  const empty = (): InputError => new InputError(`${file}: the ${limits.noun} is empty`, { file });
  checkNesting(text, file, limits);
  const docs = parseAllDocuments(text, YAML_OPTIONS);
  if ('empty' in docs || docs.length === 0) throw empty();
  if (docs.length > 1) {
    throw new InputError(`${file}: holds ${String(docs.length)} YAML documents; ${a(limits.noun)} is one`, { file });
  }
  const doc = docs[0] as (typeof docs)[number];
  const g = new Guard(file);
  // Duplicate keys are reported below with their field path.
  const fatal = doc.errors.find((e) => e.code !== 'DUPLICATE_KEY') ?? doc.warnings[0];
  if (fatal !== undefined) throw yamlError(file, text, fatal, limits.noun);
  if (doc.contents === null) throw empty();
  const value = toJson(g, doc.contents, [], limits);
  // `---` alone, `~` or `null`: a document with nothing in it
  if (value === null) throw empty();
  const dup = doc.errors[0];
  if (dup !== undefined) throw yamlError(file, text, dup, limits.noun);
  return value;
}

/**
 * Reads a YAML or JSON file written by people. `.json` files (by name) are
 * read as strict JSON; anything else as YAML 1.2 (core schema), which also
 * reads JSON.
 * @param file the file's name, used in messages and to choose JSON or YAML
 * @throws InputError (exit 2) naming the file, and the field path when there is one
 */
export function readStructuredFile(bytes: Uint8Array, file: string, limits: StructuredFileLimits): JsonValue {
  if (bytes.length > limits.maxBytes) {
    throw new InputError(
      `${file}: file is ${String(bytes.length)} bytes, more than the ${String(limits.maxBytes)} ${a(limits.noun)} may have`,
      { file }
    );
  }
  const body = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
  } catch (cause) {
    throw new InputError(`${file}: not valid UTF-8`, { file, cause });
  }
  if (text.trim() === '') throw new InputError(`${file}: the ${limits.noun} is empty`, { file });
  return /\.json$/i.test(file)
    ? parseJson(body, file, { maxBytes: limits.maxBytes, maxDepth: limits.maxDepth })
    : parseYaml(text, file, limits);
}

/** True when a string holds a C0 control character or DEL. */
export function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}
