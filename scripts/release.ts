// SPDX-License-Identifier: Apache-2.0
/**
 * The offline release (docs/release.md): `npm run release` builds, then runs
 * this, which writes into `release/` (or `--out DIR`):
 *
 * - `tuf-ceremony.mjs`: the single-file build (esbuild), every
 *   `dependencies` entry bundled, the optional native packages left as
 *   lazy imports; the program kept in a comment and compiled only when a
 *   command runs (scripts/single-file-main.ts);
 * - `THIRD-PARTY-NOTICES.txt`: the licenses of what the single file bundles;
 * - `tuf-ceremony-X.Y.Z.tgz`: the npm package with its dependencies bundled
 *   (`bundleDependencies`), installable with no network;
 * - `package-files.sha256`: the package's code files, as `self-check` hashes
 *   them in an installed package;
 * - `tuf-ceremony-X.Y.Z.cdx.json`: the CycloneDX SBOM (`npm sbom`);
 * - `SHA256SUMS` over every other file.
 *
 * Reproducible: nothing depends on the clock, the directory or the order of
 * a directory listing. The one date (the SBOM's timestamp) is
 * SOURCE_DATE_EPOCH, else the time of the last commit.
 *
 * Run: node build/scripts/release.js [--out DIR] (after `npm run build`).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, transform, type Plugin } from 'esbuild';
import { PACKAGE_MANIFEST_NAME, packageManifest, SINGLE_FILE_NAME } from '../src/store/self-hash.js';
import { formatSums } from '../src/store/sums.js';
import { hideProgram } from './single-file.js';
import { PROGRAM_FIRST_LINE, PROGRAM_FUNCTION } from './single-file-main.js';
import { VERSION } from '../src/version.js';

/** The repository: build/scripts/release.js is two levels down. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface PackageJson {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  bundleDependencies?: string[];
  scripts?: Record<string, string>;
  devDependencies?: Record<string, string>;
  [field: string]: unknown;
}

function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** npm with no audit, fund or update checks; output returned, stderr passed through. */
function npm(args: readonly string[], cwd: string): string {
  return execFileSync('npm', args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' },
  });
}

/** SOURCE_DATE_EPOCH, else the committer time of HEAD, in seconds. */
export function sourceDateEpoch(env: NodeJS.ProcessEnv = process.env): number {
  const given = env['SOURCE_DATE_EPOCH'];
  const text = given !== undefined && given !== '' ? given : execFileSync('git', ['-C', ROOT, 'log', '-1', '--format=%ct'], { encoding: 'utf8' }).trim();
  if (!/^\d+$/.test(text)) throw new Error(`SOURCE_DATE_EPOCH or the commit time is not a whole number of seconds: ${JSON.stringify(text)}`);
  return Number(text);
}

/** Checks package.json against the code: same version, every dependency bundled. */
function checkManifest(pkg: PackageJson): void {
  if (pkg.version !== VERSION) throw new Error(`package.json says version ${pkg.version} but src/version.ts says ${VERSION}`);
  const deps = Object.keys(pkg.dependencies ?? {}).sort(byName);
  const bundled = [...(pkg.bundleDependencies ?? [])].sort(byName);
  if (deps.join('\n') !== bundled.join('\n')) {
    throw new Error(`package.json bundleDependencies must list every dependencies entry: ${JSON.stringify(deps)} vs ${JSON.stringify(bundled)}`);
  }
}

/**
 * Packages that dependencies import but that tuf-ceremony never runs, left
 * out of the single file (a stub that throws takes their place): every
 * byte of the single file is read at each start, even for `--version`,
 * and the program is compiled whenever a command runs. The npm package
 * keeps them.
 */
export const LEFT_OUT: Readonly<Record<string, { readonly exports: string; readonly why: string }>> = {
  'make-fetch-happen': {
    exports: 'export default function makeFetchHappen() { throw new Error(WHY); }',
    why: "tuf-js's default HTTP fetcher (with its proxy, cache and socks stack): the drill gives tuf-js its own loopback fetcher",
  },
  '@inquirer/external-editor': {
    exports: 'export function editAsync() { throw new Error(WHY); }',
    why: 'the editor prompt of @inquirer/prompts (with its character-set tables): tuf-ceremony asks with password, confirm and input only',
  },
};

