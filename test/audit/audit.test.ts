// SPDX-License-Identifier: Apache-2.0
/**
 * The audit log: its chain verifies; every kind of tampering (edit, delete,
 * insert, reorder, truncation, hand formatting, hostile lines) is found and
 * named by line; a crash's half line stops appends; concurrent processes
 * never interleave; secrets are refused. Real files throughout.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, open, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ENTRY_FIELDS,
  MAX_AUDIT_LOG_BYTES,
  ZERO_HEAD,
  encodeEntry,
  hashLine,
  isSecretFieldName,
  nextEntry,
  normalizeHead,
  parseEntries,
  verifyLog,
  type AuditEntry,
  type AuditEvent,
  type AuditProblemKind,
  type AuditVerifyResult,
} from '../../src/audit/entry.js';
import { AUDIT_LOG_PATH, appendAuditEntry, readAuditLog } from '../../src/audit/log.js';
import { printable, readableHead, renderAuditLog, renderAuditVerify } from '../../src/audit/render.js';
import { runAuditShow, runAuditVerify } from '../../src/cli/commands/audit.js';
import type { GlobalOptions, Io } from '../../src/cli/io.js';
import { canonicalize } from '../../src/metadata/canonical.js';
import { CeremonyError, InputError, IoError, UsageError, VerificationError } from '../../src/errors.js';
import { PLAIN } from '../../src/ui/render.js';

const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

let tmp: string;
let counter = 0;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'tuf-ceremony-audit-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function workspace(): Promise<string> {
  const dir = join(tmp, `ws-${String(counter++)}`);
  await mkdir(dir);
  return dir;
}

function event(i: number): AuditEvent {
  return {
    actor: i % 2 === 0 ? 'coordinator' : 'alice',
    command: i % 3 === 0 ? 'keyholder add' : 'root add-key',
    artifacts: {
      read: [{ path: `keyholders/k${String(i)}.pub.json`, sha256: sha(`read ${String(i)}`) }],
      written: [{ path: 'drafts/root.json', sha256: sha(`written ${String(i)}`) }],
    },
    device: i % 2 === 0 ? null : { backend: 'pkcs11', model: 'YubiKey 5', serial: '12345678', label: 'alice' },
    details: { keyid: sha(`key ${String(i)}`), version: i },
  };
}

/** A log of `n` entries built in memory: its lines (without newlines). */
function chain(n: number): string[] {
  const lines: string[] = [];
  let head = ZERO_HEAD;
  for (let i = 1; i <= n; i++) {
    const next = nextEntry(head, i - 1, event(i), T0 + i * 60_000);
    lines.push(next.line);
    head = next.head;
  }
  return lines;
}

const bytesOf = (lines: readonly string[]): Buffer => Buffer.from(lines.map((l) => l + '\n').join(''), 'utf8');
const entryOf = (line: string): AuditEntry => JSON.parse(line) as AuditEntry;
const reencode = (e: object): string => canonicalize(e);

/** Re-links lines i+1.. to their (changed) predecessors, as a careful forger would. */
function relink(lines: string[], from: number): string[] {
  const out = [...lines];
  for (let i = from; i < out.length; i++) {
    const e = entryOf(out[i] as string);
    out[i] = reencode({ ...e, prev: hashLine(out[i - 1] as string) });
  }
  return out;
}

function kinds(r: AuditVerifyResult): string[] {
  return r.problems.map((p) => `${String(p.line)}:${p.kind}`);
}

function has(r: AuditVerifyResult, line: number, kind: AuditProblemKind): boolean {
  return r.problems.some((p) => p.line === line && p.kind === kind);
}

const GLOBAL: GlobalOptions = { json: false, color: false, input: false, yes: false };

function fakeIo(cwd: string): { io: Io; out: () => string; err: () => string } {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env: {},
    now: () => {
      throw new Error('the clock was read');
    },
    isTTY: false,
    cwd,
    prompter: null,
  };
  return { io, out: () => stdout, err: () => stderr };
}

