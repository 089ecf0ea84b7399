// SPDX-License-Identifier: Apache-2.0
/**
 * Two error paths of the PKCS#11 backend, produced by real modules through
 * pkcs11js (no mocks):
 *
 * 1. No pcscd: Yubico's ykcs11 (Debian package `ykcs11`) with the PC/SC
 *    daemon unreachable. What the real module does (ykcs11 2.2.0, Debian
 *    bookworm): `C_Initialize` returns CKR_OK; `C_GetSlotList` returns
 *    CKR_DEVICE_ERROR (SCardEstablishContext fails with SCARD_E_NO_SERVICE).
 *    The test points libpcsclite at a socket that does not exist
 *    (PCSCLITE_CSOCK_NAME), so it is "pcscd not running" even on a machine
 *    where pcscd runs.
 *
 * 2. A locked user PIN. SoftHSM2 2.6 has no PIN retry counter: a wrong PIN
 *    only sets CKF_USER_PIN_COUNT_LOW (cleared by the next good login), and
 *    C_Login never returns CKR_PIN_LOCKED (SoftHSMv2 Token::loginUser). The
 *    test shows that, then FORGES the lock: it sets CKF_USER_PIN_LOCKED in
 *    the token flags SoftHSM keeps in its token.object file, so the real
 *    module reports the flag from C_GetTokenInfo, as ykcs11 does for a
 *    YubiKey with no PIN tries left. What is tested is the backend's reaction
 *    to that flag (exit 3 before any PIN is asked). The other way into the
 *    same message, C_Login itself returning CKR_PIN_LOCKED, needs a module
 *    that counts tries (a real YubiKey): no module here can produce it.
 *
 * Outside CI a test skips (with the reason) when a component is missing;
 * with CI set it fails instead.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { CK, generatePkcs11Key, openPkcs11Signer, pkcs11ModulesInUse } from '../../src/crypto/pkcs11.js';
import { parsePkcs11Uri } from '../../src/crypto/pkcs11-uri.js';
import { EnvironmentError, InputError } from '../../src/errors.js';
import { commandWorks, expectError, makeToken, PIN, pkcs11js, realTest, recorder, SO_PIN, type Recorder } from '../support/pkcs11.js';

const SOFTHSM = process.env['SOFTHSM2_MODULE'] ?? '/usr/lib/softhsm/libsofthsm2.so';
/** Debian package ykcs11 (also ships libykcs11.so.2). */
const YKCS11 = process.env['YKCS11_MODULE'] ?? '/usr/lib/x86_64-linux-gnu/libykcs11.so';

const NO_PKCS11JS = pkcs11js === undefined ? 'pkcs11js is not installed or did not build' : '';

/** Every text an error or a run could show a user. */
function shownTexts(e: Error & { hint?: string | undefined }, r: Recorder): string[] {
  return [e.message, e.hint ?? '', e.stack ?? '', JSON.stringify(e), e.cause instanceof Error ? e.cause.message : '', ...r.events];
}

// ---------------------------------------------------------------------------
// 1. ykcs11 without pcscd

