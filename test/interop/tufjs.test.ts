// SPDX-License-Identifier: Apache-2.0
/**
 * Interop with tuf-js, a TUF client we did not write: repositories built by
 * our core (canonical JSON, serializer, signatures) must be accepted by
 * `@tufjs/models` and by a `tuf-js` Updater fetching over loopback HTTP, and
 * tampered variants must be rejected by tuf-js and by our `verify` alike.
 *
 * tuf-js 4.x takes its reference time from the real clock (no option), so
 * repositories served to the Updater expire in 2099. Our `verify` is always
 * given `--at`; the Io below throws if it ever asks for the clock.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { canonicalize as tufjsCanonicalize } from '@tufjs/canonical-json';
import {
  Metadata as TufMetadata,
  MetadataKind,
  type Root as TufRoot,
  type Snapshot as TufSnapshot,
  type Targets as TufTargets,
  type Timestamp as TufTimestamp,
} from '@tufjs/models';
import { runCli } from '../support/cli.js';
import { serve, stop, type Served } from '../support/serve.js';
import { canonicalize } from '../../src/metadata/canonical.js';
import type { Metadata, Root, Signed, Snapshot, Targets, Timestamp } from '../../src/metadata/model.js';
import { serializeMetadata } from '../../src/metadata/serialize.js';
import { binForPath, binNames } from '../../src/metadata/verify.js';
import type { VerifyReport } from '../../src/verify/repository.js';
import { signMetadata, testKey, type TestKey } from '../support/keys.js';
import { buildRepository, writeRepository, type BuiltRepo, type RepoSpec } from '../support/repo.js';
import { judgedByClients } from '../support/judges.js';

// @npmcli/agent (under tuf-js's fetcher) reads proxy variables when it is
// loaded: keep loopback requests off any proxy configured in the environment.
for (const v of ['no_proxy', 'NO_PROXY']) {
  process.env[v] = [process.env[v], '127.0.0.1', 'localhost'].filter((x) => x !== undefined && x !== '').join(',');
}
const { Updater } = await import('tuf-js');

/** Reference time for our verify: fixed, never the clock. */
const AT = '2030-01-01T00:00:00Z';
/** Expiry for repositories the Updater sees (it compares with the real clock). */
const FAR = '2099-01-01T00:00:00Z';
/** Same length as FAR, so a re-signed file keeps its length and only its hash changes. */
const FAR_OTHER = '2098-12-31T00:00:00Z';
const TEST_TIMEOUT = 20_000;

const text = (s: string): Uint8Array => Buffer.from(s, 'utf8');
const blob = (n: number, salt: number): Uint8Array => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + salt) & 0xff));

const TARGETS: Record<string, Uint8Array> = {
  'docs/readme.txt': text('a top-level target\n'),
  'project/app.bin': blob(3000, 1),
  'project/lib.js': text('export const x = 1;\n'),
  'data/a.bin': blob(700, 2),
  'data/b.bin': blob(701, 3),
  'data/c.txt': text('hash-binned\n'),
  'release/v1.0/tool.tar.gz': blob(4096, 4),
};

// ---------------------------------------------------------------------------
// Helpers

type Kind = 'root' | 'timestamp' | 'snapshot' | 'targets';

function kindOf(name: string): Kind {
  if (/(^|\.)root\.json$/.test(name)) return 'root';
  if (name === 'timestamp.json') return 'timestamp';
  if (/(^|\.)snapshot\.json$/.test(name)) return 'snapshot';
  return 'targets';
}

function json(bytes: Uint8Array): Parameters<typeof TufMetadata.fromJSON>[1] {
  return JSON.parse(Buffer.from(bytes).toString('utf8')) as Parameters<typeof TufMetadata.fromJSON>[1];
}

/** Parses a file with tuf-js as the given type, as its client does. */
function tufParse(kind: Kind, bytes: Uint8Array): TufMetadata<TufRoot | TufTargets | TufSnapshot | TufTimestamp> {
  switch (kind) {
    case 'root':
      return TufMetadata.fromJSON(MetadataKind.Root, json(bytes));
    case 'timestamp':
      return TufMetadata.fromJSON(MetadataKind.Timestamp, json(bytes));
    case 'snapshot':
      return TufMetadata.fromJSON(MetadataKind.Snapshot, json(bytes));
    case 'targets':
      return TufMetadata.fromJSON(MetadataKind.Targets, json(bytes));
  }
}

function tufRoot(bytes: Uint8Array): TufMetadata<TufRoot> {
  return TufMetadata.fromJSON(MetadataKind.Root, json(bytes));
}

