#!/usr/bin/env node
// Warm invoke through the whole Lambda service: HTTP API → invoke service → warm
// execution environment (runc sandbox, Node runtime client) → handler → back. A
// keep-alive client, first sequential (p50, p99, throughput), then 64 concurrent clients.
// Reference, run in the same script: the same image under `docker run -p …:8080`
// (the runtime interface emulator inside the image, what users run locally), sequential.
// The function echoes its event (warm-up events ask it to wait) on lambdock/nodejs:22.
//
//   npx tsc -b packages/platform packages/base-images && node bench/invoke.mjs     (root; BENCH_N=3000, BENCH_SECONDS=5)
import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { createPlatform } from '@lambdock/platform';
import { RuncRuntime } from '@lambdock/sandbox';
import { FsContentStore, RegistryClient, buildLayer, writeImage } from '@lambdock/oci';
import { buildBaseImages } from '@lambdock/base-images';

process.env.LAMBDOCK_LOG_LEVEL ??= 'warn';
const now = () => performance.now();

export function summarize(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { p50: q(0.5), p90: q(0.9), p99: q(0.99), min: s[0], n: s.length };
}
export const fmt = (ms) => `${ms.toFixed(3)} ms`;

async function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

async function startRegistry(dir) {
  writeFileSync(join(dir, 'registry.yml'), `version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'registry')}\nhttp:\n  addr: 127.0.0.1:0\n`);
  const child = spawn('/usr/bin/docker-registry', ['serve', join(dir, 'registry.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const host = await new Promise((resolve, reject) => {
    let log = '';
    const on = (b) => {
      log += b;
      const m = /listening on (127\.0\.0\.1:\d+)/.exec(log);
      if (m) {
        child.stdout.off('data', on).resume();
        child.stderr.off('data', on).resume();
        resolve(m[1]);
      }
    };
    child.stdout.on('data', on);
    child.stderr.on('data', on);
    child.once('exit', (c) => reject(new Error(`registry exited ${c}: ${log}`)));
  });
  return { host, stop: () => child.kill('SIGTERM') };
}

/**
 * A registry with `bench/<name>:1` = lambdock/nodejs:22 + app.mjs, and a platform serving
 * it on an ephemeral port. Shared by bench/coldstart.mjs.
 */
export async function setup(handlerSource, opts = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'lambdock-bench-invoke-'));
  const registry = await startRegistry(dir);
  await buildBaseImages({ images: ['nodejs:22'], push: registry.host, output: join(dir, 'layout') });
  const store = new FsContentStore(join(dir, 'store'));
  const client = new RegistryClient();
  const base = await client.pull(`${registry.host}/lambdock/nodejs:22`, store);
  const app = await buildLayer(store, [{ path: 'var/task/app.mjs', content: handlerSource }]);
  const img = await writeImage(store, { base: { manifest: base.manifest, config: base.config }, layers: [app], config: { Cmd: ['app.handler'] } });
  const imageUri = `${registry.host}/bench/fn:1`;
  await client.push(imageUri, store, img.manifestDigest);
  client.close();
  const port = await freePort();
  const sandbox = new RuncRuntime({ stateDir: join(dir, 'sandbox'), runtimeApiPort: port });
  const check = await sandbox.check();
  if (!check.ok) throw new Error(`runc sandboxes unavailable: ${check.reason}`);
  const platform = await createPlatform({ home: join(dir, 'home'), sandbox, runtimeApiPort: port, ...(opts.platform ?? {}) });
  const server = await platform.listen(0);
  const endpoint = { host: '127.0.0.1', port: server.address().port };
  return {
    dir,
    imageUri,
    registry,
    platform,
    endpoint,
    async close() {
      await platform.close();
      await sandbox.close();
      registry.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A minimal keep-alive HTTP client (node:http), one request at a time per call. */
export function request(agent, endpoint, method, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ agent, host: endpoint.host, port: endpoint.port, method, path, headers: { 'content-length': body ? Buffer.byteLength(body) : 0, ...headers } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

export async function createActive(endpoint, name, imageUri, extra = {}) {
  const agent = new http.Agent({ keepAlive: true });
  const body = JSON.stringify({ FunctionName: name, PackageType: 'Image', Code: { ImageUri: imageUri }, Role: 'arn:aws:iam::123456789012:role/bench', ...extra });
  const r = await request(agent, endpoint, 'POST', '/2015-03-31/functions', body, { 'content-type': 'application/json' });
  if (r.status !== 201) throw new Error(`create failed: ${r.status} ${r.body}`);
  for (;;) {
    const c = JSON.parse((await request(agent, endpoint, 'GET', `/2015-03-31/functions/${name}/configuration`)).body);
    if (c.State === 'Active') break;
    if (c.State === 'Failed') throw new Error(c.StateReason);
    await new Promise((r) => setTimeout(r, 50));
  }
  agent.destroy();
}

/** The load generator runs in a worker thread so it does not share the platform's event loop. */
export function inWorker(kind, args) {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL(import.meta.url), { workerData: { kind, args } });
    w.once('message', resolve);
    w.once('error', reject);
  });
}

