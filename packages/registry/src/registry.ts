import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { createLogger, LambdockError, type Logger } from '@lambdock/common';
import { FsContentStore, type ContentStore } from '@lambdock/oci';
import type { RegistryCore, RegistrySettings } from './core.js';
import { KeyedLock } from './lock.js';
import { SqliteMetadataStore } from './metadata/sqlite/store.js';
import type { MetadataStore, RepositoryRecord } from './metadata/store.js';
import { UploadManager } from './distribution/uploads.js';
import { createDistributionHandler } from './distribution/router.js';
import { createBasicAuth, type AuthConfig } from './auth/basic.js';
import { TokenIssuer } from './auth/tokens.js';
import { createEcrHandler } from './ecr/handler.js';
import { evaluateLifecycle, parseLifecyclePolicy } from './ecr/lifecycle.js';
import { collectGarbage, type GcReport } from './gc.js';
import { sendJson } from './distribution/http.js';
import { lockRoot } from './root-lock.js';

export interface RegistryOptions {
  /** Data directory (see the layout below). */
  root: string;
  /** host:port clients use, for repositoryUri and proxyEndpoint; default localhost:<listening port>. */
  publicUrl?: string;
  auth: AuthConfig;
  limits?: { maxManifestBytes?: number; maxImageBytes?: number };
  account?: string;
  region?: string;
  logger?: Logger;
  /** Create repositories on first docker push (ECR refuses; default true). */
  implicitRepositories?: boolean;
  gc?: { graceMs?: number; uploadTtlMs?: number; intervalMs?: number };
  /** Clock for timestamps (tests of lifecycle rules move it). */
  now?: () => number;
  /** Replaces the filesystem content store (e.g. an S3 backend). */
  store?: ContentStore;
}

export interface Registry {
  /** Serves /v2/... (OCI distribution API). */
  handleDistribution(req: IncomingMessage, res: ServerResponse): void;
  /** Serves POST / with X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.* (ECR JSON 1.1). */
  handleEcr(req: IncomingMessage, res: ServerResponse): void;
  /** Serves both on one port. Refuses a non-loopback host in open-loopback auth mode. */
  listen(port: number, host?: string): Promise<Server>;
  gc(): Promise<GcReport>;
  /** Applies every repository's lifecycle policy now; returns images expired. */
  applyLifecyclePolicies(): Promise<number>;
  close(): Promise<void>;
  readonly settings: Readonly<RegistrySettings>;
  readonly metadata: MetadataStore;
  readonly store: ContentStore;
}

export class RegistryConfigError extends LambdockError {
  constructor(message: string) {
    super('REGISTRY_CONFIG', message);
  }
}

export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '::ffff:127.0.0.1';
}

/*
 * Data directory layout:
 *
 *   <root>/
 *   ├── registry.lock      pid of the one process serving this directory
 *   ├── metadata.db        SQLite (WAL): repositories, tags, manifests, blob links,
 *   ├── metadata.db-wal    upload sessions, ECR settings (see metadata/sqlite/store.ts)
 *   └── content/           FsContentStore (oci): blobs/<alg>/<hex> committed and
 *                          verified; ingest/<hash(ref)>/data one per upload session
 */
