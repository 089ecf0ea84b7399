// SPDX-License-Identifier: Apache-2.0
/**
 * Targets drafts: building the next version of `targets` and checking it
 * before it is requested or published.
 *
 * Pure: objects in, objects out; times are passed in.
 */
import { formatExpires, isStrictExpires, parseExpires } from '../metadata/expires.js';
import { own, type Root, type Targets } from '../metadata/model.js';

const DAY_MS = 86_400_000;

export interface TargetsDraftCheck {
  /** Problems that make the draft unpublishable. */
  readonly errors: string[];
  /** Risks the coordinator should see. */
  readonly warnings: string[];
}

/**
 * Checks a targets draft: version is the published version + 1 (1 when
 * none); `expires` strict and in the future (warning within 30 days); the
 * trusted root has a targets role with keys; every delegation's threshold
 * reachable with key IDs present in `delegations.keys`. Never throws.
 */
export function checkTargetsDraft(draft: Targets, published: Targets | null, trustedRoot: Root | null, nowMs: number): TargetsDraftCheck {
  const errors: string[] = [];
  const warnings: string[] = [];
  const expected = published === null ? 1 : published.version + 1;
  if (draft.version !== expected) {
    errors.push(`version: ${String(draft.version)} must be ${String(expected)} (${published === null ? 'nothing is published' : `the published targets is version ${String(published.version)}`})`);
  }
  if (!isStrictExpires(draft.expires)) {
    errors.push(`expires: "${draft.expires}" is not of the form 2030-01-01T00:00:00Z`);
  } else {
    const ms = parseExpires(draft.expires)?.ms ?? 0;
    if (ms <= nowMs) errors.push(`expires: ${draft.expires} has already passed (now is ${formatExpires(nowMs)})`);
    else if (ms - nowMs < 30 * DAY_MS) warnings.push(`expires: ${draft.expires} is less than 30 days away`);
  }
  if (trustedRoot === null) {
    errors.push('root: no root is published yet; publish root version 1 first (it names the targets keys)');
  } else {
    const role = own(trustedRoot.roles, 'targets');
    if (role === undefined || role.keyids.length === 0) errors.push(`root: the published root (version ${String(trustedRoot.version)}) lists no targets keys`);
  }
  const d = draft.delegations;
  if (d !== undefined) {
    const roles = [...(d.roles ?? []).map((r) => ({ name: `delegations.roles.${r.name}`, r })), ...(d.succinct_roles === undefined ? [] : [{ name: 'delegations.succinct_roles', r: d.succinct_roles }])];
    for (const { name, r } of roles) {
      for (const k of r.keyids) if (own(d.keys, k) === undefined) errors.push(`${name}: key ${k} is not in delegations.keys`);
      if (r.threshold > new Set(r.keyids).size) errors.push(`${name}.threshold: ${String(r.threshold)} is more than the ${String(new Set(r.keyids).size)} keys listed, so it can never be met`);
    }
  }
  return { errors, warnings };
}
