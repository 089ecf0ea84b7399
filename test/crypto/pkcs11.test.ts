// SPDX-License-Identifier: Apache-2.0
/**
 * The PKCS#11 backend against a real module: SoftHSM2 through pkcs11js (no
 * mocks). Every test makes its own token under its own SOFTHSM2_CONF.
 * Signatures are checked with our verifier and with @tufjs/models.
 *
 * Outside CI the token tests skip (with the reason) when SoftHSM2 or
 * pkcs11js is missing; with CI set they fail instead.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { Metadata as TufMetadata, MetadataKind } from '@tufjs/models';
import { parseEcdsaDer } from '../../src/crypto/der.js';
import {
  CK,
  ed25519MessageLimit,
  generatePkcs11Key,
  openPkcs11Signer,
  pkcs11ModulesInUse,
  publicKeyFromEcPoint,
  type Pkcs11Signer,
} from '../../src/crypto/pkcs11.js';
import type * as Pkcs11Module from '../../src/crypto/pkcs11.js';
import { formatPkcs11Uri, parsePkcs11Uri, resolveModulePath } from '../../src/crypto/pkcs11-uri.js';
import { tufKeyFromPublicKey } from '../../src/crypto/tuf-key.js';
import { expectKey, type SecretsHandler } from '../../src/crypto/signer.js';
import { CancelledError, EnvironmentError, InputError, SignerError } from '../../src/errors.js';
import { canonicalBytes } from '../../src/metadata/canonical.js';
import { computeKeyId, decodeKey, verifySignature, type TufKey } from '../../src/metadata/keys.js';
import type { Root } from '../../src/metadata/model.js';
import { serializeMetadata } from '../../src/metadata/serialize.js';
import { testKey } from '../support/keys.js';
import { CI, commandWorks, expectError, hsmTest, makeToken, MODULE, PIN, pkcs11js, recorder, T } from '../support/pkcs11.js';

const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const HAVE_PKCS11_TOOL = commandWorks('sh', ['-c', 'command -v pkcs11-tool']);
const OPENSC = '/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so';

const uriFor = (s: string): ReturnType<typeof parsePkcs11Uri> => parsePkcs11Uri(s);

function assertLowSDer(sigHex: string): void {
  const der = Buffer.from(sigHex, 'hex');
  assert.equal(der[0], 0x30, 'DER SEQUENCE');
  assert.equal(der[1], der.length - 2, 'DER length');
  const { r, s } = parseEcdsaDer(der);
  assert.ok(r > 0n && s > 0n);
  assert.ok(s <= P256_N / 2n, 'low S');
}

/** A root whose root role is the token key (other roles: test keys). */
function rootFor(tokenKey: TufKey): Root {
  const targets = testKey('p11/targets');
  const snapshot = testKey('p11/snapshot');
  const timestamp = testKey('p11/timestamp');
  const keyid = computeKeyId(tokenKey);
  return {
    _type: 'root',
    spec_version: '1.0.31',
    version: 1,
    expires: '2099-01-01T00:00:00Z',
    consistent_snapshot: true,
    keys: { [keyid]: tokenKey, [targets.keyid]: targets.tuf, [snapshot.keyid]: snapshot.tuf, [timestamp.keyid]: timestamp.tuf },
    roles: {
      root: { keyids: [keyid], threshold: 1 },
      targets: { keyids: [targets.keyid], threshold: 1 },
      snapshot: { keyids: [snapshot.keyid], threshold: 1 },
      timestamp: { keyids: [timestamp.keyid], threshold: 1 },
    },
  };
}

