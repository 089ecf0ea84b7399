// SPDX-License-Identifier: Apache-2.0
/**
 * A ceremony set up through the real CLI, for tests of the ceremony
 * commands: keyholders with encrypted key files in directories of their
 * own, a workspace with root v1 published (root and targets 2 of 3: alice,
 * bob, carol; snapshot and timestamp: one online key), and helpers to draft,
 * request and sign. Everything runs at a fixed reference time.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { makePublicKeyFile } from '../../src/crypto/proof.js';
import { keySigner } from '../../src/crypto/software.js';
import { stringifySorted } from '../../src/metadata/serialize.js';
import { runCli, type CliResult } from './cli.js';
import { testKey } from './keys.js';

export const CEREMONY_NOW = Date.UTC(2030, 0, 1, 12, 0, 0);
export const CEREMONY_PASS = 'ceremony test passphrase';
export const ONLINE_KEY = testKey('ceremony/online');

export interface CeremonyFixture {
  readonly base: string;
  /** The coordinator's workspace. */
  readonly ws: string;
  /** Each keyholder's directory (holds NAME.key and NAME.pub.json). */
  readonly home: (who: string) => string;
  readonly run: (cwd: string, args: readonly string[], now?: number) => Promise<CliResult>;
  /** Runs and asserts exit 0. */
  readonly ok: (cwd: string, args: readonly string[], now?: number) => Promise<CliResult>;
  /** Writes a signing request for ROLE and returns its absolute path. */
  readonly request: (role: string) => Promise<string>;
  /** The keyholder signs the request on their machine; returns the signature file, carried back beside the workspace. */
  readonly sign: (who: string, request: string) => Promise<string>;
}

/** The v1 plan: root and targets 2 of 3 (alice, bob, carol), one online key for snapshot and timestamp. */
export function planV1(expires: string, onlinePub: string): string {
  return [
    `expires: ${expires}`,
    'consistent_snapshot: true',
    'roles:',
    '  root: { threshold: 2, keyholders: [alice, bob, carol] }',
    '  targets: { threshold: 2, keyholders: [alice, bob, carol] }',
    `  snapshot: { threshold: 1, keys: [${onlinePub}] }`,
    `  timestamp: { threshold: 1, keys: [${onlinePub}] }`,
    '',
  ].join('\n');
}

/**
 * Builds the fixture under `base`: keyholders `holders` generate keys (the
 * first three hold root v1), the online key's public file is `online.pub.json`.
 */
export async function ceremonyFixture(base: string, holders: readonly string[] = ['alice', 'bob', 'carol', 'dave']): Promise<CeremonyFixture> {
  const env = { TUF_CEREMONY_PASSPHRASE: CEREMONY_PASS };
  const ws = join(base, 'ws');
  const home = (who: string): string => join(base, who);
  const run = (cwd: string, args: readonly string[], now = CEREMONY_NOW): Promise<CliResult> => runCli(['--no-input', ...args], { cwd, env, now });
  const ok = async (cwd: string, args: readonly string[], now = CEREMONY_NOW): Promise<CliResult> => {
    const r = await run(cwd, args, now);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}${r.stdout}`);
    return r;
  };
  const request = async (role: string): Promise<string> => {
    const r = await ok(ws, ['--json', 'request', role]);
    return join(ws, (JSON.parse(r.stdout) as { file: string }).file);
  };
  let signed = 0;
  const sign = async (who: string, req: string): Promise<string> => {
    const local = join(home(who), basename(req));
    await copyFile(req, local);
    // A file name of its own, so the same request can be signed again in another test.
    const name = `${basename(req, '.json')}.${who}.${String(++signed)}.sig.json`;
    const r = await ok(home(who), ['--json', 'sign', basename(local), '--key', `${who}.key`, '--yes', '--out', name]);
    const out = (JSON.parse(r.stdout) as { out: string }).out;
    const back = join(base, 'carried', out);
    await mkdir(join(base, 'carried'), { recursive: true });
    await copyFile(join(home(who), out), back);
    return back;
  };

  for (const who of holders) {
    await mkdir(home(who), { recursive: true });
    await ok(home(who), ['key', 'generate', '--name', who]);
  }
  const online = await makePublicKeyFile('online', keySigner(ONLINE_KEY.privateKey, { backend: 'file' }), CEREMONY_NOW);
  await writeFile(join(base, 'online.pub.json'), stringifySorted(online));
  await ok(base, ['init', 'ws', '--name', 'fixture']);
  await ok(ws, ['keyholder', 'add', ...holders.map((w) => join(home(w), `${w}.pub.json`))]);
  await writeFile(join(ws, 'plan-v1.yaml'), planV1('+365d', '../online.pub.json'));
  await ok(ws, ['root', 'draft', '--plan', 'plan-v1.yaml']);
  const req = await request('root');
  await ok(ws, ['collect', await sign('alice', req), await sign('bob', req)]);
  await ok(ws, ['publish', 'root']);
  return { base, ws, home, run, ok, request, sign };
}
