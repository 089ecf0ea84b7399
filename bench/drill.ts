// SPDX-License-Identifier: Apache-2.0
/**
 * Drill benchmark: the full `tuf-ceremony drill
 * --scenario pep458` (3 keyholders, threshold 2, all 16,384 hash bins
 * published with 160,000 targets, tuf-js and python-tuf as clients), wall
 * time and peak RSS,
 * against two peers measured in the same run on the same data: our
 * `verify` of the drill's repository (DIR/metadata), and tuf-js alone
 * updating from 1.root.json and downloading the target from it (served on
 * loopback, as in the drill's last step). Prints figures; asserts nothing.
 *
 *   node build/bench/drill.js [--runs N]
 *
 * Each measurement runs in a fresh child process (this file with
 * `--child KIND DIR`): the wall time is taken inside the child around the
 * operation, and also by the parent around the whole process (Node start-up
 * and module loading included); peak RSS is the child's
 * `process.resourceUsage().maxRSS` at the end. A child that only loads the
 * CLI gives the floor. Each run makes a fresh drill directory; the peers
 * then run on it, and the ratios are taken per run (paired), then the
 * median across runs. Results also go to `.bench-data/drill-results.json`.
 */
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Io } from '../src/cli/io.js';
import { DATA_DIR } from './data.js';

type Kind = 'floor' | 'drill' | 'verify' | 'client';

/** What a child reports: times in ms, memory in KiB. */
interface ChildResult {
  readonly kind: Kind;
  readonly ok: boolean;
  readonly ms: number;
  readonly peakRssKiB: number;
  readonly steps?: readonly { readonly name: string; readonly ms: number }[];
  readonly note: string;
}

const TARGET = 'packages/drill/drill-1.0.txt';

/** An Io for an in-process command: output kept, the real clock (the drill's expiries and tuf-js's must agree). */
function quietIo(cwd: string): { io: Io; out: () => string } {
  let stdout = '';
  const io: Io = {
    stdout: (t) => (stdout += t),
    stderr: () => undefined,
    // python-tuf for the drill's second client: PYTHON_TUF_PATH, else the vendored release beside the repository.
    env: { PYTHON_TUF_PATH: process.env['PYTHON_TUF_PATH'] ?? fileURLToPath(new URL('../../../shared/vendor/python-tuf', import.meta.url)) },
    now: () => Date.now(),
    isTTY: false,
    cwd,
    prompter: null,
  };
  return { io, out: () => stdout };
}

async function runChild(kind: Kind, dir: string): Promise<ChildResult> {
  const { main } = await import('../src/cli/main.js');
  const t0 = performance.now();
  let ok = true;
  let note = '';
  let steps: { name: string; ms: number }[] | undefined;
  switch (kind) {
    case 'floor':
      break;
    case 'drill': {
      const { io, out } = quietIo(dir);
      const code = await main(['--json', 'drill', '--scenario', 'pep458', '--out', join(dir, 'drill')], io);
      const doc = JSON.parse(out()) as { ok: boolean; steps: { name: string; ms: number }[]; clientRootVersion: number };
      ok = code === 0 && doc.ok;
      steps = doc.steps.map((s) => ({ name: s.name, ms: s.ms }));
      note = `client at root v${String(doc.clientRootVersion)}`;
      break;
    }
    case 'verify': {
      const { io, out } = quietIo(dir);
      const code = await main(['--json', 'verify', join(dir, 'drill', 'metadata')], io);
      const doc = JSON.parse(out()) as { ok: boolean; steps: { kind: string; bins?: { count: number; present: number } }[] };
      ok = code === 0 && doc.ok;
      const bins = doc.steps.find((s) => s.kind === 'bins')?.bins;
      note = `${String(doc.steps.length)} steps; bins ${String(bins?.count)} delegated, ${String(bins?.present)} present`;
      break;
    }
    case 'client': {
      const { checkClient } = await import('../src/drill/client.js');
      const repo = join(dir, 'drill');
      const r = await checkClient({
        repository: repo,
        trustedRoot: readFileSync(join(repo, 'metadata', '1.root.json')),
        targetPath: TARGET,
        expected: readFileSync(join(repo, 'release', 'drill-1.0.txt')),
        clientDir: mkdtempSync(join(dir, 'client-')),
      });
      ok = r.ok;
      note = `${String(r.requests.length)} requests${r.problem === null ? '' : `; ${r.problem}`}`;
      break;
    }
  }
  const ms = performance.now() - t0;
  return { kind, ok, ms, peakRssKiB: process.resourceUsage().maxRSS, ...(steps === undefined ? {} : { steps }), note };
}

