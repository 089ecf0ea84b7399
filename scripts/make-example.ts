// SPDX-License-Identifier: Apache-2.0
/**
 * Writes the bundled example repository (examples/repository/): a root chain
 * v1→v3 with Ed25519 keys, targets with a path delegation, snapshot and
 * timestamp, and the target files in consistent-snapshot layout. Ed25519
 * signatures are deterministic, so running this again gives the same bytes
 * (a test checks it). Run: node build/scripts/make-example.js [OUT_DIR]
 */
import { rm } from 'node:fs/promises';
import { buildRepository, writeRepository, type BuiltRepo } from '../test/support/repo.js';

/** The example, in memory. Its metadata expires on 2036-01-01. */
export function buildExample(): BuiltRepo {
  return buildRepository({
    expires: '2036-01-01T00:00:00Z',
    rootVersions: 3,
    keyType: 'ed25519',
    keyLabel: 'example',
    delegation: 'paths',
    targets: {
      'README.txt': Buffer.from('An example TUF repository bundled with tuf-ceremony.\n'),
      'project/hello-1.0.tar.gz': Buffer.from('hello 1.0 (not really a tarball)\n'),
      'project/hello-1.1.tar.gz': Buffer.from('hello 1.1 (not really a tarball)\n'),
    },
  });
}

const isMain = process.argv[1]?.endsWith('make-example.js') === true;
if (isMain) {
  const out = process.argv[2] ?? 'examples/repository';
  await rm(out, { recursive: true, force: true });
  await writeRepository(out, buildExample());
  console.log(`wrote ${out}`);
}
