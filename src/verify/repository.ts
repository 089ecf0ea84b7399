// SPDX-License-Identifier: Apache-2.0
/**
 * Verifies a repository's metadata the way a TUF client does (spec §5.3–5.6):
 * the trusted root, every N→N+1 rotation, the final root's expiry, then
 * timestamp, snapshot, targets and every delegated role present (hash bins
 * included). Pure: files come from a {@link MetadataSource}, time from the
 * caller. Malformed files throw InputError (exit 2); everything a check can
 * say no to is reported in the result, which never throws for it.
 */
import { createHash } from 'node:crypto';
import { formatExpires } from '../metadata/expires.js';
import { verifySignature } from '../metadata/keys.js';
import { keyIdsListing } from '../metadata/key-listing.js';
import { decodeKeyCached, type SignatureCheck } from '../metadata/verify.js';
import {
  OFFLINE_ROLES,
  ONLINE_ROLES,
  own,
  type MetaFile,
  type ParsedMetadata,
  type RoleKeys,
  type Root,
  type SignedByType,
  type Snapshot,
  type SuccinctRoles,
  type Targets,
  type TufKey,
} from '../metadata/model.js';
import { parseMetadata, parseMetadataConsuming } from '../metadata/parse.js';
import { keysAsRead, targetsReadByShape } from '../metadata/canonical-read.js';
import { InputError } from '../errors.js';
import { ClientJudge, type ClientVerdicts } from './clients.js';
import { targetPathWarnings } from '../ceremony/target-paths.js';
import {
  isExpired,
  verifyRootRotation,
  verifyThreshold,
  verifyWithRoot,
  type ThresholdResult,
} from '../metadata/verify.js';

/** Where the metadata files come from: names relative to the repository. */
export interface MetadataSource {
  /** Every file name available, e.g. `3.root.json`, `root_history/3.root.json`. */
  readonly names: readonly string[];
  /** The exact bytes of a listed file; undefined for names not listed. */
  read(name: string): Uint8Array | undefined;
  /**
   * True when `read` returns new bytes on every call (a file read from
   * disk), which verify may then write over (it reads them in place: the
   * file held once). Otherwise they are never changed.
   */
  readonly fresh?: boolean;
}

export interface VerifyOptions {
  /** Reference time in milliseconds since the epoch. */
  readonly atMs: number;
  /** Start from this root instead of the lowest N.root.json present. */
  readonly trustedRoot?: { readonly file: string; readonly bytes: Uint8Array };
  /** Warn when something expires within this many days. */
  readonly warnDays?: number;
  /** Accept timestamp `meta` entries beside snapshot.json (python-tuf and tuf-js fail them). */
  readonly allowExtraTimestampMeta?: boolean;
  /**
   * How each signature is judged: OpenSSL by default; `verify --paranoid`
   * passes {@link agreedCheck} (OpenSSL and @noble, which must agree).
   */
  readonly signatureCheck?: SignatureCheck;
  /**
   * Key IDs declared compromised (a workspace's incident record): a
   * signature by one of them, or by the same public key under another ID,
   * never counts toward a threshold. Warned about when present; a threshold
   * met only with them fails.
   */
  readonly revokedKeyids?: readonly string[];
}

export type StepKind = 'trusted-root' | 'root-rotation' | 'root' | 'timestamp' | 'snapshot' | 'targets' | 'delegated' | 'bins';

/** One line of the report: a file checked, and what was found. */
export interface VerifyStep {
  readonly kind: StepKind;
  readonly role: string;
  readonly file: string;
  readonly version?: number;
  readonly expires?: string;
  readonly ok: boolean;
  /** Threshold results (two for a rotation: old root, new root). */
  readonly thresholds: readonly ThresholdResult[];
  /** Why the step failed, each naming what failed. */
  readonly problems: readonly string[];
  /** For `bins`: how many bins, how many files present and verified. */
  readonly bins?: { readonly count: number; readonly present: number; readonly verified: number };
  /** For a delegated role: who delegates to it. */
  readonly delegator?: string;
}

export type WarningCode =
  | 'EXPIRES_SOON'
  | 'SHARED_ONLINE_OFFLINE_KEY'
  | 'LEGACY_FORMAT'
  | 'UNSUPPORTED_KEY'
  | 'SAME_KEY_TWO_IDS'
  | 'ABSENT_KEY'
  | 'ROLE_NOT_PRESENT'
  | 'ROOT_JSON'
  | 'KEY_ID_MISMATCH'
  | 'TARGET_PATH'
  | 'REVOKED_KEY';

export interface VerifyWarning {
  readonly code: WarningCode;
  readonly file: string;
  readonly message: string;
}

