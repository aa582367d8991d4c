import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@lambdock/common';
import { createRegistry, type Registry, type RegistryOptions } from '../registry.js';

export interface Running {
  registry: Registry;
  base: string;
  root: string;
  stop(): Promise<void>;
}

/** A registry on an ephemeral loopback port with its own temp data dir. */
export async function startRegistry(opts: Partial<RegistryOptions> = {}): Promise<Running> {
  const root = opts.root ?? (await mkdtemp(join(tmpdir(), 'lambdock-registry-')));
  const registry = await createRegistry({
    auth: { mode: 'open-loopback' },
    logger: createLogger({ level: (process.env['LAMBDOCK_LOG_LEVEL'] as 'debug' | undefined) ?? 'silent' }),
    ...opts,
    root,
  });
  const server = await registry.listen(0);
  const addr = server.address() as { port: number };
  return {
    registry,
    root,
    base: `http://127.0.0.1:${addr.port}`,
    async stop() {
      await registry.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
