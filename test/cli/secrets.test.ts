// SPDX-License-Identifier: Apache-2.0
/**
 * Secrets stay secret: runs the whole key path as real processes —
 * generate, show, export and sign (key check), through the key-file and the
 * PKCS#11 (SoftHSM2) backends, with right and wrong secrets, and a ceremony
 * (workspace, request, sign, collect, publish, audit log) — then searches
 * stdout, stderr, every file written and every temporary file for the
 * passphrases, the PINs and the private key bytes.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

const BIN = new URL('../../../bin/tuf-ceremony.js', import.meta.url).pathname;
const SOFTHSM = '/usr/lib/softhsm/libsofthsm2.so';
const PASS_ENV = 'Env-passphrase-7f3a9c21';
const PASS_FILE = 'File-passphrase-b5e80d64';
const WRONG_PASS = 'Wrong-passphrase-c0ffee42';
const PIN = 'Pin-93ad17';
const WRONG_PIN = 'Pin-bad-5e2c';
const SO_PIN = 'So-pin-4411aa';

let root: string;
let out: string;
let scratch: string;
const outputs: { what: string; text: string }[] = [];

function run(what: string, args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    cwd: root,
    // Temporary files of the tool (and of anything it runs) land in scratch.
    env: { PATH: process.env['PATH'] ?? '', TMPDIR: scratch, HOME: root, SOFTHSM2_CONF: join(root, 'softhsm2.conf'), ...env },
  });
  outputs.push({ what: `${what} stdout`, text: r.stdout }, { what: `${what} stderr`, text: r.stderr });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function filesUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) found.push(join(e.parentPath, e.name));
  }
  return found;
}

/** The forms a secret could leak in. */
function forms(secret: Buffer): Buffer[] {
  return [secret, Buffer.from(secret.toString('hex')), Buffer.from(secret.toString('base64')), Buffer.from(secret.toString('base64url'))];
}

