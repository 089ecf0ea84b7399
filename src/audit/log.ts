// SPDX-License-Identifier: Apache-2.0
/**
 * The audit log on disk, `audit/log.jsonl` in a workspace: appending one
 * entry (under a lock file, one write, fsync) and reading the log back.
 * The format and the chain live in entry.ts; this is the I/O edge.
 */
import { assertNoLinks, fsyncDir } from '../store/atomic.js';
import { crashPoint } from '../store/crash-point.js';
import { acquireWorkspaceLock } from '../store/lock.js';
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError, IoError, VerificationError } from '../errors.js';
import { MAX_AUDIT_LOG_BYTES, hashLine, nextEntry, scanLog, ZERO_HEAD, type AuditEntry, type AuditEvent } from './entry.js';

/** Where the log lives, relative to the workspace. */
export const AUDIT_LOG_PATH = 'audit/log.jsonl';
export interface AppendOptions {
  /** How long to wait for another process holding the workspace (default 30 s). */
  readonly lockTimeoutMs?: number;
}

function errnoCode(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? 'error';
}

/** Creates `audit/` when missing (and makes that durable). */
async function ensureAuditDir(workspaceDir: string): Promise<void> {
  const dir = join(workspaceDir, 'audit');
  try {
    await mkdir(dir);
  } catch (cause) {
    const code = errnoCode(cause);
    if (code === 'EEXIST') return;
    if (code === 'ENOENT') throw new InputError(`${workspaceDir}: no such workspace directory`, { file: workspaceDir, cause });
    throw new IoError(`${dir}: cannot create (${code})`, { file: dir, cause });
  }
  await fsyncDir(workspaceDir);
}

function refuseBrokenTail(file: string, problem: string): never {
  throw new VerificationError(`${file}: ${problem}; not appending to a log whose end is broken`, {
    file,
    hint:
      'run `tuf-ceremony audit verify` to see the problem; if the last line is a write cut short by a crash, ' +
      'keep a copy of the log as evidence, remove that partial line, and run the command again',
  });
}

/**
 * Reads the last line of the log (reading only its tail) and returns its
 * hash and seq. Refuses a log whose last line is incomplete or not an entry.
 */
async function readTail(h: FileHandle, file: string, size: number): Promise<{ head: string; seq: number; entry: AuditEntry | null }> {
  if (size === 0) return { head: ZERO_HEAD, seq: 0, entry: null };
  let chunk = Math.min(size, 64 * 1024);
  for (;;) {
    const buf = Buffer.alloc(chunk);
    const { bytesRead } = await h.read(buf, 0, chunk, size - chunk);
    if (bytesRead !== chunk) throw new IoError(`${file}: changed while being read`, { file });
    if (buf[chunk - 1] !== 0x0a) {
      refuseBrokenTail(file, 'the last line has no newline (a write was cut short, or the file was edited)');
    }
    const start = chunk < 2 ? 0 : buf.lastIndexOf(0x0a, chunk - 2) + 1;
    if (start > 0 || chunk === size) {
      const last = buf.subarray(start, chunk - 1);
      // Read as a one-line log: the line's own form, not its links.
      const scanned = scanLog(Buffer.concat([last, Buffer.from('\n')]), file).lines[0];
      if (scanned === undefined || scanned.entry === null || scanned.problems.length > 0) {
        const p = scanned?.problems[0];
        refuseBrokenTail(file, `the last line is not a valid entry: ${p?.message ?? 'empty'}`);
      }
      return { head: hashLine(last), seq: scanned.entry.seq, entry: scanned.entry };
    }
    chunk = Math.min(size, chunk * 4);
  }
}

/**
 * Appends one entry to the workspace's audit log: takes `audit/.lock`,
 * reads the last line for its hash and seq, writes the new line with one
 * write on a file opened for appending, fsyncs it (and the directory when
 * the log was created), and releases the lock. Two processes never
 * interleave. Earlier lines are not re-checked: `audit verify` does that.
 * @param timeMs the event's time (the caller's clock)
 * @returns the entry written and the log's new head
 * @throws InputError (exit 2) for an event that cannot be recorded (see `nextEntry`)
 * @throws VerificationError (exit 1) when the log's last line is incomplete or malformed
 * @throws IoError (exit 3) when the lock stays held or the file system fails
 */
