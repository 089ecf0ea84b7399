// SPDX-License-Identifier: Apache-2.0
/**
 * Issue 12's reproduced bugs, each fixed: one writer per workspace (exit 3
 * naming the holder), `sign` never writes into a workspace, revoked keys
 * refused and not counted, signers named by the registry, no writes through
 * links, exit 2 writes nothing, temporary files removed, --out never
 * replaces what exists, `init --from` leaves nothing on failure, a large
 * entry's list written beside the log.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseMetadata } from '../../src/metadata/parse.js';
import { serializeMetadata } from '../../src/metadata/serialize.js';
import { sha256Hex } from '../../src/metadata/sha256.js';
import type { Change } from '../../src/store/change.js';
import { commandEntries, rawAuditEntries } from '../support/audit.js';
import { runCli } from '../support/cli.js';
import { CEREMONY_NOW, CEREMONY_PASS, ceremonyFixture, type CeremonyFixture } from '../support/ceremony.js';

let base: string;
let fx: CeremonyFixture;
let n = 0;
before(async () => {
  base = await mkdtemp(join(tmpdir(), 'tuf-ceremony-safety-'));
  fx = await ceremonyFixture(base);
  await cp(fx.ws, join(base, 'published-v1'), { recursive: true });
});
after(async () => {
  await rm(base, { recursive: true, force: true });
});

async function copy(from = 'published-v1'): Promise<string> {
  const ws = join(base, `ws-${String(n++)}`);
  await cp(join(base, from), ws, { recursive: true });
  return ws;
}
const run = (ws: string, args: readonly string[], env: Record<string, string> = {}): ReturnType<typeof runCli> =>
  runCli(['--no-input', '--dir', ws, ...args], { cwd: ws, now: CEREMONY_NOW, env: { TUF_CEREMONY_PASSPHRASE: CEREMONY_PASS, ...env } });

/** A root v2 draft replacing carol by dave, with a request; returns the request. */
async function v2Draft(ws: string): Promise<string> {
  for (const a of [['root', 'draft'], ['root', 'add-key', 'root', 'dave'], ['root', 'remove-key', 'root', 'carol']]) assert.equal((await run(ws, a)).code, 0);
  const r = await run(ws, ['--json', 'request', 'root']);
  assert.equal(r.code, 0, r.stderr);
  return join(ws, (JSON.parse(r.stdout) as { file: string }).file);
}

describe('one writer per workspace', () => {
  it('a second command fails with exit 3 naming the process that holds the workspace; after a wait it says whom it waits for', async () => {
    const ws = await copy();
    const req = await v2Draft(ws);
    const sig = await fx.sign('alice', req);
    const lockUrl = new URL('../../src/store/lock.js', import.meta.url).href;
    const script = `const { acquireWorkspaceLock } = await import(${JSON.stringify(lockUrl)});
await acquireWorkspaceLock(process.argv[1], { command: 'publish root' });
process.stdout.write('held\\n');
setInterval(() => {}, 1000);`;
    const holder = spawn(process.execPath, ['--input-type=module', '-e', script, ws], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((ok) => holder.stdout.once('data', ok));
    const draft = await readFile(join(ws, 'drafts', 'root.json'));
    try {
      const r = await run(ws, ['collect', sig], { TUF_CEREMONY_LOCK_WAIT: '1' });
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, new RegExp(`waiting for the workspace, in use by process ${String(holder.pid)} .*\\(publish root\\)`));
      assert.match(r.stderr, new RegExp(`error\\[IO\\]: .*in use by process ${String(holder.pid)} on .* \\(publish root\\)`));
      assert.ok((await readFile(join(ws, 'drafts', 'root.json'))).equals(draft), 'nothing changed');
    } finally {
      holder.kill('SIGKILL');
      await new Promise((ok) => holder.on('exit', ok));
    }
    // The holder was killed: the kernel freed its lock; no takeover needed.
    assert.equal((await run(ws, ['collect', sig], { TUF_CEREMONY_LOCK_WAIT: '0' })).code, 0);
  });
});

