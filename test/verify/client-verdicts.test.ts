// SPDX-License-Identifier: Apache-2.0
/**
 * Per-client verdicts (docs/client-verdicts.md): for each rule, a small
 * repository with that quirk, our verdict per client family, and, where the
 * client runs here, the client's own decision: tuf-js's TrustedMetadataStore
 * (npm) and python-tuf 3.1.1's TrustedMetadataSet (vendored). go-tuf does
 * not run here: its expected verdicts come from reading its code (tuf-crib
 * §9) and are asserted as such.
 */
import assert from 'node:assert/strict';
import { createHash, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { computeKeyId } from '../../src/metadata/keys.js';
import { metadataDirSource } from '../../src/store/metadata-dir.js';
import { rejectionsOf } from '../../src/verify/clients.js';
import { verifyRepository } from '../../src/verify/repository.js';
import { isoSeconds } from '../support/judges.js';
import { pythonTuf, type JudgeVerdict } from '../support/python-tuf.js';
import { tufjsJudge } from '../support/tufjs-judge.js';
import { testKey } from '../support/keys.js';
import { memorySource, p384Signer, quirkyRepo, rsaPkcs1Signer, signerOf, testSigner, type QuirkSigner, type QuirkSpec } from '../support/quirky-repo.js';

const AT = Date.parse('2030-01-01T00:00:00Z');
type Obj = Record<string, unknown>;
type V = 'accept' | 'reject';

interface Case {
  readonly name: string;
  readonly spec: QuirkSpec;
  /** The specification's verdict (verify's exit 0 or 1). */
  readonly specOk: boolean;
  readonly python: V;
  readonly go: V;
  readonly tufjs: V;
  /** Rule id expected among the reasons of the rejecting clients. */
  readonly rule?: string;
}

const ecKey = testKey('verdicts/ec', 'ecdsa-p256');
const edKey = testKey('verdicts/ed');
const snapshotMeta = (s: Obj): Record<string, { hashes: Obj }> => s['meta'] as Record<string, { hashes: Obj }>;

/** An ECDSA signer writing raw r‖s (WebCrypto's encoding) instead of DER. */
const rawEcdsa: QuirkSigner = { ...signerOf(ecKey), sign: (d) => sign('sha256', d, { key: ecKey.privateKey, dsaEncoding: 'ieee-p1363' }).toString('hex') };
/** The same Ed25519 key written as PEM. */
const edPemTuf = { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: edKey.publicKey.export({ type: 'spki', format: 'pem' }) as string } };
const edPem: QuirkSigner = { keyid: computeKeyId(edPemTuf), tuf: edPemTuf, sign: (d) => sign(null, d, edKey.privateKey).toString('hex') };
/** The same P-256 key written as a hex point. */
const ecHexTuf = { keytype: 'ecdsa', scheme: 'ecdsa-sha2-nistp256', keyval: { public: Buffer.from(ecKey.publicKey.export({ type: 'spki', format: 'der' })).subarray(26).toString('hex') } };
const ecHex: QuirkSigner = { keyid: computeKeyId(ecHexTuf), tuf: ecHexTuf, sign: (d) => signerOf(ecKey).sign(d) };

const dup = testSigner('verdicts/dup');
const dupOther = 'd0'.repeat(32);

