// SPDX-License-Identifier: Apache-2.0
/** Assertions shared by the tests of the pure ceremony functions. */
import assert from 'node:assert/strict';
import { InputError } from '../../src/errors.js';

/** Freezes a value and everything in it, so a function that changes its input throws. */
export function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

/** The InputError (exit 2) that `fn` throws; fails the test when it throws nothing or something else. */
export function thrownInputError(fn: () => unknown): InputError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  if (!(caught instanceof InputError)) {
    const got = caught === undefined ? 'no error' : caught instanceof Error ? `${caught.name}: ${caught.message}` : JSON.stringify(caught);
    assert.fail(`expected an InputError, got ${got}`);
  }
  assert.equal(caught.exitCode, 2);
  assert.equal(caught.code, 'INVALID_INPUT');
  return caught;
}

/**
 * Asserts an InputError (exit 2) whose `.field` is `field` and whose message
 * names it; with `file`, that the error names the file first.
 */
export function assertValueError(fn: () => unknown, field: string, message?: RegExp, file?: string): InputError {
  const caught = thrownInputError(fn);
  assert.equal(caught.field, field, caught.message);
  assert.ok(caught.message.includes(field), `message names the field: ${caught.message}`);
  assert.equal(caught.file, file);
  if (file !== undefined) assert.ok(caught.message.startsWith(`${file}: `), caught.message);
  if (message !== undefined) assert.match(caught.message, message);
  return caught;
}