/** Signs a root with the token, checks it with ours and with tuf-js. */
async function signRootAndVerify(signer: Pkcs11Signer): Promise<string> {
  const root = rootFor(signer.publicKey);
  const data = canonicalBytes(root);
  const sig = await signer.sign(data);
  assert.ok(verifySignature(decodeKey(signer.publicKey), sig, data), 'our verifier accepts the token signature');
  const bytes = serializeMetadata({ signed: root, signatures: [{ keyid: signer.keyid, sig }] }, 'root.json');
  const json = JSON.parse(Buffer.from(bytes).toString('utf8')) as Parameters<typeof TufMetadata.fromJSON>[1];
  const md = TufMetadata.fromJSON(MetadataKind.Root, json);
  md.verifyDelegate('root', md); // throws when tuf-js does not count it
  // And a tampered root is refused by tuf-js.
  const bad = TufMetadata.fromJSON(MetadataKind.Root, {
    ...json,
    signed: { ...(json['signed'] as object), version: 2 },
  });
  assert.throws(() => bad.verifyDelegate('root', bad));
  return sig;
}


// ---------------------------------------------------------------------------
// URIs (no token needed)

test('URI: RFC 7512 path and query attributes, percent-decoding, id as bytes', () => {
  const u = parsePkcs11Uri(
    'pkcs11:token=YubiKey%20PIV%20%2312345678;id=%02?module-path=/usr/lib/x86_64-linux-gnu/libykcs11.so'
  );
  assert.equal(u.token, 'YubiKey PIV #12345678');
  assert.deepEqual([...(u.id ?? [])], [2]);
  assert.equal(u.modulePath, '/usr/lib/x86_64-linux-gnu/libykcs11.so');
  assert.equal(u.object, undefined);

  const v = parsePkcs11Uri(
    'pkcs11:manufacturer=SoftHSM%20project;model=SoftHSM%20v2;serial=abc123;object=root%2Dkey;type=private;slot-id=3;id=%01%ff%41' +
      '?pin-source=file:/run/pin&module-name=softhsm2&x-max-message-size=100'
  );
  assert.equal(v.serial, 'abc123');
  assert.equal(v.object, 'root-key');
  assert.deepEqual([...(v.id ?? [])], [1, 255, 0x41]);
  assert.equal(v.pinSource, 'file:/run/pin');
  assert.equal(v.maxMessageSize, 100);
  assert.equal(v.modulePath, undefined);
  assert.equal(parsePkcs11Uri('PKCS11:object=caf%C3%A9').object, 'café');
  assert.deepEqual(parsePkcs11Uri('pkcs11:'), { raw: 'pkcs11:' });
});

test('URI: pin-value is refused, in the path or the query', () => {
  for (const s of ['pkcs11:token=a;pin-value=123456', 'pkcs11:token=a?pin-value=123456', 'pkcs11:token=a?module-path=/x.so&PIN-VALUE=9']) {
    assert.throws(
      () => parsePkcs11Uri(s),
      (e: unknown) =>
        e instanceof InputError &&
        e.exitCode === 2 &&
        /secrets never go on the command line/.test(e.message) &&
        !e.message.includes('123456')
    );
  }
});