const CASES: readonly Case[] = [
  { name: 'a repository in the safe profile', spec: {}, specOk: true, python: 'accept', go: 'accept', tufjs: 'accept' },
  {
    name: 'root without consistent_snapshot',
    spec: { consistentSnapshot: false, hooks: { root: (r) => delete r['consistent_snapshot'] } },
    specOk: true,
    python: 'accept',
    go: 'reject',
    tufjs: 'reject',
    rule: 'consistent-snapshot-missing',
  },
  {
    name: 'expires with fractional seconds (targets)',
    spec: { hooks: { targets: (t) => (t['expires'] = '2031-01-01T00:00:00.000Z') } },
    specOk: true,
    python: 'reject',
    go: 'reject',
    tufjs: 'accept',
  },
  {
    name: 'root lists a mirrors role',
    spec: { hooks: { root: (r) => ((r['roles'] as Obj)['mirrors'] = (r['roles'] as Obj)['timestamp']) } },
    specOk: true,
    python: 'reject',
    go: 'accept',
    tufjs: 'accept',
    rule: 'root-extra-roles',
  },
  { name: 'targets signed by an ECDSA P-384 key', spec: { signers: { targets: [p384Signer()] } }, specOk: true, python: 'accept', go: 'accept', tufjs: 'reject', rule: 'threshold' },
  {
    name: 'one public key under two key IDs, threshold 2 (targets)',
    spec: {
      hooks: {
        root: (r) => {
          (r['keys'] as Obj)[dupOther] = dup.tuf;
          (r['roles'] as Obj)['targets'] = { keyids: [dup.keyid, dupOther], threshold: 2 };
        },
      },
      signers: { targets: [dup] },
      after: (file, md) => {
        if (file === '1.targets.json') md.signatures.push({ keyid: dupOther, sig: md.signatures[0]?.sig ?? '' });
      },
    },
    specOk: false,
    python: 'accept',
    go: 'reject',
    tufjs: 'accept',
    rule: 'threshold',
  },
  {
    name: 'an unknown key type in root keys (a sigstore-oidc identity no role uses)',
    spec: { hooks: { root: (r) => ((r['keys'] as Obj)['ee'.repeat(32)] = { keytype: 'sigstore-oidc', scheme: 'Fulcio', keyval: { public: '', identity: 'x@example.com' } }) } },
    specOk: true,
    python: 'reject',
    go: 'accept',
    tufjs: 'accept',
    rule: 'unknown-key-type',
  },
  { name: 'targets key: ed25519 written as PEM', spec: { signers: { targets: [edPem] } }, specOk: false, python: 'reject', go: 'reject', tufjs: 'accept' },
  { name: 'targets key: ECDSA written as a hex point', spec: { signers: { targets: [ecHex] } }, specOk: true, python: 'reject', go: 'reject', tufjs: 'accept' },
  { name: 'targets signature: ECDSA as raw r‖s', spec: { signers: { targets: [rawEcdsa] } }, specOk: false, python: 'reject', go: 'accept', tufjs: 'reject' },
  {
    name: 'timestamp meta lists more than snapshot.json',
    spec: { hooks: { timestamp: (t) => ((t['meta'] as Obj)['targets.json'] = { version: 1 }) } },
    specOk: false,
    python: 'reject',
    go: 'accept',
    tufjs: 'reject',
    rule: 'timestamp-extra-meta',
  },
  {
    name: 'a delegated role with neither paths nor path_hash_prefixes',
    spec: { delegated: { project: [testSigner('verdicts/project')] }, hooks: { targets: (t) => delete ((t['delegations'] as { roles: Obj[] }).roles[0] as Obj)['paths'] } },
    specOk: true,
    python: 'reject',
    go: 'accept',
    tufjs: 'accept',
    rule: 'delegation-no-paths',
  },
  { name: 'targets signed with rsa-pkcs1v15-sha256 (TAF)', spec: { signers: { targets: [rsaPkcs1Signer()] } }, specOk: true, python: 'accept', go: 'reject', tufjs: 'reject', rule: 'threshold' },
  {
    name: 'snapshot meta lists a sha384 hash of targets (beside sha256)',
    spec: {},
    specOk: true,
    python: 'accept',
    go: 'reject',
    tufjs: 'accept',
    rule: 'hash-algorithm',
  },
];

/** The sha384 case needs the targets bytes: built once without the hook (Ed25519 signatures are deterministic). */
function withSha384(spec: QuirkSpec): QuirkSpec {
  const targets = quirkyRepo({ ...spec, hooks: {} }).files.get('1.targets.json') as Uint8Array;
  const h = createHash('sha384').update(targets).digest('hex');
  return { ...spec, hooks: { snapshot: (s) => ((snapshotMeta(s)['targets.json'] as { hashes: Obj }).hashes['sha384'] = h) } };
}