describe('write-ahead audit', () => {
  it('each change is an intent (every file with its new and previous SHA-256) followed by its outcome', async () => {
    const ws = await copy();
    const req = await v2Draft(ws);
    const before = await readFile(join(ws, 'drafts', 'root.json'));
    assert.equal((await run(ws, ['collect', await fx.sign('alice', req)])).code, 0);
    const raw = await rawAuditEntries(ws);
    const [intent, outcome] = raw.slice(-2);
    assert.equal(intent?.command, 'collect');
    const change = intent?.details['change'] as { tx: string; writes: { path: string; sha256: string; previous: string | null }[] };
    const draftWrite = change.writes.find((w) => w.path === 'drafts/root.json');
    assert.equal(draftWrite?.previous, sha256Hex(before));
    assert.equal(draftWrite?.sha256, sha256Hex(await readFile(join(ws, 'drafts', 'root.json'))));
    assert.deepEqual(outcome?.details, { tx: change.tx, intent_seq: intent?.seq, of: 'collect', result: 'completed' });
  });

  it('an intent without an outcome is finished by the next command from its staged files, and that is logged', async () => {
    const ws = await copy();
    await v2Draft(ws);
    // What a process killed right after appending its intent leaves: the staged file and the intent.
    const draft = parseMetadata(await readFile(join(ws, 'drafts', 'root.json')), 'd', 'root');
    const next = serializeMetadata({ signed: { ...draft.signed, expires: '2031-01-01T00:00:00Z' }, signatures: [] }, 'd');
    const { Change } = await import('../../src/store/change.js');
    const c = new Change(ws);
    c.write('drafts/root.json', next);
    const { appendAuditEntry } = await import('../../src/audit/log.js');
    // Stage and append the intent as commit() does, then stop before applying it.
    const staged = await stageOnly(c, ws);
    await appendAuditEntry(ws, { actor: 'coordinator', command: 'root expires', details: { change: staged } }, CEREMONY_NOW);
    assert.notEqual(sha256Hex(await readFile(join(ws, 'drafts', 'root.json'))), sha256Hex(next));
    const st = await run(ws, ['status']);
    assert.equal(st.code, 0, st.stderr);
    assert.match(st.stderr, /announced a change that a stopped command did not finish: completed on recovery/);
    assert.ok((await readFile(join(ws, 'drafts', 'root.json'))).equals(Buffer.from(next)));
    assert.equal((await rawAuditEntries(ws)).at(-1)?.details['result'], 'completed on recovery');
  });

  it('sign never writes into a workspace draft: it refuses and says to use collect', async () => {
    const ws = await copy();
    await v2Draft(ws);
    const draft = await readFile(join(ws, 'drafts', 'root.json'));
    const entries = (await rawAuditEntries(ws)).length;
    const r = await runCli(['--no-input', 'sign', join(ws, 'drafts', 'root.json'), '--key', join(fx.home('carol'), 'carol.key'), '--trusted-root', join(ws, 'metadata', '1.root.json'), '--yes'], {
      cwd: ws,
      now: CEREMONY_NOW,
      env: { TUF_CEREMONY_PASSPHRASE: CEREMONY_PASS },
    });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /inside the ceremony workspace .*sign never writes into a workspace/);
    assert.match(r.stderr, /collect/);
    assert.ok((await readFile(join(ws, 'drafts', 'root.json'))).equals(draft));
    assert.equal((await rawAuditEntries(ws)).length, entries);
  });
});

