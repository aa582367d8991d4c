import type { Logger } from '@lambdock/common';
import type { ContentStore } from '@lambdock/oci';
import type { KeyedLock } from './lock.js';
import type { MetadataStore, RepositoryRecord } from './metadata/store.js';
import type { UploadManager } from './distribution/uploads.js';

/** Resolved configuration shared by the distribution API, the ECR API and GC. */
export interface RegistrySettings {
  publicUrl: string;
  account: string;
  region: string;
  maxManifestBytes: number;
  maxImageBytes: number;
  /** docker-first users push without CreateRepository; ECR itself refuses. */
  implicitRepositories: boolean;
  chunkMinLength: number;
  /** Unreferenced blobs and links younger than this survive GC (pushes in flight). */
  gcGraceMs: number;
  uploadTtlMs: number;
}

/** What every handler works with; handlers never hold request state beyond one call. */
export interface RegistryCore {
  settings: RegistrySettings;
  store: ContentStore;
  metadata: MetadataStore;
  uploads: UploadManager;
  locks: KeyedLock;
  logger: Logger;
  now: () => number;
  /** The repository, created on first push when implicit creation is on; undefined otherwise. */
  repositoryForPush(name: string): Promise<RepositoryRecord | undefined>;
  /** Runs lifecycle policy rules for one repository (after a push and periodically). */
  applyLifecycle(repo: string): Promise<number>;
  /** Removes a blob's bytes when nothing references it any more (under the digest lock). */
  dropBlobIfUnreferenced(digest: string): Promise<boolean>;
}
