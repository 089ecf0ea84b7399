// SPDX-License-Identifier: Apache-2.0
/**
 * PEP 458-scale benchmark: prints figures, asserts nothing.
 *
 *   npm run bench                 # build, generate data if needed, run everything
 *   node --expose-gc build/bench/run.js --regen        # rebuild .bench-data first
 *   node --expose-gc build/bench/run.js --only=a,b     # only these measurement ids
 *
 * Each measurement runs in a fresh child process (this file with `--child
 * ID`): it loads its inputs, runs the operation once (warm-up; the process's
 * peak RSS right after it is the memory figure), then times `reps` more runs
 * with a GC before each and reports the median. Ratios are against
 * TextDecoder + JSON.parse of the same bytes, measured in the same run.
 * Results go to stdout and to .bench-data/results.json.
 */
import { fork } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  BIN_BITS,
  DISTINCT_KEYS,
  RESULTS_FILE,
  ROOT_KEYS,
  ROOT_THRESHOLD,
  ROOT_VERSIONS,
  SMALL_SIZES,
  TARGET_COUNT,
  ensureData,
  targetsFile,
} from './data.js';
import { MEASURES, findMeasure, type RunInfo } from './measures.js';

/** What a child reports. Times in ms, memory in KiB. */
interface ChildResult {
  readonly id: string;
  readonly reps: number;
  readonly firstMs: number;
  readonly times: readonly number[];
  readonly medianMs: number;
  readonly minMs: number;
  readonly parts: Readonly<Record<string, number>>;
  /** Per repetition: reference operations timed right after the measured one. */
  readonly paired: Readonly<Record<string, readonly number[]>>;
  readonly note: string;
  /** maxRSS after loading the inputs, before the first run. */
  readonly inputsRssKiB: number;
  /** maxRSS right after the first run. */
  readonly peakRssKiB: number;
  /** maxRSS at the end of all runs. */
  readonly endRssKiB: number;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

// ---------------------------------------------------------------- child ---

function runChild(id: string): void {
  const m = findMeasure(id);
  if (m === undefined) throw new Error(`unknown measurement ${id}`);
  const prepared = m.prepare();
  const op = typeof prepared === 'function' ? prepared : prepared.run;
  const pairedOps = typeof prepared === 'function' ? {} : prepared.paired;
  gc?.();
  const inputsRssKiB = process.resourceUsage().maxRSS;
  let t = performance.now();
  const first: RunInfo = op();
  const firstMs = performance.now() - t;
  const peakRssKiB = process.resourceUsage().maxRSS;
  const times: number[] = [];
  const partTimes: Record<string, number[]> = {};
  const paired: Record<string, number[]> = {};
  for (let i = 0; i < m.reps; i++) {
    gc?.();
    t = performance.now();
    const info = op();
    times.push(performance.now() - t);
    for (const [k, v] of Object.entries(info.parts ?? {})) (partTimes[k] ??= []).push(v);
    for (const [k, f] of Object.entries(pairedOps)) {
      gc?.();
      t = performance.now();
      f();
      (paired[k] ??= []).push(performance.now() - t);
    }
  }
  const parts: Record<string, number> = {};
  for (const [k, v] of Object.entries(partTimes)) parts[k] = median(v);
  const result: ChildResult = {
    id,
    reps: m.reps,
    firstMs,
    times,
    medianMs: median(times),
    minMs: Math.min(...times),
    parts,
    paired,
    note: first.note ?? '',
    inputsRssKiB,
    peakRssKiB,
    endRssKiB: process.resourceUsage().maxRSS,
  };
  if (process.send === undefined) {
    console.log(JSON.stringify(result));
    return;
  }
  process.send(result, () => process.disconnect());
}

function spawnChild(id: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--child', id], {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: ChildResult | undefined;
    child.on('message', (msg) => {
      result = msg as ChildResult;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (result !== undefined) resolve(result);
      else reject(new Error(`measurement ${id} failed (exit ${String(code)}${signal === null ? '' : `, ${signal}`})`));
    });
  });
}

