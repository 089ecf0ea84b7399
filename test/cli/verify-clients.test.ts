// SPDX-License-Identifier: Apache-2.0
/**
 * `verify` on Sigstore's production repository through the CLI: exit 0,
 * the per-client verdict lines, `--require` (exit 1 when a named client
 * would reject, exit 2 for an unknown name) and the same verdicts in --json.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../support/cli.js';
import { quirkyRepo } from '../support/quirky-repo.js';

const SIGSTORE = new URL('../../../test/fixtures/real/sigstore-root-signing/', import.meta.url).pathname;
const AT = '2026-08-22T00:00:00Z';
const V10 = `${SIGSTORE}root_history/10.root.json`;

describe("verify: per-client verdicts on Sigstore's production repository", () => {
  it('from root v1: exit 0, tuf-js accepts, python-tuf and go-tuf would reject (v1-v3 expires, hex ECDSA keys)', async () => {
    const r = await runCli(['verify', SIGSTORE, '--at', AT]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^client python-tuf: would reject: root_history\/1\.root\.json: expires "2021-12-18T13:28:12\.99008-06:00" .*\[expires-strict\]/m);
    assert.match(r.stdout, /^client go-tuf: would reject: .*\[expires-reserialized\]/m);
    assert.match(r.stdout, /^client tuf-js: accepts$/m);
    assert.equal((await runCli(['verify', SIGSTORE, '--at', AT, '--require', 'tuf-js'])).code, 0);
    const req = await runCli(['verify', SIGSTORE, '--at', AT, '--require', 'tuf-js,python-tuf']);
    assert.equal(req.code, 1);
    assert.match(req.stderr, /the specification's checks pass, but python-tuf would reject this repository/);
  });

  it('from the trusted root v10 (as Sigstore clients ship a newer root): all three accept, --require all of them is exit 0', async () => {
    const r = await runCli(['verify', SIGSTORE, '--at', AT, '--trusted-root', V10, '--require', 'python-tuf,go-tuf,tuf-js', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { ok: boolean; clients: Record<string, { accepts: boolean; reasons: unknown[] }> };
    assert.equal(doc.ok, true);
    assert.deepEqual(Object.keys(doc.clients), ['python-tuf', 'go-tuf', 'tuf-js']);
    for (const v of Object.values(doc.clients)) assert.deepEqual(v, { accepts: true, reasons: [] });
  });

  it('--require with an unknown client name is exit 2', async () => {
    const r = await runCli(['verify', SIGSTORE, '--at', AT, '--require', 'python-tuf,rust-tuf']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--require: "rust-tuf" is not a client family/);
  });
});

describe('verify --allow-extra-timestamp-meta', () => {
  it('an extra timestamp meta entry is exit 1, exit 0 with the flag, and the verdicts still say python-tuf and tuf-js reject it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tuf-ceremony-tsmeta-'));
    try {
      await mkdir(dir, { recursive: true });
      const repo = quirkyRepo({ hooks: { timestamp: (t) => ((t['meta'] as Record<string, unknown>)['targets.json'] = { version: 1 }) } });
      for (const [n, b] of repo.files) await writeFile(join(dir, n), b);
      const at = '2030-01-01T00:00:00Z';
      const r = await runCli(['verify', dir, '--at', at]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /timestamp\.json: timestamp: meta lists "targets\.json" beside snapshot\.json/);
      const ok = await runCli(['verify', dir, '--at', at, '--allow-extra-timestamp-meta']);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /^client python-tuf: would reject: timestamp\.json: .*\[timestamp-extra-meta\]$/m);
      assert.match(ok.stdout, /^client go-tuf: accepts$/m);
      assert.equal((await runCli(['verify', dir, '--at', at, '--allow-extra-timestamp-meta', '--require', 'go-tuf'])).code, 0);
      assert.equal((await runCli(['verify', dir, '--at', at, '--allow-extra-timestamp-meta', '--require', 'tuf-js'])).code, 1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
