// SPDX-License-Identifier: Apache-2.0
/**
 * Which clients will accept a repository: the rules python-tuf, go-tuf and
 * tuf-js are known to apply where they differ from the specification (and
 * from each other), applied to the files `verify` checks. Each rule has an
 * id, the clients it concerns and where it comes from; docs/client-verdicts.md
 * lists them. Pure: it sees only parsed files and threshold inputs.
 */
import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { isStrictExpires } from '../metadata/expires.js';
import { decodeKeyCached, type SignedPayload, type ThresholdResult } from '../metadata/verify.js';
import { own, TOP_LEVEL_ROLES, type ParsedMetadata, type RoleKeys, type TufKey } from '../metadata/model.js';

export const CLIENT_FAMILIES = ['python-tuf', 'go-tuf', 'tuf-js'] as const;
export type ClientFamily = (typeof CLIENT_FAMILIES)[number];

/** One reason a client would reject the repository. */
export interface ClientReason {
  /** Rule id, as in docs/client-verdicts.md. */
  readonly rule: string;
  readonly file: string;
  readonly message: string;
}

export interface ClientVerdict {
  readonly accepts: boolean;
  readonly reasons: readonly ClientReason[];
}

export type ClientVerdicts = { readonly [C in ClientFamily]: ClientVerdict };

const ALL = CLIENT_FAMILIES;

/** Default maximum sizes when snapshot/timestamp give no length (python-tuf, go-tuf, tuf-js configs alike). */
const MAX_TIMESTAMP_BYTES = 16_384;
const MAX_SNAPSHOT_BYTES = 2_000_000;
const MAX_TARGETS_BYTES = 5_000_000;

/** (keytype, scheme) pairs securesystemslib builds a key for; any other pair fails the whole file in python-tuf. */
const PYTHON_KEYS = new Set([
  'ecdsa/ecdsa-sha2-nistp256',
  'ecdsa/ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp256/ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384/ecdsa-sha2-nistp384',
  'ed25519/ed25519',
  ...['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'].flatMap((h) => [`rsa/rsa-pkcs1v15-${h}`, `rsa/rsassa-pss-${h}`]),
]);

/** Keytypes go-tuf v2 can load (metadata/keys.go); anything else is an error when its role is verified. */
const GO_KEYTYPES = new Set(['ed25519', 'ecdsa', 'ecdsa-sha2-nistp256', 'rsa']);

type Support = 'counts' | 'not-counted' | 'error';

/** How a client treats a key's signatures, from the key as written. */
function keySupport(client: ClientFamily, key: TufKey): { support: Support; why: string } {
  const d = decodeKeyCached(key);
  if (d.$case === 'unsupported') {
    if (client === 'go-tuf') return { support: 'error', why: `go-tuf cannot load the key (${d.reason})` };
    if (client === 'tuf-js' && isPemEd25519(key)) return { support: 'counts', why: '' };
    return { support: 'not-counted', why: d.reason };
  }
  const pub = key.keyval.public;
  const pem = pub.startsWith('-----BEGIN');
  switch (client) {
    case 'python-tuf':
      if (d.algorithm === 'ed25519' && pem) return { support: 'not-counted', why: 'python-tuf reads ed25519 keys as hex only' };
      if (d.algorithm.startsWith('ecdsa') && !pem) return { support: 'not-counted', why: 'python-tuf reads ECDSA keys as PEM only' };
      return { support: 'counts', why: '' };
    case 'go-tuf':
      if (!GO_KEYTYPES.has(key.keytype)) return { support: 'error', why: `go-tuf does not know keytype "${key.keytype}"` };
      if (d.algorithm === 'ed25519' && pem) return { support: 'error', why: 'go-tuf reads ed25519 keys as hex only' };
      if (d.algorithm.startsWith('ecdsa') && !pem) return { support: 'error', why: 'go-tuf reads ECDSA keys as PEM only' };
      if (d.algorithm === 'rsa-pkcs1v15-sha256') return { support: 'not-counted', why: 'go-tuf verifies rsa keys as RSASSA-PSS only' };
      return { support: 'counts', why: '' };
    case 'tuf-js':
      if (d.algorithm === 'ecdsa-p384') return { support: 'not-counted', why: 'tuf-js verifies ECDSA with SHA-256, so P-384 (SHA-384) signatures fail' };
      if (d.algorithm === 'rsa-pkcs1v15-sha256') return { support: 'not-counted', why: 'tuf-js verifies rsa only with scheme rsassa-pss-sha256' };
      return { support: 'counts', why: '' };
  }
}

