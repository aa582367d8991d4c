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
