import type { Readable } from 'node:stream';
import { LambdockError, IntegrityError, NotFoundError, createLogger, type Logger } from '@lambdock/common';
import { digestBytes, isDigest } from '../digest.js';
import { MediaTypes } from '../media-types.js';
import { parseImageConfig, parseManifest, type Descriptor, type ImageConfig, type ImageIndex, type ImageManifest, type Platform } from '../manifest.js';
import { parseReference, type ImageReference } from '../reference.js';
import type { ContentStore, ContentWriter } from '../content/store.js';
import { RegistryAuth, mergeScopes, type Credentials } from './auth.js';
import { RegistryError, RegistryProtocolError, RegistryUnreachableError, registryErrorFromResponse } from './errors.js';
import { HttpTransport, drain, readBody, type HttpRequest, type HttpResponse } from './http.js';
import { mapLimit } from './limit.js';
import { progressThrottle, type ProgressListener } from './progress.js';
import { BlobUpload, type UploadMode } from './upload.js';

/** Media types a client accepts for manifests, in preference order. */
export const MANIFEST_ACCEPT = [MediaTypes.ociIndex, MediaTypes.ociManifest, MediaTypes.dockerManifestList, MediaTypes.dockerManifest].join(', ');

/** Bytes collected before one content-store write during a pull. */
const WRITE_BATCH = 1024 * 1024;

/** Registries refuse manifests above 4 MiB; so do we, to bound memory. */
const MANIFEST_LIMIT = 4 * 1024 * 1024;

export interface RegistryClientOptions {
  /** Credentials per registry host (`localhost:5000`, `docker.io`); undefined = anonymous. */
  credentials?: (registry: string) => Credentials | undefined;
  /** Blobs transferred in parallel by pull and push (default 4). */
  concurrency?: number;
  /** Whether to speak plain HTTP to a registry (default: loopback hosts only, as docker treats them as insecure). */
  plainHttp?: (registry: string) => boolean;
  /** 'chunked' = PATCH with Content-Range per chunk (default for blobs above chunkSize); 'monolithic' = one PUT. */
  upload?: UploadMode;
  /** Chunk size for chunked uploads (default 32 MiB). */
  chunkSize?: number;
  /** Attempts per blob after a network error or 5xx (default 3); pulls resume with Range, pushes by querying the session offset. */
  retries?: number;
  userAgent?: string;
  /** A connection silent this long is dropped and the request retried (default 60 s). */
  idleTimeoutMs?: number;
  logger?: Logger;
}

export interface ResolvedManifest {
  digest: string;
  mediaType: string;
  size: number;
  bytes: Buffer;
}

export interface PullResult {
  /** Digest of the image manifest (after resolving an index to one platform). */
  manifestDigest: string;
  manifestMediaType: string;
  manifest: ImageManifest;
  config: ImageConfig;
  configDigest: string;
  layers: Descriptor[];
  /** Digest of the index the reference pointed at, when it was one. */
  indexDigest?: string;
}

export interface PullOptions {
  /** Platform to pick from an index (default linux/amd64). */
  platform?: { os: string; architecture: string; variant?: string };
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

export interface PushOptions {
  onProgress?: ProgressListener;
  /** Repositories of the same registry to try mounting blobs from before uploading them. */
  mountFrom?: string[];
  signal?: AbortSignal;
}

/** No manifest in an index matches the requested platform. */
export class PlatformNotFoundError extends LambdockError {
  constructor(ref: string, platform: { os: string; architecture: string; variant?: string }, available: string[]) {
    super('PLATFORM_NOT_FOUND', `${ref}: no manifest for platform ${platformString(platform)} (available: ${available.join(', ') || 'none'})`, {
      details: { ref, platform, available },
    });
  }
}

interface Target {
  registry: string;
  repository: string;
  /** `https://host` or `http://host` */
  origin: string;
}

/**
 * Client for the OCI distribution API: resolve, pull into a ContentStore, push from one.
 *
 * Authentication follows the registry's `WWW-Authenticate` challenge (Basic, or Bearer
 * with a token fetched for the operation's scope and cached per scope). Every byte
 * pulled is verified against its digest by the content store's commit; every byte
 * pushed is named by its digest, which the registry verifies.
 */
export class RegistryClient {
  readonly #transport: HttpTransport;
  readonly #auth = new Map<string, RegistryAuth>();
  readonly #opts: Required<Pick<RegistryClientOptions, 'concurrency' | 'upload' | 'chunkSize' | 'retries'>> & RegistryClientOptions;
  readonly #log: Logger;
  /** Upload sessions left by a failed push, so the next push of the same blob resumes (registry/repo@digest -> URL). */
  readonly #sessions = new Map<string, string>();

