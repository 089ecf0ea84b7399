// SPDX-License-Identifier: Apache-2.0
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Metadata, MetadataKind } from '@tufjs/models';
import { openKeyFile } from '../../src/crypto/software.js';
import { tufKeyFromPublicKey } from '../../src/crypto/tuf-key.js';
import { canonicalBytes } from '../../src/metadata/canonical.js';
import { parsePublicKeyFile } from '../../src/metadata/public-key-file.js';
import type { Root } from '../../src/metadata/model.js';
import { stringifySorted } from '../../src/metadata/serialize.js';
import type { Prompter } from '../../src/ui/prompts.js';
import { runCli } from '../support/cli.js';
import { testKey } from '../support/keys.js';

const NOW = Date.UTC(2026, 10, 23, 10, 0, 0);
const PASS = 'correct horse battery staple';
let tmp: string;
let n = 0;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'tuf-ceremony-key-'));
  await writeFile(join(tmp, 'pass.txt'), PASS + '\n');
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function dir(): Promise<string> {
  const d = join(tmp, `d${String(n++)}`);
  const { mkdir } = await import('node:fs/promises');
  await mkdir(d);
  return d;
}

function scripted(answers: string[]): Prompter & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    password(message) {
      asked.push(message);
      const a = answers.shift();
      return a === undefined ? Promise.reject(new Error(`unexpected prompt ${message}`)) : Promise.resolve(a);
    },
    confirm() {
      return Promise.reject(new Error('unexpected confirm'));
    },
    input() {
      return Promise.reject(new Error('unexpected text prompt'));
    },
  };
}

/** A root whose root role is the given key, for tuf-js to judge. */
function rootFor(key: Root['keys'][string], keyid: string): Root {
  return {
    _type: 'root',
    spec_version: '1.0.31',
    version: 1,
    expires: '2030-01-01T00:00:00Z',
    consistent_snapshot: true,
    keys: { [keyid]: key },
    roles: Object.fromEntries(['root', 'targets', 'snapshot', 'timestamp'].map((r) => [r, { keyids: [keyid], threshold: 1 }])),
  };
}

