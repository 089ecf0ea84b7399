// SPDX-License-Identifier: Apache-2.0
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, type CliResult } from '../support/cli.js';
import { computeKeyId } from '../../src/metadata/keys.js';
import type { Root } from '../../src/metadata/model.js';
import { parseMetadata } from '../../src/metadata/parse.js';
import { serializeMetadata, stringifySorted } from '../../src/metadata/serialize.js';
import { signMetadata, testKey } from '../support/keys.js';
import { buildRepository, writeRepository } from '../support/repo.js';

const DEMO = new URL('../../../test/fixtures/real/tuf-on-ci-demo/', import.meta.url).pathname;
const BIN = new URL('../../../bin/tuf-ceremony.js', import.meta.url).pathname;
const AT = '2030-01-01T00:00:00Z';
async function run(args: string[], cwd = process.cwd()): Promise<CliResult> {
  return runCli(args, { cwd });
}

let tmp: string;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'tuf-ceremony-verify-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

let counter = 0;
/** A fresh repository on disk; returns its metadata directory. */
async function freshRepo(spec: Partial<Parameters<typeof buildRepository>[0]> = {}): Promise<string> {
  const dir = join(tmp, `repo-${String(counter++)}`);
  await writeRepository(
    dir,
    buildRepository({ expires: '2031-01-01T00:00:00Z', rootVersions: 3, delegation: 'paths', targets: { 'project/a.txt': Buffer.from('a') }, ...spec })
  );
  return join(dir, 'metadata');
}

/** Writes a hand-made root as DIR/1.root.json (no profile check: it may be odd on purpose). */
async function writeRoot(dir: string, md: { signatures: unknown; signed: Root }): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, '1.root.json'), stringifySorted(md));
}

async function snapshotDir(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const p = join(e.parentPath, e.name);
    out.set(p, createHash('sha256').update(await readFile(p)).digest('hex'));
  }
  return out;
}

