// SPDX-License-Identifier: Apache-2.0
/**
 * What the benchmark measures. Each measurement runs in its own child
 * process: `prepare` loads the inputs (not timed), and the returned
 * operation is what is timed and whose memory peak is read.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalize as tufjsCanonicalize } from '@tufjs/canonical-json';
import { Metadata, MetadataKind } from '@tufjs/models';
import { canonicalize } from '../src/metadata/canonical.js';
import { parseJson } from '../src/metadata/json.js';
import { computeKeyId } from '../src/metadata/keys.js';
import type { Root } from '../src/metadata/model.js';
import { parseMetadata } from '../src/metadata/parse.js';
import { verifyWithRoot } from '../src/metadata/verify.js';
import { metadataDirSource } from '../src/store/metadata-dir.js';
import { verifyRepository } from '../src/verify/repository.js';
import {
  AT_MS,
  BIG_TARGETS,
  KEYS_FILE,
  REPO_DIR,
  ROOT_VERSIONS,
  ROOTS_DIR,
  SMALL_SIZES,
  TARGET_COUNT,
  rootFile,
  targetsFile,
} from './data.js';

/** What one run of an operation reports besides its time. */
export interface RunInfo {
  /** Sub-timings in milliseconds, measured inside the operation. */
  readonly parts?: Readonly<Record<string, number>>;
  /** A short fact about the result, to show the run did the full work. */
  readonly note?: string;
}

export type Operation = () => RunInfo;

/**
 * An operation plus reference operations timed right after it in each
 * repetition, in the same process: their per-repetition ratios are not
 * thrown off by load that comes and goes between child processes.
 */
export interface PairedOperation {
  readonly run: Operation;
  readonly paired: Readonly<Record<string, () => unknown>>;
}

export interface Measure {
  readonly id: string;
  /** Timed repetitions after the first run (the warm-up, which is also the memory run). */
  readonly reps: number;
  prepare(): Operation | PairedOperation;
}

const decoder = new TextDecoder();

/** The floor: what any JSON reader must at least do. */
function jsonParse(bytes: Uint8Array): unknown {
  return JSON.parse(decoder.decode(bytes));
}

function repsFor(targets: number): number {
  // The goal ratio is verify-targets-100000 over floor-100000: most runs there.
  if (targets >= TARGET_COUNT) return 9;
  if (targets >= 20_000) return 7;
  return 15;
}

function readRoot(): Root {
  return parseMetadata(readFileSync(rootFile(ROOT_VERSIONS)), `${String(ROOT_VERSIONS)}.root.json`, 'root').signed;
}

function readAll(dir: string): Uint8Array[] {
  return readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .sort()
    .map((n) => readFileSync(join(dir, n)));
}

function countKeys(v: unknown): number {
  return Object.keys(v as object).length;
}

const measures: Measure[] = [];
const add = (m: Measure): void => {
  measures.push(m);
};

add({
  id: 'baseline',
  reps: 1,
  prepare() {
    const bytes = readFileSync(BIG_TARGETS);
    return () => ({ note: `${String(bytes.length)} bytes loaded` });
  },
});

// Floors: TextDecoder + JSON.parse of the very bytes the other rows read.
for (const n of [...SMALL_SIZES, TARGET_COUNT]) {
  add({
    id: `floor-${String(n)}`,
    reps: repsFor(n),
    prepare() {
      const bytes = readFileSync(targetsFile(n));
      return () => ({ note: `${String(countKeys((jsonParse(bytes) as { signed: { targets: object } }).signed.targets))} targets` });
    },
  });
}

add({
  id: 'parseJson-100000',
  reps: 7,
  prepare() {
    const bytes = readFileSync(BIG_TARGETS);
    return () => {
      parseJson(bytes, '1.targets.json');
      return {};
    };
  },
});

add({
  id: 'parseMetadata-100000',
  reps: 7,
  prepare() {
    const bytes = readFileSync(BIG_TARGETS);
    return () => ({ note: `${String(parseMetadata(bytes, '1.targets.json', 'targets').signedBytes.length)} canonical bytes` });
  },
});

// Parse and verify the targets file: ours at every size, tuf-js only where
// its quadratic Metadata.fromJSON finishes in seconds.
for (const n of [...SMALL_SIZES, TARGET_COUNT]) {
  add({
    id: `verify-targets-${String(n)}`,
    reps: repsFor(n),
    prepare() {
      const bytes = readFileSync(targetsFile(n));
      const root = readRoot();
      const run: Operation = () => {
        const t0 = performance.now();
        const md = parseMetadata(bytes, 'targets.json', 'targets');
        const t1 = performance.now();
        const r = verifyWithRoot(root, 'targets', md);
        const t2 = performance.now();
        return { parts: { parse: t1 - t0, verify: t2 - t1 }, note: `threshold met: ${String(r.met)}` };
      };
      return n === TARGET_COUNT ? { run, paired: { floor: () => jsonParse(bytes) } } : run;
    },
  });
}

