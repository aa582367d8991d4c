/**
 * Media types of the OCI image spec 1.1 and Docker image manifest v2 schema 2.
 * Both families are accepted everywhere: Docker still pushes schema 2 by default.
 */
export const MediaTypes = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  /** Deprecated by image-spec 1.1 but still readable. */
  ociLayerNondistributable: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  ociLayerNondistributableGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  ociLayerNondistributableZstd: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  /** The empty descriptor's media type (content `{}`), used for artifacts without config. */
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  ociLayout: 'application/vnd.oci.layout.header.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  dockerManifestV1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerManifestV1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

export type KnownMediaType = (typeof MediaTypes)[keyof typeof MediaTypes];

/** The OCI empty JSON blob `{}` and its descriptor fields (image-spec manifest.md#guidance-for-an-empty-descriptor). */
export const EmptyJson = {
  mediaType: MediaTypes.ociEmpty,
  digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
  size: 2,
  data: 'e30=',
} as const;

export type LayerCompression = 'none' | 'gzip' | 'zstd';

const layerCompression: Record<string, LayerCompression> = {
  [MediaTypes.ociLayer]: 'none',
  [MediaTypes.ociLayerGzip]: 'gzip',
  [MediaTypes.ociLayerZstd]: 'zstd',
  [MediaTypes.ociLayerNondistributable]: 'none',
  [MediaTypes.ociLayerNondistributableGzip]: 'gzip',
  [MediaTypes.ociLayerNondistributableZstd]: 'zstd',
  [MediaTypes.dockerLayer]: 'none',
  [MediaTypes.dockerLayerGzip]: 'gzip',
  [MediaTypes.dockerForeignLayer]: 'gzip',
};

/** Compression of a layer media type, or undefined when it is not a layer type we can unpack. */
export function layerCompressionOf(mediaType: string): LayerCompression | undefined {
  return layerCompression[mediaType];
}

export function isLayerMediaType(mediaType: string): boolean {
  return mediaType in layerCompression;
}

export function isManifestMediaType(mediaType: string): boolean {
  return mediaType === MediaTypes.ociManifest || mediaType === MediaTypes.dockerManifest;
}

export function isIndexMediaType(mediaType: string): boolean {
  return mediaType === MediaTypes.ociIndex || mediaType === MediaTypes.dockerManifestList;
}

/** RFC 6838 type/subtype (with optional +suffix and parameters are not allowed in descriptors). */
export const mediaTypeGrammar = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;
