// SPDX-License-Identifier: Apache-2.0
/**
 * Whole-process benchmark: what users run. For targets.json
 * files of 100,000 and 1,000,000 targets, written with sorted keys (as this
 * tool and python-tuf write) and unsorted (as tuf-js and go-tuf write):
 *
 * - `tuf-ceremony verify DIR` (root, timestamp, snapshot, targets, 16,384
 *   bins delegated and looked for), a real process;
 * - a `JSON.parse` process of the same targets.json
 *   (`JSON.parse(readFileSync(f, 'utf8'))`): the floor;
 * - python-tuf (`../shared/vendor/python-tuf`, or PYTHON_TUF_PATH; skipped
 *   when absent): `Metadata.from_bytes` of each file and `verify_delegate`
 *   down the chain, the peer.
 *
 * The three run back to back in each round (paired: the same machine load),
 * CPU time (user + sys) and peak RSS from /usr/bin/time; ratios per round,
 * then their range (start-up is bench/startup.ts). Prints figures and the
 * load average; asserts nothing.
 *
 *   node build/bench/process.js [--sizes 100000,1000000] [--rounds N] [--large-rounds N]
 *
 * (--rounds for sizes below 1,000,000, default 3; --large-rounds from
 * 1,000,000, default 1.)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scaleRepo, type KeyOrder } from './scale-data.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'tuf-ceremony.js');
const AT = '2026-01-01T00:00:00Z';

const PY_VERIFY = `
import sys
from tuf.api.metadata import Metadata
d = sys.argv[1]
def load(n):
    with open(d + "/" + n, "rb") as f:
        return Metadata.from_bytes(f.read())
root = load("root.json")
root.verify_delegate("root", root)
for role in ("timestamp", "snapshot", "targets"):
    root.verify_delegate(role, load(role + ".json"))
`;

interface Sample {
  readonly cpuS: number;
  readonly rssMiB: number;
  readonly ok: boolean;
}

/** Runs a command under /usr/bin/time: CPU seconds (user + sys) and peak RSS. */
function measure(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Sample {
  const r = spawnSync('/usr/bin/time', ['-f', '@@ %U %S %M', cmd, ...args], { env, encoding: 'utf8', maxBuffer: 1 << 30 });
  const m = /@@ ([\d.]+) ([\d.]+) (\d+)\s*$/.exec(r.stderr);
  if (m === null) throw new Error(`${cmd} ${args.join(' ')}: no timing (${r.stderr.slice(-300)})`);
  return { cpuS: Number(m[1]) + Number(m[2]), rssMiB: Number(m[3]) / 1024, ok: r.status === 0 };
}

function pythonEnv(): NodeJS.ProcessEnv | null {
  const path = process.env['PYTHON_TUF_PATH'] ?? join(ROOT, '..', 'shared', 'vendor', 'python-tuf');
  if (!existsSync(join(path, 'tuf'))) return null;
  return { ...process.env, PYTHONPATH: path, PYTHONDONTWRITEBYTECODE: '1' };
}

const range = (xs: readonly number[]): string => {
  const s = [...xs].sort((a, b) => a - b);
  const f = (x: number): string => x.toFixed(2);
  return s.length === 1 ? f(s[0] as number) : `${f(s[0] as number)}–${f(s[s.length - 1] as number)}`;
};
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

function verifyBench(sizes: readonly number[], rounds: number, largeRounds: number): void {
  const pyEnv = pythonEnv();
  if (pyEnv === null) console.log('python-tuf: not found (../shared/vendor/python-tuf or PYTHON_TUF_PATH): its column is skipped');
  console.log('\nverify, whole process: CPU s (user+sys), peak RSS; ratios paired per round: their range (median)');
  console.log('targets    order     file MB  verify s  JSON.parse s  python-tuf s  verify/JSON.parse  python-tuf/verify  verify RSS/file  JSON.parse RSS/file');
  for (const n of sizes) {
    for (const order of ['unsorted', 'sorted'] as KeyOrder[]) {
      const dir = scaleRepo(n, order, (s) => console.log(`  (${s})`));
      const file = join(dir, 'targets.json');
      const mb = statSync(file).size / 1e6;
      const v: Sample[] = [];
      const j: Sample[] = [];
      const p: Sample[] = [];
      const r = n >= 1_000_000 ? largeRounds : rounds;
      for (let i = 0; i < r; i++) {
        v.push(measure(process.execPath, [BIN, 'verify', dir, '--at', AT]));
        j.push(measure(process.execPath, ['-e', 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))', file]));
        if (pyEnv !== null) p.push(measure('/usr/bin/python3', ['-c', PY_VERIFY, dir], pyEnv));
      }
      if (!v.every((s) => s.ok)) console.log(`  verify FAILED on ${dir}`);
      if (!p.every((s) => s.ok)) console.log(`  python-tuf FAILED on ${dir}`);
      const vj = v.map((s, i) => s.cpuS / (j[i] as Sample).cpuS);
      const pv = p.map((s, i) => s.cpuS / (v[i] as Sample).cpuS);
      console.log(
        [
          n.toLocaleString('en-US').padEnd(10),
          order.padEnd(9),
          mb.toFixed(0).padStart(7),
          median(v.map((s) => s.cpuS)).toFixed(2).padStart(9),
          median(j.map((s) => s.cpuS)).toFixed(2).padStart(13),
          (p.length > 0 ? median(p.map((s) => s.cpuS)).toFixed(2) : '-').padStart(13),
          `${range(vj)} (${median(vj).toFixed(2)})`.padStart(18),
          (pv.length > 0 ? `${range(pv)} (${median(pv).toFixed(2)})` : '-').padStart(18),
          (median(v.map((s) => s.rssMiB)) / (mb / 1.048576)).toFixed(2).padStart(16),
          (median(j.map((s) => s.rssMiB)) / (mb / 1.048576)).toFixed(2).padStart(20),
        ].join(' ')
      );
    }
  }
}

function main(): void {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(name);
    return i === -1 ? undefined : process.argv[i + 1];
  };
  const sizes = (arg('--sizes') ?? '100000,1000000').split(',').map(Number);
  const rounds = Number(arg('--rounds') ?? '3');
  const largeRounds = Number(arg('--large-rounds') ?? '1');
  console.log(`load average at start: ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  verifyBench(sizes, rounds, largeRounds);
  console.log(`load average at end: ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
}

main();
