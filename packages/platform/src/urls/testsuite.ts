import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FunctionUrlRecord, FunctionUrlStore } from './url-store.js';

/**
 * The conformance suite every FunctionUrlStore backend runs. `open` returns a fresh
 * store whose metadata already holds functions `f` and `g`; `dropFunction` deletes one
 * through the metadata store (its URLs must go with it).
 */
export function functionUrlStoreSuite(
  backend: string,
  factory: { open(): Promise<{ store: FunctionUrlStore; dropFunction(name: string): Promise<void>; close(): Promise<void> }> },
  opts: { skip?: string | false } = {},
): void {
  const t = (name: string, fn: () => Promise<void>) => test(`${backend}: ${name}`, { skip: opts.skip || false }, fn);
  const rec = (fn: string, qualifier: string, urlId: string): FunctionUrlRecord => ({
    functionName: fn,
    qualifier,
    urlId,
    authType: 'NONE',
    invokeMode: 'BUFFERED',
    cors: { AllowOrigins: ['*'], MaxAge: 10 },
    creationTime: '2024-01-01T00:00:00.000Z',
    lastModifiedTime: '2024-01-01T00:00:00.000Z',
  });

  t('creates, finds by function and by url id, refuses a second URL and unknown functions', async () => {
    const h = await factory.open();
    try {
      await h.store.create(rec('f', '', 'a'.repeat(32)));
      assert.deepEqual(await h.store.get('f', ''), rec('f', '', 'a'.repeat(32)));
      assert.deepEqual(await h.store.byUrlId('a'.repeat(32)), rec('f', '', 'a'.repeat(32)));
      await assert.rejects(h.store.create(rec('f', '', 'b'.repeat(32))), (e: { code?: string }) => e.code === 'CONFLICT');
      await assert.rejects(h.store.create(rec('missing', '', 'c'.repeat(32))), (e: { code?: string }) => e.code === 'NOT_FOUND');
      assert.equal(await h.store.byUrlId('b'.repeat(32)), undefined);
    } finally {
      await h.close();
    }
  });

  t('updates, lists in qualifier order, deletes, and forgets URLs of a deleted function', async () => {
    const h = await factory.open();
    try {
      await h.store.create(rec('f', 'live', '1'.repeat(32)));
      await h.store.create(rec('f', '', '2'.repeat(32)));
      await h.store.create(rec('f', 'beta', '3'.repeat(32)));
      await h.store.create(rec('g', '', '4'.repeat(32)));
      await h.store.update({ ...rec('f', 'live', '1'.repeat(32)), authType: 'AWS_IAM', invokeMode: 'RESPONSE_STREAM' });
      assert.equal((await h.store.get('f', 'live'))?.authType, 'AWS_IAM');
      await assert.rejects(h.store.update(rec('f', 'nope', '9'.repeat(32))), (e: { code?: string }) => e.code === 'NOT_FOUND');
      assert.deepEqual((await h.store.list('f', { limit: 10 })).map((r) => r.qualifier), ['', 'beta', 'live']);
      assert.deepEqual((await h.store.list('f', { limit: 2 })).map((r) => r.qualifier), ['', 'beta']);
      assert.deepEqual((await h.store.list('f', { after: 'beta', limit: 2 })).map((r) => r.qualifier), ['live']);
      assert.equal(await h.store.delete('f', 'beta'), true);
      assert.equal(await h.store.delete('f', 'beta'), false);
      await h.dropFunction('f');
      assert.equal(await h.store.byUrlId('1'.repeat(32)), undefined);
      assert.deepEqual(await h.store.list('f', { limit: 10 }), []);
      assert.equal((await h.store.byUrlId('4'.repeat(32)))?.functionName, 'g');
    } finally {
      await h.close();
    }
  });
}