  constructor(opts: RegistryClientOptions = {}) {
    this.#opts = { concurrency: 4, upload: 'chunked', chunkSize: 32 * 1024 * 1024, retries: 3, ...opts };
    this.#transport = new HttpTransport({ maxSockets: Math.max(8, this.#opts.concurrency * 2), userAgent: opts.userAgent, idleTimeoutMs: opts.idleTimeoutMs });
    this.#log = opts.logger ?? createLogger({ base: { component: 'oci-client' } });
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.#transport.close();
  }

  /** Fetches the manifest or index `ref` names (tag or digest), verifying its digest. */
  async resolve(ref: string, opts: { signal?: AbortSignal } = {}): Promise<ResolvedManifest> {
    const r = parseReference(ref);
    const t = this.#target(r);
    return this.#getManifest(t, r.digest ?? r.tag ?? 'latest', ref, opts.signal);
  }

  /** HEAD on a manifest: its descriptor without the body, or undefined when it does not exist. */
  async head(ref: string): Promise<Descriptor | undefined> {
    const r = parseReference(ref);
    const t = this.#target(r);
    const res = await this.#send(t, [pullScope(t)], { method: 'HEAD', url: this.#url(t, `manifests/${r.digest ?? r.tag}`), headers: { accept: MANIFEST_ACCEPT } });
    await drain(res.body);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw registryErrorFromResponse(res.status, Buffer.alloc(0), { method: 'HEAD', url: res.url.href, what: ref });
    const digest = header(res, 'docker-content-digest') ?? r.digest;
    if (!digest || !isDigest(digest)) throw new RegistryProtocolError(`${ref}: registry did not return a Docker-Content-Digest for HEAD`);
    return { mediaType: (header(res, 'content-type') ?? '').split(';')[0]!.trim(), digest, size: Number(header(res, 'content-length') ?? 0) };
  }

  /** Tags of a repository (`registry/repository`), following `Link` pagination. */
  async tags(repo: string): Promise<string[]> {
    const r = parseReference(repo);
    const t = this.#target(r);
    const out: string[] = [];
    let url: URL | undefined = this.#url(t, 'tags/list');
    while (url) {
      const res = await this.#send(t, [pullScope(t)], { method: 'GET', url });
      const body = await readBody(res.body);
      if (res.status !== 200) throw registryErrorFromResponse(res.status, body, { method: 'GET', url: url.href, what: repo });
      const doc = JSON.parse(body.toString('utf8')) as { tags?: string[] | null };
      out.push(...(doc.tags ?? []));
      const link = header(res, 'link');
      const m = link ? /<([^>]+)>;\s*rel="?next"?/.exec(link) : null;
      url = m ? new URL(m[1]!, url) : undefined;
    }
    return out;
  }

