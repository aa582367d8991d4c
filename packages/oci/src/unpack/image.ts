import type { ContentStore } from '../content/store.js';
import { ManifestInvalidError, type ImageConfig, type ImageManifest } from '../manifest.js';
import { unpackLayer, type UnpackOptions, type UnpackResult } from './unpack.js';

/**
 * Flattens an image into one directory: its layers applied in order, whiteouts applied,
 * each layer's diffID verified against the image config. For when overlay snapshots are
 * not available (no root) or a plain directory tree is wanted (inspection, export).
 */
export async function unpackImage(
  store: ContentStore,
  manifest: ImageManifest,
  config: ImageConfig,
  targetDir: string,
  opts: Omit<UnpackOptions, 'mediaType' | 'expected' | 'whiteouts' | 'compression'> = {},
): Promise<UnpackResult[]> {
  const diffIds = config.rootfs.diff_ids;
  if (diffIds.length !== manifest.layers.length) {
    throw new ManifestInvalidError(`manifest.layers: has ${manifest.layers.length} layers but the image config lists ${diffIds.length} diff_ids`, { path: 'manifest.layers' });
  }
  const results: UnpackResult[] = [];
  for (const [i, layer] of manifest.layers.entries()) {
    results.push(
      await unpackLayer(await store.reader(layer.digest), targetDir, {
        ...opts,
        mediaType: layer.mediaType,
        whiteouts: 'apply',
        expected: { diffId: diffIds[i]!, digest: layer.digest },
      }),
    );
  }
  return results;
}