function tufTargets(bytes: Uint8Array): TufMetadata<TufTargets> {
  return TufMetadata.fromJSON(MetadataKind.Targets, json(bytes));
}

function fileOf(repo: { readonly metadata: ReadonlyMap<string, Uint8Array> }, name: string): Uint8Array {
  const b = repo.metadata.get(name);
  assert.ok(b !== undefined, `${name} is in the repository`);
  return b;
}

/** Our own model of a file, as written (for re-signing tampered variants). */
function ours<T extends Signed>(bytes: Uint8Array): Metadata<T> {
  return JSON.parse(Buffer.from(bytes).toString('utf8')) as Metadata<T>;
}

function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Flips one hex digit (4 bits of one byte) at index `at` of a hex string. */
function flipHex(hex: string, at: number): string {
  const c = hex[at];
  assert.ok(c !== undefined);
  const flipped = (parseInt(c, 16) ^ 0x8).toString(16);
  return hex.slice(0, at) + flipped + hex.slice(at + 1);
}

/** Replaces the one occurrence of `from` in a file's text, keeping every other byte. */
function replaceOnce(bytes: Uint8Array, from: string, to: string): Uint8Array {
  const s = Buffer.from(bytes).toString('utf8');
  const i = s.indexOf(from);
  assert.ok(i >= 0 && s.indexOf(from, i + 1) < 0, `exactly one occurrence of ${from.slice(0, 16)}…`);
  return text(s.slice(0, i) + to + s.slice(i + from.length));
}

interface Variant {
  readonly metadata: Map<string, Uint8Array>;
  readonly targetFiles: Map<string, Uint8Array>;
}

function copyOf(repo: BuiltRepo): Variant {
  return { metadata: new Map(repo.metadata), targetFiles: new Map(repo.targetFiles) };
}

/**
 * Re-signs snapshot (every listed file's current length and sha256) and
 * timestamp with the repository's online keys, versions unchanged: what an
 * attacker holding only the online keys can do.
 */
function resnapshot(repo: BuiltRepo, v: Variant): void {
  const ts = ours<Timestamp>(fileOf(v, 'timestamp.json'));
  const snapName = `${String(ts.signed.meta['snapshot.json'].version)}.snapshot.json`;
  const snap = ours<Snapshot>(fileOf(v, snapName));
  const meta: Record<string, Snapshot['meta'][string]> = {};
  for (const [file, m] of Object.entries(snap.signed.meta)) {
    const bytes = fileOf(v, `${String(m.version)}.${file}`);
    meta[file] = { version: m.version, length: bytes.length, hashes: { sha256: sha256(bytes) } };
  }
  const snapBytes = serializeMetadata(signMetadata({ ...snap.signed, meta }, [repo.keys.snapshot]), snapName);
  v.metadata.set(snapName, snapBytes);
  const tsSigned: Timestamp = {
    ...ts.signed,
    meta: { 'snapshot.json': { version: ts.signed.meta['snapshot.json'].version, length: snapBytes.length, hashes: { sha256: sha256(snapBytes) } } },
  };
  v.metadata.set('timestamp.json', serializeMetadata(signMetadata(tsSigned, [repo.keys.timestamp]), 'timestamp.json'));
}

interface VerifyRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly report: VerifyReport;
}

/** Runs our `verify DIR --at AT --json` in-process. */
async function ourVerify(dir: string): Promise<VerifyRun> {
  const { code, stdout, stderr } = await runCli(['verify', dir, '--at', AT, '--json'], { cwd: dir });
  let report: VerifyReport;
  try {
    report = JSON.parse(stdout) as VerifyReport;
  } catch {
    assert.fail(`verify printed no JSON report (exit ${String(code)}): ${stderr}`);
  }
  return { code, stdout, stderr, report };
}

/** Asserts our verify exits 1 and names `file` in a failure matching `why`. */
async function assertOurVerifyRejects(dir: string, file: string, why: RegExp): Promise<VerifyRun> {
  const r = await ourVerify(dir);
  assert.equal(r.code, 1, `verify exits 1 (check failed); stderr: ${r.stderr}`);
  assert.equal(r.report.ok, false);
  const hit = r.report.failures.find((f) => f.includes(file) && why.test(f));
  assert.ok(hit !== undefined, `a failure names ${file} and matches ${String(why)}; failures: ${JSON.stringify(r.report.failures)}`);
  assert.match(r.stderr, /error\[VERIFICATION_FAILED\]/);
  assert.ok(r.stderr.includes(file), `stderr names ${file}: ${r.stderr}`);
  return r;
}

