import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { InvalidStreamingOperation } from './errors.js';
import { RuntimeApiClient } from './rapid-client.js';
import { HttpResponseStream, ResponseStream } from './response-stream.js';

interface Received {
  headers: IncomingMessage['headers'];
  body: Buffer;
  trailers: Record<string, string>;
}

async function withServer(run: (client: RuntimeApiClient, received: Promise<Received>) => Promise<void>) {
  let resolve!: (r: Received) => void;
  const received = new Promise<Received>((r) => (resolve = r));
  const srv = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      res.writeHead(202).end('{"status":"OK"}');
      resolve({ headers: req.headers, body: Buffer.concat(parts), trailers: req.trailers as Record<string, string> });
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const client = new RuntimeApiClient(`127.0.0.1:${(srv.address() as AddressInfo).port}`);
  try {
    await run(client, received);
  } finally {
    client.agent.destroy();
    srv.closeAllConnections();
    await new Promise<void>((r) => srv.close(() => r()));
  }
}

describe('ResponseStream', () => {
  test('streaming headers; objects are written as JSON', async () => {
    await withServer(async (client, received) => {
      const stream = new ResponseStream(client.openResponseStream('r1'));
      stream.write('a');
      stream.write(Buffer.from('b'));
      stream.write({ c: 1 });
      stream.end();
      assert.equal((await stream.completion()).status, 202);
      const got = await received;
      assert.equal(got.headers['lambda-runtime-function-response-mode'], 'streaming');
      assert.equal(got.headers['transfer-encoding'], 'chunked');
      assert.equal(got.headers['content-type'], 'application/octet-stream');
      assert.equal(got.body.toString(), 'ab{"c":1}');
      assert.deepEqual(got.trailers, {});
    });
  });

  test('content type is fixed once the first byte is written', async () => {
    await withServer(async (client) => {
      const stream = new ResponseStream(client.openResponseStream('r2'));
      stream.setContentType('text/csv');
      stream.write('x');
      assert.throws(() => stream.setContentType('text/html'), InvalidStreamingOperation);
      stream.end();
      await stream.completion();
    });
  });

  test('HttpResponseStream prelude goes out even with no body', async () => {
    await withServer(async (client, received) => {
      const stream = HttpResponseStream.from(new ResponseStream(client.openResponseStream('r3')), { statusCode: 204 });
      stream.end();
      await stream.completion();
      const got = await received;
      assert.equal(got.headers['content-type'], 'application/vnd.awslambda.http-integration-response');
      assert.deepEqual(got.body, Buffer.concat([Buffer.from('{"statusCode":204}'), Buffer.alloc(8)]));
    });
  });

  test('fail() and destroy(err) end the response with error trailers', async () => {
    await withServer(async (client, received) => {
      const stream = new ResponseStream(client.openResponseStream('r4'));
      stream.write('some');
      assert.equal(stream.fail(new SyntaxError('midway')), true);
      await stream.completion();
      const got = await received;
      assert.equal(got.body.toString(), 'some');
      assert.equal(got.trailers['lambda-runtime-function-error-type'], 'SyntaxError');
      const body = JSON.parse(Buffer.from(got.trailers['lambda-runtime-function-error-body']!, 'base64').toString()) as Record<string, unknown>;
      assert.equal(body.errorMessage, 'midway');
      assert.equal(stream.fail(new Error('again')), false, 'too late once ended');
    });
    await withServer(async (client, received) => {
      const stream = new ResponseStream(client.openResponseStream('r5'));
      stream.write('x');
      await new Promise((r) => setTimeout(r, 10));
      stream.destroy(new Error('destroyed by handler'));
      await stream.completion();
      const got = await received;
      assert.equal(got.trailers['lambda-runtime-function-error-type'], 'Error');
    });
  });

  test('a write after end is reported, not thrown at the process', async () => {
    await withServer(async (client) => {
      const logged: unknown[][] = [];
      const original = console.error;
      console.error = (...args: unknown[]) => void logged.push(args);
      try {
        const stream = new ResponseStream(client.openResponseStream('r6'));
        stream.end('done');
        stream.write('late');
        await stream.completion();
        await new Promise((r) => setImmediate(r));
      } finally {
        console.error = original;
      }
      assert.equal(logged.length, 1);
      assert.match(String(logged[0]![1]), /write after end/);
    });
  });
});
