// SPDX-License-Identifier: Apache-2.0
/**
 * Ceremony transcripts (`audit export --format md|html`; format in
 * docs/formats.md §"Transcript"): what happened in a guided ceremony, built
 * only from the audit log. Participants, every step with its time and
 * result, exceptions, attestations, signatures, every audit entry and every
 * artifact hash, the final audit head, and a sign-off table with empty cells
 * for handwritten initials. The HTML is self-contained (no external
 * resources) and laid out for A4 paper.
 *
 * Pure: entries in, text out. Everything taken from the log is made
 * printable and escaped, since a tampered log may carry markup or terminal
 * escapes. No clock: the same log gives the same transcript.
 */
import { createHash } from 'node:crypto';
import type { JsonObject, JsonValue } from '../metadata/json.js';
import { keyOwner, unboundKeyId } from '../metadata/key-owner.js';
import { own, type Root } from '../metadata/model.js';
import { parseMetadata } from '../metadata/parse.js';
import { trustPictureSvg } from '../ui/trust-svg.js';
import type { AuditEntry, ScannedLine } from './entry.js';
import { printable, readableHead } from './render.js';

/** A workspace file and the SHA-256 the audit log holds for it. */
export interface LoggedFile {
  readonly path: string;
  readonly sha256: string;
}

/**
 * A root file the transcript draws, as the edge found it: read and its
 * SHA-256 equal to the logged one (`verified`), absent, different, or (hash
 * equal, yet) not a root the reader accepts.
 */
export type RootFileCheck =
  | { readonly $case: 'verified'; readonly root: Root }
  | { readonly $case: 'missing' }
  | { readonly $case: 'mismatch'; readonly sha256: string }
  | { readonly $case: 'invalid'; readonly reason: string };

/** The roots the edge read for a transcript, by {@link rootFileKey}. */
export type RootFiles = ReadonlyMap<string, RootFileCheck>;

export interface TranscriptStep {
  readonly seq: number;
  readonly index: number | null;
  readonly id: string;
  readonly title: string;
  readonly kind: string;
  readonly actor: string;
  readonly time: string;
  /** passed, failed, skipped (an exception is a failed step followed by an exception entry). */
  readonly result: string;
  readonly failure: string;
}

export interface Transcript {
  readonly workspace: string;
  /** Null when the log holds no guided ceremony: the transcript is then the whole log. */
  readonly run: {
    readonly id: string;
    readonly template: { readonly id: string; readonly revision: string; readonly title: string; readonly file: string; readonly sha256: string };
    readonly tool: { readonly version: string; readonly sha256: string };
    readonly started: string;
    readonly ended: string;
    /** finished, stopped, abandoned, or in progress. */
    readonly status: string;
    readonly signOff: string;
  } | null;
  /** Role (coordinator, witness, keyholder) and name, in that order. */
  readonly participants: readonly { readonly role: string; readonly name: string }[];
  /** The threshold M chosen for the run ("2 of 3 keyholders"), when known; what each root required is in `published`. */
  readonly threshold: string;
  /**
   * Each registered keyholder's key and whether it is hardware-attested, as
   * `keyholder add` recorded it; then the online and delegated keys whose
   * public key files a command kept in keys/ (`key_files`, never attested).
   */
  readonly keyHardware: readonly { readonly name: string; readonly keyid: string; readonly hardware: string; readonly attested: boolean }[];
  /** The online and delegated keys whose public key files a command kept in keys/ (`key_files` of its entry): names for the pictures. */
  readonly keyFiles: readonly { readonly name: string; readonly keyid: string }[];
  /**
   * What each publish in the covered entries wrote, from its audit entry:
   * the thresholds as the old and the new root stated them, and who has a
   * verified signature in the published file.
   */
  readonly published: readonly {
    readonly seq: number;
    readonly time: string;
    readonly role: string;
    readonly version: string;
    readonly files: readonly string[];
    readonly thresholds: readonly { readonly label: string; readonly rootVersion: string; readonly needed: string; readonly signers: readonly { readonly keyid: string; readonly keyholder: string }[] }[];
    /**
     * For a root: `N.root.json` as this entry wrote it, and `N-1.root.json`
     * as the log last recorded it before (`first` for version 1, `unlogged`
     * when the log holds no hash of it), to draw old → new from; null for
     * targets, or a publish entry that wrote no `N.root.json`.
     */
    readonly rootFiles: { readonly next: LoggedFile; readonly previous: LoggedFile | 'first' | 'unlogged' } | null;
  }[];
  readonly steps: readonly TranscriptStep[];
  readonly exceptions: readonly { readonly seq: number; readonly step: string; readonly time: string; readonly failure: string; readonly reason: string }[];
  readonly attestations: readonly { readonly seq: number; readonly witness: string; readonly step: string; readonly time: string; readonly statement: string; readonly confirmed: boolean }[];
  /** The run stopping (a failure, a missing answer, Ctrl-C), resuming, or being abandoned. */
  readonly interruptions: readonly { readonly seq: number; readonly time: string; readonly event: string; readonly step: string; readonly reason: string }[];
  /** Each signing attempt in the run (failed ones too); who ended up signing is in `published`. */
  readonly signatures: readonly { readonly seq: number; readonly keyholder: string; readonly step: string; readonly time: string; readonly result: string; readonly reason: string; readonly keyid: string }[];
  /** Every entry covered; `note` names its step, or the role and version it worked on. */
  readonly entries: readonly { readonly seq: number; readonly time: string; readonly actor: string; readonly command: string; readonly note: string }[];
  readonly artifacts: readonly { readonly seq: number; readonly command: string; readonly direction: 'read' | 'written'; readonly path: string; readonly sha256: string }[];
  /** The `prev` of the first entry covered: the log's head before the ceremony. */
  readonly headBefore: string;
  /** The hash of the last entry covered: the head to write down. */
  readonly head: string;
  readonly firstSeq: number;
  readonly lastSeq: number;
}