describe('verify: metadata written by other tools', () => {
  it('verifies the tuf-on-ci demo repository (git layout, YubiKey and KMS keys, delegations)', async () => {
    const r = await run(['verify', DEMO, '--at', '2026-08-22T00:00:00Z']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /trusted root root_history\/1\.root\.json: root v1: 1 of 2 needed, 2 valid/);
    for (const v of [2, 3, 4, 5]) assert.match(r.stdout, new RegExp(`root v${String(v - 1)} → v${String(v)}`));
    for (const role of ['jku', 'kommendorkapten', 'rdimitrov']) assert.match(r.stdout, new RegExp(`ok +delegated role ${role} v\\d+`));
    assert.match(r.stdout, /targets v7 \(targets\.json\)/);
    assert.match(r.stdout, /@jku/);
  });

  it('fails the demo repository once its timestamp has expired, naming the file', async () => {
    const r = await run(['verify', DEMO, '--at', '2026-09-01T00:00:00Z']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /FAIL +timestamp v\d+ \(timestamp\.json\)/);
    assert.match(r.stderr, /timestamp\.json: timestamp: expired at 2026-08-23T19:35:30Z/);
  });

  it('starts from --trusted-root instead of the lowest root', async () => {
    const r = await run(['verify', DEMO, '--at', '2026-08-22T00:00:00Z', '--trusted-root', join(DEMO, 'root_history/3.root.json'), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { trustedRoot: { version: number }; steps: { kind: string }[] };
    assert.equal(report.trustedRoot.version, 3);
    assert.equal(report.steps.filter((s) => s.kind === 'root-rotation').length, 2);
  });
});

describe('verify: our own repositories', () => {
  it('prints one line per step and exits 0; --json gives the same as a document', async () => {
    const dir = await freshRepo();
    const r = await run(['verify', dir, '--at', AT]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ok {4}trusted root 1\.root\.json: root v1: 2 of 3 needed, 2 valid \(/m);
    assert.match(r.stdout, /root v2 → v3: old root 2 of 3 needed, 3 valid/);
    assert.match(r.stdout, /verified: final root v3/);
    const j = await run(['verify', dir, '--at', AT, '--json']);
    assert.equal(j.code, 0);
    const report = JSON.parse(j.stdout) as { ok: boolean; at: string; finalRoot: { version: number }; steps: { kind: string; ok: boolean }[] };
    assert.equal(report.ok, true);
    assert.equal(report.at, AT);
    assert.equal(report.finalRoot.version, 3);
    assert.deepEqual(
      report.steps.map((s) => s.kind),
      ['trusted-root', 'root-rotation', 'root-rotation', 'root', 'timestamp', 'snapshot', 'targets', 'delegated']
    );
  });

  it('verifies succinct hash bins (every bin present)', async () => {
    const dir = await freshRepo({ delegation: 'bins', binBitLength: 6, targets: { 'x/1': Buffer.from('1'), 'y/2': Buffer.from('2') } });
    const r = await run(['verify', dir, '--at', AT]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /hash bins bin-\* \(64 bins, from targets in 1\.targets\.json\): 64 present, 64 verified/);
  });

  it('reads a workspace directory: DIR/metadata', async () => {
    const dir = await freshRepo();
    const r = await run(['verify', join(dir, '..'), '--at', AT]);
    assert.equal(r.code, 0, r.stderr);
  });

  it('exits 1 when the final root has expired at --at, and warns within 30 days', async () => {
    const dir = await freshRepo();
    const expired = await run(['verify', dir, '--at', '2031-01-01T00:00:00Z']);
    assert.equal(expired.code, 1);
    assert.match(expired.stderr, /3\.root\.json: root: expired at 2031-01-01T00:00:00Z/);
    const soon = await run(['verify', dir, '--at', '2030-12-15T00:00:00Z']);
    assert.equal(soon.code, 0);
    assert.match(soon.stdout, /warning: 3\.root\.json: root expires 2031-01-01T00:00:00Z, in 17 days/);
  });

  it('exits 1 on a flipped signature byte, naming file, role and what failed', async () => {
    const dir = await freshRepo();
    const p = join(dir, '1.targets.json');
    const md = JSON.parse(await readFile(p, 'utf8')) as { signatures: { sig: string }[] };
    const sig = md.signatures[0] as { sig: string };
    sig.sig = (sig.sig.startsWith('0') ? '1' : '0') + sig.sig.slice(1);
    await writeFile(p, JSON.stringify(md));
    const r = await run(['verify', dir, '--at', AT]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /1\.targets\.json: targets: root v3 targets keys: 0 of 1 needed signatures valid; invalid signatures from/);
  });

  it('exits 1 when a root version is missing from the chain (later roots unreachable)', async () => {
    const dir = await freshRepo();
    await rm(join(dir, '2.root.json'));
    await rm(join(dir, 'root.json'));
    const r = await run(['verify', dir, '--at', AT]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /3\.root\.json: root: unreachable, because 2\.root\.json is missing/);
  });

  it('exits 1 when root.json differs from the N.root.json of the same version', async () => {
    const dir = await freshRepo();
    await cp(join(dir, '2.root.json'), join(dir, 'root.json'));
    const other = await freshRepo({ keyLabel: 'other' });
    await cp(join(other, '3.root.json'), join(dir, 'root.json'));
    const r = await run(['verify', dir, '--at', AT]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /root\.json: root: differs from 3\.root\.json/);
  });

  it('counts one public key listed under two key IDs once, and says so', async () => {
    const dir = join(tmp, `samekey-${String(counter++)}`);
    const a = testKey('same/a');
    const b = testKey('same/b');
    const twin = { ...a.tuf, 'x-note': 'same key again' };
    const twinId = computeKeyId(twin);
    const online = testKey('same/online');
    const signed: Root = {
      _type: 'root',
      spec_version: '1.0.31',
      version: 1,
      expires: '2031-01-01T00:00:00Z',
      consistent_snapshot: true,
      keys: { [a.keyid]: a.tuf, [twinId]: twin, [b.keyid]: b.tuf, [online.keyid]: online.tuf },
      roles: {
        root: { keyids: [a.keyid, twinId, b.keyid], threshold: 2 },
        targets: { keyids: [b.keyid], threshold: 1 },
        snapshot: { keyids: [online.keyid], threshold: 1 },
        timestamp: { keyids: [online.keyid], threshold: 1 },
      },
    };
    const md = signMetadata(signed, [a]);
    // The same key signs again under its second key ID.
    await writeRoot(dir, { signatures: [...md.signatures, { keyid: twinId, sig: (md.signatures[0] as { sig: string }).sig }], signed });
    const r = await run(['verify', dir, '--at', AT]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /2 of 3 needed, 1 valid \(.*\), counted once per public key/);
    assert.match(r.stdout, /one public key is listed under 2 key IDs/);
  });

  it('does not count an unknown key type, and says so', async () => {
    const dir = join(tmp, `unknown-${String(counter++)}`);
    const a = testKey('unk/a');
    const b = testKey('unk/b');
    const oidc = { keytype: 'sigstore-oidc', scheme: 'Fulcio', keyval: { identity: 'x@example.com', issuer: 'https://example.com', public: '' } };
    const oidcId = computeKeyId(oidc);
    const signed: Root = {
      _type: 'root',
      spec_version: '1.0.31',
      version: 1,
      expires: '2031-01-01T00:00:00Z',
      consistent_snapshot: true,
      keys: { [a.keyid]: a.tuf, [b.keyid]: b.tuf, [oidcId]: oidc },
      roles: {
        root: { keyids: [a.keyid, b.keyid], threshold: 2 },
        targets: { keyids: [oidcId, a.keyid], threshold: 1 },
        snapshot: { keyids: [b.keyid], threshold: 1 },
        timestamp: { keyids: [b.keyid], threshold: 1 },
      },
    };
    await writeRoot(dir, signMetadata(signed, [a, b]));
    const r = await run(['verify', dir, '--at', AT]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /warning: 1\.root\.json: targets: key [0-9a-f]{8} cannot verify: unknown key type "sigstore-oidc"/);
    assert.match(r.stdout, /key [0-9a-f]{8} signs for offline role root and online role snapshot/);
  });
});

describe('verify: hostile input ends in exit 2 naming the file and field, and changes nothing', () => {
  const cases: [string, string, (bytes: Buffer) => Buffer | string, RegExp][] = [
    ['malformed JSON', '2.root.json', (b) => b.toString().replace('"signed"', '"signed" "'), /2\.root\.json: not valid JSON at line \d+ column \d+/],
    ['truncated file', 'timestamp.json', (b) => b.subarray(0, Math.floor(b.length / 2)), /timestamp\.json: not valid JSON/],
    ['empty file', '1.snapshot.json', () => '', /1\.snapshot\.json: not valid JSON.*empty file/],
    ['duplicate key', '1.targets.json', (b) => b.toString().replace('"_type": "targets",', '"_type": "targets", "_type": "targets",'), /1\.targets\.json: signed\._type: duplicate key/],
    ['float', '1.snapshot.json', (b) => b.toString().replace(/"version": 1\n/, '"version": 1.0\n'), /1\.snapshot\.json: signed\.meta\["project\.json"\]\.version: number 1\.0 is not an integer/],
    ['integer beyond 2^53', '1.project.json', (b) => b.toString().replace(/"length": 1\n/, '"length": 9007199254740993\n'), /1\.project\.json: signed\.targets\["project\/a\.txt"\]\.length: integer 9007199254740993 is beyond 2\^53-1/],
    ['BOM', '3.root.json', (b) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), b]), /3\.root\.json: starts with a UTF-8 byte order mark/],
    ['invalid UTF-8', '1.root.json', (b) => Buffer.concat([b.subarray(0, 20), Buffer.from([0xc3, 0x28]), b.subarray(20)]), /1\.root\.json: not valid UTF-8/],
    ['wrong _type', 'timestamp.json', (b) => b.toString().replace('"_type": "timestamp"', '"_type": "snapshot"'), /timestamp\.json: signed\._type: is "snapshot" where "timestamp" metadata is expected/],
    ['threshold as a string', '2.root.json', (b) => b.toString().replace('"threshold": 2', '"threshold": "2"'), /2\.root\.json: signed\.roles\.root\.threshold: must be an integer >= 1 \(got the string "2"\)/],
    ['oversized root', '1.root.json', (b) => b.toString().replace('"signed": {', `"padding": "${'x'.repeat(520_000)}", "signed": {`), /1\.root\.json: file is \d+ bytes, more than the 512000 accepted/],
    ['duplicate signature key ID', '1.targets.json', (b) => {
      const md = JSON.parse(b.toString()) as { signatures: unknown[] };
      md.signatures.push(md.signatures[0]);
      return JSON.stringify(md);
    }, /1\.targets\.json: signatures\[1\]\.keyid: duplicate key ID/],
  ];
  for (const [what, file, mutate, expected] of cases) {
    it(`${what} in ${file}`, async () => {
      const dir = await freshRepo();
      const p = join(dir, file);
      await writeFile(p, mutate(await readFile(p)));
      const before = await snapshotDir(join(dir, '..'));
      const r = await run(['verify', dir, '--at', AT]);
      assert.equal(r.code, 2, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stderr, /^error\[INVALID_INPUT\]: /);
      assert.match(r.stderr, expected);
      assert.deepEqual(await snapshotDir(join(dir, '..')), before);
      const j = await run(['verify', dir, '--at', AT, '--json']);
      assert.equal(j.code, 2);
      const doc = JSON.parse(j.stdout) as { ok: boolean; error: { code: string; file: string } };
      assert.equal(doc.ok, false);
      assert.equal(doc.error.code, 'INVALID_INPUT');
    });
  }

  it('bad --at value', async () => {
    const r = await run(['verify', DEMO, '--at', 'tomorrow']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--at: "tomorrow" is not a date-time/);
  });

  it('--trusted-root that does not exist, and one that is not a root', async () => {
    const missing = await run(['verify', DEMO, '--at', AT, '--trusted-root', join(tmp, 'nope.json')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.json: no such file/);
    const notRoot = await run(['verify', DEMO, '--at', AT, '--trusted-root', join(DEMO, 'targets.json')]);
    assert.equal(notRoot.code, 2);
    assert.match(notRoot.stderr, /targets\.json: signed\._type: is "targets" where "root" metadata is expected/);
  });

  it('a directory that does not exist, and one with no metadata', async () => {
    const r = await run(['verify', join(tmp, 'no-such-dir'), '--at', AT]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no-such-dir: not a directory/);
    const empty = join(tmp, `empty-${String(counter++)}`);
    await mkdir(empty);
    const e = await run(['verify', empty, '--at', AT]);
    assert.equal(e.code, 1);
    assert.match(e.stdout, /no root metadata found/);
  });

  it('--max-file-size: a file over it is refused naming the file; bad sizes are usage errors', async () => {
    const dir = await freshRepo();
    const sizes = await Promise.all((await readdir(dir)).map(async (f) => [f, (await readFile(join(dir, f))).length] as const));
    const [largest, size] = sizes.reduce((a, b) => (b[1] > a[1] ? b : a));
    const ok = await run(['verify', dir, '--at', AT, '--max-file-size', '1MiB']);
    assert.equal(ok.code, 0, ok.stderr);
    const over = await run(['verify', dir, '--at', AT, '--max-file-size', String(size - 1)]);
    assert.equal(over.code, 2);
    assert.ok(over.stderr.includes(`${largest}: file is ${String(size)} bytes, more than the ${String(size - 1)} accepted`), over.stderr);
    for (const bad of ['0', '-5', '1.5M', '12 parsecs', '1T']) {
      const r = await run(['verify', dir, '--at', AT, '--max-file-size', bad]);
      assert.equal(r.code, 2, bad);
      assert.match(r.stderr, /--max-file-size: .* is not a size/, bad);
    }
    const huge = await run(['verify', dir, '--at', AT, '--max-file-size', '1G']);
    assert.equal(huge.code, 2);
    assert.match(huge.stderr, /--max-file-size: 1G is more than 536870888 bytes/);
  });

  it('an unknown option is a usage error', async () => {
    const r = await run(['verify', '--frobnicate']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown option '--frobnicate'/);
  });
});

describe('verify: as a real process', () => {
  it('exit codes reach the shell (0, 1, 2)', async () => {
    const dir = await freshRepo();
    const ok = spawnSync(process.execPath, [BIN, 'verify', dir, '--at', AT], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    const expired = spawnSync(process.execPath, [BIN, 'verify', dir, '--at', '2040-01-01'], { encoding: 'utf8' });
    assert.equal(expired.status, 1);
    await writeFile(join(dir, 'timestamp.json'), '{"signed": 1.5}');
    const bad = spawnSync(process.execPath, [BIN, 'verify', dir, '--at', AT], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /timestamp\.json: signed: number 1\.5 is not an integer/);
  });

  it('--help documents the exit codes', () => {
    const h = spawnSync(process.execPath, [BIN, 'verify', '--help'], { encoding: 'utf8' });
    assert.equal(h.status, 0);
    assert.match(h.stdout, /--trusted-root <FILE>/);
    assert.match(h.stdout, /Exit codes:\n {2}0 {4}success/);
  });
});

describe('the bundled example repository', () => {
  it('verifies, and regenerating it gives the same bytes', async () => {
    const example = new URL('../../../examples/repository/metadata/', import.meta.url).pathname;
    const r = await run(['verify', example, '--at', AT]);
    assert.equal(r.code, 0, r.stderr);
    const { buildExample } = await import('../../scripts/make-example.js');
    const built = buildExample();
    const names = (await readdir(example)).sort();
    assert.deepEqual(names, [...built.metadata.keys()].sort());
    for (const [name, bytes] of built.metadata) {
      assert.ok(Buffer.from(bytes).equals(await readFile(join(example, name))), `${name} differs from a fresh build`);
    }
    // And what we emit passes the serializer's own profile check when re-read.
    for (const [name, bytes] of built.metadata) {
      const md = parseMetadata(bytes, name);
      assert.ok(Buffer.from(serializeMetadata(md, name)).equals(Buffer.from(bytes)), `${name} does not round-trip byte for byte`);
    }
  });
});
