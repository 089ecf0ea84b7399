// SPDX-License-Identifier: Apache-2.0
/**
 * The SHA-256 of the code that is running, for `self-check` (and for `run`,
 * which records it in its first audit entry). Two ways the tool runs:
 *
 * - **single file**: `release/tuf-ceremony.mjs`, everything bundled into
 *   one file; its hash is the SHA-256 of that file, the same as its line in
 *   the release's SHA256SUMS.
 * - **package**: an npm install (or a clone with `build/`); the hash covers
 *   the package's own code: `package.json` and every file under `bin/` and
 *   `build/src/`. Each file is listed as a `sha256sum` line, `HEX  PATH\n`,
 *   PATH relative to the package directory with `/` separators, lines
 *   sorted by PATH in code-unit (byte) order; the hash is the SHA-256 of
 *   that text. The release writes the same text as `package-files.sha256`,
 *   so its line in SHA256SUMS is the package's hash, and
 *   `sha256sum -c package-files.sha256` run in the package directory checks
 *   every file one by one. The bundled dependencies under `node_modules/`
 *   are not covered: they are checked with the tarball's own line.
 *
 * Which one is decided by where this module is: as
 * `build/src/store/self-hash.js` it is part of a package; anywhere else it
 * has been bundled into a single file (docs/release.md).
 */
import { sha256Hex } from '../metadata/sha256.js';
import { readFileSync, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvironmentError, IoError } from '../errors.js';
import { VERSION } from '../version.js';
import { formatSums, type SumEntry } from './sums.js';

/** The single file's name in the release, and its line in SHA256SUMS. */
export const SINGLE_FILE_NAME = 'tuf-ceremony.mjs';
/** The package manifest's name in the release, and its line in SHA256SUMS. */
export const PACKAGE_MANIFEST_NAME = 'package-files.sha256';
/** What the package hash covers, relative to the package directory. */
export const PACKAGE_CODE = Object.freeze({ files: ['package.json'], dirs: ['bin', 'build/src'] } as const);

/** The code that is running, identified. */
export interface SelfHash {
  readonly version: string;
  readonly kind: 'single-file' | 'package';
  /** Lowercase hex: of the file (single file) or of the manifest text (package). */
  readonly sha256: string;
  /** The single file, or the package directory. */
  readonly path: string;
  /** The line of the release's SHA256SUMS that must hold {@link sha256}. */
  readonly sumsName: string;
  /** Package only: every file hashed, in manifest order. */
  readonly files?: readonly SumEntry[];
}


async function read(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (cause) {
    throw new IoError(`cannot read ${path} to hash the running code: ${cause instanceof Error ? cause.message : String(cause)}`, { cause, file: path });
  }
}

/** Regular files under `dir`, as `/`-separated paths relative to `root`. */
async function listFiles(root: string, dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(join(root, dir), { withFileTypes: true });
  } catch (cause) {
    throw new IoError(`cannot list ${join(root, dir)} to hash the running code`, { cause, file: join(root, dir) });
  }
  const out: string[] = [];
  for (const e of entries) {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) out.push(...(await listFiles(root, rel)));
    else if (e.isFile()) out.push(rel);
    else throw new EnvironmentError(`${join(root, rel)} is not a regular file: the package's code must be plain files`, { file: join(root, rel) });
  }
  return out;
}

/**
 * The package manifest: a `sha256sum` line for `package.json` and for every
 * file under `bin/` and `build/src/` of the package directory, sorted by
 * path. Its SHA-256 is the package's hash.
 * @param root the package directory (holding package.json)
 * @throws IoError (exit 3) when a file cannot be read
 */
export async function packageManifest(root: string): Promise<{ readonly text: string; readonly files: readonly SumEntry[] }> {
  const paths: string[] = [...PACKAGE_CODE.files];
  for (const d of PACKAGE_CODE.dirs) paths.push(...(await listFiles(root, d)));
  paths.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const files: SumEntry[] = [];
  for (const p of paths) files.push({ name: p, sha256: sha256Hex(await read(join(root, ...p.split('/')))) });
  return { text: formatSums(files), files };
}

/** Where this module sits inside a package. */
const PACKAGE_MODULE = ['build', 'src', 'store', 'self-hash.js'].join(sep);

/**
 * Identifies the running code: its version, whether it is the single file
 * or a package, and its SHA-256 (see the module comment for exactly what is
 * hashed).
 * @param moduleUrl this module's URL (tests may pass another)
 * @throws IoError (exit 3) when the code cannot be read
 */
export async function computeSelfHash(moduleUrl: string = import.meta.url): Promise<SelfHash> {
  const here = fileURLToPath(moduleUrl);
  if (here.endsWith(sep + PACKAGE_MODULE)) {
    const root = resolve(dirname(here), '..', '..', '..');
    const { text, files } = await packageManifest(root);
    return { version: VERSION, kind: 'package', sha256: sha256Hex(text), path: root, sumsName: PACKAGE_MANIFEST_NAME, files };
  }
  return { version: VERSION, kind: 'single-file', sha256: sha256Hex(await read(here)), path: here, sumsName: SINGLE_FILE_NAME };
}

let once: Promise<SelfHash> | undefined;

/**
 * {@link computeSelfHash} for this process, computed once: what `run`
 * records in a ceremony's first audit entry and what `self-check` prints.
 */
export function selfHashOnce(): Promise<SelfHash> {
  once ??= computeSelfHash();
  return once;
}

/**
 * The package's root directory (where package.json, ceremony-templates/ and
 * docs/ are), or null when it cannot be found (a single file copied alone).
 */
export function packageRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
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
