// SPDX-License-Identifier: Apache-2.0
/**
 * Shared helpers for the metadata unit tests: error assertions, JSON
 * mutation by path, the read-only tuf-on-ci test data, and a small valid
 * repository (signed with real deterministic keys) to mutate.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VerificationError, type InputError } from '../../src/errors.js';
import type { Root, Snapshot, Targets, Timestamp } from '../../src/metadata/model.js';
import { signMetadata, testKey, type TestKey } from '../support/keys.js';
import { thrownInputError } from '../support/assert-input.js';
import { prng } from '../support/prng.js';

export { prng };

/**
 * Real metadata from the tuf-on-ci demo repository (read in place, never
 * written): test/fixtures/real/tuf-on-ci-demo, see its PROVENANCE.
 * build/test/metadata/ is three levels below the project's root.
 */
export const TESTDATA =
  process.env['TUF_TESTDATA'] ?? new URL('../../../test/fixtures/real/tuf-on-ci-demo', import.meta.url).pathname;

export function readTestdata(name: string): Buffer {
  return readFileSync(join(TESTDATA, name));
}

/** Every metadata file of the test data with the role type it holds. */
export const TESTDATA_FILES: readonly (readonly [string, 'root' | 'targets' | 'snapshot' | 'timestamp'])[] = [
  ['root_history/1.root.json', 'root'],
  ['root_history/2.root.json', 'root'],
  ['root_history/3.root.json', 'root'],
  ['root_history/4.root.json', 'root'],
  ['root_history/5.root.json', 'root'],
  ['root.json', 'root'],
  ['targets.json', 'targets'],
  ['jku.json', 'targets'],
  ['kommendorkapten.json', 'targets'],
  ['rdimitrov.json', 'targets'],
  ['snapshot.json', 'snapshot'],
  ['timestamp.json', 'timestamp'],
];

export interface ExpectedInputError {
  readonly file: string;
  /** Exact `.field`; `null` means the error has no field. Omit to skip the check. */
  readonly field?: string | null;
  readonly message?: RegExp;
}

/** Asserts that `fn` throws an InputError (exit 2) naming the file and field. */
export function assertInputError(fn: () => unknown, want: ExpectedInputError): InputError {
  const caught = thrownInputError(fn);
  assert.equal(caught.file, want.file);
  assert.ok(caught.message.includes(want.file), `message names the file: ${caught.message}`);
  if (want.field !== undefined) {
    assert.equal(caught.field ?? null, want.field, `field of: ${caught.message}`);
    if (want.field !== null && want.field !== '') {
      assert.ok(caught.message.includes(want.field), `message names the field: ${caught.message}`);
    }
  }
  if (want.message !== undefined) assert.match(caught.message, want.message);
  return caught;
}

/** Asserts that `fn` throws a VerificationError (exit 1: the file was altered) naming the file and field. */
export function assertTampered(fn: () => unknown, want: ExpectedInputError): VerificationError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof VerificationError, `expected a VerificationError (exit 1), got ${String(caught)}`);
  assert.equal(caught.exitCode, 1);
  assert.equal(caught.file, want.file);
  assert.ok(caught.message.includes(want.file), `message names the file: ${caught.message}`);
  if (want.field !== undefined) {
    assert.equal(caught.field ?? null, want.field, `field of: ${caught.message}`);
    if (want.field !== null && want.field !== '') assert.ok(caught.message.includes(want.field), `message names the field: ${caught.message}`);
  }
  if (want.message !== undefined) assert.match(caught.message, want.message);
  return caught;
}

/** A mutable JSON tree (deep copy of metadata) for building hostile inputs. */
export type Tree = Record<string, unknown>;

export function clone<T>(v: T): T {
  return structuredClone(v);
}

