// SPDX-License-Identifier: Apache-2.0
/**
 * `drill [--scenario S] [--keyholders N] [--threshold T] [--out DIR]`: a
 * whole ceremony with throwaway software keys, checked by a TUF client
 * (docs/drill.md).
 *
 * The drill drives the very command functions users run, in-process
 * (`main(argv, io)` with the person's directory as the working directory):
 * each keyholder generates a key and signs in a directory of their own, and
 * only public key files, signing requests and signature files are copied
 * between directories. It then signs the online roles (snapshot, timestamp,
 * hash bins) with throwaway in-memory keys, verifies the repository with
 * `verify`, serves it on 127.0.0.1 and has tuf-js update from the previous
 * root to the new one and download a target.
 *
 * Passphrases are random, held in memory, and reach the key commands only
 * through their environment (TUF_CEREMONY_PASSPHRASE): never printed, never
 * written. Expiry follows the real clock (`io.now`), because tuf-js judges
 * expiry by it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { copyFile, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import {
  makeDelegatedTargets,
  makeSnapshot,
  makeTimestamp,
  metadataFileName,
  signWith,
  targetFileFor,
  targetFileNames,
  listedMetadata,
  type ListedMetadata,
} from '../../ceremony/online.js';
import { makePublicKeyFile } from '../../crypto/proof.js';
import type { Signer } from '../../crypto/signer.js';
import { generateKeyPair, keySigner } from '../../crypto/software.js';
import { checkClient, type ClientCheckResult } from '../../drill/client.js';
import { checkPythonClient, findPythonTuf, type PythonCheckResult } from '../../drill/python-client.js';
import {
  chooseSigners,
  OFFLINE_EXPIRES_DAYS,
  ONLINE_EXPIRES_DAYS,
  parseDrillSettings,
  planV1Text,
  scenarioPlan,
  type Holders,
  type ScenarioPlan,
} from '../../drill/scenario.js';
import { CeremonyError, EnvironmentError, EXIT, IoError, UsageError, VerificationError } from '../../errors.js';
import { formatExpires } from '../../metadata/expires.js';
import type { Metadata, Signed, TargetFile } from '../../metadata/model.js';
import { serializeMetadata, stringifySorted } from '../../metadata/serialize.js';
import { binForPath, binNames } from '../../metadata/verify.js';
import { sha256Hex } from '../../store/drafts.js';
import type { GlobalOptions, Io } from '../io.js';

/** The command line, run in-process: `main` from main.ts. */
export type RunCli = (argv: readonly string[], io: Io) => Promise<number>;

export interface DrillCommandOptions {
  readonly scenario?: string;
  readonly keyholders?: string;
  readonly threshold?: string;
  readonly out?: string;
  readonly targets?: string;
  readonly clients?: string;
  readonly pythonTuf?: string;
}

/** PEP 458 drill: generated target paths by default (PyPI-sized: 2,300,000). */
export const DEFAULT_DRILL_TARGETS = 160_000;
const MAX_DRILL_TARGETS = 10_000_000;
const CLIENTS = ['tuf-js', 'python-tuf'] as const;
type ClientName = (typeof CLIENTS)[number];

/** What the options beyond the scenario ask for. */
interface ClientSettings {
  readonly targets: number;
  /** The clients asked for; null: tuf-js, and python-tuf when found. */
  readonly clients: readonly ClientName[] | null;
  readonly pythonTuf: string | undefined;
}

