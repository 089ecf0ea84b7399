// SPDX-License-Identifier: Apache-2.0
/**
 * The tool's version: what `--version` and `self-check` print. The release
 * build refuses to run when package.json says otherwise.
 */
export const VERSION = '0.1.0';
