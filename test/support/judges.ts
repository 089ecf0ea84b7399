// SPDX-License-Identifier: Apache-2.0
/**
 * Two TUF clients we did not write judge a metadata directory at a reference
 * time: python-tuf (TrustedMetadataSet, when it is available, see
 * python-tuf.ts) and tuf-js (TrustedMetadataStore). Each runs as a subtest of
 * its own, so that a missing python-tuf skips only its subtest, naming what
 * is missing (and fails it under CI=true).
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { pythonTuf, type JudgeCase, type JudgeVerdict } from './python-tuf.js';
import { tufjsJudge } from './tufjs-judge.js';

/** A reference time `YYYY-MM-DDTHH:MM:SSZ` (the only form python-tuf reads) from epoch milliseconds. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Every client accepts; or every client refuses, first at `file`. */
export type Expected = 'accept' | { readonly file: string; readonly why?: RegExp };

export interface JudgeOptions {
  /** Files (relative to the directory) each client must have verified, when it accepts. */
  readonly covers?: readonly string[];
}

function check(client: string, v: JudgeVerdict, want: Expected, opts: JudgeOptions): void {
  const failed = v.steps.filter((s) => !s.ok);
  if (want === 'accept') {
    assert.ok(v.ok, `${client} accepts; it said ${JSON.stringify(failed)}`);
    const walked = new Set(v.steps.map((s) => s.file));
    for (const f of opts.covers ?? []) assert.ok(walked.has(f), `${client} verified ${f}; it walked ${[...walked].join(', ')}`);
    return;
  }
  assert.equal(v.ok, false, `${client} refuses`);
  assert.equal(failed[0]?.file, want.file, `${client} refuses first at ${want.file}; it said ${JSON.stringify(failed)}`);
  if (want.why !== undefined) assert.match(failed[0]?.error ?? '', want.why);
}

/** Runs tuf-js and python-tuf on `c` as two subtests of `t`, each asserting `want`. */
export async function judgedByClients(t: TestContext, c: JudgeCase, want: Expected, opts: JudgeOptions = {}): Promise<void> {
  await judgedAllByClients(t, [c], want, opts);
}

/**
 * Like {@link judgedByClients} for many directories: still two subtests of
 * `t`, tuf-js on each directory and python-tuf on all of them in one
 * process; every directory must get `want` from both.
 */
export async function judgedAllByClients(t: TestContext, cases: readonly JudgeCase[], want: Expected, opts: JudgeOptions = {}): Promise<void> {
  const what = `${want === 'accept' ? 'accepts' : `refuses ${want.file}`}${cases.length === 1 ? '' : ` (${String(cases.length)} directories)`}`;
  const name = (client: string, c: JudgeCase): string => (cases.length === 1 ? client : `${client} on ${c.dir}`);
  const js = new Map<string, JudgeVerdict>();
  await t.test(`tuf-js ${what}`, () => {
    for (const c of cases) {
      const v = tufjsJudge(c);
      js.set(c.dir, v);
      check(name('tuf-js', c), v, want, opts);
    }
  });
  await t.test(`python-tuf ${what}`, (st) => {
    const py = pythonTuf(st);
    if (py === undefined) return;
    const verdicts = py.judge(cases);
    assert.equal(verdicts.length, cases.length);
    for (const [i, c] of cases.entries()) {
      const v = verdicts[i] as JudgeVerdict;
      check(name('python-tuf', c), v, want, opts);
      const other = js.get(c.dir);
      if (want === 'accept' && other?.ok === true) {
        assert.deepEqual(
          v.steps.map((s) => s.file),
          other.steps.map((s) => s.file),
          `${name('both clients', c)}: verified the same files in the same order`
        );
      }
    }
  });
}
