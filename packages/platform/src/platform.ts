import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { createLogger } from '@lambdock/common';
import type { Logger } from '@lambdock/common';
import type { SandboxRuntime } from '@lambdock/sandbox';
import { SqliteMetadataStore } from './store/sqlite/sqlite-store.js';
import type { MetadataStore } from './store/metadata-store.js';
import { FunctionService } from './functions/function-service.js';
import { InvokeService } from './invoke/invoke-service.js';
import { LogService } from './logs/log-service.js';
import { MetricsService } from './metrics/metrics.js';
import { EnvironmentPool } from './runtime/pool.js';
import type { PoolOptions } from './runtime/pool.js';
import { RuntimeApiRouter } from './runtime/runtime-api-router.js';
import type { ImageService } from './images/image-service.js';
import { OciImageService } from './images/oci-image-service.js';
import { createRouter } from './http/router.js';
import { Authenticator } from './auth/authenticator.js';
import type { AuthOptions } from './auth/authenticator.js';
import { withSigV4 } from './auth/gate.js';
import { SqliteFunctionUrlStore } from './urls/sqlite-url-store.js';
import type { FunctionUrlStore } from './urls/url-store.js';
import { FunctionUrlService } from './urls/url-service.js';
import { createFunctionUrlServer } from './urls/server.js';
import { ServiceError } from './errors.js';
import { SqliteEventQueue } from './async/sqlite-queue.js';
import type { EventQueue } from './async/queue.js';
import { SqliteEventInvokeConfigStore } from './async/sqlite-configs.js';
import { EventInvokeConfigService } from './async/event-invoke-configs.js';
import { AsyncDispatcher } from './async/dispatcher.js';
import { SqliteVersionStore } from './versions/sqlite-versions.js';
import { VersionService } from './versions/version-service.js';

export interface PlatformOptions {
  /** Data directory (LAMBDOCK_HOME); the platform keeps everything under `<home>/platform`. */
  home: string;
  sandbox: SandboxRuntime;
  account?: string;
  region?: string;
  /** Account concurrency limit (Lambda's default 1,000). */
  accountConcurrency?: number;
  /** Credentials for pulling images, per registry host. */
  registryCredentials?: (registry: string) => { username: string; password: string } | undefined;
  logger?: Logger;
  /** Port of the Runtime API on the sandbox host address; must match the sandbox runtime's (default 9001). */
  runtimeApiPort?: number;
  /** Freeze/reap timing of warm environments. */
  pool?: PoolOptions;
  /** Another image backend; default pulls over the OCI distribution API into `<home>/platform`. */
  images?: ImageService;
  /** Another metadata backend; default SQLite at `<home>/platform/metadata.db`. */
  store?: MetadataStore;
  /**
   * SigV4 checking of the Lambda API (and of APIs wrapped with `guard`). Unset: not
   * checked (an embedding that authenticates itself); `lambdock up` always sets it.
   * AWS_IAM function URLs are checked in any case (shape only unless `required`).
   */
  auth?: AuthOptions;
  /** Another function URL backend; default the `function_urls` table of `<home>/platform/metadata.db`. */
  functionUrlStore?: FunctionUrlStore;
  /** Asynchronous invocation: queue backend and retry timing (defaults are Lambda's). */
  async?: {
    /** Another queue backend; default the `async_events` table of `<home>/platform/metadata.db`. */
    queue?: EventQueue;
    /** Wait before retrying a function error (doubles for the second retry). Default 60 s, as Lambda. */
    retryBaseMs?: number;
    /** First wait after a throttle or platform error (doubles up to 5 min). Default 1 s. */
    throttleBaseMs?: number;
    /** Events running at once. Default 16. */
    concurrency?: number;
  };
}

export interface Platform {
  /** The Lambda REST API; mount it on any HTTP server (it answers every request it gets). */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Function URLs (`http://<url-id>.lambda-url.<region>.localhost:<port>/` or `/lambda-url/<url-id>/`); `handle` serves them too. */
  functionUrls: { matches(req: IncomingMessage): boolean; handle(req: IncomingMessage, res: ServerResponse): void };
  /** Wraps another API served beside this one (e.g. CloudWatch Logs, JSON 1.1) in the same SigV4 check. */
  guard(handler: (req: IncomingMessage, res: ServerResponse) => void, format: 'lambda' | 'json11'): (req: IncomingMessage, res: ServerResponse) => void;
  /** Serves `handle` on its own server (port 0 = ephemeral). */
  listen(port: number, host?: string): Promise<http.Server>;
  services: { functions: FunctionService; invoke: InvokeService; logs: LogService; metrics: MetricsService; async: AsyncDispatcher; eventInvokeConfigs: EventInvokeConfigService; versions: VersionService; environments: () => Record<string, { total: number; idle: number }> };
  close(): Promise<void>;
}

/**
 * On-disk layout under `<home>/platform`:
 *
 *   metadata.db        SQLite (WAL): functions, versions, aliases, queue (store/sqlite/schema.ts)
 *   content/           image blobs pulled from registries (oci FsContentStore)
 *   snapshots/         unpacked layers, one directory per layer digest, shared by all functions
 *   logs/              function logs: <group>/<stream>.ndjson (logs/log-service.ts)
 */
