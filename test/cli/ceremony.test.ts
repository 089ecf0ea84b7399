// SPDX-License-Identifier: Apache-2.0
/**
 * The ceremony commands one by one, through the real CLI with real keys and
 * signatures: root drafts and edits, diff, request, sign, collect, status,
 * publish; their --json output, --no-input, and hostile input (exit 2 naming
 * the file and the field, nothing written).
 */
import { commandEntries } from '../support/audit.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFile, cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { canonicalBytes } from '../../src/metadata/canonical.js';
import { keyIdsListing } from '../../src/metadata/key-listing.js';
import type { TufKey } from '../../src/metadata/keys.js';
import type { Metadata, Root } from '../../src/metadata/model.js';
import { stringifySorted } from '../../src/metadata/serialize.js';
import { runCli, type CliResult } from '../support/cli.js';
import { CEREMONY_NOW, CEREMONY_PASS, ceremonyFixture, type CeremonyFixture } from '../support/ceremony.js';
import type { Prompter } from '../../src/ui/prompts.js';

const PYTHON = process.env['SECURESYSTEMSLIB_PYTHON'] ?? '/usr/bin/python3';
let base: string;
let fx: CeremonyFixture;
let n = 0;
before(async () => {
  base = await mkdtemp(join(tmpdir(), 'tuf-ceremony-cmds-'));
  fx = await ceremonyFixture(base);
});
after(async () => {
  await rm(base, { recursive: true, force: true });
});