export interface VerifyReport {
  readonly ok: boolean;
  /** Reference time used, strict form. */
  readonly at: string;
  readonly trustedRoot: { readonly file: string; readonly version: number } | null;
  readonly finalRoot: { readonly file: string; readonly version: number; readonly expires: string } | null;
  readonly steps: readonly VerifyStep[];
  readonly warnings: readonly VerifyWarning[];
  /** One line per failed check: file, role, what failed. */
  readonly failures: readonly string[];
  /** Owner names found in keys (`x-tuf-on-ci-keyowner`), by key ID. */
  readonly keyOwners: { readonly [keyid: string]: string };
  /**
   * The files that verified on a client's path: the root chain (and
   * root.json when it is the final root), timestamp, the snapshot it names,
   * the targets and delegated roles snapshot names. `init --from` imports
   * only these.
   */
  readonly verifiedFiles: readonly string[];
  /**
   * Whether python-tuf, go-tuf and tuf-js would accept the repository, by
   * the rules each is known to apply (docs/client-verdicts.md). Not part of
   * `ok`, which is the specification's verdict.
   */
  readonly clients: ClientVerdicts;
}

/**
 * Hash algorithms checked in snapshot and timestamp `meta` (lowercase names,
 * as python-tuf's hashlib and Node's createHash both compute them). md5 and
 * sha1 are refused: a listed hash that cannot be trusted is a failure.
 */
const COMPUTED_HASHES: ReadonlySet<string> = new Set(['sha224', 'sha256', 'sha384', 'sha512']);

/** Up to this many absent delegated roles are warned about one by one. */
const MAX_ABSENT_LISTED = 10;

const VERSIONED_FILE = /^([1-9]\d{0,15})\.(.+)\.json$/s;
const ROOT_FILE = /^(?:root_history\/)?([1-9]\d{0,15})\.root\.json$/;
const DAY = 86_400_000;

class Run {
  readonly steps: VerifyStep[] = [];
  readonly warnings: VerifyWarning[] = [];
  readonly failures: string[] = [];
  readonly owners = new Map<string, string>();
  /** Files that verified on the client's path, in the order checked. */
  readonly verified = new Set<string>();
  readonly judge = new ClientJudge();
  /** Threshold problems as worded in failures: clients count those themselves. */
  private readonly thresholdTexts = new Set<string>();
  /** Failures that are client rules (judged per client), not failures for every client. */
  private readonly clientRuleFailures = new Set<string>();
  /** The file after which a failure stopped verification, if one did. */
  private stoppedAt: string | undefined;
  private readonly names: Set<string>;
  private snapshot: ParsedMetadata<Snapshot> | undefined;
  private readonly warnedFiles = new Set<string>();
  /** Hashes of files read in place, taken before their bytes were written over. */
  private readonly digests = new WeakMap<ParsedMetadata, ReadonlyMap<string, string>>();
  /** The final root's consistent_snapshot (absent means false to clients). */
  private consistent = true;

  readonly src: MetadataSource;
  readonly opts: VerifyOptions;

  /** How a signature is judged: OpenSSL, or OpenSSL and @noble in agreement (`verify --paranoid`). */
  readonly check: SignatureCheck;

  constructor(src: MetadataSource, opts: VerifyOptions) {
    this.src = src;
    this.opts = opts;
    this.check = opts.signatureCheck ?? verifySignature;
    this.names = new Set(src.names);
  }

  has(name: string): boolean {
    return this.names.has(name);
  }

  /** The warnings given, as `code file message` (a Set: one per bin is 16,384 of them). */
  private readonly warned = new Set<string>();

  warn(code: WarningCode, file: string, message: string): void {
    const key = `${code}\u0000${file}\u0000${message}`;
    if (!this.warned.has(key)) {
      this.warned.add(key);
      this.warnings.push({ code, file, message });
    }
  }

  step(s: VerifyStep): void {
    this.steps.push(s);
    if (s.ok && s.kind !== 'bins' && s.kind !== 'root') this.verified.add(s.file);
    for (const p of s.problems) this.failures.push(`${s.file}: ${s.role}: ${p}`);
  }

