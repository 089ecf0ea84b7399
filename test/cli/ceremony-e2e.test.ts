// SPDX-License-Identifier: Apache-2.0
/**
 * A whole ceremony as the users would run it (issue 4 §9). Each person works
 * in a directory of their own, standing for their own machine; only public
 * key files, signing requests and signature files travel between them.
 *
 * Root v1 (root 2 of 3, targets 2 of 3, online snapshot and timestamp keys)
 * from a plan; then v2 replaces carol by dave, and publish is refused until
 * both the old and the new root thresholds hold. tuf-js (a client we did not
 * write) then updates from 1.root.json to 2.root.json over loopback HTTP,
 * and rejects a v2 signed only by new keys, which our publish refuses too.
 *
 * tuf-js judges expiry by the real clock, so the reference time is 2098 and
 * everything expires a year later; the CLI is always given that time.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makePublicKeyFile } from '../../src/crypto/proof.js';
import { keySigner } from '../../src/crypto/software.js';
import { canonicalBytes } from '../../src/metadata/canonical.js';
import type { Metadata, Root, Snapshot, Targets, Timestamp } from '../../src/metadata/model.js';
import { serializeMetadata, stringifySorted } from '../../src/metadata/serialize.js';
import { createHash } from 'node:crypto';
import { runCli, type CliResult } from '../support/cli.js';
import { planV1 } from '../support/ceremony.js';
import { signMetadata, testKey } from '../support/keys.js';
import { judgedByClients } from '../support/judges.js';
import { serve, stop, type Served } from '../support/serve.js';

for (const v of ['no_proxy', 'NO_PROXY']) {
  process.env[v] = [process.env[v], '127.0.0.1', 'localhost'].filter((x) => x !== undefined && x !== '').join(',');
}
const { Updater } = await import('tuf-js');

const NOW = Date.UTC(2098, 0, 1, 12, 0, 0);
const EXPIRES = '2098-12-01T00:00:00Z';
const PASS = 'ceremony e2e passphrase';
const env = { TUF_CEREMONY_PASSPHRASE: PASS };
const online = testKey('e2e/online');

let tmp: string;
const dirs: Record<string, string> = {};
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'tuf-ceremony-e2e-'));
  for (const who of ['coordinator', 'alice', 'bob', 'carol', 'dave', 'erin', 'repo', 'client']) {
    dirs[who] = join(tmp, who);
    await mkdir(dirs[who], { recursive: true });
  }
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const d = (who: string): string => dirs[who] ?? assert.fail(who);
const ws = (): string => join(d('coordinator'), 'ws');

async function cli(who: string, args: readonly string[]): Promise<CliResult> {
  return runCli(args, { cwd: who === 'ws' ? ws() : d(who), env, now: NOW });
}
async function ok(who: string, args: readonly string[]): Promise<CliResult> {
  const r = await cli(who, args);
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}${r.stdout}`);
  return r;
}
/** A file carried from one machine to another (USB stick). */
async function carry(from: string, to: string): Promise<string> {
  const name = basename(from);
  await copyFile(from, join(to, name));
  return join(to, name);
}
async function json<T>(r: CliResult): Promise<T> {
  return Promise.resolve(JSON.parse(r.stdout) as T);
}

interface Threshold {
  label: string;
  met: boolean;
  signedBy: string[];
  canStillSign: string[];
  more: number;
}

/** A keyholder signs a request carried to them, and the signature file is carried back. */
async function signAt(who: string, request: string): Promise<string> {
  const local = await carry(request, d(who));
  const r = await ok(who, ['--json', 'sign', basename(local), '--key', `${who}.key`, '--yes']);
  const out = (await json<{ out: string; keyholder: string }>(r)).out;
  return carry(join(d(who), out), d('coordinator'));
}

