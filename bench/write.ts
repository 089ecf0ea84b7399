// SPDX-License-Identifier: Apache-2.0
/**
 * Writing at PyPI scale: a 16,384-bin repository holding
 * TARGETS generated targets (default 1,600,000): every bin signed (Ed25519,
 * canonical bytes) and written with serializeMetadata, a snapshot listing
 * every bin, into a temporary directory that is removed at the end. Prints
 * the CPU time of making the targets (the data, not counted as writing) and
 * of writing (signing, serializeMetadata, the files) with its wall time and
 * the peak memory.
 *
 * `node build/bench/write.js [TARGETS]`
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { listedMetadata, makeDelegatedTargets, makeSnapshot, type ListedMetadata } from '../src/ceremony/online.js';
import type { TargetFile } from '../src/metadata/model.js';
import { serializeMetadata } from '../src/metadata/serialize.js';
import { binForPath, binNames } from '../src/metadata/verify.js';
import { signMetadata, testKey } from '../test/support/keys.js';
import { generatedTargets } from './scale-data.js';

export interface WriteResult {
  readonly targets: number;
  readonly bins: number;
  /** Making the targets (hashing generated paths): the data, not the writing. */
  readonly generateCpuMs: number;
  /** Writing: signing, serializing and writing every bin and the snapshot. */
  readonly writeWallMs: number;
  readonly writeCpuMs: number;
  readonly signCpuMs: number;
  readonly serializeCpuMs: number;
  readonly fileCpuMs: number;
  readonly peakMib: number;
}

const cpuMs = (since: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};
/** CPU ms from `a` to `b`: readings taken once and reused, since each reading is a system call. */
const between = (a: NodeJS.CpuUsage, b: NodeJS.CpuUsage): number => (b.user - a.user + b.system - a.system) / 1000;

export function writeRepository(count: number, log: (s: string) => void = () => undefined): WriteResult {
  const dir = mkdtempSync(join(tmpdir(), 'tuf-ceremony-bench-write-'));
  try {
    const g0 = process.cpuUsage();
    const sr = { bit_length: 14, name_prefix: 'bins' };
    const byBin = new Map<string, Record<string, TargetFile>>(binNames(sr).map((b) => [b, {}]));
    for (const [path, file] of generatedTargets(count, 1600)) (byBin.get(binForPath(sr, path)) as Record<string, TargetFile>)[path] = file;
    const generateCpuMs = cpuMs(g0);
    log(`  ${count.toLocaleString('en-US')} targets generated: ${String(Math.round(generateCpuMs))} ms CPU (not counted as writing)`);
    const key = testKey('bench/write/bins');
    const snapshotKey = testKey('bench/write/snapshot');
    const listed: ListedMetadata[] = [];
    let signCpuMs = 0;
    let serializeCpuMs = 0;
    let fileCpuMs = 0;
    const w0 = process.cpuUsage();
    const t0 = performance.now();
    const emit = (name: string, signed: Parameters<typeof signMetadata>[0], k: typeof key): Uint8Array => {
      const c0 = process.cpuUsage();
      const md = signMetadata(signed, [k]);
      const c1 = process.cpuUsage();
      const bytes = serializeMetadata(md, name);
      const c2 = process.cpuUsage();
      writeFileSync(join(dir, name), bytes);
      const c3 = process.cpuUsage();
      signCpuMs += between(c0, c1);
      serializeCpuMs += between(c1, c2);
      fileCpuMs += between(c2, c3);
      return bytes;
    };
    for (const [bin, entries] of byBin) {
      const bytes = emit(`1.${bin}.json`, makeDelegatedTargets(1, '2031-01-01T00:00:00Z', entries), key);
      // Hashed now, as drill does: a snapshot needs the META entry, not the bytes.
      listed.push(listedMetadata({ name: `${bin}.json`, version: 1, bytes }));
    }
    emit('1.snapshot.json', makeSnapshot(1, '2031-01-01T00:00:00Z', listed), snapshotKey);
    return {
      targets: count,
      bins: byBin.size,
      generateCpuMs: Math.round(generateCpuMs),
      writeWallMs: Math.round(performance.now() - t0),
      writeCpuMs: Math.round(cpuMs(w0)),
      signCpuMs: Math.round(signCpuMs),
      serializeCpuMs: Math.round(serializeCpuMs),
      fileCpuMs: Math.round(fileCpuMs),
      peakMib: Math.round(process.resourceUsage().maxRSS / 1024),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith('write.js')) {
  const n = Number(process.argv[2] ?? '1600000');
  const r = writeRepository(n, console.log);
  console.log(
    `write: ${r.targets.toLocaleString('en-US')} targets in ${String(r.bins)} bins and a snapshot: ${String(r.writeCpuMs)} ms CPU, ${String(r.writeWallMs)} ms wall ` +
      `(signing ${String(r.signCpuMs)}, serializeMetadata ${String(r.serializeCpuMs)}, files ${String(r.fileCpuMs)} ms CPU); load average ${loadavg()[0]?.toFixed(1) ?? '?'}; peak ${String(r.peakMib)} MiB`
  );
}
