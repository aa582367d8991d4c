import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventQueue, NewEvent } from './queue.js';

/**
 * The conformance suite every EventQueue backend runs. `open` returns a fresh, empty
 * queue; `reopen` opens the same data again (a restarted consumer). Pass `skip` with a
 * reason when the backend's dependency is absent.
 */
export function eventQueueSuite(
  backend: string,
  factory: { open(): Promise<EventQueue>; reopen(previous: EventQueue): Promise<EventQueue> },
  opts: { skip?: string | false } = {},
): void {
  const t = (name: string, fn: () => Promise<void>) => test(`${backend} queue: ${name}`, { skip: opts.skip || false }, fn);
  const ev = (id: string, at: number, extra: Partial<NewEvent> = {}): NewEvent => ({
    id,
    functionName: 'f',
    qualifier: '$LATEST',
    payload: Buffer.from(JSON.stringify({ id })),
    enqueuedAt: at,
    ...extra,
  });

  t('claims due events once, oldest first, with their bytes intact', async () => {
    const q = await factory.open();
    try {
      const binary = Buffer.from([0, 1, 2, 255, 254]);
      await q.enqueue(ev('b', 2000));
      await q.enqueue(ev('a', 1000, { payload: binary, qualifier: 'live' }));
      await q.enqueue(ev('later', 1000, { notBefore: 50_000 }));
      const got = await q.claim(10, 10_000);
      assert.deepEqual(got.map((e) => e.id), ['a', 'b']);
      assert.deepEqual(got[0]!.payload, binary);
      assert.equal(got[0]!.qualifier, 'live');
      assert.equal(got[0]!.attempts, 0);
      assert.deepEqual(await q.claim(10, 10_000), [], 'leased events are not claimed twice');
      assert.deepEqual(await q.depth(), { ready: 1, leased: 2 });
      assert.equal(await q.nextDue(), 50_000);
      assert.deepEqual((await q.claim(10, 50_000)).map((e) => e.id), ['later']);
    } finally {
      await q.close();
    }
  });

  t('refuses a duplicate id without losing the first', async () => {
    const q = await factory.open();
    try {
      await q.enqueue(ev('x', 1, { payload: Buffer.from('first') }));
      await assert.rejects(q.enqueue(ev('x', 2, { payload: Buffer.from('second') })), (e: { code?: string }) => e.code === 'CONFLICT');
      const [e] = await q.claim(5, 10);
      assert.equal(e!.payload.toString(), 'first');
    } finally {
      await q.close();
    }
  });

  t('retry returns an event later with its attempts and meta; complete removes it and adds follow-ups', async () => {
    const q = await factory.open();
    try {
      await q.enqueue(ev('r', 1));
      const [first] = await q.claim(1, 1);
      await q.retry(first!.id, 500, { functionErrors: 1, invokeCount: 1 });
      assert.deepEqual(await q.claim(1, 499), []);
      const [again] = await q.claim(1, 500);
      assert.equal(again!.attempts, 1);
      assert.deepEqual(again!.meta, { functionErrors: 1, invokeCount: 1 });
      await assert.rejects(q.retry('nope', 1, {}), (e: { code?: string }) => e.code === 'NOT_FOUND');
      await q.complete(again!.id, [ev('dest', 600, { functionName: 'destination' })]);
      const [dest] = await q.claim(5, 1000);
      assert.equal(dest!.id, 'dest');
      assert.equal(dest!.functionName, 'destination');
      await q.complete(dest!.id);
      assert.deepEqual(await q.depth(), { ready: 0, leased: 0 });
      assert.equal(await q.nextDue(), undefined);
    } finally {
      await q.close();
    }
  });

  t('a burst of concurrent enqueues is stored in full', async () => {
    const q = await factory.open();
    try {
      await Promise.all(Array.from({ length: 2000 }, (_, i) => q.enqueue(ev(`e${i}`, i))));
      assert.deepEqual(await q.depth(), { ready: 2000, leased: 0 });
    } finally {
      await q.close();
    }
  });

  t('a restarted consumer gets back what the previous one had leased, and everything still queued', async () => {
    let q = await factory.open();
    await q.enqueue(ev('one', 1));
    await q.enqueue(ev('two', 2));
    await q.enqueue(ev('three', 3));
    const leased = await q.claim(2, 10);
    await q.complete(leased[0]!.id);
    q = await factory.reopen(q);
    try {
      assert.equal(await q.releaseAll(), 1);
      assert.deepEqual((await q.claim(10, 10)).map((e) => e.id).sort(), ['three', 'two']);
    } finally {
      await q.close();
    }
  });
}
