import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MemoryContentStore } from '../content/memory/store.js';
import { digestBytes } from '../digest.js';
import { opaqueEntry, packLayerToBuffer, whiteoutEntry } from '../layer/writer.js';
import { MediaTypes } from '../media-types.js';
import type { ImageConfig, ImageManifest } from '../manifest.js';
import { unpackImage } from './image.js';

test('unpackImage flattens layers in order, applying whiteouts and checking diffIDs', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lambdock-flatten-'));
  try {
    const store = new MemoryContentStore();
    const l1 = await packLayerToBuffer([
      { path: 'var/task/app.js', type: 'file', data: 'v1' },
      { path: 'var/task/old.js', type: 'file', data: 'old' },
      { path: 'opt/x/1', type: 'file', data: '1' },
    ]);
    const l2 = await packLayerToBuffer([{ path: 'var/task/app.js', type: 'file', data: 'v2' }, whiteoutEntry('var/task/old.js'), opaqueEntry('opt/x'), { path: 'opt/x/2', type: 'file', data: '2' }], {
      compression: 'zstd',
    });
    for (const l of [l1, l2]) await store.put(l.data);
    const manifest: ImageManifest = {
      schemaVersion: 2,
      config: { mediaType: MediaTypes.ociConfig, digest: digestBytes('c'), size: 1 },
      layers: [l1, l2].map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    };
    const config: ImageConfig = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [l1.diffId, l2.diffId] } };
    const results = await unpackImage(store, manifest, config, join(dir, 'rootfs'));
    assert.deepEqual(results.map((r) => r.diffId), [l1.diffId, l2.diffId]);
    assert.deepEqual(readdirSync(join(dir, 'rootfs/var/task')), ['app.js']);
    assert.equal(readFileSync(join(dir, 'rootfs/var/task/app.js'), 'utf8'), 'v2');
    assert.deepEqual(readdirSync(join(dir, 'rootfs/opt/x')), ['2']);
    await assert.rejects(unpackImage(store, manifest, { ...config, rootfs: { type: 'layers', diff_ids: [l2.diffId, l1.diffId] } }, join(dir, 'bad')), {
      code: 'LAYER_DIGEST_MISMATCH',
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
