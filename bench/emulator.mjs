#!/usr/bin/env node
// The runtime interface emulator: warm invoke latency and throughput, and time to the first answer.
//
//   npx tsc -b packages/emulator packages/runtime-client && node bench/emulator.mjs
//   (BENCH_INVOKES=N changes the 2,000 measured invokes; BENCH_SKIP_OFFICIAL=1 skips the reference)
//
// Figures, for each runtime client behind our emulator (run as it ships: the bundled aws-lambda-rie.cjs):
//  - 2,000 sequential warm invokes (after 200 unmeasured) from one keep-alive HTTP client, best of
//    3 rounds (BENCH_ROUNDS):
//    p50 / p90 / p99 latency, invokes per second, and CPU time per invoke of the emulator and
//    of the runtime process (from /proc; robust when other work shares the machine);
//  - cold: process start (spawn of the emulator) to the first answered invoke, median of 9
//    (BENCH_COLD) alternating between the clients.
// Runtime clients: ours as it ships in nodejs images (/var/runtime staged by
// packages/runtime-client/scripts/stage-runtime.mjs into a temp dir: one bundled CommonJS file,
// started through its bootstrap script), and "before", the ten ES modules of dist/ it used to be.
// Reference run in this script: AWS's official Node client `aws-lambda-ric` (installed into
// node_modules/.cache on first use) behind the same emulator, same handler, same client.
// Targets with our client: p50 <= 0.5 ms, >= 1,500 invokes/s, first answer <= 100 ms.
// (For the record, from the task brief: AWS's Go emulator + aws-lambda-ric on this machine class:
// p50 1.2-1.4 ms, ~500 invokes/s, ~190 ms to the first answer. Not runnable here: no network.)
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { spawnEmulator, invoke, ensureOfficialRic } from '@lambdock/emulator/testing';
import { buildEmulatorBundle } from '@lambdock/emulator/build';

const N = Number(process.env.BENCH_INVOKES ?? 2000);
const WARMUP = 200;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const COLD_RUNS = Number(process.env.BENCH_COLD ?? 9);
const clientEntry = fileURLToPath(import.meta.resolve('@lambdock/runtime-client'));
const handlers = join(dirname(clientEntry), '..', 'testdata', 'handlers');
const staged = mkdtempSync(join(tmpdir(), 'lambdock-bench-var-runtime-'));
execFileSync(process.execPath, [fileURLToPath(new URL('../packages/runtime-client/scripts/stage-runtime.mjs', import.meta.url)), staged], { stdio: 'ignore' });
process.on('exit', () => rmSync(staged, { recursive: true, force: true }));
// The environment a container gets (`docker run` passes the image's ENV, not this shell's):
// PATH and the function's variables. Inheriting a shell's environment can cost far more than the
// emulator itself: NODE_EXTRA_CA_CERTS (set on some hosts, CI images among them) makes every Node
// process parse a CA bundle at start, twice per cold start here (emulator + runtime); the extra
// cold row below shows that cost when the variable is set. LAMBDA_RUNTIME_DIR points the bootstrap
// at the staged copy (in an image it is /var/runtime).
const env = { PATH: process.env.PATH, HOME: process.env.HOME, LAMBDA_TASK_ROOT: join(handlers, 'cjs'), _HANDLER: 'index.asyncEcho', LAMBDA_RUNTIME_DIR: staged };
const shellEnv = { ...process.env, ...env };
const payload = '{"hello":"world"}';

// The emulator as it ships in nodejs images: the single-file bundle on Node.
const { bundle } = await buildEmulatorBundle();
const emulatorCommand = [process.execPath, bundle];

