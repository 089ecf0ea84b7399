// SPDX-License-Identifier: Apache-2.0
/**
 * The corpus: real TUF repositories written by other tools and organisations
 * (test/fixtures/real/<name>/, each with a PROVENANCE file), judged at a fixed
 * reference time by python-tuf's TrustedMetadataSet, by tuf-js's
 * TrustedMetadataStore and by our `verify` run as the CLI (exit code and
 * --json). The verdicts each must give are recorded in CASES below; where our
 * verdict differs from a client's, the case names the rule (and our report
 * must warn about it); docs/corpus.md says who is right per the specification.
 * Our per-client verdicts (verify --json `clients`) must be what python-tuf
 * and tuf-js actually decide on every case.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { VerifyReport } from '../../src/verify/repository.js';
import { findPythonTuf, pythonTuf, type JudgeCase, type JudgeVerdict } from '../support/python-tuf.js';
import { tufjsJudge } from '../support/tufjs-judge.js';

const REAL = new URL('../../../test/fixtures/real/', import.meta.url).pathname;
const BIN = new URL('../../../bin/tuf-ceremony.js', import.meta.url).pathname;

/** A client accepts the repository, or refuses it at `file` for a reason matching `why`. */
type Verdict = 'accept' | { readonly file: string; readonly why: RegExp };

interface Ours {
  /** 0 verified, 1 a check failed, 2 invalid input. */
  readonly exit: 0 | 1 | 2;
  /** For exit 1 and 2: the file named and the message. */
  readonly file?: string;
  readonly why?: RegExp;
}

type Client = 'python-tuf' | 'tuf-js';

/** Why our verdict differs from a client's (see docs/corpus.md). */
interface Difference {
  readonly client: Client;
  readonly rule: string;
  /** The warning our report gives for it. */
  readonly warning: { readonly code: string; readonly file: string; readonly match: RegExp };
}

interface Case {
  readonly name: string;
  /** Reference time, as in the PROVENANCE file. */
  readonly at: string;
  readonly trustedRoot?: string;
  /** Files a client that accepts must have verified (the newest root, delegated roles). */
  readonly covers?: readonly string[];
  readonly pythonTuf: Verdict;
  readonly tufJs: Verdict;
  /** What our verify must say. */
  readonly ours: Ours;
  readonly differs?: readonly Difference[];
  /** Warnings our report must give (code and file), e.g. key IDs that are not the hash of their key. */
  readonly warns?: readonly { readonly code: string; readonly file: string }[];
}

/** A key ID that matches no hash of its key: clients treat it as a label (TAP 12), we warn. */
const keyIdMismatch = (file: string): { code: string; file: string } => ({ code: 'KEY_ID_MISMATCH', file });

const LEGACY_EXPIRES = 'python-tuf 3.1.1 parses `expires` only as YYYY-MM-DDTHH:MM:SSZ (spec §4.2 "Metadata date-time"), so it refuses fractional seconds or a UTC offset; tuf-js and go-tuf accept them, and so do we, with a LEGACY_FORMAT warning';

