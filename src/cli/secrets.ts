// SPDX-License-Identifier: Apache-2.0
/**
 * Where secrets come from, in order: a file named on the command line
 * (`--passphrase-file`, the URI's `pin-source=file:`), the environment
 * (`TUF_CEREMONY_PASSPHRASE`, `TUF_CEREMONY_PIN`), then a no-echo prompt.
 * Secrets are never taken from argv and never appear in a message.
 */
import { resolve } from 'node:path';
import { InputError } from '../errors.js';
import type { SignerContext } from '../crypto/open-signer.js';
import type { SecretKind, SecretsHandler } from '../crypto/signer.js';
import { readBoundedFile } from '../store/metadata-dir.js';
import type { Prompter } from '../ui/prompts.js';
import type { Io } from './io.js';

export const ENV = { passphrase: 'TUF_CEREMONY_PASSPHRASE', PIN: 'TUF_CEREMONY_PIN' } as const;
export const MIN_PASSPHRASE = 12;

export interface SecretSources {
  readonly passphraseFile?: string | undefined;
  /** A PKCS#11 URI's `pin-source`, e.g. `file:/run/pin`. */
  readonly pinSource?: string | undefined;
  /** Null when prompting is not allowed (`--no-input`, no terminal). */
  readonly prompter: Prompter | null;
}

/**
 * Reads a secret file: the first line, without its line ending.
 * @throws InputError (exit 2) when the file is not valid UTF-8: a secret
 *   silently changed to U+FFFD would be another secret
 */
export function readSecretFile(path: string, what: string): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(readBoundedFile(path, 4096));
  } catch (e) {
    if (!(e instanceof TypeError)) throw e;
    throw new InputError(`${path}: the ${what} file is not valid UTF-8; its bytes cannot be used as a ${what} as they are`, {
      file: path,
      hint: `write the ${what} file as UTF-8 text (iconv -t UTF-8)`,
    });
  }
  const secret = text.replace(/\r?\n$/, '');
  if (secret.includes('\n')) throw new InputError(`${path}: a ${what} file must hold one line`, { file: path });
  return secret;
}

function fromFile(kind: SecretKind, src: SecretSources, io: Io): string | undefined {
  if (kind === 'passphrase' && src.passphraseFile !== undefined) {
    return readSecretFile(resolve(io.cwd, src.passphraseFile), 'passphrase');
  }
  if (kind === 'PIN' && src.pinSource !== undefined) {
    if (!src.pinSource.startsWith('file:')) {
      throw new InputError(`pin-source "${src.pinSource.slice(0, 40)}" is not supported: use pin-source=file:/path`, { field: 'pin-source' });
    }
    // The URI parser has already percent-decoded the value.
    const p = src.pinSource.slice(5).replace(/^\/\/(?=\/)/, '');
    return readSecretFile(resolve(io.cwd, p), 'PIN');
  }
  return undefined;
}

/** Builds the handler that backends receive. */
export function secretsHandler(src: SecretSources, io: Io): SecretsHandler {
  const handler = async (kind: SecretKind, what: string): Promise<string> => {
    const file = fromFile(kind, src, io);
    if (file !== undefined) return file;
    const env = io.env[ENV[kind]];
    if (env !== undefined && env !== '') return env;
    if (src.prompter === null) {
      throw new InputError(`no ${kind} for ${what.replace(/^(passphrase|PIN) for /, '')}: nothing to prompt with`, {
        hint:
          kind === 'passphrase'
            ? `give --passphrase-file FILE or set ${ENV.passphrase}, or run on a terminal without --no-input`
            : `add pin-source=file:/path to the PKCS#11 URI or set ${ENV.PIN}, or run on a terminal without --no-input`,
      });
    }
    return src.prompter.password(`${kind === 'PIN' ? 'PIN' : 'Passphrase'} (${what}):`);
  };
  // A person at the prompt may try a passphrase again; a file or the environment would give the same one.
  const asksPerson = (kind: SecretKind): boolean =>
    src.prompter !== null &&
    (kind === 'passphrase' ? src.passphraseFile === undefined : src.pinSource === undefined) &&
    (io.env[ENV[kind]] ?? '') === '';
  return Object.assign(handler, { asksPerson });
}

/**
 * The context the signer module opens keys with: files read relative to
 * the working directory, secrets from `--passphrase-file`, the URI's
 * `pin-source`, the environment or the prompt, warnings on stderr.
 */
export function signerContext(io: Io, prompter: Prompter | null, passphraseFile?: string): SignerContext {
  return {
    env: io.env,
    readKeyFile: (path) => readBoundedFile(resolve(io.cwd, path), 64 * 1024),
    secretsFor: (pinSource) => secretsHandler({ passphraseFile, pinSource, prompter }, io),
    warn: (m) => io.stderr(`warning: ${m}\n`),
  };
}

/**
 * Gets a new passphrase: from a file or the environment as is, or asked
 * twice at the prompt. Refuses short ones unless `insecure` (drills).
 */
export async function newPassphrase(src: SecretSources, io: Io, what: string, insecure: boolean): Promise<string> {
  let pass = fromFile('passphrase', src, io) ?? io.env[ENV.passphrase];
  if (pass === undefined || pass === '') {
    if (src.prompter === null) {
      throw new InputError(`no passphrase for ${what}`, {
        hint: `give --passphrase-file FILE or set ${ENV.passphrase}, or run on a terminal without --no-input`,
      });
    }
    pass = await src.prompter.password(`New passphrase for ${what}:`);
    const again = await src.prompter.password('Repeat the passphrase:');
    if (again !== pass) throw new InputError('the two passphrases differ; nothing was written', { field: 'passphrase' });
  }
  if (pass === '') throw new InputError('the passphrase is empty; nothing was written', { field: 'passphrase' });
  if (!insecure && [...pass].length < MIN_PASSPHRASE) {
    throw new InputError(`the passphrase is shorter than ${String(MIN_PASSPHRASE)} characters; nothing was written`, {
      field: 'passphrase',
      hint: 'use a longer passphrase (--insecure-passphrase allows short ones, for drills only)',
    });
  }
  return pass;
}
