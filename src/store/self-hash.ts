// SPDX-License-Identifier: Apache-2.0
/**
 * The SHA-256 of the running tool's own code, recorded as the first entry
 * of every guided ceremony (`run`), so the transcript says which code ran
 * (docs/templates.md §"The tool's SHA-256"; `self-check` will reuse it).
 *
 * - Installed from the npm package or built from a clone, the code is the
 *   tree `build/src/`: the hash is the SHA-256 of a manifest with one line
 *   per file, `SHA256  PATH\n` (the file's SHA-256 in lowercase hex, two
 *   spaces, its path relative to `build/src` with `/`), in code-point order
 *   of the paths. It is what
 *   `cd build/src && find . -type f -printf '%P\n' | LC_ALL=C sort | xargs sha256sum | sha256sum`
 *   prints.
 * - Bundled into a single file, the hash is that file's SHA-256.
 *
 * Only the code is hashed: not `node_modules/` (pinned by package-lock.json),
 * not Node itself, not templates (each run records its template's hash).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IoError } from '../errors.js';

export interface ToolHash {
  /** `tree`: the files under build/src; `file`: one bundled file. */
  readonly mode: 'tree' | 'file';
  /** What was hashed: the build/src directory or the bundle. */
  readonly path: string;
  /** Number of files hashed. */
  readonly files: number;
  readonly sha256: string;
}

const sha256 = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

/** The files under `dir` (regular files only; links are not followed), relative with `/`, in code-point order. */
function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix === '' ? e.name : `${prefix}/${e.name}`;
    if (e.isDirectory()) out.push(...listFiles(dir, rel));
    else if (e.isFile()) out.push(rel);
  }
  return out;
}

function compareCodePoints(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Hashes the code tree `srcDir` (see the module comment).
 * @throws IoError (exit 3) when a file cannot be read
 */
export function hashCodeTree(srcDir: string): ToolHash {
  try {
    const files = listFiles(srcDir).sort(compareCodePoints);
    const manifest = files.map((f) => `${sha256(readFileSync(join(srcDir, f)))}  ${f}\n`).join('');
    return { mode: 'tree', path: srcDir, files: files.length, sha256: sha256(manifest) };
  } catch (cause) {
    throw new IoError(`${srcDir}: cannot hash the tool's code (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, { file: srcDir, cause });
  }
}

/** This module's file: build/src/store/self-hash.js, or the bundle. */
function thisFile(): string {
  return fileURLToPath(import.meta.url);
}

/** The build/src directory this code runs from, or null when bundled. */
function codeTree(): string | null {
  const src = dirname(dirname(thisFile()));
  return basename(src) === 'src' && basename(dirname(src)) === 'build' ? src : null;
}

let cached: ToolHash | undefined;

/**
 * The SHA-256 of the running tool's code, computed once per process.
 * @throws IoError (exit 3) when the code cannot be read
 */
export function toolSelfHash(): ToolHash {
  if (cached !== undefined) return cached;
  const tree = codeTree();
  if (tree !== null) cached = hashCodeTree(tree);
  else {
    const file = thisFile();
    try {
      cached = { mode: 'file', path: file, files: 1, sha256: sha256(readFileSync(file)) };
    } catch (cause) {
      throw new IoError(`${file}: cannot hash the tool's code`, { file, cause });
    }
  }
  return cached;
}

/**
 * The package's root directory (where package.json, ceremony-templates/ and
 * docs/ are), or null when it cannot be found.
 */
export function packageRoot(): string | null {
  let dir = dirname(thisFile());
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown };
      if (pkg.name === 'tuf-ceremony' && statSync(join(dir, 'ceremony-templates')).isDirectory()) return dir;
    } catch {
      // not here: look one level up
    }
    dir = dirname(dir);
  }
  return null;
}
