// SPDX-License-Identifier: Apache-2.0
/**
 * Hashing target files for `targets add`: SHA-256 and SHA-512 of each file
 * in one streamed pass (never the whole file in memory), with progress
 * reported to a callback. The progress bar itself belongs to src/ui.
 */
import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import type { BigIntStats, Stats } from 'node:fs';
import { InputError, IoError } from '../errors.js';

/** Read size: large enough for throughput, small enough to report progress often. */
export const HASH_CHUNK_BYTES = 1024 * 1024;

/** A file to hash: where it is, and how the user named it (for messages). */
export interface HashInput {
  readonly path: string;
  readonly shown: string;
}

export interface HashedFile {
  readonly shown: string;
  readonly length: number;
  readonly sha256: string;
  readonly sha512: string;
}

/** Bytes hashed so far over all files, and the total. */
export type HashProgress = (done: number, total: number) => void;

function errnoOf(cause: unknown): string {
  return (cause as NodeJS.ErrnoException).code ?? 'error';
}

function notAFile(input: HashInput, st: { isDirectory(): boolean }): InputError {
  const what = st.isDirectory() ? 'is a directory: targets add takes files (for a directory\'s files, list them, e.g. dir/*)' : 'is not a regular file';
  return new InputError(`${input.shown}: ${what}`, { file: input.shown, field: 'FILE' });
}

/**
 * Checks that every input is a readable regular file, before any is read
 * (a directory or a FIFO is refused without opening it).
 * @returns the sizes, in input order
 * @throws InputError (exit 2) for a missing file, a directory or another non-file
 * @throws IoError (exit 3) when a file cannot be examined
 */
export async function statTargetFiles(inputs: readonly HashInput[]): Promise<number[]> {
  const sizes: number[] = [];
  for (const input of inputs) {
    let st: Stats;
    try {
      st = await stat(input.path);
    } catch (cause) {
      const code = errnoOf(cause);
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new InputError(`${input.shown}: no such file`, { file: input.shown, field: 'FILE', cause });
      throw new IoError(`${input.shown}: cannot examine the file (${code})`, { file: input.shown, cause });
    }
    if (!st.isFile()) throw notAFile(input, st);
    sizes.push(st.size);
  }
  return sizes;
}

/** What differs between the descriptor's state before and after the read, or null. */
function changedWhileRead(before: BigIntStats, afterRead: BigIntStats, length: number): string | null {
  if (BigInt(length) !== before.size) return `${String(before.size)} bytes when opened, ${String(length)} read`;
  if (afterRead.size !== before.size) return `${String(before.size)} bytes when opened, ${String(afterRead.size)} after reading`;
  if (afterRead.ino !== before.ino) return 'its inode changed';
  if (afterRead.mtimeNs !== before.mtimeNs) return 'its modification time changed';
  if (afterRead.ctimeNs !== before.ctimeNs) return 'its change time changed';
  return null;
}

/**
 * Hashes files with SHA-256 and SHA-512 in one streamed pass each.
 * @param onProgress called after each chunk with the bytes done and the total
 * @throws InputError (exit 2) as {@link statTargetFiles}
 * @throws InputError (exit 2) when a file changes while it is read: its size,
 *   modification or change time (in nanoseconds) or inode differ between an
 *   fstat of the open descriptor before the first read and one after the last,
 *   or the bytes read are not the size it had when opened
 * @throws IoError (exit 3) when a file cannot be read
 */
export async function hashFiles(inputs: readonly HashInput[], onProgress?: HashProgress): Promise<HashedFile[]> {
  const sizes = await statTargetFiles(inputs);
  const total = sizes.reduce((a, b) => a + b, 0);
  let done = 0;
  const out: HashedFile[] = [];
  const buffer = Buffer.allocUnsafe(HASH_CHUNK_BYTES);
  for (const input of inputs) {
    const sha256 = createHash('sha256');
    const sha512 = createHash('sha512');
    let length = 0;
    let before: BigIntStats;
    let afterRead: BigIntStats;
    try {
      const fh = await open(input.path, 'r');
      try {
        before = await fh.stat({ bigint: true });
        // The path may have been replaced since it was examined.
        if (!before.isFile()) throw notAFile(input, before);
        // One buffer, read into again and again: memory stays at one chunk
        // whenever the garbage collector runs (a stream allocates a chunk per read).
        for (;;) {
          const { bytesRead } = await fh.read(buffer, 0, buffer.length, null);
          if (bytesRead === 0) break;
          const b = buffer.subarray(0, bytesRead);
          sha256.update(b);
          sha512.update(b);
          length += bytesRead;
          done += bytesRead;
          onProgress?.(done, Math.max(total, done));
        }
        // The same descriptor again: what was hashed is what is on disk only
        // if nothing wrote to the file in between (same size, same times).
        afterRead = await fh.stat({ bigint: true });
      } finally {
        await fh.close();
      }
    } catch (cause) {
      if (cause instanceof InputError) throw cause;
      throw new IoError(`${input.shown}: cannot read the file (${errnoOf(cause)})`, { file: input.shown, cause });
    }
    const changed = changedWhileRead(before, afterRead, length);
    if (changed !== null) {
      throw new InputError(`${input.shown}: the file changed while it was read (${changed}); hash it again when nothing writes to it`, {
        file: input.shown,
        field: 'FILE',
      });
    }
    out.push({ shown: input.shown, length, sha256: sha256.digest('hex'), sha512: sha512.digest('hex') });
  }
  return out;
}