// ## Reading details defensively (the log is data, possibly tampered)

function text(v: JsonValue | undefined): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return printable(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return printable(JSON.stringify(v));
}

function obj(v: JsonValue | undefined): JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as JsonObject) : {};
}

function list(v: JsonValue | undefined): string[] {
  return Array.isArray(v) ? (v as readonly JsonValue[]).map(text) : [];
}

// ## Building

/**
 * The transcript of run `runId` (default: the last run in the log), or of
 * the whole log when it holds no run.
 * @throws Error naming the run when `runId` is not in the log (the command maps it to exit 2)
 */
export function buildTranscript(lines: readonly ScannedLine[], workspace: string, runId?: string): Transcript {
  const all = lines.flatMap((l) => (l.entry === null ? [] : [{ entry: l.entry, hash: l.hash }]));
  const starts = all.filter((x) => x.entry.command === 'run start');
  const start = runId === undefined ? starts[starts.length - 1] : starts.find((x) => x.entry.details['run'] === runId);
  if (runId !== undefined && start === undefined) throw new Error(`no run ${runId} in the audit log`);
  let covered = all;
  let run: Transcript['run'] = null;
  let participants: { role: string; name: string }[] = [];
  let threshold = '';
  if (start !== undefined) {
    const id = text(start.entry.details['run']);
    const mine = all.filter((x) => x.entry.details['run'] === id);
    const last = mine[mine.length - 1] ?? start;
    covered = all.filter((x) => x.entry.seq >= start.entry.seq && x.entry.seq <= last.entry.seq);
    const d = start.entry.details;
    const tpl = obj(d['template']);
    const tool = obj(d['tool']);
    const p = obj(d['participants']);
    const status =
      last.entry.command === 'run finish' ? 'finished' : last.entry.command === 'run stop' ? 'stopped' : last.entry.command === 'run abandon' ? 'abandoned' : 'in progress';
    run = {
      id,
      template: { id: text(tpl['id']), revision: text(tpl['revision']), title: text(tpl['title']), file: text(tpl['file']), sha256: text(tpl['sha256']) },
      tool: { version: text(tool['version']), sha256: text(tool['sha256']) },
      started: start.entry.time,
      ended: last.entry.time,
      status,
      signOff: text(d['sign_off']),
    };
    const keyholders = list(p['keyholders']);
    participants = [
      { role: 'coordinator', name: text(p['coordinator']) },
      ...list(p['witnesses']).map((name) => ({ role: 'witness', name })),
      ...keyholders.map((name) => ({ role: 'keyholder', name })),
    ];
    threshold = `${text(p['threshold'])} of ${String(keyholders.length)} keyholders`;
  } else {
    const actors = [...new Set(all.map((x) => x.entry.actor))];
    participants = actors.map((name) => ({ role: name === 'coordinator' ? 'coordinator' : 'keyholder', name: printable(name) }));
  }
  const entries = covered.map((x) => x.entry);
  const of = (command: string): AuditEntry[] => entries.filter((e) => e.command === command);
  const first = entries[0];
  const lastCovered = covered[covered.length - 1];
  return {
    workspace: printable(workspace),
    run,
    participants,
    threshold,
    keyHardware: keyHardware(all.map((x) => x.entry)),
    keyFiles: keyFiles(all.map((x) => x.entry)),
    steps: (run === null ? [] : of('run step')).map((e) => {
      const d = e.details;
      return {
        seq: e.seq,
        index: typeof d['index'] === 'number' ? d['index'] : null,
        id: text(d['step']),
        title: text(d['title']),
        kind: text(d['kind']),
        actor: text(d['actor']),
        time: e.time,
        result: text(d['result']),
        failure: text(d['failure']),
      };
    }),
    exceptions: of('run exception').map((e) => ({ ...when(e), failure: text(e.details['failure']), reason: text(e.details['reason']) })),
    attestations: of('run attest').map((e) => ({ ...when(e), witness: printable(e.actor), statement: text(e.details['statement']), confirmed: e.details['confirmed'] === true })),
    interruptions: entries
      .filter((e) => e.command === 'run stop' || e.command === 'run resume' || e.command === 'run abandon')
      .map((e) => ({ ...when(e), event: e.command === 'run stop' ? 'stopped' : e.command === 'run resume' ? 'resumed' : 'abandoned', reason: text(e.details['reason']) })),
    published: publications(entries, all.map((x) => x.entry)),
    signatures: of('run sign').map((e) => ({ ...when(e), keyholder: printable(e.actor), result: text(e.details['result']), reason: text(e.details['reason']), keyid: text(e.details['keyid']) })),
    entries: entries.map((e) => ({ seq: e.seq, time: e.time, actor: printable(e.actor), command: printable(e.command), note: noteOf(e) })),
    artifacts: entries.flatMap((e) => [
      ...e.artifacts.read.map((a) => ({ seq: e.seq, command: printable(e.command), direction: 'read' as const, path: printable(a.path), sha256: a.sha256 })),
      ...e.artifacts.written.map((a) => ({ seq: e.seq, command: printable(e.command), direction: 'written' as const, path: printable(a.path), sha256: a.sha256 })),
    ]),
    headBefore: first?.prev ?? '0'.repeat(64),
    head: lastCovered?.hash ?? '0'.repeat(64),
    firstSeq: first?.seq ?? 0,
    lastSeq: lastCovered?.entry.seq ?? 0,
  };
}

