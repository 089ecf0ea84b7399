// SPDX-License-Identifier: Apache-2.0
/** `tuf-ceremony verify [DIR] [--trusted-root FILE] [--at TIME] [--require CLIENTS] [--max-file-size SIZE] [--workspace DIR] [--json]` */
import { join, resolve } from 'node:path';
import { UsageError, VerificationError } from '../../errors.js';
import { hasRootMetadata, metadataDirSource, readBoundedFile } from '../../store/metadata-dir.js';
import { COLOR, PLAIN, renderVerifyReport } from '../../ui/render.js';
import { CLIENT_FAMILIES, parseClientList, type ClientFamily, type ClientVerdicts } from '../../verify/clients.js';
import { verifyRepository, type MetadataSource } from '../../verify/repository.js';
import { progressBar } from '../../ui/progress.js';
import { MAX_ROOT_BYTES } from '../../metadata/parse.js';
import type { GlobalOptions, Io } from '../io.js';
import { parseSizeOption, parseTimeOption } from '../options.js';
import { MAX_JSON_BYTES } from '../../metadata/json.js';

export interface VerifyCommandOptions {
  readonly trustedRoot?: string;
  readonly at?: string;
  /** Every signature judged by OpenSSL and by @noble, which must agree. */
  readonly paranoid?: boolean;
  readonly allowExtraTimestampMeta?: boolean;
  /** `python-tuf,go-tuf,tuf-js` or a subset: exit 1 when a named client would reject. */
  readonly require?: string;
  readonly maxFileSize?: string;
  /** A workspace: verify its metadata/, not counting keys its incident record revokes. */
  readonly workspace?: string;
}

/** One line per client family: accepts, or rejects with its first reason. */
export function clientVerdictLines(clients: ClientVerdicts): string[] {
  return CLIENT_FAMILIES.map((c) => {
    const v = clients[c];
    if (v.accepts) return `client ${c}: accepts`;
    const first = v.reasons[0];
    const more = v.reasons.length - 1;
    return `client ${c}: would reject: ${first === undefined ? '' : `${first.file}: ${first.message} [${first.rule}]`}${more > 0 ? ` (and ${String(more)} more)` : ''}`;
  });
}

function requiredClients(text: string | undefined): readonly ClientFamily[] {
  if (text === undefined) return [];
  const r = parseClientList(text);
  if ('unknown' in r) {
    throw new UsageError(`--require: "${r.unknown}" is not a client family (use any of ${CLIENT_FAMILIES.join(', ')}, comma-separated)`, { field: '--require' });
  }
  return r.ok;
}

/** Runs `work` over `source`, showing on stderr how many files it has read so far (a long verify). */
function withProgress<T>(io: Io, source: MetadataSource, work: (s: MetadataSource) => T): T {
  const bar = progressBar({ label: 'verifying', unit: 'files', write: io.stderr, isTTY: io.stderrIsTTY === true, clock: io.monotonic ?? (() => performance.now()) });
  const seen = new Set<string>();
  const counted: MetadataSource = {
    names: source.names,
    fresh: source.fresh === true,
    read: (name) => {
      seen.add(name);
      bar.update(seen.size, Math.max(seen.size, source.names.length));
      return source.read(name);
    },
  };
  try {
    return work(counted);
  } finally {
    bar.finish();
  }
}

export async function runVerify(dirArg: string | undefined, opts: VerifyCommandOptions, global: GlobalOptions, io: Io): Promise<number> {
  if (opts.workspace !== undefined && dirArg !== undefined) {
    throw new UsageError('give either DIR or --workspace DIR, not both', { field: '--workspace' });
  }
  let dir = resolve(io.cwd, opts.workspace ?? dirArg ?? '.');
  let workspace: string | undefined;
  // A workspace keeps its published metadata in metadata/.
  if (opts.workspace !== undefined || (!hasRootMetadata(dir) && hasRootMetadata(join(dir, 'metadata')))) {
    workspace = dir;
    dir = join(dir, 'metadata');
  }
  // Keys the workspace's incident record declares compromised never count.
  // Loaded only for a workspace: the recover command and all it needs are
  // most of what verify would otherwise load (start-up time).
  const revokedKeyids = workspace === undefined ? [] : ((await import('./recover.js')).readIncidentIn(workspace)?.revoked_keyids ?? []);
  const atMs = opts.at === undefined ? io.now() : parseTimeOption(opts.at, '--at');
  const required = requiredClients(opts.require);
  const trustedRoot =
    opts.trustedRoot === undefined
      ? undefined
      : { file: opts.trustedRoot, bytes: readBoundedFile(resolve(io.cwd, opts.trustedRoot), MAX_ROOT_BYTES) };
  const maxBytes = opts.maxFileSize === undefined ? MAX_JSON_BYTES : parseSizeOption(opts.maxFileSize, '--max-file-size', MAX_JSON_BYTES);
  // The second verifier (and @noble/curves) is loaded only when asked for.
  const signatureCheck = opts.paranoid === true ? (await import('../../metadata/second-verifier.js')).agreedCheck : undefined;
  const report = withProgress(io, metadataDirSource(dir, maxBytes), (source) =>
    verifyRepository(source, {
      atMs,
      allowExtraTimestampMeta: opts.allowExtraTimestampMeta === true,
      ...(signatureCheck ? { signatureCheck } : {}),
      revokedKeyids,
      ...(trustedRoot ? { trustedRoot } : {}),
    })
  );
  if (global.json) {
    io.stdout(JSON.stringify({ directory: dir, paranoid: opts.paranoid === true, revoked_keyids: revokedKeyids, ...report }, null, 2) + '\n');
  } else {
    const style = global.color ? COLOR : PLAIN;
    io.stdout([...renderVerifyReport(report, dir, style), ...clientVerdictLines(report.clients)].join('\n') + '\n');
    if (opts.paranoid === true) io.stdout('paranoid: every signature was judged by OpenSSL (node:crypto) and by @noble, and they agreed (RSA: OpenSSL only)\n');
  }
  if (!report.ok) {
    const more = report.failures.length - 1;
    throw new VerificationError(
      `verification failed: ${report.failures[0] ?? 'see above'}` + (more > 0 ? ` (and ${String(more)} more, listed above)` : '')
    );
  }
  const rejecting = required.filter((c) => !report.clients[c].accepts);
  if (rejecting.length > 0) {
    const c = rejecting[0] as ClientFamily;
    const why = report.clients[c].reasons[0];
    throw new VerificationError(
      `the specification's checks pass, but ${rejecting.join(' and ')} would reject this repository: ${c}: ${why === undefined ? '' : `${why.file}: ${why.message}`}`,
      { hint: 'see docs/client-verdicts.md for the rule and which client applies it' }
    );
  }
  return 0;
}