/** Stages a change's files and returns its record, without appending or applying (what a kill after staging leaves). */
async function stageOnly(c: Change, ws: string): Promise<Record<string, unknown>> {
  const { canonicalBytes } = await import('../../src/metadata/canonical.js');
  const { tempNameFor, writeTemp } = await import('../../src/store/atomic.js');
  const w = (c as unknown as { writes: Map<string, { rel: string; bytes: Uint8Array; sha256: string; previous: string | null }> }).writes;
  const plan = { writes: [...w.values()].map((x) => ({ path: x.rel, sha256: x.sha256, previous: x.previous })), removes: [] };
  const tx = sha256Hex(canonicalBytes(plan)).slice(0, 16);
  for (const x of w.values()) await writeTemp(tempNameFor(join(ws, x.rel), tx), x.bytes);
  return { tx, ...plan };
}

describe('revocation everywhere', () => {
  it('a key declared compromised is refused by collect, not counted by status or publish, and its signature in a draft is an error naming it', async () => {
    const ws = await copy();
    assert.equal((await run(ws, ['root', 'draft', '--revoke', 'carol', '--reason', 'laptop stolen'])).code, 0);
    const r = await run(ws, ['--json', 'request', 'root']);
    const req = join(ws, (JSON.parse(r.stdout) as { file: string }).file);
    const carol = await fx.sign('carol', req);
    const c = await run(ws, ['collect', carol]);
    assert.equal(c.code, 1, c.stderr);
    assert.match(c.stdout, /! carol .*REJECTED/);
    assert.equal(parseMetadata(await readFile(join(ws, 'drafts', 'root.json')), 'd', 'root').signatures.length, 0);
    // Carol's signature put into the draft by hand (as `sign` used to): an error that names her, not counted.
    const sf = JSON.parse(await readFile(carol, 'utf8')) as { keyid: string; sig: string };
    const d = parseMetadata(await readFile(join(ws, 'drafts', 'root.json')), 'd', 'root');
    await writeFile(join(ws, 'drafts', 'root.json'), serializeMetadata({ signed: d.signed, signatures: [{ keyid: sf.keyid, sig: sf.sig }] }, 'd'));
    const st = await run(ws, ['--json', 'status']);
    const doc = JSON.parse(st.stdout) as { drafts: { errors: string[]; thresholds: { validKeyids: string[] }[]; publishable: boolean }[] };
    assert.ok(doc.drafts[0]?.errors.some((e) => e.includes(sf.keyid) && e.includes('carol') && e.includes('compromised')), JSON.stringify(doc.drafts[0]?.errors));
    for (const t of doc.drafts[0]?.thresholds ?? []) assert.ok(!t.validKeyids.includes(sf.keyid), 'the revoked key is not counted');
    assert.equal(doc.drafts[0]?.publishable, false);
    const p = await run(ws, ['publish', 'root']);
    assert.equal(p.code, 1);
    assert.match(p.stderr, /carol.*compromised/);
  });
});

describe('names come from the registry', () => {
  it("a signature file claiming another keyholder's name is shown and logged under the registry's name, and flagged", async () => {
    const ws = await copy();
    const req = await v2Draft(ws);
    const sig = await fx.sign('alice', req);
    const forged = join(base, `forged-${String(n)}.sig.json`);
    const sf = JSON.parse(await readFile(sig, 'utf8')) as Record<string, unknown>;
    await writeFile(forged, JSON.stringify({ ...sf, keyholder: 'mallory' }, null, 2));
    const r = await run(ws, ['collect', forged]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\+ alice \(key [0-9a-f]{8}\) .*WARNING: the file claims the signer is "mallory"/);
    assert.doesNotMatch(r.stdout, /\+ mallory/);
    const e = (await commandEntries(ws)).at(-1);
    const added = (e?.details['drafts'] as { added: { keyholder: string; claimed_keyholder?: string }[] }[])[0]?.added[0];
    assert.deepEqual([added?.keyholder, added?.claimed_keyholder], ['alice', 'mallory']);
  });
});

