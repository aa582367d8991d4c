import { randomUUID } from 'node:crypto';
import { StateMachine, type Logger, type TransitionTable } from '@lambdock/common';
import type { BlobInfo, ContentStore, ContentWriter } from '@lambdock/oci';
import type { MetadataStore, UploadRecord } from '../metadata/store.js';
import { DistributionError } from './errors.js';
import type { KeyedLock } from '../lock.js';

/**
 * Upload sessions (distribution-spec "pushing blobs"): a session is created by
 * POST, receives bytes by PATCH (chunked or streamed) and ends with PUT (commit,
 * digest verified) or DELETE (cancel).
 *
 *   idle ──PATCH/PUT claims──▶ writing ──request done──▶ idle
 *     │                          │  └──client gone / error──▶ idle (bytes kept up to what reached disk)
 *     │                          └──PUT ?digest──▶ committing ──ok──▶ committed
 *     │                                                └──digest/size mismatch──▶ cancelled
 *     └──DELETE / expiry──▶ cancelled
 *
 * A request claims the session (idle → writing) synchronously before its first
 * await, so a second request on the same session is refused, never interleaved.
 *
 * The bytes live in a content-store ingest named after the session, so a session
 * survives a restart: the ingest's length is the resume offset. The record in the
 * metadata store says which repository the session belongs to. While the process
 * runs, the session's writer stays open between PATCHes (re-opening would re-hash
 * everything received so far); idle writers are closed after `idleWriterMs`.
 */
const WRITE_BATCH_BYTES = 1 << 20;
/** Bodies up to this size that complete a pristine session skip the ingest directory. */
export const SMALL_BLOB_BYTES = 1 << 20;

export type UploadState = 'idle' | 'writing' | 'committing' | 'committed' | 'cancelled';

const transitions: TransitionTable<UploadState> = {
  idle: ['writing', 'cancelled'],
  writing: ['idle', 'committing', 'cancelled'],
  committing: ['committed', 'cancelled'],
  committed: [],
  cancelled: [],
};

export class UploadSession {
  readonly machine: StateMachine<UploadState>;
  writer: ContentWriter | undefined;
  lastUsed = Date.now();
  /** Created by this process and no byte received yet: no ingest exists on disk. */
  pristine: boolean;

  constructor(
    readonly record: UploadRecord,
    pristine = false,
  ) {
    this.machine = new StateMachine<UploadState>(`upload ${record.id}`, transitions, 'idle');
    this.pristine = pristine;
  }

  get id(): string {
    return this.record.id;
  }
}

export interface UploadManagerOptions {
  store: ContentStore;
  metadata: MetadataStore;
  locks: KeyedLock;
  logger: Logger;
  now: () => number;
  idleWriterMs?: number;
}

export class UploadManager {
  readonly #sessions = new Map<string, UploadSession>();
  readonly #opts: UploadManagerOptions;
  readonly #timer: NodeJS.Timeout;

  constructor(opts: UploadManagerOptions) {
    this.#opts = opts;
    const idle = opts.idleWriterMs ?? 5 * 60_000;
    this.#timer = setInterval(() => void this.#closeIdle(idle), Math.min(idle, 60_000));
    this.#timer.unref();
  }

  static refFor(id: string): string {
    return `upload-${id}`;
  }

  async create(repo: string): Promise<UploadSession> {
    const now = this.#opts.now();
    const id = randomUUID();
    const rec: UploadRecord = { id, repo, ref: UploadManager.refFor(id), createdAt: now, updatedAt: now };
    await this.#opts.metadata.createUpload(rec);
    const s = new UploadSession(rec, true);
    this.#sessions.set(id, s);
    return s;
  }

  /** The live session, re-attached from the metadata store after a restart. */
  async get(repo: string, id: string): Promise<UploadSession> {
    // The record is the authority (a repository deletion removes its sessions), the
    // in-memory session only carries the open writer and the request claim.
    const rec = /^[0-9a-f-]{36}$/.test(id) ? await this.#opts.metadata.getUpload(id) : undefined;
    let s = this.#sessions.get(id);
    if (!rec) {
      if (s && s.machine.state === 'idle') {
        this.#sessions.delete(id);
        const w = s.writer;
        s.writer = undefined;
        if (w) await w.abort().catch(() => undefined);
      }
      throw new DistributionError('BLOB_UPLOAD_UNKNOWN', undefined, { detail: { uuid: id } });
    }
    if (!s) {
      s = new UploadSession(rec);
      this.#sessions.set(id, s);
    }
    if (s.record.repo !== repo) throw new DistributionError('BLOB_UPLOAD_UNKNOWN', undefined, { detail: { uuid: id } });
    if (s.machine.state === 'committed' || s.machine.state === 'cancelled') {
      throw new DistributionError('BLOB_UPLOAD_UNKNOWN', undefined, { detail: { uuid: id } });
    }
    return s;
  }

  /**
   * Opens (or reuses) the session's writer; its offset is the bytes received so far.
   * `digest`, when known up front (monolithic uploads), picks the hash algorithm so a
   * sha512 blob is hashed once.
   */
  async writer(s: UploadSession, digest?: string): Promise<ContentWriter> {
    s.pristine = false;
    if (!s.writer) s.writer = await this.#opts.store.writer({ ref: s.record.ref, ...(digest !== undefined ? { expected: { digest } } : {}) });
    s.lastUsed = Date.now();
    return s.writer;
  }

  async offset(s: UploadSession): Promise<number> {
    return (await this.writer(s)).offset;
  }

  /** Claims an idle session for one request; refuses when another request holds it. */
  claim(s: UploadSession): void {
    if (s.machine.state !== 'idle') {
      throw new DistributionError('BLOB_UPLOAD_INVALID', `upload ${s.id} is busy with another request (${s.machine.state})`, { detail: { uuid: s.id } });
    }
    s.machine.to('writing');
  }

