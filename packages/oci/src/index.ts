// Public API of @lambdock/oci.

// digests, media types, documents, references
export { parseDigest, isDigest, isDigestAlgorithm, digestBytes, createDigester, digestAlgorithm, DigestInvalidError } from './digest.js';
export type { DigestAlgorithm, ParsedDigest, Digester } from './digest.js';
export { MediaTypes, EmptyJson, layerCompressionOf, isLayerMediaType, isManifestMediaType, isIndexMediaType } from './media-types.js';
export type { KnownMediaType, LayerCompression } from './media-types.js';
export { parseManifest, parseImageConfig, validateDescriptor, manifestReferences, ManifestInvalidError, ConfigInvalidError } from './manifest.js';
export type { Descriptor, Platform, ImageManifest, ImageIndex, ImageConfig, HistoryEntry, ParsedManifest } from './manifest.js';
export { parseReference, formatReference, isValidRepository, isValidTag, ReferenceInvalidError, DOCKER_HUB } from './reference.js';
export type { ImageReference } from './reference.js';

// content store
export type { ContentStore, ContentWriter, BlobInfo, ByteRange, ExpectedContent, IngestStatus, WriterOptions, Provider, Manager, Ingester, IngestManager } from './content/store.js';
export { DigestMismatchError, SizeMismatchError, IngestLockedError, RangeInvalidError } from './content/errors.js';
export { FsContentStore } from './content/fs/store.js';
export { MemoryContentStore, createMemoryContentState } from './content/memory/store.js';
export type { MemoryContentState } from './content/memory/store.js';

// layers: compression, whiteouts, reading and writing tar streams
export { detectCompression, createCompressor, createDecompressor } from './layer/compression.js';
export type { CompressOptions } from './layer/compression.js';
export { WHITEOUT_PREFIX, OPAQUE_WHITEOUT, classifyWhiteout, whiteoutPath, opaquePath } from './layer/whiteout.js';
export type { Whiteout } from './layer/whiteout.js';
export { LayerError } from './layer/errors.js';
export type { LayerErrorCode } from './layer/errors.js';
export { openLayer, computeLayerDigests, compressionForMediaType } from './layer/reader.js';
export type { OpenLayerOptions, OpenedLayer, LayerDigests, TarEntry, TarHeader } from './layer/reader.js';
export { packLayer, packLayerToBuffer, layerMediaType, whiteoutEntry, opaqueEntry } from './layer/writer.js';
export type { LayerEntryInput, PackedLayer, PackedLayerInfo } from './layer/writer.js';

// safe unpack
export { unpackLayer, isOverlayWhiteout, DEFAULT_MAX_BYTES, DEFAULT_MAX_ENTRIES } from './unpack/unpack.js';
export type { UnpackOptions, UnpackLimits, UnpackResult, SkippedEntry } from './unpack/unpack.js';
export { unpackLayerInWorker } from './unpack/worker.js';
export { unpackImage } from './unpack/image.js';

// snapshots: unpacked layers shared between images, overlay root filesystems
export type { Snapshotter, LayerSnapshot, LayerSource, PreparedLayer, MountOptions, RootfsMount } from './snapshot/snapshotter.js';
export { SnapshotInUseError, MountExistsError } from './snapshot/errors.js';
export { OverlaySnapshotter } from './snapshot/overlay/snapshotter.js';
export { ensureImageLayers, layerSourceFromStore } from './snapshot/image.js';

// registry client (client/**)
export { RegistryClient, PlatformNotFoundError, MANIFEST_ACCEPT, isLoopback, selectPlatform } from './client/client.js';
export type { RegistryClientOptions, ResolvedManifest, PullResult, PullOptions, PushOptions } from './client/client.js';
export type { ProgressEvent, ProgressListener } from './client/progress.js';
export type { Credentials, Challenge } from './client/auth.js';
export { parseChallenges } from './client/auth.js';
export { dockerConfigCredentials } from './client/credentials.js';
export type { UploadMode } from './client/upload.js';
export {
  RegistryError,
  ManifestUnknownError,
  BlobUnknownError,
  NameUnknownError,
  UnauthorizedError,
  DeniedError,
  RegistryUnreachableError,
  RegistryProtocolError,
} from './client/errors.js';
export type { RegistryErrorEntry } from './client/errors.js';

// reproducible image writer (writer/**)
export { ImageWriter, writeImage } from './writer/image.js';
export type { ImageSpec, WrittenImage, ContainerSettings } from './writer/image.js';
export { buildLayer, sourceDateEpoch } from './writer/layer.js';
export type { BuiltLayer, LayerOptions, WriterCompression } from './writer/layer.js';
export { filesFromDirectory, normalizeImagePath } from './writer/files.js';
export type { FileSpec } from './writer/files.js';

// OCI image layout and docker-archive (layout/**, archive/**)
export { writeOciLayout, readOciLayout, listOciLayout, reachable, blobPath, LayoutInvalidError, REF_NAME_ANNOTATION, CONTAINERD_NAME_ANNOTATION } from './layout/oci-layout.js';
export type { LayoutEntry, LayoutWriteItem } from './layout/oci-layout.js';
export { readDockerArchive, writeDockerArchive } from './archive/docker-archive.js';
export type { ArchiveImage, ArchiveWriteItem } from './archive/docker-archive.js';