describe('no writes through links; exit 2 writes nothing; temporary files removed', () => {
  it('drafts/ as a link out of the workspace, or drafts/root.json as a link: refused with exit 2, nothing written outside', async () => {
    const ws = await copy();
    await v2Draft(ws);
    const outside = join(base, `outside-${String(n)}`);
    await rename(join(ws, 'drafts'), outside);
    await symlink(outside, join(ws, 'drafts'));
    const before = await readFile(join(outside, 'root.json'));
    const r = await run(ws, ['root', 'expires', '2031-02-01T00:00:00Z']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /drafts: is a symbolic link; the workspace never writes through a link/);
    assert.ok((await readFile(join(outside, 'root.json'))).equals(before));
    assert.deepEqual(readdirSync(outside).sort(), ['root.json']);
    // The target itself a link.
    await rm(join(ws, 'drafts'));
    await mkdir(join(ws, 'drafts'));
    await symlink(join(outside, 'root.json'), join(ws, 'drafts', 'root.json'));
    const r2 = await run(ws, ['root', 'expires', '2031-02-01T00:00:00Z']);
    assert.equal(r2.code, 2, r2.stderr);
    assert.ok((await readFile(join(outside, 'root.json'))).equals(before));
  });

  it('an exit-2 collect (an upper-case hex signature in a metadata copy) leaves nothing in signatures/; a temporary file is removed by the next command', async () => {
    const ws = await copy();
    const req = await v2Draft(ws);
    const sf = JSON.parse(await readFile(await fx.sign('alice', req), 'utf8')) as { keyid: string; sig: string };
    const d = parseMetadata(await readFile(join(ws, 'drafts', 'root.json')), 'd', 'root');
    const copyFile = join(base, `copy-${String(n)}.json`);
    const bytes = JSON.parse(Buffer.from(serializeMetadata({ signed: d.signed, signatures: [] }, 'c')).toString('utf8')) as { signatures: unknown[] };
    bytes.signatures = [{ keyid: sf.keyid, sig: sf.sig.toUpperCase() }];
    await writeFile(copyFile, JSON.stringify(bytes));
    const sigsBefore = readdirSync(join(ws, 'signatures')).sort();
    const r = await run(ws, ['collect', copyFile]);
    assert.equal(r.code, 2, `${r.stdout}${r.stderr}`);
    assert.deepEqual(readdirSync(join(ws, 'signatures')).sort(), sigsBefore);
    await writeFile(join(ws, 'drafts', '.root.json.0123456789abcdef.tmp'), 'left by a killed process');
    assert.equal((await run(ws, ['status'])).code, 0);
    assert.equal(existsSync(join(ws, 'drafts', '.root.json.0123456789abcdef.tmp')), false);
  });
});

