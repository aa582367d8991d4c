import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createLogger } from '@lambdock/common';
import { FsContentStore } from '../content/fs/store.js';
import { digestBytes } from '../digest.js';
import { packLayerToBuffer, whiteoutEntry } from '../layer/writer.js';
import { MediaTypes } from '../media-types.js';
import type { ImageConfig, ImageManifest } from '../manifest.js';
import { ensureImageLayers } from './image.js';
import { OverlaySnapshotter } from './overlay/snapshotter.js';

const root = await mkdtemp(join(tmpdir(), 'lambdock-image-'));
after(() => rm(root, { recursive: true, force: true }));
const canOverlay = process.getuid?.() === 0 ? false : 'needs root (overlay whiteouts)';

test('ensureImageLayers unpacks every layer of an image from a content store in worker threads', { skip: canOverlay }, async () => {
  const store = new FsContentStore(join(root, 'content'));
  const l1 = await packLayerToBuffer([{ path: 'var/task/app.js', type: 'file', data: 'v1' }, { path: 'var/task/old.js', type: 'file', data: 'old' }]);
  const l2 = await packLayerToBuffer([{ path: 'var/task/app.js', type: 'file', data: 'v2' }, whiteoutEntry('var/task/old.js')], { compression: 'zstd' });
  for (const l of [l1, l2]) await store.put(l.data, { digest: l.digest });
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaTypes.ociManifest,
    config: { mediaType: MediaTypes.ociConfig, digest: digestBytes('cfg'), size: 3 },
    layers: [l1, l2].map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  };
  const config: ImageConfig = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [l1.diffId, l2.diffId] } };
  const snapshotter = new OverlaySnapshotter(join(root, 'snapshots'), { logger: createLogger({ level: 'warn' }) });
  const snaps = await ensureImageLayers(snapshotter, store, manifest, config);
  assert.deepEqual(snaps.map((s) => s.diffId), [l1.diffId, l2.diffId]);
  assert.equal(snaps[1]!.digest, l2.digest);
  assert.equal(readFileSync(join(snaps[0]!.dir, 'var/task/app.js'), 'utf8'), 'v1');

  await assert.rejects(ensureImageLayers(snapshotter, store, manifest, { ...config, rootfs: { type: 'layers', diff_ids: [l1.diffId] } }), { code: 'MANIFEST_INVALID' });
  const bad: ImageConfig = { ...config, rootfs: { type: 'layers', diff_ids: [l1.diffId, digestBytes('not the diffID')] } };
  await assert.rejects(ensureImageLayers(snapshotter, store, manifest, bad), { code: 'LAYER_DIGEST_MISMATCH' });
});
