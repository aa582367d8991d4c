import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = process.env['LAMBDOCK_REPO_ROOT'] ?? resolve(fileURLToPath(import.meta.url), '../../../..');
export const CLI = join(REPO, 'packages/cli/bin/lambdock.js');

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej).listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

/** Why `lambdock up` with runc sandboxes cannot run here, or undefined when it can. */
export function upUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (runc sandboxes, overlay mounts, network namespaces)';
  if (spawnSync('sh', ['-c', 'command -v runc'], { stdio: 'ignore' }).status !== 0) return 'runc is not installed (scripts/ensure-system.sh installs it)';
  return undefined;
}

export interface Up {
  endpoint: string;
  registry: string;
  home: string;
  env: NodeJS.ProcessEnv;
  output: () => string;
  stop(): Promise<void>;
}

/** Starts `lambdock up` on free ports with a fresh data directory, as a user would. */
export async function startUp(): Promise<Up> {
  const [api, reg, rapi] = [await freePort(), await freePort(), 20000 + Math.floor(Math.random() * 9000)];
  const home = mkdtempSync(join(tmpdir(), 'lambdock-up-'));
  let out = '';
  const child: ChildProcess = spawn(process.execPath, [CLI, 'up', '--home', home, '--port', String(api), '--registry-port', String(reg), '--runtime-api-port', String(rapi)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LAMBDOCK_LOG_LEVEL: 'warn' },
  });
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`lambdock up did not start in 60 s:\n${out}`)), 60_000);
    const check = () => {
      if (out.includes('Lambdock is up')) {
        clearTimeout(timer);
        res();
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`lambdock up exited with ${code}:\n${out}`));
    });
  });
  const endpoint = `http://localhost:${api}`;
  const registry = `localhost:${reg}`;
  return {
    endpoint,
    registry,
    home,
    env: { ...process.env, LAMBDOCK_ENDPOINT: endpoint, LAMBDOCK_REGISTRY: registry, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', NO_COLOR: '1' },
    output: () => out,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(home, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}
