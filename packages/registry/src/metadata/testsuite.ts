import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MetadataStore } from './store.js';

/**
 * Conformance suite every MetadataStore backend runs (SQLite now; PostgreSQL later).
 * `factory` returns a fresh, empty store and a cleanup function.
 */
export function runMetadataStoreSuite(name: string, factory: () => Promise<{ store: MetadataStore; cleanup(): Promise<void> }>): void {
  const repo = (n: string) => ({ name: n, createdAt: 1000, tagMutability: 'MUTABLE' as const, scanOnPush: false });
  const manifest = (r: string, digest: string, refs: { digest: string; kind: 'blob' | 'manifest' }[], tags: string[] = [], extra = {}) => ({
    repo: r,
    digest,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    size: 10,
    imageSize: 100,
    refs,
    tags,
    now: 2000,
    ...extra,
  });
  const D = (c: string): string => `sha256:${c.repeat(64)}`;

  const withStore = (title: string, fn: (s: MetadataStore) => Promise<void>): void => {
    test(`${name}: ${title}`, async () => {
      const { store, cleanup } = await factory();
      try {
        await fn(store);
      } finally {
        await store.close();
        await cleanup();
      }
    });
  };

  withStore('repositories: create once, list in order with pagination, update, delete', async (s) => {
    assert.equal((await s.createRepository(repo('b'))).created, true);
    assert.equal((await s.createRepository(repo('b'))).created, false);
    await s.createRepository(repo('a'), { team: 'x' });
    await s.createRepository(repo('c'));
    assert.deepEqual((await s.listRepositories({ limit: 2 })).map((r) => r.name), ['a', 'b']);
    assert.deepEqual((await s.listRepositories({ limit: 2, last: 'b' })).map((r) => r.name), ['c']);
    assert.deepEqual(await s.getResourceTags('a'), { team: 'x' });
    const u = await s.updateRepository('a', { tagMutability: 'IMMUTABLE', lifecyclePolicy: '{}' });
    assert.equal(u!.tagMutability, 'IMMUTABLE');
    assert.equal(u!.lifecyclePolicy, '{}');
    assert.equal((await s.updateRepository('a', { lifecyclePolicy: undefined }))!.lifecyclePolicy, undefined);
    assert.equal((await s.deleteRepository('zz', false)).result, 'not-found');
    assert.equal((await s.deleteRepository('c', false)).result, 'deleted');
  });

  withStore('manifests need their references; tags move; deleting a manifest drops its tags', async (s) => {
    await s.createRepository(repo('r'));
    const missing = await s.putManifest(manifest('r', D('1'), [{ digest: D('a'), kind: 'blob' }], ['v1']));
    assert.deepEqual(missing, { ok: false, reason: 'missing', missing: [{ digest: D('a'), kind: 'blob' }] });
    await s.linkBlob('r', D('a'), 5, 1500);
    assert.deepEqual(await s.putManifest(manifest('r', D('1'), [{ digest: D('a'), kind: 'blob' }], ['v1'])), { ok: true, created: true });
    assert.equal(await s.resolveTag('r', 'v1'), D('1'));
    await s.putManifest(manifest('r', D('2'), [{ digest: D('a'), kind: 'blob' }], ['v1']));
    assert.equal(await s.resolveTag('r', 'v1'), D('2'));
    assert.deepEqual((await s.getManifest('r', D('2')))!.tags, ['v1']);
    assert.equal((await s.deleteRepository('r', false)).result, 'not-empty');
    assert.equal(await s.deleteManifest('r', D('2')), true);
    assert.equal(await s.resolveTag('r', 'v1'), undefined);
    assert.equal(await s.isReferenced(D('a')), true); // still linked and referenced by D('1')
  });

  withStore('immutable tags are refused atomically', async (s) => {
    await s.createRepository({ ...repo('r'), tagMutability: 'IMMUTABLE' });
    await s.putManifest(manifest('r', D('1'), [], ['v1']));
    const r = await s.putManifest(manifest('r', D('2'), [], ['v2', 'v1']));
    assert.deepEqual(r, { ok: false, reason: 'tag-immutable', tag: 'v1', existingDigest: D('1') });
    assert.equal(await s.resolveTag('r', 'v2'), undefined);
    assert.equal(await s.getManifest('r', D('2')), undefined);
  });

  withStore('referrers, index parents and tag pagination', async (s) => {
    await s.createRepository(repo('r'));
    await s.putManifest(manifest('r', D('1'), [], ['c', 'a', 'b']));
    await s.putManifest(manifest('r', D('2'), [], [], { subject: D('1'), artifactType: 'application/x-sig', annotations: { k: 'v' } }));
    await s.putManifest(manifest('r', D('3'), [{ digest: D('1'), kind: 'manifest' }]));
    const refs = await s.referrers('r', D('1'));
    assert.deepEqual(refs.map((m) => [m.digest, m.artifactType, m.annotations]), [[D('2'), 'application/x-sig', { k: 'v' }]]);
    assert.deepEqual(await s.parentsOf('r', D('1')), [D('3')]);
    assert.deepEqual(await s.listTags('r', { limit: 2 }), ['a', 'b']);
    assert.deepEqual(await s.listTags('r', { limit: 2, last: 'b' }), ['c']);
  });

  withStore('GC release: recent links and references keep a digest', async (s) => {
    await s.createRepository(repo('r'));
    await s.linkBlob('r', D('a'), 1, 5000);
    assert.equal(await s.releaseIfUnreferenced(D('a'), 4000), false);
    assert.equal(await s.releaseIfUnreferenced(D('a'), 6000), true);
    assert.equal(await s.blobInRepository('r', D('a')), undefined);
    await s.linkBlob('r', D('b'), 1, 1000);
    await s.putManifest(manifest('r', D('1'), [{ digest: D('b'), kind: 'blob' }]));
    assert.equal(await s.releaseIfUnreferenced(D('b'), 9999), false);
  });

  withStore('upload sessions persist', async (s) => {
    await s.createRepository(repo('r'));
    await s.createUpload({ id: 'u1', repo: 'r', ref: 'upload-u1', createdAt: 1, updatedAt: 1 });
    await s.touchUpload('u1', 7);
    assert.equal((await s.getUpload('u1'))!.updatedAt, 7);
    assert.equal((await s.listUploads()).length, 1);
    await s.deleteUpload('u1');
    assert.equal(await s.getUpload('u1'), undefined);
  });
}
