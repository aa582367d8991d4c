import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startHarness, request, invokeRequest, NEXT, resp } from './harness.js';
import type { TelemetryEvent } from './telemetry.js';

async function receiver(): Promise<{ url: string; batches: TelemetryEvent[][]; close(): Promise<void>; waitFor(pred: (all: TelemetryEvent[]) => boolean): Promise<TelemetryEvent[]> }> {
  const batches: TelemetryEvent[][] = [];
  let notify = (): void => {};
  const server = http.createServer((req, res) => {
    let b = '';
    req.on('data', (c) => (b += c));
    req.on('end', () => {
      batches.push(JSON.parse(b) as TelemetryEvent[]);
      res.end();
      notify();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://sandbox.localdomain:${port}/telemetry`,
    batches,
    close: () => new Promise<void>((r) => server.close(() => r())),
    waitFor: (pred) =>
      new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('telemetry not delivered: ' + JSON.stringify(batches))), 5000);
        const check = (): void => {
          const all = batches.flat();
          if (pred(all)) {
            clearTimeout(t);
            resolve(all);
          }
        };
        notify = check;
        check();
      }),
  };
}

test('telemetry subscribers get platform events and function logs as JSON batches', async () => {
  const h = await startHarness();
  const rx = await receiver();
  try {
    const reg = await request(h, 'POST', '/2020-01-01/extension/register', { body: '{"events":[]}', headers: { 'Lambda-Extension-Name': 'tel' } });
    const id = String(reg.headers['lambda-extension-identifier']);
    const bad = await request(h, 'PUT', '/2022-07-01/telemetry', {
      headers: { 'Lambda-Extension-Identifier': id },
      body: JSON.stringify({ schemaVersion: '2022-12-13', destination: { protocol: 'HTTP', URI: rx.url }, types: ['platform'], buffering: { maxItems: 1 } }),
    });
    assert.equal(bad.status, 400);
    assert.equal((bad.json() as { errorType: string }).errorType, 'ValidationError');
    const noId = await request(h, 'PUT', '/2022-07-01/telemetry', { body: '{}' });
    assert.equal(noId.status, 403);

    const sub = await request(h, 'PUT', '/2022-07-01/telemetry', {
      headers: { 'Lambda-Extension-Identifier': id },
      body: JSON.stringify({
        schemaVersion: '2022-12-13',
        destination: { protocol: 'HTTP', URI: rx.url },
        types: ['platform', 'function'],
        buffering: { maxItems: 1000, maxBytes: 262144, timeoutMs: 25 },
      }),
    });
    assert.equal(sub.status, 200);
    void request(h, 'GET', '/2020-01-01/extension/event/next', { headers: { 'Lambda-Extension-Identifier': id } }).catch(() => {});
    const next = request(h, 'GET', NEXT);
    await h.env.ready();
    const result = h.env.invoke(invokeRequest('tel-1'));
    await next;
    h.env.functionLog('hello from the function');
    await request(h, 'POST', resp('tel-1'), { body: '{}' });
    await result;
    void request(h, 'GET', NEXT).catch(() => {});
    const all = await rx.waitFor((evs) => evs.some((e) => e.type === 'platform.report'));
    const types = all.map((e) => e.type);
    for (const t of ['platform.initStart', 'platform.initRuntimeDone', 'platform.initReport', 'platform.start', 'platform.runtimeDone', 'platform.report', 'function'])
      assert.ok(types.includes(t), `${t} delivered (got ${types.join(', ')})`);
    const fnLog = all.find((e) => e.type === 'function');
    assert.equal(fnLog?.record, 'hello from the function');
    const report = all.find((e) => e.type === 'platform.report')!.record as { requestId: string; status: string; metrics: Record<string, number> };
    assert.equal(report.requestId, 'tel-1');
    assert.equal(report.status, 'success');
    assert.equal(report.metrics['memorySizeMB'], 128);
    assert.ok(typeof report.metrics['initDurationMs'] === 'number');
    assert.ok(all.every((e) => typeof e.time === 'string' && !Number.isNaN(Date.parse(e.time))));
  } finally {
    await h.close();
    await rx.close();
  }
});

test('maxItems caps each batch', async () => {
  const h = await startHarness();
  const rx = await receiver();
  try {
    const reg = await request(h, 'POST', '/2020-01-01/extension/register', { body: '{"events":[]}', headers: { 'Lambda-Extension-Name': 'tel' } });
    const id = String(reg.headers['lambda-extension-identifier']);
    await request(h, 'PUT', '/2022-07-01/telemetry', {
      headers: { 'Lambda-Extension-Identifier': id },
      body: JSON.stringify({ schemaVersion: '2022-12-13', destination: { protocol: 'HTTP', URI: rx.url }, types: ['function'], buffering: { maxItems: 25, timeoutMs: 30000 } }),
    });
    for (let i = 0; i < 60; i++) h.env.functionLog(`line ${i}`);
    const all = await rx.waitFor((evs) => evs.length >= 50);
    assert.equal(all.length, 50, 'two full batches arrive at once; the rest waits for the timeout');
    assert.ok(rx.batches.every((b) => b.length === 25));
  } finally {
    await h.close();
    await rx.close();
  }
});
