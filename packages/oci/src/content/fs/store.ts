import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { NotFoundError, ValidationError } from '@lambdock/common';
import { createDigester, parseDigest, type Digester } from '../../digest.js';
import { DigestMismatchError, IngestLockedError, RangeInvalidError, SizeMismatchError } from '../errors.js';
import type { BlobInfo, ByteRange, ContentStore, ContentWriter, ExpectedContent, IngestStatus, WriterOptions } from '../store.js';

/**
 * Filesystem content store.
 *
 * On-disk layout under `root`:
 *
 *   <root>/
 *   ├── blobs/
 *   │   ├── sha256/
 *   │   │   └── <64 hex>           committed blob, immutable (mode 0444), name = its digest
 *   │   └── sha512/
 *   │       └── <128 hex>
 *   ├── ingest/
 *   │   └── <sha256 hex of ref>/   one open ingest (the ref hashed: refs are arbitrary strings)
 *   │       ├── ref                the ref itself, for listing
 *   │       ├── expected           optional JSON {digest,size} the ingest was opened for
 *   │       └── data               bytes received so far; its length is the resume offset
 *   └── tmp/
 *       └── put-<pid>-<random>     whole-blob writes (put) on their way to blobs/; those
 *                                  of dead processes are removed when a store opens
 *
 * Atomicity: bytes are written to ingest/…/data or tmp/…, fsynced, verified, then
 * renamed into blobs/ (rename is atomic within one filesystem) and the directory is
 * fsynced, so a blob is either absent or complete and verified. Concurrent writers of
 * the same blob each rename identical bytes onto the same name: last one wins, readers
 * holding the earlier inode are unaffected. One process per root: ingest refs are
 * locked in memory only.
 */
export class FsContentStore implements ContentStore {
  readonly root: string;
  readonly #locked = new Set<string>();
  #ready: Promise<void> | undefined;

  constructor(root: string) {
    this.root = root;
  }

