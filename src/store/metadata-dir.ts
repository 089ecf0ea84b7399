// SPDX-License-Identifier: Apache-2.0
/**
 * Reads a metadata directory: the published layout (`N.root.json`,
 * `root.json`, `targets.json` or `V.targets.json`, delegated roles,
 * `snapshot.json`, `timestamp.json`) and the tuf-on-ci git layout
 * (`root_history/N.root.json`). Only regular files (or links to regular
 * files inside the directory) are offered, and each is read only when asked
 * for, with its size checked first.
 */
import { lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { InputError, IoError } from '../errors.js';
import { DEFAULT_MAX_BYTES } from '../metadata/json.js';
import { sha256Hex } from '../metadata/sha256.js';
import type { MetadataSource } from '../verify/repository.js';

function ioError(what: string, path: string, cause: unknown): IoError {
  const code = (cause as NodeJS.ErrnoException).code ?? 'error';
  return new IoError(`${path}: cannot ${what} (${code})`, { file: path, cause });
}

function listJson(dir: string, root: string, prefix: string, out: string[]): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (cause) {
    throw ioError('read the directory', dir, cause);
  }
  for (const e of entries) {
    if (!e.name.endsWith('.json')) continue;
    const p = join(dir, e.name);
    if (e.isSymbolicLink()) {
      // A link is followed only when it stays inside the directory.
      try {
        const real = realpathSync(p);
        const rel = relative(realpathSync(root), real);
        if (rel.startsWith('..') || rel.split(sep).includes('..') || !statSync(real).isFile()) continue;
      } catch {
        continue;
      }
    } else if (!e.isFile()) {
      continue;
    }
    out.push(prefix + e.name);
  }
}

/** True when `dir` holds root metadata in either layout. */
export function hasRootMetadata(dir: string): boolean {
  const names: string[] = [];
  try {
    listJson(dir, dir, '', names);
  } catch {
    return false;
  }
  return names.some((n) => /(^|\/)(\d+\.)?root\.json$/.test(n)) || isDirectory(join(dir, 'root_history'));
}

function isDirectory(p: string): boolean {
  try {
    return lstatSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** A {@link MetadataSource} over a directory on disk. */
export function metadataDirSource(dir: string, maxBytes = DEFAULT_MAX_BYTES): MetadataSource {
  if (!isDirectory(dir)) throw new InputError(`${dir}: not a directory`, { file: dir });
  const names: string[] = [];
  listJson(dir, dir, '', names);
  if (isDirectory(join(dir, 'root_history'))) listJson(join(dir, 'root_history'), dir, 'root_history/', names);
  names.sort();
  const listed = new Set(names);
  return {
    names,
    fresh: true,
    read(name: string): Uint8Array | undefined {
      if (!listed.has(name)) return undefined;
      const p = join(dir, ...name.split('/'));
      return readBoundedFile(p, maxBytes);
    },
  };
}

/** A source whose files' bytes can be taken again, but only as verify read them. */
export interface RememberingSource extends MetadataSource {
  /**
   * The file once more, as it was when read before.
   * @throws InputError (exit 2) when it changed since, or was never read
   */
  readAgain(name: string): Uint8Array;
}

/**
 * Wraps a source to remember the SHA-256 of each file as it is read, for a
 * caller that takes files after verify has checked them (`init --from`:
 * verify may write over the bytes it reads, so they are read again). A
 * file that reads differently later, or that read differently between
 * two of verify's own reads, is refused: what is taken is what verified.
 */
export function rememberingSource(source: MetadataSource): RememberingSource {
  const seen = new Map<string, string>();
  const changed = new Set<string>();
  const refuse = (name: string): never => {
    throw new InputError(`${name}: changed while it was being read and verified; nothing is taken from a repository that something writes to`, { file: name });
  };
  return {
    names: source.names,
    ...(source.fresh === undefined ? {} : { fresh: source.fresh }),
    read(name: string): Uint8Array | undefined {
      const bytes = source.read(name);
      if (bytes !== undefined) {
        const h = sha256Hex(bytes);
        const before = seen.get(name);
        if (before !== undefined && before !== h) changed.add(name);
        seen.set(name, h);
      }
      return bytes;
    },
    readAgain(name: string): Uint8Array {
      const before = seen.get(name);
      if (before === undefined || changed.has(name)) return refuse(name);
      const bytes = source.read(name);
      if (bytes === undefined || sha256Hex(bytes) !== before) return refuse(name);
      return bytes;
    },
  };
}

/**
 * {@link readBoundedFile}, or null when there is no such file (a draft, an
 * incident record, a published version that may or may not be there).
 */
export function readOptionalFile(path: string, maxBytes = DEFAULT_MAX_BYTES): Uint8Array | null {
  try {
    return readBoundedFile(path, maxBytes);
  } catch (e) {
    if (e instanceof InputError && (e.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return null;
    throw e;
  }
}

/** Reads a whole file, refusing one larger than `maxBytes` before reading it. */
export function readBoundedFile(path: string, maxBytes = DEFAULT_MAX_BYTES): Uint8Array {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new InputError(`${path}: not a regular file`, { file: path });
    size = st.size;
  } catch (cause) {
    if (cause instanceof InputError) throw cause;
    // A path the user named that is not there is bad input, not the environment.
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new InputError(`${path}: no such file`, { file: path, cause });
    }
    throw ioError('read', path, cause);
  }
  if (size > maxBytes) {
    throw new InputError(`${path}: file is ${String(size)} bytes, more than the ${String(maxBytes)} accepted`, { file: path });
  }
  try {
    return readFileSync(path);
  } catch (cause) {
    throw ioError('read', path, cause);
  }
}
