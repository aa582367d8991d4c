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
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
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

/**
 * CPU time (seconds) spent so far, machine-wide from /proc/stat and per process group from
 * /proc/<pid>/stat: this process (the platform), the function runtimes (children of
 * `runc run`), the attached `runc run` processes, and everything else (kernel softirq
 * for the loopback/veth traffic, other users of the machine). Differences of two
 * snapshots say where the time of a phase went.
 */
export function cpuSnapshot() {
  const tck = 100; // USER_HZ (getconf CLK_TCK) on Linux
  const procs = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let st;
    try {
      st = readFileSync(`/proc/${d}/stat`, 'utf8');
    } catch {
      continue;
    }
    const close = st.lastIndexOf(')');
    const comm = st.slice(st.indexOf('(') + 1, close);
    const f = st.slice(close + 2).split(' ');
    procs.set(Number(d), { comm, ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / tck, sys: Number(f[12]) / tck });
  }
  const groups = { platform: 0, loadgen: 0, runtimes: 0, runtimesSys: 0, runc: 0, runtimeCount: 0 };
  if (!isMainThread) {
    // the load generator is this worker thread of the same process: its time is not the platform's
    const tid = readlinkSync('/proc/thread-self').split('/').pop();
    const t = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const f = t.slice(t.lastIndexOf(')') + 2).split(' ');
    groups.loadgen = (Number(f[11]) + Number(f[12])) / tck;
  }
  for (const [pid, p] of procs) {
    if (pid === process.pid) groups.platform += p.cpu - groups.loadgen;
    else if (p.comm === 'runc' && procs.get(p.ppid) && p.ppid === process.pid) groups.runc += p.cpu;
    else if (procs.get(p.ppid)?.comm === 'runc' && procs.get(p.ppid).ppid === process.pid) {
      groups.runtimes += p.cpu;
      groups.runtimesSys += p.sys;
      groups.runtimeCount++;
    }
  }
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  groups.machineBusy = (cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6] + cpu[7]) / tck;
  groups.softirq = cpu[6] / tck;
  groups.wall = performance.now() / 1000;
  return groups;
}

/** Where the CPU went between two snapshots, per invoke. */
export function cpuSplit(a, b, invokes) {
  const d = (k) => b[k] - a[k];
  const per = (k) => ((d(k) / invokes) * 1000).toFixed(3);
  const other = d('machineBusy') - d('platform') - d('loadgen') - d('runtimes') - d('runc');
  return `CPU per invoke: platform ${per('platform')} ms, load generator ${per('loadgen')} ms, ${b.runtimeCount} runtimes ${per('runtimes')} ms (kernel ${per('runtimesSys')}), runc run ${per('runc')} ms, rest (kernel softirq ${per('softirq')} ms, other users of the machine) ${((other / invokes) * 1000).toFixed(3)} ms; machine busy ${((d('machineBusy') / d('wall')) * 100).toFixed(0)}% of one core over ${d('wall').toFixed(1)} s`;
}

async function startProfile() {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    return profile;
  };
}

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
    /** Ends the platform (its environments go) but keeps the registry up; close() is still safe after it. */
    closePlatform() {
      this.platformClosed ??= platform.close();
      return this.platformClosed;
    },
    async close() {
      await this.closePlatform();
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
  const cpu0 = cpuSnapshot();
  const t0 = now();
  for (let i = 0; i < n; i++) {
    const s = now();
    const r = await request(agent, endpoint, 'POST', path, payload);
    lat.push(now() - s);
    if (r.status !== 200 || r.body !== payload) throw new Error(`bad answer ${r.status} ${r.body}`);
  }
  const secs = (now() - t0) / 1000;
  const cpu1 = cpuSnapshot();
  agent.destroy();
  return { ...summarize(lat), rps: n / secs, cpu0, cpu1 };
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
  const cpu0 = cpuSnapshot();
  // BENCH_PERF=<file>: a machine-wide `perf record` of this phase, for `perf report -i <file>`
  if (process.env.BENCH_PERF) spawn('perf', ['record', '-a', '-g', '-F', '499', '-o', process.env.BENCH_PERF, '--', 'sleep', String(Math.max(1, seconds - 1))], { stdio: 'ignore' });
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
  const cpu1 = cpuSnapshot();
  agent.destroy();
  return { ...summarize(lat), rps: lat.length / secs, errors, cpu0, cpu1 };
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
    // BENCH_CPU_PROF=<file>: a V8 CPU profile of the platform's thread during the concurrent phase only
    const profiler = process.env.BENCH_CPU_PROF ? await startProfile() : undefined;
    const conc = await inWorker('concurrent', [env.endpoint, path, CLIENTS, SECONDS]);
    if (profiler) writeFileSync(process.env.BENCH_CPU_PROF, JSON.stringify(await profiler()));
    const concCpu = cpuSplit(conc.cpu0, conc.cpu1, conc.n);
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
    console.log(`  ${cpuSplit(seq.cpu0, seq.cpu1, seq.n)}`);
    console.log(`lambdock warm invoke, ${CLIENTS} concurrent clients      p50 ${fmt(conc.p50)}  p90 ${fmt(conc.p90)}  p99 ${fmt(conc.p99)}  ${conc.rps.toFixed(0)} invokes/s  errors ${conc.errors}  (n=${conc.n})`);
    console.log(`  ${concCpu}`);
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
