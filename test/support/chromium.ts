// SPDX-License-Identifier: Apache-2.0
/** Headless Chromium prints an HTML file to PDF; the page sizes and count, for A4 checks. */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** The Chromium on PATH, or null (under CI=true: a failure, since .ci/run installs it). */
export function findChromium(): string | null {
  const chromium = ['chromium', 'chromium-browser', 'google-chrome'].find((c) => spawnSync(c, ['--version'], { stdio: 'ignore', timeout: 30_000 }).status === 0);
  if (chromium === undefined) assert.notEqual(process.env['CI'], 'true', 'chromium is missing: under CI=true this test must run (apt-get install chromium)');
  return chromium ?? null;
}

/** Prints `file` to `pdf`; every page must be A4; returns the page count. */
export async function printA4(chromium: string, file: string, pdf: string, profileDir: string): Promise<number> {
  await promisify(execFile)(
    chromium,
    ['--headless', '--no-sandbox', '--disable-gpu', '--no-pdf-header-footer', `--user-data-dir=${join(profileDir, 'chromium-profile')}`, `--print-to-pdf=${pdf}`, file],
    { timeout: 120_000 }
  );
  const bytes = await readFile(pdf);
  assert.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-');
  const text = bytes.toString('latin1');
  const boxes = [...text.matchAll(/\/MediaBox \[0 0 ([0-9.]+) ([0-9.]+)\]/g)].map((m) => [Number(m[1]), Number(m[2])]);
  assert.ok(boxes.length > 0, 'the PDF names its page size');
  for (const [w, h] of boxes) {
    // A4 is 595.28 x 841.89 pt; Chromium rounds to its own units.
    assert.ok(Math.abs((w ?? 0) - 595.28) < 2 && Math.abs((h ?? 0) - 841.89) < 2, `A4 page, got ${String(w)} x ${String(h)}`);
  }
  return Number(/\/Type \/Pages\b[^>]*?\/Count (\d+)/s.exec(text)?.[1] ?? /\/Count (\d+)/.exec(text)?.[1]);
}
