// SPDX-License-Identifier: Apache-2.0
/** `tuf-ceremony verify [DIR] [--trusted-root FILE] [--at TIME] [--max-file-size SIZE] [--json]` */
import { join, resolve } from 'node:path';
import { VerificationError } from '../../errors.js';
import { hasRootMetadata, metadataDirSource, readBoundedFile } from '../../store/metadata-dir.js';
import { COLOR, PLAIN, renderVerifyReport } from '../../ui/render.js';
import { verifyRepository } from '../../verify/repository.js';
import { MAX_ROOT_BYTES } from '../../metadata/parse.js';
import type { GlobalOptions, Io } from '../io.js';
import { parseSizeOption, parseTimeOption } from '../options.js';
import { MAX_JSON_BYTES } from '../../metadata/json.js';

export interface VerifyCommandOptions {
  readonly trustedRoot?: string;
  readonly at?: string;
  readonly maxFileSize?: string;
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
  const maxBytes = opts.maxFileSize === undefined ? MAX_JSON_BYTES : parseSizeOption(opts.maxFileSize, '--max-file-size', MAX_JSON_BYTES);
  const report = verifyRepository(metadataDirSource(dir, maxBytes), { atMs, ...(trustedRoot ? { trustedRoot } : {}) });
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