  /**
   * Pulls `ref` into `store`: resolves it (picking `platform` from an index), then the
   * config and layers in parallel (skipping blobs the store has, resuming partial ones),
   * then stores the manifest (and index) last, so a stored manifest implies its blobs.
   */
  async pull(ref: string, store: ContentStore, opts: PullOptions = {}): Promise<PullResult> {
    const r = parseReference(ref);
    const t = this.#target(r);
    const emit = opts.onProgress;
    const top = (r.digest ? await fromStore(store, r.digest) : undefined) ?? (await this.#getManifest(t, r.digest ?? r.tag ?? 'latest', ref, opts.signal));
    emit?.({ type: 'resolve', reference: ref, digest: top.digest, mediaType: top.mediaType, size: top.size });
    let parsed = parseManifest(top.bytes, top.mediaType);
    let manifestBytes = top.bytes;
    let manifestDigest = top.digest;
    let index: { digest: string; bytes: Buffer } | undefined;
    if (parsed.kind === 'index') {
      const platform = opts.platform ?? { os: 'linux', architecture: 'amd64' };
      const chosen = selectPlatform(parsed.index, platform);
      if (!chosen) {
        throw new PlatformNotFoundError(ref, platform, parsed.index.manifests.filter((m) => m.platform).map((m) => platformString(m.platform!)));
      }
      index = { digest: top.digest, bytes: top.bytes };
      const child = (await fromStore(store, chosen.digest)) ?? (await this.#getManifest(t, chosen.digest, `${ref}@${chosen.digest}`, opts.signal));
      manifestBytes = child.bytes;
      manifestDigest = child.digest;
      parsed = parseManifest(child.bytes, child.mediaType);
      if (parsed.kind !== 'manifest') throw new RegistryProtocolError(`${ref}: index entry ${chosen.digest} is itself an index`);
    }
    const manifest = parsed.manifest;
    const blobs = uniqueByDigest([manifest.config, ...manifest.layers]);
    await mapLimit(blobs, this.#opts.concurrency, (d) => this.#pullBlob(t, d, store, emit, opts.signal));
    const configBytes = await store.readAll(manifest.config.digest);
    const config = parseImageConfig(configBytes);
    await store.put(manifestBytes, { digest: manifestDigest });
    if (index) await store.put(index.bytes, { digest: index.digest });
    return {
      manifestDigest,
      manifestMediaType: parsed.mediaType,
      manifest,
      config,
      configDigest: manifest.config.digest,
      layers: manifest.layers,
      ...(index ? { indexDigest: index.digest } : {}),
    };
  }

  /**
   * Pushes the manifest (or index) `manifestDigest` from `store` to `ref`, blobs first:
   * a blob the registry has is skipped, one in a `mountFrom` repository is mounted,
   * anything else is uploaded (chunked or monolithic). Returns the pushed digest.
   */
  async push(ref: string, store: ContentStore, manifestDigest: string, opts: PushOptions = {}): Promise<{ digest: string; mediaType: string }> {
    const r = parseReference(ref);
    const t = this.#target(r);
    if (r.digest && r.digest !== manifestDigest) {
      throw new IntegrityError(`${ref}: reference digest differs from the manifest being pushed (${manifestDigest})`, { ref, manifestDigest });
    }
    const bytes = await store.readAll(manifestDigest);
    const parsed = parseManifest(bytes);
    if (parsed.kind === 'index') {
      // Children first, by digest, so the index never points at something missing.
      for (const child of parsed.index.manifests) {
        if (!(await store.info(child.digest))) continue; // a partial index (one platform pulled): the registry may already hold the rest
        const childBytes = await store.readAll(child.digest);
        const cp = parseManifest(childBytes, child.mediaType);
        if (cp.kind === 'manifest') await this.#pushBlobs(t, store, cp.manifest, opts);
        await this.#putManifest(t, child.digest, childBytes, cp.mediaType, `${formatTarget(t)}@${child.digest}`, opts);
      }
    } else {
      await this.#pushBlobs(t, store, parsed.manifest, opts);
    }
    const digest = await this.#putManifest(t, r.tag ?? manifestDigest, bytes, parsed.mediaType, ref, opts);
    return { digest, mediaType: parsed.mediaType };
  }

  /** Whether the registry has a blob in the repository. */
  async hasBlob(repo: string, digest: string): Promise<boolean> {
    const r = parseReference(repo);
    const t = this.#target(r);
    return (await this.#blobExists(t, digest, [pullScope(t)])) !== undefined;
  }

  /** Streams one blob (unverified: the caller hashes it, e.g. through a ContentStore writer). */
  async fetchBlob(repo: string, digest: string, range?: { start: number }): Promise<Readable> {
    const r = parseReference(repo);
    const t = this.#target(r);
    const res = await this.#send(t, [pullScope(t)], { method: 'GET', url: this.#url(t, `blobs/${digest}`), headers: range ? { range: `bytes=${range.start}-` } : {} });
    if (res.status !== 200 && res.status !== 206) {
      throw registryErrorFromResponse(res.status, await readBody(res.body, 64 * 1024), { method: 'GET', url: res.url.href, what: digest });
    }
    return res.body;
  }

  // ---- internals ----

  #target(r: ImageReference): Target {
    const host = r.registry === 'docker.io' ? 'registry-1.docker.io' : r.registry;
    const plain = this.#opts.plainHttp ? this.#opts.plainHttp(r.registry) : isLoopback(r.registry);
    return { registry: r.registry, repository: r.repository, origin: `${plain ? 'http' : 'https'}://${host}` };
  }

  #url(t: Target, path: string): URL {
    return new URL(`${t.origin}/v2/${t.repository}/${path}`);
  }

  #authFor(registry: string): RegistryAuth {
    let a = this.#auth.get(registry);
    if (!a) {
      a = new RegistryAuth(this.#transport, () => this.#opts.credentials?.(registry));
      this.#auth.set(registry, a);
    }
    return a;
  }

  /**
   * One request with the registry's auth: sends with what the last challenge taught,
   * and on 401 learns the new challenge and resends once — when the body can be resent.
   * Streamed bodies only follow a request of the same scope (the upload's POST), which
   * has already settled the auth.
   */
  async #send(t: Target, scopes: string[], req: HttpRequest): Promise<HttpResponse> {
    const auth = this.#authFor(t.registry);
    const first = await auth.header(scopes);
    const res = await this.#transport.send(withAuth(req, first));
    if (res.status !== 401) return res;
    const replayable = req.body === undefined || Buffer.isBuffer(req.body);
    if (!replayable) return res;
    const retry = await auth.challenged(header(res, 'www-authenticate'), scopes, first);
    if (!retry) return res;
    await drain(res.body);
    return this.#transport.send(withAuth(req, await auth.header(scopes)));
  }

  async #getManifest(t: Target, reference: string, what: string, signal?: AbortSignal): Promise<ResolvedManifest> {
    const url = this.#url(t, `manifests/${reference}`);
    const res = await this.#withRetries(what, () => this.#send(t, [pullScope(t)], { method: 'GET', url, headers: { accept: MANIFEST_ACCEPT }, signal }));
    const body = await readBody(res.body, MANIFEST_LIMIT);
    if (res.status !== 200) throw registryErrorFromResponse(res.status, body, { method: 'GET', url: url.href, what });
    const digest = digestBytes(body);
    // By digest: the bytes must hash to it. By tag: the registry's header, when sent, must agree.
    if (isDigest(reference) && reference !== digest) {
      throw new IntegrityError(`${what}: manifest content hashes to ${digest}, not the requested ${reference}`, { expected: reference, actual: digest });
    }
    const claimed = header(res, 'docker-content-digest');
    if (claimed && isDigest(claimed) && claimed.startsWith('sha256:') && claimed !== digest) {
      throw new IntegrityError(`${what}: registry says ${claimed} but the manifest hashes to ${digest}`, { expected: claimed, actual: digest });
    }
    let mediaType = (header(res, 'content-type') ?? '').split(';')[0]!.trim();
    if (!mediaType || mediaType === 'application/json' || mediaType === 'text/plain') {
      // Some registries and static mirrors answer a generic type: the document's own field decides.
      mediaType = sniffMediaType(body) ?? mediaType;
    }
    return { digest, mediaType, size: body.length, bytes: body };
  }