async function sequential(endpoint, path, n) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const payload = '{"hello":"world"}';
  for (let i = 0; i < 200; i++) await request(agent, endpoint, 'POST', path, payload);
  const lat = [];
  const t0 = now();
  for (let i = 0; i < n; i++) {
    const s = now();
    const r = await request(agent, endpoint, 'POST', path, payload);
    lat.push(now() - s);
    if (r.status !== 200 || r.body !== payload) throw new Error(`bad answer ${r.status} ${r.body}`);
  }
  const secs = (now() - t0) / 1000;
  agent.destroy();
  return { ...summarize(lat), rps: n / secs };
}

async function concurrent(endpoint, path, clients, seconds) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const payload = '{"hello":"world"}';
  // Warm-up: one environment per client (each warm-up request holds its environment a while,
  // so the pool has to start `clients` of them), then a short warm pass.
  const hold = JSON.stringify({ waitMs: 10_000 });
  await Promise.all(Array.from({ length: clients }, () => request(agent, endpoint, 'POST', path, hold)));
  await Promise.all(Array.from({ length: clients }, () => request(agent, endpoint, 'POST', path, payload)));
  const lat = [];
  let errors = 0;
  const end = now() + seconds * 1000;
  const t0 = now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (now() < end) {
        const s = now();
        const r = await request(agent, endpoint, 'POST', path, payload);
        lat.push(now() - s);
        if (r.status !== 200 || r.body !== payload) errors++;
      }
    }),
  );
  const secs = (now() - t0) / 1000;
  agent.destroy();
  return { ...summarize(lat), rps: lat.length / secs, errors };
}

function dockerReference(imageUri, n) {
  spawnSync('docker', ['pull', '-q', imageUri], { stdio: 'ignore' });
  const id = spawnSync('docker', ['run', '-d', '--rm', '-p', '127.0.0.1::8080', imageUri], { encoding: 'utf8' }).stdout.trim();
  const mapping = spawnSync('docker', ['port', id, '8080/tcp'], { encoding: 'utf8' }).stdout.split('\n')[0];
  const endpoint = { host: '127.0.0.1', port: Number(mapping.slice(mapping.lastIndexOf(':') + 1)) };
  return {
    endpoint,
    stop: () => {
      spawnSync('docker', ['rm', '-f', id], { stdio: 'ignore' });
      spawnSync('docker', ['rmi', imageUri], { stdio: 'ignore' });
    },
  };
}

async function main() {
  const N = Number(process.env.BENCH_N ?? 3000);
  const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
  const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 64);
  const env = await setup('export const handler = async (event) => {\n  if (event && event.waitMs) await new Promise((r) => setTimeout(r, event.waitMs));\n  return event;\n};\n', process.env.BENCH_FREEZE_MS ? { platform: { pool: { freezeAfterMs: Number(process.env.BENCH_FREEZE_MS) } } } : {});
  try {
    await createActive(env.endpoint, 'echo', env.imageUri, { MemorySize: 1024, Timeout: 30 });
    const path = '/2015-03-31/functions/echo/invocations';
    const seq = await inWorker('sequential', [env.endpoint, path, N]);
    if (process.env.BENCH_ONLY_SEQ) {
      console.log(`lambdock warm invoke, sequential, keep-alive   p50 ${fmt(seq.p50)}  p90 ${fmt(seq.p90)}  p99 ${fmt(seq.p99)}  ${seq.rps.toFixed(0)} invokes/s  (n=${seq.n})`);
      return;
    }
    const conc = await inWorker('concurrent', [env.endpoint, path, CLIENTS, SECONDS]);
    let ref;
    const docker = dockerReference(env.imageUri, N);
    try {
      for (let i = 0; i < 100; i++) {
        try {
          await request(new http.Agent(), docker.endpoint, 'POST', '/2015-03-31/functions/function/invocations', '{}');
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      ref = await sequential(docker.endpoint, '/2015-03-31/functions/function/invocations', N);
    } finally {
      docker.stop();
    }
    console.log(`command: BENCH_N=${N} BENCH_SECONDS=${SECONDS} BENCH_CLIENTS=${CLIENTS} node bench/invoke.mjs   (${new Date().toISOString()}, ${process.version})`);
    console.log(`lambdock warm invoke, sequential, keep-alive   p50 ${fmt(seq.p50)}  p90 ${fmt(seq.p90)}  p99 ${fmt(seq.p99)}  ${seq.rps.toFixed(0)} invokes/s  (n=${seq.n})`);
    console.log(`lambdock warm invoke, ${CLIENTS} concurrent clients      p50 ${fmt(conc.p50)}  p90 ${fmt(conc.p90)}  p99 ${fmt(conc.p99)}  ${conc.rps.toFixed(0)} invokes/s  errors ${conc.errors}  (n=${conc.n})`);
    console.log(`reference: docker run -p (emulator in image), seq p50 ${fmt(ref.p50)}  p90 ${fmt(ref.p90)}  p99 ${fmt(ref.p99)}  ${ref.rps.toFixed(0)} invokes/s  (n=${ref.n})`);
    console.log(`lambdock vs reference: p50 ${(ref.p50 / seq.p50).toFixed(2)}x lower, throughput ${(seq.rps / ref.rps).toFixed(2)}x`);
    console.log(`environments: ${JSON.stringify(env.platform.services.environments())}`);
  } finally {
    await env.close();
  }
}

if (!isMainThread) {
  const { kind, args } = workerData;
  parentPort.postMessage(await (kind === 'sequential' ? sequential : concurrent)(...args));
} else if (import.meta.url === `file://${process.argv[1]}`) await main();
