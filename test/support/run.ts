// SPDX-License-Identifier: Apache-2.0
/**
 * Guided ceremonies (`run`) for CLI tests: keys made once per test process
 * in one shared directory (so that two workspaces record the same absolute
 * paths), fresh workspaces, answers files for the bootstrap template, and a
 * prompter that answers questions by their text. Everything runs at the
 * fixed `RUN_NOW`; passphrases come from the environment.
 */
import { commandEntries } from './audit.js';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfHashOnce } from '../../src/store/self-hash.js';
import type { Prompter } from '../../src/ui/prompts.js';
import { runCli, type CliResult } from './cli.js';

export const RUN_NOW = Date.UTC(2026, 7, 22, 9, 30, 0);
export const RUN_TIME = '2026-08-22T09:30:00Z';
export const RUN_PASS = 'guided ceremony test passphrase';
export const RUN_ENV = { TUF_CEREMONY_PASSPHRASE: RUN_PASS };
/** Root and targets keyholders, the targets-only keyholders of PEP 458, and two online-style keys. */
export const RUN_KEYS = ['alice', 'bob', 'carol', 'dave', 'erin', 'online', 'backsign'] as const;

/** Runs the CLI at RUN_NOW with the test passphrase. */
export function runAt(args: readonly string[], cwd: string, prompter: Prompter | null = null): Promise<CliResult> {
  return runCli(args, { cwd, env: RUN_ENV, now: RUN_NOW, prompter });
}

let keys: Promise<string> | undefined;

/** The directory holding NAME.key and NAME.pub.json for every name of RUN_KEYS (made once). */
export function runKeys(): Promise<string> {
  keys ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tuf-ceremony-run-keys-'));
    for (const name of RUN_KEYS) {
      const r = await runAt(['--no-input', 'key', 'generate', '--name', name, '--out-dir', dir], dir);
      assert.equal(r.code, 0, r.stderr);
    }
    return dir;
  })();
  return keys;
}

export async function disposeRunKeys(): Promise<void> {
  if (keys === undefined) return;
  const dir = await keys;
  keys = undefined;
  await rm(dir, { recursive: true, force: true });
}

/** A new workspace `DIR/ws` made by `init --name demo`. */
export async function freshWorkspace(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const r = await runAt(['init', 'ws', '--name', 'demo'], dir);
  assert.equal(r.code, 0, r.stderr);
  return join(dir, 'ws');
}

/** The running code's SHA-256, as `self-check` prints it (docs/release.md). */
const TOOL_SHA = (await selfHashOnce()).sha256;

export function toolSha(): string {
  return TOOL_SHA;
}

/** The lines of the workspace's audit log, parsed. */
export async function auditEntries(ws: string): Promise<{ seq: number; actor: string; command: string; details: Record<string, unknown>; artifacts: { read: { path: string; sha256: string }[]; written: { path: string; sha256: string }[] } }[]> {
  return commandEntries(ws);
}

/**
 * The answers to every question of the bootstrap-root template: alice, bob
 * and carol hold root keys (2 of 3; carol does not sign), wendy witnesses,
 * no token is connected (an exception), the clock is right.
 */
export function bootstrapAnswers(keyDir: string, omit: readonly string[] = []): string {
  const steps: [string, string][] = [
    ['air-gap', '{ confirm: true }'],
    ['tool', `{ sha256: "${toolSha()}" }`],
    ['clock', `{ reference_time: "${RUN_TIME}" }`],
    ['devices', '{ exception: "drill: the keys are encrypted files on a USB stick" }'],
    ['identify', '{ confirm: [true, true] }'],
    ['key-ids-confirmed', '{ confirm: true }'],
    ['sign', `{ confirm: true, keys: { alice: ${keyDir}/alice.key, bob: ${keyDir}/bob.key, carol: null } }`],
    ['witness', '{ witness: wendy, confirm: true }'],
  ];
  return [
    'format: tuf-ceremony/answers/v1',
    'template: bootstrap-root',
    'participants: { coordinator: olivia, witnesses: [wendy], keyholders: [alice, bob, carol], threshold: 2 }',
    'parameters:',
    `  public_keys: [${['alice', 'bob', 'carol'].map((n) => `${keyDir}/${n}.pub.json`).join(', ')}]`,
    `  online_key: ${keyDir}/online.pub.json`,
    'steps:',
    ...steps.filter(([id]) => !omit.includes(id)).map(([id, a]) => `  ${id}: ${a}`),
    '',
  ].join('\n');
}

/**
 * The answers to every question of the add-keyholder template: dave joins
 * the root role; alice, bob (unless `bob` is false) and dave sign; the new
 * root needs `threshold` signatures.
 */
export function addKeyholderAnswers(keyDir: string, o: { readonly threshold: number; readonly bob: boolean }): string {
  return [
    'format: tuf-ceremony/answers/v1',
    'template: add-keyholder',
    `participants: { coordinator: olivia, witnesses: [wendy], keyholders: [alice, bob, dave], threshold: ${String(o.threshold)} }`,
    'parameters:',
    '  new_keyholder: dave',
    `  new_public_key: ${keyDir}/dave.pub.json`,
    'steps:',
    '  air-gap: { confirm: true }',
    `  tool: { sha256: "${toolSha()}" }`,
    `  clock: { reference_time: "${RUN_TIME}" }`,
    '  devices: { exception: "drill: encrypted key files" }',
    '  identify: { confirm: [true, true] }',
    '  key-id-confirmed: { confirm: true }',
    `  sign-root: { confirm: true, keys: { alice: ${keyDir}/alice.key, bob: ${o.bob ? `${keyDir}/bob.key` : 'null'}, dave: ${keyDir}/dave.key } }`,
    '  witness: { witness: wendy, confirm: true }',
    '',
  ].join('\n');
}

/** `audit export --format FORMAT` of workspace `ws` run in `cwd`, asserted exit 0: the transcript. */
export async function exportTranscript(ws: string, cwd: string, format: 'md' | 'html', extra: readonly string[] = []): Promise<string> {
  const r = await runAt(['--dir', ws, 'audit', 'export', '--format', format, ...extra], cwd);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

/**
 * A prompter that answers each question with the first rule whose pattern
 * matches it, and records every question. An unmatched question fails.
 */
export function scriptedPrompter(rules: readonly (readonly [RegExp, string | boolean])[]): Prompter & { asked: string[] } {
  const asked: string[] = [];
  const answer = (m: string): string | boolean => {
    asked.push(m);
    const rule = rules.find(([p]) => p.test(m));
    if (rule === undefined) throw new Error(`unexpected question: ${m}`);
    return rule[1];
  };
  return {
    asked,
    password: (m) => Promise.reject(new Error(`no secret may be asked (${m})`)),
    confirm: (m) => Promise.resolve(answer(m) === true),
    input: (m, validate) => {
      const a = answer(m);
      const s = typeof a === 'string' ? a : String(a);
      const v = validate?.(s) ?? true;
      return v === true ? Promise.resolve(s) : Promise.reject(new Error(`invalid answer ${s} to ${m}: ${v}`));
    },
  };
}
