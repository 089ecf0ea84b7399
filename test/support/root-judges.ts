// SPDX-License-Identifier: Apache-2.0
/**
 * A small local judge (the shared python-tuf harness of test/support is
 * another branch's): does python-tuf 3.1.1 (vendored at
 * ../shared/vendor/python-tuf) and does tuf-js's model (@tufjs/models, the
 * code tuf-js's updater verifies with) accept a directory's root chain,
 * 1.root.json → N.root.json, as a client updating its trusted root does?
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Metadata, MetadataKind } from '@tufjs/models';

type JSONObject = Parameters<typeof Metadata.fromJSON>[1];

/** The vendored python-tuf, or null when this clone has no ../shared beside it. */
export const PYTHON_TUF = ((): string | null => {
  const p = new URL('../../../../shared/vendor/python-tuf', import.meta.url).pathname;
  return existsSync(join(p, 'tuf')) ? p : null;
})();

const SCRIPT = `
import json, os, sys
from tuf.ngclient._internal.trusted_metadata_set import TrustedMetadataSet
out = {}
for d in sys.argv[1:]:
    try:
        with open(os.path.join(d, "1.root.json"), "rb") as f:
            data = f.read()
        try:
            s = TrustedMetadataSet(data)
        except TypeError:
            from tuf.ngclient.config import EnvelopeType
            s = TrustedMetadataSet(data, EnvelopeType.METADATA)
        v = 1
        while os.path.exists(os.path.join(d, "%d.root.json" % (v + 1))):
            with open(os.path.join(d, "%d.root.json" % (v + 1)), "rb") as f:
                s.update_root(f.read())
            v += 1
        out[d] = {"ok": True, "version": s.root.signed.version}
    except Exception as e:
        out[d] = {"ok": False, "error": repr(e)}
print(json.dumps(out))
`;

/** python-tuf's verdict on each directory's root chain (one process for all). */
export function pythonTufRootChains(dirs: readonly string[]): Record<string, { ok: boolean; version?: number; error?: string }> {
  if (PYTHON_TUF === null) throw new Error('python-tuf is not vendored at ../shared/vendor/python-tuf');
  const r = spawnSync('/usr/bin/python3', ['-c', SCRIPT, ...dirs], {
    env: { ...process.env, PYTHONPATH: PYTHON_TUF, PYTHONDONTWRITEBYTECODE: '1' },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`python-tuf judge failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, { ok: boolean; version?: number; error?: string }>;
}

/** tuf-js's verdict: each N+1 verified by N's root role and by its own. Returns the final version. */
export function tufjsRootChain(dir: string): number {
  let trusted = Metadata.fromJSON(MetadataKind.Root, JSON.parse(readFileSync(join(dir, '1.root.json'), 'utf8')) as JSONObject);
  trusted.verifyDelegate('root', trusted);
  for (let v = 2; existsSync(join(dir, `${String(v)}.root.json`)); v++) {
    const next = Metadata.fromJSON(MetadataKind.Root, JSON.parse(readFileSync(join(dir, `${String(v)}.root.json`), 'utf8')) as JSONObject);
    trusted.verifyDelegate('root', next);
    next.verifyDelegate('root', next);
    if (next.signed.version !== v) throw new Error(`${String(v)}.root.json holds version ${String(next.signed.version)}`);
    trusted = next;
  }
  return trusted.signed.version;
}
