import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isIP } from 'node:net';
import { createLogger } from '@lambdock/common';
import { createRegistry } from '@lambdock/registry';
import { createLogsApi, createPlatform, LOGS_TARGET_PREFIX } from '@lambdock/platform';
import { RuncRuntime } from '@lambdock/sandbox';
import { DEFAULT_API_PORT, DEFAULT_REGISTRY_PORT, lambdockHome } from '../config.js';
import type { CommandContext } from '../context.js';
import { CliError } from '../output.js';
import { consoleHandler } from '../console/serve.js';
import { ConsoleApi } from '../console/api.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * `lambdock up`: the composition root. Registry (OCI distribution) on :5000; on :9600
 * the Lambda REST API, the ECR and CloudWatch Logs JSON APIs (dispatched by X-Amz-Target),
 * Prometheus metrics and the web console.
 */
export async function up(ctx: CommandContext): Promise<number> {
  const home = (ctx.flags.home as string | undefined) ?? lambdockHome();
  const host = (ctx.flags.host as string | undefined) ?? '127.0.0.1';
  const apiPort = Number(ctx.flags.port ?? process.env['LAMBDOCK_API_PORT'] ?? DEFAULT_API_PORT);
  const registryPort = Number(ctx.flags['registry-port'] ?? process.env['LAMBDOCK_REGISTRY_PORT'] ?? DEFAULT_REGISTRY_PORT);
  const runtimeApiPort = Number(ctx.flags['runtime-api-port'] ?? process.env['LAMBDOCK_RUNTIME_API_PORT'] ?? 9001);
  const open = LOOPBACK.has(host);
  const accessKeyId = process.env['LAMBDOCK_ACCESS_KEY_ID'];
  const secretAccessKey = process.env['LAMBDOCK_SECRET_ACCESS_KEY'];
  if (!open && !(accessKeyId && secretAccessKey)) {
    throw new CliError(
      `refusing to bind ${host} without credentials`,
      'set LAMBDOCK_ACCESS_KEY_ID and LAMBDOCK_SECRET_ACCESS_KEY, or bind to 127.0.0.1 (the open loopback default)',
    );
  }
  if (host !== 'localhost' && isIP(host) === 0) throw new CliError(`--host must be an IP address, got ${host}`);
  await mkdir(home, { recursive: true });
  const logger = createLogger().child({ component: 'lambdock' });

  const registry = await createRegistry({
    root: join(home, 'registry'),
    publicUrl: `localhost:${registryPort}`,
    auth: open ? { mode: 'open-loopback' } : { mode: 'required', secret: secretAccessKey!, users: { [accessKeyId!]: secretAccessKey! } },
    logger: logger.child({ component: 'registry' }),
  });
  const sandbox = new RuncRuntime({ stateDir: join(home, 'sandbox'), runtimeApiPort });
  const check = await sandbox.check();
  // The control plane and registry still serve; invokes answer with the reason.
  if (!check.ok) ctx.out.warn(`execution environments are unavailable: ${check.reason} (run as root on Linux with runc; npm start installs it)`);
  const ownRegistry = `localhost:${registryPort}`;
  const platform = await createPlatform({
    home,
    sandbox,
    runtimeApiPort,
    logger: logger.child({ component: 'platform' }),
    // Every Lambda/Logs API request is SigV4-signed; open loopback mode checks only the signature's form.
    auth: open ? { mode: 'open' } : { mode: 'required', credentials: { [accessKeyId!]: secretAccessKey! } },
    // Pulls from our own registry authenticate like any client when credentials are required.
    registryCredentials: (r) => (!open && (r === ownRegistry || r === `127.0.0.1:${registryPort}`) ? { username: accessKeyId!, password: secretAccessKey! } : undefined),
  });
  const logsApi = createLogsApi({ logs: platform.services.logs, retentionFile: join(home, 'platform', 'log-retention.json'), account: '123456789012', region: 'us-east-1', logger });
  const logsHandler = platform.guard((req, res) => logsApi.handle(req, res), 'json11');
  const serveConsole = consoleHandler();
  const consoleApi = new ConsoleApi(platform.services);
  // The console signs its data requests like every other call; /metrics stays open for
  // Prometheus scrapers on loopback, and needs a signature like the APIs elsewhere.
  const consoleData = platform.guard((req, res) => consoleApi.handle(req, res), 'lambda');
  const serveMetrics = open ? (req: IncomingMessage, res: ServerResponse) => consoleApi.handle(req, res) : consoleData;

  const api = createServer((req: IncomingMessage, res: ServerResponse) => {
    // Function URLs first: http://<url-id>.lambda-url.us-east-1.localhost:<port>/ (any path) or /lambda-url/<url-id>/.
    if (platform.functionUrls.matches(req)) return platform.functionUrls.handle(req, res);
    const target = String(req.headers['x-amz-target'] ?? '');
    if (target.startsWith('AmazonEC2ContainerRegistry_V20150921.')) return registry.handleEcr(req, res);
    if (target.startsWith(LOGS_TARGET_PREFIX)) return logsHandler(req, res);
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method === 'GET' && path === '/metrics') return serveMetrics(req, res);
    if (req.method === 'GET' && consoleApi.matches(path)) return consoleData(req, res);
    if (req.method === 'GET' && (path === '/' || path.startsWith('/console'))) return serveConsole(req, res);
    return platform.handle(req, res);
  });
  api.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => api.once('error', reject).listen(apiPort, host, resolve));
  const registryServer = await registry.listen(registryPort, host);

  const shown = host === '127.0.0.1' ? 'localhost' : host;
  ctx.out.info(ctx.out.bold('Lambdock is up'));
  ctx.out.info(`  API (Lambda, ECR, Logs)  http://${shown}:${apiPort}`);
  ctx.out.info(`  console                  http://${shown}:${apiPort}/`);
  ctx.out.info(`  registry                 ${shown}:${registryPort}`);
  ctx.out.info(`  data                     ${home}`);
  ctx.out.info(
    open
      ? `  credentials              any (open loopback mode); e.g. aws --endpoint-url http://${shown}:${apiPort} lambda list-functions`
      : `  credentials              access key ${accessKeyId} (SigV4 required)`,
  );

  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  ctx.out.info('shutting down…');
  consoleApi.close();
  logsApi.close();
  api.closeAllConnections();
  await new Promise((r) => api.close(r));
  await new Promise((r) => registryServer.close(r));
  await platform.close();
  await registry.close();
  await sandbox.close();
  return 0;
}