describe('audit log: the chain', () => {
  it('appends entries to a real file and the chain verifies', async () => {
    const ws = await workspace();
    const heads: string[] = [];
    for (let i = 1; i <= 5; i++) {
      const { entry, head } = await appendAuditEntry(ws, event(i), T0 + i * 1000 + 999);
      assert.equal(entry.seq, i);
      heads.push(head);
    }
    const log = readAuditLog(ws);
    assert.equal(log.exists, true);
    const text = Buffer.from(log.bytes).toString('utf8');
    assert.ok(text.endsWith('\n'));
    const lines = text.slice(0, -1).split('\n');
    assert.equal(lines.length, 5);
    // Each line is the canonical JSON of itself, with exactly the documented fields.
    for (const l of lines) {
      assert.equal(reencode(JSON.parse(l) as object), l);
      assert.deepEqual(Object.keys(JSON.parse(l) as object), [...ENTRY_FIELDS]);
    }
    const first = entryOf(lines[0] as string);
    assert.equal(first.prev, ZERO_HEAD);
    assert.equal(first.time, '2026-11-23T10:00:01Z', 'whole seconds, UTC');
    assert.equal(entryOf(lines[1] as string).prev, hashLine(lines[0] as string));
    const r = verifyLog(log.bytes, log.file);
    assert.deepEqual(kinds(r), []);
    assert.equal(r.ok, true);
    assert.equal(r.entries, 5);
    assert.equal(r.head, heads[4]);
    assert.equal(r.head, sha(lines[4] as string));
    assert.equal(verifyLog(log.bytes, log.file, heads[4]).appended, 0);
    assert.deepEqual(
      parseEntries(log.bytes, log.file).map((e) => e.seq),
      [1, 2, 3, 4, 5]
    );
  });

  it('an empty or missing log is empty: head 64 zeros', async () => {
    const ws = await workspace();
    const log = readAuditLog(ws);
    assert.equal(log.exists, false);
    const r = verifyLog(log.bytes, log.file, ZERO_HEAD);
    assert.equal(r.ok, true);
    assert.equal(r.entries, 0);
    assert.equal(r.head, ZERO_HEAD);
    assert.throws(() => readAuditLog(join(ws, 'nope')), InputError);
  });

  it('nextEntry is pure and deterministic; time is the caller\'s', () => {
    const a = nextEntry(ZERO_HEAD, 0, event(1), T0 + 1500);
    const b = nextEntry(ZERO_HEAD, 0, event(1), T0 + 1500);
    assert.equal(a.line, b.line);
    assert.equal(a.head, hashLine(a.line));
    assert.equal(a.entry.time, '2026-11-23T10:00:01Z');
    assert.equal(encodeEntry(a.entry), a.line);
    const minimal = nextEntry(a.head, 1, { actor: 'coordinator', command: 'init' }, T0);
    assert.deepEqual(minimal.entry.artifacts, { read: [], written: [] });
    assert.equal(minimal.entry.device, null);
    assert.deepEqual(minimal.entry.details, {});
    assert.equal(minimal.entry.seq, 2);
  });

  it('a head may be given as written down: groups, colons, upper case', () => {
    const h = sha('x');
    assert.equal(normalizeHead(readableHead(h).toUpperCase()), h);
    assert.equal(normalizeHead(h.match(/../g)?.join(':') ?? ''), h);
    assert.equal(normalizeHead('abc'), undefined);
    assert.throws(() => verifyLog(bytesOf(chain(1)), 'log', 'nothex'), InputError);
  });
});

