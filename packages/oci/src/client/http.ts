import http from 'node:http';
import https from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { RegistryUnreachableError, RegistryProtocolError } from './errors.js';

/** A request as the registry client describes it; the transport only moves bytes. */
export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: URL;
  headers?: Record<string, string>;
  /** A Buffer can be re-sent (after an auth challenge, a redirect); a stream cannot. */
  body?: Buffer | Readable;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The response body; callers must consume or destroy it. */
  body: IncomingMessage;
  /** The URL that produced this response (after redirects). */
  url: URL;
}

/**
 * node:http(s) with keep-alive agents: registries answer many small requests
 * (HEAD blob, PATCH chunk) and the TLS handshake would otherwise dominate.
 */
export class HttpTransport {
  readonly #http: http.Agent;
  readonly #https: https.Agent;
  readonly #userAgent: string;
  readonly #idleTimeout: number;

  /** `idleTimeoutMs`: a connection silent this long (no bytes either way) is dropped as unreachable (default 60 s). */
  constructor(opts: { maxSockets?: number; userAgent?: string; idleTimeoutMs?: number } = {}) {
    this.#idleTimeout = opts.idleTimeoutMs ?? 60_000;
    const maxSockets = opts.maxSockets ?? 16;
    this.#http = new http.Agent({ keepAlive: true, maxSockets, scheduling: 'lifo' });
    this.#https = new https.Agent({ keepAlive: true, maxSockets, scheduling: 'lifo' });
    this.#userAgent = opts.userAgent ?? 'lambdock-oci/0.1';
  }

  /** Sends one request; follows redirects for GET/HEAD (blob storage often redirects to a CDN). */
  async send(req: HttpRequest, maxRedirects = 5): Promise<HttpResponse> {
    let url = req.url;
    let headers = { ...req.headers };
    for (let hop = 0; ; hop++) {
      const res = await this.#once({ ...req, url, headers });
      const location = res.headers.location;
      const redirect = res.status >= 300 && res.status < 400 && res.status !== 304 && location !== undefined;
      if (!redirect || (req.method !== 'GET' && req.method !== 'HEAD')) return res;
      res.body.resume();
      if (hop >= maxRedirects) throw new RegistryProtocolError(`too many redirects fetching ${req.url.href}`);
      const next = new URL(location, url);
      // Credentials are for the registry, never for whatever host it redirects to.
      if (next.host !== url.host) {
        headers = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
      }
      url = next;
    }
  }

  #once(req: HttpRequest): Promise<HttpResponse> {
    const isHttps = req.url.protocol === 'https:';
    const mod = isHttps ? https : http;
    const headers: Record<string, string> = { 'user-agent': this.#userAgent, ...req.headers };
    if (Buffer.isBuffer(req.body)) headers['content-length'] = String(req.body.length);
    else if (req.body === undefined && (req.method === 'PUT' || req.method === 'POST' || req.method === 'PATCH')) headers['content-length'] = '0';
    return new Promise<HttpResponse>((resolve, reject) => {
      const request = mod.request(req.url, { method: req.method, headers, agent: isHttps ? this.#https : this.#http, signal: req.signal, timeout: this.#idleTimeout }, (res) => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res, url: req.url });
      });
      // A registry that stops talking must not hang a pull forever; the error is retryable.
      request.on('timeout', () => {
        const err = Object.assign(new Error(`no data for ${this.#idleTimeout} ms`), { code: 'ETIMEDOUT' });
        request.destroy(err);
      });
      request.on('error', (err) => reject(err instanceof RegistryUnreachableError ? err : new RegistryUnreachableError(req.url.origin, err)));
      const body = req.body;
      if (body === undefined) request.end();
      else if (Buffer.isBuffer(body)) request.end(body);
      else {
        body.on('error', (err) => request.destroy(err));
        body.pipe(request);
      }
    });
  }

  close(): void {
    this.#http.destroy();
    this.#https.destroy();
  }
}

/** Reads a whole (small) body, refusing more than `limit` bytes. */
export async function readBody(res: IncomingMessage, limit = 8 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limit) {
      res.destroy();
      throw new RegistryProtocolError(`response body exceeds ${limit} bytes`, { limit });
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * Discards a body so the keep-alive socket can be reused. Always resumes: a HEAD
 * answer is `complete` at once, yet its socket returns to the pool only on 'end'.
 */
export function drain(res: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    if (res.readableEnded || res.destroyed) return resolve();
    res.on('end', resolve);
    res.on('error', () => resolve());
    res.on('close', () => resolve());
    res.resume();
  });
}
