import { randomBytes } from 'node:crypto';
import { ConflictError, NotFoundError } from '@lambdock/common';
import type { FunctionService } from '../functions/function-service.js';
import type { FunctionRef } from '../functions/names.js';
import type { FunctionUrlRecord, FunctionUrlStore } from './url-store.js';
import type { FunctionUrlConfigInput } from './config.js';
import { checkUrlQualifier } from './config.js';

/** The API's view of a function URL (Create/Get/Update/List answers). */
export interface FunctionUrlConfigView {
  FunctionUrl: string;
  FunctionArn: string;
  AuthType: string;
  Cors?: FunctionUrlRecord['cors'];
  CreationTime: string;
  LastModifiedTime: string;
  InvokeMode: string;
}

/**
 * How function URLs are addressed locally. Lambda's are `https://<url-id>.lambda-url.<region>.on.aws/`;
 * ours keep that shape under `.localhost` (which resolvers map to loopback) on the API port:
 *
 *   http://<url-id>.lambda-url.us-east-1.localhost:9600/<path>   routed by the Host header
 *   http://localhost:9600/lambda-url/<url-id>/<path>              the same URL for clients that cannot resolve it
 */
export const URL_PATH_PREFIX = '/lambda-url/';
const HOST_RE = /^([a-z0-9]{32})\.lambda-url\.[a-z0-9-]+\.[^/]+$/;

/** The URL id a request addresses, by Host or by path prefix, and the path the function sees. */
export function matchUrlRequest(host: string | undefined, url: string): { urlId: string; path: string } | undefined {
  if (host) {
    const m = HOST_RE.exec(host.toLowerCase().replace(/:\d+$/, ''));
    if (m) return { urlId: m[1]!, path: url };
  }
  if (url.startsWith(URL_PATH_PREFIX)) {
    const rest = url.slice(URL_PATH_PREFIX.length);
    const m = /^([a-z0-9]{32})(?=$|[/?])/.exec(rest);
    if (m) {
      const tail = rest.slice(32);
      return { urlId: m[1]!, path: tail.startsWith('/') ? tail : `/${tail}` };
    }
  }
  return undefined;
}

/**
 * Function URL configurations: Create/Get/Update/Delete/List, and the lookup the URL
 * server does on every request (cached; invalidated on every change here).
 */
export class FunctionUrlService {
  readonly #store: FunctionUrlStore;
  readonly #functions: FunctionService;
  readonly #byId = new Map<string, FunctionUrlRecord | null>();

  constructor(opts: { store: FunctionUrlStore; functions: FunctionService }) {
    this.#store = opts.store;
    this.#functions = opts.functions;
    // A deleted function takes its URLs with it (the store's foreign key); forget cached ones.
    opts.functions.onChange(({ name }) => {
      for (const [id, rec] of this.#byId) if (!rec || rec.functionName === name) this.#byId.delete(id);
    });
  }

  /**
   * `host` is the API's Host header: the URL is given on the same port. Reached through
   * loopback, it has Lambda's shape under `.localhost`; reached by another address (which
   * `*.localhost` would not resolve to), it is the path form on that address.
   */
  view(rec: FunctionUrlRecord, host: string | undefined): FunctionUrlConfigView {
    const h = (host ?? 'localhost:9600').toLowerCase();
    const port = /:(\d+)$/.exec(h)?.[1] ?? '80';
    const hostname = h.replace(/:\d+$/, '');
    const loopback = hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]' || hostname.endsWith('.localhost');
    const out: FunctionUrlConfigView = {
      FunctionUrl: loopback ? `http://${rec.urlId}.lambda-url.${this.#functions.region}.localhost:${port}/` : `http://${h}${URL_PATH_PREFIX}${rec.urlId}/`,
      FunctionArn: this.#functions.arn(rec.functionName, rec.qualifier || undefined),
      AuthType: rec.authType,
      CreationTime: rec.creationTime,
      LastModifiedTime: rec.lastModifiedTime,
      InvokeMode: rec.invokeMode,
    };
    if (rec.cors) out.Cors = rec.cors;
    return out;
  }

