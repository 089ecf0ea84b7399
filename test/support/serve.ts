// SPDX-License-Identifier: Apache-2.0
/** A static loopback HTTP server for tuf-js Updater tests. */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve, sep } from 'node:path';

export interface Served {
  readonly server: Server;
  readonly base: string;
  readonly requests: string[];
}

/** A static file server for `root`; 404 for anything missing or outside it. */
export async function serve(root: string): Promise<Served> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    let rel: string;
    try {
      rel = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    requests.push(rel);
    const p = resolve(root, '.' + rel);
    if (req.method !== 'GET' || !p.startsWith(root + sep)) {
      res.writeHead(404).end();
      return;
    }
    readFile(p).then(
      (data) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': data.length }).end(data);
      },
      () => {
        res.writeHead(404).end();
      }
    );
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      ok();
    });
  });
  const { port } = server.address() as AddressInfo;
  return { server, base: `http://127.0.0.1:${String(port)}`, requests };
}

export async function stop(s: Served | undefined): Promise<void> {
  if (s === undefined) return;
  s.server.closeAllConnections();
  await new Promise<void>((ok) => {
    s.server.close(() => {
      ok();
    });
  });
}