  async #pullBlob(t: Target, d: Descriptor, store: ContentStore, emit: ProgressListener | undefined, signal?: AbortSignal): Promise<void> {
    if (await store.info(d.digest)) {
      emit?.({ type: 'blob-skipped-exists', digest: d.digest, size: d.size, direction: 'pull' });
      return;
    }
    const ref = `pull-${d.digest.replace(':', '-')}`;
    const url = this.#url(t, `blobs/${d.digest}`);
    let started = false;
    let resumed = false;
    let restartedClean = false;
    for (let attempt = 0; ; attempt++) {
      let w: ContentWriter;
      let inflight: Promise<void> = Promise.resolve();
      try {
        w = await store.writer({ ref, expected: { digest: d.digest, size: d.size } });
      } catch (err) {
        // Another pull in this process is fetching the same blob (a shared base layer): wait for it.
        if ((err as { code?: unknown }).code !== 'INGEST_LOCKED') throw err;
        await sleep(100);
        if (await store.info(d.digest)) {
          emit?.({ type: 'blob-skipped-exists', digest: d.digest, size: d.size, direction: 'pull' });
          return;
        }
        attempt--;
        continue;
      }
      try {
        if (w.offset > d.size) {
          await w.abort();
          w = await store.writer({ ref, expected: { digest: d.digest, size: d.size } });
        }
        let offset = w.offset;
        if (offset > 0) resumed = true;
        if (offset === d.size && d.size > 0) {
          await w.commit({ digest: d.digest, size: d.size });
          emit?.({ type: 'blob-done', digest: d.digest, size: d.size, direction: 'pull' });
          return;
        }
        const res = await this.#send(t, [pullScope(t)], { method: 'GET', url, headers: offset > 0 ? { range: `bytes=${offset}-` } : {}, signal });
        if (res.status === 200 && offset > 0) {
          // The server ignored our Range: start over rather than append the head twice.
          await w.abort();
          w = await store.writer({ ref, expected: { digest: d.digest, size: d.size } });
          offset = 0;
        } else if (res.status === 206) {
          const m = /^bytes (\d+)-/.exec(header(res, 'content-range') ?? '');
          if (!m || Number(m[1]) !== offset) {
            await drain(res.body);
            throw new RegistryProtocolError(`${d.digest}: asked for bytes from ${offset}, registry sent ${header(res, 'content-range') ?? 'no Content-Range'}`);
          }
        } else if (res.status !== 200) {
          throw registryErrorFromResponse(res.status, await readBody(res.body, 64 * 1024), { method: 'GET', url: url.href, what: d.digest });
        }
        if (!started) emit?.({ type: 'blob-start', digest: d.digest, size: d.size, offset, direction: 'pull' });
        started = true;
        const progress = progressThrottle(emit, d.digest, d.size, 'pull');
        let n = offset;
        // Socket chunks are ~64 KiB; writing them one by one (and waiting) would stall the
        // socket on every disk write. Batch to 1 MiB and keep one write in flight while
        // the next batch arrives.
        let batch: Buffer[] = [];
        let batched = 0;
        const flush = async (): Promise<void> => {
          const data = batch.length === 1 ? batch[0]! : Buffer.concat(batch, batched);
          batch = [];
          batched = 0;
          await inflight;
          inflight = w.write(data);
          inflight.catch(() => {}); // observed by the next flush or the final await
        };
        try {
          for await (const chunk of res.body as AsyncIterable<Buffer>) {
            n += chunk.length;
            if (n > d.size) {
              res.body.destroy();
              throw new IntegrityError(`${d.digest}: registry sent more than the ${d.size} bytes the descriptor declares`, { digest: d.digest, size: d.size });
            }
            batch.push(chunk);
            batched += chunk.length;
            if (batched >= WRITE_BATCH) await flush();
            progress(n);
          }
          if (batched > 0) await flush();
        } catch (err) {
          // Keep what did arrive, so the retry's Range starts after it.
          if (!(err instanceof IntegrityError) && batched > 0) await flush().catch(() => {});
          throw err;
        } finally {
          // Never leave a write running behind a close/abort of the same writer.
          await inflight.catch(() => {});
        }
        await inflight;
        await w.commit({ digest: d.digest, size: d.size });
        emit?.({ type: 'blob-done', digest: d.digest, size: d.size, direction: 'pull' });
        return;
      } catch (err) {
        if (err instanceof IntegrityError) {
          await w.abort().catch(() => {});
          // A resumed download may have built on a bad prefix left by an earlier attempt:
          // one clean download from byte 0 before blaming the registry.
          if (resumed && !restartedClean) {
            restartedClean = true;
            resumed = false;
            this.#log.warn('resumed blob failed verification; downloading it again from the start', { digest: d.digest });
            continue;
          }
          throw err;
        }
        // Keep what arrived: the next attempt (or the next pull) resumes with Range.
        await w.close().catch(() => {});
        if (signal?.aborted || !retryable(err) || attempt >= this.#opts.retries) throw err;
        this.#log.warn('blob download interrupted; resuming', { digest: d.digest, attempt: attempt + 1, err });
        await sleep(backoff(attempt));
      }
    }
  }

