// SPDX-License-Identifier: Apache-2.0
/**
 * The audit log's entries and its hash chain (format: docs/formats.md
 * §"Audit log"). Pure: no file system, no clock; the time is passed in.
 *
 * Each line of `audit/log.jsonl` is the canonical JSON of one entry; each
 * entry's `prev` is the SHA-256 of the previous line's bytes, so editing,
 * deleting, inserting or reordering an entry breaks a link. A chain alone
 * cannot show that entries were cut off its end: for that, the log's head
 * (the hash of its last line) is written down outside it and given back to
 * {@link verifyLog}.
 */
import { createHash } from 'node:crypto';
import type { DeviceDescription } from '../crypto/signer.js';
import { InputError } from '../errors.js';
import { CanonicalError, canonicalize } from '../metadata/canonical.js';
import { formatExpires, isStrictExpires } from '../metadata/expires.js';
import { parseJson, type JsonObject, type JsonValue } from '../metadata/json.js';
import { Guard } from '../metadata/parse.js';
import { CONTROL_CHARACTERS } from '../metadata/plain-text.js';
import { KEYHOLDER_NAME } from '../metadata/public-key-file.js';

/** The `prev` of the first entry, and the head of an empty log. */
export const ZERO_HEAD = '0'.repeat(64);

/** Logs larger than this are refused (about 100,000 typical entries). */
export const MAX_AUDIT_LOG_BYTES = 64 * 1024 * 1024;

/** Entries larger than this are refused when written. */
export const MAX_ENTRY_BYTES = 1024 * 1024;

/** The fields of an entry, in canonical (code point) order. */
export const ENTRY_FIELDS = ['actor', 'artifacts', 'command', 'details', 'device', 'prev', 'seq', 'time'] as const;

/** A file an entry read or wrote, named by its path and content hash. */
export interface AuditArtifact {
  /** Relative to the workspace, with `/` separators; absolute for files outside it. */
  readonly path: string;
  /** SHA-256 of the file's exact bytes, lowercase hex. */
  readonly sha256: string;
}

export interface AuditArtifacts {
  readonly read: readonly AuditArtifact[];
  readonly written: readonly AuditArtifact[];
}

/** The signing device used, as `DeviceDescription` gives it. Never holds secrets. */
export type AuditDevice = { readonly backend: string } & JsonObject;

/** One line of the log. Field names are the JSON names. */
export interface AuditEntry {
  /** 1, 2, 3, … : the entry's line number. */
  readonly seq: number;
  /** `YYYY-MM-DDTHH:MM:SSZ`, UTC, whole seconds. */
  readonly time: string;
  /** `coordinator` or a keyholder name. */
  readonly actor: string;
  /** The command, e.g. `keyholder add`, `root add-key`, `sign`. */
  readonly command: string;
  readonly artifacts: AuditArtifacts;
  readonly device: AuditDevice | null;
  /** Free-form JSON (integers only): key IDs, versions, thresholds, hashes. */
  readonly details: JsonObject;
  /** SHA-256 of the previous line's bytes; {@link ZERO_HEAD} for the first. */
  readonly prev: string;
}

/**
 * What a command reports for the log: the entry without its place in the
 * chain (`seq`, `prev`) or its time, which {@link nextEntry} adds.
 */
export interface AuditEvent {
  readonly actor: string;
  readonly command: string;
  /** Omitted lists are empty. */
  readonly artifacts?: { readonly read?: readonly AuditArtifact[]; readonly written?: readonly AuditArtifact[] };
  /** A signer's `DeviceDescription`, or any JSON object with a string `backend`. */
  readonly device?: DeviceDescription | AuditDevice | null;
  readonly details?: object;
}

export type AuditProblemKind =
  /** Not JSON, duplicate keys, floats, missing or wrongly typed fields. */
  | 'malformed'
  /** Valid, but not the canonical JSON of itself: its bytes were edited. */
  | 'not-canonical'
  | 'empty-line'
  /** The file does not end with a newline: a write cut short, or an edit. */
  | 'incomplete-line'
  /** `prev` is not the hash of the line before. */
  | 'broken-link'
  /** `seq` does not follow the previous entry's. */
  | 'seq-gap'
  /** The head given to verify is not this log's (and not one of its lines'). */
  | 'head-mismatch'
  /** Warning only: an entry's time is earlier than the one before. */
  | 'time-backwards';

