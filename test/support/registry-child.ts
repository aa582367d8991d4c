// A registry in its own process (for crash tests and benchmarks): prints
// `LISTENING <port>` on stdout once it serves. Usage: node registry-child.js <root> [port]
import { createLogger } from '@lambdock/common';
import { createRegistry } from '@lambdock/registry';

const [root, port = '0'] = process.argv.slice(2);
if (!root) {
  console.error('usage: registry-child <root> [port]');
  process.exit(2);
}
const registry = await createRegistry({ root, auth: { mode: 'open-loopback' }, logger: createLogger({ level: 'warn' }) });
const server = await registry.listen(Number(port));
process.stdout.write(`LISTENING ${(server.address() as { port: number }).port}\n`);
const stop = (): void => void registry.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
