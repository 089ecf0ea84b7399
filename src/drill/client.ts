// SPDX-License-Identifier: Apache-2.0
/**
 * The drill's client check: tuf-js, a TUF client we did not write, starts
 * from a root it trusts, refreshes from the repository served on loopback
 * (every newer root, then timestamp, snapshot, targets and the delegated
 * role that holds the target), downloads one target and the bytes are
 * compared. tuf-js is loaded only here, only when a drill runs.
 *
 * tuf-js fetches through a fetcher of ours that speaks plain HTTP to
 * 127.0.0.1 and nothing else: no proxy (proxy variables must not send a
 * loopback request elsewhere), no cache, no network. Everything that
 * decides acceptance (signatures, thresholds, versions, hashes, lengths,
 * expiry by the real clock) is tuf-js's own Updater.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { serveDirectory } from './serve.js';

export interface ClientCheckInput {
  /** The directory served: `metadata/` and `targets/` under it. */
  readonly repository: string;
  /** The root the client trusts before the update (the previous root). */
  readonly trustedRoot: Uint8Array;
  /** The target to look up and download. */
  readonly targetPath: string;
  /** Its bytes, as published. */
  readonly expected: Uint8Array;
  /** The client's own directory (metadata cache, downloads); created if absent. */
  readonly clientDir: string;
}

export interface ClientCheckResult {
  /** True when tuf-js accepted the repository and downloaded the expected bytes. */
  readonly ok: boolean;
  /** The root version the client trusted at the start. */
  readonly fromVersion: number | null;
  /** The root version the client trusts at the end. */
  readonly rootVersion: number | null;
  /** Why the client did not accept, when it did not. */
  readonly problem: string | null;
  /** Bytes downloaded for the target. */
  readonly downloaded: number | null;
  /** Where the repository was served. */
  readonly base: string;
  /** Every request the client made, in order, with the status served. */
  readonly requests: readonly { readonly path: string; readonly status: number }[];
}

/** The version in a root file, or null when it cannot be read. */
function rootVersionOf(bytes: Uint8Array): number | null {
  try {
    const v = (JSON.parse(Buffer.from(bytes).toString('utf8')) as { signed?: { version?: unknown } }).signed?.version;
    return typeof v === 'number' ? v : null;
  } catch {
    return null;
  }
}

/**
 * Serves `repository` on 127.0.0.1, runs tuf-js against it and closes the
 * server. A client that refuses is a result (`ok: false` with the reason),
 * never an exception.
 * @throws EnvironmentError (exit 3) when no loopback port can be opened
 */
export async function checkClient(input: ClientCheckInput): Promise<ClientCheckResult> {
  const { Updater, BaseFetcher } = await import('tuf-js');
  // Imported here, not at the top: in the single file a top-level node:http costs every start (Node 22+ loads undici with it).
  const { get } = await import('node:http');
  // Not exported from the package index; the Updater stops looking for a newer root on this error with 403/404.
  const { DownloadHTTPError } = await import('tuf-js/dist/error.js');

  class LoopbackFetcher extends BaseFetcher {
    override fetch(url: string): Promise<NodeJS.ReadableStream> {
      return new Promise((resolve, reject) => {
        const u = new URL(url);
        if (u.protocol !== 'http:' || u.hostname !== '127.0.0.1') {
          reject(new Error(`the drill's client fetches only from the loopback server, not ${url}`));
          return;
        }
        const req = get(u, { agent: false, timeout: 30_000 }, (res: IncomingMessage) => {
          if (res.statusCode !== 200) {
            res.resume();
            reject(new DownloadHTTPError('Failed to download', res.statusCode ?? 0));
            return;
          }
          resolve(res);
        });
        req.on('timeout', () => req.destroy(new Error(`${url}: no answer within 30 s`)));
        req.on('error', reject);
      });
    }
  }

  const metadataDir = join(input.clientDir, 'metadata');
  const targetDir = join(input.clientDir, 'targets');
  await mkdir(metadataDir, { recursive: true });
  await mkdir(targetDir, { recursive: true });
  await writeFile(join(metadataDir, 'root.json'), input.trustedRoot);
  const fromVersion = rootVersionOf(input.trustedRoot);

  const server = await serveDirectory(input.repository, ['metadata', 'targets']);
  const result = (ok: boolean, problem: string | null, downloaded: number | null, rootVersion: number | null): ClientCheckResult => ({
    ok,
    fromVersion,
    rootVersion,
    problem,
    downloaded,
    base: server.base,
    requests: [...server.requests],
  });
  let rootVersion: number | null = fromVersion;
  try {
    const updater = new Updater({
      metadataDir,
      metadataBaseUrl: `${server.base}/metadata`,
      targetDir,
      targetBaseUrl: `${server.base}/targets`,
      fetcher: new LoopbackFetcher(),
    });
    try {
      await updater.refresh();
    } finally {
      rootVersion = rootVersionOf(await readFile(join(metadataDir, 'root.json')));
    }
    const info = await updater.getTargetInfo(input.targetPath);
    if (info === undefined) return result(false, `the client found no target ${input.targetPath} in the repository`, null, rootVersion);
    const file = await updater.downloadTarget(info, join(targetDir, 'download'));
    const got = await readFile(file);
    if (!got.equals(Buffer.from(input.expected))) {
      return result(false, `the client downloaded ${input.targetPath} but its ${String(got.length)} bytes differ from the ${String(input.expected.length)} published`, got.length, rootVersion);
    }
    return result(true, null, got.length, rootVersion);
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    return result(false, `tuf-js refused: ${err.constructor.name}: ${err.message}`, null, rootVersion);
  } finally {
    await server.close();
  }
}
