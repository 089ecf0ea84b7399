// SPDX-License-Identifier: Apache-2.0
/** Parsers for option values, shared by commands. */
import { UsageError } from '../errors.js';
import { parseExpires } from '../metadata/expires.js';

const SIZE_UNITS: Readonly<Record<string, number>> = { '': 1, k: 1024, kib: 1024, m: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gib: 1024 ** 3 };

/**
 * Parses a size in bytes: `400000000`, `512MiB`, `1G` (K/KiB, M/MiB, G/GiB
 * are powers of 1024), at least 1 and at most `max`.
 */
export function parseSizeOption(text: string, option: string, max: number): number {
  const m = /^([1-9]\d{0,15})\s*([a-z]*)$/i.exec(text.trim());
  const unit = m === null ? undefined : SIZE_UNITS[(m[2] as string).toLowerCase()];
  if (m === null || unit === undefined) {
    throw new UsageError(`${option}: "${text}" is not a size such as 400000000, 512MiB or 1G`);
  }
  const bytes = Number(m[1]) * unit;
  if (bytes > max) {
    throw new UsageError(`${option}: ${text} is more than ${String(max)} bytes, the longest text Node.js can hold (JSON is read as one string)`);
  }
  return bytes;
}

/**
 * Parses a reference time: an RFC 3339 date-time (`2026-08-22T00:00:00Z`)
 * or a date (`2026-08-22`, meaning midnight UTC).
 */
export function parseTimeOption(text: string, option: string): number {
  const t = parseExpires(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  if (t === undefined) {
    throw new UsageError(`${option}: "${text}" is not a date-time such as 2026-08-22T00:00:00Z or a date such as 2026-08-22`);
  }
  return t.ms;
}
