// SPDX-License-Identifier: Apache-2.0
/**
 * Reading what the commands of a guided run print (`--json` documents, the
 * `error[CODE]: …` line), made safe for an audit entry. Pure.
 */
import { printable } from '../audit/render.js';
import type { JsonObject, JsonValue } from '../metadata/json.js';

/** The message of the last `error[CODE]: …` line a command printed, one line, printable. */
export function errorReason(stderr: string, code: number): string {
  const lines = [...stderr.matchAll(/^error\[[A-Z_]+\]: (.*)$/gm)];
  const m = lines[lines.length - 1]?.[1];
  return oneLineText(printable(m ?? `exit ${String(code)}`)).slice(0, 300);
}

export function parseJsonOutput(text: string): JsonObject | null {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as JsonObject) : null;
  } catch {
    return null;
  }
}

export function at(o: JsonObject | null, path: string): JsonValue | undefined {
  let v: JsonValue | undefined = o ?? undefined;
  for (const k of path.split('.')) {
    if (Array.isArray(v) && /^(0|[1-9][0-9]{0,5})$/.test(k)) v = (v as readonly JsonValue[])[Number(k)];
    else if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.hasOwn(v, k)) v = (v as JsonObject)[k];
    else return undefined;
  }
  return v;
}

/** A value from outside (a device, a command's output) made safe for an audit entry: printable, integers only. */
export function safe(v: JsonValue | undefined): JsonValue {
  if (v === undefined) return null;
  if (typeof v === 'string') return printable(v);
  if (typeof v === 'number') return Number.isSafeInteger(v) ? v : String(v);
  if (Array.isArray(v)) return v.map(safe);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [printable(k), safe(x)]));
  return v;
}

/** A value from a command's output as text. */
export function str(v: JsonValue | undefined): string {
  return typeof v === 'string' ? v : JSON.stringify(v ?? null);
}

export function oneLineText(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** One threshold of a draft as `status --json` reports it. */
export interface DraftThreshold {
  readonly label: string;
  readonly rootVersion: number;
  readonly threshold: number;
  readonly keys: number;
  readonly signedBy: readonly string[];
  readonly more: number;
  readonly met: boolean;
}

/** The thresholds of the draft of `role` in a `status --json` document; null when it has no such draft. */
export function thresholdsInStatus(status: JsonObject | null, role: string): DraftThreshold[] | null {
  const drafts = at(status, 'drafts');
  if (!Array.isArray(drafts)) return null;
  const d = (drafts as readonly JsonValue[]).find((x) => at(x as JsonObject, 'role') === role) as JsonObject | undefined;
  const list = at(d ?? null, 'thresholds');
  if (!Array.isArray(list)) return null;
  const int = (v: JsonValue | undefined): number => (typeof v === 'number' && Number.isSafeInteger(v) ? v : 0);
  return (list as readonly JsonValue[]).map((x) => {
    const t = x as JsonObject;
    const by = at(t, 'signedBy');
    return {
      label: printable(str(at(t, 'label'))),
      rootVersion: int(at(t, 'rootVersion')),
      threshold: int(at(t, 'threshold')),
      keys: int(at(t, 'keys')),
      signedBy: Array.isArray(by) ? (by as readonly JsonValue[]).map((n) => printable(str(n))) : [],
      more: int(at(t, 'more')),
      met: at(t, 'met') === true,
    };
  });
}

/** `old root (version 1): 2 of 3 needed, signed by alice — 1 more needed`. */
export function thresholdText(t: DraftThreshold): string {
  const who = t.signedBy.length === 0 ? 'no signatures yet' : `signed by ${t.signedBy.join(', ')}`;
  return `${t.label} (version ${String(t.rootVersion)}): ${String(t.threshold)} of ${String(t.keys)} needed, ${who} — ${t.met ? 'met' : `${String(t.more)} more needed`}`;
}
