// SPDX-License-Identifier: Apache-2.0
/**
 * Where a draft stands: for each threshold a client will apply, who signed,
 * how many more are needed and from whom. A root draft has two (the trusted
 * root's root keys, and the draft's own root keys, spec §5.3.4–5.3.5); any
 * other role has the trusted root's keys for that role.
 *
 * Pure: objects in, results and lines out.
 */
import { canonicalBytes } from '../metadata/canonical.js';
import type { Root, Signature, Signed } from '../metadata/model.js';
import { verifyWithRoot, type ThresholdResult } from '../metadata/verify.js';
import { sha256Hex } from './request.js';

export interface ThresholdStatus {
  /** `old root`, `new root`, or `targets` (the trusted root's targets keys). */
  readonly label: string;
  /** The root version whose keys this threshold is about. */
  readonly rootVersion: number;
  readonly threshold: number;
  /** Names (or short key IDs) of the keys with a valid signature. */
  readonly signedBy: readonly string[];
  /** Names (or short key IDs) of listed keys that have not signed validly. */
  readonly canStillSign: readonly string[];
  /** How many more distinct keys must sign; 0 when met. */
  readonly more: number;
  readonly met: boolean;
  /** The raw result, for --json consumers. */
  readonly result: ThresholdResult;
}

export interface DraftStatus {
  readonly role: string;
  readonly version: number;
  readonly expires: string;
  readonly signedSha256: string;
  readonly thresholds: readonly ThresholdStatus[];
  /** Every threshold met. */
  readonly complete: boolean;
}

function status(label: string, rootVersion: number, r: ThresholdResult, name: (keyid: string) => string, revoked: ReadonlySet<string>): ThresholdStatus {
  const signed = new Set(r.valid);
  return {
    label,
    rootVersion,
    threshold: r.threshold,
    signedBy: r.valid.map(name),
    canStillSign: r.keyids.filter((k) => !signed.has(k) && !revoked.has(k) && !r.unsupported.some((u) => u.keyid === k)).map(name),
    more: Math.max(0, r.threshold - r.counted),
    met: r.met,
    result: r,
  };
}

/**
 * The thresholds a draft must meet and where each stands.
 * @param draft the draft envelope (signatures collected so far)
 * @param trustedRoot the latest published root; null when nothing is published
 * @param names keyholder names by key ID (a short key ID is shown otherwise)
 * @param revoked key IDs declared compromised: never counted, never listed as able to sign
 */
export function draftStatus(
  draft: { readonly signed: Signed; readonly signatures: readonly Signature[]; readonly signedBytes?: Uint8Array },
  trustedRoot: Root | null,
  names: (keyid: string) => string | undefined,
  revoked: ReadonlySet<string> = new Set()
): DraftStatus {
  const signedBytes = draft.signedBytes ?? canonicalBytes(draft.signed);
  // A compromised key's signature is never counted, wherever it came from.
  const payload = { signatures: draft.signatures.filter((x) => !revoked.has(x.keyid)), signedBytes };
  const name = (k: string): string => names(k) ?? k.slice(0, 8);
  const s = draft.signed;
  const thresholds: ThresholdStatus[] = [];
  if (s._type === 'root') {
    if (trustedRoot !== null) thresholds.push(status('old root', trustedRoot.version, verifyWithRoot(trustedRoot, 'root', payload), name, revoked));
    thresholds.push(status('new root', s.version, verifyWithRoot(s, 'root', payload), name, revoked));
  } else if (trustedRoot !== null) {
    thresholds.push(status(s._type, trustedRoot.version, verifyWithRoot(trustedRoot, s._type, payload), name, revoked));
  }
  return {
    role: s._type,
    version: s.version,
    expires: s.expires,
    signedSha256: sha256Hex(signedBytes),
    thresholds,
    complete: thresholds.length > 0 && thresholds.every((t) => t.met),
  };
}

function orList(names: readonly string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} or ${names.at(-1) ?? ''}`;
}

/**
 * One line per threshold, e.g.
 * `old root: 2 of 3 needed, signed by alice, bob — met` and
 * `new root: 2 of 3 needed, signed by alice — 1 more from carol or dave`.
 */
export function thresholdLine(t: ThresholdStatus): string {
  const who = t.signedBy.length === 0 ? 'no signatures yet' : `signed by ${t.signedBy.join(', ')}`;
  const head = `${t.label}: ${String(t.threshold)} of ${String(t.result.keyids.length)} needed, ${who}`;
  if (t.met) return `${head} — met`;
  if (t.canStillSign.length < t.more) {
    return `${head} — ${String(t.more)} more needed but only ${String(t.canStillSign.length)} listed key${t.canStillSign.length === 1 ? '' : 's'} left (${t.canStillSign.join(', ') || 'none'}): cannot be met`;
  }
  return `${head} — ${String(t.more)} more from ${orList(t.canStillSign)}`;
}

/** Who can still sign for every unmet threshold, without repeats (for error messages). */
export function stillNeeded(st: DraftStatus): string {
  return st.thresholds
    .filter((t) => !t.met)
    .map((t) => `${t.label} needs ${String(t.more)} more from ${orList(t.canStillSign) || 'nobody (cannot be met)'}`)
    .join('; ');
}
