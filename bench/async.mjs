#!/usr/bin/env node
// Asynchronous invocation: how fast events are accepted (202 only once durable) and how
// long 1,000 events take from the first request to the last one run.
//
//   1. queue alone: SqliteEventQueue.enqueue of BENCH_QUEUE_N events issued together (group
//      commit: one transaction + fsync per turn of the event loop) against the reference run
//      here, the same queue awaited one event at a time (one commit + fsync per event, what a
//      queue without group commit does).
//   2. whole service: BENCH_N Event invokes over HTTP (32 keep-alive connections) to a function
//      in runc sandboxes (busybox sh runtime from the platform's test fixtures): accepted/s,
//      then the time until every event has run (dispatcher idle, START line of each).
//   Reference for 2: AWS documents only behaviour, no figure — Invoke with InvocationType Event
//   answers 202 as soon as the event is queued; events run asynchronously "usually within
//   seconds"; function errors are retried after ~1 and ~2 min. Target here: enqueue ≥ 5,000/s.
//
//   npx tsc -b packages/platform && node bench/async.mjs      (root; BENCH_QUEUE_N=20000 BENCH_N=1000)
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { createPlatform, SqliteEventQueue } from '@lambdock/platform';
import { RuncRuntime } from '@lambdock/sandbox';
import { createLogger } from '@lambdock/common';
import { ImageFactory, freePort, shHandler, startRegistry } from '@lambdock/platform/testing';

// An HTTP client sending Event invokes on keep-alive connections; posts the elapsed ms.
const CLIENT = `
const http = require('node:http');
const { parentPort, workerData: d } = require('node:worker_threads');
const agent = new http.Agent({ keepAlive: true, maxSockets: d.connections });
let k = 0;
const ids = [];
const one = () => new Promise((resolve, reject) => {
  const req = http.request(d.base + d.path, { method: 'POST', agent, headers: { 'x-amz-invocation-type': 'Event', 'content-length': 7 } }, (res) => {
    res.resume();
    ids.push(res.headers['x-amzn-requestid']);
    res.on('end', () => (res.statusCode === 202 ? resolve() : reject(new Error('status ' + res.statusCode))));
  });
  req.on('error', reject);
  req.end('{"n":1}');
});
const t0 = performance.now();
Promise.all(Array.from({ length: d.connections }, async () => { while (k < d.n) { k++; await one(); } })).then(() => {
  parentPort.postMessage({ ms: performance.now() - t0, ids });
  agent.destroy();
});
`;

const QUEUE_N = Number(process.env.BENCH_QUEUE_N ?? 20_000);
const N = Number(process.env.BENCH_N ?? 1000);
const now = () => performance.now();
const work = mkdtempSync(join(tmpdir(), 'lambdock-bench-async-'));
const event = (i) => ({ id: randomUUID(), functionName: 'f', qualifier: '$LATEST', payload: Buffer.from(`{"n":${i}}`), enqueuedAt: Date.now() });