describe('audit log: tampering is found, with the line', () => {
  const N = 6;
  const good = chain(N);
  const lastHead = hashLine(good[N - 1] as string);

  it('an edited entry (one field changed, re-encoded canonically) breaks the next link', () => {
    const lines = [...good];
    lines[2] = reencode({ ...entryOf(lines[2] as string), actor: 'mallory' });
    const r = verifyLog(bytesOf(lines), 'log');
    assert.equal(r.ok, false);
    assert.deepEqual(kinds(r), ['4:broken-link']);
    assert.match(r.problems[0]?.message ?? '', /line 3 was edited/);
  });

  it('every single-field edit of every line is caught; the last line only with --head', () => {
    const edits: [string, (e: AuditEntry) => object][] = [
      ['seq', (e) => ({ ...e, seq: e.seq + 100 })],
      ['time', (e) => ({ ...e, time: '2027-01-01T00:00:00Z' })],
      ['actor', (e) => ({ ...e, actor: 'mallory' })],
      ['command', (e) => ({ ...e, command: 'publish' })],
      ['artifacts', (e) => ({ ...e, artifacts: { ...e.artifacts, written: [{ path: 'x', sha256: sha('forged') }] } })],
      ['device', (e) => ({ ...e, device: { backend: 'file' } })],
      ['details', (e) => ({ ...e, details: { ...e.details, version: 99 } })],
      ['prev', (e) => ({ ...e, prev: sha('other') })],
    ];
    for (let i = 0; i < N; i++) {
      for (const [field, edit] of edits) {
        const lines = [...good];
        lines[i] = reencode(edit(entryOf(lines[i] as string)));
        const r = verifyLog(bytesOf(lines), 'log');
        if (i < N - 1) {
          assert.ok(has(r, i + 2, 'broken-link'), `line ${String(i + 1)} ${field}: ${kinds(r).join(' ')}`);
        } else if (field !== 'seq' && field !== 'prev') {
          // A chain cannot show an edit of its last line: that is what the head is for.
          assert.equal(r.ok, true, `last line ${field}`);
        }
        const withHead = verifyLog(bytesOf(lines), 'log', lastHead);
        assert.equal(withHead.ok, false, `line ${String(i + 1)} ${field} with --head`);
      }
    }
  });

  it('an edit that only changes formatting is not canonical', () => {
    const lines = [...good];
    lines[1] = (lines[1] as string).replace('"actor":', '"actor": ');
    const r = verifyLog(bytesOf(lines), 'log');
    assert.deepEqual(kinds(r), ['2:not-canonical', '3:broken-link']);
    const crlf = Buffer.from(good.map((l) => l + '\r\n').join(''));
    const r2 = verifyLog(crlf, 'log');
    assert.ok(has(r2, 1, 'not-canonical'));
  });

  it('an edited entry with every later prev recomputed: found only by the head (and a partial relink by the next link)', () => {
    const lines = [...good];
    lines[2] = reencode({ ...entryOf(lines[2] as string), actor: 'mallory' });
    const partial = [...lines];
    partial[3] = reencode({ ...entryOf(partial[3] as string), prev: hashLine(partial[2] as string) });
    assert.deepEqual(kinds(verifyLog(bytesOf(partial), 'log')), ['5:broken-link']);
    const forged = relink(lines, 3);
    assert.equal(verifyLog(bytesOf(forged), 'log').ok, true, 'a full rewrite is self-consistent');
    const r = verifyLog(bytesOf(forged), 'log', lastHead);
    assert.equal(r.ok, false);
    assert.deepEqual(kinds(r), [`${String(N + 1)}:head-mismatch`]);
  });

  it('a deleted entry (middle): broken link and a seq gap at its place', () => {
    const lines = good.filter((_, i) => i !== 3);
    const r = verifyLog(bytesOf(lines), 'log');
    assert.deepEqual(kinds(r), ['4:broken-link', '4:seq-gap']);
    assert.match(r.problems.find((p) => p.kind === 'seq-gap')?.message ?? '', /seq 5 follows seq 3: 1 entry missing/);
    // Deleting the first entry shows too.
    const r1 = verifyLog(bytesOf(good.slice(1)), 'log');
    assert.deepEqual(kinds(r1), ['1:broken-link', '1:seq-gap']);
  });

  it('an inserted entry, even one linked properly to the entry before it', () => {
    const inserted = nextEntry(hashLine(good[2] as string), 3, { actor: 'mallory', command: 'publish' }, T0 + 3 * 60_000 + 1).line;
    const lines = [...good.slice(0, 3), inserted, ...good.slice(3)];
    const r = verifyLog(bytesOf(lines), 'log');
    assert.deepEqual(kinds(r), ['5:broken-link', '5:seq-gap']);
    assert.match(r.problems[1]?.message ?? '', /inserted or reordered/);
  });

  it('two entries swapped', () => {
    const lines = [...good];
    [lines[2], lines[3]] = [lines[3] as string, lines[2] as string];
    const r = verifyLog(bytesOf(lines), 'log');
    assert.deepEqual(kinds(r), ['3:broken-link', '3:seq-gap', '4:broken-link', '4:seq-gap', '5:broken-link', '5:seq-gap']);
    assert.deepEqual(
      r.warnings.map((w) => `${String(w.line)}:${w.kind}`),
      ['4:time-backwards']
    );
  });

  it('a truncated tail verifies as a chain, and fails against the head written down', () => {
    const lines = good.slice(0, 4);
    const plain = verifyLog(bytesOf(lines), 'log');
    assert.equal(plain.ok, true, 'a chain alone cannot show truncation');
    const r = verifyLog(bytesOf(lines), 'log', lastHead);
    assert.equal(r.ok, false);
    assert.deepEqual(kinds(r), ['5:head-mismatch']);
    assert.match(r.problems[0]?.message ?? '', /missing \(the log was truncated\)/);
    assert.match(r.problems[0]?.message ?? '', /ends at line 4/);
    // A deleted log is an empty one: the head shows it.
    assert.deepEqual(kinds(verifyLog(new Uint8Array(0), 'log', lastHead)), ['1:head-mismatch']);
  });

  it('entries appended after an older head: ok, and counted', () => {
    const older = hashLine(good[2] as string);
    const r = verifyLog(bytesOf(good), 'log', older);
    assert.equal(r.ok, true);
    assert.equal(r.appended, 3);
    assert.equal(r.expectedHead, older);
    const text = renderAuditVerify(r, PLAIN).join('\n');
    assert.match(text, /3 entries were appended after the head you were given \(lines 4–6\)/);
    assert.equal(verifyLog(bytesOf(good), 'log', ZERO_HEAD).appended, N);
  });

  it('time going backwards is a warning only', () => {
    const a = nextEntry(ZERO_HEAD, 0, event(1), T0);
    const b = nextEntry(a.head, 1, event(2), T0 - 3600_000);
    const r = verifyLog(bytesOf([a.line, b.line]), 'log');
    assert.equal(r.ok, true);
    assert.equal(r.warnings[0]?.kind, 'time-backwards');
    assert.equal(r.warnings[0]?.line, 2);
  });
});

