// SPDX-License-Identifier: Apache-2.0
/**
 * Signing requests (`tuf-ceremony/signing-request/v1`, docs/formats.md): the
 * self-contained file carried to an offline signer. It holds the draft's
 * `signed` object, the SHA-256 of its canonical bytes, the currently trusted
 * root (a full envelope) and the key IDs that may sign.
 *
 * The signer's side trusts none of it on its word: `parseRequest` re-parses
 * the draft as metadata, recomputes the hash, checks that the trusted root is
 * signed by a threshold of its own root keys and that a root draft is exactly
 * its next version, and recomputes who may sign from the roots themselves, so
 * a forged `eligible_keyids` cannot make a keyholder sign.
 *
 * Pure: bytes in, checked objects out; times are passed in.
 */
import { fieldError, InputError, tamperError } from '../errors.js';
import { canonicalBytes } from '../metadata/canonical.js';
import { formatExpires, isStrictExpires } from '../metadata/expires.js';
import { formatPath, parseJson, type JsonObject } from '../metadata/json.js';
import { verifySignature, type TufKey } from '../metadata/keys.js';
import {
  own,
  TOP_LEVEL_ROLES,
  type Metadata,
  type ParsedMetadata,
  type Root,
  type RoleKeys,
  type Signed,
  type SignedByType,
  type TopLevelRole,
} from '../metadata/model.js';
import { Guard, MAX_ROOT_BYTES, parseMetadata } from '../metadata/parse.js';
import { KEYHOLDER_NAME } from '../metadata/public-key-file.js';
import { stringifySorted } from '../metadata/serialize.js';
import { sha256Hex } from '../metadata/sha256.js';
import { decodeKeyCached, verifyThreshold } from '../metadata/verify.js';

export const REQUEST_FORMAT = 'tuf-ceremony/signing-request/v1';

/** Requests larger than this are refused (a root is at most 512,000 bytes; targets may be larger). */
export const MAX_REQUEST_BYTES = 8 * 1024 * 1024;

/** A signing request as written to a file. */
export interface SigningRequest {
  readonly format: typeof REQUEST_FORMAT;
  readonly role: TopLevelRole;
  /** Equals `signed.version`. */
  readonly version: number;
  /** The draft's `signed` object: what is signed (as canonical JSON). */
  readonly signed: Signed;
  /** Lowercase hex SHA-256 of `canonical(signed)`. */
  readonly signed_sha256: string;
  /** The currently trusted root; null only in a request for root version 1. */
  readonly trusted_root: Metadata<Root> | null;
  /** Key IDs allowed to sign (see {@link eligibleKeys}). */
  readonly eligible_keyids: readonly string[];
  /** Keyholder names by key ID, for display only: not signed, not trusted. */
  readonly keyholders: { readonly [keyid: string]: string };
  /** When the request was made, `YYYY-MM-DDTHH:MM:SSZ`. */
  readonly created: string;
  /** The workspace (repository) name, for display. */
  readonly workspace: string;
}

/** A request that passed every check of {@link parseRequest}. */
export interface CheckedRequest {
  readonly file: string;
  readonly request: SigningRequest;
  readonly role: TopLevelRole;
  readonly signed: Signed;
  /** `canonical(signed)`: the exact bytes a signature covers. */
  readonly signedBytes: Buffer;
  /** Lowercase hex SHA-256 of {@link signedBytes}. */
  readonly signedSha256: string;
  /** `signed.expires` in milliseconds since the epoch. */
  readonly expiresAt: number;
  /** The trusted root, parsed and self-verified; null for root version 1. */
  readonly trustedRoot: ParsedMetadata<Root> | null;
  /** SHA-256 of the trusted root's canonical `signed` bytes (null for root v1). */
  readonly trustedRootSha256: string | null;
  /** Who may sign, recomputed from the roots: key ID → key. */
  readonly eligible: ReadonlyMap<string, TufKey>;
  /** Older formats found in the draft or the trusted root, for warnings. */
  readonly legacy: readonly string[];
}