test('URI: malformed URIs are InputErrors naming the attribute', () => {
  const cases: [string, RegExp][] = [
    ['pkcs11:id=%0', /"id".*percent/],
    ['pkcs11:id=%zz', /"id".*percent/],
    ['pkcs11:token=a;token=b', /"token".*more than once/],
    ['pkcs11:token', /"token".*NAME=VALUE/],
    ['pkcs11:object=', /"object".*empty/],
    ['pkcs11:token=a#b', /"token".*%23/],
    ['pkcs11:tokn=a', /"tokn".*unknown path attribute/],
    ['pkcs11:object=%ff', /"object".*UTF-8/],
    ['pkcs11:token=a?x-max-message-size=abc', /"x-max-message-size"/],
    ['pkcs11:token=a?module-path=', /"module-path".*empty/],
    ['file:/tmp/key.pem', /not a PKCS#11 URI/],
  ];
  for (const [s, re] of cases) {
    assert.throws(
      () => parsePkcs11Uri(s),
      (e: unknown) => e instanceof InputError && e.exitCode === 2 && re.test(e.message),
      s
    );
  }
});

test('URI: module path from the URI, else the environment, else an InputError saying how', () => {
  assert.equal(resolveModulePath(parsePkcs11Uri('pkcs11:token=a?module-path=/m.so'), { TUF_CEREMONY_PKCS11_MODULE: '/e.so' }), '/m.so');
  assert.equal(resolveModulePath(parsePkcs11Uri('pkcs11:token=a'), { TUF_CEREMONY_PKCS11_MODULE: '/e.so' }), '/e.so');
  assert.throws(
    () => resolveModulePath(parsePkcs11Uri('pkcs11:token=a'), {}),
    (e: unknown) =>
      e instanceof InputError &&
      e.exitCode === 2 &&
      /module-path=/.test(e.hint ?? '') &&
      /TUF_CEREMONY_PKCS11_MODULE/.test(e.hint ?? '')
  );
});

test('URI: formatPkcs11Uri round-trips through the parser', () => {
  const parts = {
    token: 'YubiKey PIV #12345678',
    serial: '12345678',
    object: 'root key; "1"',
    id: Uint8Array.from([0x02, 0xff]),
    modulePath: '/usr/lib/x86_64-linux-gnu/libykcs11.so',
  };
  const s = formatPkcs11Uri(parts);
  assert.equal(
    s,
    'pkcs11:token=YubiKey%20PIV%20%2312345678;serial=12345678;object=root%20key%3B%20%221%22;id=%02%ff?module-path=/usr/lib/x86_64-linux-gnu/libykcs11.so'
  );
  const back = parsePkcs11Uri(s);
  assert.equal(back.token, parts.token);
  assert.equal(back.serial, parts.serial);
  assert.equal(back.object, parts.object);
  assert.deepEqual([...(back.id ?? [])], [...parts.id]);
  assert.equal(back.modulePath, parts.modulePath);
});

test('Ed25519 message limits by module name, overridable in the URI', () => {
  const none = parsePkcs11Uri('pkcs11:token=a');
  assert.equal(ed25519MessageLimit(none, '/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so'), 512);
  assert.equal(ed25519MessageLimit(none, '/usr/lib/x86_64-linux-gnu/onepin-opensc-pkcs11.so'), 512);
  assert.equal(ed25519MessageLimit(none, '/usr/lib/yubihsm_pkcs11.so'), 2048);
  assert.equal(ed25519MessageLimit(none, MODULE), Number.POSITIVE_INFINITY);
  assert.equal(ed25519MessageLimit(parsePkcs11Uri('pkcs11:token=a?x-max-message-size=100'), '/usr/lib/yubihsm_pkcs11.so'), 100);
});

test('CKA_EC_POINT: DER OCTET STRING and raw points (P-256 uncompressed/compressed, Ed25519) give the same key', () => {
  const ec = testKey('p11/point', 'ecdsa-p256');
  const jwk = ec.publicKey.export({ format: 'jwk' });
  const x = Buffer.from(jwk.x ?? '', 'base64url');
  const y = Buffer.from(jwk.y ?? '', 'base64url');
  const raw = Buffer.concat([Buffer.from([4]), x, y]);
  const compressed = Buffer.concat([Buffer.from([2 + ((y[31] ?? 0) & 1)]), x]);
  for (const point of [Buffer.concat([Buffer.from([4, 65]), raw]), raw, compressed, Buffer.concat([Buffer.from([4, 33]), compressed])]) {
    assert.equal(computeKeyId(tufKeyFromPublicKey(publicKeyFromEcPoint('p256', point))), ec.keyid);
  }
  const ed = testKey('p11/point-ed', 'ed25519');
  const pk = Buffer.from(ed.tuf.keyval.public, 'hex');
  for (const point of [Buffer.concat([Buffer.from([4, 32]), pk]), pk]) {
    assert.equal(computeKeyId(tufKeyFromPublicKey(publicKeyFromEcPoint('ed25519', point))), ed.keyid);
  }
  assert.throws(() => publicKeyFromEcPoint('p256', Buffer.alloc(10)), RangeError);
});

test('our Cryptoki constants equal the ones pkcs11js exports', { skip: pkcs11js === undefined && !CI ? 'pkcs11js missing' : false }, () => {
  assert.ok(pkcs11js !== undefined, 'pkcs11js must be loadable under CI');
  const exported = pkcs11js as unknown as Record<string, unknown>;
  let compared = 0;
  for (const [name, value] of Object.entries(CK)) {
    if (exported[name] === undefined) continue; // EdDSA ones and a few newer codes
    assert.equal(exported[name], value, name);
    compared++;
  }
  assert.ok(compared > 50);
});

// ---------------------------------------------------------------------------
// On a real token

hsmTest('P-256: generate on the token, reopen by label and by serial, DER low-S signatures that tuf-js counts', async (t) => {
  makeToken(t, 'ceremony-p256');
  const r = recorder(PIN);
  const gen = await generatePkcs11Key(uriFor(`pkcs11:token=ceremony-p256?module-path=${MODULE}`), MODULE, 'ecdsa-p256', 'root-1', r.secrets, r.warn);
  let keyid: string;
  let keyUri: string;
  try {
    assert.equal(gen.publicKey.keytype, 'ecdsa');
    assert.equal(gen.publicKey.scheme, 'ecdsa-sha2-nistp256');
    assert.match(gen.publicKey.keyval.public, /^-----BEGIN PUBLIC KEY-----\n/);
    assert.equal(gen.keyid, computeKeyId(gen.publicKey));
    assert.equal(gen.device.backend, 'pkcs11');
    assert.equal(gen.device.label, 'ceremony-p256');
    assert.equal(gen.device.model, 'SoftHSM v2');
    assert.equal(gen.device.module, MODULE);
    assert.match(gen.device.serial ?? '', /^[0-9a-f]{16}$/);
    assert.equal(gen.alwaysAuthenticate, false);
    assert.deepEqual(r.events, ['ask PIN: PIN for token ceremony-p256']);
    keyid = gen.keyid;
    keyUri = gen.uri;
    const parsed = parsePkcs11Uri(keyUri);
    assert.equal(parsed.token, 'ceremony-p256');
    assert.equal(parsed.object, 'root-1');
    assert.equal(parsed.id?.length, 16, 'a random 16-byte CKA_ID');
    await signRootAndVerify(gen);
  } finally {
    await gen.close();
    await gen.close(); // idempotent
  }
  await assert.rejects(gen.sign(Buffer.from('x')), SignerError);

  // The private key is a sensitive, never-extractable token object (pkcs11-tool's view).
  if (HAVE_PKCS11_TOOL) {
    const out = execFileSync('pkcs11-tool', ['--module', MODULE, '--token-label', 'ceremony-p256', '--login', '--pin', PIN, '--list-objects', '--type', 'privkey'], {
      encoding: 'utf8',
    });
    assert.match(out, /label:\s+root-1/);
    assert.match(out, /Access:.*\bsensitive\b.*never extractable/);
    assert.match(out, /Usage:.*sign/);
  }

  // Open again by token label + object, and by serial + id.
  const parsed = parsePkcs11Uri(keyUri);
  const byLabel = await openPkcs11Signer(uriFor(`pkcs11:token=ceremony-p256;object=root-1`), MODULE, recorder(PIN).secrets, () => undefined);
  try {
    assert.equal(byLabel.keyid, keyid);
    // Many signatures: about half of raw token signatures are high-S, all must come out low-S.
    for (let i = 0; i < 12; i++) {
      const data = Buffer.from(`message ${String(i)}`);
      const sig = await byLabel.sign(data);
      assertLowSDer(sig);
      assert.ok(verifySignature(decodeKey(byLabel.publicKey), sig, data));
    }
  } finally {
    await byLabel.close();
  }
  const bySerial = await openPkcs11Signer(
    uriFor(formatPkcs11Uri({ serial: parsed.serial ?? '', ...(parsed.id === undefined ? {} : { id: parsed.id }) })),
    MODULE,
    recorder(PIN).secrets,
    () => undefined
  );
  try {
    assert.equal(bySerial.keyid, keyid);
    const sig = await signRootAndVerify(bySerial);
    assertLowSDer(sig);
  } finally {
    await bySerial.close();
  }
});

hsmTest('Ed25519 on SoftHSM: generate, sign, verify with ours and tuf-js; the size limit fails before the token signs', async (t) => {
  makeToken(t, 'ceremony-ed');
  const r = recorder(PIN);
  const gen = await generatePkcs11Key(uriFor('pkcs11:token=ceremony-ed;id=%0a%0b'), MODULE, 'ed25519', 'ed-1', r.secrets, r.warn);
  try {
    assert.equal(gen.publicKey.keytype, 'ed25519');
    assert.equal(gen.publicKey.scheme, 'ed25519');
    assert.match(gen.publicKey.keyval.public, /^[0-9a-f]{64}$/);
    const sig = await signRootAndVerify(gen);
    assert.match(sig, /^[0-9a-f]{128}$/);
    // A large message signs fine when the module has no limit.
    const big = Buffer.alloc(5000, 7);
    assert.ok(verifySignature(decodeKey(gen.publicKey), await gen.sign(big), big));
  } finally {
    await gen.close();
  }

  const limited = await openPkcs11Signer(uriFor('pkcs11:token=ceremony-ed;id=%0a%0b?x-max-message-size=100'), MODULE, recorder(PIN).secrets, () => undefined);
  try {
    const err = await expectError(limited.sign(Buffer.alloc(101, 1)), SignerError);
    assert.equal(err.exitCode, 1);
    assert.match(err.message, /message is 101 bytes; this token signs at most 100 bytes with Ed25519; use an ECDSA P-256 key/);
    // No signing operation was started: the next (small) signature works.
    const small = Buffer.alloc(100, 2);
    assert.ok(verifySignature(decodeKey(limited.publicKey), await limited.sign(small), small));
  } finally {
    await limited.close();
  }
});

hsmTest('CKA_ALWAYS_AUTHENTICATE: every signature asks the PIN again and logs in CKU_CONTEXT_SPECIFIC', async (t) => {
  makeToken(t, 'ceremony-piv');
  // Made with pkcs11js directly, as a YubiKey PIV slot 9c key would be (PIN policy "always").
  assert.ok(pkcs11js !== undefined);
  const p = new pkcs11js.PKCS11();
  p.load(MODULE);
  p.C_Initialize();
  try {
    const slot = p.C_GetSlotList(true).find((s) => p.C_GetTokenInfo(s).label.replace(/[\0 ]+$/, '') === 'ceremony-piv');
    assert.ok(slot !== undefined);
    const session = p.C_OpenSession(slot, CK.CKF_SERIAL_SESSION | CK.CKF_RW_SESSION);
    p.C_Login(session, CK.CKU_USER, PIN);
    p.C_GenerateKeyPair(
      session,
      { mechanism: CK.CKM_EC_KEY_PAIR_GEN },
      [
        { type: CK.CKA_CLASS, value: CK.CKO_PUBLIC_KEY },
        { type: CK.CKA_TOKEN, value: true },
        { type: CK.CKA_VERIFY, value: true },
        { type: CK.CKA_EC_PARAMS, value: Buffer.from('06082a8648ce3d030107', 'hex') },
        { type: CK.CKA_ID, value: Buffer.from([2]) },
        { type: CK.CKA_LABEL, value: 'PIV AUTH 9c' },
      ],
      [
        { type: CK.CKA_CLASS, value: CK.CKO_PRIVATE_KEY },
        { type: CK.CKA_TOKEN, value: true },
        { type: CK.CKA_PRIVATE, value: true },
        { type: CK.CKA_SENSITIVE, value: true },
        { type: CK.CKA_SIGN, value: true },
        { type: CK.CKA_ALWAYS_AUTHENTICATE, value: true },
        { type: CK.CKA_ID, value: Buffer.from([2]) },
        { type: CK.CKA_LABEL, value: 'PIV AUTH 9c' },
      ]
    );
    p.C_Logout(session);
    p.C_CloseSession(session);
  } finally {
    p.C_Finalize();
    p.close();
  }

  const r = recorder(PIN);
  const signer = await openPkcs11Signer(uriFor('pkcs11:token=ceremony-piv;id=%02'), MODULE, r.secrets, r.warn);
  try {
    assert.equal(signer.alwaysAuthenticate, true);
    assert.equal(r.asked(), 1, 'the login PIN');
    const data = canonicalBytes(rootFor(signer.publicKey));
    const sig1 = await signer.sign(data);
    assert.equal(r.asked(), 2, 'asked again for the first signature');
    assert.match(r.events[1] ?? '', /^ask PIN: PIN for token ceremony-piv \(key "PIV AUTH 9c" asks for it at every signature\)$/);
    assertLowSDer(sig1);
    await signRootAndVerify(signer);
    assert.equal(r.asked(), 3);
  } finally {
    await signer.close();
  }

  // A wrong PIN at a signature: an InputError, and the signing operation is ended so the next one works.
  const r2 = recorder(PIN, '000000', PIN);
  const again = await openPkcs11Signer(uriFor('pkcs11:token=ceremony-piv;id=%02'), MODULE, r2.secrets, r2.warn);
  try {
    const err = await expectError(again.sign(Buffer.from('x')), InputError);
    assert.match(err.message, /wrong PIN for token "ceremony-piv"/);
    assert.ok(!JSON.stringify({ m: err.message, h: err.hint, s: err.stack }).includes('000000'));
    const data = Buffer.from('after a wrong PIN, the operation was ended and signing works again');
    assert.ok(verifySignature(decodeKey(again.publicKey), await again.sign(data), data));
    assert.equal(r2.asked(), 3);
  } finally {
    await again.close();
  }
});

hsmTest('a wrong PIN is an InputError (exit 2) without the PIN; the next login warns before asking', async (t) => {
  makeToken(t, 'ceremony-pin');
  const setup = await generatePkcs11Key(uriFor('pkcs11:token=ceremony-pin'), MODULE, 'ecdsa-p256', 'k', recorder(PIN).secrets, () => undefined);
  await setup.close();

  const wrong = '987654';
  const r = recorder(wrong);
  const err = await expectError(openPkcs11Signer(uriFor('pkcs11:token=ceremony-pin;object=k'), MODULE, r.secrets, r.warn), InputError);
  assert.equal(err.exitCode, 2);
  assert.match(err.message, /^wrong PIN for token "ceremony-pin"/);
  assert.match(err.message, /few attempts are left/, 'SoftHSM raises CKF_USER_PIN_COUNT_LOW after a failure');
  assert.equal(err.cause, undefined);
  for (const text of [err.message, err.hint ?? '', err.stack ?? '', JSON.stringify(err), ...r.events]) {
    assert.ok(!text.includes(wrong), 'the PIN is never shown');
  }

  const ok = recorder(PIN);
  const signer = await openPkcs11Signer(uriFor('pkcs11:token=ceremony-pin;object=k'), MODULE, ok.secrets, ok.warn);
  try {
    const warnAt = ok.events.findIndex((e) => /^warn: .*few PIN attempts are left/.test(e));
    const askAt = ok.events.findIndex((e) => e.startsWith('ask PIN'));
    assert.ok(warnAt >= 0 && warnAt < askAt, `warned before asking: ${JSON.stringify(ok.events)}`);
  } finally {
    await signer.close();
  }
});

hsmTest('a missing token is an EnvironmentError (exit 3) listing the tokens present; no token named is an InputError', async (t) => {
  makeToken(t, 'present-token');
  const err = await expectError(openPkcs11Signer(uriFor('pkcs11:token=absent-token;id=%01'), MODULE, recorder(PIN).secrets, () => undefined), EnvironmentError);
  assert.equal(err.exitCode, 3);
  assert.match(err.message, /no token with label "absent-token" is present/);
  assert.match(err.message, /"present-token" \(serial [0-9a-f]{16}, SoftHSM project SoftHSM v2\)/);

  const bySerial = await expectError(openPkcs11Signer(uriFor('pkcs11:serial=0000;id=%01'), MODULE, recorder(PIN).secrets, () => undefined), EnvironmentError);
  assert.match(bySerial.message, /serial "0000".*"present-token"/);

  const none = await expectError(openPkcs11Signer(uriFor('pkcs11:id=%01'), MODULE, recorder(PIN).secrets, () => undefined), InputError);
  assert.match(none.message, /names no token/);
  assert.match(none.hint ?? '', /"present-token"/);
});

hsmTest('a missing key is an EnvironmentError (exit 3) listing the key objects present', async (t) => {
  makeToken(t, 'keys-token');
  const setup = await generatePkcs11Key(uriFor('pkcs11:token=keys-token;id=%11%22'), MODULE, 'ecdsa-p256', 'the-key', recorder(PIN).secrets, () => undefined);
  await setup.close();
  const err = await expectError(openPkcs11Signer(uriFor('pkcs11:token=keys-token;id=%99'), MODULE, recorder(PIN).secrets, () => undefined), EnvironmentError);
  assert.equal(err.exitCode, 3);
  assert.match(err.message, /no private key matches "pkcs11:token=keys-token;id=%99" on token "keys-token"/);
  assert.match(err.message, /private key "the-key" id 1122/);
  assert.match(err.message, /public key "the-key" id 1122/);
  const noKey = await expectError(openPkcs11Signer(uriFor('pkcs11:token=keys-token'), MODULE, recorder(PIN).secrets, () => undefined), InputError);
  assert.match(noKey.message, /names no key/);
});

hsmTest('generate never overwrites: an existing id or label is an InputError and the key stays', async (t) => {
  makeToken(t, 'gen-token');
  const first = await generatePkcs11Key(uriFor('pkcs11:token=gen-token;id=%05'), MODULE, 'ecdsa-p256', 'k1', recorder(PIN).secrets, () => undefined);
  const keyid = first.keyid;
  await first.close();
  for (const [uri, label] of [
    ['pkcs11:token=gen-token;id=%05', 'other-label'],
    ['pkcs11:token=gen-token;id=%06', 'k1'],
  ] as const) {
    const err = await expectError(generatePkcs11Key(uriFor(uri), MODULE, 'ed25519', label, recorder(PIN).secrets, () => undefined), InputError);
    assert.equal(err.exitCode, 2);
    assert.match(err.message, /never overwritten/);
  }
  const again = await openPkcs11Signer(uriFor('pkcs11:token=gen-token;id=%05'), MODULE, recorder(PIN).secrets, () => undefined);
  try {
    assert.equal(again.keyid, keyid);
  } finally {
    await again.close();
  }
});

hsmTest('two signers on one token share the module and the login; closing one leaves the other working', async (t) => {
  makeToken(t, 'shared-token');
  const r = recorder(PIN);
  const a = await generatePkcs11Key(uriFor('pkcs11:token=shared-token;id=%01'), MODULE, 'ecdsa-p256', 'a', r.secrets, r.warn);
  const b = await generatePkcs11Key(uriFor('pkcs11:token=shared-token;id=%02'), MODULE, 'ed25519', 'b', r.secrets, r.warn);
  try {
    assert.equal(r.asked(), 1, 'the token is already logged in for the second signer');
    assert.equal(pkcs11ModulesInUse(), 1);
    await a.close();
    const data = Buffer.from('still logged in');
    assert.ok(verifySignature(decodeKey(b.publicKey), await b.sign(data), data));
  } finally {
    await a.close();
    await b.close();
  }
});

hsmTest('a token key other than the expected one: expectKey throws a SignerError naming both key IDs', async (t) => {
  makeToken(t, 'expect-token');
  const signer = await generatePkcs11Key(uriFor('pkcs11:token=expect-token'), MODULE, 'ecdsa-p256', 'k', recorder(PIN).secrets, () => undefined);
  try {
    const expected = testKey('p11/registered', 'ecdsa-p256');
    assert.throws(
      () => expectKey(signer, expected.tuf),
      (e: unknown) =>
        e instanceof SignerError && e.exitCode === 1 && e.message.includes(signer.keyid) && e.message.includes(expected.keyid)
    );
    const same = expectKey(signer, signer.publicKey);
    const data = Buffer.from('ok');
    assert.ok(verifySignature(decodeKey(signer.publicKey), await same.sign(data), data));
  } finally {
    await signer.close();
  }
});

hsmTest('a missing or unloadable module is an EnvironmentError (exit 3) naming the path', async (t) => {
  const err = await expectError(openPkcs11Signer(uriFor('pkcs11:token=x;id=%01'), '/nonexistent/libfoo.so', recorder(PIN).secrets, () => undefined), EnvironmentError);
  assert.equal(err.exitCode, 3);
  assert.match(err.message, /\/nonexistent\/libfoo\.so does not exist/);

  const dir = mkdtempSync(join(tmpdir(), 'tuf-ceremony-p11-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const junk = join(dir, 'libjunk.so');
  writeFileSync(junk, 'not a shared object');
  const bad = await expectError(openPkcs11Signer(uriFor('pkcs11:token=x;id=%01'), junk, recorder(PIN).secrets, () => undefined), EnvironmentError);
  assert.equal(bad.exitCode, 3);
  assert.ok(bad.message.includes(`${junk} could not be loaded`), bad.message);
});

hsmTest('a cancelled PIN prompt passes through as CancelledError and releases the module', async (t) => {
  makeToken(t, 'cancel-token');
  const cancel: SecretsHandler = () => Promise.reject(new CancelledError('cancelled at the PIN prompt'));
  const err = await expectError(generatePkcs11Key(uriFor('pkcs11:token=cancel-token'), MODULE, 'ecdsa-p256', 'k', cancel, () => undefined), CancelledError);
  assert.equal(err.exitCode, 130);
});

test('another real module: OpenSC with no card is an EnvironmentError saying no token is present', { ...T, skip: (pkcs11js === undefined || !existsSync(OPENSC)) && !CI ? 'pkcs11js or OpenSC missing' : false }, async () => {
  const err = await expectError(openPkcs11Signer(uriFor('pkcs11:token=YubiKey%20PIV%20%2312345678;id=%02'), OPENSC, recorder(PIN).secrets, () => undefined), EnvironmentError);
  assert.equal(err.exitCode, 3);
  assert.match(err.message, /no token with label "YubiKey PIV #12345678" is present; no initialized token is present in .*opensc-pkcs11\.so/);
  assert.equal(pkcs11ModulesInUse(), 0);
});

test('without pkcs11js the backend module still loads (pkcs11js is imported lazily), and a PKCS#11 key is an EnvironmentError saying how to install it', T, async (t) => {
  // The compiled sources, copied where no node_modules can be found.
  const here = dirname(fileURLToPath(import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'tuf-ceremony-nop11-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(here, '..', '..', 'src'), join(dir, 'src'), { recursive: true });
  // The pure libraries the key checks need, without pkcs11js.
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(join(here, '..', '..', '..', 'node_modules', '@noble'), join(dir, 'node_modules', '@noble'));
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  const p11 = (await import(pathToFileURL(join(dir, 'src', 'crypto', 'pkcs11.js')).href)) as typeof Pkcs11Module;
  assert.equal(p11.pkcs11ModulesInUse(), 0);
  const err = await expectError(p11.openPkcs11Signer(uriFor('pkcs11:token=a;id=%01'), MODULE, recorder(PIN).secrets, () => undefined), Error);
  assert.equal((err as { exitCode?: number }).exitCode, 3);
  assert.equal(err.name, 'EnvironmentError');
  assert.match(err.message, /pkcs11js is not installed or its native part could not be loaded/);
  const hint = (err as { hint?: string }).hint ?? '';
  for (const needed of ['npm install pkcs11js@2.1.7', 'python3', 'make', 'g++', 'npm_config_nodedir=/usr', 'npm install-scripts approve pkcs11js']) {
    assert.ok(hint.includes(needed), `hint mentions ${needed}`);
  }
});