describe('audit log: hostile lines are reported, never thrown', () => {
  const good = chain(3);
  function withLine2(text: string): AuditVerifyResult {
    return verifyLog(bytesOf([good[0] as string, text, good[2] as string]), 'log');
  }
  const e2 = good[1] as string;

  const cases: [string, string, RegExp][] = [
    ['not JSON', '{"actor":"alice",', /not valid JSON/],
    ['a JSON array', '[1,2]', /must be an object/],
    ['duplicate keys', e2.replace('"actor":"coordinator"', '"actor":"coordinator","actor":"coordinator"'), /actor: duplicate key/],
    ['a float', e2.replace('"seq":2', '"seq":2.0'), /not an integer/],
    ['an exponent', e2.replace('"seq":2', '"seq":2e0'), /not an integer/],
    ['a missing field', reencode(Object.fromEntries(Object.entries(entryOf(e2)).filter(([k]) => k !== 'device'))), /device: the field is missing/],
    ['an unknown field', reencode({ ...entryOf(e2), note: 'x' }), /note: unknown field/],
    ['a bad prev', reencode({ ...entryOf(e2), prev: 'abc' }), /prev: must be 64 lowercase hex/],
    ['a bad time', reencode({ ...entryOf(e2), time: '2026-11-23 10:00' }), /time: .*not a date-time/],
    ['seq 0', reencode({ ...entryOf(e2), seq: 0 }), /seq: must be an integer >= 1/],
    ['a BOM', '\ufeff' + e2, /byte order mark/],
    ['an empty line', '', /empty line/],
  ];
  for (const [what, text, message] of cases) {
    it(`${what} on line 2`, () => {
      assert.notEqual(text, e2, 'the mutation must change the line');
      const r = withLine2(text);
      assert.equal(r.ok, false);
      const p = r.problems.find((x) => x.line === 2);
      assert.ok(p !== undefined, kinds(r).join(' '));
      assert.match(p.message, message);
      assert.doesNotMatch(p.message, /^line 2/, 'the line number is a field, not repeated in the message');
      assert.equal(r.entries, 3);
      assert.throws(() => parseEntries(bytesOf([good[0] as string, text]), 'log'), (e: unknown) => {
        assert.ok(e instanceof InputError);
        assert.match(e.message, /log: line 2: /);
        return true;
      });
    });
  }

  it('invalid UTF-8 and control characters', () => {
    const bad = Buffer.concat([bytesOf([good[0] as string]), Buffer.from([0xff, 0xfe, 0x0a])]);
    const r = verifyLog(bad, 'log');
    assert.ok(has(r, 2, 'malformed'));
    assert.match(r.problems[0]?.message ?? '', /not valid UTF-8/);
    const escaped = e2.replace('"actor":"coordinator"', '"actor":"\\u001b[2Jcoordinator"');
    assert.notEqual(escaped, e2, 'the mutation must change the line');
    const esc = withLine2(escaped);
    assert.ok(esc.problems.some((p) => p.line === 2));
    // Rendering never passes the escape through.
    const shown = renderAuditLog(
      [{ line: 1, hash: ZERO_HEAD, entry: { ...entryOf(e2), command: 'x\u001b[2J' }, problems: [] }],
      PLAIN
    ).join('\n');
    assert.ok(!shown.includes('\u001b'));
    assert.equal(printable('a\u001bb\u202ec'), 'a\\u{1b}b\\u{202e}c');
  });

  it('an oversized log (> 64 MiB) is refused before it is read', async () => {
    assert.throws(() => verifyLog(Buffer.alloc(MAX_AUDIT_LOG_BYTES + 1, 0x0a), 'log'), (e: unknown) => {
      assert.ok(e instanceof InputError);
      assert.match(e.message, /more than the 67108864 accepted/);
      return true;
    });
    const ws = await workspace();
    await mkdir(join(ws, 'audit'));
    await writeFile(join(ws, AUDIT_LOG_PATH), '');
    await truncate(join(ws, AUDIT_LOG_PATH), MAX_AUDIT_LOG_BYTES + 1); // sparse
    assert.throws(() => readAuditLog(ws), InputError);
    await assert.rejects(appendAuditEntry(ws, event(1), T0), InputError);
  });
});

