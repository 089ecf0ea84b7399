// SPDX-License-Identifier: Apache-2.0
/**
 * `sign` with a key on a real PKCS#11 token (SoftHSM2): the public key is
 * read from the token without a PIN; a token key that may not sign the draft
 * is refused before the PIN is asked; a missing token is reported before the
 * review; an eligible one signs (with or without `--pub`), and `collect`
 * keeps the signature. `key generate --pkcs11` makes ECDSA P-256 by default.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Prompter } from '../../src/ui/prompts.js';
import { runCli } from '../support/cli.js';
import { CEREMONY_NOW, ceremonyFixture } from '../support/ceremony.js';
import { hsmTest, makeToken, MODULE, PIN } from '../support/pkcs11.js';

hsmTest('sign with a token key: refused before the PIN when not eligible; signs and is collected when eligible', async (t) => {
  const base = await mkdtemp(join(tmpdir(), 'tuf-ceremony-sign-token-'));
  t.after(() => rm(base, { recursive: true, force: true }));
  makeToken(t, 'sign-token');
  const fx = await ceremonyFixture(base, ['alice', 'bob', 'carol']);
  const uri = `pkcs11:token=sign-token;id=%07?module-path=${MODULE}`;
  const tokenHome = join(base, 'tok');
  // No --type: a token key is ECDSA P-256, what every token (YubiKey PIV before 5.7 included) holds.
  const gen = await runCli(['--json', 'key', 'generate', '--name', 'tok', '--pkcs11', uri, '--out-dir', tokenHome], {
    cwd: base,
    env: { TUF_CEREMONY_PIN: PIN },
    now: CEREMONY_NOW,
  });
  assert.equal(gen.code, 0, gen.stderr);
  assert.equal((JSON.parse(gen.stdout) as { scheme: string }).scheme, 'ecdsa-sha2-nistp256');

  await fx.ok(fx.ws, ['root', 'draft']);
  const req = await fx.request('root');
  await copyFile(req, join(tokenHome, 'r1.json'));
  const asked: string[] = [];
  const prompter: Prompter = {
    password: (m) => (asked.push(m), Promise.resolve(PIN)),
    confirm: (m) => (asked.push(m), Promise.resolve(true)),
    input: (m) => (asked.push(m), Promise.reject(new Error('no text is asked'))),
  };
  const refused = await runCli(['sign', 'r1.json', '--key', uri, '--pub', 'tok.pub.json', '--yes'], { cwd: tokenHome, env: {}, now: CEREMONY_NOW, prompter });
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /\(tok\) may not sign root version 2; nothing was signed and no secret was asked/);
  assert.deepEqual(asked, [], 'no PIN asked');
  assert.doesNotMatch(refused.stderr + refused.stdout, new RegExp(PIN));
  // Without --pub the public key is read from the token (no PIN): still not eligible, still refused before the PIN.
  const noPub = await runCli(['sign', 'r1.json', '--key', uri, '--yes'], { cwd: tokenHome, env: {}, now: CEREMONY_NOW, prompter });
  assert.equal(noPub.code, 2, noPub.stderr);
  assert.match(noPub.stderr, /may not sign root version 2; nothing was signed and no secret was asked/);
  assert.deepEqual(asked, []);
  // --pub naming another key than the token holds: refused before the PIN, naming both.
  await copyFile(join(fx.home('alice'), 'alice.pub.json'), join(tokenHome, 'alice.pub.json'));
  const wrongPub = await runCli(['sign', 'r1.json', '--key', uri, '--pub', 'alice.pub.json', '--yes'], { cwd: tokenHome, env: {}, now: CEREMONY_NOW, prompter });
  assert.equal(wrongPub.code, 2, wrongPub.stderr);
  assert.match(wrongPub.stderr, /\(alice\), but the token holds key [0-9a-f]{64}; nothing was signed and no PIN was asked/);
  assert.deepEqual(asked, []);
  // A token that is not there: exit 3 before the review is shown or anything is confirmed.
  const absent = await runCli(['sign', 'r1.json', '--key', `pkcs11:token=not-plugged-in;id=%07?module-path=${MODULE}`], { cwd: tokenHome, env: {}, now: CEREMONY_NOW, prompter });
  assert.equal(absent.code, 3, absent.stderr);
  assert.match(absent.stderr, /no token with label "not-plugged-in" is present/);
  assert.equal(absent.stdout, '', 'no review was shown');
  assert.deepEqual(asked, [], 'nothing confirmed, no PIN asked');

  // Made eligible: the token key joins the root role.
  await fx.ok(fx.ws, ['keyholder', 'add', join(tokenHome, 'tok.pub.json')]);
  await fx.ok(fx.ws, ['root', 'add-key', 'root', 'tok']);
  const req2 = await fx.request('root');
  await copyFile(req2, join(tokenHome, 'r2.json'));
  // No --pub: the token's public key is eligible, the keyholder name comes from the request.
  const signed = await runCli(['--json', 'sign', 'r2.json', '--key', uri], { cwd: tokenHome, env: {}, now: CEREMONY_NOW, prompter });
  assert.equal(signed.code, 0, signed.stderr);
  assert.equal(asked.length, 2, 'the confirmation, then the PIN, once');
  assert.match(asked[0] ?? '', /^Sign root version 2\b.* as tok\?$/);
  assert.match(asked[1] ?? '', /PIN for token sign-token/);
  const out = JSON.parse(signed.stdout) as { out: string; device: { backend: string; module: string } };
  assert.equal(out.device.backend, 'pkcs11');
  const c = await fx.ok(fx.ws, ['--json', 'collect', join(tokenHome, out.out)]);
  const r = JSON.parse(c.stdout) as { drafts: { added: { keyholder: string }[]; thresholds: { label: string; signedBy: string[] }[] }[] };
  assert.deepEqual(r.drafts[0]?.added.map((a) => a.keyholder), ['tok']);
  assert.deepEqual(r.drafts[0]?.thresholds.find((x) => x.label === 'new root')?.signedBy, ['tok']);
});