// --------------------------------------------------------------- parent ---

const fmtInt = (n: number): string => n.toLocaleString('en-US');

function fmtMs(ms: number | undefined): string {
  if (ms === undefined) return '-';
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  return ms.toFixed(2);
}

const mib = (kib: number): string => (kib / 1024).toFixed(0);

function pad(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
}

interface Row {
  readonly label: string;
  readonly id: string;
  /** The JSON.parse floor this row is divided by. */
  readonly floor?: string;
  /** A peer implementation doing the same work. */
  readonly peer?: string;
}

const MAIN_ROWS: readonly Row[] = [
  { label: 'baseline child: only reads the 100k-target file', id: 'baseline' },
  { label: 'floor: TextDecoder + JSON.parse, 100k targets', id: 'floor-100000', floor: 'floor-100000' },
  { label: 'parseJson (strict reader), 100k', id: 'parseJson-100000', floor: 'floor-100000' },
  { label: 'parseMetadata, 100k', id: 'parseMetadata-100000', floor: 'floor-100000' },
  { label: 'full verify: parseMetadata + verifyWithRoot, 100k', id: 'verify-targets-100000', floor: 'floor-100000' },
  { label: 'canonicalize (ours), signed of 100k', id: 'canonicalize-ours', floor: 'floor-100000', peer: 'canonicalize-tufjs' },
  { label: 'canonicalize (@tufjs/canonical-json), same object', id: 'canonicalize-tufjs', floor: 'floor-100000' },
  { label: `floor: JSON.parse of ${fmtInt(DISTINCT_KEYS)} key objects`, id: 'floor-keys', floor: 'floor-keys' },
  { label: `computeKeyId x ${fmtInt(DISTINCT_KEYS)} keys (ours)`, id: 'keyid-ours', floor: 'floor-keys', peer: 'keyid-tufjs' },
  { label: `sha256(tuf-js canonicalize) x ${fmtInt(DISTINCT_KEYS)} keys`, id: 'keyid-tufjs', floor: 'floor-keys' },
  { label: `floor: read + JSON.parse ${String(ROOT_VERSIONS)} root files`, id: 'floor-roots', floor: 'floor-roots' },
  { label: 'computeKeyId x every key of the root chain', id: 'keyid-roots', floor: 'floor-roots' },
  { label: `verifyRepository: ${String(ROOT_VERSIONS)}-version root chain`, id: 'verify-roots', floor: 'floor-roots' },
  { label: 'floor: read + JSON.parse every repo file', id: 'floor-repo', floor: 'floor-repo' },
  { label: 'verifyRepository: whole repo (chain+ts+snap+100k)', id: 'verify-repo', floor: 'floor-repo' },
];

const TUFJS_SIZES = [1_000, 5_000] as const;
const SCALE_SIZES = [...SMALL_SIZES, TARGET_COUNT] as const;

function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined || b === 0 ? undefined : a / b;
}

const fmtRatio = (r: number | undefined): string => (r === undefined ? '-' : `${r.toFixed(2)}x`);

