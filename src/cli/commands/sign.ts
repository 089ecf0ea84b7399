// SPDX-License-Identifier: Apache-2.0
/**
 * `sign FILE --key KEYREF`: runs on a keyholder's machine that has only the
 * request (or a metadata file) and the key.
 *
 * Order, so that nothing is signed that the keyholder did not see and no
 * secret is asked for a key that may not sign:
 * 1. the request is checked (hash, valid draft, trusted root self-signed,
 *    root version = trusted + 1, eligible keys recomputed);
 * 2. the key's public key is read from its public key file, or from the
 *    token itself (no secret needed; a missing token is found here) and
 *    must be eligible: otherwise refused, before any PIN or passphrase is
 *    asked;
 * 3. the review is shown, computed from the canonical bytes being signed;
 * 4. confirmation (`--yes` for scripts);
 * 5. the key is unlocked, signs, and the signature is verified against the
 *    eligible key over those bytes before it is written.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { keyIdsListing } from '../../metadata/key-listing.js';
import { eligibleKeys, MAX_REQUEST_BYTES, parseRequest, sha256Hex, type CheckedRequest } from '../../ceremony/request.js';
import { buildReview, groupedHash } from '../../ceremony/review.js';
import { makeSignatureFile, serializeSignatureFile } from '../../ceremony/signature-file.js';
import { isTokenReference, openSigner, readPublicKey, type SignerContext } from '../../crypto/open-signer.js';
import { expectKey } from '../../crypto/signer.js';
import { CancelledError, InputError, SignerError } from '../../errors.js';
import { parseJson, type JsonObject } from '../../metadata/json.js';
import { keyOwner } from '../../metadata/key-owner.js';
import { computeKeyId, verifySignature, type TufKey } from '../../metadata/keys.js';
import type { Metadata, ParsedMetadata, Root, Signed, TopLevelRole } from '../../metadata/model.js';
import { MAX_ROOT_BYTES, parseMetadata } from '../../metadata/parse.js';
import { serializeMetadata } from '../../metadata/serialize.js';
import { decodeKeyCached } from '../../metadata/verify.js';
import { writeFileAtomic } from '../../store/atomic.js';
import { readBoundedFile } from '../../store/metadata-dir.js';
import { workspaceContaining } from '../../store/workspace.js';
import type { Prompter } from '../../ui/prompts.js';
import { showText } from '../../ui/escape.js';
import { COLOR, deviceText, PLAIN } from '../../ui/render.js';
import { minExpiryDays } from '../review-options.js';
import { showReview } from '../review-screen.js';
import type { GlobalOptions, Io } from '../io.js';
import { readPublicKeyArg } from './context.js';
import { signerContext } from '../secrets.js';

export interface SignOptions {
  readonly key: string;
  readonly pub?: string;
  readonly out?: string;
  readonly trustedRoot?: string;
  readonly passphraseFile?: string;
  /** The whole review at once, without a pager. */
  readonly full?: boolean;
}

/** What is about to be signed, from a request or a metadata file. */
interface Target {
  readonly kind: 'request' | 'metadata';
  readonly role: TopLevelRole;
  readonly signed: Signed;
  readonly signedBytes: Uint8Array;
  readonly signedSha256: string;
  readonly trustedRoot: Root | null;
  readonly eligible: ReadonlyMap<string, TufKey>;
  readonly keyholders: { readonly [keyid: string]: string };
  readonly legacy: readonly string[];
  readonly metadata?: ParsedMetadata;
}

function readTrustedRoot(path: string, io: Io): ParsedMetadata<Root> {
  return parseMetadata(readBoundedFile(resolve(io.cwd, path), MAX_ROOT_BYTES), path, 'root');
}

function fromRequest(checked: CheckedRequest): Target {
  return {
    kind: 'request',
    role: checked.role,
    signed: checked.signed,
    signedBytes: checked.signedBytes,
    signedSha256: checked.signedSha256,
    trustedRoot: checked.trustedRoot?.signed ?? null,
    eligible: checked.eligible,
    keyholders: checked.request.keyholders,
    legacy: checked.legacy,
  };
}

function fromMetadata(md: ParsedMetadata, file: string, trusted: ParsedMetadata<Root> | null): Target {
  const role = md.signed._type;
  if (role !== 'root' && trusted === null) {
    throw new InputError(`${file}: to sign ${role} metadata, give --trusted-root FILE: the root that says which keys may sign ${role}`, { file, field: '--trusted-root' });
  }
  if (role === 'root' && trusted !== null && md.signed.version !== trusted.signed.version + 1) {
    throw new InputError(
      `${file}: signed.version: is ${String(md.signed.version)} but the trusted root is version ${String(trusted.signed.version)}: a new root must be exactly version ${String(trusted.signed.version + 1)}`,
      { file, field: 'signed.version' }
    );
  }
  return {
    kind: 'metadata',
    role,
    signed: md.signed,
    signedBytes: md.signedBytes,
    signedSha256: sha256Hex(md.signedBytes),
    trustedRoot: trusted?.signed ?? null,
    eligible: eligibleKeys(md.signed, trusted?.signed ?? null),
    keyholders: {},
    legacy: md.legacy,
    metadata: md,
  };
}

