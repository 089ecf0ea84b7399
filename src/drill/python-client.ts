// SPDX-License-Identifier: Apache-2.0
/**
 * The drill's second client: python-tuf's ngclient `Updater`, the client
 * PEP 458 specifies for pip. It runs as a child process (python3) against
 * the repository served on 127.0.0.1, from a root it trusts: refresh (every
 * newer root, timestamp, snapshot, targets), then for each target the
 * delegated bin that holds it, and the download. Everything that decides
 * acceptance is python-tuf's own code.
 *
 * Where python-tuf comes from (docs/drill.md): `--python-tuf DIR` (a
 * directory holding the `tuf` package, e.g. a source checkout), else the
 * environment variable PYTHON_TUF_PATH, else whatever the interpreter
 * imports itself (`pip install tuf`). The interpreter is $PYTHON, else the
 * first of `python3` on PATH and /usr/bin/python3 that imports tuf,
 * securesystemslib and requests (as `pip install tuf` brings them).
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { serveDirectory } from './serve.js';

/** The client script: arguments base URL, metadata dir, targets dir, then target paths. */
const SCRIPT = `
import hashlib, json, resource, sys, time
from tuf.ngclient import Updater
import tuf
base, metadata_dir, target_dir = sys.argv[1], sys.argv[2], sys.argv[3]
out = {"version": tuf.__version__, "targets": []}
t0 = time.process_time()
u = Updater(metadata_dir=metadata_dir, metadata_base_url=base + "/metadata/", target_dir=target_dir, target_base_url=base + "/targets/")
u.refresh()
out["refresh_cpu_ms"] = round((time.process_time() - t0) * 1000)
for path in sys.argv[4:]:
    info = u.get_targetinfo(path)
    if info is None:
        out["targets"].append({"path": path, "found": False})
        continue
    file = u.download_target(info)
    with open(file, "rb") as f:
        data = f.read()
    out["targets"].append({"path": path, "found": True, "length": len(data), "sha256": hashlib.sha256(data).hexdigest()})
with open(metadata_dir + "/root.json", "rb") as f:
    out["root_version"] = json.loads(f.read())["signed"]["version"]
out["cpu_ms"] = round(time.process_time() * 1000)
out["max_rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps(out))
`;

/** Where python-tuf was found. */
export interface PythonTuf {
  readonly python: string;
  /** Prepended to PYTHONPATH; null when python3 imports tuf by itself. */
  readonly path: string | null;
  readonly version: string;
  /** How it was found: --python-tuf, PYTHON_TUF_PATH or the interpreter's own packages. */
  readonly from: string;
}

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runPython(python: string, args: readonly string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(python, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (e) => resolve({ code: null, stdout, stderr: stderr + e.message }));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The child's environment: no proxy (a loopback request must not go elsewhere), no .pyc files. */
function childEnv(base: NodeJS.ProcessEnv, path: string | null): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(base)) if (!/^(https?|all|no)_proxy$/i.test(k)) env[k] = v;
  env['NO_PROXY'] = '*';
  env['PYTHONDONTWRITEBYTECODE'] = '1';
  if (path !== null) env['PYTHONPATH'] = base['PYTHONPATH'] ? `${path}:${base['PYTHONPATH']}` : path;
  return env;
}

/**
 * Finds python-tuf: `flag` (--python-tuf), else PYTHON_TUF_PATH (both
 * relative to `cwd`), else the interpreter's own packages. Returns why not when it cannot be imported.
 */
