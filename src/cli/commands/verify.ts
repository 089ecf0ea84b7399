// SPDX-License-Identifier: Apache-2.0
/** `tuf-ceremony verify [DIR] [--trusted-root FILE] [--at TIME] [--json]` */
import { join, resolve } from 'node:path';
import { VerificationError } from '../../errors.js';
import { hasRootMetadata, metadataDirSource, readBoundedFile } from '../../store/metadata-dir.js';
import { COLOR, PLAIN, renderVerifyReport } from '../../ui/render.js';
import { verifyRepository, type MetadataSource } from '../../verify/repository.js';
import { progressBar } from '../../ui/progress.js';
import { MAX_ROOT_BYTES } from '../../metadata/parse.js';
import type { GlobalOptions, Io } from '../io.js';
import { parseTimeOption } from '../options.js';

export interface VerifyCommandOptions {
  readonly trustedRoot?: string;
  readonly at?: string;
}

/** Runs `work` over `source`, showing on stderr how many files it has read so far (a long verify). */
function withProgress<T>(io: Io, source: MetadataSource, work: (s: MetadataSource) => T): T {
  const bar = progressBar({ label: 'verifying', unit: 'files', write: io.stderr, isTTY: io.stderrIsTTY === true, clock: io.monotonic ?? (() => performance.now()) });
  const seen = new Set<string>();
  const counted: MetadataSource = {
    names: source.names,
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

export function runVerify(dirArg: string | undefined, opts: VerifyCommandOptions, global: GlobalOptions, io: Io): number {
  let dir = resolve(io.cwd, dirArg ?? '.');
  // A workspace keeps its published metadata in metadata/.
  if (!hasRootMetadata(dir) && hasRootMetadata(join(dir, 'metadata'))) dir = join(dir, 'metadata');
  const atMs = opts.at === undefined ? io.now() : parseTimeOption(opts.at, '--at');
  const trustedRoot =
    opts.trustedRoot === undefined
      ? undefined
      : { file: opts.trustedRoot, bytes: readBoundedFile(resolve(io.cwd, opts.trustedRoot), MAX_ROOT_BYTES) };
  const report = withProgress(io, metadataDirSource(dir), (source) => verifyRepository(source, { atMs, ...(trustedRoot ? { trustedRoot } : {}) }));
  if (global.json) {
    io.stdout(JSON.stringify({ directory: dir, ...report }, null, 2) + '\n');
  } else {
    const style = global.color ? COLOR : PLAIN;
    io.stdout(renderVerifyReport(report, dir, style).join('\n') + '\n');
  }
  if (!report.ok) {
    const more = report.failures.length - 1;
    throw new VerificationError(
      `verification failed: ${report.failures[0] ?? 'see above'}` + (more > 0 ? ` (and ${String(more)} more, listed above)` : '')
    );
  }
  return 0;
}
