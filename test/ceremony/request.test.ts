// SPDX-License-Identifier: Apache-2.0
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  eligibleKeys,
  isEligible,
  makeRequest,
  MAX_REQUEST_BYTES,
  parseRequest,
  serializeRequest,
  sha256Hex,
  verifyRequestSignature,
  type SigningRequest,
} from '../../src/ceremony/request.js';
import {
  collectSignatures,
  incomingFromMetadata,
  incomingFromSignatureFile,
  makeSignatureFile,
  parseSignatureFile,
  serializeSignatureFile,
  type SignatureFile,
} from '../../src/ceremony/signature-file.js';
import { canonicalBytes } from '../../src/metadata/canonical.js';
import type { Root, Signature, Targets } from '../../src/metadata/model.js';
import { parseMetadata } from '../../src/metadata/parse.js';
import { stringifySorted } from '../../src/metadata/serialize.js';
import { verifyRootRotation } from '../../src/metadata/verify.js';
import { signBytes, signMetadata, testKey, type TestKey } from '../support/keys.js';
import { buildRepository } from '../support/repo.js';
import { assertInputError, assertTampered, clone, jsonBytes, keyPath, type Tree } from '../metadata/helpers.js';

const EXPIRES = '2030-01-01T00:00:00Z';
const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
const FILE = 'requests/root-3.request.json';

// Trusted root v2 (root keys r2, r3, r4; threshold 2), as published.
const repo = buildRepository({ expires: EXPIRES, rootVersions: 2 });
const trusted = repo.roots[1] as NonNullable<(typeof repo.roots)[1]>;
const [alice, bob, carol] = repo.keys.root[1] as [TestKey, TestKey, TestKey];
const dave = testKey('ceremony/dave');
const mallory = testKey('ceremony/mallory');
const NAMES = {
  [alice.keyid]: 'alice',
  [bob.keyid]: 'bob',
  [carol.keyid]: 'carol',
  [dave.keyid]: 'dave',
  [repo.keys.targets.keyid]: 'erin',
  [mallory.keyid]: 'mallory',
};

/** Root v3: carol's key replaced by dave's. */
function draftRoot(changes: Partial<Root> = {}): Root {
  const t = trusted.signed;
  const keys: Record<string, Root['keys'][string]> = { ...t.keys };
  delete keys[carol.keyid];
  keys[dave.keyid] = dave.tuf;
  return {
    ...t,
    version: 3,
    expires: '2027-06-01T00:00:00Z',
    keys,
    roles: { ...t.roles, root: { keyids: [alice.keyid, bob.keyid, dave.keyid], threshold: 2 } },
    ...changes,
  };
}

function rootRequest(signed: Root = draftRoot()): SigningRequest {
  return makeRequest({ signed, trustedRoot: trusted, keyholders: NAMES, createdMs: NOW, workspace: 'example.org' });
}

function tree(req: SigningRequest = rootRequest()): Tree {
  return JSON.parse(Buffer.from(serializeRequest(req)).toString('utf8')) as Tree;
}

