// SPDX-License-Identifier: Apache-2.0
/**
 * Atomic file writes: a temporary file in the same directory, written and
 * fsynced, renamed over the target, then the directory fsynced. A crash at
 * any point leaves either the old file or the new one, never half of one.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { InputError, IoError } from '../errors.js';

export interface AtomicWriteOptions {
  /** File mode of the new file (default 0o644; 0o600 for private keys). */
  readonly mode?: number;
  /** Refuse to replace an existing file. */
  readonly exclusive?: boolean;
}

/** Makes a directory's entries (a new or renamed file) durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const h = await open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

/** Writes `data` to `path` atomically. @throws IoError (exit 3) */
export async function writeFileAtomic(path: string, data: Uint8Array | string, opts: AtomicWriteOptions = {}): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const mode = opts.mode ?? 0o644;
  let created = false;
  try {
    // 'wx': the temporary file is new, created with its final mode.
    const h = await open(tmp, 'wx', mode);
    created = true;
    try {
      await h.writeFile(data);
      await h.chmod(mode);
      await h.sync();
    } finally {
      await h.close();
    }
    if (opts.exclusive === true) {
      // link() fails if the target exists, so an existing file is never replaced.
      const { link } = await import('node:fs/promises');
      await link(tmp, path);
      await unlink(tmp);
    } else {
      await rename(tmp, path);
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
