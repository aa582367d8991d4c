import type { Server } from 'node:http';
import { createRuntimeApiServer } from '@lambdock/runtime-api';
import type { RuntimeEnvironment } from '@lambdock/runtime-api';

/**
 * One Runtime API server for every execution environment, on the sandbox bridge's
 * host address. A request belongs to the environment whose sandbox address it comes
 * from (each sandbox has its own network namespace and IP, so it cannot pose as another).
 */
export class RuntimeApiRouter {
  readonly #byAddress = new Map<string, RuntimeEnvironment>();
  readonly server: Server;

  constructor() {
    this.server = createRuntimeApiServer((req) => {
      const ip = req.socket.remoteAddress ?? '';
      return this.#byAddress.get(ip.startsWith('::ffff:') ? ip.slice(7) : ip);
    });
  }

  register(address: string, env: RuntimeEnvironment): void {
    this.#byAddress.set(address, env);
  }

  unregister(address: string, env: RuntimeEnvironment): void {
    if (this.#byAddress.get(address) === env) this.#byAddress.delete(address);
  }

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
