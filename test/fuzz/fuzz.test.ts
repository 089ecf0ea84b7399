// SPDX-License-Identifier: Apache-2.0
/**
 * Mutation fuzzing of every parser and of the commands that read files
 * (issue 6 §3). Seeds are real files made by the real CLI (a ceremony
 * fixture) and real metadata written by other tools (test/fixtures/real).
 *
 * Invariants, for every mutated input:
 * - no crash: a parser returns, or throws a CeremonyError with the
 *   documented exit code (2 for input; 1 where a check says no), naming the file;
 * - never an accepted invalid signature: whatever `collect` keeps verifies,
 *   checked independently with node:crypto over the draft's canonical bytes;
 * - never a changed workspace: a command that ends in exit 2 leaves every
 *   file of the workspace (and the keyholder's directory) as it was.
 *
 * `npm run fuzz` runs FUZZ_RUNS inputs per target (at least 100,000 in all);
 * targets: metadata, requests, signature files, metadata copies, public key
 * files, plans, audit logs, settings, ceremony templates, answers files;
 * the normal suite runs a few hundred per target. fast-check prints the seed
 * and path of a failure: replay with FUZZ_SEED=… FUZZ_PATH=….
 */
import assert from 'node:assert/strict';
import { createHash, createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { verifyLog } from '../../src/audit/entry.js';
import { parseAnswers } from '../../src/ceremony/answers.js';
import { parsePlan } from '../../src/ceremony/plan.js';
import { parseTemplate } from '../../src/ceremony/template.js';
import { eligibleKeys, parseRequest } from '../../src/ceremony/request.js';
import { collectSignatures, incomingFromMetadata, incomingFromSignatureFile, parseSignatureFile } from '../../src/ceremony/signature-file.js';
import { CeremonyError } from '../../src/errors.js';
import { canonicalBytes } from '../../src/metadata/canonical.js';
import type { TufKey } from '../../src/metadata/keys.js';
import type { ParsedMetadata, Root } from '../../src/metadata/model.js';
import { parseMetadata } from '../../src/metadata/parse.js';
import { parsePublicKeyFile } from '../../src/metadata/public-key-file.js';
import { parseSettings } from '../../src/store/workspace.js';
import { runCli } from '../support/cli.js';
import { CEREMONY_NOW, CEREMONY_PASS, ceremonyFixture, type CeremonyFixture } from '../support/ceremony.js';
import { readTestdata, TESTDATA_FILES } from '../metadata/helpers.js';
import { bootstrapAnswers } from '../support/run.js';
import { fcParams, FUZZ_RUNS, mutate, mutationArb, type Op } from './mutate.js';

let base: string;
let fx: CeremonyFixture;
const seeds: Record<string, Uint8Array[]> = {};
let draft: ParsedMetadata<Root>;
let trusted: Root;
let request: string;
let bootstrap: ReturnType<typeof parseTemplate>['template'];
/** Totals, printed at the end and copied into docs/reliability.md. */
const tried: Record<string, { inputs: number; rejected: number; accepted: number }> = {};

before(async () => {
  base = await mkdtemp(join(tmpdir(), 'tuf-ceremony-fuzz-'));
  fx = await ceremonyFixture(base);
  await fx.ok(fx.ws, ['root', 'draft']);
  await fx.ok(fx.ws, ['root', 'add-key', 'root', 'dave']);
  await fx.ok(fx.ws, ['root', 'remove-key', 'root', 'carol']);
  request = await fx.request('root');
  const sig = await fx.sign('alice', request);
  const read = (p: string): Promise<Buffer> => readFile(p);
  draft = parseMetadata(await read(join(fx.ws, 'drafts', 'root.json')), 'draft', 'root');
  trusted = parseMetadata(await read(join(fx.ws, 'metadata', '1.root.json')), '1.root.json', 'root').signed;
  seeds['metadata'] = [
    await read(join(fx.ws, 'metadata', '1.root.json')),
    await read(join(fx.ws, 'drafts', 'root.json')),
    ...TESTDATA_FILES.slice(0, 6).map(([name]) => readTestdata(name)),
  ];
  seeds['request'] = [await read(request)];
  seeds['signature'] = [await read(sig)];
  seeds['public-key'] = [await read(join(fx.home('alice'), 'alice.pub.json')), await read(join(fx.home('bob'), 'bob.pub.json'))];
  seeds['plan'] = [await read(join(fx.ws, 'plan-v1.yaml')), Buffer.from(JSON.stringify({ roles: { root: { threshold: 2, keyholders: ['alice', 'bob'] } }, expires: '+30d' }))];
  seeds['audit'] = [await read(join(fx.ws, 'audit', 'log.jsonl'))];
  seeds['settings'] = [await read(join(fx.ws, 'ceremony.json'))];
  const templates = new URL('../../../ceremony-templates/', import.meta.url).pathname;
  seeds['template'] = await Promise.all(['bootstrap-root.yaml', 'pep458-layout.yaml', 'key-compromise-recovery.yaml'].map((f) => read(join(templates, f))));
  seeds['answers'] = [Buffer.from(bootstrapAnswers('/keys'))];
  bootstrap = parseTemplate(seeds['template'][0] ?? new Uint8Array(), 'bootstrap-root.yaml').template;
  await cp(fx.ws, join(base, 'pristine'), { recursive: true });
});
after(async () => {
  await rm(base, { recursive: true, force: true });
  const total = Object.values(tried).reduce((a, t) => a + t.inputs, 0);
  process.stdout.write(`# fuzz: ${String(total)} inputs: ${JSON.stringify(tried)}\n`);
});

function count(name: string, accepted: boolean): void {
  const t = (tried[name] ??= { inputs: 0, rejected: 0, accepted: 0 });
  t.inputs++;
  if (accepted) t.accepted++;
  else t.rejected++;
}

/** Runs `fn` on the input; only a CeremonyError with an allowed exit code that names the file may come out. */
function expectCleanly(name: string, file: string, allowed: readonly number[], fn: () => void): void {
  try {
    fn();
    count(name, true);
  } catch (e) {
    if (!(e instanceof CeremonyError)) throw new Error(`${name}: crashed with ${e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e)}`);
    assert.ok(allowed.includes(e.exitCode), `${name}: exit ${String(e.exitCode)} (${e.message})`);
    assert.ok(e.message.includes(file) || e.file === file, `${name}: the message names the file: ${e.message}`);
    count(name, false);
  }
}

/**
 * With FUZZ_LAST=FILE, each input is written there before it is tried, so an
 * input that kills the process (which fast-check cannot report) is kept.
 */
function keepLast(name: string, input: Uint8Array): void {
  const to = process.env['FUZZ_LAST'];
  if (to !== undefined) writeFileSync(to, Buffer.concat([Buffer.from(`${name}\n`), input]));
}

/** A property over (seed index, mutation). */
function fuzz(name: string, runs: number, check: (bytes: Uint8Array) => void): void {
  const list = seeds[name] ?? assert.fail(`no seeds for ${name}`);
  fc.assert(
    fc.property(fc.nat({ max: list.length - 1 }), mutationArb, (i: number, ops: readonly Op[]) => {
      const input = mutate(list[i] ?? new Uint8Array(), ops);
      keepLast(name, input);
      check(input);
    }),
    fcParams<[number, readonly Op[]]>(runs)
  );
}

function ed25519(key: TufKey): ReturnType<typeof createPublicKey> {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(key.keyval.public, 'hex').toString('base64url') }, format: 'jwk' });
}