function parseClientSettings(opts: DrillCommandOptions, pep458: boolean): ClientSettings {
  let targets = DEFAULT_DRILL_TARGETS;
  if (opts.targets !== undefined) {
    if (!pep458) throw new UsageError('--targets: only the pep458 scenario publishes generated targets', { field: '--targets' });
    const t = opts.targets.replace(/_/g, '');
    if (!/^[1-9]\d{0,7}$/.test(t) || Number(t) > MAX_DRILL_TARGETS) {
      throw new UsageError(`--targets: "${opts.targets}" is not a whole number from 1 to ${MAX_DRILL_TARGETS.toLocaleString('en-US')}`, { field: '--targets' });
    }
    targets = Number(t);
  }
  let clients: ClientName[] | null = null;
  if (opts.clients !== undefined) {
    clients = [];
    for (const c of opts.clients.split(',').map((x) => x.trim())) {
      if (!(CLIENTS as readonly string[]).includes(c)) throw new UsageError(`--clients: "${c}" is not one of ${CLIENTS.join(', ')}`, { field: '--clients' });
      if (!clients.includes(c as ClientName)) clients.push(c as ClientName);
    }
  }
  return { targets, clients, pythonTuf: opts.pythonTuf };
}

/** `N ms, peak M MiB`: the process's peak resident memory so far. */
function peakMib(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/** One step of the drill, as reported. */
export interface DrillStep {
  readonly name: string;
  readonly ms: number;
  /** The drill process's peak resident memory after the step, MiB. */
  readonly peakMib: number;
  readonly ok: boolean;
  readonly detail: string;
}

const DAY_MS = 86_400_000;

function isErrno(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && typeof (e as NodeJS.ErrnoException).syscall === 'string';
}

/** The first lines of a command's messages, for an error. */
function firstLines(text: string, n = 6): string {
  const lines = text.trim().split('\n');
  return lines.slice(0, n).join('\n') + (lines.length > n ? '\n…' : '');
}

/** The drill's directory: DIR from --out (absent or empty), else a new temporary directory. */
async function prepareDir(out: string | undefined, io: Io): Promise<{ base: string; keep: boolean }> {
  if (out === undefined) {
    try {
      return { base: await mkdtemp(join(io.env['TMPDIR'] ?? tmpdir(), 'tuf-ceremony-drill-')), keep: false };
    } catch (cause) {
      throw new EnvironmentError(`cannot make a temporary directory for the drill: ${(cause as Error).message}`, { cause, hint: 'use --out DIR' });
    }
  }
  const base = resolve(io.cwd, out);
  let entries: string[] | null = null;
  try {
    entries = await readdir(base);
  } catch (e) {
    if (!isErrno(e) || e.code !== 'ENOENT') {
      throw new UsageError(`--out: ${out} cannot be used: ${(e as Error).message}`, { field: '--out', file: out });
    }
  }
  if (entries !== null && entries.length > 0) {
    throw new UsageError(`--out: ${out} is not empty; the drill writes a fresh workspace, keyholder directories and repository there`, {
      field: '--out',
      file: out,
      hint: 'give a new or empty directory',
    });
  }
  try {
    await mkdir(base, { recursive: true });
  } catch (cause) {
    throw new IoError(`--out: cannot make ${out}: ${(cause as Error).message}`, { cause, file: out });
  }
  return { base, keep: true };
}

/** One drill in one directory: the people, their directories, the steps done. */
class Drill {
  readonly steps: DrillStep[] = [];
  private readonly passphrases = new Map<string, string>();
  private readonly online = new Map<string, Signer>();
  /** What the client said, once the client step has run (also when it refused). */
  client: ClientCheckResult | null = null;
  /** What python-tuf said, when it ran. */
  pythonClient: PythonCheckResult | null = null;
  /** The clients that accepted, in the order they ran. */
  readonly accepted: string[] = [];
  /** pep458: the real targets published (the drill's own and two more, in other bins). */
  private readonly published: { path: string; bytes: Buffer }[] = [];
  clientSettings: ClientSettings = { targets: DEFAULT_DRILL_TARGETS, clients: null, pythonTuf: undefined };
  readonly base: string;
  readonly plan: ScenarioPlan;
  readonly ws: string;
  readonly inbox: string;
  private readonly io: Io;
  private readonly global: GlobalOptions;
  private readonly run: RunCli;
  private readonly clock: () => number;

  constructor(base: string, plan: ScenarioPlan, io: Io, global: GlobalOptions, run: RunCli, clock: () => number) {
    this.base = base;
    this.plan = plan;
    this.io = io;
    this.global = global;
    this.run = run;
    this.clock = clock;
    this.ws = join(base, 'workspace');
    this.inbox = join(this.ws, 'inbox');
  }

  home(who: string): string {
    return join(this.base, 'keyholders', who);
  }

  /** Runs a step, times it and reports it; `fn` returns what was done. */
  async step(name: string, fn: () => Promise<string>): Promise<void> {
    const t0 = this.clock();
    let ok = false;
    let detail = '';
    try {
      detail = await fn();
      ok = true;
    } catch (e) {
      detail = e instanceof Error ? (e.message.split('\n')[0] ?? '') : String(e);
      if (isErrno(e)) throw new IoError(`${name}: ${e.message}`, { cause: e });
      throw e;
    } finally {
      const ms = Math.round(this.clock() - t0);
      const peak = peakMib();
      this.steps.push({ name, ms, peakMib: peak, ok, detail });
      if (!this.global.json) this.io.stdout(`${ok ? 'ok  ' : 'FAIL'} ${String(ms).padStart(6)} ms ${String(peak).padStart(5)} MiB  ${name}: ${detail}\n`);
    }
  }

  /**
   * Runs `tuf-ceremony --json --no-input ARGS…` in-process in `cwd`, as the
   * person working there (`who`'s passphrase in the environment, if any).
   * @returns the exit code and the parsed JSON output
   */
  async exec<T>(cwd: string, args: readonly string[], who?: string): Promise<{ code: number; doc: T | null; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const pass = who === undefined ? undefined : this.passphrases.get(who);
    const inner: Io = {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      env: pass === undefined ? {} : { TUF_CEREMONY_PASSPHRASE: pass },
      now: this.io.now,
      ...(this.io.monotonic === undefined ? {} : { monotonic: this.io.monotonic }),
      isTTY: false,
      cwd,
      prompter: null,
    };
    const code = await this.run(['--json', '--no-input', ...args], inner);
    let doc: T | null = null;
    try {
      doc = JSON.parse(stdout) as T;
    } catch {
      doc = null;
    }
    return { code, doc, stderr };
  }

  /** {@link exec}, which must succeed. */
  async cli<T>(cwd: string, args: readonly string[], who?: string): Promise<T> {
    const r = await this.exec<T>(cwd, args, who);
    if (r.code !== 0 || r.doc === null) {
      const where = relative(this.base, cwd) || '.';
      const msg = `tuf-ceremony ${args.join(' ')} (in ${where}) exited ${String(r.code)}:\n${firstLines(r.stderr)}`;
      throw r.code === EXIT.ENVIRONMENT ? new EnvironmentError(msg) : new VerificationError(msg);
    }
    return r.doc;
  }

  /** A file carried from one person's directory to another's (the USB stick). */
  async carry(file: string, toDir: string): Promise<string> {
    await mkdir(toDir, { recursive: true });
    const to = join(toDir, basename(file));
    await copyFile(file, to);
    return to;
  }

  /** A keyholder makes their key in their own directory, with a passphrase only the drill knows. */
  async generateKey(who: string): Promise<void> {
    await mkdir(this.home(who), { recursive: true });
    this.passphrases.set(who, randomBytes(18).toString('base64url'));
    await this.cli(this.home(who), ['key', 'generate', '--name', who], who);
  }

  /** The keyholder's public key file is carried to the coordinator and registered. */
  async register(who: string): Promise<void> {
    const pub = await this.carry(join(this.home(who), `${who}.pub.json`), this.inbox);
    await this.cli(this.ws, ['keyholder', 'add', relative(this.ws, pub)]);
  }

  /** `request ROLE`; each signer signs a copy in their directory; the signature files come back to be collected. */
  async signRound(role: 'root' | 'targets', signers: readonly string[]): Promise<string> {
    const req = await this.cli<{ file: string }>(this.ws, ['request', role]);
    const back: string[] = [];
    for (const who of signers) {
      const local = await this.carry(join(this.ws, req.file), this.home(who));
      const sig = await this.cli<{ out: string }>(this.home(who), ['--yes', 'sign', basename(local), '--key', `${who}.key`], who);
      back.push(relative(this.ws, await this.carry(join(this.home(who), sig.out), this.inbox)));
    }
    await this.cli(this.ws, ['collect', ...back]);
    return `signed by ${signers.join(', ')}, each in keyholders/NAME/ (request and signature files carried)`;
  }

  async publish(role: 'root' | 'targets'): Promise<string> {
    const p = await this.cli<{ version: number; written: { path: string }[]; verify: { ok: boolean } }>(this.ws, ['publish', role]);
    return `version ${String(p.version)}: ${p.written.map((w) => w.path).join(', ')}`;
  }

  /** The whole scenario; returns the target the client downloaded. */
  async runScenario(): Promise<{ path: string; length: number; sha256: string }> {
    const plan = this.plan;
    const nowMs = this.io.now();
    const onlineDir = join(this.base, 'online');

    await this.step('online keys', async () => {
      await mkdir(onlineDir, { recursive: true });
      for (const k of plan.online) {
        const signer = keySigner(generateKeyPair('ed25519').privateKey, { backend: 'file' });
        this.online.set(k.name, signer);
        await writeFile(join(onlineDir, `${k.name}.pub.json`), stringifySorted(await makePublicKeyFile(k.name, signer, nowMs), `${k.name}.pub.json`));
      }
      return `${plan.online.map((k) => `${k.name} (${k.roles.join(', ')})`).join(', ')}: Ed25519, in memory only; public key files in online/`;
    });

    const v1 = plan.v1;
    await this.step('key generate', async () => {
      for (const who of v1.root.keyholders) await this.generateKey(who);
      return `${v1.root.keyholders.join(', ')}: encrypted key files, each in keyholders/NAME/`;
    });

    await this.step('workspace', async () => {
      await this.cli(this.base, ['init', 'workspace', '--name', `drill-${plan.settings.scenario}`]);
      for (const who of v1.root.keyholders) await this.register(who);
      return `workspace/ with ${String(v1.root.keyholders.length)} keyholders registered from their public key files`;
    });

    const onlineFor = (role: 'snapshot' | 'timestamp' | 'bins'): string => plan.online.find((k) => k.roles.includes(role))?.name ?? 'online';
    await this.step('root v1 draft', async () => {
      await writeFile(join(this.ws, 'plan-v1.yaml'), planV1Text(plan, (role) => `../online/${onlineFor(role)}.pub.json`));
      const d = await this.cli<{ version: number; ready: boolean; errors: string[] }>(this.ws, ['root', 'draft', '--plan', 'plan-v1.yaml']);
      if (!d.ready) throw new VerificationError(`root version 1 is not ready: ${d.errors.join('; ')}`);
      return `from plan-v1.yaml: root ${holdersText(v1.root)}, targets ${holdersText(v1.targets)}, online snapshot and timestamp keys, expires in ${String(v1.expiresDays)} days`;
    });
    await this.step('root v1 signing', () => this.signRound('root', chooseSigners(null, v1.root)));
    await this.step('root v1 publish', () => this.publish('root'));

    let targetsHolders = v1.targets;
    const v2 = plan.v2;
    if (v2 !== null) {
      const change = v2.change;
      await this.step('root v2 draft', async () => {
        switch (change.$case) {
          case 'replace':
            await this.generateKey(change.joining);
            await this.register(change.joining);
            await this.cli(this.ws, ['root', 'draft']);
            for (const role of ['root', 'targets']) {
              await this.cli(this.ws, ['root', 'add-key', role, change.joining]);
              await this.cli(this.ws, ['root', 'remove-key', role, change.leaving]);
            }
            return `${change.joining} replaces ${change.leaving} in root and targets (${change.joining} made a key and was registered)`;
          case 'revoke':
            await this.cli(this.ws, ['root', 'draft', '--revoke', change.leaving, '--reason', `drill: the key of ${change.leaving} is declared lost`]);
            await this.generateKey(change.joining);
            await this.register(change.joining);
            for (const role of ['root', 'targets']) await this.cli(this.ws, ['root', 'add-key', role, change.joining]);
            return `root draft --revoke ${change.leaving} (incident recorded), ${change.joining} added to root and targets`;
          case 'expiry':
            await this.cli(this.ws, ['root', 'draft']);
            await this.cli(this.ws, ['root', 'expires', `+${String(OFFLINE_EXPIRES_DAYS)}d`]);
            return `routine re-signing: the same keys, a new expiry in ${String(OFFLINE_EXPIRES_DAYS)} days (version 1 expires within 30 days)`;
        }
      });
      const joining = change.$case === 'expiry' ? [] : [change.joining];
      const revoked = change.$case === 'revoke' ? [change.leaving] : [];
      await this.step('root v2 signing', () => this.signRound('root', chooseSigners(v1.root, v2.root, joining, revoked)));
      await this.step('root v2 publish', () => this.publish('root'));
      targetsHolders = v2.targets;
    }

    const targetBytes = Buffer.from(`tuf-ceremony drill (${plan.settings.scenario}): a target published at ${formatExpires(nowMs)}\n`, 'utf8');
    const release = join(this.base, 'release', basename(plan.targetPath));
    await this.step('targets v1 draft', async () => {
      await mkdir(dirname(release), { recursive: true });
      await writeFile(release, targetBytes);
      await this.cli(this.ws, ['targets', 'draft']);
      if (plan.bins === null) {
        await this.cli(this.ws, ['targets', 'add', relative(this.ws, release), '--path', plan.targetPath]);
        return `${plan.targetPath} (${String(targetBytes.length)} bytes) listed in targets`;
      }
      const b = plan.bins;
      await this.cli(this.ws, [
        ...['targets', 'delegate-bins', '--name-prefix', b.namePrefix, '--bit-length', String(b.bitLength)],
        ...['--key', `../online/${onlineFor('bins')}.pub.json`, '--threshold', '1'],
      ]);
      return `${(2 ** b.bitLength).toLocaleString('en-US')} hash bins (TAP 15 bit length ${String(b.bitLength)}) delegated to the online key`;
    });
    await this.step('targets v1 signing', () => this.signRound('targets', chooseSigners(null, targetsHolders)));
    await this.step('targets v1 publish', () => this.publish('targets'));

    const repoMeta = join(this.base, 'metadata');
    await this.step('online metadata', () => this.publishOnline(repoMeta, plan, release, targetBytes, nowMs));

    await this.step('verify', async () => {
      const v = await this.exec<{ ok: boolean; failures: string[]; finalRoot: { version: number } | null; warnings: unknown[] }>(this.base, ['verify', 'metadata']);
      if (v.code !== 0 || v.doc?.ok !== true) {
        throw new VerificationError(`tuf-ceremony verify metadata: ${v.doc?.failures.join('; ') ?? firstLines(v.stderr)}`);
      }
      await this.cli(this.ws, ['audit', 'verify']);
      return `tuf-ceremony verify metadata: final root v${String(v.doc.finalRoot?.version ?? 0)}, ok; audit log verified`;
    });

    const expectedVersion = v2 === null ? 1 : 2;
    const asked = this.clientSettings.clients;
    const python = asked === null || asked.includes('python-tuf') ? await findPythonTuf(this.clientSettings.pythonTuf, this.io.env, this.io.cwd) : null;
    if (python !== null && 'missing' in python && asked !== null) {
      throw new EnvironmentError(`--clients python-tuf: ${python.missing}`, { hint: 'pip install tuf, or give --python-tuf DIR or PYTHON_TUF_PATH (docs/drill.md)' });
    }
    if (python !== null && !('missing' in python)) {
      await this.step('client python-tuf', async () => {
        const c = await checkPythonClient({
          pythonTuf: python,
          env: this.io.env,
          repository: this.base,
          trustedRoot: await readFile(join(repoMeta, '1.root.json')),
          targets: this.published.map((t) => ({ path: t.path, sha256: sha256Hex(t.bytes), length: t.bytes.length })),
          clientDir: join(this.base, 'client-python-tuf'),
        });
        this.pythonClient = c;
        if (!c.ok) throw new VerificationError(`python-tuf refused the repository: ${c.problem ?? 'no reason given'}`);
        if (c.rootVersion !== expectedVersion) throw new VerificationError(`python-tuf ended at root version ${String(c.rootVersion)}, not ${String(expectedVersion)}`);
        this.accepted.push(`python-tuf ${python.version}`);
        const peak = c.maxRssKb === null ? '' : `, its peak ${String(Math.round(c.maxRssKb / 1024))} MiB`;
        return `python-tuf ${python.version} (from ${python.from}) ngclient Updater: refreshed to root v${String(c.rootVersion)}, downloaded ${String(c.downloaded)} targets from ${String(new Set(this.published.map((t) => t.path)).size)} paths (bytes as published); ${String(c.requests)} requests; its CPU ${String(c.cpuMs)} ms${peak}`;
      });
    } else if (python !== null && !this.global.json) {
      this.io.stdout(`note: ${python.missing}; python-tuf is not run (pip install tuf, --python-tuf DIR or PYTHON_TUF_PATH)\n`);
    }
    if (asked !== null && !asked.includes('tuf-js')) return { path: plan.targetPath, length: targetBytes.length, sha256: sha256Hex(targetBytes) };
    await this.step('client', async () => {
      const client = await checkClient({
        repository: this.base,
        trustedRoot: await readFile(join(repoMeta, '1.root.json')),
        targetPath: plan.targetPath,
        expected: targetBytes,
        clientDir: join(this.base, 'client'),
      });
      this.client = client;
      const moved = `root v${String(client.fromVersion)}${client.rootVersion === client.fromVersion ? '' : ` → v${String(client.rootVersion)}`}`;
      if (!client.ok) throw new VerificationError(`the client refused the repository (trusted ${moved}): ${client.problem ?? 'no reason given'}`);
      if (client.rootVersion !== expectedVersion) {
        throw new VerificationError(`the client ended at root version ${String(client.rootVersion)}, not ${String(expectedVersion)}`);
      }
      this.accepted.push('tuf-js');
      const slow = plan.bins === null ? '' : ` (tuf-js's snapshot reading is quadratic in its entries: ${String(2 ** plan.bins.bitLength + 1)} here)`;
      return `tuf-js trusted ${moved}, downloaded ${plan.targetPath} (${String(client.downloaded)} bytes, as published); ${String(client.requests.length)} requests to ${client.base}${slow}`;
    });
    return { path: plan.targetPath, length: targetBytes.length, sha256: sha256Hex(targetBytes) };
  }

  /**
   * The repository: the published root and targets copied from the
   * workspace, then hash bins (pep458), snapshot and timestamp signed with
   * the online keys, and the target file under its hash-prefixed names.
   */
  private async publishOnline(repoMeta: string, plan: ScenarioPlan, release: string, targetBytes: Uint8Array, nowMs: number): Promise<string> {
    await cp(join(this.ws, 'metadata'), repoMeta, { recursive: true });
    const expires = formatExpires(nowMs + ONLINE_EXPIRES_DAYS * DAY_MS);
    const signer = (role: 'snapshot' | 'timestamp' | 'bins'): Signer => {
      const k = plan.online.find((o) => o.roles.includes(role));
      const s = k === undefined ? undefined : this.online.get(k.name);
      if (s === undefined) throw new Error(`internal: no online key for ${role}`);
      return s;
    };
    const write = async (name: string, md: Metadata): Promise<Uint8Array> => {
      const bytes = serializeMetadata(md, name);
      await writeFile(join(repoMeta, name), bytes);
      return bytes;
    };
    const sign = <T extends Signed>(signed: T, role: 'snapshot' | 'timestamp' | 'bins'): Promise<Metadata<T>> => signWith(signed, [signer(role)]);

    const targetsBytes = await readFile(join(repoMeta, 'targets.json'));
    const targetsVersion = (JSON.parse(targetsBytes.toString('utf8')) as { signed: { version: number } }).signed.version;
    const listed: ListedMetadata[] = [listedMetadata({ name: 'targets.json', version: targetsVersion, bytes: targetsBytes })];
    const entry = targetFileFor(targetBytes);
    const written: string[] = [];
    this.published.push({ path: plan.targetPath, bytes: Buffer.from(targetBytes) });
    if (plan.bins !== null) {
      const sr = { bit_length: plan.bins.bitLength, name_prefix: plan.bins.namePrefix };
      // Every bin, each with its share of the generated paths, and the real
      // targets (the drill's own and two more) in theirs.
      const byBin = new Map<string, Record<string, TargetFile>>(binNames(sr).map((b) => [b, {}]));
      for (const extra of ['packages/drill/drill-1.1.txt', 'packages/drill/drill-2.0.txt']) {
        this.published.push({ path: extra, bytes: Buffer.from(`tuf-ceremony drill: ${extra}, published at ${formatExpires(nowMs)}\n`, 'utf8') });
      }
      for (const t of this.published) (byBin.get(binForPath(sr, t.path)) as Record<string, TargetFile>)[t.path] = targetFileFor(t.bytes);
      const generated = this.clientSettings.targets;
      for (let i = 0; i < generated; i++) {
        const h = createHash('sha256').update(`drill target ${String(i)}`).digest('hex');
        const path = `packages/${h.slice(0, 2)}/${h.slice(2, 4)}/drill-project-${String(i >> 3)}-${String(i & 7)}.tar.gz`;
        (byBin.get(binForPath(sr, path)) as Record<string, TargetFile>)[path] = { length: 1_000 + (parseInt(h.slice(4, 10), 16) % 50_000_000), hashes: { sha256: h } };
      }
      const binsSigner = signer('bins');
      for (const [bin, entries] of byBin) {
        const md = await signWith(makeDelegatedTargets(1, expires, entries), [binsSigner]);
        listed.push(listedMetadata({ name: `${bin}.json`, version: 1, bytes: await write(metadataFileName(bin, 1, true), md) }));
      }
      const holding = [...new Set(this.published.map((t) => binForPath(sr, t.path)))];
      written.push(`${String(byBin.size)} bins 1.${plan.bins.namePrefix}-*.json (${generated.toLocaleString('en-US')} generated targets and ${String(this.published.length)} real ones, in ${holding.join(', ')})`);
    }
    const snapshotName = metadataFileName('snapshot', 1, true);
    const snapshotBytes = await write(snapshotName, await sign(makeSnapshot(1, expires, listed), 'snapshot'));
    await write('timestamp.json', await sign(makeTimestamp(1, expires, { version: 1, bytes: snapshotBytes }), 'timestamp'));
    written.push(snapshotName, 'timestamp.json');
    for (const name of targetFileNames(plan.targetPath, entry, true)) {
      await mkdir(dirname(join(this.base, 'targets', name)), { recursive: true });
      await copyFile(release, join(this.base, 'targets', name));
    }
    for (const t of this.published.slice(1)) {
      for (const name of targetFileNames(t.path, targetFileFor(t.bytes), true)) {
        await mkdir(dirname(join(this.base, 'targets', name)), { recursive: true });
        await writeFile(join(this.base, 'targets', name), t.bytes);
      }
    }
    return `metadata/${written.join(', metadata/')} signed with the online keys, expiring in ${String(ONLINE_EXPIRES_DAYS)} day; the target under its hash-prefixed names in targets/`;
  }
}

function holdersText(h: Holders): string {
  return `${String(h.threshold)} of ${h.keyholders.join(', ')}`;
}

/**
 * `drill`: runs the scenario, prints each step with its time, and returns
 * 0 only when the client accepted the result.
 * @throws UsageError (exit 2) for bad options, before anything is done
 */
export async function runDrill(opts: DrillCommandOptions, global: GlobalOptions, io: Io, run: RunCli): Promise<number> {
  const settings = parseDrillSettings(opts);
  const plan = scenarioPlan(settings);
  const clientSettings = parseClientSettings(opts, plan.bins !== null);
  const { base, keep } = await prepareDir(opts.out, io);
  const clock = io.monotonic ?? ((): number => performance.now());
  const started = clock();
  const drill = new Drill(base, plan, io, global, run, clock);
  drill.clientSettings = clientSettings;
  if (!global.json) {
    io.stdout(
      `drill ${settings.scenario}: ${String(settings.keyholders)} keyholders, root threshold ${String(settings.threshold)}, in ${base}${keep ? '' : ' (removed at the end)'}\n`
    );
  }
  let failure: CeremonyError | null = null;
  let target: Awaited<ReturnType<Drill['runScenario']>> | null = null;
  try {
    target = await drill.runScenario();
  } catch (e) {
    if (!(e instanceof CeremonyError)) throw e;
    failure = e;
  } finally {
    if (!keep) await rm(base, { recursive: true, force: true });
  }
  const totalMs = Math.round(clock() - started);
  const failedStep = drill.steps.find((s) => !s.ok)?.name ?? null;
  if (global.json) {
    io.stdout(
      JSON.stringify(
        {
          ok: failure === null,
          scenario: settings.scenario,
          keyholders: settings.keyholders,
          threshold: settings.threshold,
          steps: drill.steps,
          totalMs,
          out: keep ? base : null,
          clientRootVersion: drill.client?.rootVersion ?? drill.pythonClient?.rootVersion ?? null,
          clients: drill.accepted,
          pythonTuf: drill.pythonClient,
          targets: plan.bins === null ? null : clientSettings.targets,
          target,
          failure: failure === null ? null : { step: failedStep, code: failure.code, exitCode: failure.exitCode, message: failure.message },
        },
        null,
        2
      ) + '\n'
    );
  } else if (failure === null && target !== null && drill.client !== null) {
    const c = drill.client;
    const roots = c.rootVersion === c.fromVersion ? `from root v${String(c.fromVersion)}` : `moved from root v${String(c.fromVersion)} to v${String(c.rootVersion)}`;
    const also = drill.pythonClient?.ok === true ? '; python-tuf accepted it too' : '';
    io.stdout(`drill passed in ${(totalMs / 1000).toFixed(1)} s: a TUF client (tuf-js) ${roots}, accepted the repository and downloaded ${target.path}${also}\n`);
    if (keep) io.stdout(`kept in ${base}: workspace/, keyholders/, online/ (public keys), release/, metadata/, targets/, client/\n`);
  } else if (failure === null && target !== null) {
    io.stdout(`drill passed in ${(totalMs / 1000).toFixed(1)} s: ${drill.accepted.join(' and ')} accepted the repository and downloaded its targets\n`);
    if (keep) io.stdout(`kept in ${base}: workspace/, keyholders/, online/ (public keys), release/, metadata/, targets/, client-python-tuf/\n`);
    if (keep) io.stdout(`kept in ${base}: workspace/, keyholders/, online/ (public keys), release/, metadata/, targets/, client/\n`);
  }
  if (failure !== null) {
    io.stderr(`error[${failure.code}]: drill failed at step "${failedStep ?? '?'}": ${failure.message}\n`);
    if (failure.hint !== undefined) io.stderr(`hint: ${failure.hint}\n`);
    if (keep) io.stderr(`the drill's files are kept in ${base}\n`);
    return failure.exitCode;
  }
  return EXIT.OK;
}