/**
 * The `publish` entries: role, version, files written, and per threshold
 * what the root required and whose signatures verified. Names come from the
 * entry (older logs: from the run's signature entries, else the key ID).
 */
function publications(entries: readonly AuditEntry[], log: readonly AuditEntry[]): Transcript['published'] {
  const byKeyid = new Map<string, string>();
  for (const e of entries) {
    if (e.command === 'run sign' && e.details['result'] === 'signed' && typeof e.details['keyid'] === 'string') byKeyid.set(e.details['keyid'], printable(e.actor));
  }
  return entries
    .filter((e) => e.command === 'publish')
    .map((e) => {
      const d = e.details;
      const thresholds = Array.isArray(d['thresholds']) ? (d['thresholds'] as readonly JsonValue[]).map(obj) : [];
      return {
        seq: e.seq,
        time: e.time,
        role: text(d['role']),
        version: text(d['version']),
        files: e.artifacts.written.map((a) => printable(a.path)),
        thresholds: thresholds.map((t) => {
          const ids = list(t['valid_keyids']);
          const names = list(t['signed_by']);
          const keys = typeof t['keys'] === 'number' ? ` of ${String(t['keys'])}` : '';
          return {
            label: text(t['label']),
            rootVersion: text(t['root_version']),
            needed: `${text(t['threshold'])}${keys}`,
            signers: ids.map((keyid, i) => ({ keyid, keyholder: names.length === ids.length ? (names[i] as string) : (byKeyid.get(keyid) ?? keyid.slice(0, 16)) })),
          };
        }),
        rootFiles: d['role'] === 'root' ? rootFilesOf(e, log) : null,
      };
    });
}

