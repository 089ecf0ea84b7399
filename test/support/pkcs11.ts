// SPDX-License-Identifier: Apache-2.0
/** Shared support for the PKCS#11 tests (real SoftHSM2 and vendor modules). */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
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
