// SPDX-License-Identifier: Apache-2.0
/**
 * The single file's layout (docs/release.md, scripts/single-file-main.ts,
 * scripts/single-file.ts): the program kept in a comment and compiled only
 * when a command runs, the launcher with the fast path after it. Built once
 * by the release's own code into a directory with no node_modules above it,
 * run as real processes, and compared with the package.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it, type TestContext } from 'node:test';
import { buildSingleFileOnly } from '../../scripts/release.js';
import { commentSafe } from '../../scripts/single-file.js';
import { PROGRAM_CLOSE, PROGRAM_FIRST_LINE, PROGRAM_OPEN, programText } from '../../scripts/single-file-main.js';
import { makeToken, MODULE, PIN, realTest, UNAVAILABLE } from '../support/pkcs11.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const BIN = join(ROOT, 'bin', 'tuf-ceremony.js');
const EXAMPLE = join(ROOT, 'examples', 'repository', 'metadata');
const AT = '2030-01-01T00:00:00Z';
const T = { timeout: 120_000 };

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      done({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
    });
  });
}

describe('the single file: the program in a comment, compiled only when a command runs', () => {
  let tmp = '';
  let file = '';
  let text = '';

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'tuf-ceremony-single-test-'));
    for (let d = tmp; d !== dirname(d); d = dirname(d)) assert.ok(!existsSync(join(d, 'node_modules')), `${d} has node_modules`);
    file = await buildSingleFileOnly(join(tmp, 'lone'));
    text = await readFile(file, 'latin1');
  }, T);

  after(async () => {
    if (tmp !== '') await rm(tmp, { recursive: true, force: true });
  });

  /** The program's text and the launcher's, as the file holds them. */
  function parts(): { program: string; launcher: string } {
    const open = text.indexOf(PROGRAM_OPEN);
    const close = text.indexOf(PROGRAM_CLOSE, open);
    return { program: text.slice(open + PROGRAM_OPEN.length, close), launcher: text.slice(close + PROGRAM_CLOSE.length) };
  }

  it('the file: #! line, a line saying so, the program from line 4 in one comment, then a launcher that bundles nothing from node_modules', () => {
    const lines = text.split('\n', PROGRAM_FIRST_LINE);
    assert.equal(lines[0], '#!/usr/bin/env node');
    assert.match(lines[1] as string, /^\/\/ tuf-ceremony \d+\.\d+\.\d+, single file \(docs\/release\.md\)/);
    assert.equal(`${lines[2] as string}\n`, PROGRAM_OPEN);
    assert.equal(lines[3], '"use strict";');
    const { program, launcher } = parts();
    assert.ok(!program.includes('*/'), 'nothing in the program ends the comment');
    assert.equal(programText(PROGRAM_OPEN + program + PROGRAM_CLOSE.trimEnd()), program);
    // esbuild marks each bundled file with a `// path` line.
    assert.match(program, /^\/\/ node_modules\/commander\//m);
    assert.match(program, /^\/\/ build\/src\/cli\/main\.js$/m);
    assert.doesNotMatch(launcher, /^\/\/ node_modules\//m);
    assert.match(launcher, /^\/\/ bin\/tuf-ceremony\.js$/m);
    assert.ok(launcher.length * 10 < text.length, `the launcher is ${String(launcher.length)} of ${String(text.length)} bytes`);
  });

  it('--version and NAME… --help print what the package prints, byte for byte, without compiling the program', async () => {
    // A copy whose program does not compile: the fast path never notices.
    const broken = join(tmp, 'broken');
    await mkdir(broken);
    const lines = text.split('\n');
    lines[PROGRAM_FIRST_LINE] = 'this is not JavaScript (';
    await writeFile(join(broken, 'tuf-ceremony.mjs'), lines.join('\n'));
    for (const args of [['--version'], ['-V'], ['--help'], ['verify', '--help'], ['sign', '--help'], ['root', 'draft', '-h']]) {
      const pkg = await run([BIN, ...args]);
      assert.equal(pkg.code, 0, pkg.stderr);
      assert.deepEqual(await run([file, ...args]), pkg, args.join(' '));
      assert.deepEqual(await run([join(broken, 'tuf-ceremony.mjs'), ...args]), pkg, `${args.join(' ')} (program broken)`);
    }
    const verify = await run([join(broken, 'tuf-ceremony.mjs'), 'verify', EXAMPLE, '--at', AT]);
    assert.notEqual(verify.code, 0);
    assert.match(verify.stderr, /SyntaxError/);
  });

  it('verify compiles the program: the example repository (exit 0) and a tampered copy (exit 1) print what the package prints', async () => {
    const ok = await run([file, 'verify', EXAMPLE, '--at', AT]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^verified: final root v3, 8 checks passed, 0 warnings$/m);
    assert.deepEqual(ok, await run([BIN, 'verify', EXAMPLE, '--at', AT]));
    const tampered = join(tmp, 'tampered');
    await cp(EXAMPLE, tampered, { recursive: true });
    // One hex digit of the targets signature changed.
    const targets = join(tampered, '1.targets.json');
    const doc = JSON.parse(await readFile(targets, 'utf8')) as { signatures: { sig: string }[] };
    const sig = (doc.signatures[0] as { sig: string }).sig;
    (doc.signatures[0] as { sig: string }).sig = (sig[0] === '0' ? '1' : '0') + sig.slice(1);
    await writeFile(targets, JSON.stringify(doc, null, 2) + '\n');
    const bad = await run([file, 'verify', tampered, '--at', AT]);
    assert.equal(bad.code, 1, bad.stdout + bad.stderr);
    assert.deepEqual(bad, await run([BIN, 'verify', tampered, '--at', AT]));
  });

  it('drill with tuf-js (node:http through the launcher import()): exit 0, the package report but for times, sizes, ports and the temporary directory', async () => {
    const args = ['drill', '--scenario', 'bootstrap', '--keyholders', '1', '--clients', 'tuf-js'];
    const normal = (r: Run): Run => ({
      ...r,
      stdout: r.stdout
        .replace(/^ok +\d+ ms +\d+ MiB {2}/gm, 'ok N ms N MiB  ')
        .replace(/tuf-ceremony-drill-\w+/g, 'tuf-ceremony-drill-X')
        .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT')
        .replace(/passed in [\d.]+ s/, 'passed in N s'),
    });
    const single = await run([file, ...args], { cwd: dirname(file) });
    assert.equal(single.code, 0, single.stdout + single.stderr);
    assert.match(single.stdout, /^drill passed in .*tuf-js/m);
    assert.deepEqual(normal(single), normal(await run([BIN, ...args])));
  });

  it('stack traces name the single file and the line and column of the code in it', async () => {
    // Writing to stdout throws: main reports it as an internal error with its stack.
    const inject = 'data:text/javascript,process.stdout.write=()=>{throw new Error("injected")}';
    const r = await run(['--import', inject, file, 'verify', EXAMPLE, '--at', AT]);
    assert.match(r.stderr, /^error\[INTERNAL\]: injected$/m);
    const frames = [...r.stderr.matchAll(/^ {4}at (?:async )?(\S+) \((file:\/\/\S+):(\d+):(\d+)\)$/gm)];
    const lines = text.split('\n');
    const here = frames.filter((f) => fileURLToPath(f[2] as string) === file);
    assert.ok(here.length >= 3, r.stderr);
    const verifyFrame = here.find((f) => /^runVerify\d*$/.test(f[1] as string));
    assert.ok(verifyFrame !== undefined, r.stderr);
    const line = lines[Number(verifyFrame[3]) - 1] as string;
    assert.ok(line.slice(Number(verifyFrame[4]) - 1).startsWith('stdout('), `line ${verifyFrame[3] as string}: ${line}`);
    for (const f of here) assert.ok(Number(f[3]) <= lines.length, f[0]);
  });

  const NODE_HID = existsSync(join(ROOT, 'node_modules', 'node-hid', 'package.json')) ? '' : 'node-hid is not installed';
  realTest('pkcs11js and node-hid beside the single file: the program imports them, makes and checks a SoftHSM2 key, lists tokens', [UNAVAILABLE ?? '', NODE_HID], async (t: TestContext) => {
    const dir = join(tmp, 'native');
    await mkdir(join(dir, 'node_modules'), { recursive: true });
    await cp(file, join(dir, 'tuf-ceremony.mjs'));
    const real = join(ROOT, 'node_modules', 'pkcs11js');
    await symlink(real, join(dir, 'node_modules', 'pkcs11js'));
    makeToken(t, 'single-file');
    const env = { ...process.env, TUF_CEREMONY_PIN: PIN };
    const uri = `pkcs11:token=single-file;object=carol?module-path=${MODULE}`;
    const gen = await run(['tuf-ceremony.mjs', 'key', 'generate', '--name', 'carol', '--type', 'ecdsa-p256', '--out-dir', 'out', '--pkcs11', uri], { cwd: dir, env });
    assert.equal(gen.code, 0, gen.stderr);
    const check = await run(['tuf-ceremony.mjs', 'key', 'check', '--key', uri, '--expect', join('out', 'carol.pub.json')], { cwd: dir, env });
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout, /signs, and its signature verifies/);
    assert.match(check.stdout, /^it is the key registered for carol/m);
    // node-hid beside it too: `tokens` loads it (a variable specifier) and answers, exit 0.
    await symlink(join(ROOT, 'node_modules', 'node-hid'), join(dir, 'node_modules', 'node-hid'));
    const tokens = await run(['tuf-ceremony.mjs', 'tokens', '--json'], { cwd: dir });
    assert.equal(tokens.code, 0, tokens.stderr);
    assert.equal((JSON.parse(tokens.stdout) as { ok: boolean }).ok, true);
  });
});