/** CPU seconds (user+system) a process has used so far, from /proc (clock ticks of 10 ms). */
function cpuSeconds(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').slice(readFileSync(`/proc/${pid}/stat`, 'utf8').lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}
function childPid(pid) {
  return Number(readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0]);
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function warm(bootstrap) {
  const e = await spawnEmulator({ command: emulatorCommand, args: bootstrap, env });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; i < WARMUP; i++) await invoke(e.invokeUrl, payload, { agent });
    const emuPid = e.child.pid;
    const rtPid = childPid(emuPid);
    // ROUNDS rounds of N on the same warm runtime; the best round (lowest p50) is reported, as
    // other work on a shared machine only ever makes a round slower.
    let best;
    for (let round = 0; round < ROUNDS; round++) {
      const lat = new Float64Array(N);
      const cpu0 = [cpuSeconds(emuPid), cpuSeconds(rtPid)];
      const t0 = performance.now();
      for (let i = 0; i < N; i++) {
        const s = performance.now();
        const r = await invoke(e.invokeUrl, payload, { agent });
        lat[i] = performance.now() - s;
        if (r.status !== 200) throw new Error(`invoke ${i}: ${r.status} ${r.text()}`);
      }
      const total = performance.now() - t0;
      const emuCpu = ((cpuSeconds(emuPid) - cpu0[0]) / N) * 1e6;
      const rtCpu = ((cpuSeconds(rtPid) - cpu0[1]) / N) * 1e6;
      const sorted = [...lat].sort((a, b) => a - b);
      const r = { p50: pct(sorted, 50), p90: pct(sorted, 90), p99: pct(sorted, 99), perSec: (N / total) * 1000, emuCpu, rtCpu };
      if (!best || r.p50 < best.p50) best = r;
    }
    return best;
  } finally {
    agent.destroy();
    await e.stop();
  }
}

/** One cold start: spawn of the emulator → first invoke answered. */
async function coldOnce(bootstrap, withEnv = env) {
  const t0 = performance.now();
  const e = await spawnEmulator({ command: emulatorCommand, args: bootstrap, env: withEnv });
  try {
    const r = await invoke(e.invokeUrl, payload);
    if (r.status !== 200) throw new Error(`cold invoke: ${r.status} ${r.text()}`);
    return performance.now() - t0;
  } finally {
    await e.stop();
  }
}

/**
 * Floor reference: one plain node:http keep-alive echo server in its own process, same client.
 * A warm invoke through any emulator is three such exchanges (invoke, runtime's next, runtime's response).
 */