describe('audit log: a crash leaves a half-written line', () => {
  it('append refuses, verify reports the line, nothing is changed', async () => {
    const ws = await workspace();
    for (let i = 1; i <= 3; i++) await appendAuditEntry(ws, event(i), T0 + i * 1000);
    const file = join(ws, AUDIT_LOG_PATH);
    const before = await readFile(file);
    const next = nextEntry(hashLine(before.subarray(0, -1).toString().split('\n').pop() ?? ''), 3, event(4), T0 + 4000);
    await appendFile(file, next.line.slice(0, 40)); // the write was cut short
    const cut = await readFile(file);
    await assert.rejects(appendAuditEntry(ws, event(5), T0 + 5000), (e: unknown) => {
      assert.ok(e instanceof VerificationError);
      assert.match(e.message, /the last line has no newline/);
      assert.match(e.hint ?? '', /audit verify/);
      return true;
    });
    assert.deepEqual(await readFile(file), cut, 'the log is not extended');
    const r = verifyLog(readAuditLog(ws).bytes, file);
    assert.equal(r.ok, false);
    assert.ok(has(r, 4, 'incomplete-line'));
    assert.ok(has(r, 4, 'malformed'));

    // The whole line but not its newline: still incomplete, still refused.
    await writeFile(file, Buffer.concat([before, Buffer.from(next.line)]));
    await assert.rejects(appendAuditEntry(ws, event(5), T0 + 5000), VerificationError);
    assert.deepEqual(kinds(verifyLog(readAuditLog(ws).bytes, file)), ['4:incomplete-line']);

    // A last line that is not an entry: refused too.
    await writeFile(file, Buffer.concat([before, Buffer.from('garbage\n')]));
    await assert.rejects(appendAuditEntry(ws, event(5), T0 + 5000), /the last line is not a valid entry/);

    // Once the partial line is removed, appending continues the chain.
    await writeFile(file, before);
    const { entry } = await appendAuditEntry(ws, event(4), T0 + 6000);
    assert.equal(entry.seq, 4);
    assert.equal(verifyLog(readAuditLog(ws).bytes, file).ok, true);
  });

  it('a long last line is found by reading further back than the first tail chunk', async () => {
    const ws = await workspace();
    const big = { ...event(1), details: { keyids: Array.from({ length: 3000 }, (_, i) => sha(String(i))) } };
    await appendAuditEntry(ws, big, T0);
    await appendAuditEntry(ws, big, T0 + 1000);
    const { entry } = await appendAuditEntry(ws, event(3), T0 + 2000);
    assert.equal(entry.seq, 3);
    const r = verifyLog(readAuditLog(ws).bytes, 'log');
    assert.equal(r.ok, true);
  });
});