export interface AuditProblem {
  /** 1-based line number in the log (for `head-mismatch`: the first missing line). */
  readonly line: number;
  readonly kind: AuditProblemKind;
  /** What is wrong, without the line number. */
  readonly message: string;
}

export interface AuditVerifyResult {
  /** No problems (warnings do not count). */
  readonly ok: boolean;
  readonly file: string;
  /** Number of lines (entries) in the log, readable or not. */
  readonly entries: number;
  /** SHA-256 of the last line's bytes; {@link ZERO_HEAD} when empty. */
  readonly head: string;
  /** The head that was given, normalized; null when none was. */
  readonly expectedHead: string | null;
  /**
   * Entries after the given head: 0 when it is the head, N when it is the
   * hash of line `entries - N` (appended since; not a problem). Null without
   * a given head, or when no line hashes to it.
   */
  readonly appended: number | null;
  /** Sorted by line. */
  readonly problems: readonly AuditProblem[];
  readonly warnings: readonly AuditProblem[];
}

/** One line of a log, as read. */
export interface ScannedLine {
  readonly line: number;
  /** SHA-256 of the line's bytes (without its newline). */
  readonly hash: string;
  /** The entry, when the line is one (even if not canonical). */
  readonly entry: AuditEntry | null;
  /** Problems of the line on its own (not of its links). */
  readonly problems: readonly AuditProblem[];
}

export interface ScannedLog {
  readonly file: string;
  readonly lines: readonly ScannedLine[];
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const COMMAND = /^[a-z][a-z0-9-]*(?: [a-z][a-z0-9-]*){0,3}$/;
/** Controls, format (bidi, invisible) characters and separators: never in the log. */
const CONTROL = CONTROL_CHARACTERS;

/** SHA-256 (lowercase hex) of a line's bytes, without its newline. */
export function hashLine(line: string | Uint8Array): string {
  const h = createHash('sha256');
  if (typeof line === 'string') h.update(line, 'utf8');
  else h.update(line);
  return h.digest('hex');
}

/**
 * A head as people write it down (any case, spaces, `:` or `-` between
 * groups) in the form the log uses: 64 lowercase hex digits. Undefined when
 * it is not a SHA-256.
 */
export function normalizeHead(text: string): string | undefined {
  const hex = text.replace(/[\s:-]/g, '').toLowerCase();
  return SHA256_HEX.test(hex) ? hex : undefined;
}

/** The canonical line of an entry, without its newline. */
export function encodeEntry(entry: AuditEntry): string {
  return canonicalize(entry);
}

// ---------------------------------------------------------------------------
// Writing

/** Last words of field names that hold secrets: `pin`, `user_pin`, `soPin`, `key_passphrase`, `client_secret`. */
const SECRET_WORDS = new Set(['pin', 'puk', 'passphrase', 'password', 'passwd', 'secret', 'secrets', 'mnemonic']);
const SECRET_SUFFIXES = ['passphrase', 'password', 'passwd', 'privatekey', 'secretkey', 'mnemonic'];

/** True when a field name says it holds a secret (its last word is one). */
export function isSecretFieldName(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '');
  const last = words[words.length - 1];
  if (last === undefined) return false;
  if (SECRET_WORDS.has(last)) return true;
  const squashed = words.join('');
  return SECRET_SUFFIXES.some((s) => squashed.endsWith(s));
}

function fieldPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const s of path) {
    if (typeof s === 'number') out += `[${String(s)}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(s)) out += out === '' ? s : '.' + s;
    else out += JSON.stringify([s]);
  }
  return out;
}

function eventError(path: readonly (string | number)[], problem: string): InputError {
  const field = fieldPath(path);
  return new InputError(`audit entry: ${field}: ${problem}`, {
    field,
    hint: 'this is a bug in the command that recorded the entry: audit entries hold only key IDs, hashes and names',
  });
}

/**
 * Refuses what must never reach the log or would break its line format:
 * fields named like secrets (PIN, passphrase, secret, private key), private
 * keys in PEM form, and control characters (canonical JSON writes them raw,
 * so a newline would split the line).
 */
function checkValues(v: unknown, path: (string | number)[]): void {
  if (typeof v === 'string') {
    if (CONTROL.test(v)) throw eventError(path, 'holds a control, bidi or invisible character (newline, tab, escape, U+202E…), which the log does not store');
    if (/PRIVATE KEY-----/.test(v)) throw eventError(path, 'holds a private key: the audit log never records secrets');
    return;
  }
  if (typeof v !== 'object' || v === null) return;
  if (Array.isArray(v)) {
    v.forEach((item, i) => {
      checkValues(item, [...path, i]);
    });
    return;
  }
  for (const [k, item] of Object.entries(v)) {
    if (CONTROL.test(k)) throw eventError([...path, k], 'field name holds a control character');
    if (isSecretFieldName(k) && item !== null && typeof item !== 'boolean') {
      throw eventError([...path, k], 'is named like a secret (PIN, passphrase, password, secret, private key): the audit log never records secrets');
    }
    checkValues(item, [...path, k]);
  }
}

function checkArtifacts(list: unknown, name: 'read' | 'written'): AuditArtifact[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw eventError(['artifacts', name], 'must be an array');
  return list.map((a: unknown, i): AuditArtifact => {
    const p = ['artifacts', name, i];
    if (typeof a !== 'object' || a === null) throw eventError(p, 'must be {path, sha256}');
    const { path, sha256, ...rest } = a as { path?: unknown; sha256?: unknown };
    const extra = Object.keys(rest)[0];
    if (extra !== undefined) throw eventError([...p, extra], 'unknown field (artifacts are {path, sha256})');
    if (typeof path !== 'string' || path === '' || path.length > 4096) throw eventError([...p, 'path'], 'must be a non-empty path');
    if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256)) throw eventError([...p, 'sha256'], 'must be 64 lowercase hex digits');
    return { path, sha256 };
  });
}

/**
 * The next entry of a log whose last line hashes to `prevHead` and holds
 * `prevSeq` (ZERO_HEAD and 0 for an empty log).
 * @param timeMs the time of the event, ms since the epoch (the caller's clock)
 * @throws InputError (exit 2) when the event is not recordable: an invalid
 *   actor or command, a malformed artifact, floats, control characters, a
 *   field named like a secret, or an entry above {@link MAX_ENTRY_BYTES}
 */
export function nextEntry(
  prevHead: string,
  prevSeq: number,
  event: AuditEvent,
  timeMs: number
): { entry: AuditEntry; line: string; head: string } {
  if (!SHA256_HEX.test(prevHead)) throw eventError(['prev'], 'the previous head must be 64 lowercase hex digits');
  if (!Number.isSafeInteger(prevSeq) || prevSeq < 0) throw eventError(['seq'], 'the previous seq must be an integer >= 0');
  if (!Number.isFinite(timeMs)) throw eventError(['time'], 'is not a time');
  const time = formatExpires(timeMs);
  if (!isStrictExpires(time)) throw eventError(['time'], `${time} is outside the years 0000-9999`);
  if (typeof event.actor !== 'string' || !KEYHOLDER_NAME.test(event.actor)) {
    throw eventError(['actor'], `${JSON.stringify(event.actor)} is not "coordinator" or a keyholder name (a-z 0-9 . _ -)`);
  }
  if (typeof event.command !== 'string' || !COMMAND.test(event.command)) {
    throw eventError(['command'], `${JSON.stringify(event.command)} is not a command name such as "keyholder add"`);
  }
  const device = event.device ?? null;
  if (device !== null && (typeof device !== 'object' || typeof device.backend !== 'string' || device.backend === '')) {
    throw eventError(['device'], 'must be null or an object with a string "backend"');
  }
  const details = event.details ?? {};
  if (typeof details !== 'object' || details === null || Array.isArray(details)) throw eventError(['details'], 'must be an object');
  checkValues(device, ['device']);
  checkValues(details, ['details']);
  const entry = {
    seq: prevSeq + 1,
    time,
    actor: event.actor,
    command: event.command,
    artifacts: { read: checkArtifacts(event.artifacts?.read, 'read'), written: checkArtifacts(event.artifacts?.written, 'written') },
    device,
    details,
    prev: prevHead,
  } as AuditEntry;
  let line: string;
  try {
    line = encodeEntry(entry);
  } catch (e) {
    if (e instanceof CanonicalError) throw eventError([e.path.slice(2)], e.problem);
    throw e;
  }
  const bytes = Buffer.from(line, 'utf8');
  if (bytes.length > MAX_ENTRY_BYTES) {
    throw eventError(['details'], `the entry is ${String(bytes.length)} bytes, more than the ${String(MAX_ENTRY_BYTES)} accepted: record hashes, not contents`);
  }
  // What is written must read back as the same entry: never write a line verify would refuse.
  const back = scanLine(bytes, entry.seq);
  const problem = back.problems[0];
  if (problem !== undefined || back.entry === null) throw eventError([], problem?.message ?? 'does not read back');
  return { entry: back.entry, line, head: hashLine(bytes) };
}

// ---------------------------------------------------------------------------
// Reading

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function checkArtifactList(g: Guard, v: JsonValue | undefined, path: (string | number)[]): AuditArtifact[] {
  return g.array(v, path).map((a, i) => {
    const o = g.object(a, [...path, i]);
    for (const k of Object.keys(o)) if (k !== 'path' && k !== 'sha256') g.fail([...path, i, k], 'unknown field');
    const p = g.string(o['path'], [...path, i, 'path']);
    if (p === '') g.fail([...path, i, 'path'], 'must not be empty');
    const h = g.string(o['sha256'], [...path, i, 'sha256']);
    if (!SHA256_HEX.test(h)) g.fail([...path, i, 'sha256'], 'must be 64 lowercase hex digits');
    return { path: p, sha256: h };
  });
}

/** Checks the shape of a parsed line. @throws InputError naming the field */
function checkEntry(g: Guard, json: JsonValue): AuditEntry {
  const o = g.object(json, []);
  for (const k of Object.keys(o)) {
    if (!(ENTRY_FIELDS as readonly string[]).includes(k)) g.fail([k], 'unknown field');
  }
  for (const k of ENTRY_FIELDS) if (!Object.hasOwn(o, k)) g.fail([k], 'the field is missing');
  const seq = g.integer(o['seq'], ['seq'], 1);
  const time = g.string(o['time'], ['time']);
  if (!isStrictExpires(time)) g.fail(['time'], `"${time}" is not a date-time of the form 2026-11-23T10:00:00Z`);
  const actor = g.string(o['actor'], ['actor']);
  if (!KEYHOLDER_NAME.test(actor)) g.fail(['actor'], 'is not "coordinator" or a keyholder name');
  const command = g.string(o['command'], ['command']);
  if (!COMMAND.test(command)) g.fail(['command'], 'is not a command name');
  const artifacts = g.object(o['artifacts'], ['artifacts']);
  for (const k of Object.keys(artifacts)) if (k !== 'read' && k !== 'written') g.fail(['artifacts', k], 'unknown field');
  const read = checkArtifactList(g, artifacts['read'], ['artifacts', 'read']);
  const written = checkArtifactList(g, artifacts['written'], ['artifacts', 'written']);
  let device: AuditDevice | null = null;
  if (o['device'] !== null) {
    const d = g.object(o['device'], ['device']);
    g.string(d['backend'], ['device', 'backend']);
    device = d as AuditDevice;
  }
  const details = g.object(o['details'], ['details']);
  const prev = g.string(o['prev'], ['prev']);
  if (!SHA256_HEX.test(prev)) g.fail(['prev'], 'must be 64 lowercase hex digits');
  return { seq, time, actor, command, artifacts: { read, written }, device, details, prev };
}

function problemText(e: InputError, label: string): string {
  let m = e.message;
  if (m.startsWith(label + ': ')) m = m.slice(label.length + 2);
  return m.replace(/ at line 1 column (\d+)/, ' at column $1');
}

/** Reads one line (without its newline) on its own: parse, canonical form, fields. */
function scanLine(bytes: Uint8Array, line: number): { entry: AuditEntry | null; problems: AuditProblem[] } {
  const label = `line ${String(line)}`;
  if (bytes.length === 0) return { entry: null, problems: [{ line, kind: 'empty-line', message: 'empty line (every line must be an entry)' }] };
  let json: JsonValue;
  try {
    json = parseJson(bytes, label, { maxBytes: MAX_AUDIT_LOG_BYTES });
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    return { entry: null, problems: [{ line, kind: 'malformed', message: problemText(e, label) }] };
  }
  const problems: AuditProblem[] = [];
  // parseJson refused floats and lone surrogates, so the value canonicalizes.
  const canonical = canonicalize(json);
  if (canonical !== decoder.decode(bytes)) {
    problems.push({
      line,
      kind: 'not-canonical',
      message: 'is not in canonical form (sorted keys, no spaces, integers, raw strings): its bytes were edited by hand or by another tool',
    });
  }
  try {
    return { entry: checkEntry(new Guard(label), json), problems };
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    problems.push({ line, kind: 'malformed', message: problemText(e, label) });
    return { entry: null, problems };
  }
}

function checkSize(bytes: Uint8Array, file: string): void {
  if (bytes.length > MAX_AUDIT_LOG_BYTES) {
    throw new InputError(`${file}: file is ${String(bytes.length)} bytes, more than the ${String(MAX_AUDIT_LOG_BYTES)} accepted for an audit log`, {
      file,
    });
  }
}

/**
 * Splits a log into lines and reads each on its own. Never throws for
 * content: every problem is recorded on its line.
 * @throws InputError (exit 2) only when the log is larger than {@link MAX_AUDIT_LOG_BYTES}
 */
export function scanLog(bytes: Uint8Array, file: string): ScannedLog {
  checkSize(bytes, file);
  const lines: ScannedLine[] = [];
  let start = 0;
  let n = 0;
  while (start < bytes.length) {
    n++;
    const nl = bytes.indexOf(0x0a, start);
    const end = nl === -1 ? bytes.length : nl;
    const lineBytes = bytes.subarray(start, end);
    const { entry, problems } = scanLine(lineBytes, n);
    if (nl === -1) {
      problems.push({
        line: n,
        kind: 'incomplete-line',
        message:
          'the last line has no newline: a write was cut short (crash or full disk) or the file was edited; appending is refused until this is resolved',
      });
    }
    lines.push({ line: n, hash: hashLine(lineBytes), entry, problems });
    start = end + 1;
  }
  return { file, lines };
}

function plural(n: number, one: string, many = one + 's'): string {
  return `${String(n)} ${n === 1 ? one : many}`;
}

/** Checks the chain of a scanned log; see {@link verifyLog}. */
export function verifyScannedLog(scan: ScannedLog, expectedHead?: string): AuditVerifyResult {
  let expected: string | null = null;
  if (expectedHead !== undefined) {
    const norm = normalizeHead(expectedHead);
    if (norm === undefined) throw new InputError(`the head to check against, "${expectedHead}", is not 64 hex digits`, { field: 'head' });
    expected = norm;
  }
  const problems: AuditProblem[] = [];
  const warnings: AuditProblem[] = [];
  let prevHash = ZERO_HEAD;
  let prevSeq: number | null = 0;
  let prevTime: string | null = null;
  for (const l of scan.lines) {
    problems.push(...l.problems);
    const e = l.entry;
    if (e !== null) {
      if (e.prev !== prevHash) {
        problems.push({
          line: l.line,
          kind: 'broken-link',
          message:
            l.line === 1
              ? 'prev is not 64 zeros, as the first entry\'s must be: entries before it were removed, or the log was rewritten'
              : `prev does not match the hash of line ${String(l.line - 1)}: line ${String(l.line - 1)} was edited, or entries were inserted, deleted or reordered there`,
        });
      }
      if (prevSeq !== null && e.seq !== prevSeq + 1) {
        const missing = e.seq - prevSeq - 1;
        problems.push({
          line: l.line,
          kind: 'seq-gap',
          message:
            missing > 0
              ? `seq ${String(e.seq)} follows ${prevSeq === 0 ? 'the start of the log' : `seq ${String(prevSeq)}`}: ${plural(missing, 'entry', 'entries')} missing (deleted)`
              : `seq ${String(e.seq)} follows ${prevSeq === 0 ? 'the start of the log' : `seq ${String(prevSeq)}`}: entries were inserted or reordered`,
        });
      }
      if (prevTime !== null && e.time < prevTime) {
        warnings.push({
          line: l.line,
          kind: 'time-backwards',
          message: `time ${e.time} is earlier than the previous entry's ${prevTime}: a clock was changed, or entries were reordered`,
        });
      }
      prevSeq = e.seq;
      prevTime = e.time;
    } else {
      prevSeq = null;
    }
    prevHash = l.hash;
  }
  const count = scan.lines.length;
  const head = count === 0 ? ZERO_HEAD : (scan.lines[count - 1] as ScannedLine).hash;
  let appended: number | null = null;
  if (expected !== null) {
    if (expected === head) appended = 0;
    else if (expected === ZERO_HEAD) appended = count;
    else {
      let k = -1;
      for (let i = count - 1; i >= 0; i--) {
        if ((scan.lines[i] as ScannedLine).hash === expected) {
          k = i;
          break;
        }
      }
      if (k >= 0) appended = count - (k + 1);
      else {
        problems.push({
          line: count + 1,
          kind: 'head-mismatch',
          message:
            `no line of the log hashes to the head you were given (${expected}); the log ends at line ${String(count)} with head ${head}: ` +
            'entries recorded before that head was written down are missing (the log was truncated), or the log was rewritten',
        });
      }
    }
  }
  problems.sort((a, b) => a.line - b.line);
  return { ok: problems.length === 0, file: scan.file, entries: count, head, expectedHead: expected, appended, problems, warnings };
}

