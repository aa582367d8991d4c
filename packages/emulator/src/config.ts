import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { ValidationError } from '@lambdock/common';

/** Everything the emulator is told by flags and environment, in the same spelling as AWS's `aws-lambda-rie`. */
export interface EmulatorConfig {
  /** Invoke endpoint, `--runtime-interface-emulator-address` (default 0.0.0.0:8080). */
  invokeHost: string;
  invokePort: number;
  /** Runtime API, `--runtime-api-address` (default 127.0.0.1:9001). */
  runtimeApiHost: string;
  runtimeApiPort: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Runtime processes run side by side (`--max-concurrency`, default 1: further invokes queue). */
  maxConcurrency: number;
  /** Restart the runtime when anything under these directories changes (`--watch`). */
  watch: string[];
  /** External extensions directory (Lambda: /opt/extensions). */
  extensionsDir: string;
  /** Bootstrap command and its arguments; empty when none was found. */
  bootstrap: string[];
  functionName: string;
  functionVersion: string;
  memorySizeMb: number;
  timeoutSec: number;
  handler: string;
  region: string;
  accountId: string;
  taskRoot: string;
}

export const BOOTSTRAP_CANDIDATES = ['/var/task/bootstrap', '/opt/bootstrap', '/var/runtime/bootstrap'] as const;

export const USAGE = `Usage: aws-lambda-rie [OPTIONS] [BOOTSTRAP [ARGS...]]

Runs a Lambda runtime locally and serves the Lambda invoke API for it.

Options:
  --runtime-interface-emulator-address HOST:PORT  invoke endpoint (default 0.0.0.0:8080)
  --runtime-api-address HOST:PORT                 Runtime API for the runtime (default 127.0.0.1:9001)
  --log-level LEVEL                               debug, info, warn or error (default info)
  --max-concurrency N                             run up to N runtime processes at once (default 1; more invokes queue)
  --watch DIR                                     restart the runtime when files under DIR change (repeatable)
  --extensions-dir DIR                            external extensions (default /opt/extensions)
  -h, --help                                      this text

Environment: AWS_LAMBDA_FUNCTION_NAME (test_function), AWS_LAMBDA_FUNCTION_VERSION ($LATEST),
AWS_LAMBDA_FUNCTION_MEMORY_SIZE (3008), AWS_LAMBDA_FUNCTION_TIMEOUT (300 seconds), _HANDLER.
Without BOOTSTRAP the first of ${BOOTSTRAP_CANDIDATES.join(', ')} that exists is run.

Invoke: curl -XPOST http://localhost:8080/2015-03-31/functions/function/invocations -d '{}'
`;

export class UsageError extends ValidationError {}

function hostPort(flag: string, v: string): [string, number] {
  const i = v.lastIndexOf(':');
  const host = i >= 0 ? v.slice(0, i).replace(/^\[|\]$/g, '') : v;
  const port = i >= 0 ? Number(v.slice(i + 1)) : NaN;
  if (!host || !Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`${flag} expects HOST:PORT, got ${JSON.stringify(v)}`);
  return [host, port];
}

function positiveInt(name: string, raw: string | undefined, dflt: number): number {
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

/** Parses flags and environment. Returns undefined for --help. Throws UsageError with a clear message. */
export function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv, exists: (p: string) => boolean = existsSync): EmulatorConfig | undefined {
  const flags = new Map<string, string[]>();
  const positional: string[] = [];
  const valued = new Set(['runtime-interface-emulator-address', 'runtime-api-address', 'log-level', 'max-concurrency', 'watch', 'extensions-dir']);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (positional.length > 0 || !a.startsWith('-')) {
      positional.push(a); // everything from the bootstrap on belongs to the bootstrap
      continue;
    }
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (a === '-h' || a === '--help') return undefined;
    const body = a.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    if (!valued.has(name)) throw new UsageError(`unknown flag ${a}\n\n${USAGE}`);
    const value = eq >= 0 ? body.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new UsageError(`${a} needs a value`);
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  const one = (n: string): string | undefined => flags.get(n)?.at(-1);
  const [invokeHost, invokePort] = hostPort('--runtime-interface-emulator-address', one('runtime-interface-emulator-address') ?? '0.0.0.0:8080');
  const [runtimeApiHost, runtimeApiPort] = hostPort('--runtime-api-address', one('runtime-api-address') ?? '127.0.0.1:9001');
  const rawLevel = (one('log-level') ?? env['LOG_LEVEL'] ?? 'info').toLowerCase();
  const levelMap: Record<string, EmulatorConfig['logLevel']> = { trace: 'debug', debug: 'debug', info: 'info', warn: 'warn', warning: 'warn', error: 'error', fatal: 'error', panic: 'error' };
  const logLevel = levelMap[rawLevel];
  if (!logLevel) throw new UsageError(`--log-level must be one of debug, info, warn, error; got ${JSON.stringify(rawLevel)}`);
  const bootstrap = positional.length > 0 ? positional : (BOOTSTRAP_CANDIDATES.filter((p) => exists(p)).slice(0, 1) as string[]);
  // The runtime starts in the task root; a relative bootstrap path means the caller's directory.
  if (bootstrap[0]?.includes('/') && !isAbsolute(bootstrap[0])) bootstrap[0] = resolve(bootstrap[0]);
  return {
    invokeHost,
    invokePort,
    runtimeApiHost,
    runtimeApiPort,
    logLevel,
    maxConcurrency: positiveInt('--max-concurrency', one('max-concurrency'), 1),
    watch: flags.get('watch') ?? [],
    extensionsDir: one('extensions-dir') ?? '/opt/extensions',
    bootstrap,
    functionName: env['AWS_LAMBDA_FUNCTION_NAME'] || 'test_function',
    functionVersion: env['AWS_LAMBDA_FUNCTION_VERSION'] || '$LATEST',
    memorySizeMb: positiveInt('AWS_LAMBDA_FUNCTION_MEMORY_SIZE', env['AWS_LAMBDA_FUNCTION_MEMORY_SIZE'], 3008),
    timeoutSec: positiveInt('AWS_LAMBDA_FUNCTION_TIMEOUT', env['AWS_LAMBDA_FUNCTION_TIMEOUT'], 300),
    handler: env['_HANDLER'] ?? '',
    region: env['AWS_REGION'] || env['AWS_DEFAULT_REGION'] || 'us-east-1',
    accountId: '123456789012',
    taskRoot: env['LAMBDA_TASK_ROOT'] || '/var/task',
  };
}
