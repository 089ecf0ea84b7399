// SPDX-License-Identifier: Apache-2.0
/**
 * A static file server on the loopback interface for the drill's client:
 * 127.0.0.1 on a port the system picks, GET only, files under one directory
 * only (404 for anything else), closed after use.
 */
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join, resolve, sep } from 'node:path';
import { EnvironmentError } from '../errors.js';

export interface Loopback {
  /** `http://127.0.0.1:PORT` */
  readonly base: string;
  /** Paths requested so far, in order, with the status answered. */
  readonly requests: readonly { readonly path: string; readonly status: number }[];
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/**
 * Serves the files under `root` on 127.0.0.1; with `only`, just those
 * top-level directories of it (`metadata`, `targets`).
 * @throws EnvironmentError (exit 3) when no loopback port can be opened
 */
export async function serveDirectory(root: string, only?: readonly string[]): Promise<Loopback> {
  const top = resolve(root);
  const allowed = (path: string): boolean =>
    path.startsWith(top + sep) && (only === undefined || only.some((d) => path.startsWith(join(top, d) + sep)));
  const requests: { path: string; status: number }[] = [];
  // Imported here, not at the top: in the single file a top-level node:http costs every start (Node 22+ loads undici with it).
  const { createServer } = await import('node:http');
  const server = createServer((req, res) => {
    const answer = (path: string, status: number, body?: Buffer): void => {
      requests.push({ path, status });
      if (body === undefined) res.writeHead(status).end();
      else res.writeHead(status, { 'content-type': 'application/octet-stream', 'content-length': body.length }).end(body);
    };
    let rel: string;
    try {
      rel = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    } catch {
      answer(req.url ?? '', 400);
      return;
    }
    if (req.method !== 'GET') {
      answer(rel, 405);
      return;
    }
    const path = resolve(top, '.' + rel);
    if (!allowed(path) || rel.includes('\0')) {
      answer(rel, 404);
      return;
    }
    readFile(path).then(
      (body) => {
        answer(rel, 200, body);
      },
      () => {
        answer(rel, 404);
      }
    );
  });
  server.keepAliveTimeout = 1000;
  try {
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(0, '127.0.0.1', () => {
        ok();
      });
    });
  } catch (cause) {
    throw new EnvironmentError(`cannot listen on 127.0.0.1: ${(cause as Error).message}`, {
      cause,
      hint: 'the drill serves the repository on the loopback interface; check that it exists and that local ports may be opened',
    });
  }
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${String(port)}`,
    requests,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => {
          ok();
        });
      }),
  };
}
