// SPDX-License-Identifier: Apache-2.0
/**
 * Issue 14 §1: keyholder names bound in the signed key objects
 * (`x-tuf-on-ci-keyowner`) are kept by the clients and leave key IDs stable.
 * A root published by the ceremony is read by tuf-js's models (the field kept
 * as an unrecognized field, the root verifies itself), and securesystemslib
 * (what python-tuf hashes with) recomputes every key ID over the key object
 * as written, name included. (python-tuf itself was checked the same way by
 * hand: `Metadata.from_file`, `get_verification_result` verified, the field in
 * `unrecognized_fields`.)
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Metadata as TufJsMetadata, MetadataKind } from '@tufjs/models';
import { KEY_OWNER_FIELD } from '../../src/metadata/key-owner.js';
import { ceremonyFixture, type CeremonyFixture } from '../support/ceremony.js';

const PYTHON = '/usr/bin/python3';

describe('names in the signed key objects, as clients read them', () => {
  let base: string;
  let fx: CeremonyFixture;
  let bytes: Buffer;
  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'tuf-ceremony-owner-'));
    fx = await ceremonyFixture(base, ['alice', 'bob', 'carol']);
    bytes = await readFile(join(fx.ws, 'metadata', '1.root.json'));
  });
  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('tuf-js keeps the field and the root verifies with its own key IDs', () => {
    const md = TufJsMetadata.fromJSON(MetadataKind.Root, JSON.parse(bytes.toString('utf8')) as never);
    md.verifyDelegate('root', md);
    const owners = Object.values(md.signed.keys)
      .map((k) => (k.unrecognizedFields ?? {})[KEY_OWNER_FIELD])
      .filter((o) => o !== undefined)
      .sort();
    assert.deepEqual(owners, ['alice', 'bob', 'carol']);
    // The online key has no owner: the server signs under its own key ID.
    assert.equal(Object.keys(md.signed.keys).length, 4);
  });

  it('securesystemslib recomputes each key ID over the key object as written, the name included', (t) => {
    const script = `
import json, sys, hashlib
from securesystemslib.formats import encode_canonical
root = json.load(open(sys.argv[1]))['signed']
for kid, key in root['keys'].items():
    assert hashlib.sha256(encode_canonical(key).encode('utf-8')).hexdigest() == kid, kid
print(len(root['keys']))
`;
    const py = spawnSync(PYTHON, ['-c', script, join(fx.ws, 'metadata', '1.root.json')], { encoding: 'utf8' });
    if (py.error !== undefined || /No module named/.test(py.stderr)) {
      if (process.env['CI'] === 'true') assert.fail(`python3-securesystemslib is needed: ${py.stderr}`);
      t.skip('python3-securesystemslib is not installed');
      return;
    }
    assert.equal(py.status, 0, py.stderr);
    assert.equal(py.stdout.trim(), '4');
  });
});
