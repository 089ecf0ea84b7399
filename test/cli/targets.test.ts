// SPDX-License-Identifier: Apache-2.0
/**
 * The targets draft commands through the CLI, on real workspaces (root v1
 * published by the real ceremony commands), real files, real keys and real
 * signatures, at a fixed reference time.
 */
import { commandEntries } from '../support/audit.js';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { canonicalize as tufjsCanonicalize } from '@tufjs/canonical-json';
import { Metadata as TufMetadata, MetadataKind } from '@tufjs/models';
import { canonicalize } from '../../src/metadata/canonical.js';
import type { Targets } from '../../src/metadata/model.js';
import { binForPath, binNames } from '../../src/metadata/verify.js';
import { runCli, type CliResult } from '../support/cli.js';
import { pythonTuf, type DelegateCase } from '../support/python-tuf.js';
import {
  CEREMONY_ENV,
  CEREMONY_NOW,
  ceremonyCli,
  disposeCeremonyTemplate,
  publishedRootWorkspace,
  signAndCollect,
  type CeremonyWorkspace,
} from '../support/published-root.js';

let tmp: string;
let n = 0;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'tuf-ceremony-targets-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
  await disposeCeremonyTemplate();
});

/** A workspace with root v1 published and a fresh targets draft. */
async function withDraft(): Promise<CeremonyWorkspace> {
  const w = await publishedRootWorkspace(join(tmp, `t${String(n++)}`));
  await mkdir(w.work, { recursive: true });
  await ceremonyCli(['--dir', w.ws, 'targets', 'draft'], w.work);
  return w;
}

/** Runs `tuf-ceremony --dir WS --json --no-input ARGS…` and parses stdout. */
async function json(w: CeremonyWorkspace, args: readonly string[], expected = 0): Promise<{ r: CliResult; doc: Record<string, unknown> }> {
  const r = await ceremonyCli(['--dir', w.ws, '--json', '--no-input', ...args], w.work, expected);
  return { r, doc: JSON.parse(r.stdout) as Record<string, unknown> };
}

async function draftOf(w: CeremonyWorkspace): Promise<{ signed: Targets; signatures: { keyid: string; sig: string }[] }> {
  return JSON.parse(await readFile(join(w.ws, 'drafts', 'targets.json'), 'utf8')) as { signed: Targets; signatures: { keyid: string; sig: string }[] };
}

async function auditCommands(w: CeremonyWorkspace): Promise<string[]> {
  return (await commandEntries(w.ws)).map((e) => e.command);
}

async function lastAudit(w: CeremonyWorkspace): Promise<{ command: string; artifacts: { read: { path: string; sha256: string }[]; written: { path: string; sha256: string }[] }; details: Record<string, unknown> }> {
  return (await commandEntries(w.ws)).at(-1) as Awaited<ReturnType<typeof lastAudit>>;
}

type JSONObject = Parameters<typeof TufMetadata.fromJSON>[1];

const sha = (alg: 'sha256' | 'sha512', b: Uint8Array | string): string => createHash(alg).update(b).digest('hex');

async function file(w: CeremonyWorkspace, name: string, content: string | Uint8Array): Promise<string> {
  const p = join(w.work, name);
  await mkdir(join(p, '..'), { recursive: true });
  await writeFile(p, content);
  return p;
}

/**
 * Runs a command that must fail with exit 2 and change nothing: the draft's
 * bytes and the audit log are the same before and after. Returns the JSON error.
 */
async function refused(w: CeremonyWorkspace, args: readonly string[]): Promise<{ code: string; message: string; file: string | null; field: string | null }> {
  const draft = await readFile(join(w.ws, 'drafts', 'targets.json'));
  const log = await readFile(join(w.ws, 'audit', 'log.jsonl'));
  const r = await runCli(['--dir', w.ws, '--json', '--no-input', ...args], { cwd: w.work, env: CEREMONY_ENV, now: CEREMONY_NOW });
  assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
  assert.ok((await readFile(join(w.ws, 'drafts', 'targets.json'))).equals(draft), `${args.join(' ')}: the draft is unchanged`);
  assert.ok((await readFile(join(w.ws, 'audit', 'log.jsonl'))).equals(log), `${args.join(' ')}: nothing audited`);
  return (JSON.parse(r.stdout) as { error: { code: string; message: string; file: string | null; field: string | null } }).error;
}

/**
 * python-tuf, as a subtest: the published root verifies the targets the
 * ceremony published, and its delegations send each path to the same roles.
 */
async function pythonTufAgrees(
  t: TestContext,
  c: Omit<DelegateCase, 'paths'>,
  rolesFor: Record<string, readonly (readonly [string, boolean])[]>
): Promise<void> {
  await t.test('python-tuf verifies targets against root and finds the same roles for each path', (st) => {
    const py = pythonTuf(st);
    if (py === undefined) return;
    const [v] = py.delegates([{ ...c, paths: Object.keys(rolesFor) }]);
    assert.ok(v?.ok === true, v?.error);
    assert.deepEqual(v.rolesFor, rolesFor);
  });
}

