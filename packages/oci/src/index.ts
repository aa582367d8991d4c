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