const CASES: readonly Case[] = [
  {
    name: 'sigstore-root-signing',
    at: '2026-08-22T00:00:00Z',
    covers: ['root_history/15.root.json', 'targets.json', 'registry.npmjs.org.json'],
    pythonTuf: { file: 'root_history/1.root.json', why: /DeserializationError.*does not match format/ },
    tufJs: 'accept',
    warns: [keyIdMismatch('root_history/11.root.json')],
    ours: { exit: 0 },
    differs: [{ client: 'python-tuf', rule: LEGACY_EXPIRES, warning: { code: 'LEGACY_FORMAT', file: 'root_history/1.root.json', match: /expires/ } }],
  },
  {
    // What Sigstore clients that embed a newer root do: trust starts at the first PEM root.
    name: 'sigstore-root-signing',
    at: '2026-08-22T00:00:00Z',
    trustedRoot: 'root_history/5.root.json',
    covers: ['root_history/15.root.json', 'targets.json', 'registry.npmjs.org.json'],
    pythonTuf: 'accept',
    tufJs: 'accept',
    warns: [keyIdMismatch('root_history/11.root.json')],
    ours: { exit: 0 },
  },
  {
    name: 'sigstore-root-signing-staging',
    at: '2026-08-22T00:00:00Z',
    covers: ['root_history/14.root.json', 'targets.json', 'registry.npmjs.org.json'],
    pythonTuf: 'accept',
    tufJs: 'accept',
    warns: [keyIdMismatch('root_history/5.root.json')],
    ours: { exit: 0 },
  },
  {
    name: 'tuf-on-ci-demo',
    at: '2026-08-22T00:00:00Z',
    covers: ['root_history/5.root.json', 'jku.json', 'kommendorkapten.json', 'rdimitrov.json'],
    pythonTuf: 'accept', tufJs: 'accept', ours: { exit: 0 } },
  { name: 'python-tuf-repository-data', at: '2025-01-01T00:00:00Z', covers: ['role1.json', 'role2.json'], pythonTuf: 'accept', tufJs: 'accept', ours: { exit: 0 } },
  {
    name: 'python-tuf-fishy-rolenames',
    at: '2025-01-01T00:00:00Z',
    covers: ['1.targets.json', '1...json', '1.ö.json'],
    pythonTuf: 'accept',
    tufJs: 'accept',
    warns: [keyIdMismatch('1.root.json')],
    ours: { exit: 0 },
  },
  {
    name: 'go-tuf-testutils',
    at: '2025-01-01T00:00:00Z',
    pythonTuf: { file: '1.root.json', why: /DeserializationError.*2030-08-15T14:30:45\.0000001Z/ },
    tufJs: { file: '1.root.json', why: /root was signed by 0\/1 keys/ },
    ours: { exit: 1, file: '1.root.json', why: /0 of 1 needed signatures valid/ },
  },
  {
    name: 'go-tuf-multirepo',
    at: '2025-01-01T00:00:00Z',
    pythonTuf: { file: '1.root.json', why: /DeserializationError.*2034-09-30T11:29:58\.188964Z/ },
    tufJs: 'accept',
    ours: { exit: 0 },
    differs: [{ client: 'python-tuf', rule: LEGACY_EXPIRES, warning: { code: 'LEGACY_FORMAT', file: '1.root.json', match: /fractional seconds/ } }],
  },
  { name: 'tough-rotated-root', at: '2025-01-01T00:00:00Z', covers: ['2.root.json', '1.targets.json'], pythonTuf: 'accept', tufJs: 'accept', ours: { exit: 0 } },
  { name: 'tough-consistent-snapshots', at: '2025-01-01T00:00:00Z', pythonTuf: 'accept', tufJs: 'accept', ours: { exit: 0 } },
  { name: 'tough-safe-target-paths', at: '2025-01-01T00:00:00Z', covers: ['delegated.json'], pythonTuf: 'accept', tufJs: 'accept', ours: { exit: 0 } },
  {
    name: 'tough-expired-repository',
    at: '2025-01-01T00:00:00Z',
    pythonTuf: { file: 'timestamp.json', why: /ExpiredMetadataError/ },
    tufJs: { file: 'timestamp.json', why: /expired/ },
    ours: { exit: 1, file: 'timestamp.json', why: /expired at 1999-01-01T00:00:00Z/ },
  },
  {
    name: 'tough-hex-ecdsa',
    at: '2022-01-01T00:00:00Z',
    pythonTuf: { file: 'root.json', why: /DeserializationError.*2022-05-11T19:09:02\.663975009Z/ },
    tufJs: 'accept',
    ours: { exit: 0 },
    differs: [{ client: 'python-tuf', rule: LEGACY_EXPIRES, warning: { code: 'LEGACY_FORMAT', file: 'root.json', match: /fractional seconds/ } }],
  },
  {
    name: 'tough-mismatched-keyids',
    at: '2025-01-01T00:00:00Z',
    pythonTuf: { file: 'root.json', why: /root was signed by 0\/1 keys/ },
    tufJs: { file: 'root.json', why: /root was signed by 0\/1 keys/ },
    ours: { exit: 1, file: 'root.json', why: /0 of 1 needed signatures valid/ },
  },
  {
    name: 'tough-duplicate-sigs',
    at: '2025-01-01T00:00:00Z',
    pythonTuf: { file: 'root.json', why: /Multiple signatures found for keyid/ },
    tufJs: { file: 'root.json', why: /multiple signatures found for keyid/ },
    ours: { exit: 2, file: 'root.json', why: /signatures\[1\]\.keyid: duplicate key ID/ },
  },
  {
    name: 'rust-tuf-interop',
    at: '2025-01-01T00:00:00Z',
    pythonTuf: { file: '1.root.json', why: /root was signed by 0\/1 keys/ },
    tufJs: { file: '1.root.json', why: /root was signed by 0\/1 keys/ },
    ours: { exit: 1, file: '1.root.json', why: /0 of 1 needed signatures valid/ },
  },
  {
    name: 'fuchsia-go-tuf',
    at: '2025-01-01T00:00:00Z',
    covers: ['5.root.json', '6.snapshot.json', '6.targets.json'],
    pythonTuf: 'accept',
    tufJs: 'accept',
    warns: [keyIdMismatch('1.root.json')],
    ours: { exit: 0 },
  },
  {
    name: 'tufup',
    at: '2025-01-01T00:00:00Z',
    covers: ['2.root.json', 'targets.json'],
    pythonTuf: 'accept',
    tufJs: 'accept',
    warns: [keyIdMismatch('1.root.json')],
    ours: { exit: 0 },
  },
  {
    name: 'notary-0.3',
    at: '2025-01-01T00:00:00Z',
    pythonTuf: { file: 'root.json', why: /unrecognized metadata type "Root"/ },
    tufJs: { file: 'root.json', why: /expected 'root', got Root/ },
    ours: { exit: 2, file: 'root.json', why: /signed\._type: unknown type "Root"/ },
  },
  { name: 'kolide-launcher', at: '2026-01-01T00:00:00Z', pythonTuf: 'accept', tufJs: 'accept', ours: { exit: 0 } },
  {
    name: 'taf-pkcs1v15',
    at: '2020-02-05T00:00:00Z',
    covers: ['delegated_role1.json', 'delegated_role2.json', 'inner_delegated_role.json'],
    pythonTuf: 'accept',
    tufJs: { file: '1.root.json', why: /root was signed by 0\/1 keys/ },
    ours: { exit: 0 },
    differs: [
      {
        client: 'tuf-js',
        rule: 'tuf-js 4.1 (and go-tuf) verify RSA only as PSS; `rsa-pkcs1v15-sha256` (TAF, YubiKey PIV) is a scheme beyond the `rsassa-pss-sha256` of the specification that python-tuf verifies, so tuf-js clients refuse TAF repositories',
        warning: { code: 'LEGACY_FORMAT', file: '1.root.json', match: /rsa-pkcs1v15-sha256.*tuf-js needs rsassa-pss-sha256/ },
      },
    ],
  },
  {
    name: 'php-tuf-rotated-snapshot',
    at: '2020-01-01T00:00:00Z',
    pythonTuf: { file: '1.snapshot.json', why: /snapshot was signed by 0\/1 keys/ },
    tufJs: { file: '1.snapshot.json', why: /snapshot was signed by 0\/1 keys/ },
    ours: { exit: 1, file: '1.snapshot.json', why: /0 of 1 needed signatures valid/ },
  },
];