  /**
   * Reads and parses a role's file. Files from a fresh source are read in place
   * (`parseMetadataConsuming`: the file is held once, which is what lets a
   * 1,000,000-target targets.json verify within three times its size): the
   * hashes its lister names (else SHA-512) are taken first. A file the
   * in-place reader leaves to the reference is read again and must hash
   * the same (else it changed while verify read it).
   */
  parse<T extends 'root' | 'targets' | 'snapshot' | 'timestamp'>(name: string, type: T, bytes?: Uint8Array, entry?: MetaFile) {
    let md: ParsedMetadata<SignedByType[T]>;
    const data = bytes ?? this.src.read(name);
    if (data === undefined) throw new Error(`internal: ${name} is not in the source`);
    if (bytes !== undefined || this.src.fresh !== true) {
      md = parseMetadata(data, name, type);
    } else {
      const digests = new Map<string, string>();
      for (const alg of Object.keys(entry?.hashes ?? {})) {
        if (COMPUTED_HASHES.has(alg)) digests.set(alg, createHash(alg).update(data).digest('hex'));
      }
      // A second read is held to a hash of the first: one listed, else
      // SHA-512 (twice as fast as SHA-256 here, without SHA extensions).
      const [alg, first] = digests.entries().next().value ?? ['sha512', createHash('sha512').update(data).digest('hex')];
      md = parseMetadataConsuming(data, name, type) ?? this.parseAgain(name, type, alg, first);
      this.digests.set(md, digests);
    }
    if (!this.warnedFiles.has(name)) {
      this.warnedFiles.add(name);
      for (const l of md.legacy) this.warn('LEGACY_FORMAT', name, l);
      for (const n of md.keyIdNotes ?? []) this.warn('KEY_ID_MISMATCH', name, n);
      // Clients never download root.json (they fetch N.root.json); it is judged only when the chain uses it.
      if (name !== 'root.json') this.judge.file(md);
      if (md.signed._type === 'targets' && targetsReadByShape(md.signed.targets)?.plainPaths !== true) {
        for (const w of targetPathWarnings(keysAsRead(md.signed.targets) ?? Object.keys(md.signed.targets))) this.warn('TARGET_PATH', name, w);
      }
    }
    return md;
  }

  /** The reference reader on a second read of a file, which must be the file read first. */
  parseAgain<T extends 'root' | 'targets' | 'snapshot' | 'timestamp'>(name: string, type: T, alg: string, first: string): ParsedMetadata<SignedByType[T]> {
    const again = this.src.read(name);
    if (again === undefined || createHash(alg).update(again).digest('hex') !== first) {
      throw new InputError(`${name}: changed while verify read it; run verify again on a repository nothing writes to`, { file: name });
    }
    return parseMetadata(again, name, type);
  }

  /** Notes, for every role of a root, keys that cannot verify or repeat. */
  noteRootKeys(root: ParsedMetadata<Root>): void {
    const none = { signatures: [], signedBytes: root.signedBytes };
    this.noteKeys(
      root.file,
      root.signed.keys,
      Object.keys(root.signed.roles).map((role) => verifyWithRoot(root.signed, role, none))
    );
  }

  /** Notes keys' owners, unsupported keys and keys shared between key IDs. */
  noteKeys(file: string, keys: { readonly [keyid: string]: TufKey }, results: readonly ThresholdResult[]): void {
    for (const [keyid, key] of Object.entries(keys)) {
      const owner = (key as unknown as Record<string, unknown>)['x-tuf-on-ci-keyowner'];
      if (typeof owner === 'string') this.owners.set(keyid, owner);
    }
    for (const r of results) {
      for (const u of r.unsupported) {
        this.warn('UNSUPPORTED_KEY', file, `${r.role}: key ${u.keyid.slice(0, 8)} cannot verify: ${u.reason}; its signature does not count`);
      }
      for (const keyid of r.keyids) {
        const key = own(keys, keyid);
        if (key === undefined) continue;
        const d = decodeKeyCached(key);
        if (d.$case === 'unsupported' && !r.unsupported.some((u) => u.keyid === keyid)) {
          this.warn('UNSUPPORTED_KEY', file, `${r.role}: key ${keyid.slice(0, 8)} cannot verify: ${d.reason}`);
        }
        if (d.$case === 'supported') {
          for (const l of d.legacy) this.warn('LEGACY_FORMAT', file, `key ${keyid.slice(0, 8)}: ${l}`);
        }
      }
      for (const group of r.sameKey) {
        this.warn(
          'SAME_KEY_TWO_IDS',
          file,
          `${r.role}: one public key is listed under ${String(group.length)} key IDs (${group.map((k) => k.slice(0, 8)).join(', ')}); it counts once toward the threshold (python-tuf and tuf-js count it ${String(group.length)} times)`
        );
      }
      for (const a of r.absent) {
        this.warn('ABSENT_KEY', file, `${r.role}: key ID ${a.slice(0, 8)} is listed but not in keys (go-tuf rejects this)`);
      }
    }
  }

  thresholdProblems(r: ThresholdResult, by: string, file: string, keys: { readonly [keyid: string]: TufKey }): string[] {
    const revoked = this.revokedSigners(r, keys);
    if (revoked.length > 0) return this.revokedProblems(r, by, file, keys, revoked);
    if (r.met) return [];
    const text =
      `${by}: ${String(r.counted)} of ${String(r.threshold)} needed signatures valid` +
      (r.invalid.length > 0 ? `; invalid signatures from ${r.invalid.map((k) => k.slice(0, 8)).join(', ')}` : '');
    this.thresholdTexts.add(text);
    return [text];
  }