describe('targets draft', () => {
  it('starts version 1 (nothing published) with the expiry from ceremony.json, refuses a second draft without --replace, and audits', async () => {
    const w = await publishedRootWorkspace(join(tmp, `t${String(n++)}`));
    await mkdir(w.work, { recursive: true });
    const settingsPath = join(w.ws, 'ceremony.json');
    const settings = JSON.parse(await readFile(settingsPath, 'utf8')) as { defaults: { targets_expires_days: number } };
    settings.defaults.targets_expires_days = 90;
    await writeFile(settingsPath, JSON.stringify(settings));
    const { doc } = await json(w, ['targets', 'draft']);
    assert.equal(doc['action'], 'new draft');
    assert.equal(doc['version'], 1);
    assert.equal(doc['publishedVersion'], null);
    assert.equal(doc['expires'], '2026-11-20T00:00:00Z');
    assert.equal(doc['ready'], true);
    assert.deepEqual(doc['errors'], []);
    assert.deepEqual(doc['summary'], { targets: 0, roles: [], succinctRoles: null });
    const d = await draftOf(w);
    assert.deepEqual(d.signed, { _type: 'targets', spec_version: '1.0.31', version: 1, expires: '2026-11-20T00:00:00Z', targets: {} });
    assert.equal((await lastAudit(w)).command, 'targets draft');

    const again = await refused(w, ['targets', 'draft']);
    assert.match(again.message, /a targets draft already exists \(version 1, 0 signatures collected\)/);
    assert.equal(again.file, 'drafts/targets.json');
    const replaced = await json(w, ['targets', 'draft', '--replace']);
    assert.equal(replaced.doc['action'], 'draft replaced');
    assert.equal(replaced.doc['keptSignatures'], 0);
  });

  it('without a published root the draft starts, and what is missing is listed as to do', async () => {
    const ws = join(tmp, `t${String(n++)}`);
    assert.equal((await runCli(['init', ws], { now: CEREMONY_NOW })).code, 0);
    const r = await runCli(['--dir', ws, '--json', 'targets', 'draft'], { now: CEREMONY_NOW });
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { ready: boolean; errors: string[] };
    assert.equal(doc.ready, false);
    assert.match(doc.errors.join('\n'), /^root: no root is published yet/m);
    const text = await runCli(['--dir', ws, 'targets', 'draft', '--replace'], { now: CEREMONY_NOW });
    assert.match(text.stdout, /to do before a signing request can be made:\n {2}- root: no root is published yet/);
  });

  it('edits without a draft: exit 2 with a hint', async () => {
    const w = await publishedRootWorkspace(join(tmp, `t${String(n++)}`));
    await mkdir(w.work, { recursive: true });
    const r = await ceremonyCli(['--dir', w.ws, 'targets', 'expires', '+30d'], w.work, 2);
    assert.match(r.stderr, /there is no targets draft to edit\nhint: start one with `tuf-ceremony targets draft`/);
  });
});

