import type { Readable } from 'node:stream';
import { StateMachine } from '@lambdock/common';
import { RegistryProtocolError, registryErrorFromResponse } from './errors.js';
import { drain, readBody, type HttpRequest, type HttpResponse } from './http.js';

export type UploadMode = 'chunked' | 'monolithic';

/** What an upload needs from the client: authenticated requests, and a name for messages. */
export interface UploadIo {
  send(req: HttpRequest): Promise<HttpResponse>;
  target: string;
}

/**
 * Lifecycle of one blob upload session (distribution spec "pushing blobs"):
 *
 *   ready ──▶ transferring ──▶ committing ──▶ done
 *     │            │               │
 *     └────────────┴───────────────┴──▶ failed
 *
 * `ready` holds a session URL and a confirmed offset (0, or what the registry reports
 * for a resumed session). `transferring` sends PATCH chunks (`Content-Range: start-end`)
 * or, monolithic, the rest of the blob with the closing PUT. `committing` is the PUT
 * `?digest=` that makes the registry verify and link the blob.
 */
type UploadState = 'ready' | 'transferring' | 'committing' | 'done' | 'failed';
const transitions = {
  ready: ['transferring', 'committing', 'failed'],
  transferring: ['committing', 'failed'],
  committing: ['done', 'failed'],
  done: [],
  failed: [],
} as const;

export interface UploadRun {
  mode: UploadMode;
  chunkSize: number;
  /** The blob's bytes `start..end` (end inclusive). */
  source: (start: number, end: number) => Promise<Readable>;
  onProgress?: (transferred: number) => void;
  /** Each new session URL the registry hands out, so an interrupted push can resume it. */
  onLocation?: (url: URL) => void;
}

export class BlobUpload {
  readonly #state = new StateMachine<UploadState>('blob-upload', transitions, 'ready');
  #location: URL;
  #offset: number;
  #patchRefused = false;

  constructor(
    private readonly io: UploadIo,
    location: URL,
    readonly digest: string,
    readonly size: number,
    offset = 0,
  ) {
    this.#location = location;
    this.#offset = offset;
  }

  get offset(): number {
    return this.#offset;
  }

  get state(): UploadState {
    return this.#state.state;
  }

  /** The registry answered a chunk (PATCH) with an error: it may not support chunked uploads. */
  get patchRefused(): boolean {
    return this.#patchRefused;
  }

  /**
   * Reopens a session: GET on its URL answers 204 with `Range: 0-<last byte>`.
   * Undefined when the registry no longer knows it (expired, or already committed).
   */
  static async resume(io: UploadIo, location: URL, digest: string, size: number): Promise<BlobUpload | undefined> {
    // The reference registry signs the last confirmed offset into the URL's `_state`; if a
    // chunk broke off midway it holds more than that and answers 404 here: the session is
    // lost and the caller starts a new one. A break between chunks resumes.
    const res = await io.send({ method: 'GET', url: location });
    await drain(res.body);
    if (res.status === 404 || res.status === 400) return undefined;
    if (res.status !== 204 && res.status !== 200) throw registryErrorFromResponse(res.status, Buffer.alloc(0), { method: 'GET', url: location.href, what: digest });
    const next = locationOf(res, location) ?? location;
    const offset = rangeEnd(res);
    return new BlobUpload(io, next, digest, size, offset > size ? 0 : offset);
  }

  async run(r: UploadRun): Promise<void> {
    try {
      if (r.mode === 'monolithic' || this.#offset >= this.size) {
        await this.#commit(r, true);
      } else {
        this.#state.to('transferring');
        while (this.#offset < this.size) await this.#patch(r);
        await this.#commit(r, false);
      }
    } catch (err) {
      if (this.#state.can('failed')) this.#state.to('failed');
      throw err;
    }
  }

  async #patch(r: UploadRun): Promise<void> {
    const start = this.#offset;
    const end = Math.min(start + r.chunkSize, this.size) - 1;
    const body = await r.source(start, end);
    const base = start;
    let sent = 0;
    body.on('data', (c: Buffer) => {
      sent += c.length;
      r.onProgress?.(base + sent);
    });
    const res = await this.io
      .send({
        method: 'PATCH',
        url: this.#location,
        headers: { 'content-type': 'application/octet-stream', 'content-range': `${start}-${end}`, 'content-length': String(end - start + 1) },
        body,
      })
      .finally(() => body.destroy()); // a broken connection must not leave the file open
    const text = await readBody(res.body, 64 * 1024);
    if (res.status !== 202) {
      this.#patchRefused = true;
      throw registryErrorFromResponse(res.status, text, { method: 'PATCH', url: this.#location.href, what: `${this.io.target} ${this.digest}` });
    }
    this.#setLocation(res, r);
    const confirmed = res.headers['range'] !== undefined ? rangeEnd(res) : end + 1;
    if (confirmed !== end + 1) {
      throw new RegistryProtocolError(`${this.io.target}: after sending bytes ${start}-${end} of ${this.digest} the registry reports ${confirmed} bytes`, {
        digest: this.digest,
        expected: end + 1,
        confirmed,
      });
    }
    this.#offset = confirmed;
  }

  /** PUT ?digest=, carrying the rest of the blob when monolithic. */
  async #commit(r: UploadRun, withBody: boolean): Promise<void> {
    const remaining = this.size - this.#offset;
    const url = new URL(this.#location);
    url.searchParams.set('digest', this.digest);
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
    let body: Readable | undefined;
    if (withBody && remaining > 0) {
      this.#state.to('transferring');
      body = await r.source(this.#offset, this.size - 1);
      headers['content-length'] = String(remaining);
      const base = this.#offset;
      let sent = 0;
      body.on('data', (c: Buffer) => {
        sent += c.length;
        r.onProgress?.(base + sent);
      });
    }
    this.#state.to('committing');
    const res = await this.io.send({ method: 'PUT', url, headers, body }).finally(() => body?.destroy());
    const text = await readBody(res.body, 64 * 1024);
    if (res.status !== 201 && res.status !== 204) throw registryErrorFromResponse(res.status, text, { method: 'PUT', url: url.href, what: `${this.io.target} ${this.digest}` });
    const claimed = res.headers['docker-content-digest'];
    if (typeof claimed === 'string' && claimed !== this.digest) {
      throw new RegistryProtocolError(`${this.io.target}: registry committed ${claimed} for an upload of ${this.digest}`);
    }
    this.#offset = this.size;
    this.#state.to('done');
  }

  #setLocation(res: HttpResponse, r: UploadRun): void {
    const next = locationOf(res, this.#location);
    if (next) {
      this.#location = next;
      r.onLocation?.(next);
    }
  }
}

function locationOf(res: HttpResponse, base: URL): URL | undefined {
  const loc = res.headers.location;
  return typeof loc === 'string' && loc ? new URL(loc, base) : undefined;
}

/**
 * Bytes the registry holds, from `Range: 0-<last>`. The reference registry reports an
 * empty session as `0-0` too; the 1-byte ambiguity costs at most one 416 and restart.
 */
function rangeEnd(res: HttpResponse): number {
  const v = res.headers['range'];
  const m = typeof v === 'string' ? /^(?:bytes=)?0-(\d+)$/.exec(v.trim()) : null;
  if (!m) return 0;
  const last = Number(m[1]);
  return last === 0 ? 0 : last + 1;
}
