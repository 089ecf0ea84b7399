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
  const what = want === 'accept' ? 'accepts' : `refuses ${want.file}`;
  let js: JudgeVerdict | undefined;
  await t.test(`tuf-js ${what}`, () => {
    js = tufjsJudge(c);
    check('tuf-js', js, want, opts);
  });
  await t.test(`python-tuf ${what}`, (st) => {
    const py = pythonTuf(st);
    if (py === undefined) return;
    const [v] = py.judge([c]);
    assert.ok(v !== undefined);
    check('python-tuf', v, want, opts);
    if (want === 'accept' && js?.ok === true) {
      assert.deepEqual(
        v.steps.map((s) => s.file),
        js.steps.map((s) => s.file),
        'both clients verified the same files in the same order'
      );
    }
  });
}
