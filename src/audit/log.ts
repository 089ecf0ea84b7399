// SPDX-License-Identifier: Apache-2.0
/**
 * The audit log on disk, `audit/log.jsonl` in a workspace: appending one
 * entry (under a lock file, one write, fsync) and reading the log back.
 * The format and the chain live in entry.ts; this is the I/O edge.
 */
import { fsyncDir } from '../store/atomic.js';
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { mkdir, open, readFile, stat, unlink, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InputError, IoError, VerificationError } from '../errors.js';
import { MAX_AUDIT_LOG_BYTES, hashLine, nextEntry, scanLog, ZERO_HEAD, type AuditEntry, type AuditEvent } from './entry.js';

/** Where the log lives, relative to the workspace. */
export const AUDIT_LOG_PATH = 'audit/log.jsonl';
/** The lock file held while appending, relative to the workspace. */
export const AUDIT_LOCK_PATH = 'audit/.lock';

export interface AppendOptions {
  /** How long to wait for another process's append (default 30 s). */
  readonly lockTimeoutMs?: number;
  /** A lock older than this is reported as stale at once (default 60 s). */
  readonly staleLockMs?: number;
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

async function describeLock(lock: string): Promise<string> {
  try {
    const text = await readFile(lock, 'utf8');
    const info = JSON.parse(text) as { pid?: unknown; host?: unknown };
    return ` by process ${String(info.pid)} on ${String(info.host)}`;
  } catch {
    return '';
  }
}

/**
 * Takes the lock (a file created with O_EXCL), waiting for other processes.
 * @returns a function that releases it
 * @throws IoError (exit 3) when the lock stays held, or is stale
 */
async function lock(workspaceDir: string, opts: AppendOptions): Promise<() => Promise<void>> {
  const path = join(workspaceDir, AUDIT_LOCK_PATH);
  const timeout = opts.lockTimeoutMs ?? 30_000;
  const stale = opts.staleLockMs ?? 60_000;
  const started = Date.now();
  let delay = 2;
  for (;;) {
    let h: FileHandle | undefined;
    try {
      h = await open(path, 'wx', 0o644);
    } catch (cause) {
      if (errnoCode(cause) !== 'EEXIST') {
        throw new IoError(`${path}: cannot create the audit lock (${errnoCode(cause)})`, { file: path, cause });
      }
    }
    if (h !== undefined) {
      try {
        // Who holds it, for the message another process may print.
        await h.writeFile(JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() }) + '\n');
      } catch (cause) {
        await unlink(path).catch(() => undefined);
        throw new IoError(`${path}: cannot write the audit lock (${errnoCode(cause)})`, { file: path, cause });
      } finally {
        await h.close();
      }
      return () => unlink(path);
    }
    let ageMs: number;
    try {
      ageMs = Date.now() - (await stat(path)).mtimeMs;
    } catch {
      continue; // released meanwhile
    }
    if (await holderIsGone(path, ageMs)) {
      // A process killed while holding the lock (SIGKILL, power loss) cannot be appending.
      await unlink(path).catch(() => undefined);
      continue;
    }
    const waited = Date.now() - started;
    if (ageMs > stale || waited > timeout) {
      const who = await describeLock(path);
      const seconds = String(Math.round(ageMs / 1000));
      throw new IoError(
        ageMs > stale
          ? `${path}: the audit log has been locked for ${seconds} s${who}: a tuf-ceremony process probably stopped while appending`
          : `${path}: waited ${String(Math.round(waited / 1000))} s for the audit log, locked${who} for ${seconds} s`,
        {
          file: path,
          hint: `make sure no other tuf-ceremony is running on this workspace, run \`tuf-ceremony audit verify\`, then remove ${AUDIT_LOCK_PATH}`,
        }
      );
    }
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 50);
  }
}

/**
 * True when the lock's holder is certainly not running: a process on this
 * host that no longer exists, or an empty lock file (its holder died between
 * creating and writing it) older than 2 s. A lock from another host is
 * never judged here.
 */
async function holderIsGone(lock: string, ageMs: number): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(lock, 'utf8');
  } catch {
    return false;
  }
  if (text.trim() === '') return ageMs > 2000;
  let info: { pid?: unknown; host?: unknown };
  try {
    info = JSON.parse(text) as { pid?: unknown; host?: unknown };
  } catch {
    return false;
  }
  if (info.host !== hostname() || typeof info.pid !== 'number' || !Number.isSafeInteger(info.pid) || info.pid <= 0) return false;
  if (info.pid === process.pid) return false;
  try {
    process.kill(info.pid, 0);
    return false;
  } catch (e) {
    return errnoCode(e) === 'ESRCH';
  }
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
async function readTail(h: FileHandle, file: string, size: number): Promise<{ head: string; seq: number }> {
  if (size === 0) return { head: ZERO_HEAD, seq: 0 };
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
      return { head: hashLine(last), seq: scanned.entry.seq };
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
  const release = await lock(workspaceDir, opts);
  try {
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
      try {
        let done = 0;
        while (done < data.length) {
          // Opened for appending: every write goes to the end of the file.
          const { bytesWritten } = await h.write(data, done, data.length - done);
          done += bytesWritten;
        }
        await h.sync();
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
