// SPDX-License-Identifier: Apache-2.0
/**
 * `expires` date-times. The spec form is exactly `YYYY-MM-DDTHH:MM:SSZ`;
 * python-tuf rejects anything else. Older repositories wrote fractional
 * seconds and UTC offsets, which go-tuf and tuf-js read, so those are read
 * here too (and reported as legacy) but never written.
 */

const STRICT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

export interface ParsedTime {
  /** Milliseconds since the epoch. */
  readonly ms: number;
  /** Set when the text is not in the spec's strict form. */
  readonly legacy?: string;
}

function daysInMonth(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/**
 * Parses an `expires` value. Returns undefined when it is not an RFC 3339
 * date-time with valid fields.
 */
export function parseExpires(text: string): ParsedTime | undefined {
  const m = RFC3339.exec(text);
  if (m === null) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) {
    return undefined;
  }
  // RFC 3339 time-numoffset: hour 00-23, minute 00-59.
  if (m[9] !== undefined && (Number(m[10]) > 23 || Number(m[11]) > 59)) return undefined;
  let ms = Date.UTC(y, mo - 1, d, h, mi, s);
  if (y < 100) ms = new Date(ms).setUTCFullYear(y);
  const frac = m[7];
  if (frac !== undefined) ms += Math.floor(Number('0' + frac) * 1000);
  if (m[9] !== undefined) {
    const offset = (Number(m[10]) * 60 + Number(m[11])) * 60_000;
    ms += m[9] === '+' ? -offset : offset;
  }
  if (STRICT.test(text)) return { ms };
  const what: string[] = [];
  if (frac !== undefined) what.push('fractional seconds');
  if (m[9] !== undefined) what.push('a UTC offset');
  if (/[tz]/.test(text)) what.push('lowercase t/z');
  return { ms, legacy: `expires "${text}" with ${what.join(' and ')} (python-tuf rejects it)` };
}

/** Formats a time as the spec's `YYYY-MM-DDTHH:MM:SSZ`, dropping milliseconds. */
export function formatExpires(ms: number): string {
  const seconds = Math.floor(ms / 1000) * 1000;
  return new Date(seconds).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The days from `fromMs` to `toMs`, rounded to the nearest whole day: an
 * expiry written `+365d` a few minutes ago (and truncated to whole seconds)
 * is "365 days" away, not 364. Pure.
 */
export function roundDays(fromMs: number, toMs: number): number {
  return Math.round((toMs - fromMs) / 86_400_000);
}

/** True when `text` is already in the strict form this tool writes. */
export function isStrictExpires(text: string): boolean {
  return STRICT.test(text) && parseExpires(text) !== undefined;
}