/** The signing key as known before any secret is asked. */
interface SigningKey {
  readonly name: string;
  readonly keyid: string;
  readonly key: TufKey;
}

/**
 * The public key KEYREF signs with, read without a secret: for a token, from
 * the token itself (public key object or certificate; a missing token is
 * reported here, before the review) and checked against `--pub` when given;
 * for a key file, `--pub`, else `X.pub.json` beside `X.key`.
 */
async function signingKeyFor(opts: SignOptions, target: Target, io: Io, ctx: SignerContext): Promise<SigningKey> {
  if (isTokenReference(opts.key)) {
    const onToken = await readPublicKey(opts.key, ctx);
    const pub = opts.pub === undefined ? undefined : readPublicKeyArg(opts.pub, io);
    if (onToken === undefined) throw new InputError(`--key: ${opts.key.slice(0, 60)} names no key on a token`, { field: '--key' });
    const keyid = computeKeyId(onToken);
    if (pub !== undefined && pub.keyid !== keyid) {
      throw new InputError(`--pub: ${opts.pub ?? ''} is key ${pub.keyid} (${pub.name}), but the token holds key ${keyid}; nothing was signed and no PIN was asked`, {
        field: '--pub',
        hint: 'check that the right token is plugged in and the URI names the right key',
      });
    }
    const listed = eligibleKeyId(target, { keyid, key: onToken });
    const name = pub?.name ?? (listed === undefined ? undefined : target.keyholders[listed]) ?? `token-${keyid.slice(0, 8)}`;
    return { name, keyid, key: onToken };
  }
  let path = opts.pub;
  if (path === undefined) {
    const candidate = join(dirname(opts.key), `${basename(opts.key).replace(/\.key$/, '')}.pub.json`);
    if (existsSync(resolve(io.cwd, candidate))) path = candidate;
  }
  if (path === undefined) {
    throw new InputError(
      `--pub: no public key file beside ${opts.key}; give --pub NAME.pub.json, so that the key is checked against the request before the passphrase is asked`,
      { field: '--pub' }
    );
  }
  return readPublicKeyArg(path, io);
}

/** The key ID under which the draft's rules list this public key (it may be a legacy key ID). */
function eligibleKeyId(target: Target, pub: Pick<SigningKey, 'keyid' | 'key'>): string | undefined {
  if (target.eligible.has(pub.keyid)) return pub.keyid;
  return keyIdsListing(target.eligible, pub.key)[0];
}

/** Refuses to write signed metadata into a workspace: `collect` adds signatures there, with an audit entry. */
function refuseWorkspaceFile(path: string, shown: string): void {
  const ws = workspaceContaining(dirname(path));
  if (ws === null) return;
  throw new InputError(`${shown}: is inside the ceremony workspace ${ws}; sign never writes into a workspace (nothing was signed)`, {
    file: shown,
    hint: 'sign the signing request instead (`tuf-ceremony request ROLE` there), or give --out FILE outside the workspace, and add the signature with `tuf-ceremony collect FILE`',
  });
}

