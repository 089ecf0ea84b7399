// SPDX-License-Identifier: Apache-2.0
/**
 * One writer per workspace (docs/decisions.md, "The workspace lock").
 *
 * The lock is a socket bound in the kernel's abstract namespace (Linux), or
 * a named pipe (Windows), named after the workspace directory's device and
 * inode. Binding is exclusive, and the kernel releases the name when its
 * holder exits in any way (SIGKILL and power loss included): there is no
 * stale lock to judge and so no takeover in which two processes could both
 * believe they own it. The holder answers a connection with who it is
 * (pid, host, command, since), which a waiting process prints.
 *
 * Elsewhere (macOS, BSD) the lock is `audit/.lock`, created with O_EXCL;
 * a lock left by a dead process is never taken over automatically there:
 * the message says who held it and how to remove it.
 *
 * Locks are re-entrant within a process (`run` and `drill` drive commands
 * in-process) and counted; {@link withLockScope} releases what a command
 * took when it ends, however it ends.
 */
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { createServer, connect, type Server } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InputError, IoError } from '../errors.js';

export interface LockOptions {
  /** How long to wait for another holder (default 30 s; 0: fail at once). */
  readonly waitMs?: number;
  /** Told once when the lock is held by another process and this one waits. */
  readonly onWait?: (holder: string) => void;
  /** What this process is doing, for the message another one prints. */
  readonly command?: string;
}

/** The lock file used where there is no abstract socket namespace. */
export const LOCK_FILE = 'audit/.lock';

interface Held {
  count: number;
  readonly release: () => Promise<void>;
}

const held = new Map<string, Held>();
const scopes: Set<string>[] = [];
const started = new Date().toISOString().replace(/\.\d+Z$/, 'Z');

function describe(command: string | undefined): string {
  return JSON.stringify({ pid: process.pid, host: hostname(), command: command ?? process.argv.slice(2).join(' ').slice(0, 200), since: started });
}

/** The holder's own description, as text for a message. */
function holderText(json: string): string {
  try {
    const o = JSON.parse(json) as { pid?: unknown; host?: unknown; command?: unknown; since?: unknown };
    return `process ${String(o.pid)} on ${String(o.host)} (${String(o.command)}), since ${String(o.since)}`;
  } catch {
    return 'another process';
  }
}

async function identity(dir: string): Promise<string> {
  try {
    const st = await stat(dir);
    if (!st.isDirectory()) throw new Error('not a directory');
    return `${String(st.dev)}-${String(st.ino)}`;
  } catch (cause) {
    throw new InputError(`${dir}: no such workspace directory`, { file: dir, cause });
  }
}

function socketName(id: string): string | null {
  if (process.platform === 'linux') return `\0tuf-ceremony/workspace/${id}`;
  if (process.platform === 'win32') return `\\\\?\\pipe\\tuf-ceremony-workspace-${id}`;
  return null;
}

function listen(name: string, info: string): Promise<Server | null> {
  return new Promise((done, fail) => {
    const server = createServer((s) => {
      s.on('error', () => undefined);
      s.end(info);
    });
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') done(null);
      else fail(e);
    });
    server.listen({ path: name, exclusive: true }, () => {
      server.unref();
      done(server);
    });
  });
}

function askHolder(name: string): Promise<string> {
  return new Promise((done) => {
    let text = '';
    const s = connect({ path: name });
    const timer = setTimeout(() => s.destroy(), 1000);
    s.on('data', (d: Buffer) => (text += d.toString('utf8')));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      done(text);
    });
  });
}

