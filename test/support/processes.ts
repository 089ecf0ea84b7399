// SPDX-License-Identifier: Apache-2.0
/** What the crash and race tests share: a root v2 draft with three signature files, and the real CLI as a child process. */
import { readdirSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CEREMONY_NOW, type CeremonyFixture } from './ceremony.js';

/** Root v2 replaces carol by dave; alice, bob and dave sign it. Returns their signature files. */
export async function rootV2Signed(fx: CeremonyFixture): Promise<string[]> {
  await fx.ok(fx.ws, ['root', 'draft']);
  await fx.ok(fx.ws, ['root', 'add-key', 'root', 'dave']);
  await fx.ok(fx.ws, ['root', 'remove-key', 'root', 'carol']);
  const req = await fx.request('root');
  return [await fx.sign('alice', req), await fx.sign('bob', req), await fx.sign('dave', req)];
}

/**
 * Writes `base/run.mjs`: the real CLI at the fixed reference time, for a
 * child process. `quiet` drops stdout; `marker` is written to stdout once
 * the modules are loaded.
 * @returns its path
 */
export async function writeRunner(base: string, opts: { quiet: boolean; marker?: string }): Promise<string> {
  const runner = join(base, 'run.mjs');
  const mainUrl = new URL('../../src/cli/main.js', import.meta.url).href;
  const ioUrl = new URL('../../src/cli/io.js', import.meta.url).href;
  await writeFile(
    runner,
    `const { main } = await import(${JSON.stringify(mainUrl)});
const { processIo } = await import(${JSON.stringify(ioUrl)});
const io = { ...processIo(), ${opts.quiet ? 'stdout: () => {}, ' : ''}now: () => ${String(CEREMONY_NOW)} };
${opts.marker === undefined ? '' : `process.stdout.write(${JSON.stringify(opts.marker)});\n`}process.exitCode = await main(process.argv.slice(2), io);
`
  );
  return runner;
}

/** Every file under `dir`, recursively. */
export function walk(dir: string, out: string[] = []): string[] {
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}
