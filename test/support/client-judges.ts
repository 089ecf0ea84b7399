// SPDX-License-Identifier: Apache-2.0
/**
 * The real clients as judges of a small repository (1.root.json, timestamp,
 * snapshot, targets, delegated roles): tuf-js's TrustedMetadataStore (the
 * client's own verification core, from npm) and python-tuf's ngclient
 * TrustedMetadataSet (3.1.1, vendored at ../shared/vendor/python-tuf or
 * PYTHON_TUF_PATH). Both are given a fixed reference time. Each says
 * accept, or reject with the client's message.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';

export interface Judgement {
  readonly accepts: boolean;
  readonly message: string;
}

export interface JudgedRepo {
  readonly files: ReadonlyMap<string, Uint8Array>;
  readonly consistent: boolean;
  /** Delegated role names (delegated by targets), in order. */
  readonly delegated: readonly string[];
  readonly atMs: number;
}

function fileFor(repo: JudgedRepo, role: string): Uint8Array {
  const name = repo.consistent ? `1.${role}.json` : `${role}.json`;
  const b = repo.files.get(name);
  if (b === undefined) throw new Error(`test repository has no ${name}`);
  return b;
}

interface TufjsStore {
  referenceTime: Date;
  updateTimestamp(b: Buffer): unknown;
  updateSnapshot(b: Buffer): unknown;
  updateDelegatedTargets(b: Buffer, role: string, delegator: string): unknown;
}

const require = createRequire(import.meta.url);

/** tuf-js 4.x: its TrustedMetadataStore, which the Updater drives. */
export function tufjsJudge(repo: JudgedRepo): Judgement {
  const { TrustedMetadataStore } = require('tuf-js/dist/store.js') as { TrustedMetadataStore: new (b: Buffer) => TufjsStore };
  try {
    const store = new TrustedMetadataStore(Buffer.from(repo.files.get('1.root.json') as Uint8Array));
    store.referenceTime = new Date(repo.atMs);
    store.updateTimestamp(Buffer.from(repo.files.get('timestamp.json') as Uint8Array));
    store.updateSnapshot(Buffer.from(fileFor(repo, 'snapshot')));
    store.updateDelegatedTargets(Buffer.from(fileFor(repo, 'targets')), 'targets', 'root');
    for (const d of repo.delegated) store.updateDelegatedTargets(Buffer.from(fileFor(repo, d)), d, 'targets');
    return { accepts: true, message: '' };
  } catch (e) {
    return { accepts: false, message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
}

/** Where python-tuf is: PYTHON_TUF_PATH, else ../shared/vendor/python-tuf beside the repository. */
export function pythonTufPath(): string | undefined {
  const candidates = [process.env['PYTHON_TUF_PATH'], new URL('../../../../shared/vendor/python-tuf/', import.meta.url).pathname];
  return candidates.find((p) => p !== undefined && p !== '' && existsSync(join(p, 'tuf', 'ngclient')));
}

const PY = `
import sys, datetime, json
from tuf.ngclient._internal.trusted_metadata_set import TrustedMetadataSet
d = sys.argv[1]; consistent = sys.argv[2] == '1'; at = int(sys.argv[3]); delegated = json.loads(sys.argv[4])
name = lambda r: (d + '/1.' + r + '.json') if consistent else (d + '/' + r + '.json')
read = lambda p: open(p, 'rb').read()
try:
    s = TrustedMetadataSet(read(d + '/1.root.json'))
    s.reference_time = datetime.datetime.utcfromtimestamp(at / 1000)
    s.update_timestamp(read(d + '/timestamp.json'))
    s.update_snapshot(read(name('snapshot')))
    s.update_targets(read(name('targets')))
    for r in delegated:
        s.update_delegated_targets(read(name(r)), r, 'targets')
    print('ACCEPT')
except Exception as e:
    print('REJECT ' + type(e).__name__ + ': ' + str(e))
`;

/** python-tuf's TrustedMetadataSet; undefined when python-tuf is not there. */
export function pythonJudge(repo: JudgedRepo): Judgement | undefined {
  const path = pythonTufPath();
  if (path === undefined) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'tuf-ceremony-pyjudge-'));
  try {
    for (const [n, b] of repo.files) writeFileSync(join(dir, n), b);
    const r = spawnSync('/usr/bin/python3', ['-c', PY, dir, repo.consistent ? '1' : '0', String(repo.atMs), JSON.stringify(repo.delegated)], {
      encoding: 'utf8',
      env: { ...process.env, PYTHONPATH: path, PYTHONDONTWRITEBYTECODE: '1' },
      timeout: 60_000,
    });
    const out = r.stdout.trim();
    if (!out.startsWith('ACCEPT') && !out.startsWith('REJECT')) throw new Error(`python-tuf judge failed: ${r.stderr}`);
    return { accepts: out.startsWith('ACCEPT'), message: out };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
