// SPDX-License-Identifier: Apache-2.0
/**
 * `key generate --pkcs11 --type T` on a REAL token that does not offer T:
 * p11-kit's trust module (Debian package `p11-kit-modules`), whose one token
 * "System Trust" is a read-only certificate store with an empty mechanism
 * list. The real CLI runs as a child process. What must happen: exit 3
 * (docs/decisions.md), a message naming the token and the missing
 * mechanism, pointing at ECDSA P-256 (scheme ecdsa-sha2-nistp256), decided
 * from C_GetMechanismList before any session or PIN; nothing written,
 * nothing secret shown.
 *
 * The test first checks its premise through pkcs11js: the token exists and
 * lists neither CKM_EC_EDWARDS_KEY_PAIR_GEN nor CKM_EC_KEY_PAIR_GEN.
 * Outside CI it skips naming what is missing; under CI=true it fails.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CK } from '../../src/crypto/pkcs11.js';
import { EXIT } from '../../src/errors.js';
import { pkcs11js, realTest } from '../support/pkcs11.js';

const BIN = new URL('../../../bin/tuf-ceremony.js', import.meta.url).pathname;
const TRUST = process.env['P11_KIT_TRUST_MODULE'] ?? '/usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-trust.so';
const TOKEN = 'System Trust';
/** Would show a PIN leaking into any output. */
const PIN = 'Pin-never-shown-6d1e';

const missing = [
  pkcs11js === undefined ? 'pkcs11js is not installed or did not build' : '',
  existsSync(TRUST) ? '' : `the p11-kit trust module ${TRUST} is missing (apt-get install p11-kit-modules)`,
];

/** The premise, read through pkcs11js: the token's mechanism list. */
function trustTokenMechanisms(): number[] {
  assert.ok(pkcs11js !== undefined);
  const lib = new pkcs11js.PKCS11();
  lib.load(TRUST);
  lib.C_Initialize({ flags: CK.CKF_OS_LOCKING_OK });
  try {
    const slot = lib.C_GetSlotList(true).find((s) => lib.C_GetTokenInfo(s).label.trimEnd() === TOKEN);
    assert.ok(slot !== undefined, `${TRUST} has a token labelled "${TOKEN}"`);
    return lib.C_GetMechanismList(slot);
  } finally {
    lib.C_Finalize();
    lib.close();
  }
}

function generate(type: string): { status: number | null; stdout: string; stderr: string; written: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'tuf-ceremony-p11kit-'));
  try {
    const out = join(dir, 'keys');
    const uri = `pkcs11:token=${encodeURIComponent(TOKEN)}?module-path=${TRUST}`;
    const r = spawnSync(process.execPath, [BIN, '--no-input', 'key', 'generate', '--name', 'alice', '--type', type, '--out-dir', out, '--pkcs11', uri], {
      encoding: 'utf8',
      cwd: dir,
      env: { PATH: process.env['PATH'] ?? '', HOME: dir, TMPDIR: dir, TUF_CEREMONY_PIN: PIN },
    });
    const written = existsSync(out) ? readdirSync(out, { recursive: true }).map(String) : [];
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, written };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

realTest('the trust token lists neither Ed25519 nor EC key generation (the premise of the tests below)', missing, () => {
  const mechs = trustTokenMechanisms();
  assert.ok(!mechs.includes(CK.CKM_EC_EDWARDS_KEY_PAIR_GEN), 'no CKM_EC_EDWARDS_KEY_PAIR_GEN');
  assert.ok(!mechs.includes(CK.CKM_EC_KEY_PAIR_GEN), 'no CKM_EC_KEY_PAIR_GEN');
  return Promise.resolve();
});

realTest('key generate --pkcs11 --type ed25519 on a token without Ed25519: exit 3 naming the token, CKM_EC_EDWARDS_KEY_PAIR_GEN and P-256', missing, () => {
  const r = generate('ed25519');
  assert.equal(r.status, EXIT.ENVIRONMENT, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /error\[ENVIRONMENT\]: token "System Trust" \(serial 1, PKCS#11 Kit p11-kit-trust\) does not offer Ed25519 key generation/);
  assert.match(r.stderr, /lack CKM_EC_EDWARDS_KEY_PAIR_GEN and CKM_EDDSA/);
  assert.match(r.stderr, /checked before any PIN; nothing was generated/);
  assert.match(r.stderr, /--type ecdsa-p256 \(ECDSA P-256, TUF scheme ecdsa-sha2-nistp256\) is the usual choice on YubiKey PIV and most HSMs/);
  // This token offers no EC generation either, and the hint says so rather than send the user into a second failure.
  assert.match(r.stderr, /but this token does not offer it either: use another token/);
  // Not the write-protection error a session would have met, nor a PIN question.
  assert.doesNotMatch(r.stderr, /write-protected|PIN for token|nothing to prompt/);
  assert.deepEqual(r.written, []);
  assert.ok(!r.stderr.includes(PIN));
  return Promise.resolve();
});

realTest('key generate --pkcs11 --type ecdsa-p256 on a token without EC key generation: the same path, exit 3 naming CKM_EC_KEY_PAIR_GEN', missing, () => {
  const r = generate('ecdsa-p256');
  assert.equal(r.status, EXIT.ENVIRONMENT, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /error\[ENVIRONMENT\]: token "System Trust" \(serial 1, PKCS#11 Kit p11-kit-trust\) does not offer ECDSA P-256 key generation/);
  assert.match(r.stderr, /lack CKM_EC_KEY_PAIR_GEN and CKM_ECDSA/);
  assert.match(r.stderr, /use a token that generates EC keys/);
  assert.doesNotMatch(r.stderr, /write-protected|PIN for token|nothing to prompt/);
  assert.deepEqual(r.written, []);
  assert.ok(!r.stderr.includes(PIN));
  return Promise.resolve();
});
