// SPDX-License-Identifier: Apache-2.0
/** The one hex SHA-256 of the code base (files, artifacts, signed bytes, lines). Pure. */
import { createHash } from 'node:crypto';

/** Lowercase hex SHA-256 of bytes (a string is hashed as its UTF-8 bytes). */
export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}