realTest(
  'ykcs11 with no pcscd: CKR_DEVICE_ERROR from the real module is an EnvironmentError (exit 3) saying to start pcscd',
  [NO_PKCS11JS, existsSync(YKCS11) ? '' : `the ykcs11 module ${YKCS11} is missing (apt-get install ykcs11)`],
  async (t) => {
    assert.ok(pkcs11js !== undefined);
    // "pcscd is not running", here even when the machine's pcscd is: libpcsclite connects to this path.
    const dir = mkdtempSync(join(tmpdir(), 'tuf-ceremony-nopcscd-'));
    const before = process.env['PCSCLITE_CSOCK_NAME'];
    process.env['PCSCLITE_CSOCK_NAME'] = join(dir, 'pcscd.comm');
    t.after(() => {
      if (before === undefined) delete process.env['PCSCLITE_CSOCK_NAME'];
      else process.env['PCSCLITE_CSOCK_NAME'] = before;
      rmSync(dir, { recursive: true, force: true });
    });

    // What the module itself does, straight through pkcs11js.
    const p = new pkcs11js.PKCS11();
    p.load(YKCS11);
    let failedAt = 'nothing: it did not fail';
    let code: unknown;
    const codeOf = (e: unknown): unknown => (e as { code?: unknown }).code;
    try {
      p.C_Initialize();
    } catch (e) {
      failedAt = 'C_Initialize';
      code = codeOf(e);
    }
    if (code === undefined) {
      try {
        p.C_GetSlotList(true);
      } catch (e) {
        failedAt = 'C_GetSlotList';
        code = codeOf(e);
      }
      p.C_Finalize();
    }
    p.close();
    // ykcs11 2.2.0: C_Initialize CKR_OK, C_GetSlotList CKR_DEVICE_ERROR.
    assert.equal(code, CK.CKR_DEVICE_ERROR, `ykcs11 without pcscd fails with CKR_DEVICE_ERROR (failed at ${failedAt})`);

    // What the backend makes of it.
    const r = recorder(PIN);
    const uri = parsePkcs11Uri('pkcs11:token=YubiKey%20PIV%20%2312345678;id=%02');
    const err = await expectError(openPkcs11Signer(uri, YKCS11, r.secrets, r.warn), EnvironmentError);
    assert.equal(err.exitCode, 3);
    assert.equal(err.message, `no token reader is reachable through ${YKCS11}: start pcscd (systemctl start pcscd)`);
    assert.equal(err.file, YKCS11);
    assert.match(err.hint ?? '', new RegExp(`CKR_DEVICE_ERROR at ${failedAt}`));
    assert.match(err.hint ?? '', /pcscd daemon \(Debian package pcscd\) running/);
    assert.equal(r.asked(), 0, 'no PIN is asked when no token can be reached');
    assert.equal(pkcs11ModulesInUse(), 0, 'the module was finalized and unloaded');

    // Generating a key goes the same way (and the module loads again after the failure).
    const gen = await expectError(generatePkcs11Key(uri, YKCS11, 'ecdsa-p256', 'k', r.secrets, r.warn), EnvironmentError);
    assert.equal(gen.exitCode, 3);
    assert.match(gen.message, /: start pcscd \(systemctl start pcscd\)$/);
    assert.equal(r.asked(), 0);
  }
);

// ---------------------------------------------------------------------------
// 2. A locked user PIN (SoftHSM2, lock flag forged: see the file comment)

/** A fresh SoftHSM2 store with one token; SOFTHSM2_CONF points at it. Returns the token directory. */
function makeTokenDir(t: TestContext, label: string): string {
  const tokens = join(makeToken(t, label), 'tokens');
  const [uuid, ...more] = readdirSync(tokens);
  assert.ok(uuid !== undefined && more.length === 0, 'one token directory');
  return join(tokens, uuid);
}

/** The token's flags, read straight from the module (loaded and finalized here). */
function tokenFlags(label: string): number {
  assert.ok(pkcs11js !== undefined);
  const p = new pkcs11js.PKCS11();
  p.load(SOFTHSM);
  p.C_Initialize();
  try {
    const info = p.C_GetSlotList(true)
      .map((s) => p.C_GetTokenInfo(s))
      .find((i) => i.label.replace(/[\0 ]+$/, '') === label);
    assert.ok(info !== undefined, `token ${label} is present`);
    return info.flags;
  } finally {
    p.C_Finalize();
    p.close();
  }
}

/**
 * Sets CKF_USER_PIN_LOCKED in SoftHSM2's stored token flags. The file
 * backend writes each attribute as type, kind and value, 8 bytes big-endian
 * each: CKA_OS_TOKENFLAGS is CKA_VENDOR_DEFINED + 0x534b, kind 2 a ULONG.
 */
