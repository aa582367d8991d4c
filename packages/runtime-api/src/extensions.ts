import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { RuntimeEnvironment } from './environment.js';

/** External extensions: executable files directly in `dir` (Lambda: /opt/extensions), in name order. */
export function discoverExtensions(dir = '/opt/extensions'): string[] {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return [];
  }
  return names
    .map((n) => join(dir, n))
    .filter((p) => {
      try {
        if (!statSync(p).isFile()) return false;
        accessSync(p, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

export interface LaunchedExtension {
  name: string;
  process: ChildProcess;
}

export interface LaunchExtensionsOptions {
  paths: readonly string[];
  /** Environment for the extension processes (must contain AWS_LAMBDA_RUNTIME_API). */
  env: NodeJS.ProcessEnv;
  /** Each line an extension writes (stdout and stderr). */
  onLine?: (name: string, line: string) => void;
  /** How long to wait for every extension to register (Lambda starts the runtime only after). */
  registerTimeoutMs?: number;
}

/**
 * Starts external extensions and waits until each has registered (or exited), as
 * Lambda does before it starts the runtime. The caller owns the processes: it kills
 * them on shutdown after `env.shutdown()` resolves.
 */
export async function launchExtensions(environment: RuntimeEnvironment, opts: LaunchExtensionsOptions): Promise<LaunchedExtension[]> {
  const launched: LaunchedExtension[] = [];
  const waiting = new Set<string>();
  let resolveAll!: () => void;
  const allDone = new Promise<void>((r) => (resolveAll = r));
  const settle = (name: string): void => {
    waiting.delete(name);
    if (waiting.size === 0) resolveAll();
  };
  const onRegistered = (name: string): void => settle(name);
  environment.on('extension-registered', onRegistered);
  for (const path of opts.paths) {
    const name = path.slice(path.lastIndexOf('/') + 1);
    waiting.add(name);
    // Own process group, so the owner can end the extension and whatever it started together.
    const child = spawn(path, [], { env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const forward = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.length === 0) continue;
        opts.onLine?.(name, line);
        environment.extensionLog(line);
      }
    };
    child.stdout?.on('data', forward);
    child.stderr?.on('data', forward);
    child.on('error', () => settle(name));
    child.on('exit', () => {
      environment.extensionExited(name);
      settle(name);
    });
    launched.push({ name, process: child });
  }
  if (waiting.size === 0) resolveAll();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([allDone, new Promise<void>((r) => (timer = setTimeout(r, opts.registerTimeoutMs ?? 10_000)))]);
  clearTimeout(timer);
  environment.off('extension-registered', onRegistered);
  return launched;
}