const label = (c: Case): string => (c.trustedRoot === undefined ? c.name : `${c.name} (trusting ${c.trustedRoot})`);
const judgeCase = (c: Case): JudgeCase => ({ dir: join(REAL, c.name), at: c.at, ...(c.trustedRoot === undefined ? {} : { trustedRoot: c.trustedRoot }) });
const accepts = (v: Verdict): boolean => v === 'accept';

function describeVerdict(v: JudgeVerdict): string {
  return v.ok ? 'accept' : JSON.stringify(v.steps.filter((s) => !s.ok));
}

function assertVerdict(client: Client, got: JudgeVerdict, want: Verdict, covers: readonly string[] = []): void {
  if (want === 'accept') {
    assert.ok(got.ok, `${client} accepts; it said ${describeVerdict(got)}`);
    const walked = got.steps.map((s) => s.file);
    for (const f of covers) assert.ok(walked.includes(f), `${client} verified ${f}; it walked ${walked.join(', ')}`);
    return;
  }
  assert.equal(got.ok, false, `${client} refuses at ${want.file}`);
  const failed = got.steps.filter((s) => !s.ok);
  assert.equal(failed[0]?.file, want.file, `${client} refuses first at ${want.file}; it said ${describeVerdict(got)}`);
  assert.match(failed[0]?.error ?? '', want.why);
}

let pythonVerdicts: JudgeVerdict[] | undefined;
/** python-tuf's verdicts on every case, from one python process. */
function pythonVerdict(c: Case): JudgeVerdict | undefined {
  const py = findPythonTuf();
  if (typeof py === 'string') return undefined;
  pythonVerdicts ??= py.judge(CASES.map(judgeCase));
  return pythonVerdicts[CASES.indexOf(c)];
}

