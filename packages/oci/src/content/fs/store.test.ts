import assert from 'node:assert/strict';
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
