// SPDX-License-Identifier: Apache-2.0
/**
 * tuf-js's client rules applied to metadata files on disk: its
 * `TrustedMetadataStore` (the class its Updater keeps trusted metadata in) is
 * fed the files in the client's order with its reference time set, exactly as
 * `python-tuf-judge.py` feeds python-tuf's TrustedMetadataSet (see there for
 * the order and the file names).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Metadata, Targets } from '@tufjs/models';
import { TrustedMetadataStore } from 'tuf-js/dist/store.js';
import type { JudgeCase, JudgeStep, JudgeVerdict } from './python-tuf.js';

const ROOT_FILE = /^(?:root_history\/)?([0-9]+)\.root\.json$/;

function numberedRoots(dir: string): Map<number, string> {
  const found = new Map<number, string>();
  for (const sub of ['', 'root_history']) {
    const base = join(dir, sub);
    if (!existsSync(base) || !statSync(base).isDirectory()) continue;
    for (const name of readdirSync(base).sort()) {
      const rel = sub === '' ? name : `${sub}/${name}`;
      const m = ROOT_FILE.exec(rel);
      if (m !== null && !found.has(Number(m[1]))) found.set(Number(m[1]), rel);
    }
  }
  return found;
}

/** The file a client fetches for `role` at `version`: V.ROLE.json or ROLE.json. */
function roleFile(dir: string, role: string, version: number | undefined, consistent: boolean): string | undefined {
  const names: string[] = [];
  for (const n of [role, encodeURIComponent(role)]) {
    if (consistent && version !== undefined) names.push(`${String(version)}.${n}.json`);
    names.push(`${n}.json`);
  }
  return names.find((n) => existsSync(join(dir, n)));
}

function describe(e: unknown): string {
  return (e instanceof Error ? `${e.name}: ${e.message}` : String(e)).slice(0, 400);
}

/** tuf-js's verdict on one repository directory. */
export function tufjsJudge(c: JudgeCase): JudgeVerdict {
  const { dir } = c;
  const at = new Date(c.at);
  const steps: JudgeStep[] = [];
  const read = (rel: string): Buffer => readFileSync(join(dir, rel));
  const step = (role: string, file: string, fn: () => unknown): boolean => {
    try {
      fn();
    } catch (e) {
      steps.push({ role, file, ok: false, error: describe(e) });
      return false;
    }
    steps.push({ role, file, ok: true });
    return true;
  };
  const done = (ok: boolean): JudgeVerdict => ({ ok: ok && steps.every((s) => s.ok), steps });

  const roots = numberedRoots(dir);
  const trusted = c.trustedRoot ?? roots.get(Math.min(...roots.keys())) ?? 'root.json';
  let store: TrustedMetadataStore | undefined;
  const loaded = step('root', trusted, () => {
    store = new TrustedMetadataStore(read(trusted));
    // The reference time is a private field of the store: the Updater only ever uses the clock.
    (store as unknown as { referenceTime: Date }).referenceTime = at;
  });
  if (!loaded || store === undefined) return done(false);
  const tms = store;
  let version = tms.root.signed.version;
  for (let next = roots.get(version + 1); next !== undefined; next = roots.get(version + 1)) {
    const rel = next;
    if (!step('root', rel, () => tms.updateRoot(read(rel)))) return done(false);
    version++;
  }

  if (!existsSync(join(dir, 'timestamp.json'))) {
    return done(
      step('root', roots.get(version) ?? trusted, () => {
        if (tms.root.signed.isExpired(at)) throw new Error('final root is expired');
      })
    );
  }
  if (!step('timestamp', 'timestamp.json', () => tms.updateTimestamp(read('timestamp.json')))) return done(false);
  const consistent = tms.root.signed.consistentSnapshot;
  const snap = roleFile(dir, 'snapshot', tms.timestamp?.signed.snapshotMeta.version, consistent);
  if (snap === undefined) return done(true);
  if (!step('snapshot', snap, () => tms.updateSnapshot(read(snap)))) return done(false);
  const snapshotMeta = tms.snapshot?.signed.meta ?? {};
  const tgt = roleFile(dir, 'targets', snapshotMeta['targets.json']?.version, consistent);
  if (tgt === undefined) return done(true);
  if (!step('targets', tgt, () => tms.updateDelegatedTargets(read(tgt), 'targets', 'root'))) return done(false);

  const queue = ['targets'];
  const seen = new Set(['root', 'timestamp', 'snapshot', 'targets']);
  for (let delegator = queue.shift(); delegator !== undefined; delegator = queue.shift()) {
    const role: Metadata<Targets> | undefined = tms.getRole(delegator);
    const delegations = role?.signed.delegations;
    if (delegations === undefined) continue;
    const names = delegations.roles !== undefined ? Object.keys(delegations.roles) : [...(delegations.succinctRoles?.getRoles() ?? [])];
    for (const name of names) {
      if (seen.has(name)) continue;
      seen.add(name);
      const rel = roleFile(dir, name, snapshotMeta[`${name}.json`]?.version, consistent);
      if (rel === undefined) continue;
      const from = delegator;
      if (step(name, rel, () => tms.updateDelegatedTargets(read(rel), name, from))) queue.push(name);
    }
  }
  return done(true);
}