  async #pushBlobs(t: Target, store: ContentStore, manifest: ImageManifest, opts: PushOptions): Promise<void> {
    const blobs = uniqueByDigest([manifest.config, ...manifest.layers]);
    await mapLimit(blobs, this.#opts.concurrency, (d) => this.#pushBlob(t, store, d, opts));
  }

  async #pushBlob(t: Target, store: ContentStore, d: Descriptor, opts: PushOptions): Promise<void> {
    const emit = opts.onProgress;
    const scopes = [pushScope(t)];
    if (await this.#blobExists(t, d.digest, scopes)) {
      emit?.({ type: 'blob-skipped-exists', digest: d.digest, size: d.size, direction: 'push' });
      return;
    }
    const info = await store.info(d.digest);
    if (!info) {
      if (d.urls?.length) return; // a foreign layer lives at its URLs; registries do not hold it
      throw new NotFoundError(`cannot push ${d.digest}: not in the content store`, { digest: d.digest });
    }
    const size = info.size;
    const sessionKey = `${t.registry}/${t.repository}@${d.digest}`;
    let monolithic = false;
    for (let attempt = 0; ; attempt++) {
      let upload: BlobUpload | undefined;
      try {
        const saved = this.#sessions.get(sessionKey);
        if (saved) {
          upload = await BlobUpload.resume(this.#uploadIo(t, scopes, opts.signal), new URL(saved), d.digest, size);
          if (!upload) this.#sessions.delete(sessionKey);
        }
        if (!upload) {
          const started = await this.#startUpload(t, d, opts);
          if (started === 'mounted') return;
          upload = new BlobUpload(this.#uploadIo(t, scopes, opts.signal), started, d.digest, size);
          this.#sessions.set(sessionKey, started.href);
        }
        emit?.({ type: 'blob-start', digest: d.digest, size, offset: upload.offset, direction: 'push' });
        const progress = progressThrottle(emit, d.digest, size, 'push');
        const mode: UploadMode = monolithic || this.#opts.upload === 'monolithic' || size <= this.#opts.chunkSize ? 'monolithic' : 'chunked';
        await upload.run({
          mode,
          chunkSize: this.#opts.chunkSize,
          source: (start, end) => store.reader(d.digest, { start, end }),
          onProgress: progress,
          onLocation: (u) => this.#sessions.set(sessionKey, u.href),
        });
        this.#sessions.delete(sessionKey);
        emit?.({ type: 'blob-done', digest: d.digest, size, direction: 'push' });
        return;
      } catch (err) {
        // Some registries and proxies refuse Content-Range chunks (405, 416, 400, 501):
        // start a new session and send the blob in one PUT, as the spec also allows.
        if (!monolithic && upload?.patchRefused && err instanceof RegistryError && [400, 405, 416, 501].includes(err.status)) {
          monolithic = true;
          this.#sessions.delete(sessionKey);
          this.#log.warn('registry refused a chunked upload; retrying monolithic', { digest: d.digest, status: err.status });
          continue;
        }
        if (opts.signal?.aborted || !retryable(err) || attempt >= this.#opts.retries) throw err;
        this.#log.warn('blob upload interrupted; resuming', { digest: d.digest, attempt: attempt + 1, err });
        await sleep(backoff(attempt));
      }
    }
  }

  /** POST an upload (trying cross-repository mounts first): 'mounted', or the session URL. */
  async #startUpload(t: Target, d: Descriptor, opts: PushOptions): Promise<URL | 'mounted'> {
    for (const from of opts.mountFrom ?? []) {
      if (from === t.repository) continue;
      const url = this.#url(t, 'blobs/uploads/');
      url.searchParams.set('mount', d.digest);
      url.searchParams.set('from', from);
      const scopes = mergeScopes([pushScope(t)], [`repository:${from}:pull`]);
      const res = await this.#send(t, scopes, { method: 'POST', url, signal: opts.signal });
      const body = await readBody(res.body, 64 * 1024);
      if (res.status === 201) {
        opts.onProgress?.({ type: 'blob-mounted', digest: d.digest, size: d.size, from });
        return 'mounted';
      }
      if (res.status === 202) {
        // The registry could not mount (blob absent there, or not allowed) and opened a plain upload instead.
        const loc = header(res, 'location');
        if (loc) return new URL(loc, url);
        continue;
      }
      if (res.status === 401 || res.status === 403 || res.status === 404) continue; // no pull right on `from`: upload instead
      throw registryErrorFromResponse(res.status, body, { method: 'POST', url: url.href, what: d.digest });
    }
    const url = this.#url(t, 'blobs/uploads/');
    const res = await this.#send(t, [pushScope(t)], { method: 'POST', url, signal: opts.signal });
    const body = await readBody(res.body, 64 * 1024);
    if (res.status !== 202) throw registryErrorFromResponse(res.status, body, { method: 'POST', url: url.href, what: d.digest });
    const loc = header(res, 'location');
    if (!loc) throw new RegistryProtocolError(`${url.href}: upload started without a Location header`);
    return new URL(loc, url);
  }

  #uploadIo(t: Target, scopes: string[], signal?: AbortSignal) {
    return { send: (req: HttpRequest) => this.#send(t, scopes, { ...req, signal }), target: formatTarget(t) };
  }

  async #blobExists(t: Target, digest: string, scopes: string[]): Promise<number | undefined> {
    const url = this.#url(t, `blobs/${digest}`);
    const res = await this.#send(t, scopes, { method: 'HEAD', url });
    await drain(res.body);
    if (res.status === 200) return Number(header(res, 'content-length') ?? 0);
    if (res.status === 404) return undefined;
    throw registryErrorFromResponse(res.status, Buffer.alloc(0), { method: 'HEAD', url: url.href, what: digest });
  }