// ---------------------------------------------------------------------------
// 1. @tufjs/models accepts what our core writes

interface ModelCase {
  readonly name: string;
  readonly spec: RepoSpec;
}

const MODEL_CASES: readonly ModelCase[] = [
  { name: 'Ed25519, 3 roots, path delegation', spec: { expires: '2031-01-01T00:00:00Z', rootVersions: 3, delegation: 'paths', targets: TARGETS } },
  {
    name: 'ECDSA P-256, 4 roots, path delegation',
    spec: { expires: '2031-01-01T00:00:00Z', rootVersions: 4, keyType: 'ecdsa-p256', delegation: 'paths', targets: TARGETS, keyLabel: 'p256' },
  },
  {
    name: 'mixed Ed25519/P-256 roots, 3 roots, hash bins (bit_length 4)',
    spec: {
      expires: '2031-01-01T00:00:00Z',
      rootVersions: 3,
      keyType: 'ed25519',
      altKeyType: 'ecdsa-p256',
      delegation: 'bins',
      binBitLength: 4,
      targets: TARGETS,
      keyLabel: 'mixed',
    },
  },
  {
    name: 'P-256, 3 roots, hash bins (bit_length 8)',
    spec: {
      expires: '2031-01-01T00:00:00Z',
      rootVersions: 3,
      keyType: 'ecdsa-p256',
      delegation: 'bins',
      binBitLength: 8,
      targets: TARGETS,
      keyLabel: 'bins8',
    },
  },
  {
    name: 'mixed Ed25519/RSA-PSS roots, 3 roots, no consistent snapshot',
    spec: {
      expires: '2031-01-01T00:00:00Z',
      rootVersions: 3,
      keyType: 'ed25519',
      altKeyType: 'rsa-pss',
      delegation: 'paths',
      consistentSnapshot: false,
      targets: TARGETS,
      keyLabel: 'rsa',
    },
  },
];

