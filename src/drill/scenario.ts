// SPDX-License-Identifier: Apache-2.0
/**
 * The drill's scenarios (docs/drill.md), pure: the options checked, who
 * holds which key in each root version, who signs each version, and the
 * plan of root version 1. The orchestrator (src/cli/commands/drill.ts)
 * carries it out with the real commands.
 */
import { UsageError } from '../errors.js';

export const SCENARIOS = ['bootstrap', 'rotate', 'compromise', 'expiry', 'pep458'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export const DEFAULT_KEYHOLDERS = 3;
export const DEFAULT_THRESHOLD = 2;
export const MAX_KEYHOLDERS = 50;
/** Root version 1 of the expiry scenario is due for re-signing: it expires within the 30-day warning. */
export const EXPIRING_ROOT_DAYS = 20;
/** Offline roles (root, targets) expire after a year, online roles after a day (PEP 458). */
export const OFFLINE_EXPIRES_DAYS = 365;
export const ONLINE_EXPIRES_DAYS = 1;
/** PEP 458: 16,384 hash bins (TAP 15 bit length 14). */
export const PEP458_BIT_LENGTH = 14;
export const PEP458_BIN_PREFIX = 'bins';

export interface DrillSettings {
  readonly scenario: Scenario;
  readonly keyholders: number;
  readonly threshold: number;
}

/** A role's keyholders and threshold. */
export interface Holders {
  readonly keyholders: readonly string[];
  readonly threshold: number;
}

/** The change root version 2 makes. */
export type RootChange =
  | { readonly $case: 'replace'; readonly leaving: string; readonly joining: string }
  | { readonly $case: 'revoke'; readonly leaving: string; readonly joining: string }
  | { readonly $case: 'expiry' };

/** A throwaway online key and the roles it signs. */
export interface OnlineKey {
  readonly name: string;
  readonly roles: readonly ('snapshot' | 'timestamp' | 'bins')[];
}

export interface ScenarioPlan {
  readonly settings: DrillSettings;
  /** Root version 1: its root and targets keyholders. */
  readonly v1: { readonly root: Holders; readonly targets: Holders; readonly expiresDays: number };
  /** Root version 2, or null when version 1 is the last (bootstrap, pep458). */
  readonly v2: { readonly change: RootChange; readonly root: Holders; readonly targets: Holders } | null;
  readonly online: readonly OnlineKey[];
  /** TAP 15 hash bins delegated by targets to the online key (pep458), or null. */
  readonly bins: { readonly namePrefix: string; readonly bitLength: number } | null;
  /** The target the drill publishes and the client downloads. */
  readonly targetPath: string;
}

function wholeNumber(text: string, option: string, min: number, max: number): number {
  const n = /^\d{1,3}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${option}: "${text}" is not a whole number from ${String(min)} to ${String(max)}`, { field: option });
  }
  return n;
}

/**
 * Checks the drill's options.
 * @throws UsageError (exit 2) naming the option
 */
export function parseDrillSettings(raw: { readonly scenario?: string; readonly keyholders?: string; readonly threshold?: string }): DrillSettings {
  const scenario = raw.scenario ?? 'rotate';
  if (!(SCENARIOS as readonly string[]).includes(scenario)) {
    throw new UsageError(`--scenario: "${scenario}" is not one of ${SCENARIOS.join(', ')}`, { field: '--scenario' });
  }
  const keyholders = raw.keyholders === undefined ? DEFAULT_KEYHOLDERS : wholeNumber(raw.keyholders, '--keyholders', 1, MAX_KEYHOLDERS);
  const threshold = raw.threshold === undefined ? Math.min(DEFAULT_THRESHOLD, keyholders) : wholeNumber(raw.threshold, '--threshold', 1, MAX_KEYHOLDERS);
  if (threshold > keyholders) {
    throw new UsageError(`--threshold: ${String(threshold)} is more than the ${String(keyholders)} keyholders`, {
      field: '--threshold',
      hint: 'a threshold counts keyholders, so it is at most --keyholders',
    });
  }
  const s: DrillSettings = { scenario: scenario as Scenario, keyholders, threshold };
  if (s.scenario === 'compromise' && keyholders <= threshold) {
    throw new UsageError(
      `--scenario compromise: with ${String(keyholders)} keyholders and threshold ${String(threshold)}, one key revoked leaves ${String(keyholders - 1)}, too few to sign the recovery for clients`,
      { field: '--keyholders', hint: `use --keyholders ${String(threshold + 1)} or more, or a lower --threshold` }
    );
  }
  if (s.scenario === 'pep458' && threshold < 2) {
    throw new UsageError('--scenario pep458: PEP 458 asks for a root threshold above 1', { field: '--threshold', hint: 'use --threshold 2 or more' });
  }
  return s;
}

const NAMES = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'kim', 'leo'];

/** The i-th keyholder's name (0-based): alice, bob, … then keyholder-13 and on. */
export function keyholderName(i: number): string {
  return NAMES[i] ?? `keyholder-${String(i + 1).padStart(2, '0')}`;
}

/** What each scenario does, for the settings given (already checked). */
export function scenarioPlan(settings: DrillSettings): ScenarioPlan {
  const { scenario, keyholders: n, threshold: t } = settings;
  const initial = Array.from({ length: n }, (_, i) => keyholderName(i));
  const all: Holders = { keyholders: initial, threshold: t };
  const pep458 = scenario === 'pep458';
  const base = {
    settings,
    online: pep458
      ? [{ name: 'online', roles: ['snapshot', 'timestamp', 'bins'] as const }]
      : [
          { name: 'snapshot', roles: ['snapshot'] as const },
          { name: 'timestamp', roles: ['timestamp'] as const },
        ],
    bins: pep458 ? { namePrefix: PEP458_BIN_PREFIX, bitLength: PEP458_BIT_LENGTH } : null,
    targetPath: pep458 ? 'packages/drill/drill-1.0.txt' : 'releases/drill-1.0.txt',
  };
  const v1 = { root: all, targets: pep458 ? { keyholders: initial.slice(0, 2), threshold: 2 } : all, expiresDays: OFFLINE_EXPIRES_DAYS };
  switch (scenario) {
    case 'bootstrap':
    case 'pep458':
      return { ...base, v1, v2: null };
    case 'expiry':
      return { ...base, v1: { ...v1, expiresDays: EXPIRING_ROOT_DAYS }, v2: { change: { $case: 'expiry' }, root: all, targets: all } };
    case 'rotate':
    case 'compromise': {
      const leaving = initial[n - 1] as string;
      const joining = keyholderName(n);
      const after: Holders = { keyholders: [...initial.filter((k) => k !== leaving), joining], threshold: t };
      return { ...base, v1, v2: { change: { $case: scenario === 'rotate' ? 'replace' : 'revoke', leaving, joining }, root: after, targets: after } };
    }
  }
}

/**
 * Who signs a root (or targets) version: enough for the old root's
 * threshold from its keyholders and for the new one's from its own
 * (spec §5.3.4), never a revoked keyholder, `first` always (a joining
 * keyholder shows their key works), then keyholders of both versions.
 * @param old the previous root's root holders (none for version 1)
 * @throws Error when the thresholds cannot be met (settings are checked first)
 */
export function chooseSigners(old: Holders | null, next: Holders, first: readonly string[] = [], excluded: readonly string[] = []): string[] {
  const chosen: string[] = [];
  const count = (h: Holders | null): number => (h === null ? 0 : chosen.filter((k) => h.keyholders.includes(k)).length);
  const met = (): boolean => count(old) >= (old?.threshold ?? 0) && count(next) >= next.threshold;
  const oldKeys = old?.keyholders ?? [];
  const candidates = [...first, ...next.keyholders.filter((k) => oldKeys.includes(k)), ...oldKeys, ...next.keyholders];
  for (const k of candidates) {
    if (chosen.includes(k) || excluded.includes(k)) continue;
    const useful = first.includes(k) || (count(old) < (old?.threshold ?? 0) && oldKeys.includes(k)) || (count(next) < next.threshold && next.keyholders.includes(k));
    if (useful) chosen.push(k);
    if (met() && first.every((f) => chosen.includes(f) || excluded.includes(f))) break;
  }
  if (!met()) throw new Error(`internal: no set of signers meets the thresholds (${chosen.join(', ')})`);
  return chosen;
}

/** The YAML plan of root version 1 (docs/ceremony.md), online keys as public key files relative to the plan. */
export function planV1Text(plan: ScenarioPlan, onlineKeyFile: (role: 'snapshot' | 'timestamp') => string): string {
  const role = (h: Holders): string => `{ threshold: ${String(h.threshold)}, keyholders: [${h.keyholders.join(', ')}] }`;
  return [
    `expires: +${String(plan.v1.expiresDays)}d`,
    'consistent_snapshot: true',
    'roles:',
    `  root: ${role(plan.v1.root)}`,
    `  targets: ${role(plan.v1.targets)}`,
    `  snapshot: { threshold: 1, keys: [${onlineKeyFile('snapshot')}] }`,
    `  timestamp: { threshold: 1, keys: [${onlineKeyFile('timestamp')}] }`,
    '',
  ].join('\n');
}
