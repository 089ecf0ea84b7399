// SPDX-License-Identifier: Apache-2.0
/** Review settings from the environment (read at the CLI edge). */
import { UsageError } from '../errors.js';
import type { Io } from './io.js';

/**
 * `TUF_CEREMONY_MIN_EXPIRY_DAYS`: an expiry shortened to under this many
 * days is a review warning; unset: the defaults by role.
 * @throws UsageError when it is not a whole number of days from 1 to 36500
 */
export function minExpiryDays(io: Io): { minExpiryDays?: number } {
  const v = io.env['TUF_CEREMONY_MIN_EXPIRY_DAYS'];
  if (v === undefined || v === '') return {};
  if (!/^[0-9]{1,5}$/.test(v) || Number(v) < 1 || Number(v) > 36_500) {
    throw new UsageError(`TUF_CEREMONY_MIN_EXPIRY_DAYS: "${v}" is not a whole number of days from 1 to 36500`, { field: 'TUF_CEREMONY_MIN_EXPIRY_DAYS' });
  }
  return { minExpiryDays: Number(v) };
}
