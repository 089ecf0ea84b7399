// SPDX-License-Identifier: Apache-2.0
/**
 * `init --from` takes the files verify checked: verify may write over the
 * bytes it reads, so they are read again, and must be what was read
 * (rememberingSource). A file changed in between is refused, naming it.
 */
import assert from 'node:assert/strict';
import { appendFile, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InputError } from '../../src/errors.js';
import { metadataDirSource, rememberingSource } from '../../src/store/metadata-dir.js';
import { verifyRepository } from '../../src/verify/repository.js';

const EXAMPLE = new URL('../../../examples/repository/metadata/', import.meta.url).pathname;
const AT = Date.parse('2030-01-01T00:00:00Z');

let tmp: string;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'tuf-ceremony-remember-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function copyExample(name: string): Promise<string> {
  const dir = join(tmp, name);
  await cp(EXAMPLE, dir, { recursive: true });
  return dir;
}

const refused = (name: string) => (e: unknown): boolean => e instanceof InputError && e.message.startsWith(`${name}: changed while`) && e.file === name;

describe('rememberingSource: what is taken after verify is what verified', () => {
  it('every verified file is given again byte for byte while nothing changes', async () => {
    const dir = await copyExample('same');
    const source = rememberingSource(metadataDirSource(dir));
    const report = verifyRepository(source, { atMs: AT });
    assert.equal(report.ok, true, report.failures.join('\n'));
    assert.ok(report.verifiedFiles.length >= 5);
    for (const n of report.verifiedFiles) assert.deepEqual(Buffer.from(source.readAgain(n)), await readFile(join(dir, n)), n);
  });

  it('a verified file changed after verify read it is refused, naming it; the others are still given', async () => {
    const dir = await copyExample('changed');
    const source = rememberingSource(metadataDirSource(dir));
    const report = verifyRepository(source, { atMs: AT });
    assert.equal(report.ok, true);
    // Still valid JSON, still the same metadata to a parser: only the bytes differ.
    await appendFile(join(dir, '1.targets.json'), ' ');
    assert.throws(() => source.readAgain('1.targets.json'), refused('1.targets.json'));
    assert.deepEqual(Buffer.from(source.readAgain('timestamp.json')), await readFile(join(dir, 'timestamp.json')));
  });

  it('a file read twice with different bytes is refused even when it reads as the last read', async () => {
    const dir = await copyExample('twice');
    const source = rememberingSource(metadataDirSource(dir));
    const first = source.read('1.snapshot.json');
    assert.ok(first !== undefined);
    await writeFile(join(dir, '1.snapshot.json'), Buffer.concat([first, Buffer.from('\n')]));
    source.read('1.snapshot.json');
    assert.throws(() => source.readAgain('1.snapshot.json'), refused('1.snapshot.json'));
  });

  it('a file verify never read is not given', async () => {
    const dir = await copyExample('unread');
    const source = rememberingSource(metadataDirSource(dir));
    assert.throws(() => source.readAgain('1.project.json'), refused('1.project.json'));
  });
});