export async function findPythonTuf(flag: string | undefined, env: NodeJS.ProcessEnv, cwd: string): Promise<PythonTuf | { readonly missing: string }> {
  const pythons = env['PYTHON'] !== undefined && env['PYTHON'] !== '' ? [env['PYTHON']] : ['python3', '/usr/bin/python3'];
  const fromEnv = env['PYTHON_TUF_PATH'];
  const [given, from] = flag !== undefined ? [flag, '--python-tuf'] : fromEnv !== undefined && fromEnv !== '' ? [fromEnv, 'PYTHON_TUF_PATH'] : [null, 'its own packages'];
  // The client runs in its own directory: the path is made absolute first.
  const path = given === null ? null : resolve(cwd, given);
  const why: string[] = [];
  for (const python of pythons) {
    const r = await runPython(python, ['-c', 'import tuf, tuf.ngclient, requests; print(tuf.__version__)'], childEnv(env, path));
    if (r.code === 0) return { python, path, version: r.stdout.trim(), from };
    why.push(`${python}: ${r.stderr.trim().split('\n').at(-1) ?? 'no output'}`);
  }
  return { missing: `python-tuf could not be imported from ${path ?? 'the interpreter\'s own packages'} (${why.join('; ')})` };
}

export interface PythonCheckInput {
  readonly pythonTuf: PythonTuf;
  readonly env: NodeJS.ProcessEnv;
  /** The directory served: `metadata/` and `targets/` under it. */
  readonly repository: string;
  readonly trustedRoot: Uint8Array;
  /** The targets to look up and download, with their SHA-256 as published. */
  readonly targets: readonly { readonly path: string; readonly sha256: string; readonly length: number }[];
  readonly clientDir: string;
}

export interface PythonCheckResult {
  readonly ok: boolean;
  readonly problem: string | null;
  readonly rootVersion: number | null;
  readonly downloaded: number;
  /** The child's CPU time and peak memory. */
  readonly cpuMs: number | null;
  readonly maxRssKb: number | null;
  readonly requests: number;
  readonly base: string;
}

/**
 * Serves `repository` on 127.0.0.1 and runs python-tuf's Updater against
 * it. A client that refuses is a result (`ok: false`), never an exception.
 */
export async function checkPythonClient(input: PythonCheckInput): Promise<PythonCheckResult> {
  const metadataDir = join(input.clientDir, 'metadata');
  const targetDir = join(input.clientDir, 'targets');
  await mkdir(metadataDir, { recursive: true });
  await mkdir(targetDir, { recursive: true });
  await writeFile(join(metadataDir, 'root.json'), input.trustedRoot);
  const script = join(input.clientDir, 'python_tuf_client.py');
  await writeFile(script, SCRIPT);
  const server = await serveDirectory(input.repository, ['metadata', 'targets']);
  const fail = (problem: string, extra: Partial<PythonCheckResult> = {}): PythonCheckResult => ({
    ok: false,
    problem,
    rootVersion: null,
    downloaded: 0,
    cpuMs: null,
    maxRssKb: null,
    requests: server.requests.length,
    base: server.base,
    ...extra,
  });
  try {
    const py = input.pythonTuf;
    const r = await runPython(py.python, [script, server.base, metadataDir, targetDir, ...input.targets.map((t) => t.path)], childEnv(input.env, py.path), input.clientDir);
    if (r.code !== 0) return fail(`python-tuf refused: ${r.stderr.trim().split('\n').slice(-1).join('') || `exit ${String(r.code)}`}`);
    const doc = JSON.parse(r.stdout) as {
      root_version: number;
      cpu_ms: number;
      max_rss_kb: number;
      targets: { path: string; found: boolean; length?: number; sha256?: string }[];
    };
    const base = { rootVersion: doc.root_version, cpuMs: doc.cpu_ms, maxRssKb: doc.max_rss_kb };
    let downloaded = 0;
    for (const want of input.targets) {
      const got = doc.targets.find((t) => t.path === want.path);
      if (got === undefined || !got.found) return fail(`python-tuf found no target ${want.path}`, base);
      if (got.sha256 !== want.sha256 || got.length !== want.length) return fail(`python-tuf downloaded ${want.path} but its bytes differ from those published`, base);
      downloaded++;
    }
    return { ok: true, problem: null, downloaded, requests: server.requests.length, base: server.base, ...base };
  } finally {
    await server.close();
  }
}
