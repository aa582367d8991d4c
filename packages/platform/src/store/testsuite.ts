import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MetadataStore } from './metadata-store.js';
import type { FunctionRecord } from '../functions/model.js';

/**
 * The conformance suite every MetadataStore backend runs. `open` returns a fresh,
 * empty store; `reopen` (optional) opens the same data again to check persistence.
 * Pass `skip` with a reason when the backend's dependency is absent.
 */
export function metadataStoreSuite(
  backend: string,
  factory: { open(): Promise<MetadataStore>; reopen?(previous: MetadataStore): Promise<MetadataStore> },
  opts: { skip?: string | false } = {},
): void {
  const t = (name: string, fn: () => Promise<void>) => test(`${backend}: ${name}`, { skip: opts.skip || false }, fn);

  t('creates, reads and refuses a duplicate name', async () => {
    const s = await factory.open();
    try {
      await s.createFunction(sampleRecord('alpha'));
      const got = await s.getFunction('alpha');
      assert.deepEqual(got, sampleRecord('alpha'));
      await assert.rejects(s.createFunction(sampleRecord('alpha')), (e: { code?: string }) => e.code === 'CONFLICT');
      assert.equal(await s.getFunction('missing'), undefined);
    } finally {
      await s.close();
    }
  });

  t('lists in name order with an exclusive start and a limit', async () => {
    const s = await factory.open();
    try {
      for (const n of ['c', 'a', 'e', 'b', 'd']) await s.createFunction(sampleRecord(n));
      assert.deepEqual((await s.listFunctions({ limit: 2 })).map((r) => r.name), ['a', 'b']);
      assert.deepEqual((await s.listFunctions({ after: 'b', limit: 10 })).map((r) => r.name), ['c', 'd', 'e']);
      assert.equal(await s.countFunctions(), 5);
    } finally {
      await s.close();
    }
  });

  t('updates atomically, aborts on a throwing updater, and reports a missing function', async () => {
    const s = await factory.open();
    try {
      await s.createFunction(sampleRecord('f'));
      const next = await s.updateFunction('f', (cur) => ({ ...cur, state: 'Active', reservedConcurrency: 7, tags: { a: 'b' }, revisionId: 'r2' }));
      assert.equal(next.state, 'Active');
      const got = await s.getFunction('f');
      assert.equal(got?.state, 'Active');
      assert.equal(got?.reservedConcurrency, 7);
      assert.deepEqual(got?.tags, { a: 'b' });
      await assert.rejects(
        s.updateFunction('f', () => {
          throw new Error('refused');
        }),
        /refused/,
      );
      assert.equal((await s.getFunction('f'))?.revisionId, 'r2');
      await assert.rejects(s.updateFunction('nope', (c) => c), (e: { code?: string }) => e.code === 'NOT_FOUND');
      // Many concurrent read-modify-writes: none lost.
      await Promise.all(Array.from({ length: 50 }, () => s.updateFunction('f', (c) => ({ ...c, reservedConcurrency: (c.reservedConcurrency ?? 0) + 1 }))));
      assert.equal((await s.getFunction('f'))?.reservedConcurrency, 57);
    } finally {
      await s.close();
    }
  });

  t('sums reserved concurrency and deletes', async () => {
    const s = await factory.open();
    try {
      await s.createFunction({ ...sampleRecord('a'), reservedConcurrency: 10 });
      await s.createFunction({ ...sampleRecord('b'), reservedConcurrency: 5 });
      await s.createFunction(sampleRecord('c'));
      assert.equal(await s.totalReservedConcurrency(), 15);
      assert.equal(await s.totalReservedConcurrency('a'), 5);
      assert.equal(await s.deleteFunction('a'), true);
      assert.equal(await s.deleteFunction('a'), false);
      assert.equal(await s.getFunction('a'), undefined);
      assert.equal(await s.totalReservedConcurrency(), 5);
    } finally {
      await s.close();
    }
  });

  if (factory.reopen) {
    const reopen = factory.reopen;
    t('keeps data across a reopen', async () => {
      const s = await factory.open();
      await s.createFunction(sampleRecord('kept'));
      await s.updateFunction('kept', (c) => ({ ...c, state: 'Failed', stateReasonCode: 'InvalidImage' }));
      const s2 = await reopen(s);
      try {
        const got = await s2.getFunction('kept');
        assert.equal(got?.state, 'Failed');
        assert.equal(got?.stateReasonCode, 'InvalidImage');
      } finally {
        await s2.close();
      }
    });
  }
}

export function sampleRecord(name: string): FunctionRecord {
  return {
    name,
    version: '$LATEST',
    settings: {
      description: '',
      role: 'arn:aws:iam::123456789012:role/r',
      memorySize: 128,
      timeout: 3,
      ephemeralStorage: 512,
      environment: { AA: '1' },
      architectures: ['x86_64'],
      imageConfig: { command: ['app.handler'] },
      logFormat: 'Text',
      tracingMode: 'PassThrough',
    },
    pendingCode: { imageUri: 'localhost:5000/x:latest', architectures: ['x86_64'], kind: 'create' },
    state: 'Pending',
    stateReason: 'The function is being created.',
    stateReasonCode: 'Creating',
    lastUpdateStatus: 'InProgress',
    revisionId: 'r1',
    lastModified: '2024-01-01T00:00:00.000Z',
    createdAt: '2024-01-01T00:00:00.000Z',
    tags: {},
  };
}