  async #putManifest(t: Target, reference: string, bytes: Buffer, mediaType: string, what: string, opts: PushOptions): Promise<string> {
    const url = this.#url(t, `manifests/${reference}`);
    const digest = digestBytes(bytes);
    const res = await this.#withRetries(what, () =>
      this.#send(t, [pushScope(t)], { method: 'PUT', url, headers: { 'content-type': mediaType }, body: bytes, signal: opts.signal }),
    );
    const body = await readBody(res.body, 64 * 1024);
    if (res.status !== 201 && res.status !== 200) throw registryErrorFromResponse(res.status, body, { method: 'PUT', url: url.href, what });
    const claimed = header(res, 'docker-content-digest');
    if (claimed && claimed.startsWith('sha256:') && claimed !== digest) {
      throw new IntegrityError(`${what}: registry stored the manifest as ${claimed}, expected ${digest}`, { expected: digest, actual: claimed });
    }
    opts.onProgress?.({ type: 'manifest-pushed', reference: what, digest, mediaType });
    return digest;
  }

  /** Retries idempotent small requests on connection errors, 429 and 5xx. */
  async #withRetries(what: string, fn: () => Promise<HttpResponse>): Promise<HttpResponse> {
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await fn();
        if ((res.status === 429 || res.status >= 500) && attempt < this.#opts.retries) {
          await drain(res.body);
          await sleep(backoff(attempt));
          continue;
        }
        return res;
      } catch (err) {
        if (!retryable(err) || attempt >= this.#opts.retries) throw err;
        this.#log.warn('registry request failed; retrying', { what, attempt: attempt + 1, err });
        await sleep(backoff(attempt));
      }
    }
  }
}