describe('signing request: valid requests', () => {
  test('a root request round-trips, with the eligible set recomputed', () => {
    const req = rootRequest();
    const bytes = serializeRequest(req, FILE);
    assert.equal(Buffer.from(bytes).toString('utf8'), stringifySorted(req));
    const checked = parseRequest(bytes, FILE);
    assert.equal(checked.file, FILE);
    assert.equal(checked.role, 'root');
    assert.deepEqual(checked.request, JSON.parse(stringifySorted(req)));
    assert.deepEqual(checked.signedBytes, canonicalBytes(draftRoot()));
    assert.equal(checked.signedSha256, sha256Hex(canonicalBytes(draftRoot())));
    assert.equal(checked.request.signed_sha256, checked.signedSha256);
    assert.equal(checked.trustedRoot?.signed.version, 2);
    assert.equal(checked.trustedRootSha256, sha256Hex(canonicalBytes(trusted.signed)));
    assert.equal(checked.expiresAt, Date.UTC(2027, 5, 1));
    // Old root keys (alice, bob, carol) and new ones (dave): the union, old first.
    assert.deepEqual([...checked.eligible.keys()], [alice.keyid, bob.keyid, carol.keyid, dave.keyid]);
    assert.deepEqual(req.eligible_keyids, [alice.keyid, bob.keyid, carol.keyid, dave.keyid]);
    for (const k of [alice, bob, carol, dave]) assert.ok(isEligible(checked, k.keyid));
    assert.ok(!isEligible(checked, mallory.keyid));
    assert.ok(!isEligible(checked, repo.keys.targets.keyid));
    // Names only for keys the request mentions: mallory is left out.
    assert.equal(req.keyholders[mallory.keyid], undefined);
    assert.equal(req.keyholders[dave.keyid], 'dave');
    assert.equal(req.created, '2026-06-01T12:00:00Z');
    assert.equal(req.workspace, 'example.org');
    assert.deepEqual(Object.keys(req.trusted_root ?? {}).sort(), ['signatures', 'signed']);
  });

  test('a signature made by an eligible key verifies; others do not', () => {
    const checked = parseRequest(serializeRequest(rootRequest()), FILE);
    const sig = signBytes(dave, checked.signedBytes);
    assert.ok(verifyRequestSignature(checked, dave.keyid, sig));
    assert.ok(!verifyRequestSignature(checked, alice.keyid, sig));
    assert.ok(!verifyRequestSignature(checked, mallory.keyid, signBytes(mallory, checked.signedBytes)));
  });

  test('a root v1 request has no trusted root; its own root keys sign', () => {
    const v1 = repo.roots[0]?.signed as Root;
    const req = makeRequest({ signed: v1, trustedRoot: null, keyholders: {}, createdMs: NOW, workspace: 'w' });
    assert.equal(req.trusted_root, null);
    const checked = parseRequest(serializeRequest(req), 'r.json');
    assert.equal(checked.trustedRoot, null);
    assert.equal(checked.trustedRootSha256, null);
    assert.deepEqual([...checked.eligible.keys()], v1.roles['root']?.keyids);
  });

  test('a targets request: the trusted root names the targets keys', () => {
    const targets: Targets = {
      _type: 'targets',
      spec_version: '1.0.31',
      version: 2,
      expires: EXPIRES,
      targets: {},
    };
    const req = makeRequest({ signed: targets, trustedRoot: trusted, keyholders: NAMES, createdMs: NOW, workspace: 'w' });
    const checked = parseRequest(serializeRequest(req), 't.json', { role: 'targets', version: 2 });
    assert.deepEqual([...checked.eligible.keys()], [repo.keys.targets.keyid]);
    assert.deepEqual([...eligibleKeys(targets, trusted.signed).keys()], [repo.keys.targets.keyid]);
    // A forged request naming a root key as a targets signer.
    const t = tree(req);
    (t['eligible_keyids'] as string[]).push(alice.keyid);
    assertTampered(() => parseRequest(jsonBytes(t), 't.json'), {
      file: 't.json',
      field: 'eligible_keyids[1]',
      message: /may not sign targets version 2.*forged/,
    });
    // No trusted root: nobody can say who signs.
    const noRoot = { ...req, trusted_root: null };
    assertInputError(() => parseRequest(jsonBytes(noRoot), 't.json'), { file: 't.json', field: 'trusted_root' });
  });

  test('expectations: role, version, hash and trusted root are compared', () => {
    const bytes = serializeRequest(rootRequest());
    const checked = parseRequest(bytes, FILE, {
      role: 'root',
      version: 3,
      signedSha256: sha256Hex(canonicalBytes(draftRoot())).toUpperCase(),
      trustedRoot: trusted,
    });
    assert.equal(checked.role, 'root');
    assertTampered(() => parseRequest(bytes, FILE, { role: 'targets' }), { file: FILE, field: 'role' });
    assertTampered(() => parseRequest(bytes, FILE, { version: 4 }), { file: FILE, field: 'version' });
    assertTampered(() => parseRequest(bytes, FILE, { signedSha256: '00'.repeat(32) }), {
      file: FILE,
      field: 'signed_sha256',
      message: /not the 0000.* you were given/,
    });
    // The request's trusted root (v2) is not the root this signer trusts (v1).
    assertTampered(() => parseRequest(bytes, FILE, { trustedRoot: repo.roots[0] as { signed: Root } }), {
      file: FILE,
      field: 'trusted_root',
      message: /not the root you trust/,
    });
  });
});

