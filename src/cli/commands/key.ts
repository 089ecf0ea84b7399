// SPDX-License-Identifier: Apache-2.0
/**
 * `key generate`, `key export`, `key show`: a keyholder's keys. Private key
 * files are only ever written encrypted, mode 0600, atomically, and never
 * over an existing file.
 */
import { mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { InputError, VerificationError } from '../../errors.js';
import { attestationOf, attestationText } from '../../crypto/attestation.js';
import { makePublicKeyFile } from '../../crypto/proof.js';
import type { Signer } from '../../crypto/signer.js';
import { generateTokenSigner, isTokenReference, openSigner } from '../../crypto/open-signer.js';
import { encryptPrivateKey, generateKeyPair, keySigner } from '../../crypto/software.js';
import { expectKey } from '../../crypto/signer.js';
import { canonicalBytes } from '../../metadata/canonical.js';
import { formatExpires } from '../../metadata/expires.js';
import type { KeyType } from '../../crypto/tuf-key.js';
import { stringifySorted } from '../../metadata/serialize.js';
import { checkKeyholderName, hasValidProof, parsePublicKeyFile, type PublicKeyFile } from '../../metadata/public-key-file.js';
import { writeFileAtomic } from '../../store/atomic.js';
import { readBoundedFile } from '../../store/metadata-dir.js';
import type { Prompter } from '../../ui/prompts.js';
import { deviceText } from '../../ui/render.js';
import type { GlobalOptions, Io } from '../io.js';
import { newPassphrase, signerContext } from '../secrets.js';

export interface KeyGenerateOptions {
  readonly name: string;
  readonly type?: string;
  readonly outDir?: string;
  readonly passphraseFile?: string;
  readonly insecurePassphrase?: boolean;
  readonly pkcs11?: string;
}

/** The key type: `--type`, else Ed25519 for a key file and ECDSA P-256 on a token (every token has it). */
function keyType(t: string | undefined, onToken: boolean): KeyType {
  if (t === undefined) return onToken ? 'ecdsa-p256' : 'ed25519';
  if (t === 'ed25519') return 'ed25519';
  if (t === 'ecdsa-p256') return 'ecdsa-p256';
  throw new InputError(`--type: "${t}" is not a key type: use ed25519 or ecdsa-p256`, { field: '--type' });
}

async function writePublicKey(path: string, pub: PublicKeyFile): Promise<void> {
  await writeFileAtomic(path, stringifySorted(pub, path), { exclusive: true });
}

function printKey(pub: PublicKeyFile, files: Record<string, string>, global: GlobalOptions, io: Io, uri?: string): void {
  if (global.json) {
    const doc = { name: pub.name, keyid: pub.keyid, keytype: pub.key.keytype, scheme: pub.key.scheme, created: pub.created, device: pub.device, files, uri: uri ?? null };
    io.stdout(JSON.stringify(doc, null, 2) + '\n');
    return;
  }
  for (const [what, path] of Object.entries(files)) io.stdout(`wrote ${what}: ${path}\n`);
  io.stdout(`key ID ${pub.keyid} (${pub.key.scheme}) for ${pub.name}\n`);
  if (pub.attestation !== undefined) io.stdout(`hardware: ${attestationText(attestationOf(pub))}\n`);
  if (uri !== undefined) io.stdout(`key reference: ${uri}\n`);
}

/** Writes NAME.pub.json for a key on a token (the token signs the proof), then closes it. */
async function writeTokenPublicKey(name: string, signer: Signer, pubPath: string, global: GlobalOptions, io: Io): Promise<void> {
  try {
    const pub = await makePublicKeyFile(name, signer, io.now());
    await writePublicKey(pubPath, pub);
    // Without id= in the URI the token picked one: the full URI is the only way to find the key again.
    const uri = 'uri' in signer && typeof signer.uri === 'string' ? signer.uri : undefined;
    printKey(pub, { 'public key': pubPath }, global, io, uri);
  } finally {
    await signer.close();
  }
}

export async function runKeyGenerate(opts: KeyGenerateOptions, global: GlobalOptions, io: Io, prompter: Prompter | null): Promise<number> {
  const name = checkKeyholderName(opts.name, '--name', '--name');
  const type = keyType(opts.type, opts.pkcs11 !== undefined);
  const outDir = resolve(io.cwd, opts.outDir ?? '.');
  const pubPath = join(outDir, `${name}.pub.json`);
  mkdirSync(outDir, { recursive: true, mode: 0o700 });
  if (opts.pkcs11 !== undefined) {
    const ctx = signerContext(io, prompter);
    await writeTokenPublicKey(name, await generateTokenSigner(opts.pkcs11, type, name, ctx), pubPath, global, io);
    return 0;
  }
  const keyPath = join(outDir, `${name}.key`);
  const src = { passphraseFile: opts.passphraseFile, prompter };
  const passphrase = await newPassphrase(src, io, `${name}.key`, opts.insecurePassphrase === true);
  const { privateKey } = generateKeyPair(type);
  const signer = keySigner(privateKey, { backend: 'file', path: basename(keyPath) });
  const pub = await makePublicKeyFile(name, signer, io.now());
  await signer.close();
  // Only the encrypted form is ever written.
  await writeFileAtomic(keyPath, encryptPrivateKey(privateKey, passphrase), { mode: 0o600, exclusive: true });
  await writePublicKey(pubPath, pub);
  printKey(pub, { 'private key (encrypted, mode 0600)': keyPath, 'public key': pubPath }, global, io);
  return 0;
}

export interface KeyExportOptions {
  readonly name: string;
  readonly pkcs11: string;
  readonly outDir?: string;
}

export async function runKeyExport(opts: KeyExportOptions, global: GlobalOptions, io: Io, prompter: Prompter | null): Promise<number> {
  const name = checkKeyholderName(opts.name, '--name', '--name');
  const pubPath = join(resolve(io.cwd, opts.outDir ?? '.'), `${name}.pub.json`);
  if (!isTokenReference(opts.pkcs11)) throw new InputError(`--pkcs11: "${opts.pkcs11.slice(0, 40)}" is not a pkcs11: URI`, { field: '--pkcs11' });
  await writeTokenPublicKey(name, await openSigner(opts.pkcs11, signerContext(io, prompter)), pubPath, global, io);
  return 0;
}

export function runKeyShow(file: string, global: GlobalOptions, io: Io): number {
  const path = resolve(io.cwd, file);
  const bytes = readBoundedFile(path, 64 * 1024);
  if (Buffer.from(bytes).includes('PRIVATE KEY-----')) {
    throw new InputError(`${file}: is a private key file; show its public key file (NAME.pub.json) instead`, { file });
  }
  const pub = parsePublicKeyFile(bytes, file);
  const proof = hasValidProof(pub);
  const attestation = attestationOf(pub);
  if (global.json) {
    io.stdout(JSON.stringify({ file, name: pub.name, keyid: pub.keyid, keytype: pub.key.keytype, scheme: pub.key.scheme, created: pub.created, device: pub.device, proofOfPossession: proof, attestation: attestation ?? { $case: 'none' } }, null, 2) + '\n');
  } else {
    io.stdout(
      [
        `key ID:   ${pub.keyid}`,
        `type:     ${pub.key.keytype} (${pub.key.scheme})`,
        `owner:    ${pub.name}`,
        `created:  ${pub.created}`,
        `device:   ${deviceText(pub.device)}`,
        `proof of possession: ${proof ? 'valid (signed by this key)' : 'INVALID'}`,
        `hardware: ${attestationText(attestation)}`,
      ].join('\n') + '\n'
    );
  }
  if (!proof) {
    throw new VerificationError(`${file}: the proof of possession does not verify: this key file may have been altered or substituted`, { file, field: 'proof_of_possession' });
  }
  if (attestation?.$case === 'invalid') {
    throw new VerificationError(`${file}: the hardware attestation does not verify: ${attestation.reason}`, { file, field: 'attestation' });
  }
  return 0;
}

export interface KeyCheckOptions {
  readonly key: string;
  readonly expect?: string;
  readonly passphraseFile?: string;
}

/**
 * `key check`: unlocks the key, signs a challenge, verifies the signature
 * and, with `--expect`, that the key is the registered one.
 */
export async function runKeyCheck(opts: KeyCheckOptions, global: GlobalOptions, io: Io, prompter: Prompter | null): Promise<number> {
  // The expected key is read first, so a bad file fails before any secret is asked.
  const expected = opts.expect === undefined ? undefined : parsePublicKeyFile(readBoundedFile(resolve(io.cwd, opts.expect), 64 * 1024), opts.expect);
  let signer = await openSigner(opts.key, signerContext(io, prompter, opts.passphraseFile));
  try {
    if (expected !== undefined) signer = expectKey(signer, expected.key);
    const challenge = canonicalBytes({ purpose: 'tuf-ceremony key check', time: formatExpires(io.now()) });
    await signer.sign(challenge);
    if (global.json) {
      io.stdout(JSON.stringify({ ok: true, keyid: signer.keyid, scheme: signer.publicKey.scheme, device: signer.device, matches: expected?.name ?? null }, null, 2) + '\n');
    } else {
      io.stdout(`key ${signer.keyid} (${signer.publicKey.scheme}) signs, and its signature verifies\n`);
      io.stdout(`device: ${deviceText(signer.device)}\n`);
      if (expected !== undefined) io.stdout(`it is the key registered for ${expected.name} in ${opts.expect ?? ''}\n`);
    }
  } finally {
    await signer.close();
  }
  return 0;
}
