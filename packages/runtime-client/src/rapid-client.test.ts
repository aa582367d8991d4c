import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { describe, test } from 'node:test';
import { RuntimeApiClient, RuntimeApiError, parseRuntimeApiAddress } from './rapid-client.js';

async function server(handle: (req: IncomingMessage, res: ServerResponse, body: string) => void) {
  const sockets = new Set<Socket>();
  let connections = 0;
  const s = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => (body += c));
    req.on('end', () => handle(req, res, body));
  });
  s.on('connection', (sock: Socket) => {
    connections++;
    sockets.add(sock);
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return {
    address: `127.0.0.1:${(s.address() as AddressInfo).port}`,
    connections: () => connections,
    sockets,
    close: () => new Promise<void>((r) => { s.closeAllConnections(); s.close(() => r()); }),
  };
}

describe('parseRuntimeApiAddress', () => {
  test('host:port and [v6]:port', () => {
    assert.deepEqual(parseRuntimeApiAddress('127.0.0.1:9001'), { hostname: '127.0.0.1', port: 9001 });
    assert.deepEqual(parseRuntimeApiAddress('[::1]:9001'), { hostname: '::1', port: 9001 });
    assert.deepEqual(parseRuntimeApiAddress('localhost:80'), { hostname: 'localhost', port: 80 });
    assert.throws(() => parseRuntimeApiAddress('no-port'), RuntimeApiError);
  });
});

describe('RuntimeApiClient', () => {
  test('next, response, error and init error on one kept-alive connection', async () => {
    const seen: string[] = [];
    const srv = await server((req, res, body) => {
      seen.push([req.method, req.url, req.headers['lambda-runtime-function-error-type'], body].filter(Boolean).join(' '));
      if (req.url!.endsWith('/next')) {
        res.writeHead(200, { 'Lambda-Runtime-Aws-Request-Id': 'id/1', 'Lambda-Runtime-Deadline-Ms': '1' }).end('{"e":1}');
      } else res.writeHead(202).end('{"status":"OK"}');
    });
    const client = new RuntimeApiClient(srv.address);
    try {
      const inv = await client.next();
      assert.equal(inv.requestId, 'id/1');
      assert.equal(inv.body, '{"e":1}');
      assert.equal((await client.postResponse(inv.requestId, '"ok"')).status, 202);
      await client.next();
      await client.postError('id/1', { errorType: 'Function.Bad', errorMessage: 'm', trace: [] });
      await client.postInitError({ errorType: 'Runtime.ImportModuleError', errorMessage: 'x', trace: [] });
      assert.deepEqual(seen, [
        'GET /2018-06-01/runtime/invocation/next',
        'POST /2018-06-01/runtime/invocation/id%2F1/response "ok"',
        'GET /2018-06-01/runtime/invocation/next',
        'POST /2018-06-01/runtime/invocation/id%2F1/error Function.Bad {"errorType":"Function.Bad","errorMessage":"m","trace":[]}',
        'POST /2018-06-01/runtime/init/error Runtime.ImportModuleError {"errorType":"Runtime.ImportModuleError","errorMessage":"x","trace":[]}',
      ]);
      assert.equal(srv.connections(), 1, 'every call reused the one connection');
    } finally {
      client.agent.destroy();
      await srv.close();
    }
  });

  test('a next without a request id, or not 200, is a RuntimeApiError', async () => {
    let status = 200;
    const srv = await server((_req, res) => res.writeHead(status).end('{}'));
    const client = new RuntimeApiClient(srv.address);
    try {
      await assert.rejects(client.next(), /without Lambda-Runtime-Aws-Request-Id/);
      status = 500;
      await assert.rejects(client.next(), (e: unknown) => e instanceof RuntimeApiError && e.status === 500);
    } finally {
      client.agent.destroy();
      await srv.close();
    }
  });

  test('a kept-alive socket the server dropped is replaced transparently', async () => {
    const srv = await server((_req, res) => res.writeHead(202).end('{}'));
    const client = new RuntimeApiClient(srv.address);
    try {
      await client.postResponse('a', 'null');
      // Drop the idle connection from the server side without the client noticing first.
      for (const s of srv.sockets) s.destroy();
      await new Promise((r) => setTimeout(r, 20));
      assert.equal((await client.postResponse('b', 'null')).status, 202);
    } finally {
      client.agent.destroy();
      await srv.close();
    }
  });
});