  /** The key IDs whose valid signature is by a key declared compromised (by ID or by public key). */
  revokedSigners(r: ThresholdResult, keys: { readonly [keyid: string]: TufKey }): string[] {
    const ids = this.opts.revokedKeyids ?? [];
    if (ids.length === 0) return [];
    const listed = new Set(ids);
    for (const id of ids) {
      const key = own(keys, id);
      if (key !== undefined) for (const other of keyIdsListing(keys, key)) listed.add(other);
    }
    return r.valid.filter((id) => listed.has(id));
  }

  /** A threshold counted without the compromised keys' signatures: a warning naming them, a failure when short. */
  revokedProblems(r: ThresholdResult, by: string, file: string, keys: { readonly [keyid: string]: TufKey }, revoked: readonly string[]): string[] {
    const ids = revoked.map((k) => k.slice(0, 8)).join(', ');
    this.warn('REVOKED_KEY', file, `${r.role}: signed by ${ids}, declared compromised in the workspace's incident record; ${revoked.length === 1 ? 'its signature does' : 'their signatures do'} not count`);
    const prints = new Set<string>();
    for (const id of r.valid) {
      if (revoked.includes(id)) continue;
      const key = own(keys, id);
      const d = key === undefined ? undefined : decodeKeyCached(key);
      if (d?.$case === 'supported') prints.add(d.fingerprint);
    }
    if (prints.size >= r.threshold) return [];
    const text =
      `${by}: ${String(prints.size)} of ${String(r.threshold)} needed signatures valid without the keys declared compromised (${ids})` +
      (r.met ? '; the threshold is met only with them' : '');
    // Clients do not know of the incident: they count as the threshold says.
    this.thresholdTexts.add(text);
    return [text];
  }

  /** A threshold as each client counts it (python-tuf, go-tuf, tuf-js). */
  clientCount(
    file: string,
    label: string,
    role: RoleKeys | undefined,
    keys: { readonly [keyid: string]: TufKey },
    payload: ParsedMetadata,
    ours: ThresholdResult
  ): void {
    this.judge.threshold(file, label, role ?? { keyids: [], threshold: 1 }, keys, payload, ours);
  }

  expiryProblems(md: ParsedMetadata, role: string): string[] {
    if (isExpired(md, this.opts.atMs)) {
      return [`expired at ${formatExpires(md.expiresAt)} (reference time ${formatExpires(this.opts.atMs)})`];
    }
    const days = this.opts.warnDays ?? 30;
    if (md.expiresAt - this.opts.atMs < days * DAY) {
      const left = Math.floor((md.expiresAt - this.opts.atMs) / DAY);
      this.warn('EXPIRES_SOON', md.file, `${role} expires ${formatExpires(md.expiresAt)}, in ${String(left)} days`);
    }
    return [];
  }

  /** Checks a file against the entry that lists it (timestamp or snapshot meta). */
  metaProblems(md: ParsedMetadata, entry: MetaFile | undefined, listedBy: string): string[] {
    if (entry === undefined) return [];
    const problems: string[] = [];
    if (md.signed.version !== entry.version) {
      problems.push(`version ${String(md.signed.version)}, but ${listedBy} lists version ${String(entry.version)}`);
    }
    if (entry.length !== undefined && entry.length !== md.size) {
      problems.push(`length ${String(md.size)}, but ${listedBy} lists ${String(entry.length)}`);
    }
    // Every hash the delegator lists is checked; one we cannot compute fails,
    // as it does in clients (python-tuf: "Unsupported algorithm").
    for (const [alg, expected] of Object.entries(entry.hashes ?? {})) {
      if (!COMPUTED_HASHES.has(alg)) {
        problems.push(`${listedBy} lists a ${JSON.stringify(alg)} hash, an algorithm not computed here (${[...COMPUTED_HASHES].join(', ')}), so it cannot be checked`);
        continue;
      }
      const actual = this.digests.get(md)?.get(alg) ?? createHash(alg).update(md.bytes).digest('hex');
      if (actual !== expected.toLowerCase()) problems.push(`${alg} ${actual.slice(0, 16)}… does not match ${listedBy} (${expected.slice(0, 16)}…)`);
    }
    return problems;
  }

  /** Finds a role's file: `V.NAME.json` (consistent snapshot) or `NAME.json`. */
  findRoleFile(name: string, version: number | undefined): string | undefined {
    const enc = encodeURIComponent(name);
    if (version !== undefined) {
      for (const n of [`${String(version)}.${enc}.json`, `${String(version)}.${name}.json`]) if (this.has(n)) return n;
    }
    if (this.has(`${enc}.json`)) return `${enc}.json`;
    if (this.has(`${name}.json`)) return `${name}.json`;
    if (version !== undefined) return undefined;
    return this.latestVersioned().get(enc)?.[1];
  }