/** Independent check (node:crypto, not our verifier) of every signature `collect` kept. */
function assertKeptSignaturesVerify(kept: readonly { keyid: string; sig: string }[], keys: ReadonlyMap<string, TufKey>): void {
  const bytes = canonicalBytes(draft.signed);
  for (const s of kept) {
    const key = keys.get(s.keyid);
    assert.ok(key !== undefined, `a kept signature by ${s.keyid} is from an eligible key`);
    assert.ok(cryptoVerify(null, bytes, ed25519(key), Buffer.from(s.sig, 'hex')), `a kept signature by ${s.keyid} verifies`);
  }
}

const PARSER_RUNS = FUZZ_RUNS;
const CLI_RUNS = Math.max(40, Math.min(600, Math.floor(FUZZ_RUNS / 25)));

describe(`mutation fuzzing: parsers (${String(PARSER_RUNS)} inputs each)`, () => {
  it('metadata (our root and draft; python-tuf, go-tuf, tuf-on-ci files)', () => {
    fuzz('metadata', PARSER_RUNS, (b) => {
      expectCleanly('metadata', 'fuzz.json', [2], () => parseMetadata(b, 'fuzz.json'));
    });
  });
  it('signing requests', () => {
    fuzz('request', PARSER_RUNS, (b) => {
      // Malformed: 2; well formed but altered (a hash, the eligible keys, the trusted root's signatures): 1.
      expectCleanly('request', 'fuzz-request.json', [1, 2], () => parseRequest(b, 'fuzz-request.json'));
    });
  });
  it('signature files, and collect never keeps a signature that does not verify', () => {
    const eligible = eligibleKeys(draft.signed, trusted);
    fuzz('signature', PARSER_RUNS, (b) => {
      expectCleanly('signature', 'fuzz.sig.json', [2], () => {
        const sf = parseSignatureFile(b, 'fuzz.sig.json');
        const r = collectSignatures({ signed: draft.signed, signatures: [] }, eligible, [incomingFromSignatureFile(sf, 'fuzz.sig.json')]);
        assertKeptSignaturesVerify(r.signatures, eligible);
      });
    });
  });
  it('metadata copies given to collect never bring in a signature that does not verify', () => {
    const eligible = eligibleKeys(draft.signed, trusted);
    // A copy of the draft carrying alice's signature, as another tool would write it.
    const sf = parseSignatureFile(seeds['signature']?.[0] ?? assert.fail(), 'alice.sig.json');
    seeds['copy'] = [Buffer.from(JSON.stringify({ signed: draft.signed, signatures: [{ keyid: sf.keyid, sig: sf.sig }] }, null, 1))];
    fuzz('copy', PARSER_RUNS, (b) => {
      expectCleanly('copy', 'copy.json', [2], () => {
        const md = parseMetadata(b, 'copy.json');
        const r = collectSignatures({ signed: draft.signed, signatures: [] }, eligible, [incomingFromMetadata(md, 'copy.json')]);
        assertKeptSignaturesVerify(r.signatures, eligible);
      });
    });
  });
  it('public key files', () => {
    fuzz('public-key', PARSER_RUNS, (b) => {
      expectCleanly('public-key', 'fuzz.pub.json', [2], () => parsePublicKeyFile(b, 'fuzz.pub.json'));
    });
  });
  it('plans (YAML and JSON)', () => {
    fuzz('plan', PARSER_RUNS, (b) => {
      expectCleanly('plan', 'fuzz-plan.yaml', [2], () => parsePlan(b, 'fuzz-plan.yaml'));
    });
  });
  it('audit logs (verify reports, never throws but for oversized input)', () => {
    fuzz('audit', PARSER_RUNS, (b) => {
      expectCleanly('audit', 'log.jsonl', [1, 2], () => {
        const r = verifyLog(b, 'log.jsonl');
        if (!Buffer.from(b).equals(Buffer.from(seeds['audit']?.[0] ?? []))) assert.ok(r.ok === false || r.entries >= 0);
      });
    });
  });
  it('ceremony templates', () => {
    fuzz('template', PARSER_RUNS, (b) => {
      expectCleanly('template', 'fuzz-template.yaml', [2], () => parseTemplate(b, 'fuzz-template.yaml'));
    });
  });
  it('answers files (against the bootstrap-root template)', () => {
    fuzz('answers', PARSER_RUNS, (b) => {
      expectCleanly('answers', 'fuzz-answers.yaml', [2], () => parseAnswers(b, 'fuzz-answers.yaml', bootstrap));
    });
  });
  it('workspace settings (ceremony.json)', () => {
    fuzz('settings', PARSER_RUNS, (b) => {
      expectCleanly('settings', 'ceremony.json', [2], () => parseSettings(b, 'ceremony.json'));
    });
  });
});

