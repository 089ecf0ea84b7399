// SPDX-License-Identifier: Apache-2.0
/**
 * Ceremony workspaces for CLI tests, built by running the real CLI: `init`,
 * `key generate`, `keyholder add`, `root draft --plan`, `request root`,
 * `sign --yes`, `collect`, `publish root`. Real keys (encrypted key files)
 * and real signatures; the clock is always the fixed `CEREMONY_NOW`.
 *
 * Key generation and signing derive keys with PBKDF2 (600,000 rounds), so
 * the workspace is built once per test process and each test gets a copy.
 */
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runCli, type CliResult } from './cli.js';

/** The reference time of every ceremony test: 2026-08-22T00:00:00Z. */
export const CEREMONY_NOW = Date.UTC(2026, 7, 22, 0, 0, 0);
/** The passphrase of every test key file (a test value, not a secret). */
export const TEST_PASSPHRASE = 'correct horse battery staple';
export const CEREMONY_ENV = { TUF_CEREMONY_PASSPHRASE: TEST_PASSPHRASE };

/** Keyholders of the fixture: alice and bob hold root and targets keys, carol the online keys. */
export const KEYHOLDERS = ['alice', 'bob', 'carol'] as const;

export interface CeremonyWorkspace {
  /** The workspace. */
  readonly ws: string;
  /** Where `NAME.key` and `NAME.pub.json` are. */
  readonly keys: string;
  /** A scratch directory beside them (requests, signatures, target files); empty in a fresh copy. */
  readonly work: string;
}

const PLAN = `expires: +365d
consistent_snapshot: true
roles:
  root: { threshold: 1, keyholders: [alice, bob] }
  targets: { threshold: 2, keyholders: [alice, bob] }
  snapshot: { threshold: 1, keyholders: [carol] }
  timestamp: { threshold: 1, keyholders: [carol] }
`;

/** Runs the CLI at the fixed time with the test passphrase; asserts exit 0 unless told otherwise. */
export async function ceremonyCli(args: readonly string[], cwd: string, expected: number | null = 0): Promise<CliResult> {
  const r = await runCli(args, { cwd, env: CEREMONY_ENV, now: CEREMONY_NOW });
  if (expected !== null) assert.equal(r.code, expected, `${args.join(' ')}:\n${r.stderr}${r.stdout}`);
  return r;
}

let template: Promise<CeremonyWorkspace> | undefined;

async function buildTemplate(): Promise<CeremonyWorkspace> {
  const base = await mkdtemp(join(tmpdir(), 'tuf-ceremony-template-'));
  const ws = join(base, 'ws');
  const keys = join(base, 'keys');
  const work = join(base, 'work');
  await ceremonyCli(['init', ws, '--name', 'fixture'], base);
  for (const name of KEYHOLDERS) await ceremonyCli(['key', 'generate', '--name', name, '--out-dir', keys], base);
  await ceremonyCli(['--dir', ws, 'keyholder', 'add', ...KEYHOLDERS.map((n) => join(keys, `${n}.pub.json`))], base);
  await writeFile(join(base, 'plan.yaml'), PLAN);
  await ceremonyCli(['--dir', ws, 'root', 'draft', '--plan', 'plan.yaml'], base);
  await signAndCollect({ ws, keys, work }, 'root', ['alice']);
  await ceremonyCli(['--dir', ws, 'publish', 'root'], base);
  return { ws, keys, work };
}

/** Removes the cached workspace (call from an `after` hook). */
export async function disposeCeremonyTemplate(): Promise<void> {
  if (template === undefined) return;
  const t = await template;
  template = undefined;
  await rm(dirname(t.ws), { recursive: true, force: true });
}

/**
 * A fresh copy of a workspace with root v1 published (no targets yet),
 * under `dir`.
 */
export async function publishedRootWorkspace(dir: string): Promise<CeremonyWorkspace> {
  template ??= buildTemplate();
  const t = await template;
  const copy = { ws: join(dir, 'ws'), keys: join(dir, 'keys'), work: join(dir, 'work') };
  await cp(t.ws, copy.ws, { recursive: true });
  await cp(t.keys, copy.keys, { recursive: true });
  await mkdir(copy.work, { recursive: true });
  return copy;
}

let rounds = 0;

/**
 * `request ROLE`, then `sign --yes` by each keyholder, then `collect` of
 * their signature files.
 * @returns the collect result and the signature files
 */
export async function signAndCollect(w: CeremonyWorkspace, role: string, signers: readonly string[]): Promise<{ collect: CliResult; files: string[] }> {
  await mkdir(w.work, { recursive: true });
  const round = String(++rounds);
  const request = join(w.work, `${role}-${round}-request.json`);
  await ceremonyCli(['--dir', w.ws, 'request', role, '--out', request], w.work);
  const files: string[] = [];
  for (const name of signers) {
    const out = join(w.work, `${role}-${round}.${name}.sig.json`);
    await ceremonyCli(['--yes', '--no-input', 'sign', request, '--key', join(w.keys, `${name}.key`), '--out', out], w.work);
    files.push(out);
  }
  const collect = await ceremonyCli(['--dir', w.ws, 'collect', ...files], w.work);
  return { collect, files };
}