  async create(ref: FunctionRef, input: FunctionUrlConfigInput): Promise<FunctionUrlRecord> {
    checkUrlQualifier(ref.qualifier);
    await this.#functions.get(ref);
    const now = new Date().toISOString();
    const rec: FunctionUrlRecord = {
      functionName: ref.name,
      qualifier: ref.qualifier ?? '',
      urlId: newUrlId(),
      authType: input.authType ?? 'NONE',
      invokeMode: input.invokeMode ?? 'BUFFERED',
      creationTime: now,
      lastModifiedTime: now,
      ...(input.cors ? { cors: input.cors } : {}),
    };
    try {
      await this.#store.create(rec);
    } catch (err) {
      if (err instanceof ConflictError) {
        throw new ConflictError(
          `Failed to create function url config for [functionArn = ${this.#functions.arn(ref.name, ref.qualifier)}]. Error message:  FunctionUrlConfig exists for this Lambda function`,
        );
      }
      if (err instanceof NotFoundError) throw this.#functions.notFound(ref);
      throw err;
    }
    this.#byId.delete(rec.urlId);
    return rec;
  }

  async get(ref: FunctionRef): Promise<FunctionUrlRecord> {
    checkUrlQualifier(ref.qualifier);
    await this.#functions.get(ref);
    const rec = await this.#store.get(ref.name, ref.qualifier ?? '');
    if (!rec) throw new NotFoundError('The resource you requested does not exist.', { name: ref.name });
    return rec;
  }

  async update(ref: FunctionRef, input: FunctionUrlConfigInput): Promise<FunctionUrlRecord> {
    const cur = await this.get(ref);
    const next: FunctionUrlRecord = {
      ...cur,
      ...(input.authType ? { authType: input.authType } : {}),
      ...(input.invokeMode ? { invokeMode: input.invokeMode } : {}),
      ...(input.cors ? { cors: input.cors } : {}),
      lastModifiedTime: new Date().toISOString(),
    };
    await this.#store.update(next);
    this.#byId.delete(next.urlId);
    return next;
  }

  async delete(ref: FunctionRef): Promise<void> {
    const cur = await this.get(ref);
    await this.#store.delete(cur.functionName, cur.qualifier);
    this.#byId.delete(cur.urlId);
  }

  async list(ref: FunctionRef, opts: { marker?: string; maxItems?: number }): Promise<{ configs: FunctionUrlRecord[]; nextMarker?: string }> {
    await this.#functions.get({ name: ref.name });
    const limit = Math.min(opts.maxItems ?? 50, 50);
    const after = opts.marker === undefined ? undefined : Buffer.from(opts.marker, 'base64url').toString('utf8');
    const rows = await this.#store.list(ref.name, { ...(after !== undefined ? { after } : {}), limit: limit + 1 });
    const page = rows.slice(0, limit);
    return rows.length > limit ? { configs: page, nextMarker: Buffer.from(page[page.length - 1]!.qualifier, 'utf8').toString('base64url') || 'AA' } : { configs: page };
  }

  /** An alias was deleted: its URL goes with it, as in Lambda. */
  async qualifierRemoved(functionName: string, qualifier: string): Promise<void> {
    const cur = await this.#store.get(functionName, qualifier);
    if (!cur) return;
    await this.#store.delete(functionName, qualifier);
    this.#byId.delete(cur.urlId);
  }

  /** The URL served at `urlId` (hot path: cached, negative answers too). */
  async resolve(urlId: string): Promise<FunctionUrlRecord | undefined> {
    const hit = this.#byId.get(urlId);
    if (hit !== undefined) return hit ?? undefined;
    const rec = await this.#store.byUrlId(urlId);
    if (this.#byId.size > 10_000) this.#byId.clear();
    this.#byId.set(urlId, rec ?? null);
    return rec;
  }

  close(): Promise<void> {
    return this.#store.close();
  }
}

function newUrlId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(32);
  let s = '';
  for (const b of bytes) s += alphabet[b % 36];
  return s;
}
