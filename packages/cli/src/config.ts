import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where the CLI finds the platform; defaults match `lambdock up`. */
export interface ClientConfig {
  endpoint: string;
  registry: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

export const DEFAULT_API_PORT = 9600;
export const DEFAULT_REGISTRY_PORT = 5000;

export function lambdockHome(): string {
  return process.env['LAMBDOCK_HOME'] ?? join(homedir(), '.lambdock');
}

export function clientConfig(overrides: { endpoint?: string | undefined; registry?: string | undefined } = {}): ClientConfig {
  return {
    endpoint: overrides.endpoint ?? process.env['LAMBDOCK_ENDPOINT'] ?? `http://localhost:${DEFAULT_API_PORT}`,
    registry: overrides.registry ?? process.env['LAMBDOCK_REGISTRY'] ?? `localhost:${DEFAULT_REGISTRY_PORT}`,
    region: process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'] ?? 'us-east-1',
    credentials: {
      accessKeyId: process.env['LAMBDOCK_ACCESS_KEY_ID'] ?? process.env['AWS_ACCESS_KEY_ID'] ?? 'lambdock',
      secretAccessKey: process.env['LAMBDOCK_SECRET_ACCESS_KEY'] ?? process.env['AWS_SECRET_ACCESS_KEY'] ?? 'lambdock',
    },
  };
}