/** A copy of the fixture workspace (root v1 published, no draft). */
async function workspace(): Promise<string> {
  const dir = join(base, `copy-${String(n++)}`);
  await cp(fx.ws, dir, { recursive: true });
  return dir;
}
const at = (ws: string, args: readonly string[], now?: number): Promise<CliResult> => fx.run(base, ['--dir', ws, ...args], now);
async function okAt(ws: string, args: readonly string[]): Promise<CliResult> {
  const r = await at(ws, args);
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}${r.stdout}`);
  return r;
}
const parsed = <T>(r: CliResult): T => JSON.parse(r.stdout) as T;
async function requestAt(ws: string, role = 'root'): Promise<string> {
  return join(ws, parsed<{ file: string }>(await okAt(ws, ['--json', 'request', role])).file);
}
/** Root v2 draft replacing carol by dave, and its request. */
async function v2(ws: string): Promise<string> {
  await okAt(ws, ['root', 'draft']);
  await okAt(ws, ['root', 'add-key', 'root', 'dave']);
  await okAt(ws, ['root', 'remove-key', 'root', 'carol']);
  return requestAt(ws);
}
const bytesOf = (p: string): Promise<Buffer> => readFile(p);

describe('root draft and edits', () => {
  it('a new draft is version published + 1 with the published roles; an existing draft is not replaced without --replace', async () => {
    const ws = await workspace();
    const r = parsed<{ version: number; ready: boolean; discardedSignatures: number }>(await okAt(ws, ['--json', 'root', 'draft']));
    assert.equal(r.version, 2);
    assert.equal(r.ready, true);
    const again = await at(ws, ['root', 'draft']);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /a root draft already exists \(version 2, 0 signatures collected\)/);
  });

  it('edits: add, remove, threshold, expiry, consistent_snapshot, each with --json and an audit entry', async () => {
    const ws = await workspace();
    await okAt(ws, ['root', 'draft']);
    const add = parsed<{ diff: { roles: { role: string; added: { keyholder: string }[] }[] } }>(await okAt(ws, ['--json', 'root', 'add-key', 'targets', 'dave']));
    assert.deepEqual(add.diff.roles.find((x) => x.role === 'targets')?.added.map((k) => k.keyholder), ['dave']);
    // WHO as a key ID and as a public key file.
    const daveId = parsed<{ keyid: string }>(await fx.ok(base, ['--json', 'key', 'show', join(fx.home('dave'), 'dave.pub.json')])).keyid;
    await okAt(ws, ['root', 'remove-key', 'targets', daveId]);
    await okAt(ws, ['root', 'add-key', 'root', join(fx.home('dave'), 'dave.pub.json')]);
    await okAt(ws, ['root', 'set-threshold', 'root', '3']);
    await okAt(ws, ['root', 'expires', '2031-06-01']);
    await okAt(ws, ['root', 'consistent-snapshot', 'false']);
    const d = JSON.parse(await readFile(join(ws, 'drafts', 'root.json'), 'utf8')) as Metadata<Root>;
    assert.equal(d.signed.roles['root']?.threshold, 3);
    assert.equal(d.signed.roles['root']?.keyids.length, 4);
    assert.equal(d.signed.roles['targets']?.keyids.length, 3);
    assert.equal(d.signed.expires, '2031-06-01T00:00:00Z');
    assert.equal(d.signed.consistent_snapshot, false);
    const log = (await commandEntries(ws)).map((e) => e.command);
    assert.deepEqual(log.slice(-7), ['root draft', 'root add-key', 'root remove-key', 'root add-key', 'root set-threshold', 'root expires', 'root consistent-snapshot']);
    const diff = await okAt(ws, ['diff', 'root']);
    assert.match(diff.stdout, /\+ dave/);
    assert.match(diff.stdout, /SHA-256 of the bytes you sign: ([0-9a-f]{4} ){15}[0-9a-f]{4}/);
  });

  it('an edit that changes the signed content discards the signatures collected so far, and says how many', async () => {
    const ws = await workspace();
    const req = await v2(ws);
    await okAt(ws, ['collect', await fx.sign('alice', req), await fx.sign('bob', req)]);
    const same = parsed<{ discardedSignatures: number; keptSignatures: number }>(await okAt(ws, ['--json', 'root', 'consistent-snapshot', 'true']));
    assert.deepEqual([same.discardedSignatures, same.keptSignatures], [0, 2], 'an edit that changes nothing keeps them');
    const r = await okAt(ws, ['root', 'expires', '+200d']);
    assert.match(r.stdout, /the signed content changed: 2 signatures collected so far discarded/);
    const d = JSON.parse(await readFile(join(ws, 'drafts', 'root.json'), 'utf8')) as Metadata<Root>;
    assert.deepEqual(d.signatures, []);
  });

  it('+365d reads "in 365 days" in the review a few minutes later, though the expiry was cut to whole seconds', async () => {
    const ws = await workspace();
    await okAt(ws, ['root', 'draft']);
    const set = CEREMONY_NOW + 777;
    assert.equal((await at(ws, ['root', 'expires', '+365d'], set)).code, 0);
    const d = JSON.parse(await readFile(join(ws, 'drafts', 'root.json'), 'utf8')) as Metadata<Root>;
    assert.equal(d.signed.expires, '2031-01-01T12:00:00Z');
    const review = await at(ws, ['diff'], set + 3 * 60_000);
    assert.equal(review.code, 0, review.stderr);
    assert.match(review.stdout, /in 365 days/);
    assert.doesNotMatch(review.stdout, /in 364 days/);
  });

  it('refuses edits that would make the draft unpublishable, and bad values, writing nothing (exit 2, naming the field)', async () => {
    const ws = await workspace();
    await okAt(ws, ['root', 'draft']);
    const draft = join(ws, 'drafts', 'root.json');
    const before = await bytesOf(draft);
    const cases: [string[], RegExp][] = [
      [['root', 'set-threshold', 'root', '4'], /roles\.root\.threshold: 4 is more than the 3 keys/],
      [['root', 'set-threshold', 'root', '0'], /threshold: "0" is not a whole number of at least 1/],
      [['root', 'set-threshold', 'root', '2.5'], /not a whole number/],
      [['root', 'set-threshold', 'mirrors', '1'], /mirrors/],
      [['root', 'add-key', 'root', 'mallory'], /"mallory" is not a registered keyholder, a key ID, or a public key file/],
      [['root', 'add-key', 'root', 'alice'], /already in the root role/],
      [['root', 'remove-key', 'snapshot', 'alice'], /is not in the snapshot role/],
      [['root', 'expires', '2020-01-01'], /expires: "2020-01-01" is not in the future/],
      [['root', 'expires', 'next tuesday'], /expires/],
      [['root', 'consistent-snapshot', 'yes'], /consistent_snapshot|true or false/],
    ];
    for (const [args, msg] of cases) {
      const r = await at(ws, args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, msg, args.join(' '));
      assert.deepEqual(await bytesOf(draft), before, `${args.join(' ')} wrote nothing`);
    }
    // Lowering the threshold first, then removing the key, works.
    await okAt(ws, ['root', 'set-threshold', 'root', '1']);
    await okAt(ws, ['root', 'remove-key', 'root', 'carol']);
    const noDraft = await workspace();
    const r = await at(noDraft, ['root', 'expires', '+30d']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /there is no root draft to edit/);
  });

  it('hostile plans: exit 2 naming the plan file and the field, nothing written', async () => {
    const ws = await workspace();
    const cases: [string, RegExp][] = [
      ['roles:\n  root: { threshold: 4, keyholders: [alice, bob, carol] }\n', /plan\.yaml: roles\.root\.threshold: 4 is more than the 3 keys/],
      ['roles:\n  root: { threshold: 2, keyholders: [alice, bob], extra: 1 }\n', /plan\.yaml: roles\.root\.extra/],
      ['expires: +365d\nexpires: +30d\n', /plan\.yaml/],
      ['roles:\n  root: { threshold: 2.0, keyholders: [alice, bob] }\n', /plan\.yaml: roles\.root\.threshold/],
      ['roles:\n  root: { threshold: 2, keyholders: [alice, zed] }\n', /plan\.yaml: roles\.root\.keyholders\[1\]/],
      ['roles:\n  root: { threshold: 1, keys: [../nowhere.pub.json] }\n', /plan\.yaml: roles\.root\.keys\[0\]/],
      ['{"roles": {"root": {"threshold": 2, "keyholders": ["alice", "bob"]}, "root": {}}}', /plan\.yaml/],
      ['roles: [unterminated\n', /plan\.yaml/],
    ];
    for (const [text, msg] of cases) {
      await writeFile(join(ws, 'plan.yaml'), text);
      const r = await at(ws, ['root', 'draft', '--plan', join(ws, 'plan.yaml')]);
      assert.equal(r.code, 2, `${text}: ${r.stderr}`);
      assert.match(r.stderr, msg, text);
      assert.deepEqual(await readdir(join(ws, 'drafts')), [], `${text}: nothing written`);
    }
  });
});

describe('request and sign', () => {
  it('request refuses a draft that is not ready; the request lists the eligible keys of both roots', async () => {
    const ws = await workspace();
    await okAt(ws, ['root', 'draft']);
    const aliceId = parsed<{ keyid: string }>(await fx.ok(base, ['--json', 'key', 'show', join(fx.home('alice'), 'alice.pub.json')])).keyid;
    await okAt(ws, ['root', 'add-key', 'root', 'dave']);
    await okAt(ws, ['root', 'set-threshold', 'root', '1']);
    await okAt(ws, ['root', 'remove-key', 'root', 'alice']);
    await okAt(ws, ['root', 'remove-key', 'root', 'bob']);
    await okAt(ws, ['root', 'remove-key', 'root', 'carol']);
    // Removing dave would empty the role: refused, so the draft stays ready.
    assert.equal((await at(ws, ['root', 'remove-key', 'root', 'dave'])).code, 2);
    const r = parsed<{ eligibleKeyids: string[] }>(await okAt(ws, ['--json', 'request', 'root']));
    assert.equal(r.eligibleKeyids.length, 4, 'alice, bob, carol (old root) and dave (new root)');
    // alice's key is listed with her name bound in the key object, under the key ID of that object.
    const v1 = JSON.parse(await readFile(join(ws, 'metadata', '1.root.json'), 'utf8')) as Metadata<Root>;
    const alicePub = (JSON.parse(await readFile(join(fx.home('alice'), 'alice.pub.json'), 'utf8')) as { key: TufKey }).key;
    const [aliceInRoot] = keyIdsListing(v1.signed.keys, alicePub);
    assert.ok(aliceInRoot !== undefined && aliceInRoot !== aliceId && r.eligibleKeyids.includes(aliceInRoot));
    // A version-1 draft in a new workspace has empty roles: not ready.
    const fresh = join(base, `fresh-${String(n++)}`);
    await fx.ok(base, ['init', fresh]);
    await okAt(fresh, ['root', 'draft']);
    const notReady = await at(fresh, ['request', 'root']);
    assert.equal(notReady.code, 2);
    assert.match(notReady.stderr, /the root draft is not ready for signing:[\s\S]*roles\.root: the role has no keys/);
    assert.deepEqual(await readdir(join(fresh, 'requests')), []);
  });

  it('a key that may not sign is refused before any passphrase is asked, and nothing is written', async () => {
    const ws = await workspace();
    await okAt(ws, ['root', 'draft']);
    const req = await requestAt(ws);
    await copyFile(req, join(fx.home('dave'), 'r.json'));
    const asked: string[] = [];
    const prompter: Prompter = {
      input: () => Promise.reject(new Error('no text is asked')),
      password: (m) => {
        asked.push(m);
        return Promise.resolve(CEREMONY_PASS);
      },
      confirm: (m) => {
        asked.push(m);
        return Promise.resolve(true);
      },
    };
    const before = await readdir(fx.home('dave'));
    const r = await runCli(['sign', 'r.json', '--key', 'dave.key'], { cwd: fx.home('dave'), now: CEREMONY_NOW, prompter, env: {} });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /key [0-9a-f]{64} \(dave\) may not sign root version 2; nothing was signed and no secret was asked/);
    assert.match(r.stderr, /alice \([0-9a-f]{8}\), bob \([0-9a-f]{8}\), carol \([0-9a-f]{8}\)/);
    assert.deepEqual(asked, []);
    assert.deepEqual(await readdir(fx.home('dave')), before);
  });

  it('sign: the review, then confirmation: --no-input without --yes refuses, declining is exit 130, yes signs', async () => {
    const ws = await workspace();
    const req = await v2(ws);
    const local = join(fx.home('alice'), 'confirm.json');
    await copyFile(req, local);
    const env = { TUF_CEREMONY_PASSPHRASE: CEREMONY_PASS };
    const before = await readdir(fx.home('alice'));
    const noInput = await runCli(['--no-input', 'sign', 'confirm.json', '--key', 'alice.key'], { cwd: fx.home('alice'), now: CEREMONY_NOW, env });
    assert.equal(noInput.code, 2);
    assert.match(noInput.stdout, /Root role: 1 key added, 1 key removed/);
    assert.match(noInput.stdout, /\+ dave/);
    assert.match(noInput.stdout, /- carol/);
    assert.match(noInput.stderr, /confirmation needed/);
    const questions: string[] = [];
    const decline: Prompter = {
      password: () => Promise.reject(new Error('no secret may be asked before the answer')),
      confirm: (m) => (questions.push(m), Promise.resolve(false)),
      input: () => Promise.reject(new Error('no text is asked')),
    };
    const declined = await runCli(['sign', 'confirm.json', '--key', 'alice.key'], { cwd: fx.home('alice'), now: CEREMONY_NOW, env, prompter: decline });
    assert.equal(declined.code, 130);
    assert.match(questions[0] ?? '', /Sign root version 2, SHA-256 (?:[0-9a-f]{4} ){15}[0-9a-f]{4}, as alice\?/);
    assert.deepEqual(await readdir(fx.home('alice')), before);
    const accept: Prompter = { password: () => Promise.resolve(CEREMONY_PASS), confirm: () => Promise.resolve(true), input: () => Promise.reject(new Error('no text is asked')) };
    const signed = await runCli(['--json', 'sign', 'confirm.json', '--key', 'alice.key', '--out', 'confirm.sig.json'], { cwd: fx.home('alice'), now: CEREMONY_NOW, prompter: accept });
    assert.equal(signed.code, 0, signed.stderr);
    const out = parsed<{ keyholder: string; device: { backend: string } }>(signed);
    assert.equal(out.keyholder, 'alice');
    assert.equal(out.device.backend, 'file');
    await okAt(ws, ['collect', join(fx.home('alice'), 'confirm.sig.json')]);
  });

  it('an altered request, or one that does not carry the root the signer trusts, is refused before anything is asked (exit 1; malformed: exit 2)', async () => {
    const ws = await workspace();
    const req = await v2(ws);
    const text = await readFile(req, 'utf8');
    const altered = text.replace(/"threshold": 2/, '"threshold": 1');
    assert.notEqual(altered, text);
    await writeFile(join(fx.home('bob'), 'altered.json'), altered);
    const r = await fx.run(fx.home('bob'), ['sign', 'altered.json', '--key', 'bob.key', '--yes']);
    assert.equal(r.code, 1, 'tampering is exit 1 (docs/exit-codes.md)');
    assert.match(r.stderr, /^error\[VERIFICATION_FAILED\]: altered\.json: signed_sha256: /m);
    assert.match(r.stderr, /altered\.json: signed_sha256: .* the request was altered after it was made; do not sign it/);
    // --trusted-root: a root other than the one the request carries.
    await copyFile(req, join(fx.home('bob'), 'good.json'));
    const other = JSON.parse(await readFile(join(ws, 'metadata', '1.root.json'), 'utf8')) as Metadata<Root>;
    await writeFile(join(fx.home('bob'), 'other-root.json'), stringifySorted({ ...other, signed: { ...other.signed, version: 7 } }));
    const mismatch = await fx.run(fx.home('bob'), ['sign', 'good.json', '--key', 'bob.key', '--yes', '--trusted-root', 'other-root.json']);
    assert.equal(mismatch.code, 1);
    assert.match(mismatch.stderr, /trusted_root: is root version 1 .* not the root you trust \(version 7/);
    for (const [name, content, msg] of [
      ['trunc.json', text.slice(0, 200), /trunc\.json/],
      ['dup.json', text.replace('{', '{"role": "root",'), /trunc\.json|dup\.json: .*role.*duplicate|duplicate/],
      ['float.json', text.replace(/"version": 2/, '"version": 2.0'), /float\.json/],
    ] as const) {
      await writeFile(join(fx.home('bob'), name), content);
      const h = await fx.run(fx.home('bob'), ['sign', name, '--key', 'bob.key', '--yes']);
      assert.equal(h.code, 2, `${name}: ${h.stderr}`);
      assert.match(h.stderr, msg);
    }
  });

  it('given plain metadata, sign appends its signature (and replaces its own earlier one)', async () => {
    const ws = await workspace();
    const req = await v2(ws);
    await okAt(ws, ['collect', await fx.sign('alice', req)]);
    const draft = JSON.parse(await readFile(join(ws, 'drafts', 'root.json'), 'utf8')) as Metadata<Root>;
    const file = join(fx.home('bob'), 'plain-root.json');
    await writeFile(file, stringifySorted(draft));
    await copyFile(join(ws, 'metadata', '1.root.json'), join(fx.home('bob'), 'trusted-1.root.json'));
    for (let i = 0; i < 2; i++) await fx.ok(fx.home('bob'), ['sign', 'plain-root.json', '--key', 'bob.key', '--trusted-root', 'trusted-1.root.json', '--yes']);
    const after = JSON.parse(await readFile(file, 'utf8')) as Metadata<Root>;
    assert.equal(after.signatures.length, 2, 'alice, and bob once');
    assert.deepEqual(Buffer.from(canonicalBytes(after.signed)), Buffer.from(canonicalBytes(draft.signed)));
    // Collected back as another copy of the same metadata.
    const c = parsed<{ drafts: { added: { keyholder: string }[]; duplicates: unknown[] }[] }>(await okAt(ws, ['--json', 'collect', file]));
    assert.deepEqual(c.drafts[0]?.added.map((a) => a.keyholder), ['bob']);
    assert.equal(c.drafts[0]?.duplicates.length, 1, "alice's signature is already there");
  });
});

describe('collect, status, publish', () => {
  it('a duplicate is noted; a signature over other bytes is rejected naming the file and the keyholder; valid ones are kept', async () => {
    const ws = await workspace();
    const oldReq = await v2(ws);
    const stale = await fx.sign('bob', oldReq);
    await okAt(ws, ['root', 'expires', '+300d']);
    const req = await requestAt(ws);
    const good = await fx.sign('alice', req);
    await okAt(ws, ['collect', good]);
    const r = await at(ws, ['--json', 'collect', good, stale]);
    assert.equal(r.code, 1);
    const out = parsed<{ ok: boolean; drafts: { duplicates: { keyholder: string }[]; rejected: { keyholder: string; source: string; reason: string }[] }[] }>(r);
    assert.equal(out.ok, false);
    assert.equal(out.drafts[0]?.duplicates[0]?.keyholder, 'alice');
    assert.equal(out.drafts[0]?.rejected[0]?.keyholder, 'bob');
    assert.equal(out.drafts[0]?.rejected[0]?.source, stale);
    assert.match(out.drafts[0]?.rejected[0]?.reason ?? '', /signature over other bytes/);
    assert.match(r.stderr, /1 signature was rejected; the first: .*\(bob\): signature over other bytes/);
    const d = JSON.parse(await readFile(join(ws, 'drafts', 'root.json'), 'utf8')) as Metadata<Root>;
    assert.equal(d.signatures.length, 1);
    // Evidence: each file as received, kept under signatures/.
    assert.equal((await readdir(join(ws, 'signatures'))).length >= 2, true);
  });

  it('hostile signature files: exit 2 naming the file and the field; the draft and signatures/ untouched', async () => {
    const ws = await workspace();
    const req = await v2(ws);
    const good = await fx.sign('alice', req);
    const text = await readFile(good, 'utf8');
    const draft = join(ws, 'drafts', 'root.json');
    const before = await bytesOf(draft);
    const evidence = await readdir(join(ws, 'signatures'));
    const cases: [string, string, RegExp][] = [
      ['malformed', text.slice(0, -3), /malformed\.sig\.json/],
      ['dupkey', text.replace('{', '{"keyid": "00",'), /dupkey\.sig\.json: .*keyid|duplicate/],
      ['float', text.replace(/"version": 2/, '"version": 2.5'), /float\.sig\.json: version/],
      ['badid', text.replace(/"keyid": "[0-9a-f]{64}"/, '"keyid": "ABC"'), /badid\.sig\.json: keyid/],
      ['extra', text.replace('{', '{"x-note": "hi",'), /extra\.sig\.json: x-note: unknown field/],
      ['role', text.replace('"role": "root"', '"role": "snapshot"'), /role\.sig\.json: role: "snapshot" has no drafts/],
      ['huge', text.replace('"device": {', `"device": {"pad": "${'a'.repeat(70_000)}",`), /huge\.sig\.json: file is \d+ bytes|more than/],
    ];
    for (const [name, content, msg] of cases) {
      const f = join(base, `${name}.sig.json`);
      await writeFile(f, content);
      const r = await at(ws, ['collect', good, f]);
      assert.equal(r.code, 2, `${name}: ${r.stderr}`);
      assert.match(r.stderr, msg, name);
      assert.deepEqual(await bytesOf(draft), before, `${name}: draft untouched`);
      assert.deepEqual(await readdir(join(ws, 'signatures')), evidence, `${name}: no evidence written`);
    }
  });

  it('a copy of the draft signed by securesystemslib (what python-tuf signs with) is collected', async () => {
    const ws = await workspace();
    await v2(ws);
    const draft = JSON.parse(await readFile(join(ws, 'drafts', 'root.json'), 'utf8')) as Metadata<Root>;
    // securesystemslib canonicalizes and signs with the keyholder's encrypted key file, read by python cryptography.
    const script = `
import json, sys, hashlib
from securesystemslib.formats import encode_canonical
from securesystemslib.signer import SSlibSigner
from cryptography.hazmat.primitives import serialization as ser
from cryptography.hazmat.primitives.serialization import load_pem_private_key
md = json.load(open(sys.argv[1]))
key = load_pem_private_key(open(sys.argv[2], 'rb').read(), password=sys.argv[3].encode())
public = {'keytype': 'ed25519', 'scheme': 'ed25519', 'keyval': {'public': key.public_key().public_bytes(ser.Encoding.Raw, ser.PublicFormat.Raw).hex()}}
# The key ID the root lists for this public key (python-tuf takes key IDs from the root; ours binds the owner's name in the key object).
keyid = next(k for k, v in md['signed']['keys'].items() if v['keyval']['public'] == public['keyval']['public'])
private = key.private_bytes(ser.Encoding.Raw, ser.PrivateFormat.Raw, ser.NoEncryption()).hex()
signer = SSlibSigner({**public, 'keyid': keyid, 'keyval': {**public['keyval'], 'private': private}})
sig = signer.sign(encode_canonical(md['signed']).encode('utf-8'))
md['signatures'] = [sig.to_dict()]
json.dump(md, open(sys.argv[4], 'w'))
print(keyid)
`;
    const src = join(base, `ssl-in-${String(n)}.json`);
    const out = join(base, `ssl-out-${String(n++)}.json`);
    await writeFile(src, JSON.stringify(draft));
    const py = spawnSync(PYTHON, ['-c', script, src, join(fx.home('carol'), 'carol.key'), CEREMONY_PASS, out], { encoding: 'utf8' });
    assert.equal(py.status, 0, `securesystemslib must be installed (apt-get install python3-securesystemslib): ${py.stderr}`);
    const r = parsed<{ drafts: { added: { keyholder: string; keyid: string }[] }[] }>(await okAt(ws, ['--json', 'collect', out]));
    assert.deepEqual(r.drafts[0]?.added.map((a) => a.keyholder), ['carol']);
    assert.equal(r.drafts[0]?.added[0]?.keyid, py.stdout.trim());
  });

  it('status: thresholds of the old and the new root, who can still sign, published metadata with expiry (text and --json)', async () => {
    const ws = await workspace();
    const req = await v2(ws);
    await okAt(ws, ['collect', await fx.sign('dave', req)]);
    const text = await okAt(ws, ['status']);
    assert.match(text.stdout, /old root: 2 of 3 needed, no signatures yet — 2 more from alice, bob or carol/);
    assert.match(text.stdout, /new root: 2 of 3 needed, signed by dave — 1 more from alice or bob/);
    assert.match(text.stdout, /metadata\/1\.root\.json: root version 1, expires 2031-01-01T12:00:00Z \(in 365 days\)/);
    const later = await at(ws, ['--json', 'status'], Date.UTC(2031, 5, 1));
    const st = parsed<{ published: { expired: boolean; expiresIn: string }[]; drafts: { publishable: boolean; errors: string[] }[] }>(later);
    assert.deepEqual([st.published[0]?.expired, st.published[0]?.expiresIn], [true, 'EXPIRED']);
    assert.equal(st.drafts[0]?.publishable, false);
  });

  it('publish: refused naming who can still sign; then writes N.root.json, root.json and the manifest, verifies, prints the audit head', async () => {
    const ws = await workspace();
    const req = await v2(ws);
    await okAt(ws, ['collect', await fx.sign('alice', req), await fx.sign('dave', req)]);
    const refused = await at(ws, ['--json', 'publish', 'root']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /old root: 2 of 3 needed, signed by alice — 1 more from bob or carol; new root: 2 of 3 needed, signed by alice, dave — met/);
    assert.deepEqual((await readdir(join(ws, 'metadata'))).sort(), ['1.root.json', 'root.json']);
    await okAt(ws, ['collect', await fx.sign('carol', req)]);
    const r = parsed<{ written: { path: string; sha256: string }[]; verify: { ok: boolean }; auditHead: string }>(await okAt(ws, ['--json', 'publish', 'root']));
    assert.equal(r.verify.ok, true);
    const manifest = JSON.parse(await readFile(join(ws, 'manifest.json'), 'utf8')) as { format: string; files: Record<string, { sha256: string; sha512: string; length: number }> };
    assert.equal(manifest.format, 'tuf-ceremony/manifest/v1');
    assert.deepEqual(Object.keys(manifest.files).sort(), ['metadata/1.root.json', 'metadata/2.root.json', 'metadata/root.json']);
    const v2bytes = await readFile(join(ws, 'metadata', '2.root.json'));
    assert.equal(manifest.files['metadata/2.root.json']?.length, v2bytes.length);
    assert.equal(manifest.files['metadata/2.root.json']?.sha256, r.written.find((w) => w.path === 'metadata/2.root.json')?.sha256);
    assert.ok(v2bytes.equals(await readFile(join(ws, 'metadata', 'root.json'))));
    const published = JSON.parse(v2bytes.toString('utf8')) as Metadata<Root>;
    assert.equal(published.signatures.length, 3, 'alice, carol (old root) and dave (new root)');
    const head = await okAt(ws, ['audit', 'verify', '--head', r.auditHead]);
    assert.match(head.stdout, /verified/);
    assert.deepEqual(await readdir(join(ws, 'drafts')), []);
    const again = await at(ws, ['publish', 'root']);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /there is no root draft/);
  });
});