async function floor() {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['-e', `require('http').createServer((q, s) => { const c = []; q.on('data', (d) => c.push(d)); q.on('end', () => { s.writeHead(200, { 'Content-Type': 'application/json' }); s.end(Buffer.concat(c)); }); }).listen(0, '127.0.0.1', function () { console.log(this.address().port); })`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((r) => child.stdout.once('data', (d) => r(Number(String(d).trim()))));
  const url = `http://127.0.0.1:${port}/`;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  for (let i = 0; i < WARMUP; i++) await invoke(url, payload, { agent });
  let best;
  for (let round = 0; round < ROUNDS; round++) {
    const lat = new Float64Array(N);
    const cpu0 = cpuSeconds(child.pid);
    const t0 = performance.now();
    for (let i = 0; i < N; i++) {
      const s = performance.now();
      await invoke(url, payload, { agent });
      lat[i] = performance.now() - s;
    }
    const total = performance.now() - t0;
    const cpu = ((cpuSeconds(child.pid) - cpu0) / N) * 1e6;
    const sorted = [...lat].sort((a, b) => a - b);
    const r = { p50: pct(sorted, 50), p90: pct(sorted, 90), p99: pct(sorted, 99), perSec: (N / total) * 1000, emuCpu: cpu, rtCpu: 0, cold: NaN };
    if (!best || r.p50 < best.p50) best = r;
  }
  agent.destroy();
  child.kill();
  return best;
}

const OURS = 'lambdock runtime-client';
const BEFORE = 'before: dist/ (10 ES modules)';
const clients = [
  [OURS, [join(staged, 'bootstrap')]],
  [BEFORE, [process.execPath, clientEntry]],
];
if (!process.env.BENCH_SKIP_OFFICIAL) {
  const ric = ensureOfficialRic();
  if (ric.ok) clients.push(['aws-lambda-ric (reference)', [process.execPath, ric.bin, 'index.asyncEcho']]);
  else console.log(`reference skipped: ${ric.reason}`);
}

console.log(`command: ${['node', 'bench/emulator.mjs'].join(' ')}${process.env.BENCH_INVOKES ? ` (BENCH_INVOKES=${N})` : ''}`);
console.log(`node ${process.version}, ${N} warm sequential invokes after ${WARMUP} unmeasured (best of ${ROUNDS} rounds), keep-alive, payload ${payload.length} bytes; cold = median of ${COLD_RUNS}`);
const loadAtStart = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const rows = [];
for (const [name, bootstrap] of clients) rows.push({ name, ...(await warm(bootstrap)) });
// Cold starts alternate between the clients, so a burst of other load on this shared machine hits all alike.
const colds = clients.map(() => []);
const caCerts = process.env.NODE_EXTRA_CA_CERTS;
const shellColds = [];
for (let i = 0; i < COLD_RUNS; i++) {
  for (const [k, [, bootstrap]] of clients.entries()) colds[k].push(await coldOnce(bootstrap));
  if (caCerts) shellColds.push(await coldOnce(clients[0][1], shellEnv));
}
for (const [k, row] of rows.entries()) Object.assign(row, { cold: median(colds[k]), coldMin: Math.min(...colds[k]) });
const floorRow = { name: 'floor: 1 node:http hop', ...(await floor()) };
const f = (n) => n.toFixed(3).padStart(7);
console.log(`load average at start: ${loadAtStart} (2 cores; figures are only comparable at low load)`);
console.log(`\n${'client'.padEnd(30)} ${'p50 ms'.padStart(7)} ${'p90 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'inv/s'.padStart(7)} ${'cold ms'.padStart(9)} ${'emu CPU µs/inv'.padStart(15)} ${'runtime CPU µs/inv'.padStart(19)}`);
for (const r of [...rows, floorRow])
  console.log(
    `${r.name.padEnd(30)} ${f(r.p50)} ${f(r.p90)} ${f(r.p99)} ${r.perSec.toFixed(0).padStart(7)} ${(Number.isNaN(r.cold) ? '-' : `${r.cold.toFixed(0)}/${r.coldMin.toFixed(0)}`).padStart(9)} ${r.emuCpu.toFixed(0).padStart(15)} ${r.rtCpu.toFixed(0).padStart(19)}`,
  );
const ours = rows.find((r) => r.name === OURS);
const before = rows.find((r) => r.name === BEFORE);
console.log(`\nshipped bundle vs before (dist/ modules): cold median ${ours.cold.toFixed(0)} vs ${before.cold.toFixed(0)} ms, best ${ours.coldMin.toFixed(0)} vs ${before.coldMin.toFixed(0)} ms`);
if (caCerts) {
  console.log(`ours with this shell's environment (NODE_EXTRA_CA_CERTS=${caCerts}): cold median ${median(shellColds).toFixed(0)} ms, best ${Math.min(...shellColds).toFixed(0)} ms`);
}
const ref = rows.find((r) => r.name.startsWith('aws-lambda-ric'));
if (ref) {
  const [a, b] = [ours, ref];
  console.log(
    `\nours vs reference: p50 ${a.p50.toFixed(3)} vs ${b.p50.toFixed(3)} ms (${(b.p50 / a.p50).toFixed(2)}x), throughput ${a.perSec.toFixed(0)} vs ${b.perSec.toFixed(0)}/s (${(a.perSec / b.perSec).toFixed(2)}x), cold median ${a.cold.toFixed(0)} vs ${b.cold.toFixed(0)} ms, best ${a.coldMin.toFixed(0)} vs ${b.coldMin.toFixed(0)} ms`,
  );
}
console.log(`ours vs floor: p50 ${(ours.p50 / floorRow.p50).toFixed(2)}x one plain HTTP round trip (a warm invoke needs three)`);
console.log(`cold ms = median/best of ${COLD_RUNS}`);
console.log(`targets (ours): p50 <= 0.5 ms ${ours.p50 <= 0.5 ? 'met' : 'MISSED'}, >= 1500/s ${ours.perSec >= 1500 ? 'met' : 'MISSED'}, cold <= 100 ms ${ours.cold <= 100 ? 'met' : ours.coldMin <= 100 ? 'met at best, missed at median' : 'MISSED'}`);
