// SPDX-License-Identifier: Apache-2.0
/**
 * Issue 14, small things: online keys show their names. Their names are
 * not bound in the key object (the server signs under its own key file's
 * key ID), so they come from the coordinator's registry: the public key
 * files a draft took them from, kept in keys/. The review (its summary and
 * its details) and `status` name them; a keyholder's review shows the
 * request's name as an unbound label; a name that is a keyholder's is not
 * kept for another key.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makePublicKeyFile } from '../../src/crypto/proof.js';
import { keySigner } from '../../src/crypto/software.js';
import { computeKeyId } from '../../src/metadata/keys.js';
import { stringifySorted } from '../../src/metadata/serialize.js';
import { CEREMONY_NOW, ceremonyFixture, ONLINE_KEY, type CeremonyFixture } from '../support/ceremony.js';
import { testKey } from '../support/keys.js';

const TS2 = testKey('online-names/timestamp-2');
const IMPOSTOR = testKey('online-names/impostor');
const onlineId = computeKeyId(ONLINE_KEY.tuf);
const ts2Id = computeKeyId(TS2.tuf);

describe('online keys show the names of their public key files', () => {
  let base: string;
  let fx: CeremonyFixture;
  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'tuf-ceremony-online-names-'));
    fx = await ceremonyFixture(base);
    for (const [name, k] of [['ts2', TS2], ['alice', IMPOSTOR]] as const) {
      await writeFile(join(base, `${name === 'alice' ? 'impostor' : name}.pub.json`), stringifySorted(await makePublicKeyFile(name, keySigner(k.privateKey, { backend: 'file' }), CEREMONY_NOW)));
    }
    await fx.ok(fx.ws, ['root', 'draft']);
    await fx.ok(fx.ws, ['root', 'add-key', 'timestamp', '../ts2.pub.json']);
  });
  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('the plan and add-key keep the key files in keys/; the keys stay unbound', async () => {
    for (const name of ['online', 'ts2']) {
      const kept = JSON.parse(await readFile(join(fx.ws, 'keys', `${name}.pub.json`), 'utf8')) as { name: string };
      assert.equal(kept.name, name);
    }
    const draft = JSON.parse(await readFile(join(fx.ws, 'drafts', 'root.json'), 'utf8')) as { signed: { roles: { timestamp: { keyids: string[] } } } };
    assert.deepEqual(draft.signed.roles.timestamp.keyids.sort(), [onlineId, ts2Id].sort(), 'online keys keep their own key IDs');
  });

  it('diff: the summary names the online key that joins, the details every online key', async () => {
    const r = await fx.ok(fx.ws, ['diff', 'root']);
    assert.doesNotMatch(r.stdout, /no keyholder name/);
    const at = r.stdout.indexOf('\nRoot role:');
    assert.ok(at > 0, r.stdout);
    const [summary, details] = [r.stdout.slice(0, at), r.stdout.slice(at)];
    assert.match(summary, /^ {2}timestamp {2}1 of 1 → 1 of 2 {2}\(keys \+1\)\n {6}\+ ts2 \(ed25519 key [0-9a-f]{16}\)$/m);
    assert.ok(summary.includes(`+ ts2 (ed25519 key ${ts2Id.slice(0, 16)})`));
    assert.match(details, new RegExp(`Snapshot role: unchanged, 1 of 1 key\\n {4}online \\(ed25519 key ${onlineId.slice(0, 16)}\\)`));
    assert.match(details, new RegExp(`Timestamp role: 1 key added; now 1 of 2 keys\\n {4}online \\(ed25519 key ${onlineId.slice(0, 16)}\\)\\n {2}\\+ ts2 \\(ed25519 key ${ts2Id.slice(0, 16)}\\)`));
  });

  it('status --html: the picture names the online keys', async () => {
    await fx.ok(fx.ws, ['status', '--html', 'trust.html']);
    const html = await readFile(join(fx.ws, 'trust.html'), 'utf8');
    assert.doesNotMatch(html, /no name/);
    assert.match(html, new RegExp(`>online ${onlineId.slice(0, 8)}</text>`));
    assert.match(html, new RegExp(`>\\+ ts2 ${ts2Id.slice(0, 8)}</text>`));
  });

  it("a keyholder's review (sign --full): the request's names, marked as unbound labels", async () => {
    const req = await fx.request('root');
    const local = join(fx.home('alice'), 'online-names.json');
    await writeFile(local, await readFile(req));
    const r = await fx.ok(fx.home('alice'), ['sign', 'online-names.json', '--key', 'alice.key', '--yes', '--full', '--out', 'online-names.sig.json']);
    assert.ok(r.stdout.includes(`+ "ts2"? (an unbound label from the request, not covered by the hash) (ed25519 key ${ts2Id.slice(0, 16)})`), r.stdout);
    assert.ok(r.stdout.includes(`"online"? (an unbound label from the request, not covered by the hash) (ed25519 key ${onlineId.slice(0, 16)})`));
  });

  it('a key file named like a keyholder is not kept: its key shows no name, and a note says why', async () => {
    const r = await fx.ok(fx.ws, ['root', 'add-key', 'snapshot', '../impostor.pub.json']);
    assert.match(r.stderr, /note: the name "alice" of key [0-9a-f]{16} is not kept in keys\/: it names another key in this workspace/);
    await assert.rejects(readFile(join(fx.ws, 'keys', 'alice.pub.json')));
    const d = await fx.ok(fx.ws, ['diff', 'root']);
    assert.ok(d.stdout.includes(`+ no keyholder name (ed25519 key ${computeKeyId(IMPOSTOR.tuf).slice(0, 16)})`), d.stdout);
  });

  it('a hostile file in keys/ (malformed, duplicate keys, a float, another name, oversized) is exit 2 naming it, and nothing is written', async () => {
    const file = join(fx.ws, 'keys', 'ts2.pub.json');
    const good = await readFile(file, 'utf8');
    const draft = await readFile(join(fx.ws, 'drafts', 'root.json'), 'utf8');
    const cases: [string, string, RegExp][] = [
      ['truncated', good.slice(0, good.length >> 1), /keys\/ts2\.pub\.json: not valid JSON/],
      ['duplicate key', good.replace('{', '{\n  "name": "ts2",'), /keys\/ts2\.pub\.json.*duplicate/],
      ['a float', good.replace(/"created": "[^"]*"/, '"created": 1.5'), /keys\/ts2\.pub\.json/],
      ['another name', good.replace('"name": "ts2"', '"name": "ts3"'), /keys\/ts2\.pub\.json: holds the key of "ts3"/],
      ['oversized', good + ' '.repeat(70 * 1024), /keys\/ts2\.pub\.json/],
    ];
    try {
      for (const [what, text, want] of cases) {
        await writeFile(file, text);
        const r = await fx.run(fx.ws, ['diff', 'root']);
        assert.equal(r.code, 2, `${what}: ${r.stderr}`);
        assert.match(r.stderr, want, what);
        assert.equal(await readFile(join(fx.ws, 'drafts', 'root.json'), 'utf8'), draft, `${what}: the draft is unchanged`);
      }
    } finally {
      await writeFile(file, good);
    }
  });
});
