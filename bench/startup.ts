// SPDX-License-Identifier: Apache-2.0
/**
 * Start-up benchmark: what `tuf-ceremony --version`, `--help` and
 * `<command> --help` cost as whole processes, against a bare `node -e 0`
 * started the same way, for the package (bin/tuf-ceremony.js with build/
 * and node_modules/, as npm installs it) and for the single-file release
 * (built here with the release's own esbuild settings into a directory
 * with no node_modules above it).
 *
 * Method: every round runs every case once, in an order rotated by one
 * each round (no case always runs first or last), so the cases of a round
 * share the machine's load; the ratio to `node -e 0` is taken per round
 * (paired), then its median and spread over the rounds. CPU time is user +
 * sys of the child as the kernel accounts it (`os.wait4` in one small
 * python3 runner that starts every child: microseconds, the runner's own
 * time not counted); without python3, `/usr/bin/time` (10 ms steps).
 * stdout goes to /dev/null. Prints figures and the load average; asserts
 * nothing.
 *
 *   node build/bench/startup.js [--rounds 40] [--node PATH,PATH…] [--commands] [--before FILE]
 *
 * `--node` measures each given Node binary in turn (default: this one);
 * each measures its own `node -e 0`. `--commands` adds two command lines
 * that run the program: `verify` of examples/repository and a one-keyholder
 * `drill` with tuf-js. `--before FILE` measures an earlier single file
 * (e.g. a previous release's tuf-ceremony.mjs) too, copied beside the new
 * one, and prints the new one's ratio to it.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSingleFileOnly } from '../scripts/release.js';
import { SINGLE_FILE_NAME } from '../src/store/self-hash.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'tuf-ceremony.js');

/** Runs each argv of the plan, in order; prints one line per run: exit code, CPU seconds, peak RSS KiB. */
const RUNNER = `
import json, os, sys
plan = json.load(sys.stdin)
null = os.open(os.devnull, os.O_RDWR)
for argv in plan:
    pid = os.fork()
    if pid == 0:
        os.dup2(null, 0)
        os.dup2(null, 1)
        os.execv(argv[0], argv)
    _, status, ru = os.wait4(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    print(code, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, flush=True)
`;

interface Case {
  readonly name: string;
  readonly argv: readonly string[];
}

interface Run {
  readonly code: number;
  readonly cpuMs: number;
}

function havePython(): boolean {
  return spawnSync('python3', ['-c', 'import os; os.wait4'], { stdio: 'ignore' }).status === 0;
}

