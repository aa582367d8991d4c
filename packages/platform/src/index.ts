export type { MetadataStore } from './store/metadata-store.js';
export { SqliteMetadataStore } from './store/sqlite/sqlite-store.js';
export { metadataStoreSuite } from './store/testsuite.js';
export type { FunctionRecord, FunctionSettings, PreparedImage, FunctionState, LastUpdateStatus } from './functions/model.js';
