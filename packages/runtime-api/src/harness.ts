// Helpers for this package's tests: a Runtime API server on an ephemeral port and a raw HTTP client.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { RuntimeEnvironment, type RuntimeEnvironmentOptions } from './environment.js';
import { createRuntimeApiServer } from './router.js';
import type { InvokeRequest } from './types.js';

export interface Harness {
  env: RuntimeEnvironment;
  base: string;
  agent: http.Agent;
  close(): Promise<void>;
}

export async function startHarness(opts: Partial<RuntimeEnvironmentOptions> = {}): Promise<Harness> {
  const env = new RuntimeEnvironment({ functionName: 'fn', functionVersion: '$LATEST', memorySizeMb: 128, handler: 'index.handler', ...opts });
  const server = createRuntimeApiServer(() => env);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const agent = new http.Agent({ keepAlive: true });
  return {
    env,
    base: `http://127.0.0.1:${port}`,
    agent,
    async close() {
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json(): unknown;
}

export function request(
  h: Harness,
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; body?: string | Buffer; trailers?: Record<string, string>; chunks?: (string | Buffer)[] } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(h.base + path, { method, agent: h.agent, headers: opts.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) });
      });
    });
    req.on('error', reject);
    if (opts.chunks) {
      for (const c of opts.chunks) req.write(c);
      if (opts.trailers) req.addTrailers(opts.trailers);
      req.end();
    } else req.end(opts.body);
  });
}

export function invokeRequest(id: string, payload = '{"hello":"world"}', extra: Partial<InvokeRequest> = {}): InvokeRequest {
  return {
    requestId: id,
    payload: Buffer.from(payload),
    deadlineMs: Date.now() + 3000,
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:fn',
    ...extra,
  };
}

export const NEXT = '/2018-06-01/runtime/invocation/next';
export const resp = (id: string): string => `/2018-06-01/runtime/invocation/${id}/response`;
export const err = (id: string): string => `/2018-06-01/runtime/invocation/${id}/error`;