/** The clients' verdict line: accept, or the first file refused and why. */
function said(v: JudgeVerdict): string {
  const failed = v.steps.find((s) => !s.ok);
  return failed === undefined ? 'accept' : `${failed.file}: ${failed.error ?? ''}`;
}

describe('per-client verdicts, checked against tuf-js and python-tuf where they run', () => {
  for (const c of CASES) {
    test(c.name, async (t) => {
      const spec = c.name.includes('sha384') ? withSha384(c.spec) : c.spec;
      const repo = quirkyRepo(spec);
      const report = verifyRepository(memorySource(repo.files), { atMs: AT });
      assert.equal(report.ok, c.specOk, `spec verdict: ${report.failures.join('; ')}`);
      const ours = { python: report.clients['python-tuf'], go: report.clients['go-tuf'], tufjs: report.clients['tuf-js'] };
      const show = JSON.stringify(report.clients, null, 1);
      assert.equal(ours.python.accepts ? 'accept' : 'reject', c.python, `python-tuf: ${show}`);
      assert.equal(ours.go.accepts ? 'accept' : 'reject', c.go, `go-tuf: ${show}`);
      assert.equal(ours.tufjs.accepts ? 'accept' : 'reject', c.tufjs, `tuf-js: ${show}`);
      if (c.rule !== undefined) {
        for (const v of Object.values(report.clients)) if (!v.accepts && v.reasons.every((r) => r.rule === 'spec')) assert.fail(`no client rule among ${show}`);
        assert.ok(Object.values(report.clients).some((v) => v.reasons.some((r) => r.rule === c.rule)), `rule ${c.rule} in ${show}`);
      }
      const dir = mkdtempSync(join(tmpdir(), 'tuf-ceremony-verdicts-'));
      try {
        for (const [n, b] of repo.files) writeFileSync(join(dir, n), b);
        const judged = { dir, at: isoSeconds(AT) };
        await t.test('the real tuf-js agrees', () => {
          const tj = tufjsJudge(judged);
          assert.equal(tj.ok ? 'accept' : 'reject', c.tufjs, `the real tuf-js says: ${said(tj)}`);
        });
        await t.test('the real python-tuf agrees', (st) => {
          const py = pythonTuf(st)?.judge([judged])[0];
          if (py !== undefined) assert.equal(py.ok ? 'accept' : 'reject', c.python, `the real python-tuf says: ${said(py)}`);
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

/** Sigstore's production repository (root_history 1-15, targets, npm delegation), copied byte for byte. */
const SIGSTORE = new URL('../../../test/fixtures/real/sigstore-root-signing/', import.meta.url).pathname;

describe('what publish refuses: rejectionsOf, its gate, on real metadata', () => {
  const report = verifyRepository(metadataDirSource(SIGSTORE), { atMs: Date.parse('2026-08-22T00:00:00Z') });

  test("Sigstore's root v1 (fractional-second expires, hex ECDSA keys): python-tuf and go-tuf reasons, none from tuf-js", () => {
    assert.equal(report.ok, true, 'the repository verifies per the specification');
    const refused = rejectionsOf(report.clients, new Set(['root_history/1.root.json']));
    assert.ok(
      refused.some((r) => /^python-tuf: root_history\/1\.root\.json: expires "[^"]+\.\d+Z?[^"]*" is not YYYY-MM-DDTHH:MM:SSZ/.test(r)),
      JSON.stringify(refused)
    );
    assert.ok(refused.some((r) => r.startsWith('go-tuf: root_history/1.root.json: ')), JSON.stringify(refused));
    assert.ok(!refused.some((r) => r.startsWith('tuf-js: ')), JSON.stringify(refused));
  });

  test('its newest root, targets and delegated role: nothing refused; reasons about other files are not the publish\'s', () => {
    assert.deepEqual(rejectionsOf(report.clients, new Set(['root_history/15.root.json', 'root.json', 'targets.json', 'registry.npmjs.org.json'])), []);
    assert.ok(!report.clients['python-tuf'].accepts, 'python-tuf rejects the chain from v1');
    assert.deepEqual(rejectionsOf(report.clients, new Map()), []);
  });
});
