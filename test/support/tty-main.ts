// SPDX-License-Identifier: Apache-2.0
/**
 * The CLI as a process on a real terminal, for the tmux tests: main with the
 * process's own streams, stdin and prompts, and the reference time from
 * TUF_CEREMONY_TEST_NOW (ms) instead of the clock.
 */
import { processIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';

const now = Number(process.env['TUF_CEREMONY_TEST_NOW']);
if (!Number.isSafeInteger(now)) throw new Error('TUF_CEREMONY_TEST_NOW must be set (ms)');
process.exitCode = await main(process.argv.slice(2), { ...processIo(), now: () => now });