/** What the signer already knows, checked against the request. */
export interface RequestExpectations {
  /** The role the signer means to sign. */
  readonly role?: TopLevelRole;
  /** The version the signer was told to expect. */
  readonly version?: number;
  /** The SHA-256 of the canonical bytes, when it was given out of band. */
  readonly signedSha256?: string;
  /**
   * A root the signer already trusts (e.g. `--trusted-root`): the request's
   * `trusted_root` must be this very root (same canonical `signed`).
   */
  readonly trustedRoot?: { readonly signed: Root };
}

export interface MakeRequestArgs {
  /** The draft's `signed` object. */
  readonly signed: Signed;
  /** The currently trusted root envelope; null only for root version 1. */
  readonly trustedRoot: Metadata<Root> | null;
  /** Keyholder names by key ID; entries for keys the request does not mention are left out. */
  readonly keyholders: { readonly [keyid: string]: string };
  readonly createdMs: number;
  readonly workspace: string;
}

const FIELDS: readonly string[] = [
  'format',
  'role',
  'version',
  'signed',
  'signed_sha256',
  'trusted_root',
  'eligible_keyids',
  'keyholders',
  'created',
  'workspace',
];

const SHA256_HEX = /^[0-9a-f]{64}$/;
/** 1 to 128 characters, none a control character (C0, DEL, C1): the name is printed to the terminal. */
function isWorkspaceName(name: string): boolean {
  if (name.length === 0 || name.length > 128 || !name.isWellFormed()) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return false;
  }
  return true;
}

/** Lowercase hex SHA-256 (the one helper, metadata/sha256.ts). */
export { sha256Hex };

function addRoleKeys(
  out: Map<string, TufKey>,
  role: RoleKeys | undefined,
  keys: { readonly [keyid: string]: TufKey }
): void {
  for (const keyid of role?.keyids ?? []) {
    const key = own(keys, keyid);
    if (key !== undefined && !out.has(keyid)) out.set(keyid, key);
  }
}

/**
 * Who may sign a draft, by the client rules (tuf-crib §8):
 * - root: the trusted root's root keys (old threshold) and the draft's own
 *   root keys (new threshold); for root version 1, the draft's root keys;
 * - any other top-level role: the trusted root's keys for that role.
 * Key IDs listed without a key object are left out: they can never count.
 */
export function eligibleKeys(signed: Signed, trustedRoot: Root | null): Map<string, TufKey> {
  const out = new Map<string, TufKey>();
  if (trustedRoot !== null) addRoleKeys(out, own(trustedRoot.roles, signed._type), trustedRoot.keys);
  if (signed._type === 'root') addRoleKeys(out, own(signed.roles, 'root'), signed.keys);
  return out;
}

/** Every key ID the request can mention: the key maps of the trusted root and the draft. */
function knownKeyIds(signed: Signed, trustedRoot: Root | null): Set<string> {
  const ids = new Set<string>(trustedRoot === null ? [] : Object.keys(trustedRoot.keys));
  if (signed._type === 'root') for (const k of Object.keys(signed.keys)) ids.add(k);
  if (signed._type === 'targets') for (const k of Object.keys(signed.delegations?.keys ?? {})) ids.add(k);
  return ids;
}

/**
 * Builds a signing request. Does not check it: {@link serializeRequest} does,
 * with the reader's checks, before any byte is written.
 */
export function makeRequest(args: MakeRequestArgs): SigningRequest {
  const { signed, trustedRoot } = args;
  const trusted = trustedRoot === null ? null : trustedRoot.signed;
  const known = knownKeyIds(signed, trusted);
  const keyholders: Record<string, string> = {};
  for (const keyid of Object.keys(args.keyholders).sort()) {
    const name = own(args.keyholders, keyid);
    if (name !== undefined && known.has(keyid)) keyholders[keyid] = name;
  }
  return {
    format: REQUEST_FORMAT,
    role: signed._type,
    version: signed.version,
    signed,
    signed_sha256: sha256Hex(canonicalBytes(signed)),
    // Only the envelope: a ParsedMetadata also carries its bytes and file name.
    trusted_root: trustedRoot === null ? null : { signed: trustedRoot.signed, signatures: trustedRoot.signatures },
    eligible_keyids: [...eligibleKeys(signed, trusted).keys()],
    keyholders,
    created: formatExpires(args.createdMs),
    workspace: args.workspace,
  };
}

