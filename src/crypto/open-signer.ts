// SPDX-License-Identifier: Apache-2.0
/**
 * Opening a signer from a key reference, in one place (the manner of
 * python-tuf's `Signer.from_priv_key_uri`): a reference names a backend by
 * its scheme, and {@link SIGNER_FOR_SCHEME} maps each scheme to the code
 * that opens it. Today:
 * - `pkcs11:…` (RFC 7512): a key on a token, through the native binding,
 *   which is loaded only here and only for such a reference;
 * - anything else: the path of an encrypted PKCS#8 key file.
 * A cloud KMS backend would add one entry (`awskms:`, `gcpkms:`…).
 *
 * Backends never see the terminal: secrets come through the context's
 * {@link SecretsHandler}, built by the caller (the CLI) for each reference.
 */
import { InputError } from '../errors.js';
import type { TufKey } from '../metadata/keys.js';
import { parsePkcs11Uri, resolveModulePath, type Pkcs11Uri } from './pkcs11-uri.js';
import type { SecretsHandler, Signer } from './signer.js';
import type { KeyType } from './tuf-key.js';

/** What opening a signer needs from the outside world. */
export interface SignerContext {
  /** Environment variables (the PKCS#11 module path may come from there). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Reads a key file (bounded), resolving `path` as the caller does. */
  readonly readKeyFile: (path: string) => Uint8Array;
  /** The secrets handler for a reference; `pinSource` is a PKCS#11 URI's `pin-source`. */
  readonly secretsFor: (pinSource: string | undefined) => SecretsHandler;
  /** Warnings for the user (PIN attempts left, PIN pad). */
  readonly warn: (message: string) => void;
}

/** A parsed key reference. */
export type KeyReference =
  | { readonly $case: 'file'; readonly path: string }
  | { readonly $case: 'pkcs11'; readonly uri: Pkcs11Uri; readonly modulePath: string };

interface Backend {
  /** Parses the reference (no device touched). @throws InputError */
  parse(ref: string, ctx: SignerContext): Promise<KeyReference>;
}

function parsePkcs11(ref: string, ctx: SignerContext): Promise<KeyReference> {
  const uri = parsePkcs11Uri(ref);
  return Promise.resolve({ $case: 'pkcs11', uri, modulePath: resolveModulePath(uri, ctx.env) });
}

/** Backends by URI scheme; a reference with no known scheme is a key file path. */
export const SIGNER_FOR_SCHEME: Readonly<Record<string, Backend>> = Object.freeze({
  'pkcs11:': { parse: parsePkcs11 },
});

const FILE_BACKEND: Backend = { parse: (path) => Promise.resolve({ $case: 'file', path }) };

function backendFor(ref: string): Backend {
  const scheme = /^[a-z][a-z0-9+.-]*:/.exec(ref)?.[0];
  return (scheme === undefined ? undefined : SIGNER_FOR_SCHEME[scheme]) ?? FILE_BACKEND;
}

/** Parses a key reference without touching any device. @throws InputError */
export function parseKeyReference(ref: string, ctx: SignerContext): Promise<KeyReference> {
  return backendFor(ref).parse(ref, ctx);
}

/** True when the reference names a key on a hardware token. */
export function isTokenReference(ref: string): boolean {
  return ref.startsWith('pkcs11:');
}

/**
 * Opens the signer a key reference names, asking for its passphrase or PIN
 * through the context.
 * @throws InputError (bad reference, wrong passphrase or PIN),
 *   EnvironmentError (missing module, token or key)
 */
export async function openSigner(ref: string, ctx: SignerContext): Promise<Signer> {
  const parsed = await parseKeyReference(ref, ctx);
  switch (parsed.$case) {
    case 'file': {
      const { openKeyFile } = await import('./software.js');
      const pem = Buffer.from(ctx.readKeyFile(parsed.path)).toString('utf8');
      return openKeyFile(pem, parsed.path, ctx.secretsFor(undefined));
    }
    case 'pkcs11': {
      const { openPkcs11Signer } = await import('./pkcs11.js');
      return openPkcs11Signer(parsed.uri, parsed.modulePath, ctx.secretsFor(parsed.uri.pinSource), ctx.warn);
    }
  }
}

/**
 * The public key a reference names, read without any secret: from the
 * token's public key object or certificate (no login). Undefined for a key
 * file, whose public key is in its `NAME.pub.json`.
 * @throws EnvironmentError when the module, token or key is missing
 */
export async function readPublicKey(ref: string, ctx: SignerContext): Promise<TufKey | undefined> {
  const parsed = await parseKeyReference(ref, ctx);
  switch (parsed.$case) {
    case 'file':
      return undefined;
    case 'pkcs11': {
      const { readPkcs11PublicKey } = await import('./pkcs11.js');
      return readPkcs11PublicKey(parsed.uri, parsed.modulePath, ctx.warn);
    }
  }
}

/**
 * Generates a key on the device a `pkcs11:` reference names and opens it.
 * @throws InputError for a reference that is not a token
 */
export async function generateTokenSigner(ref: string, type: KeyType, label: string, ctx: SignerContext): Promise<Signer> {
  const parsed = await parseKeyReference(ref, ctx);
  if (parsed.$case !== 'pkcs11') {
    throw new InputError(`--pkcs11: "${ref.slice(0, 40)}" is not a pkcs11: URI`, { field: '--pkcs11' });
  }
  const { generatePkcs11Key } = await import('./pkcs11.js');
  return generatePkcs11Key(parsed.uri, parsed.modulePath, type, label, ctx.secretsFor(parsed.uri.pinSource), ctx.warn);
}
