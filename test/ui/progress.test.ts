// SPDX-License-Identifier: Apache-2.0
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatBytes, progressBar, renderProgressBar } from '../../src/ui/progress.js';

const MiB = 1024 * 1024;

describe('renderProgressBar (pure)', () => {
  const cases: [Parameters<typeof renderProgressBar>[0], string][] = [
    [{ label: 'hashing', done: 0, total: 64 * MiB, elapsedMs: 0 }, 'hashing [------------------------]   0%  0 B of 64.0 MiB'],
    [{ label: 'hashing', done: 16 * MiB, total: 64 * MiB, elapsedMs: 1000 }, 'hashing [######------------------]  25%  16.0 MiB of 64.0 MiB, 16.0 MiB/s'],
    [{ label: 'hashing', done: 63 * MiB, total: 64 * MiB, elapsedMs: 2000 }, 'hashing [########################]  98%  63.0 MiB of 64.0 MiB, 31.5 MiB/s'],
    [{ label: 'hashing', done: 64 * MiB, total: 64 * MiB, elapsedMs: 500 }, 'hashing [########################] 100%  64.0 MiB of 64.0 MiB, 128.0 MiB/s'],
    [{ label: 'x', done: 5, total: 0, elapsedMs: 0 }, 'x [########################] 100%  5 B of 0 B'],
    [{ label: 'x', done: 10, total: 5, elapsedMs: 0 }, 'x [########################] 100%  10 B of 5 B'],
  ];
  for (const [view, line] of cases) {
    test(line, () => {
      assert.equal(renderProgressBar(view), line);
    });
  }
  test('width', () => {
    assert.equal(renderProgressBar({ label: 'h', done: 1, total: 2, elapsedMs: 0 }, 4), 'h [##--]  50%  1 B of 2 B');
  });
  test('formatBytes', () => {
    assert.deepEqual([0, 1023, 1024, 1536, 5 * MiB, 3 * 1024 * MiB, 2 ** 50].map(formatBytes), ['0 B', '1023 B', '1.0 KiB', '1.5 KiB', '5.0 MiB', '3.0 GiB', '1024.0 TiB']);
  });
});

describe('progressBar', () => {
  function run(isTTY: boolean, times: number[], updates: [number, number][]): string[] {
    const out: string[] = [];
    let i = 0;
    const bar = progressBar({ label: 'hashing', write: (t) => out.push(t), isTTY, clock: () => times[Math.min(i++, times.length - 1)] as number });
    for (const [d, t] of updates) bar.update(d, t);
    bar.finish();
    return out;
  }

  test('without a terminal, quick work (under 2 s): nothing', () => {
    assert.deepEqual(run(false, [0, 500, 1000, 1999, 1999], [[1, 4], [2, 4], [4, 4]]), []);
  });

  test('without a terminal, slow work: a plain line after 2 s, then at most every 10 s, and a last line (no \\r, no escapes)', () => {
    // start 0; updates at 1000 (too early), 2500 (line), 9000 (too soon), 12600 (line), 13000 (too soon); finish at 14000.
    const out = run(false, [0, 1000, 2500, 9000, 12600, 13000, 14000], [[1, 10], [2, 10], [5, 10], [9, 10], [10, 10]]);
    assert.deepEqual(out, ['hashing: 20% (2 B of 10 B) after 3 s\n', 'hashing: 90% (9 B of 10 B) after 13 s\n', 'hashing: done, 10 B in 14 s\n']);
  });

  test('files are counted as files', () => {
    const out: string[] = [];
    let t = 0;
    const bar = progressBar({ label: 'verifying', unit: 'files', write: (x) => out.push(x), isTTY: false, clock: () => (t += 5000) });
    bar.update(1200, 16387);
    bar.finish();
    assert.deepEqual(out, ['verifying: 7% (1,200 of 16,387 files) after 5 s\n', 'verifying: done, 16,387 files in 10 s\n']);
  });

  test('quick work (under 0.5 s): nothing', () => {
    assert.deepEqual(run(true, [0, 100, 200, 499], [[1, 4], [2, 4], [4, 4]]), []);
  });

  test('slow work: drawn after 0.5 s, at most every 0.1 s (the last update always), then erased', () => {
    // start 0; updates at 400 (too early), 600 (drawn), 650 (throttled), 800 (drawn), 820 (final: drawn).
    const out = run(true, [0, 400, 600, 650, 800, 820], [[1, 10], [2, 10], [3, 10], [6, 10], [10, 10]]);
    assert.equal(out.length, 4);
    assert.ok(out[0]?.startsWith('\rhashing [#####-------------------]  20%  2 B of 10 B'), out[0]);
    assert.ok(out[0]?.endsWith('\u001b[K'));
    assert.match(out[1] ?? '', / {2}60% {2}6 B of 10 B/);
    assert.match(out[2] ?? '', / 100% {2}10 B of 10 B/);
    assert.equal(out[3], '\r\u001b[K');
  });
});
