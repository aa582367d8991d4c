#!/usr/bin/env node
// `aws-lambda-rie` / `lambdock-rie`: the runtime interface emulator's command line.
import { parseConfig, USAGE, UsageError } from './config.js';
import { startEmulator } from './emulator.js';
import { humanLogger } from './log.js';

async function main(argv: string[]): Promise<void> {
  let config;
  try {
    config = parseConfig(argv, process.env);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`aws-lambda-rie: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  if (!config) {
    process.stdout.write(USAGE);
    return;
  }
  const logger = humanLogger(config.logLevel);
  let emulator;
  try {
    emulator = await startEmulator(config, { logger });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const where = /(\S+:\d+)\s*$/.exec(e.message)?.[1] ?? '';
    const what = e.code === 'EADDRINUSE' ? `${where || 'the address'} is already in use (pick another with --runtime-interface-emulator-address / --runtime-api-address)` : e.message;
    logger.error(`cannot start: ${what}`);
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    void emulator.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main(process.argv.slice(2));
