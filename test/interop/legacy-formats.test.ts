// SPDX-License-Identifier: Apache-2.0
/**
 * Older formats as found in a long-lived public repository whose root history
 * starts in 2021: Sigstore's root-signing (test/fixtures/sigstore-root-signing,
 * provenance in its README). Hex ECDSA points, keytype ecdsa-sha2-nistp256,
 * `expires` with fractional seconds and a UTC offset, keyid_hash_algorithms,
 * x-tuf-on-ci fields, "" placeholders, signatures under other roots' key IDs.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Metadata, MetadataKind, type Root as TufjsRoot } from '@tufjs/models';
import { runCli, type CliResult } from '../support/cli.js';
import { canonicalBytes } from '../../src/metadata/canonical.js';
import { parseMetadata } from '../../src/metadata/parse.js';

const FIXTURES = new URL('../../../test/fixtures/sigstore-root-signing/', import.meta.url).pathname;

async function verify(args: string[]): Promise<CliResult> {
  return runCli(['verify', ...args]);
}

let tmp: string;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'tuf-ceremony-legacy-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function dirWith(name: string, files: string[]): Promise<string> {
  const d = join(tmp, name);
  await mkdir(d, { recursive: true });
  for (const f of files) await copyFile(join(FIXTURES, f), join(d, f.replace(/^.*\//, '')));
  return d;
}

describe('Sigstore root history (2021–2025)', () => {
  it('verifies the chain v3 → v4 → v5 → v6 across the switch from hex points to PEM keys', async () => {
    const d = await dirWith('chain', ['3.root.json', '4.root.json', '5.root.json', '6.root.json']);
    const r = await verify([d, '--at', '2023-03-01T00:00:00Z']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /trusted root 3\.root\.json: root v3: 3 of 5 needed, 3 valid/);
    assert.match(r.stdout, /4\.root\.json: root v3 → v4: old root 3 of 5 needed, 4 valid/);
    assert.match(r.stdout, /5\.root\.json: root v4 → v5: old root 3 of 5 needed, 3 valid/);
    assert.match(r.stdout, /6\.root\.json: root v5 → v6: old root 3 of 5 needed, 5 valid/);
    assert.match(r.stdout, /verified: final root v6/);
    // The legacy formats are read, and reported.
    assert.match(r.stdout, /warning: 3\.root\.json: expires "2022-11-10T21:58:09\.733402317Z" with fractional seconds/);
    assert.match(r.stdout, /warning: 3\.root\.json: keyid_hash_algorithms in key objects/);
    assert.match(r.stdout, /warning: 3\.root\.json: key [0-9a-f]{8}: hex-encoded ECDSA point instead of PEM/);
    assert.match(r.stdout, /keytype "ecdsa-sha2-nistp256" \(renamed "ecdsa" in spec 1\.0\.32\)/);
  });

  it('fails the same chain once v6 has expired, and at a v4 that is missing', async () => {
    const expired = await verify([await dirWith('chain-expired', ['3.root.json', '4.root.json', '5.root.json', '6.root.json']), '--at', '2023-09-01T00:00:00Z']);
    assert.equal(expired.code, 1);
    assert.match(expired.stderr, /6\.root\.json: root: expired at 2023-08-28T07:54:10Z/);
    const gap = await verify([await dirWith('chain-gap', ['3.root.json', '5.root.json', '6.root.json']), '--at', '2023-03-01T00:00:00Z']);
    assert.equal(gap.code, 1);
    assert.match(gap.stdout, /5\.root\.json: root: unreachable, because 4\.root\.json is missing/);
  });

  it('reads v1 (2021): hex points, expires with fractional seconds and a -06:00 offset, spec_version "1.0"', async () => {
    const d = await dirWith('v1', ['1.root.json']);
    const ok = await verify([d, '--at', '2021-12-18T19:28:12Z']);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /trusted root 1\.root\.json: root v1: 3 of 5 needed, 5 valid/);
    assert.match(ok.stdout, /expires "2021-12-18T13:28:12\.99008-06:00" with fractional seconds and a UTC offset/);
    // -06:00 is honoured: one second after 19:28:12.99 UTC it has expired.
    const late = await verify([d, '--at', '2021-12-18T19:28:13Z']);
    assert.equal(late.code, 1);
  });

  it('v8 and v10 (tuf-on-ci era, x- fields, signatures under the previous root key IDs) self-verify', async () => {
    const v8 = await verify([await dirWith('v8', ['8.root.json']), '--at', '2024-01-01T00:00:00Z']);
    assert.equal(v8.code, 0, v8.stdout + v8.stderr);
    const v10 = await verify([await dirWith('v10', ['10.root.json']), '--at', '2025-01-01T00:00:00Z', '--json']);
    assert.equal(v10.code, 0, v10.stdout + v10.stderr);
    const report = JSON.parse(v10.stdout) as { steps: { thresholds: { unlisted: string[]; counted: number }[] }[] };
    const first = report.steps[0]?.thresholds[0];
    assert.ok(first !== undefined && first.counted >= 3);
    assert.equal(first.unlisted.length, 4, 'the four signatures under v9 key IDs are ignored, not counted');
  });

  it('an under-signed staging file is refused', async () => {
    const d = await dirWith('staged', ['unpublished/2.root.ceremony-2021-11-11-staged-1822badb.json']);
    await copyFile(join(d, '2.root.ceremony-2021-11-11-staged-1822badb.json'), join(d, '2.root.json'));
    await rm(join(d, '2.root.ceremony-2021-11-11-staged-1822badb.json'));
    const r = await verify([d, '--at', '2022-01-01T00:00:00Z']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /2\.root\.json: root: root v2 \(self-signed\): 1 of 3 needed signatures valid/);
  });

  it('tuf-js re-serializes each file to the same canonical bytes and agrees on the 3→6 rotations', async () => {
    const files = ['1.root.json', '3.root.json', '4.root.json', '5.root.json', '6.root.json', '8.root.json', '10.root.json'];
    const models = new Map<string, Metadata<TufjsRoot>>();
    for (const f of files) {
      const bytes = await readFile(join(FIXTURES, f));
      const ours = parseMetadata(bytes, f, 'root');
      const theirs = Metadata.fromJSON(MetadataKind.Root, JSON.parse(bytes.toString('utf8')) as Parameters<typeof Metadata.fromJSON>[1]);
      assert.ok(ours.signedBytes.equals(canonicalBytes(theirs.signed.toJSON())), `${f}: tuf-js re-emits other bytes`);
      models.set(f, theirs);
    }
    for (const [a, b] of [
      ['3.root.json', '4.root.json'],
      ['4.root.json', '5.root.json'],
      ['5.root.json', '6.root.json'],
    ] as const) {
      const prev = models.get(a) as Metadata<TufjsRoot>;
      const next = models.get(b) as Metadata<TufjsRoot>;
      assert.doesNotThrow(() => prev.verifyDelegate('root', next), `${a} → ${b}`);
      assert.doesNotThrow(() => next.verifyDelegate('root', next), `${b} self`);
    }
  });
});