const leaveOut: Plugin = {
  name: 'leave-out',
  setup(b) {
    const names = Object.keys(LEFT_OUT).map((n) => n.replace(/[/.]/g, '\\$&'));
    b.onResolve({ filter: new RegExp(`^(${names.join('|')})$`) }, (args) => ({ path: args.path, namespace: 'left-out' }));
    b.onLoad({ filter: /.*/, namespace: 'left-out' }, (args) => {
      const entry = LEFT_OUT[args.path];
      if (entry === undefined) throw new Error(`no stub for ${args.path}`);
      const why = `${args.path} is left out of ${SINGLE_FILE_NAME}: ${entry.why}`;
      return { contents: `const WHY = ${JSON.stringify(why)};\n${entry.exports}\n`, loader: 'js' };
    });
  },
};

/** esbuild's settings common to the program and the launcher. */
const COMMON = {
  absWorkingDir: ROOT,
  bundle: true,
  platform: 'node',
  target: 'node20',
  legalComments: 'eof',
  sourcemap: false,
  minify: false,
  charset: 'ascii',
  metafile: true,
  logLevel: 'warning',
  write: false,
} as const;

/** The launcher's stand-in for main.js (scripts/single-file-main.ts), compiled beside this script. */
const STAND_IN = join(ROOT, 'build', 'scripts', 'single-file-main.js');

const lazyMain: Plugin = {
  name: 'lazy-main',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/build\/src\/cli\/main\.js$/ }, () => ({ path: STAND_IN }));
  },
};

/** What the launcher may bundle: the fast path and the stand-in, nothing from node_modules. */
const LAUNCHER_INPUTS = ['bin/tuf-ceremony.js', 'build/src/version.js', 'build/src/cli/help-fast.js', 'build/src/cli/help-data.js', 'build/scripts/single-file-main.js'];

/**
 * The single file (scripts/single-file-main.ts shows its layout): the
 * program, `build/src/cli/main.js` and everything it imports but the
 * optional native packages and LEFT_OUT, bundled as CommonJS and kept as
 * the text of a comment; then the launcher, `bin/tuf-ceremony.js` bundled
 * with its fast path and the stand-in for main.js that compiles the
 * program when a command runs. ASCII only (esbuild escapes strings;
 * comments are escaped here), so that Node reads it as one-byte text.
 * @returns the files bundled (metafile inputs), for the notices
 */
async function buildSingleFile(pkg: PackageJson, out: string): Promise<string[]> {
  const file = join(out, SINGLE_FILE_NAME);
  const programBuild = await build({
    ...COMMON,
    entryPoints: ['build/src/cli/main.js'],
    format: 'cjs',
    // Loaded with import() only when a token is used; they say so when missing.
    external: Object.keys(pkg.optionalDependencies ?? {}),
    plugins: [leaveOut],
    define: { 'import.meta.url': '__tufCeremonyUrl' },
  });
  const launcherBuild = await build({ ...COMMON, entryPoints: ['bin/tuf-ceremony.js'], format: 'esm', plugins: [lazyMain] });
  // A warning here is a change in meaning (an import.meta esbuild cannot carry into CommonJS, an import() it cannot see): refused.
  const warnings = [...programBuild.warnings, ...launcherBuild.warnings];
  if (warnings.length > 0) throw new Error(`esbuild warned: ${warnings.map((w) => w.text).join('; ')}`);
  const launcherInputs = Object.keys(launcherBuild.metafile.inputs).sort(byName);
  if (launcherInputs.join('\n') !== [...LAUNCHER_INPUTS].sort(byName).join('\n')) throw new Error(`the launcher bundles ${JSON.stringify(launcherInputs)}`);
  const [program] = programBuild.outputFiles;
  const [launcher] = launcherBuild.outputFiles;
  if (program === undefined || launcher === undefined) throw new Error('esbuild wrote nothing');
  const shebang = '#!/usr/bin/env node\n';
  if (!launcher.text.startsWith(shebang)) throw new Error('the launcher does not start with its #! line');
  const launcherText = await asciiComments(launcher.text.slice(shebang.length));
  if (new RegExp(`\\b(function|var|let|const|class)\\s+${PROGRAM_FUNCTION}\\b`).test(launcherText)) throw new Error(`the launcher declares ${PROGRAM_FUNCTION} itself`);
  const head =
    shebang +
    `// tuf-ceremony ${VERSION}, single file (docs/release.md): the program is the comment below, compiled only when a command runs; the launcher follows it.\n`;
  const text = head + hideProgram((await asciiComments(program.text)).trimEnd()) + launcherText;
  if (text.split('\n', PROGRAM_FIRST_LINE)[PROGRAM_FIRST_LINE - 1] !== '"use strict";') throw new Error(`the program does not start at line ${String(PROGRAM_FIRST_LINE)}`);
  writeFileSync(file, text, { mode: 0o755 });
  chmodSync(file, 0o755);
  return [...Object.keys(programBuild.metafile.inputs), ...launcherInputs].filter((input) => !input.startsWith('left-out:'));
}