export async function appendAuditEntry(
  workspaceDir: string,
  event: AuditEvent,
  timeMs: number,
  opts: AppendOptions = {}
): Promise<{ entry: AuditEntry; head: string }> {
  const file = join(workspaceDir, AUDIT_LOG_PATH);
  await ensureAuditDir(workspaceDir);
  const release = await acquireWorkspaceLock(workspaceDir, opts.lockTimeoutMs === undefined ? {} : { waitMs: opts.lockTimeoutMs });
  try {
    assertNoLinks(workspaceDir, file);
    let h: FileHandle;
    try {
      h = await open(file, 'a+', 0o644);
    } catch (cause) {
      throw new IoError(`${file}: cannot open (${errnoCode(cause)})`, { file, cause });
    }
    try {
      const size = (await h.stat()).size;
      if (size > MAX_AUDIT_LOG_BYTES) {
        throw new InputError(`${file}: the log is ${String(size)} bytes, more than the ${String(MAX_AUDIT_LOG_BYTES)} accepted`, {
          file,
          hint: 'archive it (keep its head) and start a new workspace',
        });
      }
      const tail = await readTail(h, file, size);
      const next = nextEntry(tail.head, tail.seq, event, timeMs);
      const data = Buffer.from(next.line + '\n', 'utf8');
      crashPoint(`append ${event.command}`);
      try {
        let done = 0;
        while (done < data.length) {
          // Opened for appending: every write goes to the end of the file.
          const { bytesWritten } = await h.write(data, done, data.length - done);
          done += bytesWritten;
        }
        await h.sync();
        crashPoint(`appended ${event.command}`);
      } catch (cause) {
        // Leave no half line behind (best effort: a crash can still, and verify reports it).
        await h.truncate(size).catch(() => undefined);
        throw new IoError(`${file}: cannot append (${errnoCode(cause)})`, { file, cause });
      }
      // A new log file: make its directory entry durable too.
      if (size === 0) await fsyncDir(join(workspaceDir, 'audit'));
      return { entry: next.entry, head: next.head };
    } finally {
      await h.close();
    }
  } finally {
    await release().catch(() => undefined);
  }
}

/**
 * The log's last entry and head (reading only its tail); null entry for an
 * empty or absent log. Call under the workspace lock.
 * @throws VerificationError (exit 1) when the last line is incomplete or malformed
 */
export async function readLastEntry(workspaceDir: string): Promise<{ entry: AuditEntry | null; head: string }> {
  const file = join(workspaceDir, AUDIT_LOG_PATH);
  let h: FileHandle;
  try {
    h = await open(file, 'r');
  } catch (cause) {
    if (errnoCode(cause) === 'ENOENT') return { entry: null, head: ZERO_HEAD };
    throw new IoError(`${file}: cannot open (${errnoCode(cause)})`, { file, cause });
  }
  try {
    const t = await readTail(h, file, (await h.stat()).size);
    return { entry: t.entry, head: t.head };
  } finally {
    await h.close();
  }
}

/** The log's bytes as read; `exists` is false when there is no log yet (an empty log). */
export interface AuditLogBytes {
  readonly file: string;
  readonly bytes: Uint8Array;
  readonly exists: boolean;
}

/**
 * Reads `audit/log.jsonl` of a workspace whole.
 * @throws InputError (exit 2) when the workspace does not exist or the log is larger than 64 MiB
 * @throws IoError (exit 3) when it cannot be read
 */
export function readAuditLog(workspaceDir: string): AuditLogBytes {
  const file = join(workspaceDir, AUDIT_LOG_PATH);
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (cause) {
    const code = errnoCode(cause);
    if (code === 'ENOENT') {
      try {
        if (!statSync(workspaceDir).isDirectory()) throw new Error('not a directory');
      } catch (c) {
        throw new InputError(`${workspaceDir}: no such workspace directory`, { file: workspaceDir, cause: c });
      }
      return { file, bytes: new Uint8Array(0), exists: false };
    }
    throw new IoError(`${file}: cannot read (${code})`, { file, cause });
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new InputError(`${file}: not a regular file`, { file });
    if (st.size > MAX_AUDIT_LOG_BYTES) {
      throw new InputError(`${file}: file is ${String(st.size)} bytes, more than the ${String(MAX_AUDIT_LOG_BYTES)} accepted for an audit log`, {
        file,
      });
    }
    // Read what is there now, up to the limit (+1 to notice growth past it).
    const buf = Buffer.alloc(Math.min(st.size + 64 * 1024, MAX_AUDIT_LOG_BYTES + 1));
    let n = 0;
    for (;;) {
      const r = readSync(fd, buf, n, buf.length - n, n);
      if (r === 0) break;
      n += r;
      if (n === buf.length) break;
    }
    if (n > MAX_AUDIT_LOG_BYTES) {
      throw new InputError(`${file}: more than the ${String(MAX_AUDIT_LOG_BYTES)} bytes accepted for an audit log`, { file });
    }
    return { file, bytes: buf.subarray(0, n), exists: true };
  } catch (cause) {
    if (cause instanceof InputError) throw cause;
    throw new IoError(`${file}: cannot read (${errnoCode(cause)})`, { file, cause });
  } finally {
    closeSync(fd);
  }
}