interface OurRun {
  readonly code: number | null;
  readonly stderr: string;
  readonly json: Partial<VerifyReport> & { readonly error?: { readonly message: string; readonly file?: string } };
}

const ourRuns = new Map<Case, OurRun>();
/** Our verify on a case, run once as the CLI and kept for the other tests of the case. */
function ourVerify(c: Case): OurRun {
  let r = ourRuns.get(c);
  if (r === undefined) {
    r = runOurVerify(c);
    ourRuns.set(c, r);
  }
  return r;
}

/**
 * Our predicted verdict for `client` (verify --json `clients`, from the rules
 * of src/verify/clients.ts) is the real client's verdict `v`. Invalid
 * input (exit 2) carries no per-client verdicts: every client must refuse it.
 */
function assertPredicted(c: Case, client: Client, v: JudgeVerdict): void {
  const r = ourVerify(c);
  if (c.ours.exit === 2) {
    assert.equal(r.json.clients, undefined, 'invalid input carries no per-client verdicts');
    assert.equal(v.ok, false, `${client} refuses what we call invalid input`);
    return;
  }
  const predicted = r.json.clients?.[client];
  assert.ok(predicted !== undefined, `verify --json has a ${client} verdict`);
  const real = v.ok ? 'accepts' : `refuses (${JSON.stringify(v.steps.find((s) => !s.ok))})`;
  assert.equal(predicted.accepts, v.ok, `we predict ${client} ${predicted.accepts ? 'accepts' : 'refuses'} (${JSON.stringify(predicted.reasons)}); the real ${client} ${real}`);
}

function runOurVerify(c: Case): OurRun {
  const dir = join(REAL, c.name);
  const args = [BIN, 'verify', dir, '--at', c.at, '--json', ...(c.trustedRoot === undefined ? [] : ['--trusted-root', join(dir, c.trustedRoot)])];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  let json: OurRun['json'];
  try {
    json = JSON.parse(r.stdout) as OurRun['json'];
  } catch {
    assert.fail(`verify printed no JSON (exit ${String(r.status)}): ${r.stderr}`);
  }
  return { code: r.status, stderr: r.stderr, json };
}

function assertOurs(r: OurRun, want: Ours): void {
  const said = JSON.stringify(r.json.failures ?? r.json.error ?? null);
  assert.equal(r.code, want.exit, `verify exits ${String(want.exit)}; it said ${said}; stderr: ${r.stderr}`);
  assert.equal(r.json.ok, want.exit === 0);
  if (want.exit === 0) {
    assert.deepEqual(r.json.failures, []);
    return;
  }
  assert.ok(want.file !== undefined && want.why !== undefined);
  assert.ok(r.stderr.includes(want.file), `stderr names ${want.file}: ${r.stderr}`);
  if (want.exit === 2) {
    assert.equal(r.json.error?.file, want.file);
    assert.match(r.json.error?.message ?? '', want.why);
  } else {
    const hit = (r.json.failures ?? []).find((f) => f.startsWith(`${want.file}:`) && want.why?.test(f) === true);
    assert.ok(hit !== undefined, `a failure names ${want.file} and matches ${String(want.why)}: ${said}`);
  }
}

// ---------------------------------------------------------------------------

interface Provenance {
  readonly fields: ReadonlyMap<string, string>;
  readonly files: ReadonlyMap<string, string>;
}

