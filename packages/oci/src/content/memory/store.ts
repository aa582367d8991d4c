import { Readable } from 'node:stream';
import { NotFoundError, ValidationError } from '@lambdock/common';
import { createDigester, digestBytes, parseDigest, type Digester } from '../../digest.js';
import { DigestMismatchError, IngestLockedError, RangeInvalidError, SizeMismatchError } from '../errors.js';
import type { BlobInfo, ByteRange, ContentStore, ContentWriter, ExpectedContent, IngestStatus, WriterOptions } from '../store.js';

/** What a MemoryContentStore keeps; share it between instances to simulate a restart. */
export interface MemoryContentState {
  blobs: Map<string, { data: Buffer; createdAt: Date }>;
  ingests: Map<string, { chunks: Buffer[]; size: number; updatedAt: Date; expected?: ExpectedContent }>;
}

export function createMemoryContentState(): MemoryContentState {
  return { blobs: new Map(), ingests: new Map() };
}

/**
 * In-memory content store: for tests of code that needs a ContentStore, and as the
 * second backend proving the conformance suite is backend-neutral. Not durable.
 */
export class MemoryContentStore implements ContentStore {
  readonly #state: MemoryContentState;
  readonly #locked = new Set<string>();

  constructor(state: MemoryContentState = createMemoryContentState()) {
    this.#state = state;
  }

  #blob(digest: string): { data: Buffer; createdAt: Date } {
    parseDigest(digest);
    const b = this.#state.blobs.get(digest);
    if (!b) throw new NotFoundError(`blob ${digest} not found`, { digest });
    return b;
  }

  async info(digest: string): Promise<BlobInfo | undefined> {
    parseDigest(digest);
    const b = this.#state.blobs.get(digest);
    return b && { digest, size: b.data.length, createdAt: b.createdAt };
  }

  async reader(digest: string, range?: ByteRange): Promise<Readable> {
    const { data } = this.#blob(digest);
    if (!range) return Readable.from([data]);
    const size = data.length;
    if (!Number.isSafeInteger(range.start) || range.start < 0) throw new RangeInvalidError(`range start must be a non-negative integer, got ${range.start}`, { digest, size });
    if (range.start >= size && !(range.start === 0 && size === 0)) throw new RangeInvalidError(`range start ${range.start} is beyond the blob (${size} bytes)`, { digest, size });
    if (range.end !== undefined && (!Number.isSafeInteger(range.end) || range.end < range.start)) {
      throw new RangeInvalidError(`range end ${range.end} is before start ${range.start}`, { digest, size });
    }
    const end = Math.min(range.end ?? size - 1, size - 1);
    return Readable.from([data.subarray(range.start, end + 1)]);
  }

  async readAll(digest: string): Promise<Buffer> {
    return Buffer.from(this.#blob(digest).data);
  }

  async delete(digest: string): Promise<boolean> {
    parseDigest(digest);
    return this.#state.blobs.delete(digest);
  }

  async *walk(): AsyncIterable<BlobInfo> {
    for (const [digest, b] of [...this.#state.blobs]) yield { digest, size: b.data.length, createdAt: b.createdAt };
  }

  async put(data: Uint8Array, expected?: ExpectedContent): Promise<BlobInfo> {
    const algorithm = expected ? parseDigest(expected.digest).algorithm : 'sha256';
    const digest = digestBytes(data, algorithm);
    if (expected?.size !== undefined && expected.size !== data.byteLength) throw new SizeMismatchError(expected.size, data.byteLength);
    if (expected && expected.digest !== digest) throw new DigestMismatchError(expected.digest, digest);
    if (!this.#state.blobs.has(digest)) this.#state.blobs.set(digest, { data: Buffer.from(data), createdAt: new Date() });
    return { digest, size: data.byteLength, createdAt: this.#state.blobs.get(digest)!.createdAt };
  }

  async writer(opts: WriterOptions): Promise<ContentWriter> {
    const { ref } = opts;
    if (typeof ref !== 'string' || ref.length === 0 || ref.length > 1024) {
      throw new ValidationError('ingest ref must be a non-empty string of at most 1024 characters', { ref });
    }
    const algorithm = opts.expected ? parseDigest(opts.expected.digest).algorithm : 'sha256';
    if (this.#locked.has(ref)) throw new IngestLockedError(ref);
    this.#locked.add(ref);
    let ingest = this.#state.ingests.get(ref);
    if (!ingest) {
      ingest = { chunks: [], size: 0, updatedAt: new Date() };
      this.#state.ingests.set(ref, ingest);
    }
    if (opts.expected) ingest.expected = opts.expected;
    const digester = createDigester(algorithm);
    for (const c of ingest.chunks) digester.update(c);
    return new MemoryWriter(this.#state, this.#locked, ref, ingest, digester);
  }

  async *ingests(): AsyncIterable<IngestStatus> {
    for (const [ref, i] of [...this.#state.ingests]) {
      const s: IngestStatus = { ref, offset: i.size, updatedAt: i.updatedAt };
      if (i.expected) s.expected = i.expected;
      yield s;
    }
  }

  async abortIngest(ref: string): Promise<void> {
    if (this.#locked.has(ref)) throw new IngestLockedError(ref);
    this.#state.ingests.delete(ref);
  }
}

class MemoryWriter implements ContentWriter {
  #open = true;

  constructor(
    private readonly state: MemoryContentState,
    private readonly locked: Set<string>,
    readonly ref: string,
    private readonly ingest: MemoryContentState['ingests'] extends Map<string, infer V> ? V : never,
    private readonly digester: Digester,
  ) {}

  get offset(): number {
    return this.ingest.size;
  }

  digest(): string {
    return this.digester.digest();
  }

  #finish(): void {
    this.#open = false;
    this.locked.delete(this.ref);
  }

  #assertOpen(): void {
    if (!this.#open) throw new ValidationError(`ingest writer "${this.ref}" is already committed, aborted or closed`, { ref: this.ref });
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.#assertOpen();
    const size = this.ingest.expected?.size;
    if (size !== undefined && this.ingest.size + chunk.byteLength > size) {
      throw new SizeMismatchError(size, this.ingest.size + chunk.byteLength, `content exceeds its expected size of ${size} bytes (would reach ${this.ingest.size + chunk.byteLength})`);
    }
    const copy = Buffer.from(chunk);
    this.ingest.chunks.push(copy);
    this.ingest.size += copy.length;
    this.ingest.updatedAt = new Date();
    this.digester.update(copy);
  }

  async commit(expected?: ExpectedContent): Promise<BlobInfo> {
    this.#assertOpen();
    this.#finish();
    const want = expected ?? this.ingest.expected;
    const data = Buffer.concat(this.ingest.chunks);
    this.state.ingests.delete(this.ref);
    let digest = this.digester.digest();
    if (want) {
      if (want.size !== undefined && want.size !== data.length) throw new SizeMismatchError(want.size, data.length);
      digest = digestBytes(data, parseDigest(want.digest).algorithm);
      if (digest !== want.digest) throw new DigestMismatchError(want.digest, digest);
    }
    if (!this.state.blobs.has(digest)) this.state.blobs.set(digest, { data, createdAt: new Date() });
    return { digest, size: data.length, createdAt: this.state.blobs.get(digest)!.createdAt };
  }

  async abort(): Promise<void> {
    if (!this.#open) return;
    this.#finish();
    this.state.ingests.delete(this.ref);
  }

  async close(): Promise<void> {
    if (this.#open) this.#finish();
  }
}