describe('signing request: hostile requests are refused, naming file and field (altered: exit 1; malformed: exit 2)', () => {
  const bad = (t: unknown): Buffer => jsonBytes(t);

  test('altered signed (hash mismatch)', () => {
    const t = tree();
    (t['signed'] as Tree)['expires'] = '2099-01-01T00:00:00Z';
    assertTampered(() => parseRequest(bad(t), FILE), {
      file: FILE,
      field: 'signed_sha256',
      message: /request was altered after it was made; do not sign it/,
    });
  });

  test('a key slipped into the draft without updating the hash', () => {
    const t = tree();
    const roles = (t['signed'] as Tree)['roles'] as Record<string, { keyids: string[] }>;
    roles['root']?.keyids.push(mallory.keyid);
    ((t['signed'] as Tree)['keys'] as Tree)[mallory.keyid] = mallory.tuf;
    assertTampered(() => parseRequest(bad(t), FILE), { file: FILE, field: 'signed_sha256' });
  });

  test('version does not match signed.version', () => {
    const t = tree();
    t['version'] = 4;
    assertTampered(() => parseRequest(bad(t), FILE), { file: FILE, field: 'version', message: /signed\.version is 3/ });
  });

  test('root version is not trusted + 1', () => {
    const req = rootRequest(draftRoot({ version: 4 }));
    assertInputError(() => parseRequest(bad(req), FILE), {
      file: FILE,
      field: 'signed.version',
      message: /trusted root is version 2: a new root must be exactly version 3/,
    });
    // And serializeRequest refuses to write it in the first place.
    assertInputError(() => serializeRequest(req, FILE), { file: FILE, field: 'signed.version' });
  });

  test('root v2 with a null trusted root', () => {
    const t = tree();
    t['trusted_root'] = null;
    assertInputError(() => parseRequest(bad(t), FILE), { file: FILE, field: 'trusted_root', message: /only a request for root version 1/ });
  });

  test('trusted root not signed by a threshold of its own root keys', () => {
    const t = tree();
    const tr = t['trusted_root'] as { signatures: Signature[] };
    tr.signatures = tr.signatures.filter((x) => x.keyid === alice.keyid);
    assert.equal(tr.signatures.length, 1);
    assertTampered(() => parseRequest(bad(t), FILE), {
      file: FILE,
      field: 'trusted_root.signatures',
      message: /signed by 1 of its own root keys where 2 are needed/,
    });
    // A signature over other bytes does not count either.
    const t2 = tree();
    const tr2 = t2['trusted_root'] as { signed: Tree; signatures: Signature[] };
    tr2.signed['expires'] = '2099-01-01T00:00:00Z';
    assertTampered(() => parseRequest(bad(t2), FILE), { file: FILE, field: 'trusted_root.signatures' });
  });

  test('a malformed trusted root is named under trusted_root', () => {
    const t = tree();
    const roles = ((t['trusted_root'] as Tree)['signed'] as Tree)['roles'] as Record<string, Tree>;
    (roles['root'] as Tree)['threshold'] = 0;
    assertInputError(() => parseRequest(bad(t), FILE), {
      file: FILE,
      field: 'trusted_root.signed.roles.root.threshold',
      message: /must be an integer >= 1/,
    });
  });

  test('eligible_keyids lists an extra key (forged)', () => {
    const t = tree();
    (t['eligible_keyids'] as string[]).push(mallory.keyid);
    assertTampered(() => parseRequest(bad(t), FILE), {
      file: FILE,
      field: 'eligible_keyids[4]',
      message: new RegExp(`lists key ${mallory.keyid}, which may not sign root version 3.*forged`),
    });
  });

  test('eligible_keyids leaves out a key the rules allow, or repeats one', () => {
    const t = tree();
    (t['eligible_keyids'] as string[]).splice(2, 1);
    assertTampered(() => parseRequest(bad(t), FILE), { file: FILE, field: 'eligible_keyids', message: /does not list key/ });
    const t2 = tree();
    (t2['eligible_keyids'] as string[]).push(alice.keyid);
    assertInputError(() => parseRequest(bad(t2), FILE), { file: FILE, field: 'eligible_keyids[4]', message: /duplicate key ID/ });
  });

  test('a draft whose threshold can never be met', () => {
    const d = draftRoot();
    const req = rootRequest({ ...d, roles: { ...d.roles, root: { keyids: [alice.keyid, dave.keyid], threshold: 3 } } });
    assertInputError(() => parseRequest(bad(req), FILE), { file: FILE, field: 'signed.roles.root.threshold', message: /can never be met/ });
  });

  test('a draft listing one public key under two key IDs', () => {
    const d = draftRoot();
    const alias = { ...dave.tuf, 'x-alias': true } as unknown as Root['keys'][string];
    const aliasId = sha256Hex(canonicalBytes(alias));
    const req = rootRequest({
      ...d,
      keys: { ...d.keys, [aliasId]: alias },
      roles: { ...d.roles, root: { keyids: [alice.keyid, dave.keyid, aliasId], threshold: 2 } },
    });
    assertInputError(() => parseRequest(bad(req), FILE), { file: FILE, field: 'signed.roles.root.keyids[2]', message: /same public key/ });
  });

  test('invalid draft metadata is named under signed', () => {
    const d = draftRoot();
    const req = rootRequest({ ...d, expires: '2027-06-01T00:00:00.000Z' });
    assert.doesNotThrow(() => parseRequest(bad(req), FILE)); // legacy form: read, reported
    assert.ok(parseRequest(bad(req), FILE).legacy.some((l) => /fractional seconds/.test(l)));
    const t = tree();
    delete ((t['signed'] as Tree)['roles'] as Tree)['timestamp'];
    assertInputError(() => parseRequest(bad(t), FILE), { file: FILE, field: 'signed.roles.timestamp', message: /the role is missing/ });
  });

  test('unknown and missing fields', () => {
    const t = tree();
    t['note'] = 'sign quickly';
    assertInputError(() => parseRequest(bad(t), FILE), { file: FILE, field: 'note', message: /unknown field/ });
    const t2 = tree();
    delete t2['created'];
    assertInputError(() => parseRequest(bad(t2), FILE), { file: FILE, field: 'created', message: /missing/ });
    const t3 = tree();
    t3['format'] = 'tuf-ceremony/signing-request/v2';
    assertInputError(() => parseRequest(bad(t3), FILE), { file: FILE, field: 'format' });
    const t4 = tree();
    t4['role'] = 'mirrors';
    assertInputError(() => parseRequest(bad(t4), FILE), { file: FILE, field: 'role' });
  });

  test('keyholder names: no look-alikes, only for keys the request mentions', () => {
    const t = tree();
    (t['keyholders'] as Tree)[alice.keyid] = '\u0430lice'; // Cyrillic а
    assertInputError(() => parseRequest(bad(t), FILE), { file: FILE, field: keyPath('keyholders', alice.keyid), message: /not a valid keyholder name/ });
    const t2 = tree();
    (t2['keyholders'] as Tree)[mallory.keyid] = 'mallory';
    assertInputError(() => parseRequest(bad(t2), FILE), { file: FILE, field: keyPath('keyholders', mallory.keyid), message: /neither the trusted root nor the draft/ });
    const t3 = tree();
    t3['workspace'] = 'x\u001b[2Jy';
    assertInputError(() => parseRequest(bad(t3), FILE), { file: FILE, field: 'workspace' });
    const t4 = tree();
    t4['created'] = '2026-06-01T12:00:00.000Z';
    assertInputError(() => parseRequest(bad(t4), FILE), { file: FILE, field: 'created' });
  });

  test('duplicate JSON keys', () => {
    const text = Buffer.from(serializeRequest(rootRequest())).toString('utf8');
    const dup = text.replace('"workspace": "example.org"', '"workspace": "example.org",\n  "workspace": "evil.example"');
    assert.notEqual(dup, text);
    assertInputError(() => parseRequest(Buffer.from(dup), FILE), { file: FILE, field: 'workspace', message: /duplicate key/ });
    // Inside the draft too: the last value would otherwise win silently.
    const dup2 = text.replace('"_type": "root",', '"_type": "root",\n    "_type": "root",');
    assertInputError(() => parseRequest(Buffer.from(dup2), FILE), { file: FILE, field: 'signed._type', message: /duplicate key/ });
  });

  test('floats', () => {
    const t = tree();
    (t['signed'] as Tree)['version'] = 3.5;
    assertInputError(() => parseRequest(bad(t), FILE), { file: FILE, field: 'signed.version', message: /not an integer/ });
    const text = Buffer.from(serializeRequest(rootRequest())).toString('utf8').replace('"version": 3,\n  "workspace"', '"version": 3.0,\n  "workspace"');
    assertInputError(() => parseRequest(Buffer.from(text), FILE), { file: FILE, field: 'version', message: /not an integer/ });
  });

  test('truncated', () => {
    const bytes = serializeRequest(rootRequest());
    assertInputError(() => parseRequest(bytes.subarray(0, Math.floor(bytes.length / 2)), FILE), {
      file: FILE,
      field: null,
      message: /not valid JSON/,
    });
    assertInputError(() => parseRequest(new Uint8Array(0), FILE), { file: FILE, field: null, message: /empty file/ });
  });

  test('oversized (> 8 MiB) is refused before parsing', () => {
    const text = Buffer.from(serializeRequest(rootRequest())).toString('utf8');
    const big = Buffer.from(text + ' '.repeat(MAX_REQUEST_BYTES + 1 - text.length));
    assert.equal(big.length, MAX_REQUEST_BYTES + 1);
    assertInputError(() => parseRequest(big, FILE), { file: FILE, message: /8388609 bytes, more than the 8388608 accepted/ });
    assert.equal(parseRequest(big.subarray(0, MAX_REQUEST_BYTES), FILE).role, 'root');
  });
});

