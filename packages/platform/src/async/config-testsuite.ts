import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventInvokeConfigStore } from './config-store.js';

/**
 * The conformance suite every EventInvokeConfigStore backend runs. `open` returns a
 * fresh store and hooks to create and delete functions in the metadata store it belongs
 * to (configurations go with their function).
 */
export function eventInvokeConfigStoreSuite(
  backend: string,
  factory: { open(): Promise<{ store: EventInvokeConfigStore; addFunction(name: string): Promise<void>; deleteFunction(name: string): Promise<void>; close(): Promise<void> }> },
  opts: { skip?: string | false } = {},
): void {
  const t = (name: string, fn: () => Promise<void>) => test(`${backend} event-invoke configs: ${name}`, { skip: opts.skip || false }, fn);

  t('put replaces, get/list by qualifier, delete, refuse unknown functions, go with the function', async () => {
    const h = await factory.open();
    try {
      await h.addFunction('f');
      await assert.rejects(h.store.put({ functionName: 'nope', qualifier: '$LATEST', lastModified: 1 }), (e: { code?: string }) => e.code === 'NOT_FOUND');
      await h.store.put({ functionName: 'f', qualifier: '$LATEST', maximumRetryAttempts: 1, onSuccess: 'arn:a', lastModified: 1 });
      await h.store.put({ functionName: 'f', qualifier: '$LATEST', maximumEventAgeInSeconds: 60, lastModified: 2 });
      assert.deepEqual(await h.store.get('f', '$LATEST'), { functionName: 'f', qualifier: '$LATEST', maximumEventAgeInSeconds: 60, lastModified: 2 }, 'put replaces the whole document');
      await h.store.put({ functionName: 'f', qualifier: 'live', onFailure: 'arn:b', lastModified: 3 });
      await h.store.put({ functionName: 'f', qualifier: '1', lastModified: 4 });
      assert.deepEqual((await h.store.list('f', { limit: 10 })).map((c) => c.qualifier), ['$LATEST', '1', 'live']);
      assert.deepEqual((await h.store.list('f', { after: '1', limit: 10 })).map((c) => c.qualifier), ['live']);
      assert.equal(await h.store.get('f', 'other'), undefined);
      assert.equal(await h.store.delete('f', '1'), true);
      assert.equal(await h.store.delete('f', '1'), false);
      await h.deleteFunction('f');
      await h.addFunction('f');
      assert.deepEqual(await h.store.list('f', { limit: 10 }), []);
    } finally {
      await h.close();
    }
  });
}