function isPemEd25519(key: TufKey): boolean {
  return key.keytype === 'ed25519' && key.scheme === 'ed25519' && key.keyval.public.startsWith('-----BEGIN PUBLIC KEY-----');
}

/** tuf-js also reads an ed25519 key given as PEM (models utils/key.ts), which python-tuf and go-tuf do not. */
function verifiesAsPemEd25519(key: TufKey, sigHex: string, data: Uint8Array): boolean {
  if (!isPemEd25519(key) || !/^[0-9a-fA-F]+$/.test(sigHex)) return false;
  try {
    const k = createPublicKey({ key: key.keyval.public, format: 'pem', type: 'spki' });
    return k.asymmetricKeyType === 'ed25519' && cryptoVerify(null, data, k, Buffer.from(sigHex, 'hex'));
  } catch {
    return false;
  }
}

/** go-tuf's ECDSA verifier also takes raw r‖s (IEEE P1363) signatures (sigstore/sigstore pkg/signature/ecdsa.go). */
function verifiesAsP1363(key: TufKey, sigHex: string, data: Uint8Array): boolean {
  const d = decodeKeyCached(key);
  if (d.$case !== 'supported' || !d.algorithm.startsWith('ecdsa') || !/^[0-9a-fA-F]+$/.test(sigHex)) return false;
  try {
    const hash = d.algorithm === 'ecdsa-p384' ? 'sha384' : 'sha256';
    return cryptoVerify(hash, data, { key: d.publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(sigHex, 'hex'));
  } catch {
    return false;
  }
}

/** Collects, per client, the reasons it would reject. */
export class ClientJudge {
  private readonly reasons = new Map<ClientFamily, ClientReason[]>(ALL.map((c) => [c, []]));

  reject(clients: readonly ClientFamily[], rule: string, file: string, message: string): void {
    for (const c of clients) {
      const list = this.reasons.get(c) as ClientReason[];
      if (!list.some((r) => r.rule === rule && r.file === file && r.message === message)) list.push({ rule, file, message });
    }
  }

  /** Rules about one file as written. */
  file(md: ParsedMetadata): void {
    const f = md.file;
    const s = md.signed;
    if (!isStrictExpires(s.expires)) {
      this.reject(['python-tuf'], 'expires-strict', f, `expires "${s.expires}" is not YYYY-MM-DDTHH:MM:SSZ; python-tuf cannot parse it`);
      this.reject(['go-tuf'], 'expires-reserialized', f, `expires "${s.expires}" is re-emitted in another form by go-tuf, so the signature fails`);
    }
    if (md.legacy.some((l) => l.startsWith('"custom": null'))) {
      this.reject(['go-tuf'], 'custom-null', f, 'a target has "custom": null, which go-tuf drops, so the signature fails');
    }
    if (md.legacy.some((l) => l.startsWith('uppercase hex digest'))) {
      this.reject(['go-tuf'], 'uppercase-hex', f, 'an uppercase hex digest is re-emitted lowercase by go-tuf, so the signature fails');
    }
    switch (s._type) {
      case 'root': {
        if (typeof s.consistent_snapshot !== 'boolean') {
          this.reject(['tuf-js'], 'consistent-snapshot-missing', f, 'root has no consistent_snapshot; tuf-js rejects it');
          this.reject(['go-tuf'], 'consistent-snapshot-missing', f, 'root has no consistent_snapshot; go-tuf re-emits false, so the signature fails');
        }
        const extra = Object.keys(s.roles).filter((r) => !(TOP_LEVEL_ROLES as readonly string[]).includes(r));
        if (extra.length > 0) {
          this.reject(['python-tuf'], 'root-extra-roles', f, `root lists role ${extra.map((r) => `"${r}"`).join(', ')} beyond the four top-level roles; python-tuf rejects it`);
        }
        this.keyMap(f, s.keys);
        break;
      }
      case 'targets': {
        const d = s.delegations;
        if (d !== undefined) {
          this.keyMap(f, d.keys);
          for (const r of d.roles ?? []) {
            if (r.paths === undefined && r.path_hash_prefixes === undefined) {
              this.reject(['python-tuf'], 'delegation-no-paths', f, `delegated role "${r.name}" has neither paths nor path_hash_prefixes; python-tuf rejects it`);
            }
          }
        }
        break;
      }
      case 'snapshot':
        for (const [name, m] of Object.entries(s.meta)) this.metaHashes(f, name, m.hashes);
        break;
      case 'timestamp': {
        const extra = Object.keys(s.meta).filter((n) => n !== 'snapshot.json');
        if (extra.length > 0) {
          this.reject(['python-tuf', 'tuf-js'], 'timestamp-extra-meta', f, `timestamp meta lists ${extra.join(', ')} beside snapshot.json; the client re-emits only snapshot.json, so the signature fails`);
        }
        for (const [name, m] of Object.entries(s.meta)) this.metaHashes(f, name, m.hashes);
        if (md.size > MAX_TIMESTAMP_BYTES) {
          this.reject(ALL, 'size-default-max', f, `timestamp is ${String(md.size)} bytes, more than the ${String(MAX_TIMESTAMP_BYTES)} clients download`);
        }
        break;
      }
    }
  }

  /** A file listed without a length: clients stop downloading at their default maximum. */
  listedSize(md: ParsedMetadata, hasLength: boolean): void {
    if (hasLength) return;
    const max = md.signed._type === 'snapshot' ? MAX_SNAPSHOT_BYTES : md.signed._type === 'targets' ? MAX_TARGETS_BYTES : Infinity;
    if (md.size > max) {
      this.reject(ALL, 'size-default-max', md.file, `${String(md.size)} bytes and no length listed for it: clients download at most ${String(max)} bytes`);
    }
  }

  private keyMap(file: string, keys: { readonly [keyid: string]: TufKey }): void {
    for (const [keyid, key] of Object.entries(keys)) {
      if (!PYTHON_KEYS.has(`${key.keytype}/${key.scheme}`)) {
        this.reject(['python-tuf'], 'unknown-key-type', file, `key ${keyid.slice(0, 8)} is ${key.keytype}/${key.scheme}, which python-tuf cannot load, so it rejects the whole file`);
      }
    }
  }

  private metaHashes(file: string, name: string, hashes: { readonly [alg: string]: string } | undefined): void {
    for (const [alg, value] of Object.entries(hashes ?? {})) {
      if (alg !== 'sha256' && alg !== 'sha512') {
        this.reject(['go-tuf'], 'hash-algorithm', file, `${name}: go-tuf verifies only sha256 and sha512 hashes, not "${alg}"`);
      }
      if (value !== value.toLowerCase()) {
        this.reject(ALL, 'uppercase-hex', file, `${name}: the ${alg} hash is uppercase hex; clients compare lowercase`);
      }
    }
  }

  /**
   * Counts a threshold as each client does: python-tuf and tuf-js per key ID
   * (one public key under two IDs counts twice), go-tuf per public key; each
   * with the keys and signature encodings it can verify.
   */
  threshold(
    file: string,
    label: string,
    role: RoleKeys,
    keys: { readonly [keyid: string]: TufKey },
    payload: SignedPayload,
    ours: ThresholdResult
  ): void {
    const sigs = new Map<string, string>();
    for (const s of payload.signatures) sigs.set(s.keyid, s.sig);
    const valid = new Set(ours.valid);
    for (const client of ALL) {
      const counted = new Set<string>();
      const notCounted: string[] = [];
      let error: string | undefined;
      for (const keyid of role.keyids) {
        const key = own(keys, keyid);
        if (key === undefined) {
          if (client === 'go-tuf') error ??= `key ID ${keyid.slice(0, 8)} is listed but not in keys; go-tuf errors`;
          continue;
        }
        const { support, why } = keySupport(client, key);
        if (support === 'error') {
          error ??= `key ${keyid.slice(0, 8)}: ${why}`;
          continue;
        }
        const sig = sigs.get(keyid);
        if (sig === undefined || sig === '') continue;
        let ok = valid.has(keyid);
        if (!ok && client === 'go-tuf') ok = verifiesAsP1363(key, sig, payload.signedBytes);
        if (!ok && client === 'tuf-js') ok = verifiesAsPemEd25519(key, sig, payload.signedBytes);
        if (!ok) continue;
        if (support === 'not-counted') {
          notCounted.push(`${keyid.slice(0, 8)} (${why})`);
          continue;
        }
        const d = decodeKeyCached(key);
        counted.add(client === 'go-tuf' && d.$case === 'supported' ? d.fingerprint : keyid);
      }
      if (error !== undefined) {
        this.reject([client], 'key-load-error', file, `${label}: ${error}`);
      } else if (counted.size < role.threshold) {
        const also = notCounted.length > 0 ? `; not counted: ${notCounted.join(', ')}` : '';
        this.reject([client], 'threshold', file, `${label}: ${String(counted.size)} of ${String(role.threshold)} needed signatures count for ${client}${also}`);
      }
    }
  }

  /**
   * The verdicts. `otherFailures` are failed checks that are not threshold
   * counts (expiry, hashes, versions, missing files): every client fails
   * those. `stoppedAt` names the file after which nothing was checked.
   */
  verdicts(otherFailures: readonly string[], stoppedAt: string | undefined): ClientVerdicts {
    const out = {} as Record<ClientFamily, ClientVerdict>;
    for (const c of ALL) {
      const reasons = [...(this.reasons.get(c) ?? [])];
      for (const f of otherFailures) reasons.push({ rule: 'spec', file: f.split(': ')[0] ?? '', message: f });
      if (stoppedAt !== undefined && reasons.length === 0) {
        reasons.push({ rule: 'not-checked', file: stoppedAt, message: `verification stopped at ${stoppedAt}, so the files after it were not judged for ${c}` });
      }
      out[c] = { accepts: reasons.length === 0, reasons };
    }
    return out;
  }
}

/**
 * Parses `--require python-tuf,go-tuf,tuf-js` (any subset).
 * @returns the families named, or the first unknown name
 */
export function parseClientList(text: string): { ok: readonly ClientFamily[] } | { unknown: string } {
  const out: ClientFamily[] = [];
  for (const raw of text.split(',')) {
    const name = raw.trim();
    if (!(CLIENT_FAMILIES as readonly string[]).includes(name)) return { unknown: name };
    if (!out.includes(name as ClientFamily)) out.push(name as ClientFamily);
  }
  return { ok: out };
}

/**
 * What `publish` refuses: every reason any client family gives against one
 * of the files about to be written (`client: file: message`); reasons about
 * files already published are not the publish's to answer.
 */
export function rejectionsOf(clients: ClientVerdicts, files: ReadonlySet<string> | ReadonlyMap<string, unknown>): string[] {
  return CLIENT_FAMILIES.flatMap((cf) => clients[cf].reasons.filter((r) => files.has(r.file)).map((r) => `${cf}: ${r.file}: ${r.message}`));
}