/** SHA-256 of every file under `dir` (recursively), by relative path. */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const p = join(e.parentPath, e.name);
    out.set(p.slice(dir.length), createHash('sha256').update(await readFile(p)).digest('hex'));
  }
  return out;
}

/** A command run on mutated input: exit 0, 1 or 2 (never a crash, 70); on exit 2 (or the codes given) the watched directory is unchanged. */
async function cliFuzz(name: string, seed: Uint8Array, file: string, args: (file: string) => string[], cwd: string, watch: string, reset: () => Promise<void>, unchangedOn: readonly number[] = [2]): Promise<void> {
  let before = await snapshot(watch);
  await fc.assert(
    fc.asyncProperty(mutationArb, async (ops: readonly Op[]) => {
      const input = mutate(seed, ops);
      keepLast(`cli ${name}`, input);
      await writeFile(file, input);
      const r = await runCli(['--no-input', ...args(file)], { cwd, now: CEREMONY_NOW, env: { TUF_CEREMONY_PASSPHRASE: CEREMONY_PASS } });
      assert.ok([0, 1, 2].includes(r.code), `${name}: exit ${String(r.code)}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /INTERNAL/);
      count(`cli ${name}`, r.code === 0);
      if (unchangedOn.includes(r.code)) {
        assert.deepEqual(await snapshot(watch), before, `${name}: exit ${String(r.code)} changed nothing (${r.stderr.split('\n')[0] ?? ''})`);
      } else {
        await reset();
        before = await snapshot(watch);
      }
    }),
    fcParams<[readonly Op[]]>(CLI_RUNS)
  );
}

describe(`mutation fuzzing: commands (${String(CLI_RUNS)} inputs each)`, () => {
  const fresh = async (): Promise<string> => {
    const ws = join(base, 'cli-ws');
    await rm(ws, { recursive: true, force: true });
    await cp(join(base, 'pristine'), ws, { recursive: true });
    return ws;
  };
  it('collect FILE: a mutated signature file', { timeout: 600_000 }, async () => {
    let ws = await fresh();
    const reset = async (): Promise<void> => {
      // Whatever was kept must verify; then start again from the pristine workspace.
      const d = parseMetadata(await readFile(join(ws, 'drafts', 'root.json')), 'draft', 'root');
      assertKeptSignaturesVerify(d.signatures, eligibleKeys(d.signed, trusted));
      ws = await fresh();
    };
    await cliFuzz('collect', seeds['signature']?.[0] ?? assert.fail(), join(base, 'm.sig.json'), (f) => ['--dir', join(base, 'cli-ws'), 'collect', f], base, join(base, 'cli-ws'), reset);
  });
  it('keyholder add FILE: a mutated public key file', { timeout: 600_000 }, async () => {
    await fresh();
    await cliFuzz('keyholder add', seeds['public-key']?.[0] ?? assert.fail(), join(base, 'm.pub.json'), (f) => ['--dir', join(base, 'cli-ws'), 'keyholder', 'add', f], base, join(base, 'cli-ws'), async () => {
      await fresh();
    });
  });
  it('root draft --plan FILE: a mutated plan', { timeout: 600_000 }, async () => {
    await fresh();
    await cliFuzz('root draft --plan', seeds['plan']?.[0] ?? assert.fail(), join(fx.ws, 'm-plan.yaml'), (f) => ['--dir', join(base, 'cli-ws'), 'root', 'draft', '--replace', '--plan', f], base, join(base, 'cli-ws'), async () => {
      await fresh();
    });
  });
  it('sign FILE: a mutated signing request (nothing written, no secret asked, on exit 1 (altered) or 2 (malformed))', { timeout: 600_000 }, async () => {
    const home = fx.home('bob');
    await cliFuzz(
      'sign',
      seeds['request']?.[0] ?? assert.fail(),
      join(base, 'm-request.json'),
      (f) => ['sign', f, '--key', 'bob.key', '--yes', '--out', join(home, 'fuzz.sig.json')],
      home,
      home,
      async () => {
        await rm(join(home, 'fuzz.sig.json'), { force: true });
      },
      [1, 2]
    );
  });
});