/**
 * Verifies a whole log: every line canonical JSON of a well-formed entry,
 * every `prev` the hash of the line before (64 zeros for the first), `seq`
 * 1, 2, 3, …, and, when `expectedHead` is given, that the log still holds
 * the line with that hash: as its last line (nothing appended since), or
 * earlier (`appended` entries since, which is fine: the log is append-only).
 * Times going backwards are warnings. Tampering is reported, never thrown.
 * @param expectedHead a head written down earlier (spaces, `:`, `-` and case are ignored)
 * @throws InputError (exit 2) when the log is larger than 64 MiB or `expectedHead` is not a SHA-256
 */
export function verifyLog(bytes: Uint8Array, file: string, expectedHead?: string): AuditVerifyResult {
  return verifyScannedLog(scanLog(bytes, file), expectedHead);
}

/**
 * The entries of a log, for reading (`audit show`, transcripts). Checks each
 * line's form but not the chain: use {@link verifyLog} for that.
 * @throws InputError (exit 2) naming the first line that is not an entry, or when the log is oversized
 */
export function parseEntries(bytes: Uint8Array, file: string): AuditEntry[] {
  const out: AuditEntry[] = [];
  for (const l of scanLog(bytes, file).lines) {
    if (l.entry === null) {
      const p = l.problems[0];
      throw new InputError(`${file}: line ${String(l.line)}: ${p?.message ?? 'not an entry'}`, {
        file,
        field: `line ${String(l.line)}`,
        hint: 'run `tuf-ceremony audit verify` for every problem of the log',
      });
    }
    out.push(l.entry);
  }
  return out;
}