  private latest: Map<string, [number, string]> | undefined;

  /** The highest-versioned `V.NAME.json` of each NAME: the file names indexed once per run. */
  private latestVersioned(): Map<string, [number, string]> {
    if (this.latest !== undefined) return this.latest;
    const latest = new Map<string, [number, string]>();
    for (const n of this.src.names) {
      const m = VERSIONED_FILE.exec(n);
      if (m === null) continue;
      const v = Number(m[1]);
      const best = latest.get(m[2] as string);
      if (best === undefined || v > best[0]) latest.set(m[2] as string, [v, n]);
    }
    this.latest = latest;
    return latest;
  }

  /**
   * The file a client downloads for a role. With consistent_snapshot false
   * that is `NAME.json` only (spec §5.5.1/§5.6.1): a versioned copy lying
   * beside it is not what clients judge, whatever its version.
   */
  roleFile(name: string, version: number | undefined): string | undefined {
    if (this.consistent) return this.findRoleFile(name, version);
    const enc = encodeURIComponent(name);
    if (this.has(`${enc}.json`)) return `${enc}.json`;
    return this.has(`${name}.json`) ? `${name}.json` : undefined;
  }

  snapshotEntry(name: string): MetaFile | undefined {
    return this.snapshot === undefined ? undefined : own(this.snapshot.signed.meta, `${name}.json`);
  }

  // Spec §5.3: the root chain.
  verifyRoots(): ParsedMetadata<Root> | undefined {
    const roots = new Map<number, string>();
    for (const n of this.src.names) {
      const m = ROOT_FILE.exec(n);
      if (m === null) continue;
      const v = Number(m[1]);
      const prev = roots.get(v);
      if (prev !== undefined) {
        const a = this.src.read(prev);
        const b = this.src.read(n);
        if (a !== undefined && b !== undefined && !Buffer.from(a).equals(b)) {
          this.failures.push(`${n}: root: differs from ${prev}, which has the same version number`);
        }
        if (!n.startsWith('root_history/')) continue;
      }
      roots.set(v, n);
    }
    let trusted: ParsedMetadata<Root>;
    const lowest = Math.min(...roots.keys());
    if (this.opts.trustedRoot !== undefined) {
      trusted = this.parse(this.opts.trustedRoot.file, 'root', this.opts.trustedRoot.bytes);
    } else if (roots.size > 0) {
      trusted = this.parse(roots.get(lowest) as string, 'root');
    } else if (this.has('root.json')) {
      trusted = this.parse('root.json', 'root');
    } else {
      return undefined;
    }
    const self = verifyWithRoot(trusted.signed, 'root', trusted, this.check);
    if (trusted.file === 'root.json') this.judge.file(trusted);
    this.clientCount(trusted.file, `root v${String(trusted.signed.version)} (self-signed)`, own(trusted.signed.roles, 'root'), trusted.signed.keys, trusted, self);
    this.noteKeys(trusted.file, trusted.signed.keys, [self]);
    this.noteRootKeys(trusted);
    const nameMismatch = ROOT_FILE.exec(trusted.file);
    const trustedProblems = this.thresholdProblems(self, `root v${String(trusted.signed.version)} (self-signed)`, trusted.file, trusted.signed.keys);
    if (nameMismatch && Number(nameMismatch[1]) !== trusted.signed.version) {
      trustedProblems.push(`file name says version ${String(nameMismatch[1])}, content says ${String(trusted.signed.version)}`);
    }
    this.step({
      kind: 'trusted-root',
      role: 'root',
      file: trusted.file,
      version: trusted.signed.version,
      expires: trusted.signed.expires,
      ok: trustedProblems.length === 0,
      thresholds: [self],
      problems: trustedProblems,
    });
    if (trustedProblems.length > 0) {
      this.stoppedAt = trusted.file;
      return undefined;
    }

    // §5.3.3–5.3.9: fetch N+1 until there is none; each must be signed by a
    // threshold of the old root and of itself, with version exactly N+1.
    let current = trusted;
    for (;;) {
      const v = current.signed.version + 1;
      let name = roots.get(v);
      let viaRootJson = false;
      if (name === undefined && this.has('root.json') && current.file !== 'root.json') {
        const rj = this.parse('root.json', 'root');
        if (rj.signed.version === v) {
          name = 'root.json';
          viaRootJson = true;
          this.judge.file(rj);
          this.warn('ROOT_JSON', 'root.json', `root.json is v${String(v)} but ${String(v)}.root.json is missing: clients fetch ${String(v)}.root.json and will not see it`);
        }
      }
      if (name === undefined) break;
      const next = this.parse(name, 'root');
      const rot = verifyRootRotation(current.signed, next, this.check);
      this.clientCount(name, `trusted root v${String(current.signed.version)} keys`, own(current.signed.roles, 'root'), current.signed.keys, next, rot.old);
      this.clientCount(name, `root v${String(next.signed.version)} keys`, own(next.signed.roles, 'root'), next.signed.keys, next, rot.new);
      this.noteKeys(name, next.signed.keys, [rot.old, rot.new]);
      this.noteRootKeys(next);
      const problems: string[] = [];
      if (!rot.versionOk) {
        problems.push(`holds version ${String(next.signed.version)} where version ${String(v)} is expected (versions must go up by exactly 1)`);
      }
      problems.push(...this.thresholdProblems(rot.old, `trusted root v${String(current.signed.version)} keys`, name, current.signed.keys));
      problems.push(...this.thresholdProblems(rot.new, `root v${String(next.signed.version)} keys`, name, next.signed.keys));
      this.step({
        kind: 'root-rotation',
        role: 'root',
        file: name,
        version: next.signed.version,
        expires: next.signed.expires,
        ok: problems.length === 0,
        thresholds: [rot.old, rot.new],
        problems,
      });
      if (problems.length > 0) {
        this.stoppedAt = name;
        return undefined;
      }
      current = next;
      if (viaRootJson) break;
    }
    for (const [v, name] of roots) {
      if (v > current.signed.version) {
        this.failures.push(`${name}: root: unreachable, because ${String(current.signed.version + 1)}.root.json is missing (clients stop at the first missing version)`);
      }
    }
    if (this.has('root.json') && current.file !== 'root.json') {
      const rj = this.parse('root.json', 'root');
      if (rj.signed.version === current.signed.version && !rj.signedBytes.equals(current.signedBytes)) {
        this.failures.push(`root.json: root: differs from ${current.file} although both are version ${String(rj.signed.version)}`);
      } else if (rj.signed.version === current.signed.version) {
        this.verified.add('root.json');
      } else if (rj.signed.version < current.signed.version) {
        this.warn('ROOT_JSON', 'root.json', `root.json is v${String(rj.signed.version)}, older than the latest ${current.file} (v${String(current.signed.version)})`);
      }
    }
    // §5.3.10: the final root must not be expired.
    const expiry = this.expiryProblems(current, 'root');
    this.step({
      kind: 'root',
      role: 'root',
      file: current.file,
      version: current.signed.version,
      expires: current.signed.expires,
      ok: expiry.length === 0,
      thresholds: [],
      problems: expiry,
    });
    this.checkSharedKeys(current);
    return current;
  }