export async function createRegistry(opts: RegistryOptions): Promise<Registry> {
  await mkdir(opts.root, { recursive: true });
  const unlockRoot = await lockRoot(opts.root);
  const logger = (opts.logger ?? createLogger()).child({ component: 'registry' });
  const now = opts.now ?? Date.now;
  const settings: RegistrySettings = {
    publicUrl: opts.publicUrl ?? 'localhost:5000',
    account: opts.account ?? '123456789012',
    region: opts.region ?? 'us-east-1',
    maxManifestBytes: opts.limits?.maxManifestBytes ?? 4 * 1024 * 1024,
    maxImageBytes: opts.limits?.maxImageBytes ?? 10 * 1000 * 1000 * 1000,
    implicitRepositories: opts.implicitRepositories ?? true,
    chunkMinLength: 1,
    gcGraceMs: opts.gc?.graceMs ?? 60 * 60 * 1000,
    uploadTtlMs: opts.gc?.uploadTtlMs ?? 24 * 60 * 60 * 1000,
  };
  const store = opts.store ?? new FsContentStore(join(opts.root, 'content'));
  const metadata = new SqliteMetadataStore(join(opts.root, 'metadata.db'));
  const locks = new KeyedLock();
  const uploads = new UploadManager({ store, metadata, locks, logger, now });

  const core: RegistryCore = {
    settings,
    store,
    metadata,
    uploads,
    locks,
    logger,
    now,
    async repositoryForPush(name: string): Promise<RepositoryRecord | undefined> {
      const existing = await metadata.getRepository(name);
      if (existing || !settings.implicitRepositories) return existing;
      const { repository, created } = await metadata.createRepository({ name, createdAt: now(), tagMutability: 'MUTABLE', scanOnPush: false });
      if (created) logger.info('repository created on first push', { repo: name });
      return repository;
    },
    async applyLifecycle(repo: string): Promise<number> {
      const r = await metadata.getRepository(repo);
      if (!r?.lifecyclePolicy) return 0;
      const rules = parseLifecyclePolicy(r.lifecyclePolicy);
      const t = now();
      const expired = evaluateLifecycle(rules, await metadata.listManifests(repo), t);
      for (const { image, rule } of expired) {
        await metadata.deleteManifest(repo, image.digest);
        logger.info('image expired by lifecycle policy', { repo, digest: image.digest, tags: image.tags, rulePriority: rule.rulePriority });
      }
      await metadata.updateRepository(repo, { lifecycleEvaluatedAt: t });
      return expired.length;
    },
    async dropBlobIfUnreferenced(digest: string): Promise<boolean> {
      return locks.with(digest, async () => {
        if (await metadata.isReferenced(digest)) return false;
        return store.delete(digest);
      });
    },
  };

  const secret = opts.auth.mode === 'required' ? opts.auth.secret : randomBytes(32).toString('hex');
  const tokens = new TokenIssuer(secret, now);
  const basic = createBasicAuth(opts.auth, tokens, settings.publicUrl);
  const distribution = createDistributionHandler(core, basic, logger);
  const credentials = opts.auth.mode === 'required' ? (opts.auth.users ?? {}) : undefined;
  const ecr = createEcrHandler(core, tokens, credentials, logger);
  const servers = new Set<Server>();

  const applyLifecyclePolicies = async (): Promise<number> => {
    let n = 0;
    let last: string | undefined;
    for (;;) {
      const page = await metadata.listRepositories({ limit: 500, ...(last !== undefined ? { last } : {}) });
      for (const r of page) if (r.lifecyclePolicy) n += await core.applyLifecycle(r.name);
      if (page.length < 500) return n;
      last = page[page.length - 1]!.name;
    }
  };
  const interval = opts.gc?.intervalMs ?? 60 * 60 * 1000;
  let maintaining = false; // a slow run is never overlapped by the next tick
  const timer = setInterval(() => {
    if (maintaining) return;
    maintaining = true;
    void (async () => {
      await applyLifecyclePolicies();
      await collectGarbage(core);
    })()
      .catch((err: unknown) => logger.error('periodic maintenance failed', { err }))
      .finally(() => (maintaining = false));
  }, interval);
  timer.unref();

  const both = (req: IncomingMessage, res: ServerResponse): void => {
    const path = req.url ?? '/';
    if (path === '/v2' || path.startsWith('/v2/') || path.startsWith('/v2?')) return distribution(req, res);
    if (req.headers['x-amz-target'] !== undefined) return ecr(req, res);
    sendJson(res, 404, { errors: [{ code: 'NAME_UNKNOWN', message: `no route for ${path.slice(0, 200)}` }] });
  };

  return {
    settings,
    metadata,
    store,
    handleDistribution: distribution,
    handleEcr: ecr,
    async listen(port: number, host = '127.0.0.1'): Promise<Server> {
      if (opts.auth.mode === 'open-loopback' && !isLoopbackHost(host)) {
        throw new RegistryConfigError(
          `refusing to serve the registry on ${host} without authentication: bind to 127.0.0.1 or configure auth { mode: 'required', secret }`,
        );
      }
      const server = createServer({ keepAliveTimeout: 30_000, requestTimeout: 0 }, both);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
      const addr = server.address();
      if (opts.publicUrl === undefined && addr && typeof addr === 'object') settings.publicUrl = `localhost:${addr.port}`;
      servers.add(server);
      logger.info('registry listening', { host, port: typeof addr === 'object' && addr ? addr.port : port, auth: opts.auth.mode });
      return server;
    },
    gc: () => collectGarbage(core),
    applyLifecyclePolicies,
    async close(): Promise<void> {
      clearInterval(timer);
      await Promise.all(
        [...servers].map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      );
      servers.clear();
      await uploads.close();
      await metadata.close();
      await unlockRoot();
    },
  };
}