describe('a whole ceremony, end to end', () => {
  let served: Served | undefined;
  after(async () => {
    await stop(served);
  });

  it('keys, v1 from a plan, v2 replacing a keyholder, and tuf-js follows 1 → 2', { timeout: 120_000 }, async (t) => {
    // Keyholders generate their keys on their own machines.
    for (const who of ['alice', 'bob', 'carol', 'dave', 'erin']) await ok(who, ['key', 'generate', '--name', who]);
    // The online key (snapshot, timestamp) is the repository's, made elsewhere.
    const onlinePub = await makePublicKeyFile('online', keySigner(online.privateKey, { backend: 'file' }), NOW);
    await writeFile(join(d('coordinator'), 'online.pub.json'), stringifySorted(onlinePub));

    await ok('coordinator', ['init', 'ws', '--name', 'e2e']);
    const pubs = [];
    for (const who of ['alice', 'bob', 'carol']) pubs.push(await carry(join(d(who), `${who}.pub.json`), d('coordinator')));
    await ok('ws', ['keyholder', 'add', ...pubs]);
    await writeFile(join(ws(), 'plan.yaml'), planV1(EXPIRES, '../online.pub.json'));
    const draft1 = await json<{ version: number; ready: boolean }>(await ok('ws', ['--json', 'root', 'draft', '--plan', 'plan.yaml']));
    assert.equal(draft1.version, 1);
    assert.equal(draft1.ready, true);
    const req1 = (await json<{ file: string }>(await ok('ws', ['--json', 'request', 'root']))).file;
    const sigA = await signAt('alice', join(ws(), req1));
    // Before the second signature: not publishable, and it says who can still sign.
    await ok('ws', ['collect', sigA]);
    const early = await cli('ws', ['publish', 'root']);
    assert.equal(early.code, 1);
    assert.match(early.stderr, /new root: 2 of 3 needed, signed by alice — 1 more from bob or carol/);
    const sigB = await signAt('bob', join(ws(), req1));
    await ok('ws', ['collect', sigB]);
    const pub1 = await json<{ written: { path: string }[]; verify: { ok: boolean }; auditHead: string }>(await ok('ws', ['--json', 'publish', 'root']));
    assert.deepEqual(pub1.written.map((w) => w.path), ['metadata/1.root.json', 'metadata/root.json', 'manifest.json', 'anchors.jsonl']);
    assert.equal(pub1.verify.ok, true);
    assert.match(pub1.auditHead, /^[0-9a-f]{64}$/);

    // v2, first wrongly: a root held only by new keys (dave, erin), signed only by them.
    for (const who of ['dave', 'erin']) await ok('ws', ['keyholder', 'add', await carry(join(d(who), `${who}.pub.json`), d('coordinator'))]);
    await writeFile(join(ws(), 'hostile.yaml'), 'roles:\n  root: { threshold: 2, keyholders: [dave, erin] }\n');
    await ok('ws', ['root', 'draft', '--plan', 'hostile.yaml']);
    const reqBad = (await json<{ file: string }>(await ok('ws', ['--json', 'request', 'root']))).file;
    await ok('ws', ['collect', await signAt('dave', join(ws(), reqBad)), await signAt('erin', join(ws(), reqBad))]);
    const refused = await cli('ws', ['publish', 'root']);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /old root: 2 of 3 needed, no signatures yet — 2 more from alice, bob or carol/);
    assert.match(refused.stderr, /new root: 2 of 2 needed, signed by dave, erin — met/);
    const badV2 = await readFile(join(ws(), 'drafts', 'root.json'));
    assert.deepEqual((await readdir(join(ws(), 'metadata'))).sort(), ['1.root.json', 'root.json']);

    // v2, properly: replace carol by dave (root and targets). Starting over discards the two signatures.
    const replaced = await json<{ discardedSignatures: number }>(await ok('ws', ['--json', 'root', 'draft', '--replace']));
    assert.equal(replaced.discardedSignatures, 2);
    for (const role of ['root', 'targets']) {
      await ok('ws', ['root', 'add-key', role, 'dave']);
      await ok('ws', ['root', 'remove-key', role, 'carol']);
    }
    await ok('ws', ['root', 'expires', EXPIRES]);
    const req2 = (await json<{ file: string }>(await ok('ws', ['--json', 'request', 'root']))).file;
    await ok('ws', ['collect', await signAt('alice', join(ws(), req2)), await signAt('dave', join(ws(), req2))]);
    const st = await json<{ drafts: { thresholds: Threshold[]; publishable: boolean }[] }>(await ok('ws', ['--json', 'status']));
    const [oldT, newT] = st.drafts[0]?.thresholds ?? [];
    assert.deepEqual([oldT?.label, oldT?.met, oldT?.signedBy, oldT?.canStillSign], ['old root', false, ['alice'], ['bob', 'carol']]);
    assert.deepEqual([newT?.label, newT?.met, newT?.signedBy], ['new root', true, ['alice', 'dave']]);
    assert.equal(st.drafts[0]?.publishable, false);
    const notYet = await cli('ws', ['publish', 'root']);
    assert.equal(notYet.code, 1);
    assert.match(notYet.stderr, /old root: 2 of 3 needed, signed by alice — 1 more from bob or carol/);
    await ok('ws', ['collect', await signAt('bob', join(ws(), req2))]);
    await ok('ws', ['publish', 'root']);
    assert.equal((await ok('ws', ['verify', 'metadata', '--at', '2098-06-01T00:00:00Z'])).code, 0);
    assert.equal((await ok('ws', ['audit', 'verify'])).code, 0);

    // Sign top-level targets the way another tool's file is signed: keyholders append to plain metadata.
    const meta = join(ws(), 'metadata');
    const v2 = JSON.parse(await readFile(join(meta, '2.root.json'), 'utf8')) as Metadata<Root>;
    const targets: Targets = { _type: 'targets', spec_version: '1.0.31', version: 1, expires: EXPIRES, targets: {} };
    const repo = d('repo');
    await mkdir(join(repo, 'good', 'metadata'), { recursive: true });
    await writeFile(join(repo, 'good', 'metadata', '1.targets.json'), serializeMetadata({ signed: targets, signatures: [] }, 'targets'));
    for (const who of ['alice', 'dave']) {
      const local = await carry(join(repo, 'good', 'metadata', '1.targets.json'), d(who));
      await carry(join(meta, '2.root.json'), d(who));
      await ok(who, ['sign', basename(local), '--key', `${who}.key`, '--trusted-root', '2.root.json', '--yes']);
      await copyFile(local, join(repo, 'good', 'metadata', '1.targets.json'));
    }
    const targetsBytes = await readFile(join(repo, 'good', 'metadata', '1.targets.json'));
    const snapshot = signMetadata<Snapshot>({ _type: 'snapshot', spec_version: '1.0.31', version: 1, expires: EXPIRES, meta: { 'targets.json': { version: 1 } } }, [online]);
    const snapBytes = serializeMetadata(snapshot, 'snapshot');
    const ts = signMetadata<Timestamp>(
      {
        _type: 'timestamp',
        spec_version: '1.0.31',
        version: 1,
        expires: EXPIRES,
        meta: { 'snapshot.json': { version: 1, length: snapBytes.length, hashes: { sha256: createHash('sha256').update(snapBytes).digest('hex') } } },
      },
      [online]
    );
    await writeFile(join(repo, 'good', 'metadata', '1.snapshot.json'), snapBytes);
    await writeFile(join(repo, 'good', 'metadata', 'timestamp.json'), serializeMetadata(ts, 'timestamp'));
    for (const f of ['1.root.json', '2.root.json']) await copyFile(join(meta, f), join(repo, 'good', 'metadata', f));
    // The hostile repository: the same, but 2.root.json is the v2 signed only by new keys.
    await mkdir(join(repo, 'bad', 'metadata'), { recursive: true });
    for (const f of await readdir(join(repo, 'good', 'metadata'))) await copyFile(join(repo, 'good', 'metadata', f), join(repo, 'bad', 'metadata', f));
    await writeFile(join(repo, 'bad', 'metadata', '2.root.json'), badV2);
    assert.ok(targetsBytes.length > 0);

    served = await serve(repo);
    const client = async (name: string): Promise<{ u: InstanceType<typeof Updater>; dir: string }> => {
      const dir = join(d('client'), name);
      await mkdir(join(dir, 'targets'), { recursive: true });
      await copyFile(join(meta, '1.root.json'), join(dir, 'root.json'));
      const u = new Updater({
        metadataBaseUrl: `${served?.base ?? ''}/${name}/metadata`,
        targetBaseUrl: `${served?.base ?? ''}/${name}/targets`,
        metadataDir: dir,
        targetDir: join(dir, 'targets'),
        config: { fetchTimeout: 5000, fetchRetries: 0, fetchRetry: 0 },
      });
      return { u, dir };
    };
    const good = await client('good');
    await good.u.refresh();
    const trusted = JSON.parse(await readFile(join(good.dir, 'root.json'), 'utf8')) as Metadata<Root>;
    assert.equal(trusted.signed.version, 2, 'tuf-js moved from root v1 to v2');
    assert.deepEqual(Buffer.from(canonicalBytes(trusted.signed)), Buffer.from(canonicalBytes(v2.signed)));

    const bad = await client('bad');
    await assert.rejects(bad.u.refresh(), /root|threshold|signature/i, 'tuf-js rejects a v2 signed only by new keys');
    const kept = JSON.parse(await readFile(join(bad.dir, 'root.json'), 'utf8')) as Metadata<Root>;
    assert.equal(kept.signed.version, 1);

    // python-tuf too: the roots the ceremony published and the targets the
    // keyholders signed with `sign` (beside test-made snapshot and timestamp).
    const at = '2098-06-01T00:00:00Z';
    await judgedByClients(t, { dir: join(repo, 'good', 'metadata'), at }, 'accept', { covers: ['2.root.json', '1.targets.json'] });
    await judgedByClients(t, { dir: join(repo, 'bad', 'metadata'), at }, { file: '2.root.json' });
  });
});
