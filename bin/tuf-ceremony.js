#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  // What commander prints for --version, without loading it (start-up time, issue 15).
  const { VERSION } = await import('../build/src/version.js');
  process.stdout.write(VERSION + '\n');
} else {
  const { main } = await import('../build/src/cli/main.js');
  process.exitCode = await main(args);
}