describe('key generate (software keys)', () => {
  for (const type of ['ed25519', 'ecdsa-p256'] as const) {
    it(`${type}: encrypted PKCS#8 (mode 0600, read by openssl), a public key file with a valid proof, signatures tuf-js accepts`, async () => {
      const d = await dir();
      const r = await runCli(['key', 'generate', '--name', 'alice', '--type', type, '--out-dir', d, '--passphrase-file', join(tmp, 'pass.txt')], { now: NOW });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual((await readdir(d)).sort(), ['alice.key', 'alice.pub.json']);
      const keyPath = join(d, 'alice.key');
      assert.equal((await stat(keyPath)).mode & 0o777, 0o600);
      const pem = await readFile(keyPath, 'utf8');
      assert.match(pem, /^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
      // openssl reads it back with the passphrase, and its public key is the one registered.
      const spki = execFileSync('openssl', ['pkey', '-in', keyPath, '-passin', `file:${join(tmp, 'pass.txt')}`, '-pubout']);
      const pub = parsePublicKeyFile(await readFile(join(d, 'alice.pub.json')), 'alice.pub.json');
      assert.deepEqual(tufKeyFromPublicKey(createPublicKey(spki)), pub.key);
      assert.equal(pub.name, 'alice');
      assert.equal(pub.created, '2026-11-23T10:00:00Z');
      const asn1 = execFileSync('openssl', ['asn1parse', '-in', keyPath], { encoding: 'utf8' });
      assert.match(asn1, /PBES2[\s\S]*PBKDF2[\s\S]*INTEGER +:0927C0[\s\S]*hmacWithSHA256[\s\S]*aes-256-cbc/);
      // and with the wrong passphrase openssl refuses
      await writeFile(join(tmp, 'wrong.txt'), 'not the passphrase\n');
      assert.throws(() => execFileSync('openssl', ['pkey', '-in', keyPath, '-passin', `file:${join(tmp, 'wrong.txt')}`], { stdio: 'pipe' }));

      const show = await runCli(['key', 'show', join(d, 'alice.pub.json')]);
      assert.equal(show.code, 0, show.stderr);
      assert.match(show.stdout, new RegExp(`key ID: +${pub.keyid}`));
      assert.match(show.stdout, /owner: +alice\ncreated: +2026-11-23T10:00:00Z/);
      assert.match(show.stdout, /proof of possession: valid/);

      // Sign TUF metadata with the key file; tuf-js accepts the signature.
      const signer = await openKeyFile(pem, 'alice.key', () => Promise.resolve(PASS));
      const signed = rootFor(pub.key, pub.keyid);
      const sig = await signer.sign(canonicalBytes(signed));
      const json = JSON.parse(stringifySorted({ signatures: [{ keyid: pub.keyid, sig }], signed })) as Parameters<typeof Metadata.fromJSON>[1];
      const md = Metadata.fromJSON(MetadataKind.Root, json);
      assert.doesNotThrow(() => md.verifyDelegate('root', md));
      const tampered = Metadata.fromJSON(MetadataKind.Root, { ...json, signed: { ...(json['signed'] as object), version: 2 } });
      assert.throws(() => md.verifyDelegate('root', tampered), /signed by 0\/1 keys/);

      const check = await runCli(['key', 'check', '--key', keyPath, '--expect', join(d, 'alice.pub.json'), '--passphrase-file', join(tmp, 'pass.txt')], { now: NOW });
      assert.equal(check.code, 0, check.stderr);
      assert.match(check.stdout, /signs, and its signature verifies/);
      assert.match(check.stdout, /it is the key registered for alice/);
    });
  }

  it('asks twice at the prompt, and refuses when the answers differ', async () => {
    const d = await dir();
    const p = scripted([PASS, PASS]);
    const ok = await runCli(['key', 'generate', '--name', 'bob', '--out-dir', d], { now: NOW, prompter: p });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(p.asked.length, 2);
    const d2 = await dir();
    const bad = await runCli(['key', 'generate', '--name', 'bob', '--out-dir', d2], { now: NOW, prompter: scripted([PASS, PASS + 'x']) });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /the two passphrases differ; nothing was written/);
    assert.deepEqual(await readdir(d2), []);
  });

  it('refuses empty and short passphrases unless --insecure-passphrase; takes TUF_CEREMONY_PASSPHRASE', async () => {
    const d = await dir();
    const short = await runCli(['key', 'generate', '--name', 'carol', '--out-dir', d], { now: NOW, env: { TUF_CEREMONY_PASSPHRASE: 'short' } });
    assert.equal(short.code, 2);
    assert.match(short.stderr, /shorter than 12 characters; nothing was written/);
    const empty = await runCli(['key', 'generate', '--name', 'carol', '--out-dir', d], { now: NOW, prompter: scripted(['', '']) });
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /the passphrase is empty/);
    assert.deepEqual(await readdir(d), []);
    const drill = await runCli(['key', 'generate', '--name', 'carol', '--out-dir', d, '--insecure-passphrase'], { now: NOW, env: { TUF_CEREMONY_PASSPHRASE: 'short' } });
    assert.equal(drill.code, 0, drill.stderr);
  });

  it('with --no-input and no passphrase source: exit 2, nothing written', async () => {
    const d = await dir();
    const r = await runCli(['--no-input', 'key', 'generate', '--name', 'dave', '--out-dir', d], { now: NOW, prompter: scripted([]) });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no passphrase for dave\.key/);
    assert.match(r.stderr, /hint: give --passphrase-file FILE or set TUF_CEREMONY_PASSPHRASE/);
    assert.deepEqual(await readdir(d), []);
  });

  it('never replaces an existing key file', async () => {
    const d = await dir();
    const args = ['key', 'generate', '--name', 'erin', '--out-dir', d, '--passphrase-file', join(tmp, 'pass.txt')];
    assert.equal((await runCli(args, { now: NOW })).code, 0);
    const before = await readFile(join(d, 'erin.key'));
    const again = await runCli(args, { now: NOW });
    assert.equal(again.code, 2);
    assert.match(again.stderr, /erin\.key: already exists; not replaced/);
    assert.ok(before.equals(await readFile(join(d, 'erin.key'))));
    assert.deepEqual((await readdir(d)).sort(), ['erin.key', 'erin.pub.json']);
  });

  it('rejects invalid keyholder names, including Unicode look-alikes', async () => {
    for (const name of ['Alice', 'аlice', '../alice', '', 'a b']) {
      const r = await runCli(['key', 'generate', '--name', name, '--out-dir', tmp, '--passphrase-file', join(tmp, 'pass.txt')], { now: NOW });
      assert.equal(r.code, 2, name);
      assert.match(r.stderr, /is not a valid keyholder name/);
    }
  });
});

