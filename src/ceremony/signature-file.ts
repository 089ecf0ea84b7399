// SPDX-License-Identifier: Apache-2.0
/**
 * Signature files (`tuf-ceremony/signature/v1`, docs/formats.md): what an
 * offline signer brings back, and the collection of signatures into a draft.
 *
 * A signature is only meaningful against the exact canonical bytes it was
 * made over, so collection verifies every incoming signature against the
 * draft's bytes and the eligible key before keeping it; nothing is taken on
 * the word of the file that carries it.
 *
 * Pure: bytes in, objects out; times are passed in.
 */
import { canonicalBytes } from '../metadata/canonical.js';
import { formatExpires, isStrictExpires } from '../metadata/expires.js';
import { parseJson, type JsonObject } from '../metadata/json.js';
import type { TufKey } from '../metadata/keys.js';
import { verifyAgreed } from '../metadata/second-verifier.js';
import { own, TOP_LEVEL_ROLES, type Signature, type Signed, type TopLevelRole } from '../metadata/model.js';
import { Guard } from '../metadata/parse.js';
import { KEYHOLDER_NAME } from '../metadata/public-key-file.js';
import { stringifySorted } from '../metadata/serialize.js';
import { decodeKeyCached } from '../metadata/verify.js';
import { sha256Hex } from './request.js';

export const SIGNATURE_FORMAT = 'tuf-ceremony/signature/v1';

/** Signature files larger than this are refused. */
export const MAX_SIGNATURE_FILE_BYTES = 64 * 1024;

/** A detached signature over one draft's canonical bytes. */
export interface SignatureFile {
  readonly format: typeof SIGNATURE_FORMAT;
  readonly role: TopLevelRole;
  readonly version: number;
  /** Lowercase hex SHA-256 of the canonical bytes that were signed. */
  readonly signed_sha256: string;
  readonly keyid: string;
  /** Lowercase hex signature (ECDSA as DER). */
  readonly sig: string;
  /** The keyholder's name. */
  readonly keyholder: string;
  /** When it was signed, `YYYY-MM-DDTHH:MM:SSZ` (the signer's clock). */
  readonly signed_at: string;
  /** The device that holds the key, as in the public key file (`backend`, `model`, `serial`…). */
  readonly device: JsonObject;
}

export interface MakeSignatureFileArgs {
  readonly role: TopLevelRole;
  readonly version: number;
  readonly signedSha256: string;
  readonly keyid: string;
  readonly sig: string;
  readonly keyholder: string;
  readonly signedAtMs: number;
  readonly device: JsonObject;
}

const FIELDS: readonly string[] = ['format', 'role', 'version', 'signed_sha256', 'keyid', 'sig', 'keyholder', 'signed_at', 'device'];
const SHA256_HEX = /^[0-9a-f]{64}$/;
const LOWER_HEX = /^(?:[0-9a-f]{2})+$/;

export function makeSignatureFile(args: MakeSignatureFileArgs): SignatureFile {
  return {
    format: SIGNATURE_FORMAT,
    role: args.role,
    version: args.version,
    signed_sha256: args.signedSha256,
    keyid: args.keyid,
    sig: args.sig,
    keyholder: args.keyholder,
    signed_at: formatExpires(args.signedAtMs),
    device: args.device,
  };
}

/**
 * The file bytes of a signature file (sorted, indented JSON), checked by
 * reading them back with {@link parseSignatureFile}.
 * @throws InputError when a field would not pass the reader's checks
 */
export function serializeSignatureFile(sf: SignatureFile, file = 'signature file'): Uint8Array {
  const bytes = Buffer.from(stringifySorted(sf, file), 'utf8');
  parseSignatureFile(bytes, file);
  return bytes;
}

/**
 * Reads a signature file strictly. Does not judge the signature: that needs
 * the draft's bytes, see {@link collectSignatures}.
 * @throws InputError (exit 2) naming the file and the field
 */
