export { listBaseImages, catalog, NODE_MAJORS } from './catalog.js';
export type { BaseImageSpec, LayerId } from './catalog.js';
export { buildBaseImages, selectImages, defaultCacheDir, defaultOutputDir, DEFAULT_EPOCH } from './build.js';
export type { BuildOptions, BuildResult, BuildProgress } from './build.js';
export type { Artifacts } from './artifacts.js';
export { defaultArtifacts } from './artifacts.js';
export { imageEnv, MediaType } from './image/oci.js';
export { BaseImageBuildError, UnknownBaseImageError, ArtifactMissingError } from './errors.js';