  /** Ends a request's claim (no-op once the session was committed or cancelled). */
  release(s: UploadSession): void {
    if (s.machine.state === 'writing') s.machine.to('idle');
  }

  /**
   * Appends a request body (the session must be claimed). `limit` caps the session's total size. On a client
   * that goes away mid-body the bytes that arrived stay, and the session is
   * resumable from the offset GET reports.
   */
  async append(s: UploadSession, body: AsyncIterable<Buffer> | Iterable<Buffer>, limit: number, digest?: string): Promise<number> {
    const w = await this.writer(s, digest);
    // Socket chunks are ~64 KiB; writing them in ~1 MiB batches saves most of the
    // thread-pool round trips while memory stays bounded.
    let batch: Buffer[] = [];
    let batched = 0;
    const flush = async (): Promise<void> => {
      if (batched === 0) return;
      const data = batch.length === 1 ? batch[0]! : Buffer.concat(batch, batched);
      batch = [];
      batched = 0;
      await w.write(data);
    };
    try {
      for await (const chunk of body) {
        if (w.offset + batched + chunk.byteLength > limit) {
          throw new DistributionError('SIZE_INVALID', `upload exceeds the maximum blob size of ${limit} bytes`, { status: 413 });
        }
        batch.push(chunk);
        batched += chunk.byteLength;
        if (batched >= WRITE_BATCH_BYTES) await flush();
      }
    } finally {
      // bytes that arrived before a client went away are kept: the session resumes after them
      await flush();
    }
    s.lastUsed = Date.now();
    await this.#opts.metadata.touchUpload(s.id, this.#opts.now());
    return w.offset;
  }

  /** Verifies and commits the session's bytes as `digest`, then links it into the repository. */
  async commit(s: UploadSession, digest: string): Promise<BlobInfo> {
    s.machine.to('committing');
    const w = await this.writer(s);
    let info: BlobInfo;
    try {
      info = await this.#opts.locks.with(digest, async () => {
        const committed = await w.commit({ digest });
        await this.#link(s, committed);
        return committed;
      });
    } catch (err) {
      // The content store removed the ingest: these bytes can never match.
      s.writer = undefined;
      s.machine.to('cancelled');
      this.#sessions.delete(s.id);
      await this.#opts.metadata.deleteUpload(s.id);
      throw err;
    }
    s.writer = undefined;
    s.machine.to('committed');
    this.#sessions.delete(s.id);
    await this.#opts.metadata.deleteUpload(s.id);
    return info;
  }

  /** Cancels an idle (or claimed) session and drops its bytes. */
  /**
   * Completes a pristine session whose whole content is `data` (a small blob sent in
   * one request): verified and stored in one step, without an ingest on disk.
   */
  async commitWhole(s: UploadSession, data: Buffer, digest: string): Promise<BlobInfo> {
    if (!s.pristine) throw new Error('commitWhole on a session that already has bytes');
    s.machine.to('committing');
    try {
      const info = await this.#opts.locks.with(digest, async () => {
        const stored = await this.#opts.store.put(data, { digest });
        await this.#link(s, stored);
        return stored;
      });
      s.machine.to('committed');
      return info;
    } catch (err) {
      s.machine.to('cancelled');
      throw err;
    } finally {
      this.#sessions.delete(s.id);
      await this.#opts.metadata.deleteUpload(s.id);
    }
  }

  async #link(s: UploadSession, blob: BlobInfo): Promise<void> {
    if (!(await this.#opts.metadata.linkBlob(s.record.repo, blob.digest, blob.size, this.#opts.now()))) {
      throw new DistributionError('NAME_UNKNOWN', `repository "${s.record.repo}" was deleted during the upload`);
    }
  }

  async cancel(s: UploadSession): Promise<void> {
    s.machine.to('cancelled');
    this.#sessions.delete(s.id);
    if (s.writer) await s.writer.abort();
    else await this.#opts.store.abortIngest(s.record.ref);
    s.writer = undefined;
    await this.#opts.metadata.deleteUpload(s.id);
  }

  /** Drops sessions untouched since `cutoff` (garbage collection). Returns how many. */
  async expire(cutoff: number): Promise<number> {
    let n = 0;
    for (const rec of await this.#opts.metadata.listUploads()) {
      if (rec.updatedAt >= cutoff) continue;
      const live = this.#sessions.get(rec.id);
      if (live && live.machine.state !== 'idle') continue;
      try {
        await this.cancel(live ?? new UploadSession(rec));
        n++;
      } catch (err) {
        this.#opts.logger.warn('upload expiry failed', { upload: rec.id, err });
      }
    }
    return n;
  }

  /** Whether an ingest ref belongs to a known session (GC keeps those). */
  async knownRefs(): Promise<Set<string>> {
    return new Set((await this.#opts.metadata.listUploads()).map((u) => u.ref));
  }

  async #closeIdle(idleMs: number): Promise<void> {
    const cutoff = Date.now() - idleMs;
    // Idle sessions leave memory (with or without an open writer); the metadata
    // store still has them, so a later request re-attaches.
    for (const s of [...this.#sessions.values()]) {
      if (s.machine.state !== 'idle' || s.lastUsed > cutoff) continue;
      this.#sessions.delete(s.id);
      const w = s.writer;
      s.writer = undefined;
      if (w) await w.close().catch((err: unknown) => this.#opts.logger.warn('closing idle upload writer failed', { upload: s.id, err }));
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    for (const s of this.#sessions.values()) {
      if (s.writer) await s.writer.close().catch(() => undefined);
      s.writer = undefined;
    }
    this.#sessions.clear();
  }
}
