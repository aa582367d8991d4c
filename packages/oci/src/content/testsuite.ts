import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import type { Readable } from 'node:stream';
import { digestBytes } from '../digest.js';
import type { ContentStore } from './store.js';

/**
 * The conformance suite every ContentStore backend runs (containerd's content/testsuite
 * is the model). A backend's test calls it with a factory for fresh, empty stores.
 */
export interface ContentStoreHarness {
  store: ContentStore;
  /** A second store instance over the same storage, as after a process restart. */
  reopen(): Promise<ContentStore>;
  cleanup(): Promise<void>;
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function toArray<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

export function runContentStoreSuite(name: string, factory: () => Promise<ContentStoreHarness>): void {
  const withStore = (fn: (h: ContentStoreHarness) => Promise<void>) => async () => {
    const h = await factory();
    try {
      await fn(h);
    } finally {
      await h.cleanup();
    }
  };

  describe(`ContentStore conformance: ${name}`, () => {
    test('put stores a blob that info, readAll, reader and walk then see', withStore(async ({ store }) => {
      const data = Buffer.from('hello, content');
      const digest = digestBytes(data);
      assert.equal(await store.info(digest), undefined);
      const info = await store.put(data);
      assert.equal(info.digest, digest);
      assert.equal(info.size, data.length);
      assert.equal((await store.info(digest))?.size, data.length);
      assert.deepEqual(await store.readAll(digest), data);
      assert.deepEqual(await collect(await store.reader(digest)), data);
      assert.deepEqual((await toArray(store.walk())).map((b) => b.digest), [digest]);
      // putting the same bytes again is a no-op that succeeds
      assert.equal((await store.put(data)).digest, digest);
    }));

    test('reader honours inclusive byte ranges and refuses ranges outside the blob', withStore(async ({ store }) => {
      const data = Buffer.from('0123456789');
      const { digest } = await store.put(data);
      assert.equal((await collect(await store.reader(digest, { start: 2, end: 5 }))).toString(), '2345');
      assert.equal((await collect(await store.reader(digest, { start: 7 }))).toString(), '789');
      assert.equal((await collect(await store.reader(digest, { start: 8, end: 100 }))).toString(), '89');
      await assert.rejects(store.reader(digest, { start: 10 }), { code: 'RANGE_INVALID' });
      await assert.rejects(store.reader(digest, { start: 5, end: 4 }), { code: 'RANGE_INVALID' });
    }));

    test('empty blobs work', withStore(async ({ store }) => {
      const { digest, size } = await store.put(new Uint8Array(0));
      assert.equal(size, 0);
      assert.equal((await store.readAll(digest)).length, 0);
      assert.equal((await collect(await store.reader(digest))).length, 0);
    }));

    test('missing blobs are NOT_FOUND; malformed digests are DIGEST_INVALID', withStore(async ({ store }) => {
      const missing = digestBytes('nope');
      await assert.rejects(store.reader(missing), { code: 'NOT_FOUND' });
      await assert.rejects(store.readAll(missing), { code: 'NOT_FOUND' });
      assert.equal(await store.delete(missing), false);
      await assert.rejects(async () => store.info('sha256:../../etc/passwd'), { code: 'DIGEST_INVALID' });
      await assert.rejects(async () => store.reader('md5:abc'), { code: 'DIGEST_INVALID' });
    }));

    test('put with a wrong expected digest or size stores nothing', withStore(async ({ store }) => {
      const data = Buffer.from('payload');
      const wrong = digestBytes('other');
      await assert.rejects(store.put(data, { digest: wrong }), { code: 'DIGEST_MISMATCH' });
      await assert.rejects(store.put(data, { digest: digestBytes(data), size: 3 }), { code: 'SIZE_MISMATCH' });
      assert.equal(await store.info(wrong), undefined);
      assert.equal(await store.info(digestBytes(data)), undefined);
      assert.deepEqual(await toArray(store.walk()), []);
    }));

    test('sha512 content is stored and verified under its own algorithm', withStore(async ({ store }) => {
      const data = randomBytes(1000);
      const digest = digestBytes(data, 'sha512');
      assert.equal((await store.put(data, { digest })).digest, digest);
      assert.deepEqual(await store.readAll(digest), data);
      const w = await store.writer({ ref: 'sha512-ingest', expected: { digest: digestBytes(Buffer.from('x'), 'sha512') } });
      await w.write(Buffer.from('x'));
      assert.equal((await w.commit()).digest, digestBytes(Buffer.from('x'), 'sha512'));
    }));

    test('writer streams chunks; the blob is invisible until commit verifies it', withStore(async ({ store }) => {
      const data = randomBytes(300_000);
      const digest = digestBytes(data);
      const w = await store.writer({ ref: 'upload-1', expected: { digest, size: data.length } });
      assert.equal(w.offset, 0);
      await w.write(data.subarray(0, 100_000));
      await w.write(data.subarray(100_000));
      assert.equal(w.offset, data.length);
      assert.equal(await store.info(digest), undefined);
      const info = await w.commit();
      assert.deepEqual({ digest: info.digest, size: info.size }, { digest, size: data.length });
      assert.deepEqual(await store.readAll(digest), data);
      assert.deepEqual(await toArray(store.ingests()), []);
      await assert.rejects(w.write(Buffer.from('more')), { code: 'VALIDATION' });
    }));

    test('commit with the wrong digest fails, drops the ingest and stores nothing', withStore(async ({ store }) => {
      const w = await store.writer({ ref: 'bad' });
      await w.write(Buffer.from('actual bytes'));
      const claimed = digestBytes('claimed bytes');
      await assert.rejects(w.commit({ digest: claimed }), { code: 'DIGEST_MISMATCH' });
      assert.equal(await store.info(claimed), undefined);
      assert.equal(await store.info(digestBytes('actual bytes')), undefined);
      assert.deepEqual(await toArray(store.ingests()), []);
    }));

    test('writes beyond the expected size are refused before they are stored', withStore(async ({ store }) => {
      const w = await store.writer({ ref: 'sized', expected: { digest: digestBytes('abc'), size: 3 } });
      await w.write(Buffer.from('ab'));
      await assert.rejects(w.write(Buffer.from('cd')), { code: 'SIZE_MISMATCH' });
      assert.equal(w.offset, 2);
      await w.write(Buffer.from('c'));
      assert.equal((await w.commit()).digest, digestBytes('abc'));
      const short = await store.writer({ ref: 'short' });
      await short.write(Buffer.from('ab'));
      await assert.rejects(short.commit({ digest: digestBytes('abc'), size: 3 }), { code: 'SIZE_MISMATCH' });
    }));

    test('an ingest closed without commit resumes at its offset, even after a restart', withStore(async ({ store, reopen }) => {
      const data = randomBytes(50_000);
      const digest = digestBytes(data);
      const w1 = await store.writer({ ref: 'resumable', expected: { digest } });
      await w1.write(data.subarray(0, 20_000));
      await w1.close();
      const listed = await toArray(store.ingests());
      assert.equal(listed.length, 1);
      assert.equal(listed[0]!.ref, 'resumable');
      assert.equal(listed[0]!.offset, 20_000);
      assert.equal(listed[0]!.expected?.digest, digest);
      const restarted = await reopen();
      const w2 = await restarted.writer({ ref: 'resumable', expected: { digest } });
      assert.equal(w2.offset, 20_000);
      await w2.write(data.subarray(20_000));
      assert.equal((await w2.commit()).digest, digest);
      assert.deepEqual(await restarted.readAll(digest), data);
    }));

    test('one writer per ref at a time', withStore(async ({ store }) => {
      const w = await store.writer({ ref: 'locked' });
      await assert.rejects(store.writer({ ref: 'locked' }), { code: 'INGEST_LOCKED' });
      await assert.rejects(store.abortIngest('locked'), { code: 'INGEST_LOCKED' });
      await w.close();
      const again = await store.writer({ ref: 'locked' });
      await again.abort();
    }));

    test('concurrent writers of the same blob under different refs all succeed with intact content', withStore(async ({ store }) => {
      const data = randomBytes(200_000);
      const digest = digestBytes(data);
      const one = async (i: number) => {
        const w = await store.writer({ ref: `same-${i}`, expected: { digest, size: data.length } });
        for (let off = 0; off < data.length; off += 16_384) await w.write(data.subarray(off, off + 16_384));
        return w.commit();
      };
      const results = await Promise.all([0, 1, 2, 3, 4, 5].map(one));
      for (const r of results) assert.equal(r.digest, digest);
      await Promise.all([store.put(data), store.put(data)]);
      assert.deepEqual(await store.readAll(digest), data);
      assert.deepEqual((await toArray(store.walk())).map((b) => b.digest), [digest]);
      assert.deepEqual(await toArray(store.ingests()), []);
    }));

    test('abort and abortIngest drop the bytes; delete removes a blob', withStore(async ({ store }) => {
      const w = await store.writer({ ref: 'to-abort' });
      await w.write(Buffer.from('partial'));
      await w.abort();
      assert.deepEqual(await toArray(store.ingests()), []);
      const w2 = await store.writer({ ref: 'to-abort' });
      assert.equal(w2.offset, 0);
      await w2.write(Buffer.from('x'));
      await w2.close();
      await store.abortIngest('to-abort');
      await store.abortIngest('never-existed');
      assert.deepEqual(await toArray(store.ingests()), []);
      const { digest } = await store.put(Buffer.from('doomed'));
      assert.equal(await store.delete(digest), true);
      assert.equal(await store.info(digest), undefined);
      assert.equal(await store.delete(digest), false);
    }));

    test('a reader opened before delete still returns the whole blob', withStore(async ({ store }) => {
      const data = randomBytes(3 << 20);
      const { digest } = await store.put(data);
      const r = await store.reader(digest);
      await store.delete(digest);
      assert.deepEqual(await collect(r), data);
    }));
  });
}
