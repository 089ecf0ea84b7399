// SPDX-License-Identifier: Apache-2.0
/**
 * `sha256sum` files (GNU coreutils text format): one `HEX  NAME` line per
 * file, as written by `sha256sum` and checked by `sha256sum -c`. The release
 * writes `SHA256SUMS` and the package manifest in this format; `self-check
 * --sums` reads it.
 */
import { InputError } from '../errors.js';

/** One line: the lowercase hex SHA-256 and the name as written. */
export interface SumEntry {
  readonly sha256: string;
  readonly name: string;
}

/**
 * Formats entries as `sha256sum` does in text mode (`HEX  NAME\n`), sorted
 * by name (code-unit order, which is byte order for ASCII names).
 * @throws RangeError for a name sha256sum would escape (backslash, newline)
 *   or a hash that is not 64 lowercase hex digits
 */
export function formatSums(entries: readonly SumEntry[]): string {
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let out = '';
  for (const e of sorted) {
    if (!/^[0-9a-f]{64}$/.test(e.sha256)) throw new RangeError(`not a SHA-256: ${JSON.stringify(e.sha256)}`);
    if (e.name === '' || /[\\\n\r]/.test(e.name)) throw new RangeError(`name not representable in a sums file: ${JSON.stringify(e.name)}`);
    out += `${e.sha256}  ${e.name}\n`;
  }
  return out;
}

const LINE = /^([0-9a-fA-F]{64}) [ *](.+)$/;

/**
 * Reads a `sha256sum` file strictly: every line `HEX  NAME` (text mode) or
 * `HEX *NAME` (binary mode), hex in either case, LF or CRLF line ends, at
 * least one line. Escaped names (lines starting with `\`), BSD-style
 * `SHA256 (NAME) = HEX` lines and blank lines are refused, and so is a name
 * listed twice with different hashes.
 * @param file the file name, for messages
 * @returns a map from name (a leading `./` removed) to lowercase hex
 * @throws InputError (exit 2) naming the file and the line
 */
export function parseSums(text: string, file: string): ReadonlyMap<string, string> {
  const sums = new Map<string, string>();
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw new InputError(`${file}: no checksum lines`, { file, hint: 'give the SHA256SUMS file of the release' });
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const m = LINE.exec(line);
    if (m === null) {
      throw new InputError(`${file}: line ${String(i + 1)} is not a sha256sum line (expected 64 hex digits, two spaces, a file name)`, {
        file,
        hint: 'give the SHA256SUMS file of the release, as written by the release build or `sha256sum`',
      });
    }
    const sha256 = (m[1] ?? '').toLowerCase();
    const name = (m[2] ?? '').replace(/^\.\//, '');
    const known = sums.get(name);
    if (known !== undefined && known !== sha256) {
      throw new InputError(`${file}: line ${String(i + 1)} lists ${name} again with another hash`, { file });
    }
    sums.set(name, sha256);
  });
  return sums;
}