function fmtPeer(ours: number | undefined, peer: number | undefined): string {
  const r = ratio(peer, ours);
  if (r === undefined) return '-';
  return r >= 1 ? `${r.toFixed(2)}x faster` : `${(1 / r).toFixed(2)}x slower`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const only = args.find((a) => a.startsWith('--only='))?.slice(7).split(',');
  const log = (s: string): void => {
    process.stderr.write(s + '\n');
  };
  const started = Date.now();
  const loadBefore = loadavg();
  const t0 = performance.now();
  const generated = ensureData(args.includes('--regen'), (s) => log(`generating ${s}`));
  const genMs = performance.now() - t0;
  log(generated ? `data generated in ${(genMs / 1000).toFixed(1)} s` : 'data reused from .bench-data (use --regen to rebuild)');

  const selected = MEASURES.filter((m) => only === undefined || only.includes(m.id));
  const results = new Map<string, ChildResult>();
  const failed: string[] = [];
  for (const [i, m] of selected.entries()) {
    let r: ChildResult | undefined;
    // One retry: a child that fails to load (say, build/ rewritten under it) is run again.
    for (let attempt = 1; attempt <= 2 && r === undefined; attempt++) {
      try {
        r = await spawnChild(m.id);
      } catch (e) {
        log(`${m.id}: ${e instanceof Error ? e.message : String(e)}${attempt === 1 ? ', retrying' : ''}`);
      }
    }
    if (r === undefined) {
      failed.push(m.id);
      continue;
    }
    results.set(m.id, r);
    log(`[${String(i + 1)}/${String(selected.length)}] ${m.id}: median ${fmtMs(r.medianMs)} ms, peak RSS ${mib(r.peakRssKiB)} MiB ${r.note}`);
  }
  const loadAfter = loadavg();
  const med = (id: string): number | undefined => results.get(id)?.medianMs;
  const part = (id: string, p: string): number | undefined => results.get(id)?.parts[p];

  const cpu = cpus();
  const machine = {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpu: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    totalMemoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    loadAverage1mBefore: Number(loadBefore[0]?.toFixed(2)),
    loadAverage1mAfter: Number(loadAfter[0]?.toFixed(2)),
  };
  const bigBytes = statSync(targetsFile(TARGET_COUNT)).size;

  const out: string[] = [];
  out.push('tuf-ceremony benchmark (figures only; nothing is asserted)');
  out.push(
    `machine: ${machine.cpu}, ${String(machine.cores)} cores, ${String(machine.totalMemoryGiB)} GiB RAM, ${machine.platform}, node ${machine.node}`
  );
  out.push(`load average (1 min) before/after: ${String(machine.loadAverage1mBefore)} / ${String(machine.loadAverage1mAfter)}`);
  out.push(
    `data: targets.json ${(bigBytes / 1e6).toFixed(1)} MB, ${fmtInt(TARGET_COUNT)} targets + ${fmtInt(2 ** BIN_BITS)}-bin succinct delegation; ` +
      `root chain ${String(ROOT_VERSIONS)} versions, ${String(ROOT_KEYS)} keys, threshold ${String(ROOT_THRESHOLD)}; all Ed25519`
  );
  out.push('time: median of the timed runs after one warm-up run; peak RSS: the child process right after its first run');
  out.push('');

  const widths = [52, 10, 10, 10, 15, 9, 9];
  out.push(pad(['measurement', 'median ms', 'min ms', 'vs floor', 'vs peer', 'peak MiB', '+inputs'], widths));
  out.push('-'.repeat(widths.reduce((a, b) => a + b + 2, -2)));
  const rowsJson: unknown[] = [];
  for (const row of MAIN_ROWS) {
    const r = results.get(row.id);
    if (r === undefined) continue;
    const vsFloor = row.floor === undefined ? undefined : ratio(r.medianMs, med(row.floor));
    const isBaseline = row.id === 'baseline';
    out.push(
      pad(
        [
          row.label,
          isBaseline ? '-' : fmtMs(r.medianMs),
          isBaseline ? '-' : fmtMs(r.minMs),
          fmtRatio(vsFloor),
          row.peer === undefined ? '' : fmtPeer(r.medianMs, med(row.peer)),
          mib(r.peakRssKiB),
          mib(r.peakRssKiB - r.inputsRssKiB),
        ],
        widths
      )
    );
    rowsJson.push({
      label: row.label,
      ...r,
      vsFloor,
      peer: row.peer,
      peerSpeedup: row.peer === undefined ? undefined : ratio(med(row.peer), r.medianMs),
    });
  }
  out.push('(+inputs: peak RSS minus the RSS after loading the inputs, i.e. what the operation itself added)');
  out.push('');

  // Goals.
  const min = (id: string): number | undefined => results.get(id)?.minMs;
  /** Median over repetitions of (measured / paired reference), both timed in one child. */
  const pairedRatio = (id: string, ref: string, invert: boolean): number | undefined => {
    const r = results.get(id);
    const refs = r?.paired[ref];
    if (r === undefined || refs === undefined || refs.length !== r.times.length) return undefined;
    return median(r.times.map((x, i) => (invert ? (refs[i] as number) / x : x / (refs[i] as number))));
  };
  const verifyRatio = ratio(med('verify-targets-100000'), med('floor-100000'));
  const verifyRatioMin = ratio(min('verify-targets-100000'), min('floor-100000'));
  const canonSpeedup = ratio(med('canonicalize-tufjs'), med('canonicalize-ours'));
  const canonSpeedupMin = ratio(min('canonicalize-tufjs'), min('canonicalize-ours'));
  const verifyPaired = pairedRatio('verify-targets-100000', 'floor', false);
  const canonPaired = pairedRatio('canonicalize-ours', 'tufjs', true);
  const verifyJudged = verifyPaired ?? verifyRatio;
  const canonJudged = canonPaired ?? canonSpeedup;
  const onMins = (fastest: number | undefined, paired: number | undefined, unit: string): string => {
    const bits: string[] = [];
    if (fastest !== undefined) bits.push(`fastest runs: ${fastest.toFixed(2)}x ${unit}`);
    if (paired !== undefined) bits.push(`paired in one process: ${paired.toFixed(2)}x ${unit}`);
    return bits.length === 0 ? '' : ` (${bits.join('; ')})`;
  };
  const goals = [
    {
      goal: 'full verify of the 100,000-target file within 2.5x JSON.parse',
      measured: verifyRatio,
      measuredOnMinimums: verifyRatioMin,
      measuredPaired: verifyPaired,
      text: verifyRatio === undefined ? 'not measured' : `medians ${verifyRatio.toFixed(2)}x JSON.parse${onMins(verifyRatioMin, verifyPaired, 'JSON.parse')}`,
      met: verifyJudged === undefined ? undefined : verifyJudged <= 2.5,
    },
    {
      goal: 'canonical JSON at least 2x faster than @tufjs/canonical-json',
      measured: canonSpeedup,
      measuredOnMinimums: canonSpeedupMin,
      measuredPaired: canonPaired,
      text: canonSpeedup === undefined ? 'not measured' : `medians ${canonSpeedup.toFixed(2)}x faster${onMins(canonSpeedupMin, canonPaired, 'faster')}`,
      met: canonJudged === undefined ? undefined : canonJudged >= 2,
    },
  ];
  out.push('goals (judged on the paired ratio: both operations timed alternately in one child, median of the per-run ratios;');
  out.push('       the ratio of medians across two children is shown first, and moves with the load on a shared machine):');
  for (const g of goals) {
    out.push(`  ${g.goal}: ${g.text} -> ${g.met === undefined ? '?' : g.met ? 'MET' : 'NOT MET'}`);
  }
  out.push('');

  // Scaling: ours at 1k..100k, tuf-js at 1k and 5k only.
  const sw = [9, 9, 9, 10, 10, 10, 8, 11, 11, 8];
  out.push('scaling, parse + verify of the targets file (ms; "per 1k" = total ms per 1,000 targets):');
  out.push(pad(['targets', 'MB', 'floor', 'ours parse', 'ours total', 'x floor', 'per 1k', 'tufjs parse', 'tufjs total', 'per 1k'], sw));
  out.push('-'.repeat(sw.reduce((a, b) => a + b + 2, -2)));
  const scaling: unknown[] = [];
  for (const n of SCALE_SIZES) {
    const ours = `verify-targets-${String(n)}`;
    const theirs = `tufjs-verify-targets-${String(n)}`;
    const hasTufjs = (TUFJS_SIZES as readonly number[]).includes(n);
    const oursTotal = med(ours);
    const theirsTotal = hasTufjs ? med(theirs) : undefined;
    const mb = statSync(targetsFile(n)).size / 1e6;
    out.push(
      pad(
        [
          fmtInt(n),
          mb.toFixed(1),
          fmtMs(med(`floor-${String(n)}`)),
          fmtMs(part(ours, 'parse')),
          fmtMs(oursTotal),
          fmtRatio(ratio(oursTotal, med(`floor-${String(n)}`))),
          oursTotal === undefined ? '-' : fmtMs((oursTotal / n) * 1000),
          hasTufjs ? fmtMs(part(theirs, 'parse')) : 'not run',
          hasTufjs ? fmtMs(theirsTotal) : 'not run',
          theirsTotal === undefined ? '-' : fmtMs((theirsTotal / n) * 1000),
        ],
        sw
      )
    );
    scaling.push({
      targets: n,
      bytes: statSync(targetsFile(n)).size,
      floorMs: med(`floor-${String(n)}`),
      ours: { parseMs: part(ours, 'parse'), verifyMs: part(ours, 'verify'), totalMs: oursTotal },
      tufjs: hasTufjs ? { parseMs: part(theirs, 'parse'), verifyMs: part(theirs, 'verify'), totalMs: theirsTotal } : null,
    });
  }
  out.push(
    'tuf-js (@tufjs/models Metadata.fromJSON, and verifyDelegate through toJSON) builds the targets map with an object spread per entry: quadratic.'
  );
  out.push('It is not run at 20,000 and 100,000 targets: that takes minutes (5,000 already takes seconds).');
  for (const n of TUFJS_SIZES) {
    const sp = ratio(part(`tufjs-verify-targets-${String(n)}`, 'parse'), part(`verify-targets-${String(n)}`, 'parse'));
    const st = ratio(med(`tufjs-verify-targets-${String(n)}`), med(`verify-targets-${String(n)}`));
    if (sp !== undefined && st !== undefined) {
      out.push(`  at ${fmtInt(n)} targets ours is ${sp.toFixed(1)}x faster to parse and ${st.toFixed(1)}x faster to parse + verify`);
    }
  }
  const s1 = med('verify-targets-1000');
  const s100 = med(`verify-targets-${String(TARGET_COUNT)}`);
  const t1 = med('tufjs-verify-targets-1000');
  const t5 = med('tufjs-verify-targets-5000');
  if (s1 !== undefined && s100 !== undefined) {
    out.push(`  ours, 1k -> 100k targets (100x the data): ${(s100 / s1).toFixed(0)}x the time`);
  }
  if (t1 !== undefined && t5 !== undefined) {
    out.push(`  tuf-js, 1k -> 5k targets (5x the data): ${(t5 / t1).toFixed(0)}x the time`);
  }
  const totalS = (Date.now() - started) / 1000;
  out.push('');
  if (failed.length > 0) out.push(`FAILED to measure: ${failed.join(', ')}`);
  out.push(`total ${totalS.toFixed(0)} s (data ${generated ? `generated in ${(genMs / 1000).toFixed(0)} s` : 'reused'}); results also in ${RESULTS_FILE}`);
  console.log(out.join('\n'));

  writeFileSync(
    RESULTS_FILE,
    JSON.stringify(
      {
        date: new Date(started).toISOString(),
        command: 'npm run bench',
        machine,
        data: {
          targets: TARGET_COUNT,
          targetsBytes: bigBytes,
          bins: 2 ** BIN_BITS,
          rootVersions: ROOT_VERSIONS,
          rootKeys: ROOT_KEYS,
          rootThreshold: ROOT_THRESHOLD,
          distinctKeys: DISTINCT_KEYS,
        },
        rows: rowsJson,
        goals,
        scaling,
        raw: Object.fromEntries(results),
        failed,
        totalSeconds: totalS,
      },
      null,
      2
    ) + '\n'
  );
}

const childAt = process.argv.indexOf('--child');
if (childAt !== -1) {
  runChild(process.argv[childAt + 1] ?? '');
} else {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
