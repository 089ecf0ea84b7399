#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// `--version`, and `--help` after command names, print without loading
// commander or any command (start-up time): the same bytes commander prints
// (test/cli/help-fast.test.ts). Everything else goes to main.
const args = process.argv.slice(2);
let text = null;
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  const { VERSION } = await import('../build/src/version.js');
  text = VERSION + '\n';
} else if (args[args.length - 1] === '--help' || args[args.length - 1] === '-h') {
  const { staticHelp } = await import('../build/src/cli/help-fast.js');
  text = staticHelp(args, process.stdout.isTTY ? process.stdout.columns : undefined);
}
if (text !== null) {
  // A reader that closed the pipe early (`| head -1`) is not an error.
  process.stdout.on('error', (e) => {
    if (e.code !== 'EPIPE') throw e;
  });
  process.stdout.write(text);
} else {
  const { main } = await import('../build/src/cli/main.js');
  process.exitCode = await main(args);
}
