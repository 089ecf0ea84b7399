// SPDX-License-Identifier: Apache-2.0
/** The tool's own SHA-256 (src/store/self-hash.ts): what the documented shell pipeline prints. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { hashCodeTree, packageRoot, toolSelfHash } from '../../src/store/self-hash.js';

const PIPELINE = "find . -type f -printf '%P\\n' | LC_ALL=C sort | xargs sha256sum | sha256sum";

test("the running code's SHA-256 is the documented hash of build/src, and is computed once", () => {
  const self = toolSelfHash();
  assert.equal(self.mode, 'tree');
  assert.equal(self.path, join(packageRoot() ?? '', 'build', 'src'));
  const shell = execFileSync('sh', ['-c', PIPELINE], { cwd: self.path, encoding: 'utf8' }).split(' ')[0];
  assert.equal(self.sha256, shell);
  assert.ok(self.files > 40);
  assert.equal(toolSelfHash(), self);
});

test('any change to the tree changes the hash: content, a new file, a renamed file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tuf-ceremony-self-hash-'));
  try {
    await mkdir(join(dir, 'cli'));
    await writeFile(join(dir, 'cli', 'main.js'), 'export {};\n');
    await writeFile(join(dir, 'errors.js'), 'export {};\n');
    const a = hashCodeTree(dir).sha256;
    assert.equal(a, execFileSync('sh', ['-c', PIPELINE], { cwd: dir, encoding: 'utf8' }).split(' ')[0]);
    await writeFile(join(dir, 'errors.js'), 'export {}; \n');
    const b = hashCodeTree(dir).sha256;
    await writeFile(join(dir, 'extra.js'), '');
    const c = hashCodeTree(dir).sha256;
    assert.equal(new Set([a, b, c]).size, 3);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