/** The path of root version `v`, built here from the number (never a path taken from the log). */
const rootPath = (v: number): string => `metadata/${String(v)}.root.json`;

/** The last SHA-256 the log records as written to `path` by an entry before `seq`. */
function loggedHash(log: readonly AuditEntry[], path: string, beforeSeq: number): LoggedFile | undefined {
  let found: LoggedFile | undefined;
  for (const e of log) {
    if (e.seq >= beforeSeq) break;
    for (const a of e.artifacts.written) if (a.path === path) found = { path, sha256: a.sha256 };
  }
  return found;
}

function rootFilesOf(e: AuditEntry, log: readonly AuditEntry[]): Transcript['published'][number]['rootFiles'] {
  const v = e.details['version'];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) return null;
  const written = e.artifacts.written.find((a) => a.path === rootPath(v));
  if (written === undefined) return null;
  const next = { path: rootPath(v), sha256: written.sha256 };
  if (v === 1) return { next, previous: 'first' };
  return { next, previous: loggedHash(log, rootPath(v - 1), e.seq) ?? 'unlogged' };
}

// ## The roots the transcript draws (read at the edge, checked here)

/** The key of a logged file in {@link RootFiles}: its hash and its path. */
export function rootFileKey(f: LoggedFile): string {
  return `${f.sha256} ${f.path}`;
}

/** Every root file the transcript's pictures need, once each. */
export function rootFilesNeeded(t: Transcript): LoggedFile[] {
  const out = new Map<string, LoggedFile>();
  for (const p of t.published) {
    if (p.rootFiles === null) continue;
    out.set(rootFileKey(p.rootFiles.next), p.rootFiles.next);
    if (typeof p.rootFiles.previous === 'object') out.set(rootFileKey(p.rootFiles.previous), p.rootFiles.previous);
  }
  return [...out.values()];
}

/**
 * Checks the bytes the edge read for a logged root file (null: no such
 * file): only bytes whose SHA-256 is the logged one are parsed and drawn.
 */
export function checkRootFile(f: LoggedFile, bytes: Uint8Array | null): RootFileCheck {
  if (bytes === null) return { $case: 'missing' };
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== f.sha256) return { $case: 'mismatch', sha256 };
  try {
    return { $case: 'verified', root: parseMetadata(bytes, f.path, 'root').signed };
  } catch (e) {
    return { $case: 'invalid', reason: e instanceof Error ? e.message : String(e) };
  }
}

/** One root publication's picture: the SVG, or null with the reasons it is not drawn. */
interface TrustPicture {
  readonly title: string;
  readonly svg: string | null;
  readonly notes: readonly string[];
}

function problem(f: LoggedFile, c: RootFileCheck | undefined): string | null {
  if (c === undefined) return `${f.path} was not read; not drawn`;
  switch (c.$case) {
    case 'verified':
      return null;
    case 'missing':
      return `${f.path} is missing from the workspace; the audit log records SHA-256 ${f.sha256}`;
    case 'mismatch':
      return `${f.path} does not match the audit log: its SHA-256 is ${c.sha256}, the log records ${f.sha256}; not drawn from an unverified file`;
    case 'invalid':
      return `${f.path} cannot be read as the root the audit log records: ${printable(c.reason)}; not drawn`;
  }
}

/**
 * The trust picture of each root the covered entries published: old → new
 * from files whose SHA-256 is the logged one; names bound in the signed key
 * objects, else as `keyholder add` recorded them; "attested" where that
 * entry recorded a verified hardware attestation.
 */
