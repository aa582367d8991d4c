#!/usr/bin/env node
// Function URL request latency against a direct Invoke of the same warm function, in one
// run: the same keep-alive client alternates rounds of both (so drift hits both alike).
// A URL request goes HTTP → URL lookup → payload-2.0 event → invoke service → runc sandbox
// (Node runtime client) → the result mapped back to HTTP; the reference is
// POST /2015-03-31/functions/{name}/invocations with a small JSON event.
// The handler returns a constant structured response, so both paths do the same work in
// the function; what differs is the platform's URL layer (event build, response mapping).
//
//   npx tsc -b packages/platform packages/base-images && node bench/function-url.mjs     (root; BENCH_N=3000, BENCH_ROUNDS=10)
import http from 'node:http';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

// bench/invoke.mjs builds the image and platform; it runs its own worker code when loaded in a
// worker thread, so only the main thread imports it.
const lib = isMainThread ? await import('./invoke.mjs') : undefined;

process.env.LAMBDOCK_LOG_LEVEL ??= 'warn';
const now = () => performance.now();
const fmt = (ms) => `${ms.toFixed(3)} ms`;

function summarize(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { p50: q(0.5), p90: q(0.9), p99: q(0.99), n: s.length };
}

function request(agent, endpoint, method, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ agent, host: endpoint.host, port: endpoint.port, method, path, headers: { 'content-length': body ? Buffer.byteLength(body) : 0, ...headers } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function alternate(endpoint, urlPath, urlHost, n, rounds) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const invokePath = '/2015-03-31/functions/web/invocations';
  const payload = '{"hello":"world"}';
  const hit = {
    invoke: () => request(agent, endpoint, 'POST', invokePath, payload),
    url: () => request(agent, endpoint, 'GET', urlPath, undefined, { host: urlHost }),
  };
  for (let i = 0; i < 300; i++) {
    await hit.invoke();
    await hit.url();
  }
  const lat = { invoke: [], url: [] };
  const per = Math.ceil(n / rounds);
  for (let r = 0; r < rounds; r++) {
    for (const kind of r % 2 ? ['url', 'invoke'] : ['invoke', 'url']) {
      for (let i = 0; i < per; i++) {
        const s = now();
        const res = await hit[kind]();
        lat[kind].push(now() - s);
        if (res.status !== 200 || !res.body.includes('"ok":true')) throw new Error(`${kind}: bad answer ${res.status} ${res.body}`);
      }
    }
  }
  agent.destroy();
  return { invoke: summarize(lat.invoke), url: summarize(lat.url) };
}

async function main() {
  const N = Number(process.env.BENCH_N ?? 3000);
  const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
  const env = await lib.setup(`export const handler = async () => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}', ok: true });\n`);
  try {
    await lib.createActive(env.endpoint, 'web', env.imageUri, { MemorySize: 1024, Timeout: 30 });
    const created = await request(new http.Agent(), env.endpoint, 'POST', '/2021-10-31/functions/web/url', JSON.stringify({ AuthType: 'NONE' }), { 'content-type': 'application/json' });
    if (created.status !== 201) throw new Error(`CreateFunctionUrlConfig failed: ${created.status} ${created.body}`);
    const fnUrl = new URL(JSON.parse(created.body).FunctionUrl);
    const r = await new Promise((resolve, reject) => {
      const w = new Worker(new URL(import.meta.url), { workerData: [env.endpoint, '/', fnUrl.host, N, ROUNDS] });
      w.once('message', resolve);
      w.once('error', reject);
    });
    console.log(`command: BENCH_N=${N} BENCH_ROUNDS=${ROUNDS} node bench/function-url.mjs   (${new Date().toISOString()}, ${process.version})`);
    console.log(`function URL (GET ${fnUrl.origin}/)      p50 ${fmt(r.url.p50)}  p90 ${fmt(r.url.p90)}  p99 ${fmt(r.url.p99)}  (n=${r.url.n})`);
    console.log(`reference: Invoke API, same function    p50 ${fmt(r.invoke.p50)}  p90 ${fmt(r.invoke.p90)}  p99 ${fmt(r.invoke.p99)}  (n=${r.invoke.n})`);
    console.log(`URL overhead over Invoke: p50 ${fmt(r.url.p50 - r.invoke.p50)}  p99 ${fmt(r.url.p99 - r.invoke.p99)}   (target ≤ 0.3 ms at p50)`);
  } finally {
    await env.close();
  }
}

if (!isMainThread) parentPort.postMessage(await alternate(...workerData));
else if (import.meta.url === `file://${process.argv[1]}`) await main();
