import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@lambdock/common';
import { discoverExtensions } from '@lambdock/runtime-api';
import type { EmulatorConfig } from './config.js';
import { humanLogger } from './log.js';
import { Pool } from './pool.js';
import { handleInvoke } from './handlers/invoke.js';
import { watchCode } from './watch.js';

export interface EmulatorOptions {
  logger?: Logger;
  /** Where Lambda's log lines (START/END/REPORT) go; default stdout. */
  out?: (line: string) => void;
}

export interface Emulator {
  /** e.g. http://127.0.0.1:8080 (the invoke API). */
  readonly url: string;
  readonly port: number;
  /** host:port of the first runtime's Runtime API. */
  readonly runtimeApi: string;
  /** Sends SHUTDOWN to extensions, stops runtimes and servers. */
  close(): Promise<void>;
}

/** Starts the emulator: invoke API, Runtime API, runtime process(es), optional code watcher. */
export async function startEmulator(config: EmulatorConfig, opts: EmulatorOptions = {}): Promise<Emulator> {
  const logger = opts.logger ?? humanLogger(config.logLevel);
  const out = opts.out ?? ((line: string) => void process.stdout.write(line + '\n'));
  const extensions = discoverExtensions(config.extensionsDir);
  if (extensions.length > 0) logger.info('external extensions found', { extensions: extensions.map((p) => p.slice(p.lastIndexOf('/') + 1)) });
  const pool = new Pool(config, logger, out, extensions);
  await pool.open();
  const submit = pool.submit.bind(pool);
  const server = http.createServer({ noDelay: true, keepAlive: true }, (req, res) => handleInvoke(submit, config.functionVersion, req, res));
  server.keepAliveTimeout = 65_000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.invokePort, config.invokeHost, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await pool.close();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  const stopWatching = config.watch.length
    ? watchCode(config.watch, logger, (file) => {
        logger.info('code changed, restarting runtime', { file });
        pool.restartAll();
      })
    : () => {};
  const host = config.invokeHost === '0.0.0.0' || config.invokeHost === '::' ? '127.0.0.1' : config.invokeHost;
  logger.info('listening', { invoke: `http://${config.invokeHost}:${port}/2015-03-31/functions/function/invocations`, runtimeApi: pool.slots[0]!.runtimeApi });
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    runtimeApi: pool.slots[0]!.runtimeApi,
    close() {
      closing ??= (async () => {
        stopWatching();
        await pool.close();
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
      })();
      return closing;
    },
  };
}