export async function createPlatform(opts: PlatformOptions): Promise<Platform> {
  const root = join(opts.home, 'platform');
  mkdirSync(root, { recursive: true });
  const log = opts.logger ?? createLogger({ base: { component: 'platform' } });
  const account = opts.account ?? '123456789012';
  const region = opts.region ?? 'us-east-1';
  const store = opts.store ?? new SqliteMetadataStore(join(root, 'metadata.db'));
  const images =
    opts.images ??
    new OciImageService({
      contentDir: join(root, 'content'),
      snapshotDir: join(root, 'snapshots'),
      ...(opts.registryCredentials ? { credentials: opts.registryCredentials } : {}),
      logger: log.child({ component: 'images' }),
    });
  const logs = new LogService(join(root, 'logs'));
  const metrics = new MetricsService();
  const functions = new FunctionService({ store, images, account, region, accountConcurrency: opts.accountConcurrency ?? 1000, logger: log.child({ component: 'functions' }) });
  await functions.recover();

  // The sandbox host and the Runtime API server come up on the first cold start, so the
  // control plane serves even where sandboxes cannot run (the error then says why).
  const runtimeRouter = new RuntimeApiRouter();
  let poolPromise: Promise<EnvironmentPool> | undefined;
  let pool: EnvironmentPool | undefined;
  const getPool = (): Promise<EnvironmentPool> => {
    poolPromise ??= (async () => {
      try {
        const check = await opts.sandbox.check();
        if (!check.ok) throw new ServiceError(`Execution environments are unavailable: ${check.reason}`);
        await opts.sandbox.init();
        await runtimeRouter.listen(opts.runtimeApiPort ?? 9001, opts.sandbox.hostAddress);
        pool = new EnvironmentPool(
          {
            sandboxRuntime: opts.sandbox,
            router: runtimeRouter,
            logs,
            logger: log.child({ component: 'environments' }),
            region,
            runtimeApi: `${opts.sandbox.hostAddress}:${opts.runtimeApiPort ?? 9001}`,
            credentials: { accessKeyId: 'ASIALAMBDOCKFUNCTION', secretAccessKey: 'lambdock-function-credentials-are-not-aws-credentials', sessionToken: 'lambdock' },
          },
          images,
          opts.pool,
        );
        return pool;
      } catch (err) {
        poolPromise = undefined;
        if (err instanceof ServiceError) throw err;
        throw new ServiceError(`Execution environments are unavailable: ${(err as Error).message}`, err);
      }
    })();
    return poolPromise;
  };
  functions.onChange(({ name, record }) => pool?.functionChanged(name, record));
  const invoke = new InvokeService({ functions, pool: getPool, metrics, logger: log.child({ component: 'invoke' }) });
  const queue = opts.async?.queue ?? new SqliteEventQueue(join(root, 'metadata.db'));
  const configStore = new SqliteEventInvokeConfigStore(join(root, 'metadata.db'));
  const eventInvokeConfigs = new EventInvokeConfigService({ store: configStore, functions });
  const dispatcher = new AsyncDispatcher({
    queue,
    configs: eventInvokeConfigs,
    functions,
    run: (cmd) => invoke.invoke(cmd),
    flushLogs: () => logs.flush(),
    logger: log.child({ component: 'async' }),
    ...(opts.async?.retryBaseMs !== undefined ? { retryBaseMs: opts.async.retryBaseMs } : {}),
    ...(opts.async?.throttleBaseMs !== undefined ? { throttleBaseMs: opts.async.throttleBaseMs } : {}),
    ...(opts.async?.concurrency !== undefined ? { concurrency: opts.async.concurrency } : {}),
  });
  invoke.useEventQueue(dispatcher);
  // Published versions and aliases: qualifiers resolve through them; each version has its own environments.
  const versions = new VersionService({
    store: new SqliteVersionStore(join(root, 'metadata.db')),
    functions,
    logger: log.child({ component: 'versions' }),
    onVersionRemoved: (name, version) => {
      pool?.versionsRemoved(name, version);
      void configStore.delete(name, version);
    },
    onAliasRemoved: (name, alias) => {
      void configStore.delete(name, alias);
      void urls.qualifierRemoved(name, alias);
    },
  });
  functions.useVersions(versions);
  await dispatcher.start();
  const urls = new FunctionUrlService({ store: opts.functionUrlStore ?? new SqliteFunctionUrlStore(join(root, 'metadata.db')), functions });
  const authenticator = new Authenticator(opts.auth ?? { mode: 'open' });
  const guard = (h: (req: IncomingMessage, res: ServerResponse) => void, format: 'lambda' | 'json11') =>
    opts.auth ? withSigV4(authenticator, h, { format, logger: log.child({ component: 'auth' }) }) : h;
  const functionUrls = createFunctionUrlServer({ urls, invoke, auth: authenticator, account, region, logger: log.child({ component: 'function-urls' }) });
  const api = guard(createRouter({ functions, invoke, eventInvokeConfigs, versions, urls }, log.child({ component: 'lambda-api' })), 'lambda');
  const handle = (req: IncomingMessage, res: ServerResponse): void => (functionUrls.matches(req) ? functionUrls.handle(req, res) : api(req, res));
  const servers = new Set<http.Server>();

  return {
    handle,
    functionUrls,
    guard,
    async listen(port, host = '127.0.0.1') {
      const server = http.createServer({ keepAlive: true, noDelay: true }, handle);
      server.keepAliveTimeout = 65_000;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
      servers.add(server);
      return server;
    },
    services: { functions, invoke, logs, metrics, async: dispatcher, eventInvokeConfigs, versions, environments: () => pool?.stats() ?? {} },
    async close() {
      for (const s of servers) {
        s.close();
        s.closeAllConnections();
      }
      await functions.close();
      await dispatcher.close();
      await invoke.settled();
      await pool?.close();
      await runtimeRouter.close();
      await logs.close();
      await queue.close();
      await configStore.close();
      await versions.close();
      await urls.close();
      await store.close();
      if ('close' in images && typeof (images as { close?: unknown }).close === 'function') (images as { close(): void }).close();
    },
  };
}