describe('@tufjs/models accepts metadata written by our core', () => {
  let tmp: string;
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'tuf-interop-models-'));
  });
  after(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  for (const c of MODEL_CASES) {
    test(c.name, { timeout: TEST_TIMEOUT }, async (t) => {
      const repo = buildRepository(c.spec);
      const n = c.spec.rootVersions ?? 1;
      const consistent = c.spec.consistentSnapshot ?? true;
      const roleFile = (name: string, version: number): string => (consistent ? `${String(version)}.${name}.json` : `${name}.json`);

      // Every file parses with its type, and tuf-js's re-serialization of
      // `signed` is byte for byte the canonical form we signed.
      for (const [name, bytes] of repo.metadata) {
        const kind = kindOf(name);
        const raw = ours(bytes);
        const md = tufParse(kind, bytes);
        assert.equal(md.signed.type, kind);
        assert.equal(
          tufjsCanonicalize(md.signed.toJSON()),
          canonicalize(raw.signed),
          `${name}: tuf-js re-serializes signed to the bytes we signed`
        );
        assert.equal(Object.keys(md.signatures).length, raw.signatures.length, `${name}: every signature kept`);
      }

      // Root chain: N verifies N+1, and N+1 verifies itself.
      const roots = Array.from({ length: n }, (_, i) => tufRoot(fileOf(repo, `${String(i + 1)}.root.json`)));
      const first = roots[0] as TufMetadata<TufRoot>;
      first.verifyDelegate('root', first);
      for (let i = 0; i + 1 < n; i++) {
        const cur = roots[i] as TufMetadata<TufRoot>;
        const next = roots[i + 1] as TufMetadata<TufRoot>;
        assert.equal(next.signed.version, cur.signed.version + 1);
        assert.doesNotThrow(() => cur.verifyDelegate('root', next), `root v${String(i + 1)} verifies v${String(i + 2)}`);
        assert.doesNotThrow(() => next.verifyDelegate('root', next), `root v${String(i + 2)} verifies itself`);
      }
      const root = roots[n - 1] as TufMetadata<TufRoot>;
      assert.equal(root.signed.consistentSnapshot, consistent);
      assert.deepEqual(json(fileOf(repo, 'root.json')), json(fileOf(repo, `${String(n)}.root.json`)));
      if (n >= 3) {
        // Control: the models do check keys (root vN's keys never signed v1).
        assert.throws(() => root.verifyDelegate('root', first), /root was signed by 0\/2 keys/);
      }

      // Final root → timestamp → snapshot → targets, with the meta checks a client makes.
      const tsBytes = fileOf(repo, 'timestamp.json');
      const ts = TufMetadata.fromJSON(MetadataKind.Timestamp, json(tsBytes));
      root.verifyDelegate('timestamp', ts);
      const snapBytes = fileOf(repo, roleFile('snapshot', ts.signed.snapshotMeta.version));
      ts.signed.snapshotMeta.verify(Buffer.from(snapBytes));
      const snap = TufMetadata.fromJSON(MetadataKind.Snapshot, json(snapBytes));
      root.verifyDelegate('snapshot', snap);
      assert.throws(() => root.verifyDelegate('timestamp', snap), /timestamp was signed by 0\/1 keys/);
      for (const [file, meta] of Object.entries(snap.signed.meta)) {
        const bytes = fileOf(repo, roleFile(file.replace(/\.json$/, ''), meta.version));
        assert.doesNotThrow(() => meta.verify(Buffer.from(bytes)), `${file} matches its snapshot entry`);
        assert.equal(tufTargets(bytes).signed.version, meta.version);
      }
      const targetsMeta = snap.signed.meta['targets.json'];
      assert.ok(targetsMeta !== undefined);
      const targets = tufTargets(fileOf(repo, roleFile('targets', targetsMeta.version)));
      root.verifyDelegate('targets', targets);
      const delegations = targets.signed.delegations;
      assert.ok(delegations !== undefined);

      if (c.spec.delegation === 'paths') {
        const project = tufTargets(fileOf(repo, roleFile('project', 1)));
        targets.verifyDelegate('project', project);
        assert.deepEqual(delegations.roles?.['project']?.paths, ['project/*']);
        assert.deepEqual([...delegations.rolesForTarget('project/app.bin')].map((r) => r.role), ['project']);
        assert.deepEqual([...delegations.rolesForTarget('docs/readme.txt')], []);
        assert.ok(project.signed.targets['project/app.bin'] !== undefined);
        assert.ok(targets.signed.targets['docs/readme.txt'] !== undefined);
        // Control: a role signed by another key does not verify as project.
        assert.throws(() => targets.verifyDelegate('project', targets), /project was signed by 0\/1 keys/);
      } else {
        const sr = delegations.succinctRoles;
        assert.ok(sr !== undefined, 'succinct_roles parsed');
        const bits = c.spec.binBitLength ?? 4;
        assert.equal(sr.bitLength, bits);
        const ourNames = binNames({ bit_length: bits, name_prefix: 'bin' });
        assert.deepEqual([...sr.getRoles()], ourNames, 'tuf-js and we name the bins alike');
        for (const name of ourNames) {
          assert.ok(sr.isDelegatedRole(name));
          const bin = tufTargets(fileOf(repo, roleFile(name, 1)));
          assert.doesNotThrow(() => targets.verifyDelegate(name, bin), `${name} verifies through succinct_roles`);
        }
        for (const path of Object.keys(TARGETS)) {
          const binName = sr.getRoleForTarget(path);
          assert.equal(binName, binForPath({ bit_length: bits, name_prefix: 'bin' }, path), `${path}: same bin`);
          const bin = tufTargets(fileOf(repo, roleFile(binName, 1)));
          assert.ok(bin.signed.targets[path] !== undefined, `${path} is listed in ${binName}`);
          assert.deepEqual([...delegations.rolesForTarget(path)], [{ role: binName, terminating: true }]);
        }
        // Controls: names outside the bins have no delegation; a bin signed by another key fails.
        assert.throws(() => targets.verifyDelegate(`bin-${'f'.repeat(bits / 4 + 1)}`, targets), /no delegation found/);
        assert.throws(() => targets.verifyDelegate(ourNames[0] as string, targets), /was signed by 0\/1 keys/);
      }

      // Our verify agrees.
      const dir = join(tmp, c.spec.keyLabel ?? 'repo');
      await writeRepository(dir, repo);
      const r = await ourVerify(dir);
      assert.equal(r.code, 0, JSON.stringify(r.report.failures));
      assert.equal(r.report.finalRoot?.version, n);

      // python-tuf and tuf-js, in the client's order, verify every file but
      // root.json (a copy of the last N.root.json, which clients do not fetch).
      const covers = [...repo.metadata.keys()].filter((f) => f !== 'root.json');
      await judgedByClients(t, { dir: join(dir, 'metadata'), at: AT }, 'accept', { covers });
    });
  }
});

// ---------------------------------------------------------------------------
// 2 and 3. A tuf-js Updater over loopback HTTP, honest and tampered repositories

