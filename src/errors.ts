// SPDX-License-Identifier: Apache-2.0
/**
 * The one place where error kinds and exit codes live.
 *
 * Exit codes (documented in `--help`, README and docs/exit-codes.md):
 * - 0   success
 * - 1   a check said no (verification failed, threshold not met, tampering)
 * - 2   bad usage or invalid input (malformed file, unknown option, bad value)
 * - 3   environment (missing module or device, I/O failure)
 * - 130 cancelled by the user
 */
export const EXIT = Object.freeze({
  OK: 0,
  CHECK_FAILED: 1,
  INVALID: 2,
  ENVIRONMENT: 3,
  CANCELLED: 130,
} as const);

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Machine-readable error codes, printed as `error[CODE]` and in `--json`. */
export type ErrorCode =
  | 'USAGE'
  | 'INVALID_INPUT'
  | 'VERIFICATION_FAILED'
  | 'ENVIRONMENT'
  | 'IO'
  | 'SIGNER'
  | 'CANCELLED'
  | 'INTERNAL';

export interface ErrorOptions {
  readonly cause?: unknown;
  /** What the user can do about it. */
  readonly hint?: string;
  /** The file the problem is in, when there is one. */
  readonly file?: string;
  /** The field path inside the file, e.g. `signed.roles.root.threshold`. */
  readonly field?: string;
}

/** Base of every error the tool reports on purpose. */
export class CeremonyError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;
  readonly file: string | undefined;
  readonly field: string | undefined;

  constructor(
    code: ErrorCode,
    exitCode: ExitCode,
    message: string,
    opts: ErrorOptions = {}
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
    this.hint = opts.hint;
    this.file = opts.file;
    this.field = opts.field;
  }
}

/** The command line itself is wrong: unknown option, missing argument. */
export class UsageError extends CeremonyError {
  constructor(message: string, opts: ErrorOptions = {}) {
    super('USAGE', EXIT.INVALID, message, opts);
  }
}

/**
 * An input file or value is malformed: bad JSON, duplicate keys, floats,
 * wrong types, mismatched key IDs, oversized. The message names the file
 * and the field.
 */
export class InputError extends CeremonyError {
  constructor(message: string, opts: ErrorOptions = {}) {
    super('INVALID_INPUT', EXIT.INVALID, message, opts);
  }
}

/** A check said no: a signature, threshold, version, hash or expiry. */
export class VerificationError extends CeremonyError {
  constructor(message: string, opts: ErrorOptions = {}) {
    super('VERIFICATION_FAILED', EXIT.CHECK_FAILED, message, opts);
  }
}

/** The environment is missing something: a module, a device, a file system. */
export class EnvironmentError extends CeremonyError {
  constructor(message: string, opts: ErrorOptions = {}) {
    super('ENVIRONMENT', EXIT.ENVIRONMENT, message, opts);
  }
}

/** Reading or writing a file failed for a reason other than its content. */
export class IoError extends CeremonyError {
  constructor(message: string, opts: ErrorOptions = {}) {
    super('IO', EXIT.ENVIRONMENT, message, opts);
  }
}

/**
 * A signing device misbehaved: it holds another key than expected, or
 * returned a signature that does not verify. Nothing was signed (exit 1).
 */
export class SignerError extends CeremonyError {
  constructor(message: string, opts: ErrorOptions = {}) {
    super('SIGNER', EXIT.CHECK_FAILED, message, opts);
  }
}

/** The user cancelled (Ctrl-C, or answered no). */
export class CancelledError extends CeremonyError {
  constructor(message = 'cancelled', opts: ErrorOptions = {}) {
    super('CANCELLED', EXIT.CANCELLED, message, opts);
  }
}

/** Builds the InputError for a field of a file: `FILE: FIELD: PROBLEM`. */
export function fieldError(
  file: string,
  field: string,
  problem: string
): InputError {
  const where = field === '' ? file : `${file}: ${field}`;
  return new InputError(`${where}: ${problem}`, { file, field });
}

/**
 * A file that is well formed but altered: its parts contradict each other or
 * what the reader already trusts (a hash that does not match, a forged list
 * of keys, a signature that does not verify). A check said no: exit 1.
 */
export function tamperError(file: string, field: string, problem: string): VerificationError {
  const where = field === '' ? file : `${file}: ${field}`;
  return new VerificationError(`${where}: ${problem}`, { file, field });
}