/**
 * The file bytes of a request (sorted, indented JSON), checked by reading
 * them back with {@link parseRequest}.
 * @param file the name used in error messages
 * @throws InputError when the request would not pass the reader's checks
 */
export function serializeRequest(req: SigningRequest, file = 'signing request'): Uint8Array {
  const bytes = Buffer.from(stringifySorted(req, file), 'utf8');
  parseRequest(bytes, file);
  return bytes;
}

/** Joins a prefix path and a field path produced by the metadata parser. */
function joinField(prefix: readonly (string | number)[], field: string): string {
  const head = formatPath(prefix);
  if (field === '') return head;
  if (head === '') return field;
  return field.startsWith('[') ? head + field : `${head}.${field}`;
}

/**
 * Parses a metadata envelope embedded in the request, re-basing error field
 * paths under `prefix` so they name the request's own fields.
 */
function parseEmbedded<T extends TopLevelRole>(
  g: Guard,
  envelope: JsonObject,
  prefix: readonly (string | number)[],
  role: T
): ParsedMetadata<SignedByType[T]> {
  const bytes = Buffer.from(JSON.stringify(envelope), 'utf8');
  if (role === 'root' && bytes.length > MAX_ROOT_BYTES) {
    g.fail(
      prefix.length === 0 ? ['signed'] : prefix,
      `holds ${String(bytes.length)} bytes of root metadata, more than the ${String(MAX_ROOT_BYTES)} clients accept`
    );
  }
  try {
    return parseMetadata(bytes, g.file, role);
  } catch (e) {
    if (!(e instanceof InputError) || e.file !== g.file) throw e;
    const field = e.field ?? '';
    const head = field === '' ? `${g.file}: ` : `${g.file}: ${field}: `;
    const problem = e.message.startsWith(head) ? e.message.slice(head.length) : e.message;
    throw fieldError(g.file, joinField(prefix, field), problem);
  }
}

/**
 * Checks a draft beyond the metadata format: thresholds that can be met,
 * role key IDs that have a key, no public key under two key IDs in a role.
 */
function checkDraft(g: Guard, signed: Signed): void {
  const checkRole = (
    role: RoleKeys,
    keys: { readonly [keyid: string]: TufKey },
    path: readonly (string | number)[],
    keysPath: string
  ): void => {
    const seen = new Map<string, string>();
    role.keyids.forEach((keyid, i) => {
      const key = own(keys, keyid);
      if (key === undefined) g.fail([...path, 'keyids', i], `key ${keyid} is not in ${keysPath}`);
      const d = decodeKeyCached(key);
      if (d.$case !== 'supported') return;
      const other = seen.get(d.fingerprint);
      if (other !== undefined) {
        g.fail([...path, 'keyids', i], `key ${keyid} is the same public key as ${other}: one key must not count twice`);
      }
      seen.set(d.fingerprint, keyid);
    });
    if (role.threshold > role.keyids.length) {
      g.fail(
        [...path, 'threshold'],
        `is ${String(role.threshold)} but only ${String(role.keyids.length)} keys are listed: it can never be met`
      );
    }
  };
  if (signed._type === 'root') {
    for (const name of Object.keys(signed.roles)) {
      const role = own(signed.roles, name);
      if (role !== undefined) checkRole(role, signed.keys, ['signed', 'roles', name], 'signed.keys');
    }
  }
  if (signed._type === 'targets' && signed.delegations !== undefined) {
    const d = signed.delegations;
    const base = ['signed', 'delegations'];
    d.roles?.forEach((r, i) => {
      checkRole(r, d.keys, [...base, 'roles', i], 'signed.delegations.keys');
    });
    if (d.succinct_roles !== undefined) checkRole(d.succinct_roles, d.keys, [...base, 'succinct_roles'], 'signed.delegations.keys');
  }
}

/** The request was altered (or forged): exit 1, naming the file and the field. */
function tampered(g: Guard, path: readonly (string | number)[], problem: string): never {
  throw tamperError(g.file, formatPath(path), problem);
}

