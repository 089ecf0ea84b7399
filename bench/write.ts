// SPDX-License-Identifier: Apache-2.0
/**
 * Writing at PyPI scale (issue 15 §3): a 16,384-bin repository holding
 * TARGETS generated targets (default 1,600,000): every bin signed (Ed25519,
 * canonical bytes) and written with serializeMetadata, a snapshot listing
 * every bin, into a temporary directory that is removed at the end. Prints
 * the wall and CPU time of each phase and the peak memory.
 *
 * `node build/bench/write.js [TARGETS]`
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeDelegatedTargets, makeSnapshot, type ServedMetadata } from '../src/ceremony/online.js';
import type { TargetFile } from '../src/metadata/model.js';
import { serializeMetadata } from '../src/metadata/serialize.js';
import { binForPath, binNames } from '../src/metadata/verify.js';
import { signMetadata, testKey } from '../test/support/keys.js';
import { generatedTargets } from './scale-data.js';

export interface WriteResult {
  readonly targets: number;
  readonly bins: number;
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly serializeMs: number;
  readonly peakMib: number;
}

export function writeRepository(count: number, log: (s: string) => void = () => undefined): WriteResult {
  const dir = mkdtempSync(join(tmpdir(), 'tuf-ceremony-bench-write-'));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  try {
    const sr = { bit_length: 14, name_prefix: 'bins' };
    const byBin = new Map<string, Record<string, TargetFile>>(binNames(sr).map((b) => [b, {}]));
    for (const [path, file] of generatedTargets(count, 1600)) (byBin.get(binForPath(sr, path)) as Record<string, TargetFile>)[path] = file;
    log(`  ${count.toLocaleString('en-US')} targets generated in ${String(Math.round(performance.now() - t0))} ms`);
    const key = testKey('bench/write/bins');
    const snapshotKey = testKey('bench/write/snapshot');
    const listed: ServedMetadata[] = [];
    let serializeMs = 0;
    for (const [bin, entries] of byBin) {
      const md = signMetadata(makeDelegatedTargets(1, '2031-01-01T00:00:00Z', entries), [key]);
      const s0 = performance.now();
      const bytes = serializeMetadata(md, `1.${bin}.json`);
      serializeMs += performance.now() - s0;
      writeFileSync(join(dir, `1.${bin}.json`), bytes);
      listed.push({ name: `${bin}.json`, version: 1, bytes });
    }
    const snapshot = serializeMetadata(signMetadata(makeSnapshot(1, '2031-01-01T00:00:00Z', listed), [snapshotKey]), '1.snapshot.json');
    writeFileSync(join(dir, '1.snapshot.json'), snapshot);
    const cpu = process.cpuUsage(cpu0);
    return {
      targets: count,
      bins: byBin.size,
      wallMs: Math.round(performance.now() - t0),
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      serializeMs: Math.round(serializeMs),
      peakMib: Math.round(process.resourceUsage().maxRSS / 1024),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith('write.js')) {
  const n = Number(process.argv[2] ?? '1600000');
  const r = writeRepository(n, console.log);
  console.log(`write: ${r.targets.toLocaleString('en-US')} targets in ${String(r.bins)} bins: ${String(r.wallMs)} ms wall, ${String(r.cpuMs)} ms CPU (serializeMetadata ${String(r.serializeMs)} ms), peak ${String(r.peakMib)} MiB`);
}
