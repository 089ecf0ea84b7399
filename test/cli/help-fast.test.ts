// SPDX-License-Identifier: Apache-2.0
/**
 * `--help` and `--version` without commander (bin/tuf-ceremony.js,
 * src/cli/help-fast.ts): the fast path must print exactly what commander
 * prints through main(), for every command, `--help` and `-h`, at every
 * terminal width; any other command line must go to commander.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Command } from 'commander';
import HELP from '../../src/cli/help-data.js';
import { renderHelp, staticHelp } from '../../src/cli/help-fast.js';
import { buildProgram } from '../../src/cli/main.js';
import { packageRoot } from '../../src/store/self-hash.js';
import { runCli } from '../support/cli.js';

const ROOT = packageRoot() ?? '.';
const BIN = join(ROOT, 'bin', 'tuf-ceremony.js');

const noIo = { stdout: () => {}, stderr: () => {}, env: {}, now: () => 0, isTTY: false, cwd: '/', prompter: null };

/** Every command of the program with its path of names ([] for the program). */
function commands(): { path: string[]; cmd: Command }[] {
  const out: { path: string[]; cmd: Command }[] = [];
  const walk = (cmd: Command, path: string[]): void => {
    out.push({ path, cmd });
    for (const sub of cmd.commands) walk(sub, [...path, sub.name()]);
  };
  walk(buildProgram(noIo, () => {}), []);
  return out;
}

/** What commander writes for `cmd --help` at this help width (undefined: its default). */
function commanderHelp(cmd: Command, width: number | undefined): string {
  let out = '';
  cmd.configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (out += s), getOutHelpWidth: () => width ?? 80, getOutHasColors: () => false });
  cmd.outputHelp();
  return out;
}

function runBin(args: readonly string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the --help fast path', () => {
  it('has a page for every command and no other', () => {
    assert.deepEqual(Object.keys(HELP).sort(), commands().map((c) => c.path.join(' ')).sort());
    assert.ok(Object.keys(HELP).length >= 35, 'the whole command tree');
  });

  it("lays out every command's page exactly as commander does, at every width from 0 to 260", () => {
    let compared = 0;
    for (const { path, cmd } of commands()) {
      const page = HELP[path.join(' ')];
      assert.ok(page !== undefined);
      for (let width = 0; width <= 260; width++) {
        assert.equal(renderHelp(page, width), commanderHelp(cmd, width), `${path.join(' ') || '(program)'} at width ${String(width)}`);
        compared++;
      }
      assert.equal(renderHelp(page, undefined), commanderHelp(cmd, undefined));
    }
    assert.ok(compared > 10_000);
  });

  it('prints what main() prints for --help and -h, for every command, at the default width and on terminals of 40, 100 and 200 columns', async () => {
    for (const { path } of commands()) {
      for (const flag of ['--help', '-h']) {
        for (const columns of [undefined, 40, 100, 200]) {
          const args = [...path, flag];
          const expected = await runCli(args, columns === undefined ? {} : { columns, isTTY: true });
          assert.equal(expected.code, 0);
          assert.equal(expected.stderr, '');
          assert.equal(staticHelp(args, columns), expected.stdout, `${args.join(' ')} at ${String(columns)} columns`);
        }
      }
    }
  });

  it('the binary prints the same bytes as main(), exit 0 and nothing on stderr', async () => {
    for (const args of [['--help'], ['-h'], ['verify', '--help'], ['sign', '--help'], ['root', 'draft', '-h'], ['audit', '--help']]) {
      const fast = runBin(args);
      const slow = await runCli(args);
      assert.deepEqual(fast, { code: 0, stdout: slow.stdout, stderr: '' }, args.join(' '));
    }
  });

  it('leaves any other command line to commander, which answers as before', async () => {
    const others = [
      ['verify', 'DIR', '--help'],
      ['--json', '--help'],
      ['--help', 'verify'],
      ['nosuch', '--help'],
      ['', '--help'],
      ['help', '--help'],
      ['Verify', '--help'],
      ['constructor', '--help'],
      ['__proto__', '--help'],
      ['verify', '--help', '--help'],
      ['help', 'sign'],
    ];
    for (const args of others) {
      assert.equal(staticHelp(args, undefined), null, args.join(' '));
      const slow = await runCli(args);
      const bin = runBin(args);
      assert.deepEqual(bin, { code: slow.code, stdout: slow.stdout, stderr: slow.stderr }, args.join(' '));
    }
    assert.equal(staticHelp(['verify'], undefined), null);
    assert.equal(staticHelp([], undefined), null);
  });
});

describe('the --version fast path', () => {
  it("prints package.json's version, as main() does", async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      assert.deepEqual(runBin([flag]), { code: 0, stdout: `${pkg.version}\n`, stderr: '' });
      const slow = await runCli([flag]);
      assert.equal(slow.stdout, `${pkg.version}\n`);
    }
  });
});