describe('audit log: the lock', () => {
  it('concurrent appends from 4 processes: 100 entries, one valid chain, no interleaving', async () => {
    const ws = await workspace();
    const moduleUrl = new URL('../../src/audit/log.js', import.meta.url).href;
    const script = `
      const { appendAuditEntry } = await import(process.env.AUDIT_MODULE);
      const w = Number(process.env.WORKER);
      for (let i = 0; i < 25; i++) {
        await appendAuditEntry(process.env.WS, { actor: 'coordinator', command: 'drill', details: { worker: w, i } }, ${String(T0)} + i * 1000);
      }`;
    const runs = [0, 1, 2, 3].map(
      (w) =>
        new Promise<{ code: number | null; stderr: string }>((resolve) => {
          const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
            env: { ...process.env, AUDIT_MODULE: moduleUrl, WS: ws, WORKER: String(w) },
            stdio: ['ignore', 'ignore', 'pipe'],
          });
          let stderr = '';
          child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
          child.on('close', (code) => {
            resolve({ code, stderr });
          });
        })
    );
    for (const r of await Promise.all(runs)) assert.equal(r.code, 0, r.stderr);
    const log = readAuditLog(ws);
    const r = verifyLog(log.bytes, log.file);
    assert.deepEqual(kinds(r), []);
    assert.equal(r.entries, 100);
    const entries = parseEntries(log.bytes, log.file);
    assert.deepEqual(
      entries.map((e) => e.seq),
      Array.from({ length: 100 }, (_, i) => i + 1)
    );
    for (let w = 0; w < 4; w++) {
      const mine = entries.filter((e) => e.details['worker'] === w).map((e) => e.details['i']);
      assert.deepEqual(mine, Array.from({ length: 25 }, (_, i) => i), `worker ${String(w)} in order`);
    }
  });

  it('a live holder (another process) is waited for, then named in an exit-3 error; its kill (SIGKILL) frees the workspace at once', async () => {
    const ws = await workspace();
    const lockUrl = new URL('../../src/store/lock.js', import.meta.url).href;
    const script = `const { acquireWorkspaceLock } = await import(${JSON.stringify(lockUrl)});
await acquireWorkspaceLock(process.argv[1], { command: 'holder' });
process.stdout.write('held\\n');
setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, ws], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((ok) => child.stdout.once('data', ok));
    try {
      await assert.rejects(appendAuditEntry(ws, event(1), T0, { lockTimeoutMs: 200 }), (e: unknown) => {
        assert.ok(e instanceof IoError);
        assert.equal(e.exitCode, 3);
        assert.match(e.message, new RegExp(`in use by process ${String(child.pid)} on ${hostname()} \\(holder\\)`));
        return true;
      });
      assert.equal(existsSync(join(ws, AUDIT_LOG_PATH)), false, 'nothing appended while another process holds the workspace');
    } finally {
      child.kill('SIGKILL');
      await new Promise((ok) => child.on('exit', ok));
    }
    // The kernel released the name with the process: no stale lock to judge, no takeover.
    const { entry } = await appendAuditEntry(ws, event(1), T0, { lockTimeoutMs: 0 });
    assert.equal(entry.seq, 1);
  });

  it('a workspace that does not exist is an input error', async () => {
    await assert.rejects(appendAuditEntry(join(tmp, 'missing'), event(1), T0), InputError);
  });
});

describe('audit log: secrets and unrecordable events are refused', () => {
  const refused: [string, AuditEvent][] = [
    ['passphrase', { actor: 'alice', command: 'sign', details: { passphrase: 'hunter2' } }],
    ['pin', { actor: 'alice', command: 'sign', details: { pin: '123456' } }],
    ['numeric user_pin', { actor: 'alice', command: 'sign', details: { user_pin: 123456 } }],
    ['nested clientSecret', { actor: 'alice', command: 'sign', details: { token: { clientSecret: 'x' } } }],
    ['soPin in an array', { actor: 'alice', command: 'sign', details: { tokens: [{ soPin: '0000' }] } }],
    ['private_key', { actor: 'alice', command: 'key generate', details: { private_key: 'MC4CAQAwBQYDK2VwBCIEI' } }],
    ['a PEM private key', { actor: 'alice', command: 'sign', details: { note: '-----BEGIN ENCRYPTED PRIVATE KEY-----\\nMIIB' } }],
    ['pin in the device', { actor: 'alice', command: 'sign', device: { backend: 'pkcs11', pin: '1234' } }],
    ['a newline', { actor: 'alice', command: 'sign', details: { note: 'a\nb' } }],
    ['a float', { actor: 'alice', command: 'sign', details: { ratio: 0.5 } }],
    ['a bad actor', { actor: 'Alice Smith', command: 'sign' }],
    ['a bad command', { actor: 'alice', command: 'sign; rm -rf' }],
    ['a bad artifact hash', { actor: 'alice', command: 'sign', artifacts: { read: [{ path: 'a', sha256: 'ABC' }] } }],
    ['an empty artifact path', { actor: 'alice', command: 'sign', artifacts: { written: [{ path: '', sha256: sha('a') }] } }],
    ['a device without backend', { actor: 'alice', command: 'sign', device: { model: 'x' } as unknown as { backend: string } }],
    ['oversized details', { actor: 'alice', command: 'sign', details: { blob: 'x'.repeat(1024 * 1024) } }],
  ];
  for (const [what, ev] of refused) {
    it(`refuses ${what}`, () => {
      assert.throws(() => nextEntry(ZERO_HEAD, 0, ev, T0), (e: unknown) => {
        assert.ok(e instanceof InputError, String(e));
        assert.ok(!e.message.includes('hunter2') && !e.message.includes('123456') && !e.message.includes('0000'), 'the secret is not repeated');
        return true;
      });
    });
  }

  it('accepts fields that merely mention a PIN or a secret', () => {
    const ok = nextEntry(
      ZERO_HEAD,
      0,
      { actor: 'alice', command: 'sign', details: { pin_policy: 'once', pin_required: true, secret_count: 0, keyid: sha('k'), passphrase: null } },
      T0
    );
    assert.equal(ok.entry.details['pin_policy'], 'once');
    assert.equal(isSecretFieldName('userPin'), true);
    assert.equal(isSecretFieldName('SO_PIN'), true);
    assert.equal(isSecretFieldName('keyPassphrase'), true);
    assert.equal(isSecretFieldName('privateKey'), true);
    assert.equal(isSecretFieldName('spinner'), false);
    assert.equal(isSecretFieldName('keyid'), false);
  });

  it('an entry holds only the fields of an event, nothing else the caller passes', () => {
    const ev = { ...event(1), passphrase: 'hunter2', signer: { pin: 'Pin-77x1' } } as AuditEvent;
    const { line } = nextEntry(ZERO_HEAD, 0, ev, T0);
    assert.deepEqual(Object.keys(JSON.parse(line) as object), [...ENTRY_FIELDS]);
    assert.ok(!line.includes('hunter2') && !line.includes('Pin-77x1'));
  });

  it('appending refuses a secret without touching the log', async () => {
    const ws = await workspace();
    await appendAuditEntry(ws, event(1), T0);
    const before = await readFile(join(ws, AUDIT_LOG_PATH));
    await assert.rejects(appendAuditEntry(ws, { actor: 'alice', command: 'sign', details: { pin: 'Pin-93ad17' } }, T0), InputError);
    assert.deepEqual(await readFile(join(ws, AUDIT_LOG_PATH)), before);
    assert.ok(!before.toString().includes('Pin-93ad17'));
  });
});

describe('audit verify / audit show commands', () => {
  async function logged(n: number): Promise<{ ws: string; heads: string[] }> {
    const ws = await workspace();
    const heads: string[] = [];
    for (let i = 1; i <= n; i++) heads.push((await appendAuditEntry(ws, event(i), T0 + i * 1000)).head);
    return { ws, heads };
  }

  it('verify: exit 0, the head in full and in groups', async () => {
    const { ws, heads } = await logged(3);
    const { io, out } = fakeIo(ws);
    assert.equal(runAuditVerify({}, '.', GLOBAL, io), 0);
    assert.match(out(), /audit log .*log\.jsonl: 3 entries/);
    assert.ok(out().includes(`head: ${heads[2] ?? ''}`));
    assert.ok(out().includes(readableHead(heads[2] ?? '')));
    assert.match(out(), /verified: 3 entries, chain intact \(give --head HASH/);
    const spoken = fakeIo(tmp);
    assert.equal(runAuditVerify({ head: readableHead(heads[2] ?? '').toUpperCase() }, ws, GLOBAL, spoken.io), 0);
    assert.match(spoken.out(), /matches the head you were given/);
  });

  it('verify --json: the documented object', async () => {
    const { ws, heads } = await logged(4);
    const { io, out } = fakeIo(tmp);
    assert.equal(runAuditVerify({ head: heads[1] as string }, ws, { ...GLOBAL, json: true }, io), 0);
    const doc = JSON.parse(out()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(doc).sort(), ['appended', 'entries', 'exists', 'expectedHead', 'file', 'head', 'ok', 'problems', 'warnings']);
    assert.equal(doc['ok'], true);
    assert.equal(doc['appended'], 2);
    assert.equal(doc['head'], heads[3]);
  });

  it('verify: tampering is exit 1 naming the lines; truncation only with --head', async () => {
    const { ws, heads } = await logged(5);
    const file = join(ws, AUDIT_LOG_PATH);
    const lines = (await readFile(file, 'utf8')).slice(0, -1).split('\n');
    await writeFile(file, bytesOf(lines.slice(0, 3)));
    assert.equal(runAuditVerify({}, ws, GLOBAL, fakeIo(tmp).io), 0);
    const t = fakeIo(tmp);
    assert.throws(
      () => runAuditVerify({ head: heads[4] as string }, ws, { ...GLOBAL, json: true }, t.io),
      (e: unknown) => {
        assert.ok(e instanceof VerificationError);
        assert.equal(e.exitCode, 1);
        assert.match(e.message, /at line 4: .*entries recorded before that head was written down are missing/);
        return true;
      }
    );
    const doc = JSON.parse(t.out()) as { ok: boolean; problems: { line: number; kind: string }[] };
    assert.equal(doc.ok, false);
    assert.deepEqual(doc.problems.map((p) => [p.line, p.kind]), [[4, 'head-mismatch']]);

    lines[1] = reencode({ ...entryOf(lines[1] as string), actor: 'mallory' });
    await writeFile(file, bytesOf(lines));
    const v = fakeIo(tmp);
    assert.throws(() => runAuditVerify({}, ws, GLOBAL, v.io), /tampering or damage found at line 3: line 3: prev does not match the hash of line 2/);
    assert.match(v.out(), /✗ line 3: prev does not match/);
    assert.match(v.out(), /audit log FAILED: 1 problem at line 3/);
  });

  it('verify: a bad --head is a usage error; a missing workspace an input error', async () => {
    const { ws } = await logged(1);
    assert.throws(() => runAuditVerify({ head: 'cafe' }, ws, GLOBAL, fakeIo(tmp).io), UsageError);
    assert.throws(() => runAuditVerify({}, join(tmp, 'nowhere'), GLOBAL, fakeIo(tmp).io), (e: unknown) => e instanceof CeremonyError && e.exitCode === 2);
  });

  it('show: entries with short hashes; --json the entries array', async () => {
    const { ws } = await logged(3);
    const { io, out } = fakeIo(ws);
    assert.equal(runAuditShow('.', GLOBAL, io), 0);
    const text = out();
    assert.match(text, /^#1 {4}2026-11-23T10:00:01Z {2}alice {2}root add-key$/m);
    assert.ok(text.includes(`read    keyholders/k1.pub.json  sha256 ${sha('read 1').slice(0, 16)}`));
    assert.ok(text.includes('device  backend=pkcs11, label=alice, model=YubiKey 5, serial=12345678'));
    assert.match(text, /details \{"keyid":"[0-9a-f]{64}","version":1\}/);
    assert.match(text, /3 entries, head [0-9a-f]{64}/);
    const j = fakeIo(ws);
    assert.equal(runAuditShow('.', { ...GLOBAL, json: true }, j.io), 0);
    const entries = JSON.parse(j.out()) as AuditEntry[];
    assert.equal(entries.length, 3);
    assert.deepEqual(entries[0], parseEntries(readAuditLog(ws).bytes, 'x')[0]);
  });

  it('show on a tampered log: prints what it can, then exit 1', async () => {
    const { ws } = await logged(3);
    const file = join(ws, AUDIT_LOG_PATH);
    const lines = (await readFile(file, 'utf8')).slice(0, -1).split('\n');
    lines[1] = '{broken';
    await writeFile(file, bytesOf(lines));
    const { io, out, err } = fakeIo(ws);
    assert.throws(() => runAuditShow('.', GLOBAL, io), VerificationError);
    assert.match(out(), /^#1 /m);
    assert.match(out(), /line 2: not an entry: not valid JSON/);
    assert.match(out(), /^#3 /m);
    assert.match(err(), /does not verify/);
  });
});

describe('audit log: files on disk', () => {
  it('the log is created with a trailing newline per entry and mode 0644', async () => {
    const ws = await workspace();
    await appendAuditEntry(ws, event(1), T0);
    const h = await open(join(ws, AUDIT_LOG_PATH), 'r');
    try {
      const st = await h.stat();
      assert.equal(st.mode & 0o777 & ~process.umask(), 0o644 & ~process.umask());
      const text = await h.readFile('utf8');
      assert.equal(text.split('\n').length, 2);
    } finally {
      await h.close();
    }
  });
});