/**
 * The bundle with every non-ASCII character left (esbuild keeps them in
 * comments) written as `\u{…}`; refused unless esbuild's own minifier,
 * which drops comments, makes the same code of both (so only comments
 * changed).
 */
async function asciiComments(code: string): Promise<string> {
  const ascii = code.replace(/[^\0-\x7f]/gu, (c) => `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`);
  if (ascii === code) return code;
  const strip = async (text: string): Promise<string> => (await transform(text, { minify: true, format: 'esm', charset: 'ascii', legalComments: 'none' })).code;
  if ((await strip(ascii)) !== (await strip(code))) throw new Error('non-ASCII characters outside comments in the bundle');
  return ascii;
}

/** Writes only the single file into `out` (made if absent), as the release has it; returns its path. */
export async function buildSingleFileOnly(out: string): Promise<string> {
  const pkg = readJson<PackageJson>(join(ROOT, 'package.json'));
  checkManifest(pkg);
  mkdirSync(out, { recursive: true });
  await buildSingleFile(pkg, out);
  return join(out, SINGLE_FILE_NAME);
}

/** The package directories (under node_modules) that the bundle took files from. */
function bundledPackageDirs(inputs: readonly string[]): string[] {
  const dirs = new Set<string>();
  for (const input of inputs) {
    const at = input.lastIndexOf('node_modules/');
    if (at < 0) continue;
    const rest = input.slice(at + 'node_modules/'.length).split('/');
    const name = rest[0]?.startsWith('@') === true ? rest.slice(0, 2).join('/') : (rest[0] ?? '');
    dirs.add(input.slice(0, at) + 'node_modules/' + name);
  }
  return [...dirs];
}

/** The license texts of every package bundled into the single file, sorted by name. */
function thirdPartyNotices(dirs: readonly string[]): string {
  const entries = dirs.map((dir) => {
    const abs = join(ROOT, dir);
    const pkg = readJson<{ name: string; version: string; license?: string }>(join(abs, 'package.json'));
    const licenseFile = readdirSync(abs)
      .filter((f) => /^(licen[cs]e|copying)/i.test(f))
      .sort(byName)[0];
    const text = licenseFile === undefined ? `(no license file; package.json says ${pkg.license ?? 'nothing'})\n` : readFileSync(join(abs, licenseFile), 'utf8');
    return { id: `${pkg.name}@${pkg.version}`, license: pkg.license ?? 'unknown', text };
  });
  const unique = [...new Map(entries.map((e) => [e.id, e])).values()].sort((a, b) => byName(a.id, b.id));
  const rule = '='.repeat(72);
  let out = `${SINGLE_FILE_NAME} bundles these ${String(unique.length)} packages. Their licenses follow.\n`;
  for (const e of unique) out += `\n${rule}\n${e.id} (${e.license})\n${rule}\n\n${e.text.replace(/\r\n/g, '\n').trimEnd()}\n`;
  return out;
}

/**
 * The npm package: `npm pack` of the repository, then of that package again
 * with `scripts` and `devDependencies` taken out of its package.json (they
 * point at files the package does not ship).
 * @returns the tarball's name and the package directory it was packed from
 */