describe('signature files', () => {
  const checked = parseRequest(serializeRequest(rootRequest()), FILE);
  const draft = { signed: draftRoot(), signatures: [] as Signature[] };

  function sigFile(key: TestKey, name: string, over: Uint8Array = checked.signedBytes): SignatureFile {
    return makeSignatureFile({
      role: 'root',
      version: 3,
      signedSha256: sha256Hex(over),
      keyid: key.keyid,
      sig: signBytes(key, over),
      keyholder: name,
      signedAtMs: NOW + 1500,
      device: { backend: 'file' },
    });
  }

  test('a valid signature file round-trips', () => {
    const sf = sigFile(alice, 'alice');
    const bytes = serializeSignatureFile(sf, 'a.sig.json');
    assert.deepEqual(parseSignatureFile(bytes, 'a.sig.json'), sf);
    assert.equal(sf.signed_at, '2026-06-01T12:00:01Z');
    assert.deepEqual(Object.keys(sf).sort(), ['device', 'format', 'keyholder', 'keyid', 'role', 'sig', 'signed_at', 'signed_sha256', 'version']);
  });

  const base = JSON.parse(Buffer.from(serializeSignatureFile(sigFile(alice, 'alice'))).toString('utf8')) as Tree;
  const cases: [string, (t: Tree) => void, string][] = [
      ['unknown field', (t) => (t['comment'] = 'x'), 'comment'],
      ['uppercase sig', (t) => (t['sig'] = String(t['sig']).toUpperCase()), 'sig'],
      ['empty sig', (t) => (t['sig'] = ''), 'sig'],
      ['short keyid', (t) => (t['keyid'] = 'abcd'), 'keyid'],
      ['bad hash', (t) => (t['signed_sha256'] = 'xyz'), 'signed_sha256'],
      ['bad name', (t) => (t['keyholder'] = 'Alice Smith'), 'keyholder'],
      ['bad time', (t) => (t['signed_at'] = 'yesterday'), 'signed_at'],
      ['float version', (t) => (t['version'] = 3.5), 'version'],
      ['wrong format', (t) => (t['format'] = 'tuf-ceremony/signature/v0'), 'format'],
      ['device missing', (t) => delete t['device'], 'device'],
  ];
  for (const [what, mutate, field] of cases) {
    test(`a signature file with ${what} is refused, naming file and field`, () => {
      const t = clone(base);
      mutate(t);
      assertInputError(() => parseSignatureFile(jsonBytes(t), 'x.sig.json'), { file: 'x.sig.json', field });
    });
  }

  test('a truncated signature file is refused', () => {
    assertInputError(() => parseSignatureFile(Buffer.from('{"format":'), 'x.sig.json'), { file: 'x.sig.json', field: null });
  });

  test('collect: valid files are added; altered, misdirected and unauthorised ones rejected', () => {
    const good = sigFile(alice, 'alice');
    const altered = { ...sigFile(bob, 'bob') };
    const flipped = altered.sig.slice(0, 10) + (altered.sig[10] === '0' ? '1' : '0') + altered.sig.slice(11);
    // Carol signed an older draft (other expiry): another signed_sha256.
    const older = sigFile(carol, 'carol', canonicalBytes(draftRoot({ expires: '2027-01-01T00:00:00Z' })));
    const outsider = sigFile(mallory, 'mallory');
    const res = collectSignatures(
      draft,
      checked.eligible,
      [
        incomingFromSignatureFile(good, 'signatures/alice.sig.json'),
        incomingFromSignatureFile({ ...altered, sig: flipped }, 'signatures/bob.sig.json'),
        incomingFromSignatureFile(older, 'signatures/carol.sig.json'),
        incomingFromSignatureFile(outsider, 'signatures/mallory.sig.json'),
      ],
      NAMES
    );
    assert.deepEqual(res.added, [{ source: 'signatures/alice.sig.json', keyid: alice.keyid, keyholder: 'alice', replaced: false }]);
    assert.deepEqual(res.signatures, [{ keyid: alice.keyid, sig: good.sig }]);
    assert.equal(res.signedSha256, checked.signedSha256);
    assert.equal(res.rejected.length, 3);
    const [r1, r2, r3] = res.rejected;
    assert.equal(r1?.source, 'signatures/bob.sig.json');
    assert.equal(r1?.keyholder, 'bob');
    assert.match(r1?.reason ?? '', /does not verify over the draft's canonical bytes/);
    assert.equal(r2?.source, 'signatures/carol.sig.json');
    assert.equal(r2?.keyholder, 'carol');
    assert.match(r2?.reason ?? '', /signature over other bytes: it signed bytes with SHA-256 [0-9a-f]{64}, the draft's/);
    assert.equal(r3?.keyholder, 'mallory');
    assert.match(r3?.reason ?? '', /may not sign root version 3: it is not one of the eligible keys/);
  });

  test('collect: the right signed_sha256 with a signature over other bytes is still rejected', () => {
    const lie = { ...sigFile(carol, 'carol', canonicalBytes(draftRoot({ expires: '2027-01-01T00:00:00Z' }))), signed_sha256: checked.signedSha256 };
    const res = collectSignatures(draft, checked.eligible, [incomingFromSignatureFile(lie, 'c.json')]);
    assert.equal(res.added.length, 0);
    assert.match(res.rejected[0]?.reason ?? '', /does not verify/);
  });

  test('collect: a signature file for another role or version is rejected', () => {
    const sf = { ...sigFile(alice, 'alice'), version: 2 };
    const res = collectSignatures(draft, checked.eligible, [incomingFromSignatureFile(sf, 'a.json')]);
    assert.match(res.rejected[0]?.reason ?? '', /for root version 2, the draft is version 3/);
    const sf2 = { ...sigFile(alice, 'alice'), role: 'targets' as const };
    assert.match(collectSignatures(draft, checked.eligible, [incomingFromSignatureFile(sf2, 'a.json')]).rejected[0]?.reason ?? '', /for targets version 3/);
  });

  test('collect: duplicates are ignored with a note; placeholders are skipped', () => {
    const a1 = sigFile(alice, 'alice');
    const existing = { signed: draftRoot(), signatures: [{ keyid: alice.keyid, sig: a1.sig }, { keyid: bob.keyid, sig: '' }] };
    const res = collectSignatures(existing, checked.eligible, [
      incomingFromSignatureFile(a1, 'again/alice.sig.json'),
      { source: 'placeholder.json', sigs: [{ keyid: carol.keyid, sig: '' }] },
    ]);
    assert.equal(res.added.length, 0);
    assert.equal(res.rejected.length, 0);
    assert.deepEqual(res.duplicates, [
      { source: 'again/alice.sig.json', keyid: alice.keyid, keyholder: 'alice', note: 'this key already has a valid signature on the draft; ignored' },
    ]);
    assert.deepEqual(res.signatures, existing.signatures);
  });

  test('collect: a valid signature replaces an empty or invalid entry of the draft', () => {
    const existing = { signed: draftRoot(), signatures: [{ keyid: bob.keyid, sig: '' }, { keyid: dave.keyid, sig: 'ab'.repeat(64) }] };
    const res = collectSignatures(existing, checked.eligible, [
      incomingFromSignatureFile(sigFile(bob, 'bob'), 'bob.json'),
      incomingFromSignatureFile(sigFile(dave, 'dave'), 'dave.json'),
    ]);
    assert.deepEqual(res.added.map((a) => [a.keyid, a.replaced]), [[bob.keyid, true], [dave.keyid, true]]);
    assert.deepEqual(res.signatures.map((s) => s.keyid), [bob.keyid, dave.keyid]);
    assert.equal(new Set(res.signatures.map((s) => s.keyid)).size, 2);
  });

  test('collect: a python-tuf-style copy of the same metadata signed elsewhere', () => {
    // python-tuf writes json.dumps(indent=1, sort_keys=True); placeholders for keys still to sign.
    const env = signMetadata(draftRoot(), [bob, dave]);
    const withPlaceholder = { signatures: [...env.signatures, { keyid: carol.keyid, sig: '' }], signed: JSON.parse(stringifySorted(env.signed)) as Root };
    const md = parseMetadata(jsonBytes(withPlaceholder), 'elsewhere/3.root.json', 'root');
    const first = collectSignatures(draft, checked.eligible, [incomingFromSignatureFile(sigFile(alice, 'alice'), 'alice.json')]);
    const res = collectSignatures({ signed: draftRoot(), signatures: first.signatures }, checked.eligible, [incomingFromMetadata(md, 'elsewhere/3.root.json')], NAMES);
    assert.deepEqual(res.added.map((a) => a.keyholder), ['bob', 'dave']);
    assert.equal(res.rejected.length, 0);
    assert.deepEqual(res.signatures.map((s) => s.keyid), [alice.keyid, bob.keyid, dave.keyid]);
    // Old threshold (alice, bob of the trusted root) and new threshold (alice, bob, dave) both hold.
    const rotation = verifyRootRotation(trusted.signed, { signed: draftRoot(), signatures: res.signatures, signedBytes: checked.signedBytes });
    assert.ok(rotation.ok, JSON.stringify(rotation));

    // A copy whose signed content differs is rejected as a whole.
    const other = signMetadata(draftRoot({ expires: '2028-01-01T00:00:00Z' }), [carol]);
    const rej = collectSignatures(draft, checked.eligible, [incomingFromMetadata(other, 'other/3.root.json')], NAMES);
    assert.equal(rej.added.length, 0);
    assert.deepEqual(rej.rejected.map((r) => [r.source, r.keyholder]), [['other/3.root.json', 'carol']]);
    assert.match(rej.rejected[0]?.reason ?? '', /other bytes/);
  });

  test('collect accepts the eligible keys as a plain object too', () => {
    const obj = Object.fromEntries(checked.eligible);
    const res = collectSignatures(draft, obj, [incomingFromSignatureFile(sigFile(carol, 'carol'), 'c.json')]);
    assert.equal(res.added.length, 1);
    const proto = collectSignatures(draft, obj, [{ source: 'p.json', sigs: [{ keyid: 'toString', sig: 'ab' }] }]);
    assert.match(proto.rejected[0]?.reason ?? '', /not one of the eligible keys/);
  });
});
