// SPDX-License-Identifier: Apache-2.0
/** `tuf-ceremony self-check [--sums FILE] [--json]`: which code is running, and is it the released code. */
import { resolve } from 'node:path';
import { VerificationError } from '../../errors.js';
import { readBoundedFile } from '../../store/metadata-dir.js';
import { computeSelfHash, type SelfHash } from '../../store/self-hash.js';
import { parseSums } from '../../store/sums.js';
import type { GlobalOptions, Io } from '../io.js';

export interface SelfCheckOptions {
  /** A release's SHA256SUMS to compare with. */
  readonly sums?: string;
}

/** The comparison with a sums file. */
interface SumsComparison {
  readonly file: string;
  /** The line compared with: `tuf-ceremony.mjs` or `package-files.sha256`. */
  readonly name: string;
  /** The hash the file lists, or null when it has no such line. */
  readonly expected: string | null;
  readonly match: boolean;
}

function describe(self: SelfHash): string {
  return self.kind === 'single-file'
    ? `single file ${self.path}`
    : `package ${self.path} (${String(self.files?.length ?? 0)} files: package.json, bin/, build/src/; listed as in ${self.sumsName})`;
}

/**
 * Prints the version and the SHA-256 of the running code (docs/release.md
 * says exactly what is hashed) and, with `--sums`, compares it with the
 * line of that file for `tuf-ceremony.mjs` (single file) or
 * `package-files.sha256` (package).
 * @returns 0 when the hash matches, or when there is nothing to compare with
 * @throws VerificationError (exit 1) after printing, naming both hashes, when
 *   they differ or the sums file has no line for the running code
 * @throws InputError (exit 2) for a missing or malformed sums file
 * @throws IoError (exit 3) when the running code cannot be read
 */
export async function runSelfCheck(opts: SelfCheckOptions, global: GlobalOptions, io: Io): Promise<number> {
  let comparison: SumsComparison | undefined;
  let sums: ReadonlyMap<string, string> | undefined;
  if (opts.sums !== undefined) {
    const file = resolve(io.cwd, opts.sums);
    sums = parseSums(Buffer.from(readBoundedFile(file, 1024 * 1024)).toString('utf8'), opts.sums);
  }
  const self = await computeSelfHash();
  if (sums !== undefined && opts.sums !== undefined) {
    const expected = sums.get(self.sumsName) ?? null;
    comparison = { file: opts.sums, name: self.sumsName, expected, match: expected === self.sha256 };
  }

  if (global.json) {
    const doc = { ok: comparison?.match ?? true, ...self, files: self.files ?? null, sums: comparison ?? null };
    io.stdout(JSON.stringify(doc, null, 2) + '\n');
  } else {
    io.stdout(`tuf-ceremony ${self.version}\n`);
    io.stdout(`running: ${describe(self)}\n`);
    io.stdout(`sha256: ${self.sha256}\n`);
    if (comparison?.match === true) io.stdout(`ok    ${comparison.file}: ${comparison.name} matches\n`);
  }
  if (comparison === undefined || comparison.match) return 0;
  throw new VerificationError(
    comparison.expected === null
      ? `${comparison.file} has no line for ${comparison.name}; the running code is ${self.sha256}`
      : `${comparison.file} lists ${comparison.name} as ${comparison.expected}, but the running code is ${self.sha256}`,
    {
      file: comparison.file,
      hint: 'this is not the released code: get the release from its source again and compare SHA256SUMS with the copy the witnesses hold',
    }
  );
}