function trustPictures(t: Transcript, roots: RootFiles): TrustPicture[] {
  const out: TrustPicture[] = [];
  for (const p of t.published) {
    if (p.rootFiles === null) continue;
    const title = `root version ${p.version} (audit entry ${String(p.seq)})`;
    const { next, previous } = p.rootFiles;
    const files = [next, ...(typeof previous === 'object' ? [previous] : [])];
    const notes = files.flatMap((f) => problem(f, roots.get(rootFileKey(f))) ?? []);
    const nextRoot = roots.get(rootFileKey(next));
    const prevCheck = typeof previous === 'object' ? roots.get(rootFileKey(previous)) : undefined;
    if (notes.length > 0 || nextRoot?.$case !== 'verified' || (prevCheck !== undefined && prevCheck.$case !== 'verified')) {
      out.push({ title, svg: null, notes });
      continue;
    }
    if (previous === 'unlogged') notes.push(`the audit log holds no SHA-256 of metadata/${String(Number(p.version) - 1)}.root.json: drawn without the old root`);
    const before = prevCheck?.$case === 'verified' ? prevCheck.root : null;
    const known = (keyid: string): Transcript['keyHardware'][number] | undefined => {
      const key = own(nextRoot.root.keys, keyid) ?? (before === null ? undefined : own(before.keys, keyid));
      const ids = key === undefined ? [keyid] : [keyid, unboundKeyId(key)];
      return t.keyHardware.find((k) => ids.includes(k.keyid));
    };
    const names = (keyid: string): string | undefined => {
      const key = own(nextRoot.root.keys, keyid) ?? (before === null ? undefined : own(before.keys, keyid));
      return keyOwner(key) ?? known(keyid)?.name ?? t.keyFiles.find((k) => k.keyid === keyid)?.name;
    };
    const hardware = (keyid: string): 'attested' | undefined => (known(keyid)?.attested === true ? 'attested' : undefined);
    out.push({ title, svg: trustPictureSvg({ previous: before, next: nextRoot.root, names, hardware }), notes });
  }
  return out;
}

/** Where and when a run entry happened: its seq, step and time. */
function when(e: AuditEntry): { seq: number; step: string; time: string } {
  return { seq: e.seq, step: text(e.details['step']), time: e.time };
}

/** What an entry worked on, in a few words: its step, or its role and version. */
function noteOf(e: AuditEntry): string {
  const d = e.details;
  if (d['step'] !== undefined) return `step ${text(d['step'])}${d['result'] === undefined ? '' : `: ${text(d['result'])}`}`;
  if (d['role'] !== undefined) return `${text(d['role'])}${d['version'] === undefined ? '' : ` version ${text(d['version'])}`}`;
  return '';
}

/** Result as a word for people: an exception step reads "exception". */
function resultOf(t: Transcript, s: TranscriptStep): string {
  if (s.result === 'failed' && t.exceptions.some((x) => x.step === s.id && x.seq > s.seq)) return 'exception';
  return s.result;
}

// ## The document, once for both formats

/** A run of text in a cell: plain, bold, a hash (monospace), or a line break. */
type Run = { readonly text: string; readonly style?: 'strong' | 'hash' } | { readonly style: 'break' };
type Cell = string | readonly Run[];

interface Table {
  readonly title: string;
  readonly cls: string;
  /** Null for a key-value table without headers. */
  readonly head: readonly string[] | null;
  readonly rows: readonly (readonly Cell[])[];
  /** A line after the table. */
  readonly note?: string;
}

const hash = (h: string): Cell => [{ text: h, style: 'hash' }];

function summaryRows(t: Transcript): Cell[][] {
  const rows: Cell[][] = [['Workspace', t.workspace]];
  if (t.run !== null) {
    rows.push(
      ['Run', t.run.id],
      ['Template', `${t.run.template.id} revision ${t.run.template.revision} (${t.run.template.file})`],
      ['Template SHA-256', hash(t.run.template.sha256)],
      ['Tool', `tuf-ceremony ${t.run.tool.version}`],
      ['Tool SHA-256', hash(t.run.tool.sha256)],
      ['Started (UTC)', t.run.started],
      ['Last entry (UTC)', t.run.ended],
      ['Status', t.run.status]
    );
  }
  rows.push(['Audit entries', `${String(t.firstSeq)}–${String(t.lastSeq)}`], ['Audit head before', hash(t.headBefore)], ['Final audit head', hash(t.head)]);
  return rows;
}