describe('key check', () => {
  it('a wrong passphrase: exit 2 and a clear message that does not contain it', async () => {
    const d = await dir();
    await runCli(['key', 'generate', '--name', 'frank', '--out-dir', d, '--passphrase-file', join(tmp, 'pass.txt')], { now: NOW });
    const wrong = 'this is the wrong passphrase';
    const r = await runCli(['key', 'check', '--key', join(d, 'frank.key')], { now: NOW, env: { TUF_CEREMONY_PASSPHRASE: wrong } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /frank\.key: wrong passphrase/);
    assert.ok(!r.stderr.includes(wrong) && !r.stdout.includes(wrong));
  });

  it('a key file holding another key than the registered one is caught, naming both key IDs', async () => {
    const d = await dir();
    await runCli(['key', 'generate', '--name', 'gina', '--out-dir', d, '--passphrase-file', join(tmp, 'pass.txt')], { now: NOW });
    const d2 = await dir();
    await runCli(['key', 'generate', '--name', 'gina', '--out-dir', d2, '--passphrase-file', join(tmp, 'pass.txt')], { now: NOW });
    const a = parsePublicKeyFile(await readFile(join(d, 'gina.pub.json')), 'a');
    const b = parsePublicKeyFile(await readFile(join(d2, 'gina.pub.json')), 'b');
    const r = await runCli(['key', 'check', '--key', join(d2, 'gina.key'), '--expect', join(d, 'gina.pub.json'), '--passphrase-file', join(tmp, 'pass.txt')], { now: NOW });
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`holds key ${b.keyid}, not the expected key ${a.keyid}`));
  });

  it('refuses an unencrypted private key', async () => {
    const k = testKey('plain');
    const p = join(await dir(), 'plain.key');
    await writeFile(p, k.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const r = await runCli(['key', 'check', '--key', p], { env: { TUF_CEREMONY_PASSPHRASE: PASS } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /holds an unencrypted private key/);
    assert.equal(createPrivateKey(await readFile(p)).asymmetricKeyType, 'ed25519');
  });
});

describe('key show: hostile public key files end in exit 2 naming the field', () => {
  let good: string;
  before(async () => {
    const d = await dir();
    await runCli(['key', 'generate', '--name', 'hank', '--out-dir', d, '--passphrase-file', join(tmp, 'pass.txt')], { now: NOW });
    good = await readFile(join(d, 'hank.pub.json'), 'utf8');
  });
  const cases: [string, (s: string) => string, number, RegExp][] = [
    ['malformed JSON', (s) => s.slice(0, -3), 2, /not valid JSON/],
    ['truncated', (s) => s.slice(0, 40), 2, /not valid JSON/],
    ['duplicate key', (s) => s.replace('"name": "hank"', '"name": "hank", "name": "mallory"'), 2, /name: duplicate key/],
    ['unknown field', (s) => s.replace('"name": "hank"', '"name": "hank", "role": "root"'), 2, /role: unknown field/],
    ['mismatched key ID', (s) => s.replace(/"keyid": "([0-9a-f])/, (_m, c: string) => `"keyid": "${c === 'a' ? 'b' : 'a'}`), 2, /keyid: [0-9a-f]{64} does not match the key/],
    ['look-alike name', (s) => s.replace('"name": "hank"', '"name": "hаnk"'), 2, /name: "hаnk" is not a valid keyholder name/],
    ['float', (s) => s.replace('"created"', '"x": 1.5, "created"'), 2, /x: number 1\.5 is not an integer/],
    ['substituted name (proof no longer holds)', (s) => s.replace('"name": "hank"', '"name": "mallory"'), 1, /proof of possession does not verify/],
    ['oversized', (s) => s.replace('"name": "hank"', `"name": "hank", "pad": "${'x'.repeat(70_000)}"`), 2, /more than the 65536 accepted/],
  ];
  for (const [what, mutate, code, expected] of cases) {
    it(what, async () => {
      const p = join(await dir(), 'k.pub.json');
      await writeFile(p, mutate(good));
      const r = await runCli(['key', 'show', p]);
      assert.equal(r.code, code, r.stdout + r.stderr);
      assert.match(r.stderr, expected);
      assert.match(r.stderr, /k\.pub\.json/);
    });
  }
});