  #init(): Promise<void> {
    this.#ready ??= (async () => {
      for (const d of ['blobs/sha256', 'blobs/sha512', 'ingest', 'tmp']) await mkdir(join(this.root, d), { recursive: true });
      // Half-written puts of processes that died (a put is never resumed, unlike an ingest).
      for (const name of await readdir(join(this.root, 'tmp'))) {
        const pid = Number(name.split('-')[1]);
        if (!Number.isInteger(pid) || !processAlive(pid)) await rm(join(this.root, 'tmp', name), { force: true });
      }
    })();
    return this.#ready;
  }

  /** Path of a committed blob (for callers that want to hard-link or mmap it). Validates the digest. */
  blobPath(digest: string): string {
    const { algorithm, encoded } = parseDigest(digest);
    return join(this.root, 'blobs', algorithm, encoded);
  }

  #ingestDir(ref: string): string {
    return join(this.root, 'ingest', createHash('sha256').update(ref).digest('hex'));
  }

  async info(digest: string): Promise<BlobInfo | undefined> {
    const p = this.blobPath(digest);
    try {
      const st = await stat(p);
      return { digest, size: st.size, createdAt: st.mtime };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async reader(digest: string, range?: ByteRange): Promise<Readable> {
    const p = this.blobPath(digest);
    let fh: FileHandle;
    try {
      fh = await open(p, 'r');
    } catch (err) {
      if (isNotFound(err)) throw new NotFoundError(`blob ${digest} not found`, { digest });
      throw err;
    }
    try {
      const size = (await fh.stat()).size;
      let start = 0;
      let end = size - 1;
      if (range) {
        if (!Number.isSafeInteger(range.start) || range.start < 0) {
          throw new RangeInvalidError(`range start must be a non-negative integer, got ${range.start}`, { digest, size });
        }
        if (range.start >= size && !(range.start === 0 && size === 0)) {
          throw new RangeInvalidError(`range start ${range.start} is beyond the blob (${size} bytes)`, { digest, size, start: range.start });
        }
        start = range.start;
        if (range.end !== undefined) {
          if (!Number.isSafeInteger(range.end) || range.end < start) {
            throw new RangeInvalidError(`range end ${range.end} is before start ${start}`, { digest, size, start, end: range.end });
          }
          end = Math.min(range.end, size - 1);
        }
      }
      if (end < start) {
        await fh.close();
        return Readable.from([]);
      }
      // The stream owns the open descriptor: a concurrent delete cannot cut it short.
      return fh.createReadStream({ start, end, highWaterMark: 1 << 20 });
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  async readAll(digest: string): Promise<Buffer> {
    const { algorithm } = parseDigest(digest);
    let data: Buffer;
    try {
      data = await readFile(this.blobPath(digest));
    } catch (err) {
      if (isNotFound(err)) throw new NotFoundError(`blob ${digest} not found`, { digest });
      throw err;
    }
    // Small documents are re-verified on read: a corrupted manifest must not be served.
    const actual = `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
    if (actual !== digest) throw new DigestMismatchError(digest, actual);
    return data;
  }

  async delete(digest: string): Promise<boolean> {
    try {
      await unlink(this.blobPath(digest));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async *walk(): AsyncIterable<BlobInfo> {
    await this.#init();
    for (const algorithm of ['sha256', 'sha512'] as const) {
      const dir = join(this.root, 'blobs', algorithm);
      const hexLength = algorithm === 'sha256' ? 64 : 128;
      for (const name of await readdir(dir)) {
        if (name.length !== hexLength || !/^[a-f0-9]+$/.test(name)) continue;
        try {
          const st = await stat(join(dir, name));
          yield { digest: `${algorithm}:${name}`, size: st.size, createdAt: st.mtime };
        } catch (err) {
          if (!isNotFound(err)) throw err; // deleted while walking
        }
      }
    }
  }

  async put(data: Uint8Array, expected?: ExpectedContent): Promise<BlobInfo> {
    await this.#init();
    const algorithm = expected ? parseDigest(expected.digest).algorithm : 'sha256';
    const digest = `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
    if (expected?.size !== undefined && expected.size !== data.byteLength) throw new SizeMismatchError(expected.size, data.byteLength);
    if (expected && expected.digest !== digest) throw new DigestMismatchError(expected.digest, digest);
    const existing = await this.info(digest);
    if (existing) return existing;
    const tmp = join(this.root, 'tmp', `put-${process.pid}-${randomBytes(8).toString('hex')}`);
    try {
      const fh = await open(tmp, 'wx', 0o444);
      try {
        await fh.writeFile(data);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.blobPath(digest));
      await syncDir(join(this.root, 'blobs', algorithm));
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    return { digest, size: data.byteLength, createdAt: new Date() };
  }

  async writer(opts: WriterOptions): Promise<ContentWriter> {
    const { ref } = opts;
    if (typeof ref !== 'string' || ref.length === 0 || ref.length > 1024) {
      throw new ValidationError('ingest ref must be a non-empty string of at most 1024 characters', { ref });
    }
    const algorithm = opts.expected ? parseDigest(opts.expected.digest).algorithm : 'sha256';
    if (opts.expected?.size !== undefined && (!Number.isSafeInteger(opts.expected.size) || opts.expected.size < 0)) {
      throw new ValidationError(`expected size must be a non-negative integer, got ${opts.expected.size}`, { ref });
    }
    await this.#init();
    if (this.#locked.has(ref)) throw new IngestLockedError(ref);
    this.#locked.add(ref);
    try {
      const dir = this.#ingestDir(ref);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'ref'), ref);
      if (opts.expected) await writeFile(join(dir, 'expected'), JSON.stringify(opts.expected));
      const dataPath = join(dir, 'data');
      // Resuming: the hash state is not persisted, so re-hash what is already there.
      const digester = createDigester(algorithm);
      await hashFile(dataPath, digester);
      const fh = await open(dataPath, 'a');
      return new FsContentWriter(this, ref, dir, fh, digester, opts.expected, () => this.#locked.delete(ref));
    } catch (err) {
      this.#locked.delete(ref);
      throw err;
    }
  }

  async *ingests(): AsyncIterable<IngestStatus> {
    await this.#init();
    const base = join(this.root, 'ingest');
    for (const name of await readdir(base)) {
      const dir = join(base, name);
      try {
        const ref = await readFile(join(dir, 'ref'), 'utf8');
        let offset = 0;
        let updatedAt = (await stat(dir)).mtime;
        try {
          const st = await stat(join(dir, 'data'));
          offset = st.size;
          updatedAt = st.mtime;
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
        const status: IngestStatus = { ref, offset, updatedAt };
        try {
          status.expected = JSON.parse(await readFile(join(dir, 'expected'), 'utf8')) as ExpectedContent;
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
        yield status;
      } catch (err) {
        if (!isNotFound(err)) throw err; // committed or aborted while listing
      }
    }
  }

  async abortIngest(ref: string): Promise<void> {
    if (this.#locked.has(ref)) throw new IngestLockedError(ref);
    await rm(this.#ingestDir(ref), { recursive: true, force: true });
  }

  /** @internal used by the writer */
  async _commitFile(dataPath: string, digest: string): Promise<void> {
    const { algorithm } = parseDigest(digest);
    await chmod(dataPath, 0o444);
    await rename(dataPath, this.blobPath(digest));
    await syncDir(join(this.root, 'blobs', algorithm));
  }
}

type WriterState = 'open' | 'finished';

class FsContentWriter implements ContentWriter {
  #offset: number;
  #state: WriterState = 'open';
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: FsContentStore,
    readonly ref: string,
    private readonly dir: string,
    private readonly fh: FileHandle,
    private readonly digester: Digester,
    private readonly expected: ExpectedContent | undefined,
    private readonly release: () => void,
  ) {
    this.#offset = digester.size;
  }

  get offset(): number {
    return this.#offset;
  }

  digest(): string {
    return this.digester.digest();
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.#queue.then(fn);
    this.#queue = p.catch(() => {});
    return p;
  }

  #assertOpen(): void {
    if (this.#state !== 'open') throw new ValidationError(`ingest writer "${this.ref}" is already committed, aborted or closed`, { ref: this.ref });
  }

  write(chunk: Uint8Array): Promise<void> {
    return this.#serial(async () => {
      this.#assertOpen();
      const size = this.expected?.size;
      if (size !== undefined && this.#offset + chunk.byteLength > size) {
        throw new SizeMismatchError(size, this.#offset + chunk.byteLength, `content exceeds its expected size of ${size} bytes (would reach ${this.#offset + chunk.byteLength})`);
      }
      let done = 0;
      while (done < chunk.byteLength) {
        const { bytesWritten } = await this.fh.write(chunk, done, chunk.byteLength - done);
        done += bytesWritten;
      }
      this.digester.update(chunk);
      this.#offset += chunk.byteLength;
    });
  }

  commit(expected?: ExpectedContent): Promise<BlobInfo> {
    return this.#serial(async () => {
      this.#assertOpen();
      this.#state = 'finished';
      const want = expected ?? this.expected;
      const dataPath = join(this.dir, 'data');
      try {
        await this.fh.sync();
        await this.fh.close();
        const size = this.#offset;
        let digest = this.digester.digest();
        if (want) {
          const algorithm = parseDigest(want.digest).algorithm;
          if (want.size !== undefined && want.size !== size) {
            await rm(this.dir, { recursive: true, force: true });
            throw new SizeMismatchError(want.size, size);
          }
          if (algorithm !== this.digester.algorithm) {
            const d = createDigester(algorithm);
            await hashFile(dataPath, d);
            digest = d.digest();
          }
          if (digest !== want.digest) {
            await rm(this.dir, { recursive: true, force: true });
            throw new DigestMismatchError(want.digest, digest);
          }
        }
        const existing = await this.store.info(digest);
        if (existing) {
          await rm(this.dir, { recursive: true, force: true });
          return existing;
        }
        await this.store._commitFile(dataPath, digest);
        await rm(this.dir, { recursive: true, force: true });
        return { digest, size, createdAt: new Date() };
      } finally {
        this.release();
      }
    });
  }

  abort(): Promise<void> {
    return this.#serial(async () => {
      if (this.#state !== 'open') return;
      this.#state = 'finished';
      try {
        await this.fh.close();
        await rm(this.dir, { recursive: true, force: true });
      } finally {
        this.release();
      }
    });
  }

  close(): Promise<void> {
    return this.#serial(async () => {
      if (this.#state !== 'open') return;
      this.#state = 'finished';
      try {
        await this.fh.sync();
        await this.fh.close();
      } finally {
        this.release();
      }
    });
  }
}

async function hashFile(path: string, digester: Digester): Promise<void> {
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) digester.update(chunk as Buffer);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'ENOENT';
}

