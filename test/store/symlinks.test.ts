// SPDX-License-Identifier: Apache-2.0
/** Symlinks in a workspace or a metadata directory (docs/reliability.md). */
import assert from 'node:assert/strict';
import { copyFile, lstat, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeFileAtomic } from '../../src/store/atomic.js';
import { metadataDirSource } from '../../src/store/metadata-dir.js';

let tmp: string;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'tuf-ceremony-links-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const EXAMPLE = new URL('../../../examples/repository/metadata/', import.meta.url).pathname;

describe('symlinks', () => {
  it('a metadata directory: links that leave it are not read; links inside it are', async () => {
    const dir = join(tmp, 'metadata');
    await mkdir(dir);
    await copyFile(join(EXAMPLE, '1.root.json'), join(dir, '1.root.json'));
    await writeFile(join(tmp, 'outside.json'), '{"planted": true}');
    await symlink(join(tmp, 'outside.json'), join(dir, '2.root.json'));
    await symlink(join(dir, '1.root.json'), join(dir, 'root.json'));
    const src = metadataDirSource(dir);
    assert.deepEqual(src.names, ['1.root.json', 'root.json']);
    assert.equal(src.read('2.root.json'), undefined);
  });

  it('an atomic write replaces a link itself and never writes through it', async () => {
    const target = join(tmp, 'victim.txt');
    await writeFile(target, 'keep me');
    const link = join(tmp, 'draft.json');
    await symlink(target, link);
    await writeFileAtomic(link, 'new content');
    assert.equal(await readFile(target, 'utf8'), 'keep me');
    assert.equal((await lstat(link)).isSymbolicLink(), false);
    assert.equal(await readFile(link, 'utf8'), 'new content');
  });
});