export function parseSignatureFile(bytes: Uint8Array, file: string): SignatureFile {
  const g: Guard = new Guard(file);
  const o = g.object(parseJson(bytes, file, { maxBytes: MAX_SIGNATURE_FILE_BYTES }), []);
  for (const k of Object.keys(o)) if (!FIELDS.includes(k)) g.fail([k], 'unknown field');
  if (o['format'] !== SIGNATURE_FORMAT) g.fail(['format'], `must be "${SIGNATURE_FORMAT}" (got ${JSON.stringify(o['format'] ?? null)})`);
  const role = g.string(o['role'], ['role']);
  if (!(TOP_LEVEL_ROLES as readonly string[]).includes(role)) g.fail(['role'], `"${role}" is not one of ${TOP_LEVEL_ROLES.join(', ')}`);
  g.integer(o['version'], ['version'], 1);
  if (!SHA256_HEX.test(g.string(o['signed_sha256'], ['signed_sha256']))) {
    g.fail(['signed_sha256'], 'must be 64 lowercase hex characters');
  }
  if (!SHA256_HEX.test(g.string(o['keyid'], ['keyid']))) g.fail(['keyid'], 'must be 64 lowercase hex characters');
  if (!LOWER_HEX.test(g.string(o['sig'], ['sig']))) g.fail(['sig'], 'must be a non-empty lowercase hex string');
  const name = g.string(o['keyholder'], ['keyholder']);
  if (!KEYHOLDER_NAME.test(name)) g.fail(['keyholder'], `"${name}" is not a valid keyholder name (1 to 64 of a-z 0-9 . _ -, ASCII only)`);
  const at = g.string(o['signed_at'], ['signed_at']);
  if (!isStrictExpires(at)) g.fail(['signed_at'], 'must be a date-time such as 2026-11-23T10:00:00Z');
  g.object(o['device'], ['device']);
  return o as unknown as SignatureFile;
}

/** Signatures from one source (a signature file, or another copy of the metadata). */
export interface IncomingSignatures {
  /** The file they came from, named in every note and rejection. */
  readonly source: string;
  readonly sigs: readonly Signature[];
  /** The SHA-256 the source says it signed; compared with the draft's. */
  readonly signedSha256?: string;
  /** The role and version the source says it signed (signature files). */
  readonly role?: string;
  readonly version?: number;
  /** The keyholder the source names (signature files). */
  readonly keyholder?: string;
}

export interface CollectedNote {
  readonly source: string;
  readonly keyid: string;
  readonly keyholder?: string;
  /** The name the signature file claims, when it is not the registry's name for the key. */
  readonly claimedKeyholder?: string;
  readonly note: string;
}

export interface RejectedSignature {
  readonly source: string;
  readonly keyid: string;
  readonly keyholder?: string;
  readonly claimedKeyholder?: string;
  readonly reason: string;
}

export interface CollectResult {
  /** The draft's signatures with the new valid ones: existing entries first, in order. */
  readonly signatures: readonly Signature[];
  /** Valid signatures kept; `replaced` when they replace an invalid or empty entry of the draft. */
  readonly added: readonly { readonly source: string; readonly keyid: string; readonly keyholder?: string; readonly claimedKeyholder?: string; readonly replaced: boolean }[];
  /** Valid signatures ignored because the key already has a valid one. */
  readonly duplicates: readonly CollectedNote[];
  readonly rejected: readonly RejectedSignature[];
  /** SHA-256 of the draft's canonical bytes. */
  readonly signedSha256: string;
}

/** The incoming form of a signature file. */
export function incomingFromSignatureFile(sf: SignatureFile, source: string): IncomingSignatures {
  return {
    source,
    sigs: [{ keyid: sf.keyid, sig: sf.sig }],
    signedSha256: sf.signed_sha256,
    role: sf.role,
    version: sf.version,
    keyholder: sf.keyholder,
  };
}

/**
 * The incoming form of another copy of the metadata (signed by tuftool,
 * python-tuf, another workspace): its signatures, with the hash of its own
 * canonical `signed`, so a copy with other content is rejected.
 */
export function incomingFromMetadata(
  md: { readonly signed: Signed; readonly signatures: readonly Signature[]; readonly signedBytes?: Uint8Array },
  source: string
): IncomingSignatures {
  return {
    source,
    sigs: md.signatures,
    signedSha256: sha256Hex(md.signedBytes ?? canonicalBytes(md.signed)),
    role: md.signed._type,
    version: md.signed.version,
  };
}

type KeyLookup = ReadonlyMap<string, TufKey> | { readonly [keyid: string]: TufKey };

function lookup(keys: KeyLookup, keyid: string): TufKey | undefined {
  return keys instanceof Map ? (keys as ReadonlyMap<string, TufKey>).get(keyid) : own(keys as { readonly [keyid: string]: TufKey }, keyid);
}