describe('files outside the workspace', () => {
  it('audit export --out and request --out never replace an existing file or a FIFO without --force', async () => {
    const ws = await copy();
    await v2Draft(ws);
    const existing = join(base, `existing-${String(n)}.md`);
    await writeFile(existing, 'keep me');
    const r = await run(ws, ['audit', 'export', '--format', 'md', '--out', existing]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--out: .* exists \(a file\); not replaced/);
    assert.equal(await readFile(existing, 'utf8'), 'keep me');
    const fifo = join(base, `fifo-${String(n)}`);
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    const f = await run(ws, ['request', 'root', '--out', fifo]);
    assert.equal(f.code, 2, f.stderr);
    assert.match(f.stderr, /exists \(a FIFO\)/);
    assert.equal((await run(ws, ['audit', 'export', '--format', 'md', '--out', existing, '--force'])).code, 0);
    assert.notEqual(await readFile(existing, 'utf8'), 'keep me');
  });

  it('init --from: a root file given twice is left out and the workspace is whole; killed at any write, nothing is left at DIR', async () => {
    const src = join(base, `import-${String(n++)}`);
    await cp(join(base, 'published-v1', 'metadata'), src, { recursive: true });
    await mkdir(join(src, 'root_history'));
    await cp(join(src, '1.root.json'), join(src, 'root_history', '1.root.json'));
    // The duplicate is not on a client's verified path: it is left out, and the import is whole (with its audit log).
    const whole = join(base, `new-ws-${String(n++)}`);
    const r = await runCli(['init', whole, '--from', src], { now: CEREMONY_NOW });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /left out 1 files/);
    assert.equal((await run(whole, ['audit', 'verify'])).code, 0);
    // SIGKILL at each crash point of init --from (the test hook TUF_CEREMONY_CRASH_AT=k): the workspace
    // is built in a temporary directory and renamed into place, so DIR never holds a half workspace.
    const bin = join(import.meta.dirname, '..', '..', '..', 'bin', 'tuf-ceremony.js');
    let k = 1;
    for (; k < 100; k++) {
      const target = join(base, `killed-ws-${String(n)}-${String(k)}`);
      const c = spawnSync(process.execPath, [bin, '--no-input', 'init', target, '--from', src], {
        env: { ...process.env, TUF_CEREMONY_CRASH_AT: String(k) },
        encoding: 'utf8',
      });
      if (c.signal !== 'SIGKILL') {
        assert.equal(c.status, 0, c.stderr);
        assert.equal(existsSync(join(target, 'ceremony.json')), true);
        break;
      }
      assert.equal(existsSync(target), false, `killed at crash point ${String(k)}: no half workspace at DIR`);
    }
    assert.ok(k > 3, `init --from passed ${String(k - 1)} crash points`);
  });
});

describe('anchors', () => {
  it('audit verify fails (exit 1) on a missing or empty log, or one cut back before the head publish anchored; outside a workspace exit 2', async () => {
    const ws = await copy();
    const manifest = JSON.parse(await readFile(join(ws, 'manifest.json'), 'utf8')) as { audit: { head: string; seq: number } };
    assert.match(manifest.audit.head, /^[0-9a-f]{64}$/);
    assert.equal((await run(ws, ['audit', 'verify'])).code, 0);
    const log = await readFile(join(ws, 'audit', 'log.jsonl'), 'utf8');
    await writeFile(join(ws, 'audit', 'log.jsonl'), log.split('\n').slice(0, manifest.audit.seq - 1).join('\n') + '\n');
    const cut = await run(ws, ['audit', 'verify']);
    assert.equal(cut.code, 1, cut.stderr);
    assert.match(cut.stderr, /cut back before the anchor of root version 1 \(anchors\.jsonl line 1: entry \d+, head [0-9a-f]{64}\)/);
    await rm(join(ws, 'audit', 'log.jsonl'));
    const gone = await run(ws, ['audit', 'verify']);
    assert.equal(gone.code, 1, gone.stdout);
    assert.match(gone.stderr, /missing or empty, but this workspace has published/);
    const elsewhere = join(base, `not-a-workspace-${String(n++)}`);
    await mkdir(elsewhere);
    assert.equal((await runCli(['--dir', elsewhere, 'audit', 'verify'], { now: CEREMONY_NOW })).code, 2);
  });
});

