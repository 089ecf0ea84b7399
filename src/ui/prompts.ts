// SPDX-License-Identifier: Apache-2.0
/**
 * The only module that asks the person at the terminal anything, and the
 * only importer of `@inquirer/prompts` (loaded when first needed). Ctrl-C
 * becomes CancelledError (exit 130).
 */
import { CancelledError } from '../errors.js';

export interface Prompter {
  /** Asks for a secret with no echo. */
  password(message: string): Promise<string>;
  /** Asks yes or no. */
  confirm(message: string, defaultAnswer: boolean): Promise<boolean>;
  /**
   * Asks for one line of text (a name, a reason, a file). `validate` returns
   * true, or the problem to show before asking again.
   */
  input(message: string, validate?: (answer: string) => true | string): Promise<string>;
}

function cancelled(err: unknown): never {
  if (err instanceof Error && (err.name === 'ExitPromptError' || err.name === 'AbortPromptError')) {
    throw new CancelledError('cancelled at the prompt');
  }
  throw err;
}

/** Prompts on the process's terminal (stdin/stderr). */
export function terminalPrompter(): Prompter {
  const output = process.stderr;
  return {
    async password(message) {
      const { password } = await import('@inquirer/prompts');
      return password({ message, mask: false }, { output }).catch(cancelled);
    },
    async confirm(message, defaultAnswer) {
      const { confirm } = await import('@inquirer/prompts');
      return confirm({ message, default: defaultAnswer }, { output }).catch(cancelled);
    },
    async input(message, validate) {
      const { input } = await import('@inquirer/prompts');
      return input({ message, ...(validate === undefined ? {} : { validate }) }, { output }).catch(cancelled);
    },
  };
}
