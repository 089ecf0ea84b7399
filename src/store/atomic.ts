// SPDX-License-Identifier: Apache-2.0
/**
 * Atomic file writes: a temporary file in the same directory, written and
 * fsynced, renamed over the target, then the directory fsynced. A crash at
 * any point leaves either the old file or the new one, never half of one.
 *
 * Inside a workspace (`root` given) no write goes through a symbolic link:
 * the target and every directory from the workspace down to it must be
 * real (lstat), or the write is refused (exit 2). Outside it (`outside`),
 * an existing file, link, device or FIFO is replaced only with `force`.
 * Every step passes a crash point (crash-point.ts, a test hook).
 */
import { randomBytes } from 'node:crypto';
import { lstatSync, readdirSync, unlinkSync, type Stats } from 'node:fs';
import { link, lstat, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { InputError, IoError } from '../errors.js';
import { crashPoint } from './crash-point.js';

export interface AtomicWriteOptions {
  /** File mode of the new file (default 0o644; 0o600 for private keys). */
  readonly mode?: number;
  /** Refuse to replace an existing file. */
  readonly exclusive?: boolean;
  /** The workspace the file is in: no symbolic link on the way from it to the file. */
  readonly root?: string;
  /** A file the user named outside a workspace: an existing entry is replaced only when `force` is true. */
  readonly outside?: { readonly force: boolean; readonly option: string };
}

/** Temporary files this module makes: `.NAME.HEX.tmp`. */
export const TEMP_FILE = /^\..+\.[0-9a-f]{12,32}\.tmp$/;

/** Makes a directory's entries (a new or renamed file) durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const h = await open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

function kind(st: Stats): string {
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'a file';
}

/**
 * Refuses a path inside `root` that goes through a symbolic link, or whose
 * target is anything but a regular file (or absent).
 * @throws InputError (exit 2)
 */
export function assertNoLinks(root: string, path: string): void {
  const rel = relative(root, path);
  if (rel === '' || rel.startsWith('..')) throw new InputError(`${path}: not inside the workspace ${root}`, { file: path });
  const parts = rel.split(sep);
  let cur = root;
  for (let i = 0; i < parts.length; i++) {
    cur = join(cur, parts[i] ?? '');
    let st;
    try {
      st = lstatSync(cur);
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new IoError(`${cur}: cannot examine (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, { file: cur, cause });
    }
    const last = i === parts.length - 1;
    if (st.isSymbolicLink() || (last ? !st.isFile() : !st.isDirectory())) {
      throw new InputError(`${relative(root, cur)}: is ${kind(st)}; the workspace never writes through a link or over anything but a file`, {
        file: cur,
        hint: 'replace it by a real directory or file, and check why it was there',
      });
    }
  }
}

/** Refuses to replace what the user named outside a workspace unless forced. */
async function checkOutside(path: string, o: { readonly force: boolean; readonly option: string }): Promise<void> {
  let st;
  try {
    st = await lstat(path);
  } catch {
    return;
  }
  if (st.isDirectory()) throw new InputError(`${o.option}: ${path} is a directory`, { file: path, field: o.option });
  if (!o.force) {
    throw new InputError(`${o.option}: ${path} exists (${kind(st)}); not replaced`, { file: path, field: o.option, hint: 'choose another name, or add --force to replace it' });
  }
}

/** A new temporary name beside `path`. */
export function tempNameFor(path: string, id = randomBytes(6).toString('hex')): string {
  return join(dirname(path), `.${basename(path)}.${id}.tmp`);
}

/** Writes and fsyncs a new file `tmp` (it must not exist). Passes a crash point. */
export async function writeTemp(tmp: string, data: Uint8Array | string, mode = 0o644): Promise<void> {
  // 'wx': the temporary file is new (O_EXCL: never through a link), created with its final mode.
  const h = await open(tmp, 'wx', mode);
  try {
    crashPoint(`create ${basename(tmp)}`);
    await h.writeFile(data);
    await h.chmod(mode);
    await h.sync();
  } finally {
    await h.close();
  }
  crashPoint(`written ${basename(tmp)}`);
}

/** Renames `tmp` over `path` and makes it durable. Passes crash points. */
export async function renameInto(tmp: string, path: string): Promise<void> {
  await rename(tmp, path);
  crashPoint(`renamed ${basename(path)}`);
  await fsyncDir(dirname(path));
}

/** Writes `data` to `path` atomically. @throws IoError (exit 3), InputError (exit 2) for a link or an existing file refused */
export async function writeFileAtomic(path: string, data: Uint8Array | string, opts: AtomicWriteOptions = {}): Promise<void> {
  if (opts.root !== undefined) assertNoLinks(opts.root, path);
  if (opts.outside !== undefined) await checkOutside(path, opts.outside);
  const dir = dirname(path);
  const tmp = tempNameFor(path);
  const mode = opts.mode ?? 0o644;
  let created = true;
  try {
    await writeTemp(tmp, data, mode);
    if (opts.exclusive === true || (opts.outside !== undefined && !opts.outside.force)) {
      // link() fails if the target exists, so an existing file is never replaced.
      await link(tmp, path);
      crashPoint(`linked ${basename(path)}`);
      await unlink(tmp);
    } else {
      await rename(tmp, path);
      crashPoint(`renamed ${basename(path)}`);
    }
    created = false;
    await fsyncDir(dir);
  } catch (cause) {
    if (created) await unlink(tmp).catch(() => undefined);
    const code = (cause as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'EEXIST') throw new InputError(`${path}: already exists; not replaced`, { file: path, cause });
    throw new IoError(`${path}: cannot write (${code})`, { file: path, cause });
  }
}

/**
 * Removes temporary files (`.NAME.HEX.tmp`) left in the given directories
 * by a process that was killed. Only to be called under the workspace lock.
 * @returns the paths removed
 */
export function removeStaleTemps(dirs: readonly string[]): string[] {
  const out: string[] = [];
  for (const d of dirs) {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      continue;
    }
    for (const n of names) {
      if (!TEMP_FILE.test(n)) continue;
      try {
        if (!lstatSync(join(d, n)).isFile()) continue;
        unlinkSync(join(d, n));
        out.push(join(d, n));
      } catch {
        // Gone meanwhile, or not ours to remove: left as it is.
      }
    }
  }
  return out;
}
