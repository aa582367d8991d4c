import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FunctionRecord } from '../functions/model.js';
import type { AliasRecord, VersionStore } from './version-store.js';

/**
 * The conformance suite every VersionStore backend runs. `open` returns a fresh store
 * and hooks to create and delete functions in the metadata store it belongs to
 * (versions and aliases live and die with their function).
 */
export function versionStoreSuite(
  backend: string,
  factory: { open(): Promise<{ store: VersionStore; addFunction(name: string): Promise<void>; deleteFunction(name: string): Promise<void>; close(): Promise<void> }> },
  opts: { skip?: string | false } = {},
): void {
  const t = (name: string, fn: () => Promise<void>) => test(`${backend} versions: ${name}`, { skip: opts.skip || false }, fn);
  const snapshot = (name: string, digest: string, memorySize = 128) => (version: string): FunctionRecord => ({
    name,
    version,
    settings: { description: '', role: 'arn:aws:iam::123456789012:role/r', memorySize, timeout: 3, ephemeralStorage: 512, environment: { K: 'v' }, architectures: ['x86_64'], imageConfig: {}, logFormat: 'Text', tracingMode: 'PassThrough' },
    code: { imageUri: 'r/x:1', resolvedImageUri: `r/x@${digest}`, digest, size: 10, config: {}, layers: ['sha256:l1'] },
    state: 'Active',
    lastUpdateStatus: 'Successful',
    revisionId: `rev-${version}`,
    lastModified: '2024-01-01T00:00:00.000Z',
    createdAt: '2024-01-01T00:00:00.000Z',
    tags: {},
  });
  const sameDigest = (digest: string) => (last: FunctionRecord) => last.code?.digest === digest;
  const alias = (fn: string, name: string, version: string, weights?: Record<string, number>): AliasRecord => ({
    functionName: fn,
    name,
    functionVersion: version,
    description: '',
    revisionId: `a-${name}`,
    ...(weights ? { additionalVersionWeights: weights } : {}),
  });

  t('publishes numbered snapshots, returns the last one when unchanged, never reuses numbers', async () => {
    const h = await factory.open();
    try {
      await h.addFunction('f');
      const one = await h.store.publish('f', snapshot('f', 'sha256:a'), sameDigest('sha256:a'));
      assert.deepEqual([one.record.version, one.created], ['1', true]);
      const again = await h.store.publish('f', snapshot('f', 'sha256:a'), sameDigest('sha256:a'));
      assert.deepEqual([again.record.version, again.created, again.record.revisionId], ['1', false, 'rev-1']);
      assert.equal((await h.store.publish('f', snapshot('f', 'sha256:b', 256), sameDigest('sha256:b'))).record.version, '2');
      const got = await h.store.getVersion('f', '2');
      assert.equal(got?.code?.digest, 'sha256:b');
      assert.equal(got?.settings.memorySize, 256);
      assert.equal(got?.version, '2');
      assert.equal(await h.store.getVersion('f', '$LATEST'), undefined, '$LATEST is not a published version');
      assert.equal(await h.store.getVersion('f', '9'), undefined);
      assert.equal(await h.store.deleteVersion('f', '2'), true);
      assert.equal(await h.store.deleteVersion('f', '2'), false);
      assert.equal((await h.store.publish('f', snapshot('f', 'sha256:c'), sameDigest('sha256:c'))).record.version, '3');
      for (let i = 0; i < 10; i++) await h.store.publish('f', snapshot('f', `sha256:n${i}`), () => false);
      const all = await h.store.listVersions('f', { limit: 100 });
      assert.deepEqual(all.map((v) => v.version), ['1', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13'], 'numeric order');
      assert.deepEqual((await h.store.listVersions('f', { after: 9, limit: 2 })).map((v) => v.version), ['10', '11']);
      await assert.rejects(h.store.publish('missing', snapshot('missing', 'sha256:a'), () => false), (e: { code?: string }) => e.code === 'NOT_FOUND');
    } finally {
      await h.close();
    }
  });

  t('aliases: create, conflict, update atomically, list by version, delete; versions in use cannot be deleted', async () => {
    const h = await factory.open();
    try {
      await h.addFunction('g');
      await h.store.publish('g', snapshot('g', 'sha256:a'), () => false);
      await h.store.publish('g', snapshot('g', 'sha256:b'), () => false);
      await h.store.createAlias(alias('g', 'live', '1'));
      await assert.rejects(h.store.createAlias(alias('g', 'live', '2')), (e: { code?: string }) => e.code === 'CONFLICT');
      await assert.rejects(h.store.createAlias(alias('nope', 'x', '1')), (e: { code?: string }) => e.code === 'NOT_FOUND');
      await h.store.createAlias(alias('g', 'beta', '2'));
      assert.equal((await h.store.getAlias('g', 'live'))?.functionVersion, '1');
      const updated = await h.store.updateAlias('g', 'live', (cur) => ({ ...cur, additionalVersionWeights: { '2': 0.25 }, revisionId: 'next' }));
      assert.deepEqual(updated.additionalVersionWeights, { '2': 0.25 });
      assert.deepEqual(await h.store.getAlias('g', 'live'), updated);
      await assert.rejects(h.store.updateAlias('g', 'live', () => { throw new Error('abort'); }), /abort/);
      assert.deepEqual(await h.store.getAlias('g', 'live'), updated, 'a throwing update changes nothing');
      await assert.rejects(h.store.updateAlias('g', 'ghost', (c) => c), (e: { code?: string }) => e.code === 'NOT_FOUND');
      assert.deepEqual((await h.store.listAliases('g', { limit: 10 })).map((a) => a.name), ['beta', 'live']);
      assert.deepEqual((await h.store.listAliases('g', { limit: 10, functionVersion: '2' })).map((a) => a.name), ['beta', 'live'], 'weights count as routing to a version');
      assert.deepEqual((await h.store.listAliases('g', { limit: 10, after: 'beta' })).map((a) => a.name), ['live']);
      await assert.rejects(h.store.deleteVersion('g', '2'), (e: { code?: string }) => e.code === 'CONFLICT');
      assert.equal(await h.store.deleteAlias('g', 'beta'), true);
      await assert.rejects(h.store.deleteVersion('g', '2'), (e: { code?: string }) => e.code === 'CONFLICT', 'live still routes a share to 2');
      await h.store.updateAlias('g', 'live', ({ additionalVersionWeights: _w, ...rest }) => rest);
      assert.equal(await h.store.deleteVersion('g', '2'), true);
      assert.equal(await h.store.deleteAlias('g', 'beta'), false);
    } finally {
      await h.close();
    }
  });

  t('deleting the function deletes its versions and aliases; a new function of that name starts at 1', async () => {
    const h = await factory.open();
    try {
      await h.addFunction('h');
      await h.store.publish('h', snapshot('h', 'sha256:a'), () => false);
      await h.store.createAlias(alias('h', 'live', '1'));
      await h.deleteFunction('h');
      await h.addFunction('h');
      assert.deepEqual(await h.store.listVersions('h', { limit: 10 }), []);
      assert.equal(await h.store.getAlias('h', 'live'), undefined);
      assert.equal((await h.store.publish('h', snapshot('h', 'sha256:z'), () => false)).record.version, '1');
    } finally {
      await h.close();
    }
  });
}