/** What each `keyholder add` recorded about the keyholders' hardware (the latest entry per name). */
function keyHardware(entries: readonly AuditEntry[]): Transcript['keyHardware'][number][] {
  const byName = new Map<string, Transcript['keyHardware'][number]>();
  for (const e of entries) {
    if (e.command !== 'keyholder add') continue;
    const added = e.details['keyholders'];
    for (const k of Array.isArray(added) ? (added as readonly JsonValue[]) : []) {
      const o = obj(k);
      const h = obj(o['hardware']);
      const attested = text(h['attested']) === 'yes';
      const hardware = attested
          ? `generated on a YubiKey, serial ${text(h['serial'])}, firmware ${text(h['firmware'])}, slot ${text(h['slot'])}, PIN/touch policy ${text(h['pin_policy'])}/${text(h['touch_policy'])}`
          : 'not attested';
      byName.set(text(o['name']), { name: printable(text(o['name'])), keyid: text(o['keyid']), hardware, attested });
    }
  }
  return [...byName.values()];
}

/** The `key_files` every entry recorded: name and key ID of each online or delegated key file kept. */
function keyFiles(entries: readonly AuditEntry[]): { name: string; keyid: string }[] {
  return entries.flatMap((e) => {
    const kept = e.details['key_files'];
    return (Array.isArray(kept) ? (kept as readonly JsonValue[]) : []).map((k) => ({ name: text(obj(k)['name']), keyid: text(obj(k)['keyid']) }));
  });
}

/** Every table of the transcript, in order. Empty lists print "None.". */
function tables(t: Transcript): Table[] {
  const out: Table[] = [
    { title: '', cls: 'summary', head: null, rows: summaryRows(t) },
    {
      title: 'Participants',
      cls: 'participants',
      head: ['Role', 'Name', 'Initials'],
      rows: t.participants.map((p) => [p.role, p.name, '']),
      ...(t.threshold === '' ? {} : { note: `Threshold chosen for this run: ${t.threshold}. What each root required is under "Published".` }),
    },
    {
      title: 'Keys and hardware',
      cls: 'hardware',
      head: ['Keyholder', 'Key ID', 'Hardware attestation'],
      rows: t.keyHardware.map((k) => [k.name, k.keyid.slice(0, 16), k.hardware]),
    },
  ];
  if (t.run !== null) {
    out.push(
      {
        title: 'Steps',
        cls: 'steps',
        head: ['#', 'Step', 'Kind', 'Actor', 'Time (UTC)', 'Result', 'Initials'],
        rows: t.steps.map((s) => {
          const r = resultOf(t, s);
          const step: Run[] = [{ text: s.id, style: 'strong' }, { text: `: ${s.title}` }];
          if (s.failure !== '') step.push({ style: 'break' }, { text: s.failure });
          return [s.index === null ? '' : String(s.index + 1), step, s.kind, s.actor, s.time, r === 'passed' ? r : [{ text: r, style: 'strong' }], ''];
        }),
      },
      { title: 'Exceptions', cls: 'exceptions', head: ['Step', 'Time (UTC)', 'What failed', 'Reason given', 'Initials'], rows: t.exceptions.map((x) => [x.step, x.time, x.failure, x.reason, '']) },
      {
        title: 'Stops and resumptions',
        cls: 'interruptions',
        head: ['Seq', 'Time (UTC)', 'Event', 'Step', 'Reason'],
        rows: t.interruptions.map((x) => [String(x.seq), x.time, x.event, x.step, x.reason]),
      },
      {
        title: 'Attestations',
        cls: 'attestations',
        head: ['Witness', 'Step', 'Time (UTC)', 'Statement', 'Attested'],
        rows: t.attestations.map((a) => [a.witness, a.step, a.time, a.statement, a.confirmed ? 'yes' : 'no']),
      },
      {
        title: 'Signing attempts',
        cls: 'signatures',
        head: ['Keyholder', 'Step', 'Time (UTC)', 'Result', 'Key ID'],
        rows: t.signatures.map((s) => [s.keyholder, s.step, s.time, s.reason === '' ? s.result : [{ text: s.result }, { style: 'break' }, { text: s.reason }], s.keyid === '' ? '' : hash(s.keyid)]),
      }
    );
  }
  out.push({
    title: 'Published',
    cls: 'published',
    head: ['Seq', 'Role', 'Threshold', 'Needed', 'Verified signatures in the published file'],
    rows: t.published.flatMap((p) =>
      p.thresholds.map((x): Cell[] => [
        String(p.seq),
        `${p.role} version ${p.version}`,
        `${x.label}${x.rootVersion === '' ? '' : ` (version ${x.rootVersion})`}`,
        x.needed,
        x.signers.length === 0 ? 'none' : x.signers.flatMap((g, i): Run[] => [...(i > 0 ? [{ style: 'break' } as const] : []), { text: `${g.keyholder} ` }, { text: g.keyid, style: 'hash' }]),
      ])
    ),
  });
  out.push(
    { title: 'Audit log entries', cls: 'entries', head: ['Seq', 'Time (UTC)', 'Actor', 'Command', 'On'], rows: t.entries.map((e) => [String(e.seq), e.time, e.actor, e.command, e.note]) },
    { title: 'Artifacts', cls: 'artifacts', head: ['Seq', 'Command', '', 'Path', 'SHA-256'], rows: t.artifacts.map((a) => [String(a.seq), a.command, a.direction, a.path, hash(a.sha256)]) }
  );
  return out;
}