try {
  console.log(`command: npx tsc -b packages/platform && BENCH_QUEUE_N=${QUEUE_N} BENCH_N=${N} node bench/async.mjs`);
  console.log(`\n1. queue alone (SQLite WAL; every acknowledged write fsynced; ${join(work, 'q')})`);
  {
    const q = new SqliteEventQueue(join(work, 'q', 'grouped.db'));
    const t0 = now();
    await Promise.all(Array.from({ length: QUEUE_N }, (_, i) => q.enqueue(event(i))));
    const ms = now() - t0;
    await q.close();
    const ref = new SqliteEventQueue(join(work, 'q', 'per-event.db'));
    const refN = Math.min(QUEUE_N, 2000);
    const r0 = now();
    for (let i = 0; i < refN; i++) await ref.enqueue(event(i));
    const refMs = now() - r0;
    await ref.close();
    const rate = (QUEUE_N / ms) * 1000;
    const refRate = (refN / refMs) * 1000;
    console.log(`   group commit      ${QUEUE_N} events in ${ms.toFixed(0)} ms = ${rate.toFixed(0)} events/s`);
    console.log(`   reference         ${refN} events one commit each in ${refMs.toFixed(0)} ms = ${refRate.toFixed(0)} events/s`);
    console.log(`   → ${(rate / refRate).toFixed(1)}× the per-event commit`);
  }

  console.log(`\n2. whole service: ${N} Event invokes over HTTP, function in runc sandboxes`);
  const registry = await startRegistry();
  const images = new ImageFactory();
  const port = await freePort();
  const platform = await createPlatform({
    home: join(work, 'home'),
    sandbox: new RuncRuntime({ stateDir: join(work, 'home', 'sandbox'), runtimeApiPort: port }),
    runtimeApiPort: port,
    logger: createLogger({ level: 'error', base: { component: 'bench' } }),
  });
  try {
    const image = `${registry.host}/bench/async:v1`;
    await images.push(image, { 'var/task/function.sh': shHandler('bench') });
    const server = await platform.listen(0);
    const base = `http://127.0.0.1:${server.address().port}`;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
    const request = (method, path, body, headers = {}) =>
      new Promise((resolve, reject) => {
        const req = http.request(base + path, { method, agent, headers: { 'content-length': Buffer.byteLength(body), ...headers } }, (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
        });
        req.on('error', reject);
        req.end(body);
      });
    const created = await request('POST', '/2015-03-31/functions', JSON.stringify({ FunctionName: 'bench', PackageType: 'Image', Code: { ImageUri: image }, Role: 'arn:aws:iam::123456789012:role/r' }), { 'content-type': 'application/json' });
    if (created.status !== 201) throw new Error(created.body);
    for (;;) {
      const c = JSON.parse((await request('GET', '/2015-03-31/functions/bench/configuration', '')).body);
      if (c.State === 'Active') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    // Warm one environment so the figure is about queueing, not the first cold start.
    await request('POST', '/2015-03-31/functions/bench/invocations', '{"warm":1}');

    const send = (path, n) =>
      new Promise((resolve, reject) => {
        const w = new Worker(CLIENT, { eval: true, workerData: { base, path, n, connections: 64 } });
        w.once('message', resolve);
        w.once('error', reject);
      });
    // 2a. the accept path alone: a function with reserved concurrency 0 (each event goes
    // straight to failure handling, no environment runs), so only HTTP + queue are measured.
    await request('POST', '/2015-03-31/functions', JSON.stringify({ FunctionName: 'parked', PackageType: 'Image', Code: { ImageUri: image }, Role: 'arn:aws:iam::123456789012:role/r' }), { 'content-type': 'application/json' });
    for (;;) {
      const c = JSON.parse((await request('GET', '/2015-03-31/functions/parked/configuration', '')).body);
      if (c.State === 'Active') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await request('PUT', '/2017-10-31/functions/parked/concurrency', '{"ReservedConcurrentExecutions":0}');
    {
      // The client runs in a worker thread (its own core), as a separate caller would.
      const M = Math.max(N, 10_000);
      const { ms } = await send('/2015-03-31/functions/parked/invocations', M);
      console.log(`   accept path       ${M} events (202) in ${ms.toFixed(0)} ms = ${((M / ms) * 1000).toFixed(0)} events/s over HTTP (64 connections, client in a worker thread)`);
      await platform.services.async.idle();
    }

    const t0 = now();
    const { ms: acceptedMs, ids } = await send('/2015-03-31/functions/bench/invocations', N);
    await platform.services.async.idle();
    const deliveredMs = now() - t0;
    const starts = await platform.services.logs.filterEvents('/aws/lambda/bench', { filterPattern: '"START RequestId"' });
    const ran = new Set(starts.events.map((e) => /START RequestId: (\S+)/.exec(e.message)?.[1]));
    const missing = ids.filter((id) => !ran.has(id)).length;
    agent.destroy();
    console.log(`   accepted          ${N} events (202) in ${acceptedMs.toFixed(0)} ms = ${((N / acceptedMs) * 1000).toFixed(0)} events/s over HTTP (64 connections, client in a worker thread; dispatch and cold starts running alongside)`);
    console.log(`   delivered         all ${N} run ${deliveredMs.toFixed(0)} ms after the first request (${missing} missing); environments ${JSON.stringify(platform.services.environments())}`);
    console.log(`   reference         AWS Lambda: 202 once queued; asynchronous processing "usually within seconds" (no published figure); target enqueue ≥ 5,000 events/s`);
  } finally {
    await platform.close();
    await registry.stop();
    images.close();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