function spawnChild(kind: Kind, dir: string): Promise<ChildResult & { processMs: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--child', kind, dir], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: ChildResult | undefined;
    child.on('message', (m) => {
      result = m as ChildResult;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (result === undefined) reject(new Error(`${kind}: the child exited ${String(code)} without a result`));
      else resolve({ ...result, processMs: performance.now() - t0 });
    });
  });
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

const mib = (kib: number): string => (kib / 1024).toFixed(0);
const fmt = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));

async function parent(): Promise<void> {
  const runsArg = process.argv.indexOf('--runs');
  // One run by default: the full drill has tuf-js read a 16,385-entry snapshot (minutes; docs/drill.md).
  const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 1;
  const work = mkdtempSync(join(tmpdir(), 'tuf-ceremony-bench-drill-'));
  const all: (ChildResult & { processMs: number; run: number })[] = [];
  const t0 = performance.now();
  try {
    for (let run = 0; run < runs; run++) {
      const dir = join(work, `run-${String(run)}`);
      mkdirSync(dir);
      for (const kind of ['floor', 'drill', 'verify', 'client'] as const) {
        const r = await spawnChild(kind, dir);
        if (!r.ok) throw new Error(`${kind} (run ${String(run + 1)}) failed: ${r.note}`);
        all.push({ ...r, run });
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const of = (kind: Kind): (ChildResult & { processMs: number; run: number })[] => all.filter((r) => r.kind === kind);
  const perRun = (a: Kind, b: Kind, f: (r: ChildResult & { processMs: number }) => number): number =>
    median(of(a).map((x, i) => f(x) / f(of(b)[i] as ChildResult & { processMs: number })));
  const rows: [string, Kind][] = [
    ['floor: a child that only loads the CLI', 'floor'],
    ['drill --scenario pep458 (16,384 bins)', 'drill'],
    ['peer: tuf-ceremony verify DIR/metadata', 'verify'],
    ['peer: tuf-js refresh from 1.root.json + download (loopback)', 'client'],
  ];
  const out: string[] = [];
  out.push(`drill benchmark: ${String(runs)} runs, ${cpus()[0]?.model ?? 'cpu'} × ${String(cpus().length)}, Node ${process.version}, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  out.push('measurement                                                   in child ms   process ms   peak RSS MiB   note');
  for (const [label, kind] of rows) {
    const rs = of(kind);
    out.push(
      `${label.padEnd(60)}  ${fmt(median(rs.map((r) => r.ms))).padStart(11)}  ${fmt(median(rs.map((r) => r.processMs))).padStart(11)}  ${mib(median(rs.map((r) => r.peakRssKiB))).padStart(13)}   ${rs[0]?.note ?? ''}`
    );
  }
  out.push(
    `ratios (per run, median): drill / verify ${perRun('drill', 'verify', (r) => r.ms).toFixed(1)}× in child, ${perRun('drill', 'verify', (r) => r.processMs).toFixed(1)}× per process; ` +
      `drill / tuf-js ${perRun('drill', 'client', (r) => r.ms).toFixed(1)}× in child, ${perRun('drill', 'client', (r) => r.processMs).toFixed(1)}× per process; ` +
      `peak RSS drill / verify ${perRun('drill', 'verify', (r) => r.peakRssKiB).toFixed(2)}×, drill / tuf-js ${perRun('drill', 'client', (r) => r.peakRssKiB).toFixed(2)}×`
  );
  const names = of('drill')[0]?.steps?.map((s) => s.name) ?? [];
  out.push('drill steps, median ms: ' + names.map((n) => `${n} ${fmt(median(of('drill').map((r) => r.steps?.find((s) => s.name === n)?.ms ?? 0)))}`).join(', '));
  out.push(`total ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  console.log(out.join('\n'));
  mkdirSync(DATA_DIR, { recursive: true });
  writeFileSync(join(DATA_DIR, 'drill-results.json'), JSON.stringify({ when: new Date().toISOString(), runs: all }, null, 2) + '\n');
}

const childAt = process.argv.indexOf('--child');
if (childAt > 0) {
  const result = await runChild(process.argv[childAt + 1] as Kind, process.argv[childAt + 2] as string);
  process.send?.(result, () => process.disconnect());
} else {
  await parent();
}