const SIGN_OFF_HEAD = ['Name', 'Role', 'Initials', 'Signature', 'Date', 'Audit head, first 8 digits (handwritten)'];
const title = (t: Transcript): string => (t.run === null ? 'Audit log transcript' : `Ceremony transcript: ${t.run.template.title}`);
const footer = (t: Transcript): string => `Generated by tuf-ceremony from audit/log.jsonl entries ${String(t.firstSeq)}–${String(t.lastSeq)} of workspace ${t.workspace}.`;

// ## Markdown

function md(s: string): string {
  return s.replace(/\s+/g, ' ').replace(/([\\`*_{}[\]<>()#+!|~])/g, '\\$1');
}

function mdCell(c: Cell): string {
  if (typeof c === 'string') return c === '' ? ' ' : md(c);
  const run = (r: Run): string => {
    if (r.style === 'break') return ' — ';
    if (r.style === 'hash') return /^[0-9a-f]+$/.test(r.text) ? `\`${r.text}\`` : md(r.text);
    return r.style === 'strong' ? `**${md(r.text)}**` : md(r.text);
  };
  return c.map(run).join('');
}

function mdTable(head: readonly string[], rows: readonly (readonly Cell[])[]): string[] {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => ' --- ').join('|')}|`, ...rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`)];
}

/**
 * The transcript as Markdown. `roots`: the published roots as the edge read
 * and checked them; the pictures are in the HTML, their notes in both.
 */
export function renderTranscriptMarkdown(t: Transcript, roots: RootFiles = new Map()): string {
  const out: string[] = [`# ${md(title(t))}`, ''];
  for (const tb of tables(t)) {
    if (tb.title !== '') out.push(`## ${tb.title}`, '');
    out.push(...(tb.rows.length === 0 ? ['None.'] : mdTable(tb.head ?? ['', ''], tb.rows)));
    if (tb.note !== undefined) out.push('', md(tb.note));
    out.push('');
    if (tb.cls !== 'published') continue;
    for (const p of trustPictures(t, roots)) {
      out.push(`### Trust: ${md(p.title)}`, '', p.svg === null ? 'Not drawn.' : 'Drawn in the HTML transcript.', '');
      for (const n of p.notes) out.push(`- ${md(n)}`);
      if (p.notes.length > 0) out.push('');
    }
  }
  out.push('## Final audit head', '', `\`${t.head}\``, '', `\`${readableHead(t.head)}\``, '', '## Sign-off', '');
  if (t.run !== null && t.run.signOff !== '') out.push(md(t.run.signOff), '');
  out.push(...mdTable(SIGN_OFF_HEAD, t.participants.map((p) => [p.name, p.role, '', '', '', ''])), '', md(footer(t)), '');
  return out.join('\n');
}

// ## HTML