describe('tuf-js Updater over loopback HTTP', () => {
  let tmp: string;
  let served: Served | undefined;
  let clients = 0;

  // Honest repositories: a 3-root chain with a path delegation, 2 roots with
  // 16 hash bins, and one without consistent snapshots.
  const paths = buildRepository({ expires: FAR, rootVersions: 3, delegation: 'paths', targets: TARGETS, keyLabel: 'http-paths' });
  const bins = buildRepository({
    expires: FAR,
    rootVersions: 2,
    keyType: 'ecdsa-p256',
    altKeyType: 'ed25519',
    delegation: 'bins',
    binBitLength: 4,
    targets: TARGETS,
    keyLabel: 'http-bins',
  });
  const plain = buildRepository({
    expires: FAR,
    rootVersions: 2,
    delegation: 'paths',
    consistentSnapshot: false,
    targets: TARGETS,
    keyLabel: 'http-plain',
  });

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'tuf-interop-http-'));
    await mkdir(join(tmp, 'www'));
    served = await serve(join(tmp, 'www'));
  });
  after(async () => {
    await stop(served);
    await rm(tmp, { recursive: true, force: true });
  });

  /** Publishes a repository under www/NAME; returns its directory. */
  async function publish(name: string, repo: BuiltRepo | Variant): Promise<string> {
    const dir = join(tmp, 'www', name);
    await writeRepository(dir, repo as BuiltRepo);
    return dir;
  }

  /** A fresh client trusting `trusted` (1.root.json), pointed at www/NAME. */
  async function client(name: string, trusted: Uint8Array) {
    assert.ok(served !== undefined);
    const dir = join(tmp, `client-${String(++clients)}`);
    const metadataDir = join(dir, 'metadata');
    const targetDir = join(dir, 'targets');
    await mkdir(metadataDir, { recursive: true });
    await mkdir(targetDir, { recursive: true });
    await writeFile(join(metadataDir, 'root.json'), trusted);
    const updater = new Updater({
      metadataBaseUrl: `${served.base}/${name}/metadata`,
      targetBaseUrl: `${served.base}/${name}/targets`,
      metadataDir,
      targetDir,
      config: { fetchTimeout: 5000, fetchRetries: 0, fetchRetry: 0 },
    });
    return { updater, metadataDir, targetDir };
  }

  function requested(name: string): string[] {
    assert.ok(served !== undefined);
    const prefix = `/${name}/`;
    return served.requests.filter((r) => r.startsWith(prefix)).map((r) => r.slice(prefix.length));
  }

  async function download(u: InstanceType<typeof Updater>, path: string): Promise<Buffer> {
    const info = await u.getTargetInfo(path);
    assert.ok(info !== undefined, `tuf-js finds ${path}`);
    assert.equal(info.path, path);
    const file = await u.downloadTarget(info);
    return readFile(file);
  }

  test('refresh walks root v1→v3, then downloads top-level and path-delegated targets', { timeout: TEST_TIMEOUT }, async () => {
    await publish('paths', paths);
    const c = await client('paths', fileOf(paths, '1.root.json'));
    await c.updater.refresh();
    const got = requested('paths');
    assert.deepEqual(
      got.filter((r) => r.endsWith('root.json')),
      ['metadata/2.root.json', 'metadata/3.root.json', 'metadata/4.root.json'],
      'fetched every next root until the 404'
    );
    const persisted = tufRoot(await readFile(join(c.metadataDir, 'root.json')));
    assert.equal(persisted.signed.version, 3, 'client now trusts root v3');
    assert.deepEqual(await readFile(join(c.metadataDir, 'root.json')), Buffer.from(fileOf(paths, '3.root.json')));

    for (const path of ['docs/readme.txt', 'release/v1.0/tool.tar.gz', 'project/app.bin', 'project/lib.js']) {
      assert.deepEqual(await download(c.updater, path), Buffer.from(TARGETS[path] as Uint8Array), `${path}: bytes equal the original`);
    }
    assert.ok(requested('paths').includes('metadata/1.project.json'), 'the delegated role was fetched by version');
    const info = await c.updater.getTargetInfo('project/app.bin');
    assert.ok(requested('paths').includes(`targets/project/${String(info?.hashes['sha256'])}.app.bin`), 'hash-prefixed target URL');
    assert.equal(await c.updater.getTargetInfo('project/missing.bin'), undefined);
  });

  test('downloads a target from a succinct hash bin', { timeout: TEST_TIMEOUT }, async () => {
    await publish('bins', bins);
    const c = await client('bins', fileOf(bins, '1.root.json'));
    await c.updater.refresh();
    const sr = { bit_length: 4, name_prefix: 'bin' };
    for (const path of ['data/c.txt', 'project/app.bin', 'docs/readme.txt']) {
      assert.deepEqual(await download(c.updater, path), Buffer.from(TARGETS[path] as Uint8Array), `${path}: bytes equal the original`);
      assert.ok(requested('bins').includes(`metadata/1.${binForPath(sr, path)}.json`), `${path}: its bin was fetched`);
    }
    assert.equal(await c.updater.getTargetInfo('data/absent.bin'), undefined);
  });

  test('works without consistent snapshots (plain file names)', { timeout: TEST_TIMEOUT }, async () => {
    await publish('plain', plain);
    const c = await client('plain', fileOf(plain, '1.root.json'));
    await c.updater.refresh();
    assert.deepEqual(await download(c.updater, 'project/lib.js'), Buffer.from(TARGETS['project/lib.js'] as Uint8Array));
    const got = requested('plain');
    for (const f of ['metadata/2.root.json', 'metadata/snapshot.json', 'metadata/targets.json', 'metadata/project.json', 'targets/project/lib.js']) {
      assert.ok(got.includes(f), `${f} requested; got ${JSON.stringify(got)}`);
    }
  });

  test('our verify accepts the honest repositories', { timeout: TEST_TIMEOUT }, async () => {
    for (const [name, repo] of [['ok-paths', paths], ['ok-bins', bins], ['ok-plain', plain]] as const) {
      const r = await ourVerify(await publish(name, repo));
      assert.equal(r.code, 0, `${name}: ${JSON.stringify(r.report.failures)}`);
    }
  });

  // -------------------------------------------------------------------------
  // Tampered variants: tuf-js and our verify must both say no.

  /** Publishes a variant; asserts tuf-js refresh() rejects with `tufjs`. */
  async function refreshRejects(name: string, v: Variant, trusted: Uint8Array, tufjs: RegExp): Promise<string> {
    const dir = await publish(name, v);
    const c = await client(name, trusted);
    await assert.rejects(c.updater.refresh(), tufjs);
    return dir;
  }

  test('(a) a flipped signature byte in 2.root.json leaves the new root under threshold', { timeout: TEST_TIMEOUT }, async (t) => {
    const v = copyOf(paths);
    // r2 is in v1's and v2's root keys; v2 is signed by r1, r2, r3 and its
    // own keys are r2, r3, r4, so without r2 only 1 of 2 new-root keys signed.
    const r2 = (paths.keys.root[1] as TestKey[])[0] as TestKey;
    const bytes = fileOf(v, '2.root.json');
    const sig = ours<Root>(bytes).signatures.find((s) => s.keyid === r2.keyid)?.sig;
    assert.ok(sig !== undefined);
    v.metadata.set('2.root.json', replaceOnce(bytes, sig, flipHex(sig, 20)));
    assert.equal(v.metadata.get('2.root.json')?.length, bytes.length, 'only one hex digit changed');

    const dir = await refreshRejects('tamper-a', v, fileOf(paths, '1.root.json'), /root was signed by 1\/2 keys/);
    const r = await assertOurVerifyRejects(dir, '2.root.json', /root v2 keys: 1 of 2 needed signatures valid; invalid signatures from/);
    assert.ok(!r.report.failures.some((f) => f.includes('trusted root v1 keys')), 'v1 threshold still met');
    await judgedByClients(t, { dir: join(tmp, 'www', 'tamper-a', 'metadata'), at: AT }, { file: '2.root.json' });
  });

  test('(b) 2.root.json holding version 3 (a version skip) is refused', { timeout: TEST_TIMEOUT }, async (t) => {
    const v = copyOf(paths);
    const [v1Keys, , v3Keys] = paths.keys.root as [TestKey[], TestKey[], TestKey[]];
    // Root v3, signed by a threshold of the trusted v1 keys and of its own.
    const skip = signMetadata(paths.roots[2]?.signed as Root, [...v1Keys.slice(0, 2), ...v3Keys.slice(1, 3)]);
    assert.equal(skip.signed.version, 3);
    const skipBytes = serializeMetadata(skip, '2.root.json');
    v.metadata.set('2.root.json', skipBytes);
    v.metadata.set('root.json', skipBytes);
    v.metadata.delete('3.root.json');
    // Control: the signatures are fine, as the models confirm; only the version is wrong.
    const trusted = tufRoot(fileOf(paths, '1.root.json'));
    trusted.verifyDelegate('root', tufRoot(skipBytes));
    tufRoot(skipBytes).verifyDelegate('root', tufRoot(skipBytes));

    const dir = await refreshRejects('tamper-b', v, fileOf(paths, '1.root.json'), /Expected version 2, got 3/);
    const r = await assertOurVerifyRejects(dir, '2.root.json', /holds version 3 where version 2 is expected/);
    assert.ok(!r.report.failures.some((f) => /needed signatures valid/.test(f)), 'no signature complaint');
    await judgedByClients(t, { dir: join(tmp, 'www', 'tamper-b', 'metadata'), at: AT }, { file: '2.root.json' });
  });

  test('(c) a rotation to all-new root keys signed by only one old key is refused', { timeout: TEST_TIMEOUT }, async (t) => {
    const v = copyOf(paths);
    const v1Keys = paths.keys.root[0] as TestKey[];
    const v2 = paths.roots[1]?.signed as Root;
    const fresh = [1, 2, 3].map((i) => testKey(`interop/fresh-root-${String(i)}`));
    const keys: Record<string, Root['keys'][string]> = {};
    for (const k of [...fresh, paths.keys.targets, paths.keys.snapshot, paths.keys.timestamp]) keys[k.keyid] = k.tuf;
    const rotated: Root = { ...v2, keys, roles: { ...v2.roles, root: { keyids: fresh.map((k) => k.keyid), threshold: 2 } } };
    // All three new keys sign (new threshold met), but only r1 of the old ones.
    const bytes = serializeMetadata(signMetadata(rotated, [...fresh, v1Keys[0] as TestKey]), '2.root.json');
    v.metadata.set('2.root.json', bytes);
    v.metadata.set('root.json', bytes);
    v.metadata.delete('3.root.json');
    tufRoot(bytes).verifyDelegate('root', tufRoot(bytes));

    const dir = await refreshRejects('tamper-c', v, fileOf(paths, '1.root.json'), /root was signed by 1\/2 keys/);
    const r = await assertOurVerifyRejects(dir, '2.root.json', /trusted root v1 keys: 1 of 2 needed signatures valid/);
    assert.ok(!r.report.failures.some((f) => f.includes('root v2 keys')), 'the new keys do meet their own threshold');
    await judgedByClients(t, { dir: join(tmp, 'www', 'tamper-c', 'metadata'), at: AT }, { file: '2.root.json' });
  });

  test('(d1) a served target whose bytes do not match its hash is refused by downloadTarget', { timeout: TEST_TIMEOUT }, async () => {
    const v = copyOf(paths);
    const path = 'project/app.bin';
    const original = TARGETS[path] as Uint8Array;
    const evil = Buffer.from(original).map((b, i) => (i === 100 ? b ^ 0xff : b));
    assert.equal(evil.length, original.length, 'same length: only the hash can tell');
    let replaced = 0;
    for (const [name, bytes] of v.targetFiles) {
      if (Buffer.from(bytes).equals(original)) {
        v.targetFiles.set(name, evil);
        replaced++;
      }
    }
    assert.equal(replaced, 2, 'both hash-prefixed copies (sha256, sha512) replaced');
    await publish('tamper-d1', v);
    const c = await client('tamper-d1', fileOf(paths, '1.root.json'));
    await c.updater.refresh();
    const info = await c.updater.getTargetInfo(path);
    assert.ok(info !== undefined);
    const out = join(c.targetDir, 'app.bin');
    await assert.rejects(c.updater.downloadTarget(info, out), /Expected hash/);
    assert.equal(existsSync(out), false, 'nothing written');
    // Our verify checks metadata only (not target files): see (d2).
  });

  test('(d2) a target hash edited in targets.json without re-signing is refused', { timeout: TEST_TIMEOUT }, async (t) => {
    const v = copyOf(paths);
    const good = (ours<Targets>(fileOf(v, '1.targets.json')).signed.targets['docs/readme.txt']?.hashes['sha256']) as string;
    assert.equal(good, sha256(TARGETS['docs/readme.txt'] as Uint8Array));
    v.metadata.set('1.targets.json', replaceOnce(fileOf(v, '1.targets.json'), good, flipHex(good, 0)));
    // The attacker also holds the online keys: snapshot and timestamp match the edited file.
    resnapshot(paths, v);

    const dir = await refreshRejects('tamper-d2', v, fileOf(paths, '1.root.json'), /targets was signed by 0\/1 keys/);
    const r = await assertOurVerifyRejects(dir, '1.targets.json', /root v3 targets keys: 0 of 1 needed signatures valid; invalid signatures from/);
    assert.ok(!r.report.failures.some((f) => /does not match/.test(f)), 'snapshot hashes match: only the signature fails');
    await judgedByClients(t, { dir: join(tmp, 'www', 'tamper-d2', 'metadata'), at: AT }, { file: '1.targets.json' });
  });

  test('(e) targets.json re-signed without updating snapshot fails the snapshot hash', { timeout: TEST_TIMEOUT }, async (ctx) => {
    const v = copyOf(paths);
    const original = fileOf(v, '1.targets.json');
    const t = ours<Targets>(original);
    const resigned = serializeMetadata(signMetadata({ ...t.signed, expires: FAR_OTHER }, [paths.keys.targets]), '1.targets.json');
    assert.equal(resigned.length, original.length, 'same length: only the hash can tell');
    assert.notEqual(sha256(resigned), sha256(original));
    v.metadata.set('1.targets.json', resigned);
    // Control: the signature is valid; only the snapshot entry disagrees.
    tufRoot(fileOf(paths, '3.root.json')).verifyDelegate('targets', tufTargets(resigned));

    const dir = await refreshRejects('tamper-e', v, fileOf(paths, '1.root.json'), /Unable to load targets.*Expected hash/);
    const r = await assertOurVerifyRejects(dir, '1.targets.json', /sha256 [0-9a-f]{16}… does not match snapshot/);
    assert.ok(!r.report.failures.some((f) => /needed signatures valid/.test(f)), 'the signature is valid');
    await judgedByClients(ctx, { dir: join(tmp, 'www', 'tamper-e', 'metadata'), at: AT }, { file: '1.targets.json' });
  });

  test('(f) a hash bin re-signed without updating snapshot is refused', { timeout: TEST_TIMEOUT }, async (t) => {
    const v = copyOf(bins);
    const path = 'data/c.txt';
    const bin = binForPath({ bit_length: 4, name_prefix: 'bin' }, path);
    const file = `1.${bin}.json`;
    const original = fileOf(v, file);
    // ECDSA DER signatures vary in length (random k): sign until the file
    // keeps its length, so that only the hash can tell.
    let resigned = original;
    for (let i = 0; i < 64 && (resigned === original || resigned.length !== original.length); i++) {
      resigned = serializeMetadata(signMetadata({ ...ours<Targets>(original).signed, expires: FAR_OTHER }, [bins.keys.delegate]), file);
    }
    assert.equal(resigned.length, original.length);
    assert.notEqual(sha256(resigned), sha256(original));
    v.metadata.set(file, resigned);
    await publish('tamper-f', v);
    const c = await client('tamper-f', fileOf(bins, '1.root.json'));
    await c.updater.refresh();
    await assert.rejects(c.updater.getTargetInfo(path), /Unable to load targets.*Expected hash/);
    await assertOurVerifyRejects(join(tmp, 'www', 'tamper-f'), file, /sha256 [0-9a-f]{16}… does not match snapshot/);
    await judgedByClients(t, { dir: join(tmp, 'www', 'tamper-f', 'metadata'), at: AT }, { file });
  });

  test('(g) a hash bin signed by a key outside succinct_roles is refused', { timeout: TEST_TIMEOUT }, async (ctx) => {
    const v = copyOf(bins);
    const path = 'project/lib.js';
    const bin = binForPath({ bit_length: 4, name_prefix: 'bin' }, path);
    const file = `1.${bin}.json`;
    const intruder = testKey('interop/intruder', 'ecdsa-p256');
    const t = ours<Targets>(fileOf(v, file));
    const evil = Buffer.from(blob(64, 9));
    const signed: Targets = { ...t.signed, targets: { ...t.signed.targets, [path]: { length: evil.length, hashes: { sha256: sha256(evil) } } } };
    v.metadata.set(file, serializeMetadata(signMetadata(signed, [intruder]), file));
    resnapshot(bins, v);
    await publish('tamper-g', v);
    const c = await client('tamper-g', fileOf(bins, '1.root.json'));
    await c.updater.refresh();
    await assert.rejects(c.updater.getTargetInfo(path), new RegExp(`${bin} was signed by 0/1 keys`));
    await assertOurVerifyRejects(join(tmp, 'www', 'tamper-g'), file, /targets delegation keys: 0 of 1 needed signatures valid/);
    await judgedByClients(ctx, { dir: join(tmp, 'www', 'tamper-g', 'metadata'), at: AT }, { file });
  });
});