/**
 * Merges signatures into a draft. Each incoming signature is checked in this
 * order, and only a valid one is kept:
 * 1. `"sig": ""` placeholders are skipped (tuftool and tuf-on-ci write them);
 * 2. the source's role, version and `signed_sha256`, when given, must be the
 *    draft's: otherwise it signed other bytes (rejected);
 * 3. the key must be eligible (rejected otherwise);
 * 4. the signature must verify over the draft's canonical bytes with that key
 *    (rejected otherwise);
 * 5. a key that already has a valid signature keeps it (the new one is a
 *    duplicate, noted).
 * Existing draft entries are kept as they are, except that an invalid or empty
 * one is replaced by a valid incoming signature for the same key.
 * @param keyholders the registry's names by key ID: the name shown and logged (a signature file's own `keyholder` only when the registry has none; a different one is flagged as `claimedKeyholder`)
 */
export function collectSignatures(
  draft: { readonly signed: Signed; readonly signatures: readonly Signature[] },
  eligible: KeyLookup,
  incoming: readonly IncomingSignatures[],
  keyholders: { readonly [keyid: string]: string } = {}
): CollectResult {
  const bytes = canonicalBytes(draft.signed);
  const signedSha256 = sha256Hex(bytes);
  const { _type: role, version } = draft.signed;
  const isValid = (keyid: string, sig: string): boolean => {
    const key = lookup(eligible, keyid);
    // Kept only when OpenSSL and @noble agree (a disagreement stops the collect).
    return key !== undefined && verifyAgreed(decodeKeyCached(key), sig, bytes, `the signature of key ${keyid} over ${role} version ${String(version)}`);
  };

  const signatures: Signature[] = [...draft.signatures];
  const validKeyids = new Set(signatures.filter((s) => isValid(s.keyid, s.sig)).map((s) => s.keyid));
  const added: { source: string; keyid: string; keyholder?: string; claimedKeyholder?: string; replaced: boolean }[] = [];
  const duplicates: CollectedNote[] = [];
  const rejected: RejectedSignature[] = [];

  for (const inc of incoming) {
    const sourceProblem =
      inc.role !== undefined && inc.role !== role
        ? `it is for ${inc.role} version ${String(inc.version ?? '?')}, the draft is ${role} version ${String(version)}`
        : inc.version !== undefined && inc.version !== version
          ? `it is for ${role} version ${String(inc.version)}, the draft is version ${String(version)}`
          : inc.signedSha256 !== undefined && inc.signedSha256.toLowerCase() !== signedSha256
            ? `it signed bytes with SHA-256 ${inc.signedSha256}, the draft's canonical bytes hash to ${signedSha256} (an older draft, or another request)`
            : undefined;
    for (const s of inc.sigs) {
      if (s.sig === '') continue;
      // The registry names the signer; a name the file claims is only reported, and flagged when it differs.
      const registered = own(keyholders, s.keyid);
      const name = registered ?? inc.keyholder;
      const claimed = inc.keyholder !== undefined && registered !== undefined && inc.keyholder !== registered ? { claimedKeyholder: inc.keyholder } : {};
      const who = name === undefined ? claimed : { keyholder: name, ...claimed };
      const reject = (reason: string): void => {
        rejected.push({ source: inc.source, keyid: s.keyid, ...who, reason });
      };
      if (sourceProblem !== undefined) {
        reject(`signature over other bytes: ${sourceProblem}`);
        continue;
      }
      if (lookup(eligible, s.keyid) === undefined) {
        reject(`key ${s.keyid} may not sign ${role} version ${String(version)}: it is not one of the eligible keys`);
        continue;
      }
      if (!isValid(s.keyid, s.sig)) {
        reject(`the signature does not verify over the draft's canonical bytes (SHA-256 ${signedSha256}) with key ${s.keyid}`);
        continue;
      }
      if (validKeyids.has(s.keyid)) {
        duplicates.push({ source: inc.source, keyid: s.keyid, ...who, note: 'this key already has a valid signature on the draft; ignored' });
        continue;
      }
      const at = signatures.findIndex((x) => x.keyid === s.keyid);
      if (at === -1) signatures.push({ keyid: s.keyid, sig: s.sig });
      else signatures[at] = { keyid: s.keyid, sig: s.sig };
      validKeyids.add(s.keyid);
      added.push({ source: inc.source, keyid: s.keyid, ...who, replaced: at !== -1 });
    }
  }
  return { signatures, added, duplicates, rejected, signedSha256 };
}