const hasSoftHsm = existsSync(SOFTHSM);

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'tuf-ceremony-secrets-'));
  out = join(root, 'out');
  scratch = join(root, 'tmp');
  await mkdir(out);
  await mkdir(scratch);
  await mkdir(join(root, 'tokens'));
  await writeFile(join(root, 'softhsm2.conf'), `directories.tokendir = ${join(root, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  // Secret inputs the keyholder prepared live outside the scanned folders.
  await mkdir(join(root, 'secrets'), { mode: 0o700 });
  await writeFile(join(root, 'secrets', 'pass.txt'), PASS_FILE + '\n', { mode: 0o600 });
  await writeFile(join(root, 'secrets', 'pin.txt'), PIN + '\n', { mode: 0o600 });
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('no secret reaches stdout, stderr, a written file or a temp file', () => {
  it('software keys: generate, show, sign, wrong passphrase', () => {
    assert.equal(run('generate alice', ['key', 'generate', '--name', 'alice', '--type', 'ecdsa-p256', '--out-dir', out], { TUF_CEREMONY_PASSPHRASE: PASS_ENV }).status, 0);
    assert.equal(run('generate bob', ['key', 'generate', '--name', 'bob', '--out-dir', out, '--passphrase-file', join(root, 'secrets', 'pass.txt')]).status, 0);
    assert.equal(run('show alice', ['key', 'show', join(out, 'alice.pub.json')]).status, 0);
    const ok = run('check alice', ['key', 'check', '--key', join(out, 'alice.key'), '--expect', join(out, 'alice.pub.json')], { TUF_CEREMONY_PASSPHRASE: PASS_ENV });
    assert.equal(ok.status, 0, ok.stderr);
    const okBob = run('check bob --json', ['--json', 'key', 'check', '--key', join(out, 'bob.key'), '--passphrase-file', join(root, 'secrets', 'pass.txt')]);
    assert.equal(okBob.status, 0, okBob.stderr);
    const wrong = run('check alice wrong', ['key', 'check', '--key', join(out, 'alice.key')], { TUF_CEREMONY_PASSPHRASE: WRONG_PASS });
    assert.equal(wrong.status, 2);
    assert.match(wrong.stderr, /wrong passphrase/);
  });

  it('PKCS#11 (SoftHSM2): generate on the token, export, sign, wrong PIN', (t) => {
    if (!hasSoftHsm) {
      if (process.env['CI'] === 'true') assert.fail(`SoftHSM2 is not installed (${SOFTHSM}): .ci/run must install softhsm2`);
      t.skip(`SoftHSM2 not installed (${SOFTHSM})`);
      return;
    }
    execFileSync('softhsm2-util', ['--init-token', '--free', '--label', 'secrets-test', '--so-pin', SO_PIN, '--pin', PIN], {
      env: { ...process.env, SOFTHSM2_CONF: join(root, 'softhsm2.conf') },
      stdio: 'ignore',
    });
    const pinFile = `pin-source=file:${join(root, 'secrets', 'pin.txt')}`;
    const gen = run('generate carol (token)', ['key', 'generate', '--name', 'carol', '--type', 'ecdsa-p256', '--out-dir', out, '--pkcs11', `pkcs11:token=secrets-test;object=carol?module-path=${SOFTHSM}&${pinFile}`]);
    assert.equal(gen.status, 0, gen.stderr);
    const exp = run('export carol', ['key', 'export', '--name', 'carol2', '--out-dir', out, '--pkcs11', `pkcs11:token=secrets-test;object=carol?module-path=${SOFTHSM}`], { TUF_CEREMONY_PIN: PIN });
    assert.equal(exp.status, 0, exp.stderr);
    const sign = run('check carol (token)', ['key', 'check', '--key', `pkcs11:token=secrets-test;object=carol?module-path=${SOFTHSM}`, '--expect', join(out, 'carol.pub.json')], { TUF_CEREMONY_PIN: PIN });
    assert.equal(sign.status, 0, sign.stderr);
    const wrong = run('check carol wrong PIN', ['key', 'check', '--key', `pkcs11:token=secrets-test;object=carol?module-path=${SOFTHSM}`], { TUF_CEREMONY_PIN: WRONG_PIN });
    assert.equal(wrong.status, 2, wrong.stderr);
    assert.match(wrong.stderr, /wrong PIN/i);
  });

  it('a ceremony: workspace, root draft, request, sign with a key file and a token, collect, publish, audit log', async () => {
    const ws = join(out, 'ws');
    assert.equal(run('init', ['init', ws, '--name', 'secrets']).status, 0);
    const holders = ['alice', 'bob', ...(hasSoftHsm ? ['carol'] : [])];
    assert.equal(run('keyholder add', ['--dir', ws, 'keyholder', 'add', ...holders.map((h) => join(out, `${h}.pub.json`))]).status, 0);
    const plan = join(out, 'plan.yaml');
    await writeFile(plan, `roles:\n  root: { threshold: 2, keyholders: [${holders.join(', ')}] }\n  targets: { threshold: 1, keyholders: [alice] }\n  snapshot: { threshold: 1, keyholders: [bob] }\n  timestamp: { threshold: 1, keyholders: [bob] }\n`);
    const draft = run('root draft', ['--dir', ws, 'root', 'draft', '--plan', plan]);
    assert.equal(draft.status, 0, draft.stderr);
    const req = join(out, 'request.json');
    assert.equal(run('request', ['--dir', ws, 'request', 'root', '--out', req]).status, 0);
    const a = run('sign alice', ['sign', req, '--key', join(out, 'alice.key'), '--yes', '--out', join(out, 'alice.sig.json')], { TUF_CEREMONY_PASSPHRASE: PASS_ENV });
    assert.equal(a.status, 0, a.stderr);
    const wrong = run('sign bob wrong', ['sign', req, '--key', join(out, 'bob.key'), '--yes', '--out', join(out, 'bob.sig.json')], { TUF_CEREMONY_PASSPHRASE: WRONG_PASS });
    assert.equal(wrong.status, 2);
    const b = run('sign bob', ['sign', req, '--key', join(out, 'bob.key'), '--yes', '--out', join(out, 'bob.sig.json'), '--passphrase-file', join(root, 'secrets', 'pass.txt')]);
    assert.equal(b.status, 0, b.stderr);
    const sigs = [join(out, 'alice.sig.json'), join(out, 'bob.sig.json')];
    if (hasSoftHsm) {
      const uri = `pkcs11:token=secrets-test;object=carol?module-path=${SOFTHSM}`;
      const bad = run('sign carol wrong PIN', ['sign', req, '--key', uri, '--pub', join(out, 'carol.pub.json'), '--yes', '--out', join(out, 'carol.sig.json')], { TUF_CEREMONY_PIN: WRONG_PIN });
      assert.equal(bad.status, 2, bad.stderr);
      const c = run('sign carol', ['sign', req, '--key', uri, '--pub', join(out, 'carol.pub.json'), '--yes', '--out', join(out, 'carol.sig.json')], { TUF_CEREMONY_PIN: PIN });
      assert.equal(c.status, 0, c.stderr);
      sigs.push(join(out, 'carol.sig.json'));
    }
    assert.equal(run('collect', ['--dir', ws, 'collect', ...sigs]).status, 0);
    assert.equal(run('publish', ['--dir', ws, 'publish', 'root']).status, 0);
    assert.equal(run('audit show', ['--dir', ws, 'audit', 'show']).status, 0);
    assert.ok(existsSync(join(ws, 'audit', 'log.jsonl')) && existsSync(join(ws, 'metadata', '1.root.json')));
  });

  it('the search: nothing found', async () => {
    const secrets = [PASS_ENV, PASS_FILE, WRONG_PASS, PIN, WRONG_PIN, SO_PIN].map((s) => Buffer.from(s));
    // The private keys' secret bytes, as decrypted by openssl.
    for (const [name, pass] of [
      ['alice', PASS_ENV],
      ['bob', PASS_FILE],
    ] as const) {
      const pem = execFileSync('openssl', ['pkey', '-in', join(out, `${name}.key`), '-passin', `pass:${pass}`]);
      const jwk = createPrivateKey(pem).export({ format: 'jwk' });
      secrets.push(Buffer.from(jwk.d ?? '', 'base64url'));
    }
    const haystacks: { what: string; bytes: Buffer }[] = outputs.map((o) => ({ what: o.what, bytes: Buffer.from(o.text) }));
    const written = [...(await filesUnder(out)), ...(await filesUnder(scratch))];
    assert.ok(written.some((f) => f.endsWith('alice.key')) && written.some((f) => f.endsWith('alice.pub.json')));
    for (const f of written) haystacks.push({ what: f, bytes: await readFile(f) });
    let checked = 0;
    for (const secret of secrets) {
      for (const form of forms(secret)) {
        for (const h of haystacks) {
          checked++;
          assert.equal(h.bytes.indexOf(form), -1, `a secret (${form.length} bytes) appears in ${h.what}`);
        }
      }
    }
    assert.ok(checked > 100, `searched ${String(checked)} combinations`);
  });
});