function buildTarball(out: string, work: string): { tarball: string; packageDir: string } {
  const first = join(work, 'first');
  mkdirSync(first);
  const [packed] = JSON.parse(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', first], ROOT)) as { filename: string }[];
  if (packed === undefined) throw new Error('npm pack wrote nothing');
  execFileSync('tar', ['-xzf', join(first, packed.filename), '-C', work]);
  const packageDir = join(work, 'package');
  const manifestPath = join(packageDir, 'package.json');
  const manifest = readJson<PackageJson>(manifestPath);
  delete manifest.scripts;
  delete manifest.devDependencies;
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
  const [final] = JSON.parse(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', out], packageDir)) as {
    filename: string;
    bundled: string[];
  }[];
  if (final === undefined || final.filename !== packed.filename) throw new Error('npm pack of the package directory wrote another file');
  const missing = (manifest.bundleDependencies ?? []).filter((d) => !final.bundled.includes(d));
  if (missing.length > 0) throw new Error(`the package does not bundle ${missing.join(', ')}`);
  return { tarball: final.filename, packageDir };
}

/** A UUID (RFC 9562 version 8, "custom") made of the first 122 bits of a SHA-256. */
function uuidFromHash(hex: string): string {
  const b = Buffer.from(hex.slice(0, 32), 'hex');
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x80;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * The CycloneDX SBOM of the runtime dependencies, from package-lock.json.
 * Normalized: `metadata.timestamp` is the source date, the root component
 * is named after the package (npm uses the directory's name), and
 * `serialNumber` is a UUID from the SHA-256 of the document with an empty
 * serial number.
 */
function buildSbom(pkg: PackageJson, epoch: number): string {
  const sbom = JSON.parse(
    npm(['sbom', '--sbom-format', 'cyclonedx', '--sbom-type', 'application', '--omit', 'dev', '--package-lock-only'], ROOT)
  ) as { serialNumber: string; metadata: { timestamp: string; component: { name: string } } };
  sbom.metadata.timestamp = new Date(epoch * 1000).toISOString().replace('.000Z', 'Z');
  sbom.metadata.component.name = pkg.name;
  sbom.serialNumber = '';
  sbom.serialNumber = `urn:uuid:${uuidFromHash(sha256(JSON.stringify(sbom)))}`;
  return JSON.stringify(sbom, null, 2) + '\n';
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'))
    .sort(byName);
}

/**
 * Builds the release into `out`, which must be absent, empty, or an earlier
 * release (it has a SHA256SUMS); it is emptied first.
 * @returns the SHA256SUMS text
 */
export async function buildRelease(out: string, epoch: number): Promise<string> {
  const pkg = readJson<PackageJson>(join(ROOT, 'package.json'));
  checkManifest(pkg);
  if (existsSync(out) && readdirSync(out).length > 0 && !existsSync(join(out, 'SHA256SUMS'))) {
    throw new Error(`${out} is not empty and holds no earlier release (no SHA256SUMS): refusing to empty it`);
  }
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'tuf-ceremony-release-'));
  try {
    const inputs = await buildSingleFile(pkg, out);
    writeFileSync(join(out, 'THIRD-PARTY-NOTICES.txt'), thirdPartyNotices(bundledPackageDirs(inputs)));
    const { packageDir } = buildTarball(out, work);
    writeFileSync(join(out, PACKAGE_MANIFEST_NAME), (await packageManifest(packageDir)).text);
    writeFileSync(join(out, `${pkg.name}-${pkg.version}.cdx.json`), buildSbom(pkg, epoch));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const sums = formatSums(listFiles(out).map((name) => ({ name, sha256: sha256(readFileSync(join(out, name))) })));
  writeFileSync(join(out, 'SHA256SUMS'), sums);
  return sums;
}

const isMain = process.argv[1]?.endsWith(join('scripts', 'release.js')) === true;
if (isMain) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--out');
  const outArg = at >= 0 ? args[at + 1] : undefined;
  if ((at >= 0 && outArg === undefined) || args.length !== (at >= 0 ? 2 : 0)) {
    console.error('usage: node build/scripts/release.js [--out DIR]');
    process.exitCode = 2;
  } else {
    const out = resolve(outArg ?? join(ROOT, 'release'));
    const sums = await buildRelease(out, sourceDateEpoch());
    process.stdout.write(`release written to ${out}\n${sums}`);
  }
}
