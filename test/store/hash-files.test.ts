// SPDX-License-Identifier: Apache-2.0
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { InputError, IoError } from '../../src/errors.js';
import { HASH_CHUNK_BYTES, hashFiles } from '../../src/store/hash-files.js';

let tmp: string;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'tuf-ceremony-hash-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const digest = (alg: string, ...parts: Uint8Array[]): string => {
  const h = createHash(alg);
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

async function rejectsWith(p: Promise<unknown>, cls: typeof InputError | typeof IoError, message: RegExp): Promise<InputError | IoError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${String(e)}`);
    assert.match(e.message, message);
    return e;
  }
  assert.fail('expected a rejection');
}

describe('hashFiles', () => {
  test('SHA-256 and SHA-512 match node:crypto over the same bytes; an empty file too', async () => {
    const bytes = Buffer.from(Array.from({ length: 3 * HASH_CHUNK_BYTES + 17 }, (_, i) => (i * 31) & 0xff));
    await writeFile(join(tmp, 'a.bin'), bytes);
    await writeFile(join(tmp, 'empty'), '');
    const r = await hashFiles([
      { path: join(tmp, 'a.bin'), shown: 'a.bin' },
      { path: join(tmp, 'empty'), shown: 'empty' },
    ]);
    assert.deepEqual(r, [
      { shown: 'a.bin', length: bytes.length, sha256: digest('sha256', bytes), sha512: digest('sha512', bytes) },
      { shown: 'empty', length: 0, sha256: digest('sha256'), sha512: digest('sha512') },
    ]);
  });

  test('a 64 MiB file is streamed: chunk by chunk, progress reported many times, the digests right', async () => {
    const path = join(tmp, 'big.bin');
    const size = 64 * 1024 * 1024;
    // Written one generated MiB at a time, hashed as it is written.
    const h256 = createHash('sha256');
    const h512 = createHash('sha512');
    const fh = await open(path, 'w');
    const block = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < 64; i++) {
      for (let j = 0; j < block.length; j += 4) block.writeUInt32LE((i * 2654435761 + j) >>> 0, j);
      await fh.write(block);
      h256.update(block);
      h512.update(block);
    }
    await fh.close();
    const calls: [number, number][] = [];
    const rssBefore = process.memoryUsage().rss;
    let peak = 0;
    const [r] = await hashFiles([{ path, shown: 'big.bin' }], (done, total) => {
      calls.push([done, total]);
      peak = Math.max(peak, process.memoryUsage().rss - rssBefore);
    });
    assert.deepEqual(r, { shown: 'big.bin', length: size, sha256: h256.digest('hex'), sha512: h512.digest('hex') });
    assert.ok(calls.length >= size / HASH_CHUNK_BYTES, `progress reported ${String(calls.length)} times`);
    assert.ok(calls.every(([, total]) => total === size));
    assert.ok(calls.every(([done], i) => i === 0 || done > (calls[i - 1] as [number, number])[0]), 'done only grows');
    assert.deepEqual(calls.at(-1), [size, size]);
    assert.ok(peak < size / 2, `memory grew by ${String(peak)} bytes while hashing ${String(size)}`);
  });

  test('progress counts over all files', async () => {
    await writeFile(join(tmp, 'p1'), Buffer.alloc(10));
    await writeFile(join(tmp, 'p2'), Buffer.alloc(30));
    const calls: [number, number][] = [];
    await hashFiles(
      [
        { path: join(tmp, 'p1'), shown: 'p1' },
        { path: join(tmp, 'p2'), shown: 'p2' },
      ],
      (d, t) => calls.push([d, t])
    );
    assert.deepEqual(calls, [
      [10, 40],
      [40, 40],
    ]);
  });

  test('refuses a directory, a missing file and a device before reading any file (exit 2, naming the file and FILE)', async () => {
    await mkdir(join(tmp, 'dir'), { recursive: true });
    await writeFile(join(tmp, 'ok'), 'x');
    const seen: number[] = [];
    const dir = await rejectsWith(
      hashFiles(
        [
          { path: join(tmp, 'ok'), shown: 'ok' },
          { path: join(tmp, 'dir'), shown: 'dir' },
        ],
        (d) => seen.push(d)
      ),
      InputError,
      /^dir: is a directory: targets add takes files/
    );
    assert.deepEqual([dir.file, dir.field, dir.exitCode], ['dir', 'FILE', 2]);
    assert.deepEqual(seen, [], 'nothing was read');
    const missing = await rejectsWith(hashFiles([{ path: join(tmp, 'nope'), shown: 'nope' }]), InputError, /^nope: no such file$/);
    assert.equal(missing.field, 'FILE');
    await rejectsWith(hashFiles([{ path: join(tmp, 'ok', 'below'), shown: 'ok/below' }]), InputError, /no such file/);
    await rejectsWith(hashFiles([{ path: '/dev/null', shown: '/dev/null' }]), InputError, /^\/dev\/null: is not a regular file$/);
  });

  test('a FIFO is refused without being opened (opening one would wait for a writer)', async () => {
    const fifo = join(tmp, 'fifo');
    execFileSync('mkfifo', [fifo]);
    await rejectsWith(hashFiles([{ path: fifo, shown: 'fifo' }]), InputError, /is not a regular file/);
  });

  test('a symbolic link to a file is hashed as that file; a dangling one is missing', async () => {
    await writeFile(join(tmp, 'target'), 'linked');
    await symlink(join(tmp, 'target'), join(tmp, 'link'));
    await symlink(join(tmp, 'gone'), join(tmp, 'dangling'));
    const [r] = await hashFiles([{ path: join(tmp, 'link'), shown: 'link' }]);
    assert.equal(r?.sha256, digest('sha256', Buffer.from('linked')));
    await rejectsWith(hashFiles([{ path: join(tmp, 'dangling'), shown: 'dangling' }]), InputError, /no such file/);
  });

  test('a read error is an environment error (exit 3), naming the file', async () => {
    // Reading /proc/self/mem at offset 0 fails with EIO, even for root; it is a regular file of size 0.
    const e = await rejectsWith(hashFiles([{ path: '/proc/self/mem', shown: 'mem' }]), IoError, /^mem: cannot read the file \(EIO\)$/);
    assert.deepEqual([e.exitCode, e.file], [3, 'mem']);
  });

  test('a file that grows while it is read is refused (exit 2)', async () => {
    // /proc files report size 0 and have content: the same as a file written to while hashed.
    const e = await rejectsWith(hashFiles([{ path: '/proc/self/status', shown: 'status' }]), InputError, /^status: the file changed while it was read \(0 bytes when opened, \d+ read\)/);
    assert.deepEqual([e.exitCode, e.file], [2, 'status']);
  });

  test('a file rewritten in place while it is hashed (same size, new bytes) is refused (exit 2, naming the file)', async () => {
    const path = join(tmp, 'rewritten.bin');
    const size = 3 * HASH_CHUNK_BYTES + 5;
    await writeFile(path, Buffer.alloc(size, 0x61));
    // An old modification time, so the rewrite's is another one whatever the clock's granularity.
    await utimes(path, 1_000_000, 1_000_000);
    let rewritten = false;
    const e = await rejectsWith(
      hashFiles([{ path, shown: 'rewritten.bin' }], () => {
        if (rewritten) return;
        rewritten = true;
        // After the first chunk: the rest of the file gets new bytes, its size stays.
        const fd = openSync(path, 'r+');
        try {
          writeSync(fd, Buffer.alloc(size, 0x62), 0, size, 0);
        } finally {
          closeSync(fd);
        }
      }),
      InputError,
      /^rewritten\.bin: the file changed while it was read \(its modification time changed\)/
    );
    assert.deepEqual([e.exitCode, e.file, e.field], [2, 'rewritten.bin', 'FILE']);
    assert.ok(rewritten);
    // The same file left alone hashes to what is on disk.
    const [r] = await hashFiles([{ path, shown: 'rewritten.bin' }]);
    assert.equal(r?.sha256, digest('sha256', Buffer.alloc(size, 0x62)));
  });
});
