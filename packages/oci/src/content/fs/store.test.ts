import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { digestBytes } from '../../digest.js';
import { runContentStoreSuite } from '../testsuite.js';
import { FsContentStore } from './store.js';

runContentStoreSuite('fs', async () => {
  const root = await mkdtemp(join(tmpdir(), 'lambdock-content-'));
  return {
    store: new FsContentStore(root),
    reopen: async () => new FsContentStore(root),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});

test('fs: blobs land at blobs/<algorithm>/<hex>, read-only, with no temp files left', async () => {
  const root = await mkdtemp(join(tmpdir(), 'lambdock-content-'));
  try {
    const store = new FsContentStore(root);
    const { digest } = await store.put(Buffer.from('layout'));
    const path = join(root, 'blobs', 'sha256', digest.slice('sha256:'.length));
    assert.equal(await readFile(path, 'utf8'), 'layout');
    assert.equal((await stat(path)).mode & 0o777, 0o444);
    assert.deepEqual(await readdir(join(root, 'tmp')), []);
    assert.equal(store.blobPath(digest), path);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('fs: readAll refuses a blob corrupted on disk instead of serving it', async () => {
  const root = await mkdtemp(join(tmpdir(), 'lambdock-content-'));
  try {
    const store = new FsContentStore(root);
    const { digest } = await store.put(Buffer.from('{"schemaVersion":2}'));
    await writeFile(store.blobPath(digest), 'tampered', { mode: 0o644 }).catch(async () => {
      await rm(store.blobPath(digest));
      await writeFile(store.blobPath(digest), 'tampered');
    });
    await assert.rejects(store.readAll(digest), { code: 'DIGEST_MISMATCH' });
    assert.equal(digestBytes('tampered') !== digest, true);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('fs: an ingest written by a process killed with SIGKILL resumes in a new process', async () => {
  const root = await mkdtemp(join(tmpdir(), 'lambdock-content-'));
  try {
    const data = Buffer.alloc(3 << 20);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) & 0xff;
    const digest = digestBytes(data);
    const storeUrl = new URL('./store.js', import.meta.url).href;
    // The child writes the first 2 MiB, reports, then waits to be killed.
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { FsContentStore } from ${JSON.stringify(storeUrl)};
         const data = Buffer.alloc(2 << 20); for (let i = 0; i < data.length; i++) data[i] = (i * 7919) & 0xff;
         const w = await new FsContentStore(${JSON.stringify(root)}).writer({ ref: 'crashy', expected: { digest: ${JSON.stringify(digest)} } });
         for (let off = 0; off < data.length; off += 65536) await w.write(data.subarray(off, off + 65536));
         process.stdout.write('written\\n'); setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (b: Buffer) => b.toString().includes('written') && resolve());
      child.on('exit', (code) => reject(new Error(`child exited early with ${code}`)));
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const store = new FsContentStore(root);
    const w = await store.writer({ ref: 'crashy', expected: { digest } });
    assert.equal(w.offset, 2 << 20);
    await w.write(data.subarray(w.offset));
    assert.equal((await w.commit()).digest, digest);
    assert.deepEqual(await store.readAll(digest), data);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('fs: half-written puts of dead processes are removed when a store opens', async () => {
  const root = await mkdtemp(join(tmpdir(), 'lambdock-content-'));
  try {
    await new FsContentStore(root).put(Buffer.from('init'));
    await writeFile(join(root, 'tmp', 'put-4194305-deadbeef'), 'partial'); // above pid_max: never alive
    await writeFile(join(root, 'tmp', `put-${process.pid}-cafe`), 'in progress');
    const store = new FsContentStore(root);
    for await (const _ of store.walk());
    assert.deepEqual(await readdir(join(root, 'tmp')), [`put-${process.pid}-cafe`]);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