function html(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function htmlCell(c: Cell): string {
  if (typeof c === 'string') return html(c);
  return c.map((r) => (r.style === 'break' ? '<br>' : r.style === 'hash' ? `<span class="hash">${html(r.text)}</span>` : r.style === 'strong' ? `<b>${html(r.text)}</b>` : html(r.text))).join('');
}

/** A table; a header `Time (UTC)` gives its column's cells a class that does not wrap. */
function htmlTable(cls: string, head: readonly string[] | null, rows: readonly (readonly Cell[])[]): string {
  const classes = (head ?? []).map((h) => (h.startsWith('Time') ? ' class="time"' : h === 'Name' && cls === 'signoff' ? ' class="name"' : ''));
  const th = head === null ? '' : `<thead><tr>${head.map((h) => `<th>${html(h)}</th>`).join('')}</tr></thead>\n`;
  const body = rows.map((r) => `<tr>${r.map((c, i) => `<td${classes[i] ?? ''}>${htmlCell(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table class="${cls}">${th}<tbody>\n${body}\n</tbody></table>`;
}

/** Print layout: A4 with margins, black on white, tables that repeat their headers and do not split rows. */
const CSS = `
@page { size: A4; margin: 16mm 14mm 18mm 14mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 9.5pt; line-height: 1.35; color: #000; background: #fff; margin: 0; }
h1 { font-size: 16pt; margin: 0 0 4mm; }
h2 { font-size: 12pt; margin: 6mm 0 2mm; break-after: avoid; page-break-after: avoid; }
p { margin: 0 0 2mm; }
table { width: 100%; border-collapse: collapse; margin: 0 0 2mm; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
th, td { border: 0.5pt solid #000; padding: 1.2mm 1.6mm; text-align: left; vertical-align: top; }
th { background: #e8e8e8; font-weight: bold; }
.hash { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 8pt; word-break: break-all; overflow-wrap: anywhere; }
.summary td:first-child { width: 32%; font-weight: bold; }
.signoff td { height: 14mm; }
.signoff td.name { width: 28mm; }
td.time { white-space: nowrap; font-size: 8.5pt; }
.head { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 11pt; border: 1pt solid #000; padding: 3mm; word-break: break-all; }
.none { font-style: italic; }
footer { margin-top: 6mm; font-size: 8pt; }
figure.trust { margin: 3mm 0; break-inside: avoid; page-break-inside: avoid; }
figure.trust figcaption { font-weight: bold; margin-bottom: 1mm; }
figure.trust svg { width: 100%; max-width: 182mm; height: auto; }
p.note { font-weight: bold; }
`;

/**
 * The transcript as one self-contained HTML page, for printing on A4.
 * `roots`: the published roots as the edge read and checked them; each root
 * publication gets its trust picture (inline SVG) or the reason it has none.
 */
export function renderTranscriptHtml(t: Transcript, roots: RootFiles = new Map()): string {
  const parts: string[] = [`<h1>${html(title(t))}</h1>`];
  for (const tb of tables(t)) {
    if (tb.title !== '') parts.push(`<h2>${html(tb.title)}</h2>`);
    parts.push(tb.rows.length === 0 ? '<p class="none">None.</p>' : htmlTable(tb.cls, tb.head, tb.rows));
    if (tb.note !== undefined) parts.push(`<p>${html(tb.note)}</p>`);
    if (tb.cls !== 'published') continue;
    for (const p of trustPictures(t, roots)) {
      parts.push(`<figure class="trust"><figcaption>Trust: ${html(p.title)}</figcaption>`, ...p.notes.map((n) => `<p class="note">${html(n)}</p>`));
      if (p.svg !== null) parts.push(p.svg);
      parts.push('</figure>');
    }
  }
  parts.push('<h2>Final audit head</h2>', `<p class="head">${html(t.head)}<br>${html(readableHead(t.head))}</p>`, '<section><h2>Sign-off</h2>');
  if (t.run !== null && t.run.signOff !== '') parts.push(`<p>${html(t.run.signOff)}</p>`);
  parts.push(htmlTable('signoff', SIGN_OFF_HEAD, t.participants.map((p) => [p.name, p.role, '', '', '', ''])), '</section>', `<footer>${html(footer(t))}</footer>`);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${html(title(t))}</title>
<style>${CSS}</style>
</head>
<body>
${parts.join('\n')}
</body>
</html>
`;
}