function forgePinLocked(tokenDir: string): void {
  const file = join(tokenDir, 'token.object');
  const bytes = readFileSync(file);
  const header = Buffer.from('000000008000534b0000000000000002', 'hex');
  const at = bytes.indexOf(header);
  assert.ok(at >= 0 && bytes.indexOf(header, at + 1) < 0, 'exactly one CKA_OS_TOKENFLAGS in token.object');
  const value = at + header.length;
  bytes.writeBigUInt64BE(bytes.readBigUInt64BE(value) | BigInt(CK.CKF_USER_PIN_LOCKED), value);
  writeFileSync(file, bytes);
}

realTest(
  'a locked user PIN: SoftHSM2 never locks by itself; with CKF_USER_PIN_LOCKED set, the right PIN gives an EnvironmentError (exit 3) saying unblock with the SO PIN, and no PIN is asked or shown',
  [
    NO_PKCS11JS,
    existsSync(SOFTHSM) ? '' : `the SoftHSM2 module ${SOFTHSM} is missing (apt-get install softhsm2)`,
    commandWorks('softhsm2-util', ['--version']) ? '' : 'softhsm2-util is missing (apt-get install softhsm2)',
  ],
  async (t) => {
    const label = 'locked-token';
    const tokenDir = makeTokenDir(t, label);
    const keyUri = parsePkcs11Uri(`pkcs11:token=${label};id=%01`);
    const setup = await generatePkcs11Key(keyUri, SOFTHSM, 'ecdsa-p256', 'k', recorder(PIN).secrets, () => undefined);
    await setup.close();

    // Wrong PINs, more than any token allows (a YubiKey locks after 3): SoftHSM never locks.
    const wrong = '000000';
    for (let i = 1; i <= 5; i++) {
      const r = recorder(wrong);
      const err = await expectError(openPkcs11Signer(keyUri, SOFTHSM, r.secrets, r.warn), InputError);
      assert.equal(err.exitCode, 2, `try ${String(i)}`);
      assert.match(err.message, /^wrong PIN for token "locked-token"; few attempts are left before the PIN locks$/);
      const flags = tokenFlags(label);
      assert.ok(flags & CK.CKF_USER_PIN_COUNT_LOW, 'SoftHSM sets CKF_USER_PIN_COUNT_LOW after a wrong PIN');
      assert.equal(
        flags & (CK.CKF_USER_PIN_LOCKED | CK.CKF_USER_PIN_FINAL_TRY),
        0,
        `after ${String(i)} wrong PINs SoftHSM set FINAL_TRY or LOCKED: it counts tries now, so lock the PIN for real instead of forging the flag`
      );
    }

    // Forge the lock; the real module now reports it (and, having no counter, would still accept the PIN).
    forgePinLocked(tokenDir);
    assert.ok(tokenFlags(label) & CK.CKF_USER_PIN_LOCKED, 'SoftHSM reports the stored CKF_USER_PIN_LOCKED');

    for (const open of [
      (r: Recorder) => openPkcs11Signer(keyUri, SOFTHSM, r.secrets, r.warn),
      (r: Recorder) => generatePkcs11Key(parsePkcs11Uri(`pkcs11:token=${label};id=%02`), SOFTHSM, 'ecdsa-p256', 'k2', r.secrets, r.warn),
    ]) {
      const r = recorder(PIN);
      const err = await expectError(open(r), EnvironmentError);
      assert.equal(err.exitCode, 3);
      assert.equal(err.message, 'PIN locked on token "locked-token", unblock with the SO PIN');
      assert.match(err.hint ?? '', /ykman piv access unblock-pin/);
      assert.equal(err.cause, undefined, 'a login error carries no cause');
      assert.equal(r.asked(), 0, 'a locked PIN is not asked for');
      for (const text of shownTexts(err, r)) {
        assert.ok(!text.includes(PIN), 'the PIN is never shown');
        assert.ok(!text.includes(SO_PIN), 'the SO PIN is never shown');
      }
      assert.equal(pkcs11ModulesInUse(), 0);
    }
  }
);