function container(root: unknown, path: readonly (string | number)[]): Record<string | number, unknown> {
  let cur: unknown = root;
  for (const seg of path) {
    if (typeof cur !== 'object' || cur === null) throw new Error(`no container at ${String(seg)}`);
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  if (typeof cur !== 'object' || cur === null) throw new Error(`no container at ${path.join('.')}`);
  return cur as Record<string | number, unknown>;
}

/** Reads the value at `path`. */
export function getAt(root: unknown, path: readonly (string | number)[]): unknown {
  const last = path[path.length - 1];
  if (last === undefined) return root;
  return container(root, path.slice(0, -1))[last];
}

/** Sets the value at `path` (the parent must exist). */
export function setAt(root: unknown, path: readonly (string | number)[], value: unknown): void {
  const last = path[path.length - 1];
  if (last === undefined) throw new Error('empty path');
  container(root, path.slice(0, -1))[last] = value;
}

/** Deletes the property at `path`. */
export function deleteAt(root: unknown, path: readonly (string | number)[]): void {
  const last = path[path.length - 1];
  if (last === undefined) throw new Error('empty path');
  delete container(root, path.slice(0, -1))[last];
}

/** File bytes of a JSON value, written with plain JSON.stringify (so hostile values survive). */
export function jsonBytes(v: unknown): Buffer {
  return Buffer.from(JSON.stringify(v, null, 1), 'utf8');
}

/** How a key ID appears in a field path (formatPath rules, computed independently). */
export function keyPath(prefix: string, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? `${prefix}.${key}` : `${prefix}${JSON.stringify([key])}`;
}

export const EXPIRES = '2030-01-01T00:00:00Z';
export const SPEC = '1.0.31';

/** Keys of the fixture repository (deterministic). */
export function fixtureKeys(): {
  root: TestKey[];
  targets: TestKey;
  snapshot: TestKey;
  timestamp: TestKey;
  delegate: TestKey;
} {
  return {
    root: [testKey('fx/root-1'), testKey('fx/root-2', 'ecdsa-p256'), testKey('fx/root-3')],
    targets: testKey('fx/targets', 'ecdsa-p256'),
    snapshot: testKey('fx/snapshot'),
    timestamp: testKey('fx/timestamp'),
    delegate: testKey('fx/delegate'),
  };
}

export function fixtureRoot(): Root {
  const k = fixtureKeys();
  const keys: Record<string, Root['keys'][string]> = {};
  for (const key of [...k.root, k.targets, k.snapshot, k.timestamp]) keys[key.keyid] = key.tuf;
  return {
    _type: 'root',
    spec_version: SPEC,
    version: 1,
    expires: EXPIRES,
    consistent_snapshot: true,
    keys,
    roles: {
      root: { keyids: k.root.map((x) => x.keyid), threshold: 2 },
      targets: { keyids: [k.targets.keyid], threshold: 1 },
      snapshot: { keyids: [k.snapshot.keyid], threshold: 1 },
      timestamp: { keyids: [k.timestamp.keyid], threshold: 1 },
    },
  };
}

export function fixtureTargets(): Targets {
  const k = fixtureKeys();
  return {
    _type: 'targets',
    spec_version: SPEC,
    version: 3,
    expires: EXPIRES,
    targets: {
      'file.txt': {
        length: 5,
        hashes: { sha256: '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824' },
        custom: { owner: 'a', n: 1 },
      },
    },
    delegations: {
      keys: { [k.delegate.keyid]: k.delegate.tuf },
      roles: [
        { name: 'project', keyids: [k.delegate.keyid], threshold: 1, terminating: true, paths: ['project/*'] },
        { name: 'bin-0', keyids: [k.delegate.keyid], threshold: 1, terminating: false, path_hash_prefixes: ['0a'] },
      ],
    },
  };
}

export function fixtureSnapshot(): Snapshot {
  return {
    _type: 'snapshot',
    spec_version: SPEC,
    version: 7,
    expires: EXPIRES,
    meta: {
      'targets.json': { version: 3 },
      'project.json': {
        version: 1,
        length: 604,
        hashes: { sha256: '1f81f0e1a8ec2b8f5d8f6b1bd0d1a7b2a1c3f3e0a6e5b4e6d8a9a0b1c2d3e4f5' },
      },
    },
  };
}

export function fixtureTimestamp(): Timestamp {
  return {
    _type: 'timestamp',
    spec_version: SPEC,
    version: 9,
    expires: EXPIRES,
    meta: {
      'snapshot.json': {
        version: 7,
        length: 1007,
        hashes: { sha256: 'c14aeb4ac9f4a8fc0d83d12482b9197452f6adf3eb710e3b1e2b79e8d14cb681' },
      },
    },
  };
}

/** The four fixture documents as signed envelopes (plain JSON trees). */
export function fixtureEnvelopes(): Record<'root' | 'targets' | 'snapshot' | 'timestamp', Tree> {
  const k = fixtureKeys();
  return {
    root: clone(signMetadata(fixtureRoot(), k.root.slice(0, 2))) as unknown as Tree,
    targets: clone(signMetadata(fixtureTargets(), [k.targets])) as unknown as Tree,
    snapshot: clone(signMetadata(fixtureSnapshot(), [k.snapshot])) as unknown as Tree,
    timestamp: clone(signMetadata(fixtureTimestamp(), [k.timestamp])) as unknown as Tree,
  };
}

/** Characters that stress canonical JSON: escapes, controls, code-point order. */
export const TRICKY_CHARS = [
  'a', 'b', 'Z', '_type', '"', '\\', '\n', '\t', '\u0000', '\u001f', '\u007f', '\u2028',
  'é', 'ﬁ', '\ue000', '\uffff', '😀', '\u{10000}', '10', '9', 'n', 'u',
];

/** Deterministic random JSON values (integers only, no lone surrogates). */
export function randomJson(seed: number, count: number): unknown[] {
  const rnd = prng(seed);
  const str = (): string => {
    let s = '';
    const len = Math.floor(rnd() * 5);
    for (let i = 0; i < len; i++) s += TRICKY_CHARS[Math.floor(rnd() * TRICKY_CHARS.length)] as string;
    return s;
  };
  const gen = (depth: number): unknown => {
    const r = rnd();
    if (depth > 3 || r < 0.3) {
      const p = rnd();
      if (p < 0.4) return str();
      if (p < 0.7) return Math.trunc((rnd() - 0.5) * 2 * Number.MAX_SAFE_INTEGER);
      if (p < 0.8) return rnd() < 0.5;
      if (p < 0.9) return null;
      return Math.floor(rnd() * 100);
    }
    if (r < 0.6) return Array.from({ length: Math.floor(rnd() * 5) }, () => gen(depth + 1));
    const o: Record<string, unknown> = {};
    const n = Math.floor(rnd() * 6);
    for (let i = 0; i < n; i++) o[str()] = gen(depth + 1);
    return o;
  };
  return Array.from({ length: count }, () => gen(0));
}
