// SPDX-License-Identifier: Apache-2.0
/**
 * python-tuf (the ngclient pip uses for PEP 458) as an independent judge of
 * metadata on disk: `test/support/python-tuf-judge.py` feeds the files to its
 * `TrustedMetadataSet` in the client's order at a reference time.
 *
 * python-tuf 3.1.1 is looked for at $PYTHON_TUF_PATH, else at
 * `../shared/vendor/python-tuf` beside the project; the interpreter is
 * $PYTHON_TUF_PYTHON, else `/usr/bin/python3` (Debian's, which sees
 * python3-securesystemslib, python3-cryptography and python3-requests), else
 * `python3` on PATH. When something is missing, `pythonTuf(t)` skips the test
 * naming what is missing; under CI=true it fails instead.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

const SCRIPT = new URL('../../../test/support/python-tuf-judge.py', import.meta.url).pathname;
const VENDORED = new URL('../../../../shared/vendor/python-tuf', import.meta.url).pathname;

/** One metadata file fed to a client, and what the client said. */
export interface JudgeStep {
  readonly role: string;
  readonly file: string;
  readonly ok: boolean;
  readonly error?: string;
}

/** A client's verdict on a repository directory at a reference time. */
export interface JudgeVerdict {
  readonly ok: boolean;
  readonly steps: readonly JudgeStep[];
}

export interface JudgeCase {
  /** Absolute path of the metadata directory. */
  readonly dir: string;
  /** Reference time, `YYYY-MM-DDTHH:MM:SSZ`. */
  readonly at: string;
  /** The trusted root, relative to `dir`; default: the lowest `N.root.json`, else `root.json`. */
  readonly trustedRoot?: string;
}

/** One delegation judged alone: `delegator` (a file) verifies `delegate` as `role`. */
export interface DelegateCase {
  readonly delegator: string;
  readonly role: string;
  readonly delegate: string;
  /** Target paths to ask the delegate's own delegations about. */
  readonly paths?: readonly string[];
}

export interface DelegateVerdict {
  readonly ok: boolean;
  readonly error?: string;
  /** For each path asked: [role, terminating] in the order python-tuf visits them. */
  readonly rolesFor: Readonly<Record<string, readonly (readonly [string, boolean])[]>>;
}

export interface PythonTuf {
  readonly python: string;
  readonly path: string;
  /** The python-tuf version that answered. */
  readonly version: string;
  /** Judges every case in one python process. */
  judge(cases: readonly JudgeCase[]): JudgeVerdict[];
  /** Judges delegations alone (python-tuf's Metadata.verify_delegate, get_roles_for_target). */
  delegates(cases: readonly DelegateCase[]): DelegateVerdict[];
}

const IMPORTS = 'import tuf, tuf.ngclient, securesystemslib, cryptography, requests; print(tuf.__version__)';

function env(path: string): NodeJS.ProcessEnv {
  return { ...process.env, PYTHONPATH: path, PYTHONDONTWRITEBYTECODE: '1' };
}

type Found = { readonly ok: true; readonly judge: PythonTuf } | { readonly ok: false; readonly missing: string };

function find(): Found {
  const path = process.env['PYTHON_TUF_PATH'] ?? VENDORED;
  if (!existsSync(join(path, 'tuf', 'ngclient'))) {
    return { ok: false, missing: `python-tuf not found at ${path} (set PYTHON_TUF_PATH, or lay python-tuf 3.1.1 at ../shared/vendor/python-tuf)` };
  }
  const pythons = [process.env['PYTHON_TUF_PYTHON'], '/usr/bin/python3', 'python3'].filter((p): p is string => p !== undefined && p !== '');
  const why: string[] = [];
  for (const python of pythons) {
    const r = spawnSync(python, ['-c', IMPORTS], { encoding: 'utf8', env: env(path) });
    if (r.error !== undefined) {
      why.push(`${python}: ${r.error.message}`);
      continue;
    }
    if (r.status !== 0) {
      why.push(`${python}: ${r.stderr.trim().split('\n').pop() ?? `exit ${String(r.status)}`}`);
      continue;
    }
    const version = r.stdout.trim();
    const judge: PythonTuf = {
      python,
      path,
      version,
      judge: (cases) => run(python, path, { cases: cases.map((c) => ({ dir: c.dir, at: c.at, trustedRoot: c.trustedRoot ?? null })) }).results,
      delegates: (cases) => run(python, path, { delegates: cases.map((c) => ({ ...c, paths: c.paths ?? [] })) }).delegates,
    };
    return { ok: true, judge };
  }
  return {
    ok: false,
    missing: `no python3 can import python-tuf from ${path} with securesystemslib, cryptography and requests (Debian: python3-securesystemslib python3-cryptography python3-requests): ${why.join('; ')}`,
  };
}

function run(python: string, path: string, request: object): { results: JudgeVerdict[]; delegates: DelegateVerdict[] } {
  const r = spawnSync(python, [SCRIPT], {
    input: JSON.stringify(request),
    encoding: 'utf8',
    env: env(path),
    maxBuffer: 64 * 1024 * 1024,
  });
  assert.equal(r.status, 0, `python-tuf judge failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { results: JudgeVerdict[]; delegates: DelegateVerdict[] };
}

let cached: Found | undefined;

/** python-tuf, probed once per process; undefined when it is not available. */
export function findPythonTuf(): PythonTuf | string {
  cached ??= find();
  return cached.ok ? cached.judge : cached.missing;
}

/**
 * python-tuf for a test: skips the test naming what is missing, or fails it
 * under CI=true. Returns undefined when skipped.
 */
export function pythonTuf(t: TestContext): PythonTuf | undefined {
  const found = findPythonTuf();
  if (typeof found !== 'string') return found;
  if (process.env['CI'] === 'true') assert.fail(`python-tuf is required under CI=true: ${found}`);
  t.skip(`python-tuf not available: ${found}`);
  return undefined;
}