  checkSharedKeys(root: ParsedMetadata<Root>): void {
    const roles = root.signed.roles;
    for (const off of OFFLINE_ROLES) {
      for (const on of ONLINE_ROLES) {
        const shared = (own(roles, off)?.keyids ?? []).filter((k) => own(roles, on)?.keyids.includes(k));
        for (const k of shared) {
          this.warn('SHARED_ONLINE_OFFLINE_KEY', root.file, `key ${k.slice(0, 8)} signs for offline role ${off} and online role ${on}: an online compromise reaches ${off}`);
        }
      }
    }
  }

  verifyTopLevel<T extends 'timestamp' | 'snapshot' | 'targets'>(
    root: ParsedMetadata<Root>,
    type: T,
    name: string,
    entry: MetaFile | undefined,
    listedBy: string
  ) {
    const md = this.parse(name, type, undefined, entry);
    const r = verifyWithRoot(root.signed, type, md, this.check);
    this.clientCount(name, `root v${String(root.signed.version)} ${type} keys`, own(root.signed.roles, type), root.signed.keys, md, r);
    if (entry !== undefined) this.judge.listedSize(md, entry.length !== undefined);
    this.noteKeys(name, root.signed.keys, [r]);
    const problems = [
      ...this.thresholdProblems(r, `root v${String(root.signed.version)} ${type} keys`, name, root.signed.keys),
      ...this.metaProblems(md, entry, listedBy),
      ...this.expiryProblems(md, type),
    ];
    this.step({
      kind: type,
      role: type,
      file: name,
      version: md.signed.version,
      expires: md.signed.expires,
      ok: problems.length === 0,
      thresholds: [r],
      problems,
    });
    return { md, ok: problems.length === 0 };
  }