describe('anchors in the publish history', () => {
  it('audit verify checks every anchor in anchors.jsonl: a log cut back to between two publishes fails (exit 1) naming the later one, even with manifest.json rolled back', async () => {
    const ws = await copy();
    const readAnchors = async (): Promise<{ role: string; version: number; files: Record<string, { sha256: string }>; audit: { head: string; seq: number } }[]> =>
      (await readFile(join(ws, 'anchors.jsonl'), 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l) as never);
    const before1 = await readAnchors();
    assert.ok(before1.length >= 1);
    const manifestV1 = await readFile(join(ws, 'manifest.json'));
    const req = await v2Draft(ws);
    const sigs = [await fx.sign('alice', req), await fx.sign('bob', req)];
    assert.equal((await run(ws, ['collect', ...sigs])).code, 0);
    const pub = await run(ws, ['publish', 'root']);
    assert.equal(pub.code, 0, pub.stderr);
    const anchors = await readAnchors();
    assert.equal(anchors.length, before1.length + 1, 'one line appended');
    assert.deepEqual(anchors.slice(0, -1), before1, 'earlier lines unchanged');
    const last = anchors.at(-1);
    const prev = anchors.at(-2);
    assert.ok(last !== undefined && prev !== undefined);
    assert.deepEqual([last.role, last.version], ['root', 2]);
    const v2 = await readFile(join(ws, 'metadata', '2.root.json'));
    assert.equal(last.files['metadata/2.root.json']?.sha256, sha256Hex(v2));
    // Each line is canonical JSON.
    const lines = (await readFile(join(ws, 'anchors.jsonl'), 'utf8')).trimEnd().split('\n');
    const { canonicalize } = await import('../../src/metadata/canonical.js');
    for (const l of lines) assert.equal(l, canonicalize(JSON.parse(l) as unknown));
    assert.equal((await run(ws, ['audit', 'verify'])).code, 0);
    // Cut back to between the two publishes: the earlier anchor still holds, the later does not.
    assert.ok(prev.audit.seq < last.audit.seq);
    const log = await readFile(join(ws, 'audit', 'log.jsonl'), 'utf8');
    await writeFile(join(ws, 'audit', 'log.jsonl'), log.split('\n').slice(0, last.audit.seq - 1).join('\n') + '\n');
    for (const rollBack of [false, true]) {
      if (rollBack) await writeFile(join(ws, 'manifest.json'), manifestV1);
      const cut = await run(ws, ['audit', 'verify']);
      assert.equal(cut.code, 1, cut.stderr);
      assert.match(cut.stderr, new RegExp(`cut back before the anchor of root version 2 \\(anchors\\.jsonl line ${String(anchors.length)}: entry ${String(last.audit.seq)}, head ${last.audit.head}\\)`));
    }
    // A malformed anchors line: exit 2 naming it.
    await writeFile(join(ws, 'anchors.jsonl'), lines.slice(0, -1).join('\n') + '\n{"audit":{"head":"x","seq":1}}\n');
    const bad = await run(ws, ['audit', 'verify']);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, new RegExp(`anchors\\.jsonl line ${String(anchors.length)}: audit must be`));
  });
});

describe('entries of any size', () => {
  it('targets add of 20,000 files: one entry with the count and SHA-256 of the list, the list written beside the log', { timeout: 600_000 }, async () => {
    const ws = await copy();
    assert.equal((await run(ws, ['targets', 'draft'])).code, 0);
    const dir = join(base, `many-${String(n)}`);
    await mkdir(dir);
    const files: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const f = join(dir, `f${String(i).padStart(5, '0')}.txt`);
      files.push(f);
    }
    for (let i = 0; i < files.length; i += 500) await Promise.all(files.slice(i, i + 500).map((f, j) => writeFile(f, `file ${String(i + j)}\n`)));
    const r = await run(ws, ['targets', 'add', ...files]);
    assert.equal(r.code, 0, r.stderr);
    const e = (await commandEntries(ws)).at(-1);
    assert.equal(e?.command, 'targets add');
    const listed = Object.values(e?.details ?? {}).find((v): v is { count: number; sha256: string; file: string } => typeof v === 'object' && v !== null && 'count' in v);
    assert.ok(listed !== undefined, JSON.stringify(e?.details).slice(0, 500));
    assert.equal(listed.count, 20_000);
    const artifact = readFileSync(join(ws, listed.file));
    assert.equal(sha256Hex(artifact), listed.sha256);
    assert.equal((JSON.parse(artifact.toString('utf8')) as unknown[]).length, 20_000);
    assert.equal((await run(ws, ['audit', 'verify'])).code, 0);
  });
});
