// SPDX-License-Identifier: Apache-2.0
/** Shared support for the PKCS#11 tests (real SoftHSM2 and vendor modules). */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { pkcs11ModulesInUse } from '../../src/crypto/pkcs11.js';
import type { SecretKind, SecretsHandler } from '../../src/crypto/signer.js';

export const SO_PIN = '12345678';
export const PIN = '123456';
/** Under CI a missing component fails a test instead of skipping it. */
export const CI = !['', '0', 'false', undefined].includes(process.env['CI']);
export const T = { timeout: 20_000 };

export function commandWorks(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The pkcs11js binding, or undefined where it is not installed or did not build. */
export const pkcs11js = await import('pkcs11js').then(
  (m) => m.default,
  () => undefined
);

export interface Recorder {
  readonly secrets: SecretsHandler;
  readonly warn: (msg: string) => void;
  /** Every secrets request and warning, in order. */
  readonly events: string[];
  readonly asked: () => number;
}

/** A secrets handler answering with `pins` in turn (the last one repeats), recording every request and warning. */
export function recorder(...pins: string[]): Recorder {
  const events: string[] = [];
  let n = 0;
  return {
    events,
    asked: () => n,
    secrets: (kind: SecretKind, what: string) => {
      events.push(`ask ${kind}: ${what}`);
      const pin = pins[Math.min(n, pins.length - 1)] ?? PIN;
      n++;
      return Promise.resolve(pin);
    },
    warn: (msg: string) => {
      events.push(`warn: ${msg}`);
    },
  };
}

export async function expectError<E extends Error>(p: Promise<unknown>, cls: new (...a: never[]) => E): Promise<E> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${String(e)}`);
    return e;
  }
  assert.fail(`expected ${cls.name}, nothing was thrown`);
}

export const MODULE = process.env['SOFTHSM2_MODULE'] ?? '/usr/lib/softhsm/libsofthsm2.so';

// ---------------------------------------------------------------------------
// What is available here

const missing = [
  existsSync(MODULE) ? '' : `the SoftHSM2 module ${MODULE} is missing (apt-get install softhsm2)`,
  commandWorks('softhsm2-util', ['--version']) ? '' : 'softhsm2-util is missing (apt-get install softhsm2)',
  pkcs11js === undefined ? 'pkcs11js is not installed or did not build' : '',
].filter((s) => s !== '');
export const UNAVAILABLE = missing.length === 0 ? undefined : missing.join('; ');

/** A test needing the listed components: skips outside CI when one is missing, fails under CI. */
export function realTest(name: string, missing: readonly string[], fn: (t: TestContext) => Promise<void>): void {
  const why = missing.filter((s) => s !== '').join('; ');
  if (why === '') {
    test(name, T, async (t) => {
      await fn(t);
      assert.equal(pkcs11ModulesInUse(), 0, 'every signer was closed and the module finalized');
    });
  } else if (CI) {
    test(name, () => {
      throw new Error(`PKCS#11 tests must run under CI: ${why}`);
    });
  } else {
    test(name, { skip: why }, () => undefined);
  }
}

/** A test on a real SoftHSM2 token: skips outside CI when that is missing, fails under CI. */
export function hsmTest(name: string, fn: (t: TestContext) => Promise<void>): void {
  realTest(name, [UNAVAILABLE ?? ''], fn);
}

// ---------------------------------------------------------------------------
// Helpers

/** A fresh token in a fresh SoftHSM2 store; SOFTHSM2_CONF points at it. */
export function makeToken(t: TestContext, label: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tuf-ceremony-p11-'));
  const tokens = join(dir, 'tokens');
  mkdirSync(tokens);
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  process.env['SOFTHSM2_CONF'] = conf;
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--so-pin', SO_PIN, '--pin', PIN], {
    stdio: 'ignore',
  });
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
