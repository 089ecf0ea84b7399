// SPDX-License-Identifier: Apache-2.0
/**
 * Passphrase rules (issue 13, point 5), with real encrypted key files:
 * a passphrase file that is not valid UTF-8 is exit 2 (never decoded with
 * U+FFFD); a wrong passphrase typed at the prompt may be typed again, up to
 * 3 tries, without the review being shown or confirmed again; a wrong
 * passphrase from a file or the environment is not retried.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Prompter } from '../../src/ui/prompts.js';
import { CEREMONY_NOW, CEREMONY_PASS, ceremonyFixture, type CeremonyFixture } from '../support/ceremony.js';
import { runCli } from '../support/cli.js';

function scripted(passwords: string[]): { prompter: Prompter; asked: string[] } {
  const asked: string[] = [];
  const prompter: Prompter = {
    password: (m) => {
      asked.push(`password: ${m}`);
      return Promise.resolve(passwords.shift() ?? 'out of answers');
    },
    confirm: (m) => (asked.push(`confirm: ${m}`), Promise.resolve(true)),
    input: (m) => (asked.push(`input: ${m}`), Promise.reject(new Error('no text is asked'))),
  };
  return { prompter, asked };
}

describe('passphrases', () => {
  let base: string;
  let fx: CeremonyFixture;
  let req: string;
  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'passphrase-rules-'));
    fx = await ceremonyFixture(base, ['alice', 'bob', 'carol']);
    await fx.ok(fx.ws, ['root', 'draft']);
    const r = await fx.request('root');
    req = join(fx.home('alice'), basename(r));
    await copyFile(r, req);
  });
  after(() => rm(base, { recursive: true, force: true }));

  it('a passphrase file that is not valid UTF-8: exit 2 naming the file, nothing decrypted', async () => {
    // The right passphrase in Latin-1 with an é: as UTF-8 it would silently become U+FFFD.
    await writeFile(join(base, 'latin1.txt'), Buffer.from('caf\xe9 passphrase\n', 'latin1'));
    const r = await runCli(['--no-input', 'key', 'check', '--key', join(fx.home('alice'), 'alice.key'), '--passphrase-file', join(base, 'latin1.txt')], { cwd: base, now: CEREMONY_NOW });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /latin1\.txt: the passphrase file is not valid UTF-8/);
    // A valid UTF-8 file with the right passphrase works.
    await writeFile(join(base, 'good.txt'), `${CEREMONY_PASS}\n`);
    const ok = await runCli(['--no-input', 'key', 'check', '--key', join(fx.home('alice'), 'alice.key'), '--passphrase-file', join(base, 'good.txt')], { cwd: base, now: CEREMONY_NOW });
    assert.equal(ok.code, 0, ok.stderr);
  });

  it('two wrong passphrases at the prompt, then the right one: signed, the review shown and confirmed once', async () => {
    const { prompter, asked } = scripted(['wrong one', 'wrong two', CEREMONY_PASS]);
    const r = await runCli(['sign', basename(req), '--key', 'alice.key', '--out', 'retry.sig.json'], { cwd: fx.home('alice'), env: {}, now: CEREMONY_NOW, prompter });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      asked.map((a) => a.replace(/, SHA-256 (?:[0-9a-f]{4} ){15}[0-9a-f]{4},/, ', SHA-256 …,')),
      [
        'confirm: Sign root version 2, SHA-256 …, as alice?',
        'password: Passphrase (passphrase for alice.key):',
        'password: Passphrase (passphrase for alice.key, try 2 of 3):',
        'password: Passphrase (passphrase for alice.key, try 3 of 3):',
      ]
    );
    assert.equal(r.stdout.split('Signing key: alice').length, 2, 'the review was shown once');
  });

  it('three wrong passphrases at the prompt: exit 2, nothing written', async () => {
    const { prompter, asked } = scripted(['wrong 1', 'wrong 2', 'wrong 3', CEREMONY_PASS]);
    const r = await runCli(['sign', basename(req), '--key', 'alice.key', '--out', 'never.sig.json'], { cwd: fx.home('alice'), env: {}, now: CEREMONY_NOW, prompter });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /alice\.key: wrong passphrase/);
    assert.equal(asked.filter((a) => a.startsWith('password')).length, 3);
    assert.equal(existsSync(join(fx.home('alice'), 'never.sig.json')), false);
  });

  it('a wrong passphrase from the environment is not retried (it would be the same one again)', async () => {
    const { prompter, asked } = scripted([CEREMONY_PASS]);
    const r = await runCli(['sign', basename(req), '--key', 'alice.key', '--out', 'env.sig.json', '--yes'], {
      cwd: fx.home('alice'),
      env: { TUF_CEREMONY_PASSPHRASE: 'not the passphrase' },
      now: CEREMONY_NOW,
      prompter,
    });
    assert.equal(r.code, 2, r.stderr);
    assert.deepEqual(asked, []);
  });
});
