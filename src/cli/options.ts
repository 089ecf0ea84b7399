// SPDX-License-Identifier: Apache-2.0
/** Parsers for option values, shared by commands. */
import { UsageError } from '../errors.js';
import { parseExpires } from '../metadata/expires.js';

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
