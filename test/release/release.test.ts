// SPDX-License-Identifier: Apache-2.0
/**
 * The offline release (issue 6 §1, docs/release.md), built twice from this
 * checkout by build/scripts/release.js (what `npm run release` runs after
 * the build), once for all the tests here. Nothing skips: npm, tar, git and
 * sha256sum are on every machine that runs `npm test`.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { VERSION } from '../../src/version.js';
import { LEFT_OUT } from '../../scripts/release.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const RELEASE_SCRIPT = join(ROOT, 'build', 'scripts', 'release.js');
const EXAMPLE = join(ROOT, 'examples', 'repository', 'metadata');
const AT = '2030-01-01T00:00:00Z';
const TARBALL = `tuf-ceremony-${VERSION}.tgz`;
/** The offline install command, exactly as docs/release.md gives it. */
const OFFLINE_INSTALL = ['install', '--offline', '--no-audit', '--no-fund', `./${TARBALL}`];
const TIMEOUT = { timeout: 240_000 };

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program without blocking the test runner; never throws for an exit code. */
function run(file: string, args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((done) => {
    execFile(file, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      done({ code, stdout, stderr });
    });
  });
}

/** The environment without npm's lifecycle variables (npm test sets some), plus `extra`. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
  return { ...env, ...extra };
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1)).sort();
}

describe('offline release', () => {
  let tmp = '';
  let a = '';
  let b = '';
  /** The single file alone in a directory with no node_modules above it. */
  let lone = '';

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'tuf-ceremony-release-test-'));
    a = join(tmp, 'a');
    b = join(tmp, 'b');
    for (const out of [a, b]) {
      const r = await run(process.execPath, [RELEASE_SCRIPT, '--out', out], { env: cleanEnv() });
      assert.equal(r.code, 0, `release build failed:\n${r.stderr}`);
    }
    lone = join(tmp, 'lone');
    await mkdir(lone);
    await copyFile(join(a, 'tuf-ceremony.mjs'), join(lone, 'tuf-ceremony.mjs'));
    for (let d = lone; d !== dirname(d); d = dirname(d)) assert.ok(!existsSync(join(d, 'node_modules')), `${d} has node_modules`);
  }, TIMEOUT);

  after(async () => {
    if (tmp !== '') await rm(tmp, { recursive: true, force: true });
  });

  it('release/ holds the single file, the npm package, its manifest, the SBOM, the notices, and SHA256SUMS over all of them', async () => {
    assert.deepEqual(await filesUnder(a), [
      'SHA256SUMS',
      'THIRD-PARTY-NOTICES.txt',
      'package-files.sha256',
      `tuf-ceremony-${VERSION}.cdx.json`,
      TARBALL,
      'tuf-ceremony.mjs',
    ]);
    const sums = await readFile(join(a, 'SHA256SUMS'), 'utf8');
    const names = sums.trimEnd().split('\n').map((l) => l.slice(66));
    assert.deepEqual(names, [...names].sort(), 'sorted by name');
    assert.equal(names.length, 5);
    const check = await run('sha256sum', ['--check', '--strict', 'SHA256SUMS'], { cwd: a });
    assert.equal(check.code, 0, check.stdout + check.stderr);
    assert.equal((check.stdout.match(/: OK$/gm) ?? []).length, 5);
  });

  it('two release builds of the same commit are byte-for-byte identical', async () => {
    const files = await filesUnder(a);
    assert.deepEqual(await filesUnder(b), files);
    for (const f of files) assert.ok((await readFile(join(a, f))).equals(await readFile(join(b, f))), `${f} differs between the two builds`);
  });

  it('the single file runs with plain node from a directory without node_modules: --version and verify', async () => {
    const head = (await readFile(join(lone, 'tuf-ceremony.mjs'), 'utf8')).slice(0, 20);
    assert.equal(head, '#!/usr/bin/env node\n');
    const version = await run(process.execPath, ['tuf-ceremony.mjs', '--version'], { cwd: lone });
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout, `${VERSION}\n`);
    const verify = await run(process.execPath, ['tuf-ceremony.mjs', 'verify', EXAMPLE, '--at', AT], { cwd: lone });
    assert.equal(verify.code, 0, verify.stderr);
    assert.match(verify.stdout, /^verified: final root v3, 8 checks passed, 0 warnings$/m);
  });

  it('the single file is ASCII, prints --help as the package does, and leaves out only what is never run: the drill still passes with tuf-js', async () => {
    const bytes = await readFile(join(lone, 'tuf-ceremony.mjs'));
    assert.equal(bytes.findIndex((b) => b > 0x7f), -1, 'no byte above 0x7f');
    const text = bytes.toString('latin1');
    const notices = await readFile(join(a, 'THIRD-PARTY-NOTICES.txt'), 'utf8');
    for (const name of Object.keys(LEFT_OUT)) {
      assert.ok(text.includes(`${name} is left out of tuf-ceremony.mjs: `), `${name}: its stub`);
      assert.ok(!text.includes(`node_modules/${name}/`), `${name}: none of its files`);
      assert.ok(!notices.includes(`\n${name}@`), `${name}: not in the notices`);
    }
    for (const args of [['--help'], ['sign', '--help'], ['root', 'draft', '-h']]) {
      const single = await run(process.execPath, ['tuf-ceremony.mjs', ...args], { cwd: lone });
      const pkg = await run(process.execPath, [join(ROOT, 'bin', 'tuf-ceremony.js'), ...args]);
      assert.deepEqual(single, pkg, args.join(' '));
    }
    // tuf-js without make-fetch-happen: the drill's client fetches over loopback with its own fetcher.
    const drill = await run(process.execPath, ['tuf-ceremony.mjs', 'drill', '--scenario', 'bootstrap', '--keyholders', '1', '--clients', 'tuf-js'], { cwd: lone });
    assert.equal(drill.code, 0, drill.stdout + drill.stderr);
    assert.match(drill.stdout, /^drill passed in .*tuf-js/m);
  });

  it('the single file says clearly that node-hid (tokens) and pkcs11js (a pkcs11: key) are missing: exit 3 with the fix', async () => {
    const tokens = await run(process.execPath, ['tuf-ceremony.mjs', 'tokens'], { cwd: lone });
    assert.equal(tokens.code, 3, tokens.stderr);
    assert.match(tokens.stderr, /^error\[ENVIRONMENT\]: cannot load node-hid: Cannot find package 'node-hid'/m);
    assert.match(tokens.stderr, /^hint: .*npm install node-hid@3\.4\.0/m);
    const uri = 'pkcs11:token=ceremony;id=%01?module-path=/usr/lib/softhsm/libsofthsm2.so';
    const key = await run(process.execPath, ['tuf-ceremony.mjs', 'key', 'check', '--key', uri], { cwd: lone, env: cleanEnv({ TUF_CEREMONY_PIN: '1234' }) });
    assert.equal(key.code, 3, key.stderr);
    assert.match(key.stderr, /^error\[ENVIRONMENT\]: PKCS#11 support is unavailable: the npm package pkcs11js is not installed .*Cannot find package 'pkcs11js'/m);
    assert.match(key.stderr, /^hint: .*npm install pkcs11js@2\.1\.7.*Software key files work without it\.$/m);
  });

  it('self-check of the single file: its SHA-256 matches SHA256SUMS (exit 0); another hash is exit 1 naming both; a malformed file is exit 2', async () => {
    const own = sha256(await readFile(join(lone, 'tuf-ceremony.mjs')));
    const ok = await run(process.execPath, ['tuf-ceremony.mjs', 'self-check', '--sums', join(a, 'SHA256SUMS')], { cwd: lone });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, `tuf-ceremony ${VERSION}\nrunning: single file ${join(lone, 'tuf-ceremony.mjs')}\nsha256: ${own}\nok    ${join(a, 'SHA256SUMS')}: tuf-ceremony.mjs matches\n`);
    const json = await run(process.execPath, ['tuf-ceremony.mjs', 'self-check', '--json', '--sums', join(a, 'SHA256SUMS')], { cwd: lone });
    const doc = JSON.parse(json.stdout) as Record<string, unknown>;
    assert.deepEqual(
      { ok: doc['ok'], kind: doc['kind'], sha256: doc['sha256'], version: doc['version'], files: doc['files'], sums: doc['sums'] },
      { ok: true, kind: 'single-file', sha256: own, version: VERSION, files: null, sums: { file: join(a, 'SHA256SUMS'), name: 'tuf-ceremony.mjs', expected: own, match: true } }
    );

    const other = 'ab'.repeat(32);
    await writeFile(join(lone, 'OTHER'), `${other}  tuf-ceremony.mjs\n`);
    const bad = await run(process.execPath, ['tuf-ceremony.mjs', 'self-check', '--sums', 'OTHER'], { cwd: lone });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, new RegExp(`^error\\[VERIFICATION_FAILED\\]: OTHER lists tuf-ceremony.mjs as ${other}, but the running code is ${own}$`, 'm'));

    await writeFile(join(lone, 'MALFORMED'), `SHA256 (tuf-ceremony.mjs) = ${own}\n`);
    const malformed = await run(process.execPath, ['tuf-ceremony.mjs', 'self-check', '--sums', 'MALFORMED'], { cwd: lone });
    assert.equal(malformed.code, 2);
    assert.match(malformed.stderr, /^error\[INVALID_INPUT\]: MALFORMED: line 1 is not a sha256sum line/m);
  });

  it('the npm package bundles its dependencies and leaves out scripts, devDependencies and the optional native packages', async () => {
    const x = join(tmp, 'extract');
    await mkdir(x);
    const tar = await run('tar', ['-xzf', join(a, TARBALL), '-C', x]);
    assert.equal(tar.code, 0, tar.stderr);
    const pkg = JSON.parse(await readFile(join(x, 'package', 'package.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(pkg['scripts'], undefined);
    assert.equal(pkg['devDependencies'], undefined);
    const deps = Object.keys(pkg['dependencies'] as Record<string, string>).sort();
    assert.deepEqual([...(pkg['bundleDependencies'] as string[])].sort(), deps);
    for (const d of deps) assert.ok(existsSync(join(x, 'package', 'node_modules', d, 'package.json')), `${d} is bundled`);
    for (const native of ['pkcs11js', 'node-hid']) assert.ok(!existsSync(join(x, 'package', 'node_modules', native)), `${native} is not bundled`);
    // The manifest in the release lists exactly the package's code files.
    const manifest = await readFile(join(a, 'package-files.sha256'), 'utf8');
    const check = await run('sha256sum', ['--check', '--strict', '--quiet', join(a, 'package-files.sha256')], { cwd: join(x, 'package') });
    assert.equal(check.code, 0, check.stdout + check.stderr);
    const listed = manifest.trimEnd().split('\n').map((l) => l.slice(66));
    const code = (await filesUnder(join(x, 'package'))).filter((f) => f === 'package.json' || f.startsWith('bin/') || f.startsWith('build/src/'));
    assert.deepEqual(listed, code.sort((p, q) => (p < q ? -1 : 1)));
  });

  it('offline install: the documented command installs the tarball with the registry unreachable and an empty cache; the tool runs and self-checks', async () => {
    const docs = await readFile(join(ROOT, 'docs', 'release.md'), 'utf8');
    assert.ok(docs.includes(`npm ${OFFLINE_INSTALL.join(' ')}`.replace(VERSION, 'X.Y.Z')), 'docs/release.md gives the command the test runs');
    const dir = join(tmp, 'offline');
    await mkdir(dir);
    await copyFile(join(a, TARBALL), join(dir, TARBALL));
    const userconfig = join(tmp, 'empty-npmrc');
    await writeFile(userconfig, '');
    const env = cleanEnv({
      npm_config_registry: 'http://127.0.0.1:9/',
      npm_config_cache: join(tmp, 'empty-cache'),
      npm_config_userconfig: userconfig,
      npm_config_update_notifier: 'false',
    });
    const install = await run('npm', OFFLINE_INSTALL, { cwd: dir, env });
    assert.equal(install.code, 0, install.stdout + install.stderr);
    const installed = join(dir, 'node_modules', 'tuf-ceremony');
    assert.ok(existsSync(join(installed, 'node_modules', 'commander', 'package.json')), 'bundled dependencies are installed inside the package');
    assert.ok(!existsSync(join(dir, 'node_modules', 'pkcs11js')) && !existsSync(join(dir, 'node_modules', 'node-hid')), 'no optional native package offline');

    const bin = join(dir, 'node_modules', '.bin', 'tuf-ceremony');
    const version = await run(bin, ['--version'], { cwd: dir });
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout, `${VERSION}\n`);
    const verify = await run(bin, ['verify', join(installed, 'examples', 'repository', 'metadata'), '--at', AT], { cwd: dir });
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.match(verify.stdout, /^verified: final root v3/m);

    const self = await run(bin, ['self-check', '--json', '--sums', join(a, 'SHA256SUMS')], { cwd: dir });
    assert.equal(self.code, 0, self.stdout + self.stderr);
    const doc = JSON.parse(self.stdout) as { kind: string; sha256: string; path: string; sums: { name: string; match: boolean } };
    assert.equal(doc.kind, 'package');
    assert.equal(doc.path, installed);
    assert.equal(doc.sha256, sha256(await readFile(join(a, 'package-files.sha256'))));
    assert.deepEqual({ name: doc.sums.name, match: doc.sums.match }, { name: 'package-files.sha256', match: true });
  });

  /**
   * `npm install -g --prefix PREFIX TARBALL` with the registry unreachable and
   * an empty cache, as the guides give it; then PREFIX/bin/tuf-ceremony is the
   * command: --version, verify, and the shipped templates found.
   */
  async function installGlobally(tarball: string, prefix: string): Promise<string> {
    const userconfig = join(tmp, 'empty-npmrc-g');
    await writeFile(userconfig, '');
    const env = cleanEnv({
      npm_config_registry: 'http://127.0.0.1:9/',
      npm_config_cache: join(prefix, '..', 'empty-cache-g'),
      npm_config_userconfig: userconfig,
      npm_config_update_notifier: 'false',
    });
    const install = await run('npm', ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', tarball], { cwd: tmp, env });
    assert.equal(install.code, 0, install.stdout + install.stderr);
    assert.doesNotMatch(install.stderr, /install scripts|prepare/, 'no install script to approve');
    const bin = join(prefix, 'bin', 'tuf-ceremony');
    const version = await run(bin, ['--version'], { cwd: tmp, env: { PATH: `${join(prefix, 'bin')}:${dirname(process.execPath)}:/usr/bin:/bin` } });
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout, `${VERSION}\n`);
    // On PATH: the name alone runs it.
    const onPath = await run('tuf-ceremony', ['--version'], { cwd: tmp, env: { ...cleanEnv(), PATH: `${join(prefix, 'bin')}:${process.env['PATH'] ?? ''}` } });
    assert.equal(onPath.stdout, `${VERSION}\n`, onPath.stderr);
    const verify = await run(bin, ['verify', join(prefix, 'lib', 'node_modules', 'tuf-ceremony', 'examples', 'repository', 'metadata'), '--at', AT], { cwd: tmp });
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.match(verify.stdout, /^verified: final root v3/m);
    const list = await run(bin, ['run', '--list'], { cwd: tmp });
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^bootstrap-root +revision \d+/m);
    return bin;
  }

  it('npm pack of the checkout, installed with npm install -g --prefix, is a working tuf-ceremony on PATH', async () => {
    const dir = join(tmp, 'packed');
    await mkdir(dir);
    // --ignore-scripts: the build is already there (prepack would rebuild it under the running tests).
    const pack = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { env: cleanEnv() });
    assert.equal(pack.code, 0, pack.stderr);
    const [packed] = JSON.parse(pack.stdout) as { filename: string }[];
    assert.ok(packed !== undefined);
    await installGlobally(join(dir, packed.filename), join(tmp, 'prefix-packed'));
  });

  it('the release tarball, installed with npm install -g --prefix offline, works the same way', async () => {
    await installGlobally(join(a, TARBALL), join(tmp, 'prefix-release'));
  });

  it('the SBOM is CycloneDX over the runtime dependencies, dated at the commit, with a serial number from its content', async () => {
    const sbom = JSON.parse(await readFile(join(a, `tuf-ceremony-${VERSION}.cdx.json`), 'utf8')) as {
      bomFormat: string;
      serialNumber: string;
      metadata: { timestamp: string; component: { name: string; version: string } };
      components: { name: string }[];
    };
    assert.equal(sbom.bomFormat, 'CycloneDX');
    assert.match(sbom.serialNumber, /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const commit = await run('git', ['-C', ROOT, 'log', '-1', '--format=%ct']);
    assert.equal(sbom.metadata.timestamp, new Date(Number(commit.stdout.trim()) * 1000).toISOString().replace('.000Z', 'Z'));
    assert.deepEqual(sbom.metadata.component.name, 'tuf-ceremony');
    const names = sbom.components.map((c) => c.name);
    for (const dep of ['commander', 'yaml', '@inquirer/prompts', 'tuf-js', 'pkcs11js', 'node-hid']) assert.ok(names.includes(dep), dep);
    for (const dev of ['typescript', 'esbuild', 'eslint', 'fast-check']) assert.ok(!names.includes(dev), `${dev} is a dev dependency`);
  });
});