describe('commentSafe: the program fit for a comment, changed only where it must be', () => {
  it('star-slash in comments, strings and regular expressions; import() calls; legal comments kept as line comments', () => {
    const program = [
      '"use strict";',
      '/*! Some License (c) 2024 *) */',
      'var a = /* @__PURE__ */ f();',
      '  /**',
      '   * Doc comment',
      '   */',
      'var s = "a*/b", r = /x*/g, c = /[*/]/, d = /\\*/;',
      'var m = g() /* two',
      'lines */',
      'h(); // a line comment with */ in it',
      'async function k(n) { return [await import("node:fs"), await import(n)]; }',
      'var t = 6 / 3 * 2;',
    ].join('\n');
    const safe = commentSafe(program);
    assert.ok(!safe.includes('*/'));
    assert.equal(
      safe,
      [
        '"use strict";',
        '//! Some License (c) 2024 *)',
        'var a =   f();',
        '  //*',
        '   //* Doc comment',
        'var s = "a*\\/b", r = /x*(?:)/g, c = /[*\\/]/, d = /\\*(?:)/;',
        'var m = g() ',
        '',
        'h(); // a line comment with * / in it',
        'async function k(n) { return [await __tufCeremonyImport("node:fs"), await __tufCeremonyImport(n)]; }',
        'var t = 6 / 3 * 2;',
      ].join('\n')
    );
  });

  it('refuses what it cannot keep: import() options, a template with star-slash, non-ASCII, a carriage return', () => {
    assert.throws(() => commentSafe('import("x", { with: { type: "json" } });'), /import\(\) options/);
    assert.throws(() => commentSafe('var t = `a*/b`;'), /template literal/);
    assert.throws(() => commentSafe('var s = "\u00e9";'), /ASCII/);
    assert.throws(() => commentSafe('var s = 1;\r\n'), /ASCII with line feeds/);
  });

  it('the eval of the result equals the eval of the program', () => {
    const program = 'return [/ba*/.exec("xbaaa")[0], "*/", /[*/]+/.exec("a*/b")[0], (function () { /* c */ return /*\n*/ 1 })(), (function () { return /* c */ 1 })()];';
    const safe = commentSafe(program);
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the point is to compare what both compile to
    const value = (body: string): unknown => (new Function(body) as () => unknown)();
    assert.deepEqual(value(safe), value(program));
  });
});
