// SPDX-License-Identifier: Apache-2.0
/**
 * build/src/cli/help-data.js is written by scripts/help-data.ts at
 * `npm run build`, from the commander definitions in main.ts.
 */
import type { HelpPages } from './help-fast.js';

declare const HELP: HelpPages;
export default HELP;
