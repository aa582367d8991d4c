/**
 * The registry's metadata store: repositories, tags, manifests, blob links per
 * repository, upload sessions and ECR settings. Blob bytes live elsewhere (the
 * oci ContentStore); this holds only which repository may see which digest.
 *
 * Every method that checks and then writes is one atomic step, so a concurrent
 * push of the same tag, a manifest push racing garbage collection, or a crash
 * halfway leaves either the old or the new state, never a mix.
 *
 * Backends: `sqlite/` (embedded default). A PostgreSQL backend would implement the
 * same interface and run `testsuite.ts`.
 */

export type TagMutability = 'MUTABLE' | 'IMMUTABLE';

export interface RepositoryRecord {
  name: string;
  createdAt: number; // epoch ms
  tagMutability: TagMutability;
  scanOnPush: boolean;
  lifecyclePolicy?: string;
  lifecycleEvaluatedAt?: number;
}

export interface ManifestRecord {
  repo: string;
  digest: string;
  mediaType: string;
  size: number;
  /** artifactType, else the config media type (what the referrers API reports). */
  artifactType?: string;
  configMediaType?: string;
  subject?: string;
  annotations?: Record<string, string>;
  /** Sum of config and layer sizes (ECR's imageSizeInBytes). */
  imageSize: number;
  pushedAt: number; // epoch ms
  tags: string[];
}

export interface ManifestRef {
  digest: string;
  kind: 'blob' | 'manifest';
}

/** A manifest as stored (its record's fields, without what the store assigns), plus what the put checks. */
export interface PutManifestInput extends Omit<ManifestRecord, 'pushedAt' | 'tags'> {
  /** Everything the manifest points at that must already be in the repository. */
  refs: ManifestRef[];
  /** Tags to point at the manifest (the reference tag, or `?tag=` parameters on a push by digest). */
  tags: string[];
  now: number;
}

export type PutManifestResult =
  | { ok: true; created: boolean }
  | { ok: false; reason: 'missing'; missing: ManifestRef[] }
  | { ok: false; reason: 'tag-immutable'; tag: string; existingDigest: string }
  | { ok: false; reason: 'no-repository' };

export interface UploadRecord {
  id: string;
  repo: string;
  /** The content-store ingest ref holding the bytes received so far. */
  ref: string;
  createdAt: number;
  updatedAt: number;
}

export interface Page {
  last?: string;
  limit: number;
}

export interface MetadataStore {
  getRepository(name: string): Promise<RepositoryRecord | undefined>;
  /** Creates it; `created: false` when it already existed (record unchanged). */
  createRepository(rec: RepositoryRecord, tags?: Record<string, string>): Promise<{ created: boolean; repository: RepositoryRecord }>;
  listRepositories(page: Page): Promise<RepositoryRecord[]>;
  updateRepository(name: string, patch: Partial<Omit<RepositoryRecord, 'name' | 'createdAt'>> & { lifecyclePolicy?: string | undefined }): Promise<RepositoryRecord | undefined>;
  /** Refuses (returns 'not-empty') when images remain and force is false. Returns the upload refs to discard. */
  deleteRepository(name: string, force: boolean): Promise<{ result: 'deleted'; repository: RepositoryRecord; uploads: UploadRecord[] } | { result: 'not-found' } | { result: 'not-empty' }>;
  getResourceTags(repo: string): Promise<Record<string, string>>;
  setResourceTags(repo: string, tags: Record<string, string>): Promise<void>;
  removeResourceTags(repo: string, keys: string[]): Promise<void>;

  /** False when the repository no longer exists. */
  linkBlob(repo: string, digest: string, size: number, now: number): Promise<boolean>;
  unlinkBlob(repo: string, digest: string): Promise<boolean>;
  /** The blob's size when the repository may serve it (uploaded, mounted, or a manifest of it). */
  blobInRepository(repo: string, digest: string): Promise<number | undefined>;
  /** The blob's size when some repository links it (for mounts without `from`). */
  linkedSize(digest: string): Promise<number | undefined>;
  /** Whether any repository still links or any manifest still references the digest. */
  isReferenced(digest: string): Promise<boolean>;

  putManifest(input: PutManifestInput): Promise<PutManifestResult>;
  getManifest(repo: string, digest: string): Promise<ManifestRecord | undefined>;
  resolveTag(repo: string, tag: string): Promise<string | undefined>;
  deleteManifest(repo: string, digest: string): Promise<boolean>;
  deleteTag(repo: string, tag: string): Promise<boolean>;
  listTags(repo: string, page: Page): Promise<string[]>;
  listManifests(repo: string): Promise<ManifestRecord[]>;
  /** Manifests in the repository whose subject is `digest`, by digest order. */
  referrers(repo: string, digest: string): Promise<ManifestRecord[]>;
  /** Index manifests in the repository that list `digest`. */
  parentsOf(repo: string, digest: string): Promise<string[]>;

  createUpload(rec: UploadRecord): Promise<void>;
  getUpload(id: string): Promise<UploadRecord | undefined>;
  touchUpload(id: string, now: number): Promise<void>;
  deleteUpload(id: string): Promise<void>;
  listUploads(): Promise<UploadRecord[]>;

  /**
   * Garbage collection's atomic step for one digest: when no manifest references
   * it and no repository linked it after `linkCutoff`, remove its links and
   * return true (the caller then deletes the bytes).
   */
  releaseIfUnreferenced(digest: string, linkCutoff: number): Promise<boolean>;
  close(): Promise<void>;
}
