import type { Readable } from 'node:stream';

/**
 * Content store interfaces (only interfaces here; backends live in sibling folders).
 *
 * Modelled on containerd's core/content: small interfaces that compose.
 *
 *   ContentStore = Provider (read) + Manager (info/delete/walk) + Ingester (write) + IngestManager
 *
 * Blobs are immutable and addressed by digest. Writing goes through an *ingest*
 * named by a caller-chosen `ref` (e.g. a registry upload session id or
 * "pull-<digest>"): bytes accumulate under the ref; `commit` verifies the digest
 * and size and makes the blob visible atomically. An ingest left open (closed
 * without commit, or by a crashed process) is resumed by opening a writer with the
 * same ref; its `offset` says where to continue.
 */

export interface BlobInfo {
  digest: string;
  size: number;
  createdAt?: Date;
}

/** Inclusive byte range, as HTTP Range headers express it; `end` defaults to the last byte. */
export interface ByteRange {
  start: number;
  end?: number;
}

export interface ExpectedContent {
  digest: string;
  size?: number;
}

export interface IngestStatus {
  ref: string;
  /** Bytes received so far; the next write continues here. */
  offset: number;
  updatedAt: Date;
  /** What the ingest was opened for, when the opener said. */
  expected?: ExpectedContent;
}

export interface Provider {
  /** Streams a committed blob (or a range of it). Throws NotFoundError if absent, RangeInvalidError if the range is outside it. */
  reader(digest: string, range?: ByteRange): Promise<Readable>;
  /** The whole blob in memory: for manifests and configs, not for layers. */
  readAll(digest: string): Promise<Buffer>;
}

export interface Manager {
  /** Undefined when absent. */
  info(digest: string): Promise<BlobInfo | undefined>;
  /** True when the blob existed. Readers already open keep working. */
  delete(digest: string): Promise<boolean>;
  walk(): AsyncIterable<BlobInfo>;
}

export interface WriterOptions {
  /** Names the ingest: the same ref resumes where an earlier writer stopped. */
  ref: string;
  /** Verified on commit; the algorithm of `digest` is the one the writer hashes with (default sha256). */
  expected?: ExpectedContent;
}

export interface Ingester {
  /**
   * Opens (or resumes) the ingest `ref`. Only one writer per ref at a time:
   * a second concurrent open throws IngestLockedError.
   */
  writer(opts: WriterOptions): Promise<ContentWriter>;
  /** Writes a whole blob at once, verified against `expected` when given. */
  put(data: Uint8Array, expected?: ExpectedContent): Promise<BlobInfo>;
}

export interface IngestManager {
  ingests(): AsyncIterable<IngestStatus>;
  /** Drops an ingest and its bytes; no error when it does not exist. */
  abortIngest(ref: string): Promise<void>;
}

export interface ContentStore extends Provider, Manager, Ingester, IngestManager {}

/**
 * Lifecycle: open (offset = bytes already there) → write* → commit | abort | close.
 * After any of those three the writer is finished and refuses further calls.
 */
export interface ContentWriter {
  readonly ref: string;
  readonly offset: number;
  /** Appends at `offset`. Throws SizeMismatchError early if the expected size would be exceeded. */
  write(chunk: Uint8Array): Promise<void>;
  /** Digest of the bytes written so far. */
  digest(): string;
  /**
   * Verifies (DigestMismatchError / SizeMismatchError) and makes the blob visible atomically.
   * Committing content that already exists succeeds and returns the existing blob.
   * On a verification failure the ingest is removed: its bytes can never become valid.
   */
  commit(expected?: ExpectedContent): Promise<BlobInfo>;
  /** Drops the ingest and its bytes. */
  abort(): Promise<void>;
  /** Releases the writer but keeps the bytes, so a later writer with the same ref resumes. */
  close(): Promise<void>;
}