  verifyDelegatedRole(name: string, delegator: string, role: RoleKeys, keys: { readonly [k: string]: TufKey }) {
    const entry = this.snapshotEntry(name);
    const file = this.roleFile(name, entry?.version);
    if (file === undefined) return { present: false, ok: true, md: undefined };
    const md = this.parse(file, 'targets', undefined, entry);
    const r = verifyThreshold(name, role, keys, md, this.check);
    this.clientCount(file, `${delegator} delegation keys`, role, keys, md, r);
    if (entry !== undefined) this.judge.listedSize(md, entry.length !== undefined);
    this.noteKeys(file, keys, [r]);
    const problems = [
      ...this.thresholdProblems(r, `${delegator} delegation keys`, file, keys),
      ...this.metaProblems(md, entry, 'snapshot'),
      ...this.expiryProblems(md, name),
    ];
    if (this.snapshot !== undefined && entry === undefined) {
      problems.push('not listed in snapshot (clients refuse roles snapshot does not list)');
    }
    return { present: true, ok: problems.length === 0, md, r, problems, file };
  }

  /**
   * The bins of a succinct delegation that snapshot lists or that have a
   * file here, in bin order: found from the names present, so that
   * bit_length 32 costs no more than bit_length 4.
   */
  candidateBins(sr: SuccinctRoles): string[] {
    const width = (2 ** sr.bit_length - 1).toString(16).length;
    const max = 2 ** sr.bit_length;
    const found = new Map<number, string>();
    const consider = (role: string): void => {
      if (!role.startsWith(`${sr.name_prefix}-`)) return;
      const hex = role.slice(sr.name_prefix.length + 1);
      if (hex.length !== width || !/^[0-9a-f]+$/.test(hex)) return;
      const i = parseInt(hex, 16);
      if (i < max) found.set(i, role);
    };
    for (const f of Object.keys(this.snapshot?.signed.meta ?? {})) if (f.endsWith('.json')) consider(f.slice(0, -5));
    for (const n of this.src.names) {
      if (!n.endsWith('.json') || n.includes('/')) continue;
      const base = n.slice(0, -5);
      consider(base);
      const dot = /^[1-9]\d{0,15}\./.exec(base);
      if (dot !== null) consider(base.slice(dot[0].length));
    }
    return [...found.entries()].sort((a, b) => a[0] - b[0]).map(([, name]) => name);
  }

  verifyDelegations(top: ParsedMetadata<Targets>): void {
    const queue: [ParsedMetadata<Targets>, string][] = [[top, 'targets']];
    const visited = new Set<string>(['targets']);
    while (queue.length > 0) {
      const [md, delegatorName] = queue.shift() as [ParsedMetadata<Targets>, string];
      const d = md.signed.delegations;
      if (d === undefined) continue;
      if (d.succinct_roles !== undefined) {
        const sr = d.succinct_roles;
        // 2^bit_length bins (up to 2^32): only the bins present or listed in
        // snapshot are looked at, never all names (TAP 15).
        const count = 2 ** sr.bit_length;
        const bins = this.candidateBins(sr);
        let present = 0;
        let verified = 0;
        const problems: string[] = [];
        const thresholds: ThresholdResult[] = [];
        let listedAbsent = 0;
        for (const bin of bins) {
          const res = this.verifyDelegatedRole(bin, delegatorName, sr, d.keys);
          if (!res.present) {
            if (this.snapshotEntry(bin) !== undefined) listedAbsent++;
            continue;
          }
          present++;
          if (res.ok) {
            verified++;
            if (res.file !== undefined) this.verified.add(res.file);
          }
          else for (const p of res.problems ?? []) problems.push(`${res.file ?? bin}: ${p}`);
          if (res.r !== undefined && thresholds.length === 0) thresholds.push(res.r);
          // Spec §5.6.7: a role whose signatures did not verify is never followed.
          if (res.ok && res.md !== undefined && res.md.signed.delegations !== undefined && !visited.has(bin)) {
            visited.add(bin);
            queue.push([res.md, bin]);
          }
        }
        if (listedAbsent > 0) {
          this.warn('ROLE_NOT_PRESENT', md.file, `${String(listedAbsent)} of ${String(count)} bins are listed in snapshot but not present here, so not verified`);
        }
        this.step({
          kind: 'bins',
          role: `${sr.name_prefix}-*`,
          file: md.file,
          ok: problems.length === 0,
          thresholds,
          problems,
          bins: { count, present, verified },
          delegator: delegatorName,
        });
        continue;
      }
      const absent: { name: string; listed: boolean }[] = [];
      for (const role of d.roles ?? []) {
        if (visited.has(role.name)) continue;
        visited.add(role.name);
        const res = this.verifyDelegatedRole(role.name, delegatorName, role, d.keys);
        if (!res.present) {
          absent.push({ name: role.name, listed: this.snapshotEntry(role.name) !== undefined });
          continue;
        }
        const dm = res.md as ParsedMetadata<Targets>;
        this.step({
          kind: 'delegated',
          role: role.name,
          file: res.file as string,
          version: dm.signed.version,
          expires: dm.signed.expires,
          ok: res.ok,
          thresholds: res.r === undefined ? [] : [res.r],
          problems: res.problems ?? [],
          delegator: delegatorName,
        });
        if (res.ok) queue.push([dm, role.name]);
      }
      this.warnAbsent(md.file, absent, (d.roles ?? []).length);
    }
  }