/** `sign FILE --key KEYREF [--pub F] [--out F] [--trusted-root F] [--yes]` */
export async function runSign(file: string, opts: SignOptions, global: GlobalOptions, io: Io, prompter: Prompter | null): Promise<number> {
  const nowMs = io.now();
  const bytes = readBoundedFile(resolve(io.cwd, file), MAX_REQUEST_BYTES);
  const trusted = opts.trustedRoot === undefined ? null : readTrustedRoot(opts.trustedRoot, io);
  const json = parseJson(bytes, file, { maxBytes: MAX_REQUEST_BYTES });
  const isRequest = typeof json === 'object' && json !== null && !Array.isArray(json) && Object.hasOwn(json, 'format');
  const target = isRequest
    ? fromRequest(parseRequest(bytes, file, trusted === null ? {} : { trustedRoot: trusted }))
    : fromMetadata(parseMetadata(bytes, file), file, trusted);

  // A workspace changes only through its own commands, each with its audit entry.
  if (target.kind === 'metadata') refuseWorkspaceFile(resolve(io.cwd, opts.out ?? file), opts.out === undefined ? file : opts.out);

  // The key must be allowed to sign before any secret is asked.
  const ctx = signerContext(io, prompter, opts.passphraseFile);
  const pub = await signingKeyFor(opts, target, io, ctx);
  const keyid = eligibleKeyId(target, pub);
  if (keyid === undefined) {
    const who = [...target.eligible.keys()].map((k) => `${target.keyholders[k] ?? '?'} (${k.slice(0, 8)})`).join(', ');
    throw new InputError(
      `${opts.pub ?? opts.key}: key ${pub.keyid} (${pub.name}) may not sign ${target.role} version ${String(target.signed.version)}; nothing was signed and no secret was asked`,
      { field: '--key', hint: `the keys that may sign: ${who || 'none'}` }
    );
  }

  // Names: bound in the signed key objects, or the keyholder's own (their key file); the request's map is an unbound label.
  const review = buildReview({
    role: target.role,
    draft: target.signed,
    previous: target.role === 'root' ? target.trustedRoot : null,
    keyholders: { [keyid]: pub.name },
    labels: target.keyholders,
    nowMs,
    trustedRoot: target.trustedRoot,
    ...minExpiryDays(io),
  });
  showReview(review, io, {
    full: opts.full === true,
    write: global.json ? io.stderr : io.stdout,
    style: global.color ? COLOR : PLAIN,
    interactive: io.isTTY && prompter !== null && !global.json,
    header: [target.kind === 'metadata' ? `File: ${showText(file)} (plain metadata: the signature will be appended to it)` : `Request: ${showText(file)}`],
    footer: [
      ...target.legacy.map((l) => `note: older format: ${showText(l)}`),
      `Signing key: ${pub.name}, key ${keyid}${
        keyid === pub.keyid
          ? ''
          : keyOwner(target.eligible.get(keyid)) === pub.name
            ? ` (your key with your name bound in it; your key file's own ID is ${pub.keyid})`
            : ` (listed under this key ID; your key file says ${pub.keyid})`
      }`,
    ],
  });

  if (!global.yes) {
    if (prompter === null) {
      throw new InputError('confirmation needed: read the review above and run again with --yes to sign without a prompt', { field: '--yes' });
    }
    const ok = await prompter.confirm(`Sign ${target.role} version ${String(target.signed.version)}, SHA-256 ${groupedHash(target.signedSha256)}, as ${pub.name}?`, false);
    if (!ok) throw new CancelledError('not signed: the keyholder declined');
  }

  const signer = expectKey(await openSigner(opts.key, ctx), pub.key);
  let sig: string;
  try {
    sig = await signer.sign(target.signedBytes);
  } finally {
    await signer.close();
  }
  const eligibleKey = target.eligible.get(keyid);
  if (eligibleKey === undefined || !verifySignature(decodeKeyCached(eligibleKey), sig, target.signedBytes)) {
    throw new SignerError(`the new signature does not verify with key ${keyid} over the bytes shown; nothing was written`);
  }

  let outPath: string;
  let written: Uint8Array;
  if (target.kind === 'request') {
    outPath = opts.out ?? `${target.role}-v${String(target.signed.version)}-${target.signedSha256.slice(0, 12)}.${pub.name}.sig.json`;
    const sf = makeSignatureFile({
      role: target.role,
      version: target.signed.version,
      signedSha256: target.signedSha256,
      keyid,
      sig,
      keyholder: pub.name,
      signedAtMs: nowMs,
      device: signer.device as unknown as JsonObject,
    });
    written = serializeSignatureFile(sf, outPath);
    await writeFileAtomic(resolve(io.cwd, outPath), written, { exclusive: true });
  } else {
    const md = target.metadata as ParsedMetadata;
    const others = md.signatures.filter((s) => s.keyid !== keyid);
    const next: Metadata = { signed: md.signed, signatures: [...others, { keyid, sig }] };
    outPath = opts.out ?? file;
    written = serializeMetadata(next, outPath);
    // Another tool's metadata is rewritten in our form only when its signed part is canonical-equal.
    if (!Buffer.from(parseMetadata(written, outPath).signedBytes).equals(Buffer.from(target.signedBytes))) {
      throw new SignerError(`${file}: the metadata would change when written back; nothing was written`, { file });
    }
    await writeFileAtomic(resolve(io.cwd, outPath), written, { exclusive: opts.out !== undefined });
  }
  const result = {
    ok: true,
    role: target.role,
    version: target.signed.version,
    signedSha256: target.signedSha256,
    keyid,
    keyholder: pub.name,
    device: signer.device,
    out: outPath,
    outSha256: sha256Hex(written),
  };
  if (global.json) io.stdout(JSON.stringify(result, null, 2) + '\n');
  else {
    io.stdout(`signed ${target.role} version ${String(target.signed.version)} with key ${keyid} (${pub.name}); the signature verifies\n`);
    io.stdout(`device: ${deviceText(signer.device)}\n`);
    io.stdout(`${target.kind === 'request' ? 'signature file' : 'metadata'} written: ${outPath} (SHA-256 ${result.outSha256})\n`);
    if (target.kind === 'request') io.stdout('carry it back to the coordinator: tuf-ceremony collect ' + basename(outPath) + '\n');
  }
  return 0;
}