export function isLoopback(registry: string): boolean {
  const host = registry.startsWith('[') ? registry.slice(0, registry.indexOf(']') + 1) : registry.replace(/:\d+$/, '');
  return host === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '[::1]' || host === '::1' || host.endsWith('.localhost');
}

/** The index entry for a platform; os and architecture must match, variant when asked for. */
export function selectPlatform(index: ImageIndex, want: { os: string; architecture: string; variant?: string }): Descriptor | undefined {
  const candidates = index.manifests.filter(
    (m) => m.platform && m.platform.os === want.os && m.platform.architecture === want.architecture && (want.variant === undefined || m.platform.variant === want.variant),
  );
  return candidates[0];
}

function platformString(p: Pick<Platform, 'os' | 'architecture' | 'variant'>): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

function pullScope(t: Target): string {
  return `repository:${t.repository}:pull`;
}

function pushScope(t: Target): string {
  return `repository:${t.repository}:pull,push`;
}

function formatTarget(t: Target): string {
  return `${t.registry}/${t.repository}`;
}

function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function withAuth(req: HttpRequest, authorization: string | undefined): HttpRequest {
  if (!authorization) return req;
  return { ...req, headers: { ...req.headers, authorization } };
}

function uniqueByDigest(ds: Descriptor[]): Descriptor[] {
  const seen = new Set<string>();
  return ds.filter((d) => (seen.has(d.digest) ? false : (seen.add(d.digest), true)));
}

