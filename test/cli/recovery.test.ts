// SPDX-License-Identifier: Apache-2.0
/**
 * Key-compromise recovery (`root draft --revoke`), through the real CLI:
 * root v1 has five root keys at threshold 3 and one online key for
 * snapshot and timestamp. Three incidents: one root key compromised (a
 * signed recovery, without it); three compromised (none possible: exit 1,
 * out of band); the online key compromised (new online keys required).
 */
import { commandEntries } from '../support/audit.js';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makePublicKeyFile } from '../../src/crypto/proof.js';
import { keySigner } from '../../src/crypto/software.js';
import type { Metadata, Root } from '../../src/metadata/model.js';
import { stringifySorted } from '../../src/metadata/serialize.js';
import { runCli, type CliResult } from '../support/cli.js';
import { CEREMONY_NOW, CEREMONY_PASS } from '../support/ceremony.js';
import { testKey } from '../support/keys.js';

const HOLDERS = ['alice', 'bob', 'carol', 'dave', 'erin'];
const env = { TUF_CEREMONY_PASSPHRASE: CEREMONY_PASS };
let base: string;
let template: string;
let n = 0;

const run = (cwd: string, args: readonly string[]): Promise<CliResult> => runCli(['--no-input', ...args], { cwd, env, now: CEREMONY_NOW });
async function ok(cwd: string, args: readonly string[]): Promise<CliResult> {
  const r = await run(cwd, args);
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}${r.stdout}`);
  return r;
}
async function pubFor(name: string, label: string): Promise<string> {
  const k = testKey(label);
  const p = join(base, `${name}.pub.json`);
  await writeFile(p, stringifySorted(await makePublicKeyFile(name, keySigner(k.privateKey, { backend: 'file' }), CEREMONY_NOW)));
  return p;
}
/** Each named keyholder signs the workspace's root draft; their signature files. */
async function signs(ws: string, who: readonly string[]): Promise<string[]> {
  const req = join(base, `req-${String(n++)}.json`);
  await ok(ws, ['request', 'root', '--out', req]);
  const out: string[] = [];
  for (const h of who) {
    const f = join(base, `sig-${String(n++)}-${h}.json`);
    await ok(base, ['sign', req, '--key', join(base, 'keys', `${h}.key`), '--yes', '--out', f]);
    out.push(f);
  }
  return out;
}
async function copy(): Promise<string> {
  const ws = join(base, `ws-${String(n++)}`);
  await cp(template, ws, { recursive: true });
  return ws;
}
async function lastAudit(ws: string): Promise<{ command: string; details: Record<string, unknown> }> {
  return (await commandEntries(ws)).at(-1) ?? { command: '', details: {} };
}

before(async () => {
  base = await mkdtemp(join(tmpdir(), 'tuf-ceremony-recovery-'));
  for (const h of HOLDERS) await ok(base, ['key', 'generate', '--name', h, '--out-dir', join(base, 'keys')]);
  await pubFor('online', 'recovery/online');
  template = join(base, 'template');
  await ok(base, ['init', template]);
  await ok(template, ['keyholder', 'add', ...HOLDERS.map((h) => join(base, 'keys', `${h}.pub.json`))]);
  await writeFile(
    join(base, 'plan.yaml'),
    `roles:\n  root: { threshold: 3, keyholders: [${HOLDERS.join(', ')}] }\n  targets: { threshold: 2, keyholders: [alice, bob, carol] }\n` +
      '  snapshot: { threshold: 1, keys: [online.pub.json] }\n  timestamp: { threshold: 1, keys: [online.pub.json] }\n'
  );
  await ok(template, ['root', 'draft', '--plan', join(base, 'plan.yaml')]);
  await ok(template, ['collect', ...(await signs(template, ['alice', 'bob', 'carol']))]);
  await ok(template, ['publish', 'root']);
});
after(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('key-compromise recovery: root draft --revoke', () => {
  it('a --reason holding an escape sequence or a bidi override is exit 2, and nothing is written', async () => {
    for (const reason of ['laptop stolen\u001b[2K\rnothing happened', 'stolen by \u202eevil', 'tab\there']) {
      const ws = await copy();
      const before = (await commandEntries(ws)).length;
      const r = await run(ws, ['root', 'draft', '--revoke', 'erin', '--reason', reason]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /--reason: holds the character U\+(001B|202E|0009)/);
      assert.ok(!/[\u202e\t]/.test(r.stderr) && !r.stderr.includes('\u001b'), 'the character is not echoed raw');
      assert.deepEqual(await readdir(join(ws, 'drafts')), []);
      assert.equal((await commandEntries(ws)).length, before, 'no audit entry');
    }
  });
  it('1 of 5 root keys compromised at threshold 3: a signed recovery without it; its signature is refused', async () => {
    const ws = await copy();
    const r = await ok(ws, ['--json', 'root', 'draft', '--revoke', 'erin', '--reason', 'laptop stolen']);
    const out = JSON.parse(r.stdout) as { signedRecoveryPossible: boolean; usableOldRootKeys: string[]; oldThreshold: number; newRoot: { threshold: number; keys: string[] }; errors: string[] };
    assert.equal(out.signedRecoveryPossible, true);
    assert.deepEqual(out.usableOldRootKeys, ['alice', 'bob', 'carol', 'dave']);
    assert.equal(out.oldThreshold, 3);
    assert.deepEqual(out.newRoot, { version: 2, threshold: 3, keys: ['alice', 'bob', 'carol', 'dave'] });
    assert.deepEqual(out.errors, []);
    const text = await ok(await copy(), ['root', 'draft', '--revoke', 'erin']);
    assert.match(text.stdout, /a signed recovery is possible: 4 root keys of root version 1 are not compromised and 3 are needed/);
    assert.match(text.stdout, /old root \(version 1\): 3 of alice, bob, carol, dave/);
    assert.match(text.stdout, /new root \(version 2\): 3 of alice, bob, carol, dave/);
    const entry = await lastAudit(ws);
    assert.equal(entry.command, 'incident');
    assert.equal(entry.details['reason'], 'laptop stolen');
    assert.equal((entry.details['revoked'] as { keyholder: string }[])[0]?.keyholder, 'erin');
    // erin (or whoever holds her key) signs anyway: collect refuses it.
    const [erinSig] = await signs(ws, ['erin']);
    const refused = await run(ws, ['collect', erinSig ?? '']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /erin.*may not sign root version 2/);
    const st = await ok(ws, ['status']);
    // erin's key under both its IDs: its own, and the one the root lists it under (her name bound in the key object).
    assert.match(st.stdout, /recovery draft: 2 key IDs declared compromised/);
    assert.match(st.stdout, /old root: 3 of 5 needed, no signatures yet — 3 more from alice, bob, carol or dave/);
    await ok(ws, ['collect', ...(await signs(ws, ['alice', 'bob', 'dave']))]);
    await ok(ws, ['publish', 'root']);
    const v2 = JSON.parse(await readFile(join(ws, 'metadata', '2.root.json'), 'utf8')) as Metadata<Root>;
    assert.equal(v2.signed.roles['root']?.keyids.length, 4);
    assert.equal(Object.keys(v2.signed.keys).length, 5, 'four root keys and the online key');
    assert.deepEqual(await readdir(join(ws, 'drafts')), [], 'the incident record goes with the draft');
    await ok(ws, ['verify', 'metadata', '--at', '2030-02-01T00:00:00Z']);
  });

  it('a tampered incident record: exit 2 naming the file and the field, nothing written', async () => {
    const ws = await copy();
    await ok(ws, ['root', 'draft', '--revoke', 'erin']);
    const file = join(ws, 'drafts', 'root.incident.json');
    const good = await readFile(file, 'utf8');
    const cases: [string, RegExp][] = [
      [good.slice(0, 40), /root\.incident\.json/],
      [good.replace('{', '{"reason": "x",'), /root\.incident\.json.*(duplicate|reason)/],
      [good.replace(/"trusted_version": 1/, '"trusted_version": 1.5'), /root\.incident\.json.*trusted_version/],
      [good.replace(/"revoked_keyids": \[/, '"revoked_keyids": [7, '), /root\.incident\.json.*revoked_keyids/],
      [good.replace('tuf-ceremony/incident/v1', 'v0'), /root\.incident\.json: format/],
    ];
    const draft = await readFile(join(ws, 'drafts', 'root.json'));
    for (const [text, msg] of cases) {
      await writeFile(file, text);
      for (const args of [['status'], ['publish', 'root']]) {
        const r = await run(ws, args);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, msg);
      }
      assert.deepEqual(await readFile(join(ws, 'drafts', 'root.json')), draft);
      assert.deepEqual((await readdir(join(ws, 'metadata'))).sort(), ['1.root.json', 'root.json']);
    }
  });

  it('3 of 5 root keys compromised at threshold 3: no signed recovery, said plainly, exit 1, no draft; --out-of-band drafts anyway', async () => {
    const ws = await copy();
    const r = await run(ws, ['root', 'draft', '--revoke', 'carol', 'dave', 'erin']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /no signed recovery is possible: root version 1 needs 3 root signatures, and only 2 of its root keys are not compromised \(alice, bob\)/);
    assert.match(r.stderr, /cannot be moved to a new root by a signed rotation: the new root must reach them out of band/);
    assert.match(r.stderr, /--out-of-band/);
    assert.deepEqual(await readdir(join(ws, 'drafts')), []);
    const entry = await lastAudit(ws);
    assert.equal(entry.command, 'incident');
    assert.equal(entry.details['signed_recovery_possible'], false);
    const oob = await ok(ws, ['--json', 'root', 'draft', '--revoke', 'carol', 'dave', 'erin', '--out-of-band']);
    const out = JSON.parse(oob.stdout) as { signedRecoveryPossible: boolean; newRoot: { keys: string[] }; errors: string[] };
    assert.equal(out.signedRecoveryPossible, false);
    assert.deepEqual(out.newRoot.keys, ['alice', 'bob']);
    assert.match(out.errors.join('\n'), /roles\.root\.threshold: 3 is more than the 2 keys/, 'the coordinator must add keys before requesting signatures');
  });

  it('the online (timestamp) key compromised: new online keys required; clients drop their cached timestamp and snapshot', async () => {
    const ws = await copy();
    const online = join(base, 'online.pub.json');
    const missing = await run(ws, ['root', 'draft', '--revoke', online]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--online-key: the snapshot key is compromised: give its new key with --online-key snapshot=NEW\.pub\.json/);
    const fresh = await pubFor('online2', 'recovery/online-2');
    const r = await ok(ws, ['root', 'draft', '--revoke', online, '--online-key', `snapshot=${fresh}`, '--online-key', `timestamp=${fresh}`]);
    assert.match(r.stdout, /the snapshot and timestamp keys are replaced: .*deletes its cached timestamp and snapshot metadata \(spec §5\.3\.11\)/);
    assert.match(r.stdout, /old root \(version 1\): 3 of alice, bob, carol, dave, erin/);
    const d = JSON.parse(await readFile(join(ws, 'drafts', 'root.json'), 'utf8')) as Metadata<Root>;
    const ts = d.signed.roles['timestamp']?.keyids ?? [];
    assert.equal(ts.length, 1);
    assert.equal(d.signed.keys[ts[0] ?? '']?.keyval.public, testKey('recovery/online-2').tuf.keyval.public);
    // Bad replacements: a role whose key is fine, a compromised key as the new one, a malformed value.
    const cases: [string[], RegExp][] = [
      [['--revoke', 'erin', '--online-key', `timestamp=${fresh}`], /timestamp: its key is not among the compromised keys/],
      [['--revoke', online, '--online-key', `snapshot=${online}`, '--online-key', `timestamp=${fresh}`], /the new key .* is one of the compromised keys/],
      [['--revoke', online, '--online-key', 'targets=x'], /--online-key: "targets=x" is not ROLE=WHO/],
      [['--revoke', 'mallory'], /"mallory" is not a registered keyholder/],
    ];
    for (const [args, msg] of cases) {
      const again = await copy();
      const e = await run(again, ['root', 'draft', ...args]);
      assert.equal(e.code, 2, `${args.join(' ')}: ${e.stderr}`);
      assert.match(e.stderr, msg);
      assert.deepEqual(await readdir(join(again, 'drafts')), []);
    }
  });

  it('verify of a workspace does not count a revoked key: a threshold met only with it fails (exit 1 naming it); DIR and --workspace alike', async () => {
    const ws = await copy();
    // Root v1 was signed by alice, bob and carol at threshold 3.
    await ok(ws, ['root', 'draft', '--revoke', 'alice']);
    const incident = JSON.parse(await readFile(join(ws, 'drafts', 'root.incident.json'), 'utf8')) as { revoked_keyids: string[] };
    const ids = incident.revoked_keyids.map((k) => k.slice(0, 8));
    assert.ok(ids.length >= 1);
    for (const args of [['verify', ws], ['verify', '--workspace', ws]]) {
      const r = await run(base, args);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout + r.stderr, /2 of 3 needed signatures valid without the keys declared compromised \(([0-9a-f]{8})\); the threshold is met only with them/);
      assert.ok(ids.some((id) => r.stdout.includes(`signed by ${id}, declared compromised`)), r.stdout);
    }
    // The same metadata without the workspace: no incident, the threshold holds.
    assert.equal((await run(base, ['verify', join(ws, 'metadata')])).code, 0);
    const both = await run(base, ['verify', ws, '--workspace', ws]);
    assert.equal(both.code, 2);
  });

  it('verify of a workspace warns of a revoked key that signed when the threshold holds without it (exit 0)', async () => {
    const ws = join(base, `ws-${String(n++)}`);
    await ok(base, ['init', ws]);
    await ok(ws, ['keyholder', 'add', ...HOLDERS.map((h) => join(base, 'keys', `${h}.pub.json`))]);
    await ok(ws, ['root', 'draft', '--plan', join(base, 'plan.yaml')]);
    await ok(ws, ['collect', ...(await signs(ws, ['alice', 'bob', 'carol', 'dave']))]);
    await ok(ws, ['publish', 'root']);
    assert.equal((await run(base, ['verify', ws])).code, 0);
    await ok(ws, ['root', 'draft', '--revoke', 'alice']);
    const r = await run(base, ['--json', 'verify', '--workspace', ws]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout) as { ok: boolean; revoked_keyids: string[]; warnings: { code: string; file: string; message: string }[] };
    assert.equal(report.ok, true);
    assert.ok(report.revoked_keyids.length >= 1);
    const w = report.warnings.filter((x) => x.code === 'REVOKED_KEY');
    assert.equal(w.length, 1, JSON.stringify(report.warnings));
    assert.equal(w[0]?.file, '1.root.json');
    assert.ok(report.revoked_keyids.some((k) => w[0]?.message.includes(k.slice(0, 8))), w[0]?.message);
  });
});