/**
 * Reads a signing request strictly and checks everything the signer relies on.
 * @param bytes the file's exact bytes
 * @param file the name used in error messages
 * @param expectations what the signer already knows (role, version, hash, trusted root)
 * @throws InputError (exit 2) naming the file and the field: malformed JSON,
 *   unknown or missing fields, an invalid draft, a root draft that is not the
 *   trusted root's next version, a file over 8 MiB.
 * @throws VerificationError (exit 1) naming the file and the field when the
 *   request was altered: a hash that does not match the draft (or the one you
 *   were given), a version or role other than stated or expected, a trusted
 *   root that is not self-signed or not the root you trust, key IDs listed
 *   as eligible that the rules do not allow (or allowed keys left out).
 */
export function parseRequest(bytes: Uint8Array, file: string, expectations: RequestExpectations = {}): CheckedRequest {
  const g: Guard = new Guard(file);
  const o = g.object(parseJson(bytes, file, { maxBytes: MAX_REQUEST_BYTES }), []);
  for (const k of Object.keys(o)) if (!FIELDS.includes(k)) g.fail([k], 'unknown field (the request was not made by this version of tuf-ceremony, or was altered)');
  if (o['format'] !== REQUEST_FORMAT) g.fail(['format'], `must be "${REQUEST_FORMAT}" (got ${JSON.stringify(o['format'] ?? null)})`);

  const roleName = g.string(o['role'], ['role']);
  if (!(TOP_LEVEL_ROLES as readonly string[]).includes(roleName)) {
    g.fail(['role'], `"${roleName}" is not one of ${TOP_LEVEL_ROLES.join(', ')}`);
  }
  const role = roleName as TopLevelRole;
  if (expectations.role !== undefined && role !== expectations.role) {
    tampered(g, ['role'], `is "${role}" where a "${expectations.role}" request is expected`);
  }
  const version = g.integer(o['version'], ['version'], 1);

  // The draft: valid metadata of the stated role.
  const signedObj = g.object(o['signed'], ['signed']);
  const draft = parseEmbedded(g, { signed: signedObj, signatures: [] }, [], role);
  const signed = draft.signed;
  if (version !== signed.version) {
    tampered(g, ['version'], `is ${String(version)} but signed.version is ${String(signed.version)}`);
  }
  if (expectations.version !== undefined && version !== expectations.version) {
    tampered(g, ['version'], `is ${String(version)} where version ${String(expectations.version)} is expected`);
  }

  // The hash of the canonical bytes: the request's identity.
  const claimed = g.string(o['signed_sha256'], ['signed_sha256']);
  if (!SHA256_HEX.test(claimed)) g.fail(['signed_sha256'], 'must be 64 lowercase hex characters');
  const signedSha256 = sha256Hex(draft.signedBytes);
  if (claimed !== signedSha256) {
    tampered(
      g,
      ['signed_sha256'],
      `is ${claimed} but the canonical bytes of "signed" hash to ${signedSha256}: the request was altered after it was made; do not sign it`
    );
  }
  if (expectations.signedSha256 !== undefined && signedSha256 !== expectations.signedSha256.toLowerCase()) {
    tampered(g, ['signed_sha256'], `is ${signedSha256}, not the ${expectations.signedSha256} you were given: do not sign this request`);
  }

  checkDraft(g, signed);

  // The trusted root: self-signed, and for a root draft exactly one version behind.
  let trustedRoot: ParsedMetadata<Root> | null = null;
  const tr = o['trusted_root'];
  if (tr === undefined) g.fail(['trusted_root'], 'the field is missing (it is null only for root version 1)');
  if (tr !== null) {
    trustedRoot = parseEmbedded(g, g.object(tr, ['trusted_root']), ['trusted_root'], 'root');
    const self = verifyThreshold('root', own(trustedRoot.signed.roles, 'root') ?? { keyids: [], threshold: 1 }, trustedRoot.signed.keys, trustedRoot);
    if (!self.met) {
      tampered(
        g,
        ['trusted_root', 'signatures'],
        `the trusted root (version ${String(trustedRoot.signed.version)}) is signed by ${String(self.counted)} of its own root keys where ${String(self.threshold)} are needed: it is not a root anyone can trust`
      );
    }
  }
  if (role === 'root') {
    if (trustedRoot === null && signed.version !== 1) {
      g.fail(['trusted_root'], `is null, which only a request for root version 1 may be (this is version ${String(signed.version)})`);
    }
    if (trustedRoot !== null && signed.version !== trustedRoot.signed.version + 1) {
      g.fail(
        ['signed', 'version'],
        `is ${String(signed.version)} but the trusted root is version ${String(trustedRoot.signed.version)}: a new root must be exactly version ${String(trustedRoot.signed.version + 1)}`
      );
    }
  } else if (trustedRoot === null) {
    g.fail(['trusted_root'], `must be the trusted root for a ${role} request (it names the keys that may sign)`);
  }
  const trustedRootSha256 = trustedRoot === null ? null : sha256Hex(trustedRoot.signedBytes);
  if (expectations.trustedRoot !== undefined) {
    const want = sha256Hex(canonicalBytes(expectations.trustedRoot.signed));
    if (trustedRootSha256 !== want) {
      tampered(
        g,
        ['trusted_root'],
        trustedRoot === null
          ? `is null, but you trust root version ${String(expectations.trustedRoot.signed.version)}`
          : `is root version ${String(trustedRoot.signed.version)} (SHA-256 ${trustedRootSha256 ?? ''}), not the root you trust (version ${String(expectations.trustedRoot.signed.version)}, SHA-256 ${want})`
      );
    }
  }

  // Who may sign: recomputed here, never taken from the file.
  const eligible = eligibleKeys(signed, trustedRoot === null ? null : trustedRoot.signed);
  const listed = g.stringSet(o['eligible_keyids'], ['eligible_keyids'], 'key ID');
  listed.forEach((keyid, i) => {
    if (!eligible.has(keyid)) {
      tampered(
        g,
        ['eligible_keyids', i],
        `lists key ${keyid}, which may not sign ${role} version ${String(signed.version)} by the rules (${role === 'root' ? "the trusted root's and the draft's root keys" : `the trusted root's ${role} keys`}): the request is forged or altered; do not sign it`
      );
    }
  });
  const listedSet = new Set(listed);
  for (const keyid of eligible.keys()) {
    if (!listedSet.has(keyid)) {
      tampered(g, ['eligible_keyids'], `does not list key ${keyid}, which may sign by the rules: the request was altered or made by another tool`);
    }
  }

  // Names: display only, but no look-alikes and only for keys the request mentions.
  const names = g.object(o['keyholders'], ['keyholders']);
  const known = knownKeyIds(signed, trustedRoot === null ? null : trustedRoot.signed);
  for (const keyid of Object.keys(names)) {
    const name = g.string(names[keyid], ['keyholders', keyid]);
    if (!KEYHOLDER_NAME.test(name)) {
      g.fail(['keyholders', keyid], `"${name}" is not a valid keyholder name (1 to 64 of a-z 0-9 . _ -, ASCII only)`);
    }
    if (!known.has(keyid)) g.fail(['keyholders', keyid], 'names a key that is in neither the trusted root nor the draft');
  }

  const created = g.string(o['created'], ['created']);
  if (!isStrictExpires(created)) g.fail(['created'], 'must be a date-time such as 2026-11-23T10:00:00Z');
  const workspace = g.string(o['workspace'], ['workspace']);
  if (!isWorkspaceName(workspace)) g.fail(['workspace'], 'must be 1 to 128 characters without control characters');

  const legacy = [...draft.legacy, ...(trustedRoot?.legacy ?? []).filter((l) => !draft.legacy.includes(l))];
  return {
    file,
    request: o as unknown as SigningRequest,
    role,
    signed,
    signedBytes: draft.signedBytes,
    signedSha256,
    expiresAt: draft.expiresAt,
    trustedRoot,
    trustedRootSha256,
    eligible,
    legacy,
  };
}

/** True when `keyid` may sign the request's draft (by the recomputed rules). */
export function isEligible(checked: Pick<CheckedRequest, 'eligible'>, keyid: string): boolean {
  return checked.eligible.has(keyid);
}

/**
 * True when `sig` (hex) is a valid signature by the eligible key `keyid`
 * over the request's canonical bytes: what `sign` checks right after signing.
 */
export function verifyRequestSignature(
  checked: Pick<CheckedRequest, 'eligible' | 'signedBytes'>,
  keyid: string,
  sig: string
): boolean {
  const key = checked.eligible.get(keyid);
  return key !== undefined && verifySignature(decodeKeyCached(key), sig, checked.signedBytes);
}