describe('targets add', () => {
  it('hashes files with SHA-256 and SHA-512 under a directory prefix, reports them in JSON, and audits every file read', async () => {
    const w = await withDraft();
    const a = await file(w, 'a.tar.gz', 'first file\n');
    const b = await file(w, 'sub/b.whl', Buffer.from([0, 1, 2, 255]));
    const { doc } = await json(w, ['targets', 'add', 'a.tar.gz', 'sub/b.whl', '--path', 'packages/']);
    assert.equal(doc['action'], 'draft changed');
    assert.equal(doc['discardedSignatures'], 0);
    assert.deepEqual(doc['targets'], [
      { path: 'packages/a.tar.gz', file: 'a.tar.gz', length: 11, hashes: { sha256: sha('sha256', 'first file\n'), sha512: sha('sha512', 'first file\n') }, change: 'added' },
      { path: 'packages/b.whl', file: 'sub/b.whl', length: 4, hashes: { sha256: sha('sha256', await readFile(b)), sha512: sha('sha512', await readFile(b)) }, change: 'added' },
    ]);
    assert.deepEqual((await draftOf(w)).signed.targets['packages/a.tar.gz'], { length: 11, hashes: { sha256: sha('sha256', await readFile(a)), sha512: sha('sha512', await readFile(a)) } });
    const entry = await lastAudit(w);
    assert.equal(entry.command, 'targets add');
    assert.deepEqual(entry.artifacts.read.map((x) => x.path), ['a.tar.gz', 'sub/b.whl', 'drafts/targets.json']);
    assert.equal(entry.artifacts.read[0]?.sha256, sha('sha256', 'first file\n'));
    assert.deepEqual(entry.artifacts.written.map((x) => x.path), ['drafts/targets.json']);
    assert.equal(entry.artifacts.written[0]?.sha256, sha('sha256', await readFile(join(w.ws, 'drafts', 'targets.json'))));
  });

  it("defaults to the file's base name; --path names one file; the same content again changes nothing; new content updates", async () => {
    const w = await withDraft();
    await file(w, 'dist/tool-1.0.tgz', 'v1');
    assert.deepEqual(((await json(w, ['targets', 'add', 'dist/tool-1.0.tgz'])).doc['targets'] as { path: string }[]).map((t) => t.path), ['tool-1.0.tgz']);
    assert.equal(((await json(w, ['targets', 'add', 'dist/tool-1.0.tgz', '--path', 'tools/v1/tool.tgz'])).doc['targets'] as { path: string }[])[0]?.path, 'tools/v1/tool.tgz');
    const entries = (await auditCommands(w)).length;
    const same = await json(w, ['targets', 'add', 'dist/tool-1.0.tgz']);
    assert.equal(same.doc['action'], 'draft unchanged');
    assert.equal((same.doc['targets'] as { change: string }[])[0]?.change, 'unchanged');
    assert.equal((await auditCommands(w)).length, entries, 'an edit that changes nothing is not audited');
    await file(w, 'dist/tool-1.0.tgz', 'v1, rebuilt');
    const updated = await json(w, ['targets', 'add', 'dist/tool-1.0.tgz']);
    assert.equal((updated.doc['targets'] as { change: string }[])[0]?.change, 'updated');
    assert.equal((await draftOf(w)).signed.targets['tool-1.0.tgz']?.length, 11);
    assert.deepEqual((updated.doc['summary'] as { targets: number }).targets, 2);
  });

  it('refuses, writing nothing: a directory, a missing file, --path for several files, unsafe paths, two files on one path', async () => {
    const w = await withDraft();
    await file(w, 'x.bin', 'x');
    await file(w, 'other/x.bin', 'y');
    await mkdir(join(w.work, 'adir'));
    const dir = await refused(w, ['targets', 'add', 'x.bin', 'adir']);
    assert.match(dir.message, /^adir: is a directory: targets add takes files/);
    assert.deepEqual([dir.file, dir.field], ['adir', 'FILE']);
    const missing = await refused(w, ['targets', 'add', 'nope.bin']);
    assert.deepEqual([missing.message, missing.file, missing.field], ['nope.bin: no such file', 'nope.bin', 'FILE']);
    const several = await refused(w, ['targets', 'add', 'x.bin', 'other/x.bin', '--path', 'one.bin']);
    assert.equal(several.field, '--path');
    assert.match(several.message, /"one\.bin" names one target, but 2 files were given: end it with \//);
    const twice = await refused(w, ['targets', 'add', 'x.bin', 'other/x.bin']);
    assert.match(twice.message, /^other\/x\.bin: path: "x\.bin" is also the target path of x\.bin/);
    const unsafe: [string, RegExp][] = [
      ['/etc/x.bin', /must not start with \//],
      ['a/../x.bin', /must not have a "\.\." segment/],
      ['./x.bin', /must not have a "\." segment/],
      ['a\\x.bin', /must not contain a backslash/],
      ['a//x.bin', /must not have an empty segment/],
      ['x\u0007.bin', /must not contain control characters/],
      ['', /is empty/],
    ];
    for (const [p, problem] of unsafe) {
      const e = await refused(w, ['targets', 'add', 'x.bin', '--path', p]);
      assert.equal(e.field, '--path', p);
      assert.match(e.message, problem, p);
    }
    const prefix = await refused(w, ['targets', 'add', 'x.bin', '--path', '../up/']);
    assert.equal(prefix.field, '--path');
    // A file whose own name is unsafe as a target path (legal on Linux).
    await file(w, 'back\\slash.bin', 'z');
    const named = await refused(w, ['targets', 'add', 'back\\slash.bin']);
    assert.deepEqual([named.file, named.field], ['back\\slash.bin', 'path']);
  });

  it('refuses a draft file that was tampered with (a float, a duplicate key), naming the file and the field', async () => {
    const w = await withDraft();
    await file(w, 'x.bin', 'x');
    const path = join(w.ws, 'drafts', 'targets.json');
    const good = await readFile(path, 'utf8');
    await writeFile(path, good.replace('"version": 1', '"version": 1.0'));
    let r = await ceremonyCli(['--dir', w.ws, 'targets', 'add', 'x.bin'], w.work, 2);
    assert.match(r.stderr, /drafts\/targets\.json: signed\.version: /);
    await writeFile(path, good.replace('"version": 1', '"version": 1, "version": 2'));
    r = await ceremonyCli(['--dir', w.ws, 'targets', 'add', 'x.bin'], w.work, 2);
    assert.match(r.stderr, /drafts\/targets\.json: signed\.version: duplicate key/);
  });

  it('shows no progress bar without a terminal on stderr; on one, draws it once hashing takes over 0.5 s, then erases it', async () => {
    const w = await withDraft();
    await file(w, 'big.bin', Buffer.alloc(5 * 1024 * 1024, 7));
    const quiet = await json(w, ['targets', 'add', 'big.bin']);
    assert.equal(quiet.r.stderr, '', 'nothing on stderr without a TTY');
    await file(w, 'big.bin', Buffer.alloc(5 * 1024 * 1024, 8));
    let t = 0;
    // stdout a terminal, stderr not (2> log): no bar, whatever stdout is; slow work says what it does in plain lines.
    const logged = await runCli(['--dir', w.ws, '--json', 'targets', 'add', 'big.bin'], { cwd: w.work, now: CEREMONY_NOW, isTTY: true, stderrIsTTY: false, monotonic: () => (t += 3000) });
    assert.equal(logged.code, 0, logged.stderr);
    assert.ok(!logged.stderr.includes('\r') && !logged.stderr.includes('\u001b'), 'no bar drawn into a file');
    assert.match(logged.stderr, /^hashing: \d+% \([\d.]+ [KM]iB of 5\.0 MiB\) after \d+ s$/m);
    assert.match(logged.stderr, /^hashing: done, 5\.0 MiB in \d+ s$/m);
    await file(w, 'big.bin', Buffer.alloc(5 * 1024 * 1024, 9));
    t = 0;
    const r = await runCli(['--dir', w.ws, '--json', 'targets', 'add', 'big.bin'], {
      cwd: w.work,
      now: CEREMONY_NOW,
      isTTY: false,
      stderrIsTTY: true,
      monotonic: () => (t += 300),
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(String.raw`\rhashing \[#+-*\] +\d+% {2}\d+\.\d MiB of 5\.0 MiB, [\d.]+ [KM]iB/s\u001b\[K`));
    assert.ok(r.stderr.endsWith('\r\u001b[K'), 'the bar is erased at the end');
    assert.equal((JSON.parse(r.stdout) as { targets: { change: string }[] }).targets[0]?.change, 'updated', 'stdout holds only the JSON');
  });
});

describe('targets remove', () => {
  it('removes a listed path (JSON names it); an absent path is exit 2 naming PATH', async () => {
    const w = await withDraft();
    await file(w, 'x.bin', 'x');
    await json(w, ['targets', 'add', 'x.bin', '--path', 'dir/x.bin']);
    const { doc } = await json(w, ['targets', 'remove', 'dir/x.bin']);
    assert.deepEqual(doc['removed'], { path: 'dir/x.bin', length: 1, hashes: { sha256: sha('sha256', 'x'), sha512: sha('sha512', 'x') } });
    assert.deepEqual((await draftOf(w)).signed.targets, {});
    assert.equal((await lastAudit(w)).command, 'targets remove');
    const e = await refused(w, ['targets', 'remove', 'dir/x.bin']);
    assert.equal(e.field, 'PATH');
    assert.match(e.message, /^PATH: "dir\/x\.bin" is not a target of the draft \(it lists 0 targets\)/);
  });
});

describe('targets delegate', () => {
  it('delegates by paths to keyholders by name, key ID and public key file; updates a role in place; delegates by hash prefixes', async () => {
    const w = await withDraft();
    const bob = JSON.parse(await readFile(join(w.keys, 'bob.pub.json'), 'utf8')) as { keyid: string };
    const { doc } = await json(w, ['targets', 'delegate', 'project', '--key', 'alice', bob.keyid, '--threshold', '2', '--paths', 'project/*', 'project/?.txt', '--terminating']);
    const alice = JSON.parse(await readFile(join(w.keys, 'alice.pub.json'), 'utf8')) as { keyid: string };
    assert.deepEqual(doc['delegation'], {
      change: 'added',
      name: 'project',
      keys: [
        { keyid: alice.keyid, keyholder: 'alice' },
        { keyid: bob.keyid, keyholder: 'bob' },
      ],
      threshold: 2,
      terminating: true,
      paths: ['project/*', 'project/?.txt'],
      pathHashPrefixes: null,
    });
    const carol = JSON.parse(await readFile(join(w.keys, 'carol.pub.json'), 'utf8')) as { keyid: string };
    await json(w, ['targets', 'delegate', 'prefixed', '--key', join(w.keys, 'carol.pub.json'), '--threshold', '1', '--hash-prefixes', '00', '8f']);
    const updated = await json(w, ['targets', 'delegate', 'project', '--key', 'bob', '--threshold', '1', '--paths', 'project/*']);
    assert.equal((updated.doc['delegation'] as { change: string }).change, 'updated');
    assert.deepEqual((updated.doc['summary'] as { roles: string[] }).roles, ['project', 'prefixed'], 'an updated role keeps its place in the search order');
    const d = (await draftOf(w)).signed.delegations;
    assert.deepEqual(d?.roles, [
      { name: 'project', keyids: [bob.keyid], threshold: 1, terminating: false, paths: ['project/*'] },
      { name: 'prefixed', keyids: [carol.keyid], threshold: 1, terminating: false, path_hash_prefixes: ['00', '8f'] },
    ]);
    assert.equal(Object.hasOwn(d?.keys ?? {}, alice.keyid), false, "alice's key left delegations.keys with the last role that used it");
    assert.deepEqual((await auditCommands(w)).slice(-3), ['targets delegate', 'targets delegate', 'targets delegate']);
  });

  it('refuses, writing nothing: unknown WHO, bad thresholds, both or neither of --paths and --hash-prefixes, bad patterns, prefixes and names', async () => {
    const w = await withDraft();
    const cases: [string[], string, RegExp][] = [
      [['x', '--key', 'mallory', '--threshold', '1', '--paths', 'x/*'], 'WHO', /"mallory" is not a registered keyholder, a key ID, or a public key file/],
      [['x', '--key', 'f'.repeat(64), '--threshold', '1', '--paths', 'x/*'], 'WHO', /key ID f{64} is neither/],
      [['x', '--key', 'alice', 'bob', '--threshold', '3', '--paths', 'x/*'], 'threshold', /3 is more than the 2 keys given/],
      [['x', '--key', 'alice', '--threshold', '0', '--paths', 'x/*'], 'threshold', /"0" is not a whole number of at least 1/],
      [['x', '--key', 'alice', '--threshold', '1.5', '--paths', 'x/*'], 'threshold', /"1\.5" is not a whole number/],
      [['x', '--key', 'alice', 'alice', '--threshold', '1', '--paths', 'x/*'], 'key', /"alice" is the same public key as "alice"/],
      [['x', '--key', 'alice', '--threshold', '1', '--paths', 'x/*', '--hash-prefixes', 'ab'], 'paths', /give exactly one of --paths and --hash-prefixes/],
      [['x', '--key', 'alice', '--threshold', '1'], 'paths', /give exactly one of --paths and --hash-prefixes/],
      [['x', '--key', 'alice', '--threshold', '1', '--paths', '/x/*'], 'paths', /"\/x\/\*" must not start with \//],
      [['x', '--key', 'alice', '--threshold', '1', '--paths', 'x/[ab]'], 'paths', /must use only \* and \? as wildcards/],
      [['x', '--key', 'alice', '--threshold', '1', '--paths', 'x/*', 'x/*'], 'paths', /"x\/\*" is given twice/],
      [['x', '--key', 'alice', '--threshold', '1', '--hash-prefixes', 'AB'], 'hash-prefixes', /"AB" must be lowercase hex/],
      [['x', '--key', 'alice', '--threshold', '1', '--hash-prefixes', 'xyz'], 'hash-prefixes', /"xyz" is not 1 to 64 hex digits/],
      [['targets', '--key', 'alice', '--threshold', '1', '--paths', 'x/*'], 'NAME', /"targets" is a top-level role name/],
      [['a/b', '--key', 'alice', '--threshold', '1', '--paths', 'x/*'], 'NAME', /"a\/b" must use only A-Z a-z 0-9 \. _ -/],
    ];
    for (const [args, field, message] of cases) {
      const e = await refused(w, ['targets', 'delegate', ...args]);
      assert.equal(e.field, field, args.join(' '));
      assert.match(e.message, message, args.join(' '));
    }
  });

  it('refuses a public key file given as WHO that is malformed (duplicate key, float) or whose proof does not hold', async () => {
    const w = await withDraft();
    const good = await readFile(join(w.keys, 'carol.pub.json'), 'utf8');
    const dup = await file(w, 'dup.pub.json', good.replace('{', '{"name": "x",'));
    let e = await refused(w, ['targets', 'delegate', 'x', '--key', dup, '--threshold', '1', '--paths', 'x/*']);
    assert.match(e.message, /dup\.pub\.json: name: duplicate key/);
    const float = await file(w, 'float.pub.json', good.replace('{', '{"x-weight": 1.5,'));
    e = await refused(w, ['targets', 'delegate', 'x', '--key', float, '--threshold', '1', '--paths', 'x/*']);
    assert.match(e.message, /float\.pub\.json: x-weight: /);
    const renamed = await file(w, 'renamed.pub.json', good.replace('"name": "carol"', '"name": "mallory"'));
    const r = await runCli(['--dir', w.ws, 'targets', 'delegate', 'x', '--key', renamed, '--threshold', '1', '--paths', 'x/*'], { cwd: w.work, now: CEREMONY_NOW });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /renamed\.pub\.json: the proof of possession does not verify/);
  });
});

describe('targets delegate-bins', () => {
  it('PEP 458: bit length 14 gives 16,384 bins as TAP 15 succinct_roles', async () => {
    const w = await withDraft();
    const { doc } = await json(w, ['targets', 'delegate-bins', '--name-prefix', 'bins', '--bit-length', '14', '--key', 'carol', '--threshold', '1']);
    const carol = JSON.parse(await readFile(join(w.keys, 'carol.pub.json'), 'utf8')) as { keyid: string };
    assert.deepEqual(doc['succinctRoles'], {
      change: 'added',
      namePrefix: 'bins',
      bitLength: 14,
      bins: 16384,
      firstBin: 'bins-0000',
      lastBin: 'bins-3fff',
      keys: [{ keyid: carol.keyid, keyholder: 'carol' }],
      threshold: 1,
    });
    const d = (await draftOf(w)).signed.delegations;
    assert.deepEqual(d?.succinct_roles, { keyids: [carol.keyid], threshold: 1, bit_length: 14, name_prefix: 'bins' });
    assert.deepEqual(Object.keys(d?.keys ?? {}), [carol.keyid]);
    assert.equal(d?.roles, undefined);
    const names = binNames(d?.succinct_roles ?? { bit_length: 0, name_prefix: '' });
    assert.equal(names.length, 16384);
    assert.equal(new Set(names).size, 16384);
    assert.ok(names.includes(binForPath({ bit_length: 14, name_prefix: 'bins' }, 'simple/requests/requests-2.31.0.tar.gz')));
    assert.equal((await lastAudit(w)).command, 'targets delegate-bins');
    // Delegating to roles as well is refused: delegations hold one or the other.
    const mixed = await refused(w, ['targets', 'delegate', 'x', '--key', 'alice', '--threshold', '1', '--paths', 'x/*']);
    assert.equal(mixed.field, 'delegations');
  });

  it('refuses bad bit lengths, name prefixes and thresholds, writing nothing', async () => {
    const w = await withDraft();
    const base = (bits: string, prefix = 'bins', t = '1'): string[] => ['targets', 'delegate-bins', '--name-prefix', prefix, '--bit-length', bits, '--key', 'alice', '--threshold', t];
    for (const bits of ['0', '33', '-1', 'x', '1.5', '014', '']) {
      const e = await refused(w, base(bits));
      assert.equal(e.field, 'bit-length', bits);
      assert.match(e.message, /is not a whole number from 1 to 32 \(TAP 15; PEP 458 uses 14, 16,384 bins\)/);
    }
    for (const [prefix, problem] of [['bins-', /must not end with -/], ['a b', /must use only/], ['root', /top-level role name/]] as const) {
      const e = await refused(w, base('8', prefix));
      assert.equal(e.field, 'name-prefix', prefix);
      assert.match(e.message, problem);
    }
    const t = await refused(w, base('8', 'bins', '2'));
    assert.equal(t.field, 'threshold');
  });
});

describe('targets expires', () => {
  it('sets the expiry from +Nd or a date; refuses the past and nonsense', async () => {
    const w = await withDraft();
    const { doc } = await json(w, ['targets', 'expires', '+30d']);
    assert.equal(doc['expires'], '2026-09-21T00:00:00Z');
    assert.equal(doc['previousExpires'], '2027-08-22T00:00:00Z');
    assert.equal((await json(w, ['targets', 'expires', '2027-01-31'])).doc['expires'], '2027-01-31T00:00:00Z');
    assert.equal((await lastAudit(w)).command, 'targets expires');
    assert.equal((await refused(w, ['targets', 'expires', '2026-01-01'])).field, 'expires');
    assert.equal((await refused(w, ['targets', 'expires', 'soon'])).field, 'expires');
    const near = await json(w, ['targets', 'expires', '+7d']);
    assert.match((near.doc['warnings'] as string[]).join('\n'), /expires: 2026-08-29T00:00:00Z is less than 30 days away/);
  });
});

describe('signatures and publishing', () => {
  it('an edit after a signature was collected discards it and says how many', async () => {
    const w = await withDraft();
    await file(w, 'one.bin', 'one');
    await json(w, ['targets', 'add', 'one.bin']);
    const { collect } = await signAndCollect(w, 'targets', ['alice']);
    assert.match(collect.stdout, /\+ alice .*signature verified and kept/);
    assert.equal((await draftOf(w)).signatures.length, 1);
    await file(w, 'two.bin', 'two');
    const { doc, r } = await json(w, ['targets', 'add', 'two.bin']);
    assert.equal(doc['discardedSignatures'], 1);
    assert.equal(doc['keptSignatures'], 0);
    assert.deepEqual((await draftOf(w)).signatures, []);
    assert.equal((await lastAudit(w)).details['discarded_signatures'], 1);
    assert.equal(r.stderr, '');
    const text = await ceremonyCli(['--dir', w.ws, 'targets', 'remove', 'two.bin'], w.work);
    assert.doesNotMatch(text.stdout, /discarded/, 'no signatures left to discard');
  });

  it('a replaced draft with the same content keeps its signatures', async () => {
    const w = await withDraft();
    await signAndCollect(w, 'targets', ['alice']);
    const { doc } = await json(w, ['targets', 'draft', '--replace']);
    assert.equal(doc['keptSignatures'], 1);
    assert.equal((await draftOf(w)).signatures.length, 1);
  });

  it('publish with path and hash-prefix delegations: tuf-js accepts it and finds the roles for a target', async (t) => {
    const w = await withDraft();
    await json(w, ['targets', 'delegate', 'project', '--key', 'carol', '--threshold', '1', '--paths', 'project/*', '--terminating']);
    await json(w, ['targets', 'delegate', 'rest', '--key', 'carol', 'bob', '--threshold', '2', '--hash-prefixes', ...'0123456789abcdef'.split('')]);
    await signAndCollect(w, 'targets', ['alice', 'bob']);
    await json(w, ['publish', 'targets']);
    const v = await runCli(['verify', join(w.ws, 'metadata'), '--at', '2026-09-01T00:00:00Z']);
    assert.equal(v.code, 0, v.stdout);
    const root = TufMetadata.fromJSON(MetadataKind.Root, JSON.parse(await readFile(join(w.ws, 'metadata', '1.root.json'), 'utf8')) as JSONObject);
    const targets = TufMetadata.fromJSON(MetadataKind.Targets, JSON.parse(await readFile(join(w.ws, 'metadata', 'targets.json'), 'utf8')) as JSONObject);
    assert.doesNotThrow(() => root.verifyDelegate('targets', targets));
    const d = targets.signed.delegations;
    assert.deepEqual([...(d?.rolesForTarget('project/app.bin') ?? [])], [{ role: 'project', terminating: true }, { role: 'rest', terminating: false }]);
    assert.deepEqual([...(d?.rolesForTarget('other/app.bin') ?? [])].map((r) => r.role), ['rest']);
    await pythonTufAgrees(t, { delegator: join(w.ws, 'metadata', '1.root.json'), role: 'targets', delegate: join(w.ws, 'metadata', 'targets.json') }, {
      'project/app.bin': [
        ['project', true],
        ['rest', false],
      ],
      'other/app.bin': [['rest', false]],
    });
  });

  it('--as-roles: a backsigned role first, then the bins as roles with hash prefixes; tuf-js finds both for a target; verify groups the absent roles', async (t) => {
    const w = await withDraft();
    await json(w, ['targets', 'delegate', 'backsigned', '--key', 'bob', '--threshold', '1', '--hash-prefixes', ...'0123456789abcdef'.split('')]);
    const { doc } = await json(w, ['targets', 'delegate-bins', '--name-prefix', 'bins', '--bit-length', '6', '--key', 'carol', '--threshold', '1', '--as-roles']);
    const carol = JSON.parse(await readFile(join(w.keys, 'carol.pub.json'), 'utf8')) as { keyid: string };
    assert.deepEqual(doc['binRoles'], {
      change: 'added',
      namePrefix: 'bins',
      bitLength: 6,
      bins: 64,
      prefixesPerBin: 4,
      firstBin: 'bins-00',
      lastBin: 'bins-3f',
      keys: [{ keyid: carol.keyid, keyholder: 'carol' }],
      threshold: 1,
    });
    const refusedSuccinct = await refused(w, ['targets', 'delegate-bins', '--name-prefix', 'bins', '--bit-length', '6', '--key', 'carol', '--threshold', '1']);
    assert.equal(refusedSuccinct.field, 'delegations');
    await signAndCollect(w, 'targets', ['alice', 'bob']);
    await json(w, ['publish', 'targets']);
    const v = await runCli(['verify', join(w.ws, 'metadata'), '--at', '2026-09-01T00:00:00Z']);
    assert.equal(v.code, 0, v.stdout);
    assert.match(v.stdout, /warning: targets\.json: 65 of 65 delegated roles are not present \(backsigned, bins-00, bins-01 … bins-3f\), so not verified/);
    const root = TufMetadata.fromJSON(MetadataKind.Root, JSON.parse(await readFile(join(w.ws, 'metadata', '1.root.json'), 'utf8')) as JSONObject);
    const targets = TufMetadata.fromJSON(MetadataKind.Targets, JSON.parse(await readFile(join(w.ws, 'metadata', 'targets.json'), 'utf8')) as JSONObject);
    assert.doesNotThrow(() => root.verifyDelegate('targets', targets));
    for (const path of ['simple/requests/requests-2.31.0.tar.gz', 'packages/a/b.whl']) {
      const roles = [...(targets.signed.delegations?.rolesForTarget(path) ?? [])];
      assert.deepEqual(roles, [
        { role: 'backsigned', terminating: false },
        { role: binForPath({ bit_length: 6, name_prefix: 'bins' }, path), terminating: true },
      ]);
    }
    const paths = ['simple/requests/requests-2.31.0.tar.gz', 'packages/a/b.whl'];
    await pythonTufAgrees(
      t,
      { delegator: join(w.ws, 'metadata', '1.root.json'), role: 'targets', delegate: join(w.ws, 'metadata', 'targets.json') },
      Object.fromEntries(paths.map((p) => [p, [['backsigned', false], [binForPath({ bit_length: 6, name_prefix: 'bins' }, p), true]]]))
    );
  });

  it('publish: 2 keyholders sign targets with 16,384 bins and a target; verify passes; the next draft is version 2', async (t) => {
    const w = await withDraft();
    await file(w, 'pkg.tar.gz', 'package bytes\n');
    await json(w, ['targets', 'add', 'pkg.tar.gz', '--path', 'packages/pkg.tar.gz']);
    await json(w, ['targets', 'delegate-bins', '--name-prefix', 'bins', '--bit-length', '14', '--key', 'carol', '--threshold', '1']);
    const { collect } = await signAndCollect(w, 'targets', ['alice', 'bob']);
    assert.match(collect.stdout, /targets: 2 of 2 needed, signed by alice, bob — met/);
    const pub = await json(w, ['publish', 'targets']);
    assert.deepEqual((pub.doc['verify'] as { ok: boolean }).ok, true);
    const published = await readFile(join(w.ws, 'metadata', 'targets.json'));
    assert.ok(published.equals(await readFile(join(w.ws, 'metadata', '1.targets.json'))), 'consistent_snapshot: 1.targets.json too');
    const v = await runCli(['--json', 'verify', join(w.ws, 'metadata'), '--at', '2026-09-01T00:00:00Z']);
    assert.equal(v.code, 0, v.stdout);
    const report = JSON.parse(v.stdout) as { ok: boolean; steps: { kind: string; ok: boolean; bins?: { count: number } }[] };
    assert.ok(report.steps.some((s) => s.kind === 'targets' && s.ok));
    assert.equal(report.steps.find((s) => s.kind === 'bins')?.bins?.count, 16384);

    // tuf-js, a client we did not write, accepts it: the signatures over its own re-serialization, the 16,384 bins.
    const root = TufMetadata.fromJSON(MetadataKind.Root, JSON.parse(await readFile(join(w.ws, 'metadata', '1.root.json'), 'utf8')) as JSONObject);
    const targets = TufMetadata.fromJSON(MetadataKind.Targets, JSON.parse(published.toString('utf8')) as JSONObject);
    assert.doesNotThrow(() => root.verifyDelegate('targets', targets));
    assert.equal(tufjsCanonicalize(targets.signed.toJSON()), canonicalize((JSON.parse(published.toString('utf8')) as { signed: unknown }).signed));
    const sr = targets.signed.delegations?.succinctRoles;
    assert.ok(sr !== undefined);
    assert.equal(sr.bitLength, 14);
    assert.equal([...sr.getRoles()].length, 16384);
    assert.equal(sr.getRoleForTarget('packages/pkg.tar.gz'), binForPath({ bit_length: 14, name_prefix: 'bins' }, 'packages/pkg.tar.gz'));
    assert.deepEqual(targets.signed.targets['packages/pkg.tar.gz']?.hashes, { sha256: sha('sha256', 'package bytes\n'), sha512: sha('sha512', 'package bytes\n') });
    await pythonTufAgrees(
      t,
      { delegator: join(w.ws, 'metadata', '1.root.json'), role: 'targets', delegate: join(w.ws, 'metadata', 'targets.json') },
      { 'packages/pkg.tar.gz': [[binForPath({ bit_length: 14, name_prefix: 'bins' }, 'packages/pkg.tar.gz'), true]] }
    );

    const next = await json(w, ['targets', 'draft']);
    assert.equal(next.doc['version'], 2);
    assert.equal(next.doc['publishedVersion'], 1);
    assert.deepEqual(next.doc['summary'], { targets: 1, roles: [], succinctRoles: { namePrefix: 'bins', bitLength: 14, bins: 16384 } });
    assert.deepEqual((await auditCommands(w)).slice(-6), ['targets add', 'targets delegate-bins', 'request', 'collect', 'publish', 'targets draft']);
    const audit = await runCli(['--dir', w.ws, 'audit', 'verify']);
    assert.equal(audit.code, 0, audit.stderr);
  });

  it('a file rewritten while targets add hashes it (same size, new bytes) is refused: exit 2 naming the file, nothing written', async () => {
    const w = await withDraft();
    const file = join(w.work, 'moving.bin');
    const size = 4 * 1024 * 1024 + 9;
    await writeFile(file, Buffer.alloc(size, 0x41));
    // An old modification time, so the rewrite's is another one whatever the clock's granularity.
    await utimes(file, 1_000_000, 1_000_000);
    const draftBefore = await readFile(join(w.ws, 'drafts', 'targets.json'));
    const logBefore = await readFile(join(w.ws, 'audit', 'log.jsonl'));
    // The progress bar reads its clock as each chunk is hashed: the file is rewritten in place there, mid-hash.
    let calls = 0;
    const monotonic = (): number => {
      if (++calls === 2) {
        const fd = openSync(file, 'r+');
        try {
          writeSync(fd, Buffer.alloc(size, 0x42), 0, size, 0);
        } finally {
          closeSync(fd);
        }
      }
      return 0;
    };
    const r = await runCli(['--dir', w.ws, '--no-input', 'targets', 'add', 'moving.bin'], { cwd: w.work, env: CEREMONY_ENV, now: CEREMONY_NOW, stderrIsTTY: true, monotonic });
    assert.ok(calls >= 2, 'the rewrite happened');
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /moving\.bin: the file changed while it was read \(its modification time changed\)/);
    assert.deepEqual(await readFile(join(w.ws, 'drafts', 'targets.json')), draftBefore, 'the draft is unchanged');
    assert.deepEqual(await readFile(join(w.ws, 'audit', 'log.jsonl')), logBefore, 'nothing logged: nothing was changed');
  });
});