/** Tries once; returns the release function, or the holder's description. */
async function tryOnce(dir: string, id: string, info: string): Promise<(() => Promise<void>) | { holder: string }> {
  const name = socketName(id);
  if (name !== null) {
    const server = await listen(name, info).catch((cause: unknown) => {
      throw new IoError(`${dir}: cannot take the workspace lock (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, { file: dir, cause });
    });
    if (server !== null) return () => new Promise<void>((d) => server.close(() => d()));
    return { holder: await askHolder(name) };
  }
  const path = join(dir, LOCK_FILE);
  try {
    const h = await open(path, 'wx', 0o644);
    try {
      await h.writeFile(info + '\n');
      await h.sync();
    } finally {
      await h.close();
    }
    return () => unlink(path).catch(() => undefined);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST') throw new IoError(`${path}: cannot create the workspace lock (${code ?? 'error'})`, { file: path, cause });
    return { holder: await readFile(path, 'utf8').catch(() => '') };
  }
}

/**
 * Takes the workspace's lock (or counts one more hold of it by this
 * process), waiting up to `waitMs` for another holder.
 * @returns a function that releases this hold
 * @throws IoError (exit 3) naming the holder when the wait runs out
 */
export async function acquireWorkspaceLock(dir: string, opts: LockOptions = {}): Promise<() => Promise<void>> {
  const id = await identity(dir);
  const mine = held.get(id);
  let once = false;
  const release = (): Promise<void> => {
    if (once) return Promise.resolve();
    once = true;
    const h = held.get(id);
    if (h === undefined) return Promise.resolve();
    h.count--;
    if (h.count > 0) return Promise.resolve();
    held.delete(id);
    return h.release();
  };
  if (mine !== undefined) {
    mine.count++;
    return release;
  }
  const waitMs = opts.waitMs ?? 30_000;
  const info = describe(opts.command);
  const t0 = Date.now();
  let told = false;
  let delay = 5;
  for (;;) {
    const r = await tryOnce(dir, id, info);
    if (typeof r === 'function') {
      // Another acquisition in this process may have won meanwhile (awaits above).
      const again = held.get(id);
      if (again !== undefined) {
        await r();
        again.count++;
        return release;
      }
      held.set(id, { count: 1, release: r });
      return release;
    }
    const who = holderText(r.holder);
    const waited = Date.now() - t0;
    if (waited >= waitMs) {
      throw new IoError(`${dir}: the workspace is in use by ${who}; waited ${String(Math.round(waited / 1000))} s`, {
        file: dir,
        hint:
          socketName(id) === null
            ? `one command at a time changes a workspace; if that process is gone, remove ${LOCK_FILE} and run \`tuf-ceremony audit verify\``
            : 'one command at a time changes a workspace: run this again when the other has finished (TUF_CEREMONY_LOCK_WAIT=SECONDS waits longer)',
      });
    }
    if (!told) {
      told = true;
      opts.onWait?.(`waiting for the workspace, in use by ${who} (up to ${String(Math.round(waitMs / 1000))} s)`);
    }
    await sleep(Math.min(delay, Math.max(1, waitMs - waited)));
    delay = Math.min(delay * 2, 100);
  }
}

/**
 * Holds the workspace lock until the innermost {@link withLockScope} ends
 * (one command's run). Taking it again in the same scope does nothing.
 */
export async function holdWorkspaceLock(dir: string, opts: LockOptions = {}): Promise<void> {
  const scope = scopes.at(-1);
  const id = await identity(dir);
  if (scope?.has(id) === true) return;
  const release = await acquireWorkspaceLock(dir, opts);
  if (scope === undefined) {
    // No scope (a library caller): held until the process exits.
    return;
  }
  scope.add(id);
  releases.set(scope, [...(releases.get(scope) ?? []), release]);
}

const releases = new WeakMap<Set<string>, (() => Promise<void>)[]>();

/** Runs `fn`; the workspace locks it holds are released when it ends. */
export async function withLockScope<T>(fn: () => Promise<T>): Promise<T> {
  const scope = new Set<string>();
  scopes.push(scope);
  try {
    return await fn();
  } finally {
    const i = scopes.lastIndexOf(scope);
    if (i >= 0) scopes.splice(i, 1);
    for (const r of (releases.get(scope) ?? []).reverse()) await r();
  }
}

/** How long to wait for the lock: TUF_CEREMONY_LOCK_WAIT seconds (default 30). */
export function lockWaitMs(env: { readonly [name: string]: string | undefined }): number {
  const v = env['TUF_CEREMONY_LOCK_WAIT'];
  if (v === undefined || v === '') return 30_000;
  if (!/^\d{1,6}$/.test(v)) throw new InputError(`TUF_CEREMONY_LOCK_WAIT: "${v}" is not a whole number of seconds`, { field: 'TUF_CEREMONY_LOCK_WAIT' });
  return Number(v) * 1000;
}
