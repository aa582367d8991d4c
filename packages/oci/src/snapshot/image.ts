import { ManifestInvalidError, type ImageConfig, type ImageManifest } from '../manifest.js';
import type { ContentStore } from '../content/store.js';
import type { LayerSnapshot, LayerSource, Snapshotter } from './snapshotter.js';

/** The blob as a LayerSource; with a store that exposes file paths, unpacking can run in a worker. */
export function layerSourceFromStore(store: ContentStore, layer: { mediaType: string; digest: string }): LayerSource {
  const source: LayerSource = { mediaType: layer.mediaType, digest: layer.digest, open: () => store.reader(layer.digest) };
  const withPath = store as ContentStore & { blobPath?: (digest: string) => string };
  if (typeof withPath.blobPath === 'function') source.path = withPath.blobPath(layer.digest);
  return source;
}

/**
 * Makes sure every layer of an image is unpacked (in parallel; each layer once, shared
 * with other images) and returns the layer snapshots base first — ready for
 * `snapshotter.mount(id, config.rootfs.diff_ids)`.
 */
export async function ensureImageLayers(snapshotter: Snapshotter, store: ContentStore, manifest: ImageManifest, config: ImageConfig): Promise<LayerSnapshot[]> {
  const diffIds = config.rootfs.diff_ids;
  if (diffIds.length !== manifest.layers.length) {
    throw new ManifestInvalidError(`manifest.layers: has ${manifest.layers.length} layers but the image config lists ${diffIds.length} diff_ids`, { path: 'manifest.layers' });
  }
  return Promise.all(manifest.layers.map((layer, i) => snapshotter.ensureLayer(diffIds[i]!, layerSourceFromStore(store, layer))));
}