/** Runs the argvs in order and returns their exit codes and CPU times. */
function runAll(plan: readonly (readonly string[])[], python: boolean): Run[] {
  if (python) {
    const r = spawnSync('python3', ['-c', RUNNER], { input: JSON.stringify(plan), encoding: 'utf8', maxBuffer: 1 << 26 });
    if (r.status !== 0) throw new Error(`runner failed: ${r.stderr}`);
    return r.stdout
      .trim()
      .split('\n')
      .map((line) => {
        const [code, cpu] = line.split(' ');
        return { code: Number(code), cpuMs: Number(cpu) * 1000 };
      });
  }
  return plan.map((argv) => {
    const r = spawnSync('/usr/bin/time', ['-f', '@@ %x %U %S', ...argv], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
    const m = /@@ (\d+) ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
    if (m === null) throw new Error(`${argv.join(' ')}: no timing (${r.stderr.slice(-300)})`);
    return { code: Number(m[1]), cpuMs: (Number(m[2]) + Number(m[3])) * 1000 };
  });
}

const quantile = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (s.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return (s[lo] as number) + ((s[hi] as number) - (s[lo] as number)) * (at - lo);
};

/** The fast-path command lines, and with `--commands` two that run the program. */
function commandLines(commands: boolean): string[][] {
  const out = [['--version'], ['--help'], ['verify', '--help'], ['sign', '--help']];
  if (commands) {
    out.push(['verify', join(ROOT, 'examples', 'repository', 'metadata'), '--at', '2030-01-01T00:00:00Z']);
    out.push(['drill', '--scenario', 'bootstrap', '--keyholders', '1', '--clients', 'tuf-js']);
  }
  return out;
}

/** A command line as the tables name it. */
function short(args: readonly string[]): string {
  if (args[0] === 'verify' && args.length > 2) return 'verify (example)';
  if (args[0] === 'drill') return 'drill (bootstrap, tuf-js)';
  return args.join(' ');
}

/** Every variant runs every command line; `node -e 0` first. */
function cases(node: string, variants: readonly (readonly [string, string])[], lines: readonly string[][]): Case[] {
  const out: Case[] = [{ name: 'node -e 0', argv: [node, '-e', '0'] }];
  for (const [label, file] of variants) {
    for (const args of lines) out.push({ name: `${label} ${short(args)}`, argv: [node, file, ...args] });
  }
  return out;
}

function bench(node: string, variants: readonly (readonly [string, string])[], lines: readonly string[][], rounds: number, python: boolean): void {
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const list = cases(node, variants, lines);
  // Round r runs the cases rotated by r.
  const plan: (readonly string[])[] = [];
  const order: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < list.length; k++) {
      const i = (k + r) % list.length;
      plan.push((list[i] as Case).argv);
      order.push(i);
    }
  }
  const before = loadavg()[0] ?? 0;
  const runs = runAll(plan, python);
  const after = loadavg()[0] ?? 0;
  const byCase = list.map(() => [] as number[]);
  runs.forEach((run, j) => {
    const i = order[j] as number;
    if (run.code !== 0) throw new Error(`${(list[i] as Case).argv.join(' ')} exited ${String(run.code)}`);
    (byCase[i] as number[]).push(run.cpuMs);
  });
  const base = byCase[0] as number[];
  console.log(`\nNode ${version} (${node}), ${String(rounds)} rounds, load average ${before.toFixed(1)} → ${after.toFixed(1)}`);
  console.log('case                          CPU ms median (p25–p75)   × node -e 0: median  p25–p75      min–max');
  list.forEach((c, i) => {
    const s = byCase[i] as number[];
    const cpu = `${quantile(s, 0.5).toFixed(1).padStart(6)} (${quantile(s, 0.25).toFixed(1)}–${quantile(s, 0.75).toFixed(1)})`;
    let ratio = '';
    if (i > 0) {
      const r = s.map((x, k) => x / (base[k] as number));
      ratio = `${quantile(r, 0.5).toFixed(2).padStart(6)}  ${quantile(r, 0.25).toFixed(2)}–${quantile(r, 0.75).toFixed(2)}  ${quantile(r, 0).toFixed(2)}–${quantile(r, 1).toFixed(2)}`;
    }
    console.log(`${c.name.padEnd(29)} ${cpu.padEnd(25)} ${ratio}`);
  });
  // Variant v, command line j is case 1 + v * lines.length + j; variant 1 (the single file) is compared with each other.
  const at = (v: number, j: number): number[] => byCase[1 + v * lines.length + j] as number[];
  for (let w = 0; w < variants.length; w++) {
    if (w === 1) continue;
    console.log(`${(variants[1] as readonly [string, string])[0]} / ${(variants[w] as readonly [string, string])[0]}, paired:`.padEnd(33) + 'median  p25–p75      min–max');
    lines.forEach((args, j) => {
      const p = at(w, j);
      const r = at(1, j).map((x, k) => x / (p[k] as number));
      const name = short(args);
      console.log(`  ${name.padEnd(29)} ${quantile(r, 0.5).toFixed(2).padStart(6)}  ${quantile(r, 0.25).toFixed(2)}–${quantile(r, 0.75).toFixed(2)}  ${quantile(r, 0).toFixed(2)}–${quantile(r, 1).toFixed(2)}`);
    });
  }
}

async function main(): Promise<void> {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(name);
    return i === -1 ? undefined : process.argv[i + 1];
  };
  const rounds = Number(arg('--rounds') ?? '40');
  const nodes = (arg('--node') ?? process.execPath).split(',');
  for (const n of nodes) if (!existsSync(n)) throw new Error(`no such Node binary: ${n}`);
  const python = havePython();
  console.log(`start-up, whole processes: CPU (user+sys) ${python ? 'from os.wait4 (python3 runner)' : 'from /usr/bin/time (10 ms steps: no python3)'}`);
  const lines = commandLines(process.argv.includes('--commands'));
  const before = arg('--before');
  if (before !== undefined && !existsSync(before)) throw new Error(`no such file: ${before}`);
  const dir = mkdtempSync(join(tmpdir(), 'tuf-ceremony-startup-'));
  try {
    const variants: [string, string][] = [['package', BIN]];
    let above: string | null = null;
    for (let d = dir; d !== dirname(d) && above === null; d = dirname(d)) if (existsSync(join(d, 'node_modules'))) above = d;
    if (above !== null) console.log(`  (${above} holds node_modules: the single file is not measured)`);
    else variants.push(['single file', await buildSingleFileOnly(join(dir, 'now'))]);
    if (before !== undefined && above === null) {
      mkdirSync(join(dir, 'before'));
      copyFileSync(before, join(dir, 'before', SINGLE_FILE_NAME));
      variants.push(['before', join(dir, 'before', SINGLE_FILE_NAME)]);
    }
    for (const node of nodes) bench(node, variants, lines, rounds, python);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