function readProvenance(name: string): Provenance {
  const fields = new Map<string, string>();
  const files = new Map<string, string>();
  const lines = readFileSync(join(REAL, name, 'PROVENANCE'), 'utf8').split('\n');
  for (const line of lines) {
    const file = /^ {2}([0-9a-f]{64}) {2}(.+)$/.exec(line);
    if (file !== null) files.set(file[2] as string, file[1] as string);
    const field = /^([a-z ]+): (.*)$/.exec(line);
    if (field !== null) fields.set(field[1] as string, field[2] as string);
  }
  return { fields, files };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

describe('corpus: real repositories, as stored upstream', () => {
  const names = readdirSync(REAL).sort();

  test('at least 15 repositories, each judged by the table', () => {
    assert.ok(names.length >= 15, `${String(names.length)} repositories`);
    assert.deepEqual([...new Set(CASES.map((c) => c.name))].sort(), names, 'every repository has a case and every case a repository');
  });

  for (const name of names) {
    test(`${name}: PROVENANCE names the source, and every file is the bytes copied`, () => {
      const p = readProvenance(name);
      for (const f of ['repository', 'commit', 'path', 'licence', 'reference time', 'exercises']) {
        assert.ok((p.fields.get(f) ?? '') !== '', `PROVENANCE has ${f}`);
      }
      assert.match(p.fields.get('repository') ?? '', /^https:\/\/github\.com\/[^/]+\/[^/]+$/);
      assert.match(p.fields.get('commit') ?? '', /^[0-9a-f]{40}$/);
      const first = CASES.find((c) => c.name === name && c.trustedRoot === undefined);
      assert.equal(p.fields.get('reference time'), first?.at, 'the test uses the reference time PROVENANCE states');
      const dir = join(REAL, name);
      const present = filesUnder(dir).filter((f) => f !== 'PROVENANCE');
      assert.deepEqual(present, [...p.files.keys()].sort(), 'the files PROVENANCE lists, no more');
      for (const [file, sha256] of p.files) {
        assert.equal(createHash('sha256').update(readFileSync(join(dir, file))).digest('hex'), sha256, `${file} unchanged`);
      }
    });
  }
});

describe('corpus: python-tuf, tuf-js and our verify', () => {
  for (const c of CASES) {
    test(`${label(c)}: python-tuf ${accepts(c.pythonTuf) ? 'accepts' : 'refuses'}`, (t) => {
      if (pythonTuf(t) === undefined) return;
      const v = pythonVerdict(c);
      assert.ok(v !== undefined);
      assertVerdict('python-tuf', v, c.pythonTuf, c.covers);
      assertPredicted(c, 'python-tuf', v);
    });

    test(`${label(c)}: tuf-js ${accepts(c.tufJs) ? 'accepts' : 'refuses'}`, () => {
      const v = tufjsJudge(judgeCase(c));
      assertVerdict('tuf-js', v, c.tufJs, c.covers);
      assertPredicted(c, 'tuf-js', v);
      // Both judges walk the same files in the same order (when python-tuf is here to ask).
      const py = pythonVerdict(c);
      if (py !== undefined && py.ok && v.ok) {
        assert.deepEqual(
          v.steps.map((s) => s.file),
          py.steps.map((s) => s.file)
        );
      }
    });

    test(`${label(c)}: our verify exits ${String(c.ours.exit)}`, () => {
      const r = ourVerify(c);
      assertOurs(r, c.ours);
      for (const w of c.warns ?? []) {
        assert.ok(
          (r.json.warnings ?? []).some((x) => x.code === w.code && x.file === w.file),
          `our report warns ${w.code} on ${w.file}: ${JSON.stringify(r.json.warnings?.filter((x) => x.code === w.code))}`
        );
      }
      // Where we and a client disagree, the case names the rule and our report warns about it.
      const ok = c.ours.exit === 0;
      for (const [client, verdict] of [
        ['python-tuf', c.pythonTuf],
        ['tuf-js', c.tufJs],
      ] as const) {
        const d = c.differs?.find((x) => x.client === client);
        if (accepts(verdict) === ok) {
          assert.equal(d, undefined, `no difference with ${client} to explain`);
          continue;
        }
        assert.ok(d !== undefined, `our verdict differs from ${client}'s: the case must name the rule`);
        const w = (r.json.warnings ?? []).find((x) => x.code === d.warning.code && x.file === d.warning.file && d.warning.match.test(x.message));
        assert.ok(w !== undefined, `our report warns ${d.warning.code} on ${d.warning.file}: ${JSON.stringify(r.json.warnings)}`);
      }
    });
  }

  test('the table: every case where we differ from a client names a rule', () => {
    for (const c of CASES) {
      for (const [client, verdict] of [
        ['python-tuf', c.pythonTuf],
        ['tuf-js', c.tufJs],
      ] as const) {
        const differs = accepts(verdict) !== (c.ours.exit === 0);
        const d = c.differs?.find((x) => x.client === client);
        assert.equal(d !== undefined, differs, `${label(c)}: ${client} ${differs ? 'differs and needs a rule' : 'agrees and needs none'}`);
        if (d !== undefined) assert.ok(d.rule.length > 40);
      }
    }
  });
});
