// SPDX-License-Identifier: Apache-2.0
/**
 * The draft rules root and targets share (src/cli/commands/drafts.ts), seen
 * through the root commands: a refused edit writes nothing; an edit that
 * changes nothing keeps the signatures; one that changes the signed content
 * discards them and says how many.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ceremonyCli, disposeCeremonyTemplate, publishedRootWorkspace, signAndCollect } from '../support/published-root.js';

let tmp: string;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'tuf-ceremony-root-drafts-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
  await disposeCeremonyTemplate();
});

describe('root draft edits', () => {
  it('refused edits write nothing; a no-op keeps signatures; a change discards them with the count', async () => {
    const w = await publishedRootWorkspace(tmp);
    await ceremonyCli(['--dir', w.ws, 'root', 'draft'], tmp);
    const draftPath = join(w.ws, 'drafts', 'root.json');
    const before = await readFile(draftPath);
    const refused = await ceremonyCli(['--dir', w.ws, '--json', 'root', 'set-threshold', 'root', '5'], tmp, 2);
    assert.equal((JSON.parse(refused.stdout) as { error: { field: string } }).error.field, 'roles.root.threshold');
    assert.ok((await readFile(draftPath)).equals(before));

    await signAndCollect(w, 'root', ['alice']);
    const same = await ceremonyCli(['--dir', w.ws, '--json', 'root', 'set-threshold', 'root', '1'], tmp);
    assert.deepEqual(JSON.parse(same.stdout), { ...(JSON.parse(same.stdout) as object), action: 'draft unchanged', keptSignatures: 1, discardedSignatures: 0 });
    const changed = await ceremonyCli(['--dir', w.ws, '--json', 'root', 'set-threshold', 'root', '2'], tmp);
    const doc = JSON.parse(changed.stdout) as { action: string; discardedSignatures: number; keptSignatures: number };
    assert.deepEqual([doc.action, doc.discardedSignatures, doc.keptSignatures], ['draft changed', 1, 0]);
    assert.deepEqual((JSON.parse(await readFile(draftPath, 'utf8')) as { signatures: unknown[] }).signatures, []);
  });
});