/**
 * A manifest already in the store, by digest: content-addressed, so no need to ask the
 * registry (a pinned image starts even while its registry is down).
 */
async function fromStore(store: ContentStore, digest: string): Promise<ResolvedManifest | undefined> {
  if (!(await store.info(digest))) return undefined;
  const bytes = await store.readAll(digest);
  return { digest, mediaType: parseManifest(bytes).mediaType, size: bytes.length, bytes };
}

function sniffMediaType(body: Buffer): string | undefined {
  try {
    const doc = JSON.parse(body.toString('utf8')) as { mediaType?: unknown; manifests?: unknown };
    if (typeof doc.mediaType === 'string') return doc.mediaType;
    return Array.isArray(doc.manifests) ? MediaTypes.ociIndex : MediaTypes.ociManifest;
  } catch {
    return undefined;
  }
}

/** Network failures and the registry's transient answers are worth another attempt; protocol and auth errors are not. */
function retryable(err: unknown): boolean {
  if (err instanceof RegistryUnreachableError) return true;
  if (err instanceof RegistryError) return err.status === 429 || err.status >= 500;
  const code = (err as { code?: unknown })?.code;
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'ETIMEDOUT' || code === 'ECONNREFUSED' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'UND_ERR_SOCKET';
}

function backoff(attempt: number): number {
  return Math.min(2000, 100 * 2 ** attempt);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