  /**
   * Delegated roles not present: one warning each, or one for them all when
   * there are many (hash bins listed as roles: 16,384 in PEP 458).
   */
  warnAbsent(file: string, absent: readonly { name: string; listed: boolean }[], total: number): void {
    if (absent.length <= MAX_ABSENT_LISTED) {
      for (const a of absent) {
        this.warn('ROLE_NOT_PRESENT', file, `delegated role ${a.name} is not present${a.listed ? ' although snapshot lists it' : ''}, so not verified`);
      }
      return;
    }
    const listed = absent.filter((a) => a.listed).length;
    const names = `${absent.slice(0, 3).map((a) => a.name).join(', ')} … ${absent[absent.length - 1]?.name ?? ''}`;
    this.warn(
      'ROLE_NOT_PRESENT',
      file,
      `${String(absent.length)} of ${String(total)} delegated roles are not present (${names})${listed > 0 ? `, ${String(listed)} of them listed in snapshot` : ''}, so not verified`
    );
  }

  run(): VerifyReport {
    const root = this.verifyRoots();
    const rootFailed = root === undefined;
    if (root !== undefined) {
      this.consistent = root.signed.consistent_snapshot === true;
      let timestampEntry: MetaFile | undefined;
      if (this.has('timestamp.json')) {
        const ts = this.verifyTopLevel(root, 'timestamp', 'timestamp.json', undefined, '');
        timestampEntry = ts.md.signed.meta['snapshot.json'];
        const extra = Object.keys(ts.md.signed.meta).filter((f) => f !== 'snapshot.json');
        if (extra.length > 0 && this.opts.allowExtraTimestampMeta !== true) {
          // python-tuf and tuf-js re-emit only snapshot.json, so the signature fails there.
          const text = `timestamp.json: timestamp: meta lists ${extra.map((f) => JSON.stringify(f)).join(', ')} beside snapshot.json; python-tuf and tuf-js then fail its signature (--allow-extra-timestamp-meta accepts it)`;
          this.failures.push(text);
          this.clientRuleFailures.add(text);
        }
      }
      const snapName = this.roleFile('snapshot', timestampEntry?.version);
      if (snapName !== undefined) {
        const s = this.verifyTopLevel(root, 'snapshot', snapName, timestampEntry, 'timestamp');
        this.snapshot = s.md;
      } else if (timestampEntry !== undefined) {
        this.failures.push(`snapshot.json: snapshot: timestamp lists snapshot v${String(timestampEntry.version)}, which is not present`);
      }
      const targetsEntry = this.snapshotEntry('targets');
      const targetsName = this.roleFile('targets', targetsEntry?.version);
      if (targetsName !== undefined) {
        const t = this.verifyTopLevel(root, 'targets', targetsName, targetsEntry, 'snapshot');
        if (t.ok) this.verifyDelegations(t.md);
        else if (t.md.signed.delegations !== undefined) this.stoppedAt = targetsName;
      } else if (targetsEntry !== undefined) {
        this.failures.push(`targets.json: targets: snapshot lists targets v${String(targetsEntry.version)}, which is not present`);
      }
    } else if (this.steps.length === 0) {
      this.failures.push('no root metadata found (looked for N.root.json, root_history/N.root.json and root.json)');
    }
    const trusted = this.steps.find((s) => s.kind === 'trusted-root');
    return {
      ok: this.failures.length === 0 && !rootFailed,
      at: formatExpires(this.opts.atMs),
      trustedRoot: trusted === undefined ? null : { file: trusted.file, version: trusted.version ?? 0 },
      finalRoot: root === undefined ? null : { file: root.file, version: root.signed.version, expires: root.signed.expires },
      steps: this.steps,
      warnings: this.warnings,
      failures: this.failures,
      keyOwners: Object.fromEntries(this.owners),
      verifiedFiles: [...this.verified],
      clients: this.judge.verdicts(
        this.failures.filter((f) => !this.clientRuleFailures.has(f) && ![...this.thresholdTexts].some((t) => f.endsWith(t))),
        this.stoppedAt
      ),
    };
  }
}

/**
 * Verifies the metadata in `src` at the reference time.
 * @throws InputError (exit 2) for a malformed file; every failed check is
 *   reported in the returned {@link VerifyReport} instead.
 */
export function verifyRepository(src: MetadataSource, opts: VerifyOptions): VerifyReport {
  return new Run(src, opts).run();
}
