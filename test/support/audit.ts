// SPDX-License-Identifier: Apache-2.0
/**
 * The audit log as the tests read it: each command's own entry (its
 * write-ahead intent), without the `outcome` entries that follow them and
 * with `details.change` (the files announced) set aside.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface TestEntry {
  seq: number;
  actor: string;
  command: string;
  time: string;
  details: Record<string, unknown>;
  artifacts: { read: { path: string; sha256: string }[]; written: { path: string; sha256: string }[] };
  [field: string]: unknown;
}

/** Every line of the log, parsed as it is. */
export async function rawAuditEntries(ws: string): Promise<TestEntry[]> {
  const text = await readFile(join(ws, 'audit', 'log.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as TestEntry);
}

/** The commands' entries: no `outcome` entries, no `details.change`. */
export async function commandEntries(ws: string): Promise<TestEntry[]> {
  return (await rawAuditEntries(ws))
    .filter((e) => e.command !== 'outcome')
    .map((e) => {
      const details = { ...e.details };
      delete details['change'];
      return { ...e, details };
    });
}