for (const n of [1_000, 5_000]) {
  add({
    id: `tufjs-verify-targets-${String(n)}`,
    reps: n >= 5_000 ? 2 : 10,
    prepare() {
      const bytes = readFileSync(targetsFile(n));
      const root = Metadata.fromJSON(MetadataKind.Root, jsonParse(readFileSync(rootFile(ROOT_VERSIONS))) as Record<string, never>);
      return () => {
        const t0 = performance.now();
        const md = Metadata.fromJSON(MetadataKind.Targets, jsonParse(bytes) as Record<string, never>);
        const t1 = performance.now();
        // Throws when the threshold is not met.
        root.verifyDelegate('targets', md);
        const t2 = performance.now();
        return { parts: { parse: t1 - t0, verify: t2 - t1 }, note: `verified ${String(Object.keys(md.signed.targets).length)} targets` };
      };
    },
  });
}

// Canonical JSON of the parsed `signed` object of the 100,000-target file.
function parsedSigned(): unknown {
  return (jsonParse(readFileSync(BIG_TARGETS)) as { signed: unknown }).signed;
}
add({
  id: 'canonicalize-ours',
  reps: 11,
  prepare() {
    const signed = parsedSigned();
    return {
      run: () => ({ note: `${String(canonicalize(signed).length)} chars` }),
      paired: { tufjs: () => tufjsCanonicalize(signed) },
    };
  },
});
add({
  id: 'canonicalize-tufjs',
  reps: 7,
  prepare() {
    const signed = parsedSigned();
    return () => ({ note: `${String(tufjsCanonicalize(signed).length)} chars` });
  },
});

// Key IDs: 16,384 distinct key objects, and every key of the root chain.
function keyObjects(): unknown[] {
  return Object.values(jsonParse(readFileSync(KEYS_FILE)) as Record<string, unknown>);
}
add({
  id: 'floor-keys',
  reps: 10,
  prepare() {
    const bytes = readFileSync(KEYS_FILE);
    return () => ({ note: `${String(countKeys(jsonParse(bytes)))} keys` });
  },
});
add({
  id: 'keyid-ours',
  reps: 10,
  prepare() {
    const keys = keyObjects();
    return () => {
      let x = 0;
      for (const k of keys) x ^= computeKeyId(k).charCodeAt(0);
      return { note: `${String(keys.length)} key IDs (${String(x)})` };
    };
  },
});
add({
  id: 'keyid-tufjs',
  reps: 10,
  prepare() {
    const keys = keyObjects();
    return () => {
      let x = 0;
      for (const k of keys) x ^= createHash('sha256').update(tufjsCanonicalize(k)).digest('hex').charCodeAt(0);
      return { note: `${String(keys.length)} key IDs (${String(x)})` };
    };
  },
});
add({
  id: 'keyid-roots',
  reps: 10,
  prepare() {
    const keys: unknown[] = [];
    for (let v = 1; v <= ROOT_VERSIONS; v++) {
      keys.push(...Object.values((jsonParse(readFileSync(rootFile(v))) as { signed: { keys: Record<string, unknown> } }).signed.keys));
    }
    return () => {
      let x = 0;
      for (const k of keys) x ^= computeKeyId(k).charCodeAt(0);
      return { note: `${String(keys.length)} key IDs (${String(x)})` };
    };
  },
});

// The root chain alone: 100 versions, 99 rotations.
add({
  id: 'floor-roots',
  reps: 10,
  prepare() {
    return () => {
      const files = readAll(ROOTS_DIR);
      for (const b of files) jsonParse(b);
      return { note: `${String(files.length)} files read and parsed` };
    };
  },
});
add({
  id: 'verify-roots',
  reps: 10,
  prepare() {
    return () => {
      const report = verifyRepository(metadataDirSource(ROOTS_DIR), { atMs: AT_MS });
      return { note: `ok: ${String(report.ok)}, final root v${String(report.finalRoot?.version)}` };
    };
  },
});

// The whole repository: root chain, timestamp, snapshot, 100,000 targets,
// 16,384 bins looked for (none present).
add({
  id: 'floor-repo',
  reps: 5,
  prepare() {
    return () => {
      const files = readAll(REPO_DIR);
      for (const b of files) jsonParse(b);
      return { note: `${String(files.length)} files read and parsed` };
    };
  },
});
add({
  id: 'verify-repo',
  reps: 5,
  prepare() {
    return () => {
      const report = verifyRepository(metadataDirSource(REPO_DIR), { atMs: AT_MS });
      const failed = report.failures.length;
      return { note: `ok: ${String(report.ok)}, ${String(report.steps.length)} steps, ${String(failed)} failures` };
    };
  },
});

export const MEASURES: readonly Measure[] = measures;

export function findMeasure(id: string): Measure | undefined {
  return measures.find((m) => m.id === id);
}
