#!/usr/bin/env node
// Warm-invoke overhead of the Node runtime interface client: a raw Runtime API server in this
// script hands out events back to back and times, per invoke, from the moment the event leaves
// (`next` answered) to the moment the runtime's `response` has fully arrived. Both HTTP hops,
// JSON parse/stringify, context building and the handler call are inside that window.
//
// References, run in the same script against the same server: "bare loop", the least any
// Node client over node:http can do (keep-alive agent, next → JSON.parse → call → post, no
// context, no logging patch, no error handling) — the difference is what our client adds; and
// AWS's own aws-lambda-ric (native curl-based client) when the emulator's e2e test has installed
// it under node_modules/.cache/lambdock/aws-lambda-ric.
//
// "lambdock runtime-client" is the client as it ships in images: /var/runtime/index.js as laid out by
// packages/runtime-client/scripts/stage-runtime.mjs (one bundled CommonJS file), staged into a temp
// dir by this script. Cold start also runs the previous layout, the ten ES modules of dist/ ("before"),
// so the effect of the bundle is measured in the same run against the same references.
//
//   npx tsc -b packages/runtime-client && node bench/runtime-client.mjs      (BENCH_N=5000 by default)
//   BENCH_NODE=/path/to/node runs every contender on another Node (e.g. 22, as in the images).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const N = Number(process.env.BENCH_N ?? 5000);
// The Node that runs every contender (BENCH_NODE=/path/to/node, e.g. Node 22 as in the images); default this one.
const NODE = process.env.BENCH_NODE ?? process.execPath;
const nodeVersion = execFileSync(NODE, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
const WARMUP = Math.min(500, Math.floor(N / 10));
const require = createRequire(import.meta.url);
const distEntry = require.resolve('@lambdock/runtime-client');
const stageScript = fileURLToPath(new URL('../packages/runtime-client/scripts/stage-runtime.mjs', import.meta.url));
const staged = mkdtempSync(join(tmpdir(), 'lambdock-bench-var-runtime-'));
execFileSync(process.execPath, [stageScript, staged], { stdio: 'ignore' });
const clientEntry = join(staged, 'index.js');
const officialRic = fileURLToPath(new URL('../node_modules/.cache/lambdock/aws-lambda-ric/node_modules/aws-lambda-ric/bin/index.mjs', import.meta.url));
const haveOfficial = existsSync(officialRic);

const task = mkdtempSync(join(tmpdir(), 'lambdock-bench-rc-'));
writeFileSync(join(task, 'package.json'), '{"type":"commonjs"}');
writeFileSync(join(task, 'index.js'), 'exports.handler = async (event) => ({ statusCode: 200, body: event.n });\n');
// The same handler as an ES module (what bench/coldstart.mjs deploys): import() starts Node's ESM loader.
writeFileSync(join(task, 'esm.mjs'), 'export const handler = async (event) => ({ statusCode: 200, body: event.n });\n');
const BARE_LOOP = `
const http = require('node:http');
const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const handler = require(process.env.LAMBDA_TASK_ROOT + '/index.js').handler;
function call(method, path, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, method, path, agent }, (res) => {
      let data = ''; res.setEncoding('utf8'); res.on('data', (c) => (data += c)); res.on('end', () => resolve({ res, data }));
    });
    req.on('error', reject); req.end(body);
  });
}
(async () => {
  for (;;) {
    const { res, data } = await call('GET', '/2018-06-01/runtime/invocation/next');
    const id = res.headers['lambda-runtime-aws-request-id'];
    const result = await handler(JSON.parse(data), {});
    await call('POST', '/2018-06-01/runtime/invocation/' + id + '/response', JSON.stringify(result));
  }
})();`;

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function run(name, args) {
  const samples = [];
  let sent = 0;
  let t0 = 0n;
  let done;
  const finished = new Promise((r) => (done = r));
  const server = createServer((req, res) => {
    if (req.method === 'GET') {
      if (sent >= N + WARMUP) return; // leave it parked: the run is over
      sent++;
      const body = `{"n":${sent}}`;
      t0 = process.hrtime.bigint();
      res.writeHead(200, {
        'Content-Type': 'application/json',
        'Lambda-Runtime-Aws-Request-Id': `req-${sent}`,
        'Lambda-Runtime-Deadline-Ms': String(Date.now() + 30000),
        'Lambda-Runtime-Invoked-Function-Arn': 'arn:aws:lambda:us-east-1:123456789012:function:bench',
      });
      res.end(body);
      return;
    }
    req.on('data', () => {});
    req.on('end', () => {
      const t1 = process.hrtime.bigint();
      if (sent > WARMUP) samples.push(Number(t1 - t0) / 1e6);
      res.writeHead(202, { 'Content-Type': 'application/json' });
      res.end('{"status":"OK"}');
      if (samples.length >= N) done();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const started = performance.now();
  const child = spawn(NODE, args, {
    env: {
      PATH: process.env.PATH,
      AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${server.address().port}`,
      _HANDLER: 'index.handler',
      LAMBDA_TASK_ROOT: task,
      AWS_LAMBDA_FUNCTION_NAME: 'bench',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128',
    },
    cwd: task,
    stdio: 'ignore',
  });
  await Promise.race([finished, new Promise((_, reject) => child.on('exit', (code) => reject(new Error(`${name} exited (${code}) during the run`))))]);
  const wall = performance.now() - started;
  child.kill('SIGKILL');
  server.closeAllConnections();
  server.close();
  const sorted = samples.sort((a, b) => a - b);
  return { name, p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), perSecond: (N / wall) * 1000 };
}

/** CPU milliseconds (user + system) a process has used so far, from /proc (clock ticks of 10 ms). */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

/**
 * Cold start: process spawn → its first `next` reaches the Runtime API (Node start, client and
 * handler load). Also the CPU time the process used by then: unlike wall time it barely moves
 * when other work shares the machine.
 */
async function coldStart(args, handler = 'index.handler', extra = undefined) {
  let arrived;
  let child;
  const first = new Promise((r) => (arrived = r));
  const server = createServer((req) => {
    if (req.method === 'GET') arrived({ at: performance.now(), cpu: cpuMs(child.pid) });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const t0 = performance.now();
  child = spawn(extra?.command ?? NODE, args, {
    env: { PATH: `${dirname(NODE)}:${process.env.PATH}`, AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${server.address().port}`, _HANDLER: handler, LAMBDA_TASK_ROOT: task, ...extra?.env },
    cwd: task,
    stdio: 'ignore',
  });
  const died = new Promise((_, reject) => child.on('exit', (code) => reject(new Error(`${args.join(' ').slice(0, 80)} exited (${code}) before its first next`))));
  const { at, cpu } = await Promise.race([first, died]);
  child.kill('SIGKILL');
  await new Promise((r) => child.on('close', r));
  server.closeAllConnections();
  server.close();
  return { ms: at - t0, cpu };
}

const fmt = (ms) => `${(ms * 1000).toFixed(0)} µs`;
// The machine is shared, so the two contenders alternate over several rounds and each figure
// is the median across rounds: a burst of someone else's load hits both alike.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  const rounds = { ours: [], bare: [], aws: [] };
  for (let i = 0; i < ROUNDS; i++) {
    rounds.ours.push(await run('lambdock runtime-client', [clientEntry]));
    rounds.bare.push(await run('bare node:http loop (reference)', ['-e', BARE_LOOP]));
    if (haveOfficial) rounds.aws.push(await run('AWS aws-lambda-ric (reference)', [officialRic, 'index.handler']));
  }
  const summary = (rs) => ({ name: rs[0].name, ...Object.fromEntries(['p50', 'p90', 'p99', 'perSecond'].map((k) => [k, median(rs.map((r) => r[k]))])) });
  const ours = summary(rounds.ours);
  const bare = summary(rounds.bare);
  const aws = haveOfficial ? summary(rounds.aws) : undefined;
  console.log(`runtime-client warm invoke: ${N} invokes after ${WARMUP} warm-up per round, median of ${ROUNDS} alternating rounds, Node ${nodeVersion}`);
  console.log('  window: event leaves the Runtime API (next answered) → runtime\'s response fully received');
  for (const r of [ours, bare, aws].filter(Boolean)) {
    console.log(`  ${r.name.padEnd(34)} p50 ${fmt(r.p50).padStart(7)}  p90 ${fmt(r.p90).padStart(7)}  p99 ${fmt(r.p99).padStart(7)}  ~${r.perSecond.toFixed(0)} invokes/s incl. start-up`);
  }
  console.log(`  overhead over the bare loop at p50: ${fmt(ours.p50 - bare.p50)} (${(ours.p50 / bare.p50).toFixed(2)}x)`);
  if (aws) console.log(`  against AWS's client at p50: ${(ours.p50 / aws.p50).toFixed(2)}x its time`);
  else console.log('  AWS aws-lambda-ric not installed (the emulator e2e test installs it): reference skipped');
  const COLD = Number(process.env.BENCH_COLD ?? 25);
  const contenders = [
    ['lambdock runtime-client (staged bundle)', [clientEntry]],
    ['before: ten ES modules (dist/)', [distEntry]],
    ['bare node:http loop (reference)', ['-e', BARE_LOOP]],
  ];
  if (haveOfficial) contenders.push(['AWS aws-lambda-ric (reference)', [officialRic, 'index.handler']]);
  contenders.push(['ours, ES-module handler (esm.mjs)', [clientEntry], 'esm.handler'], ['before, ES-module handler', [distEntry], 'esm.handler']);
  if (haveOfficial) contenders.push(["AWS's, ES-module handler", [officialRic, 'esm.handler'], 'esm.handler']);
  // As /lambda-entrypoint.sh starts it: through bootstrap, which caps the heap for a 128 MB function
  // with --max-old-space-size. Any V8 flag on the command line costs Node start-up time of its own.
  contenders.push([
    'ours via bootstrap, 128 MB (heap flag)',
    [join(staged, 'bootstrap')],
    'index.handler',
    { command: '/bin/sh', env: { LAMBDA_RUNTIME_DIR: staged, AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128' } },
  ]);
  const cold = contenders.map(() => []);
  const cpu = contenders.map(() => []);
  for (let i = 0; i < COLD; i++) {
    for (const [k, [, args, handler, extra]] of contenders.entries()) {
      const r = await coldStart(args, handler, extra);
      cold[k].push(r.ms);
      cpu[k].push(r.cpu);
    }
  }
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(`cold start (spawn → first next at the Runtime API), median of ${COLD} alternating spawns, Node ${nodeVersion}; CPU = mean CPU time used by then:`);
  const loadAvg = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  for (const [k, [name]] of contenders.entries()) {
    console.log(`  ${name.padEnd(40)} ${median(cold[k]).toFixed(1).padStart(6)} ms  (best ${Math.min(...cold[k]).toFixed(1).padStart(5)} ms)  CPU ${mean(cpu[k]).toFixed(1).padStart(5)} ms`);
  }
  const [after, before, bareCold] = [0, 1, 2].map((k) => median(cold[k]));
  console.log(`  bundle vs ten modules: ${(before - after).toFixed(1)} ms saved; over the bare loop: ${(after - bareCold).toFixed(1)} ms (was ${(before - bareCold).toFixed(1)} ms); load average ${loadAvg}`);
  if (haveOfficial) console.log(`  against AWS's client: ${(after - median(cold[3])).toFixed(1)} ms`);
  console.log(`command: ${process.env.BENCH_NODE ? `BENCH_NODE=${NODE} ` : ''}BENCH_N=${N} BENCH_ROUNDS=${ROUNDS} BENCH_COLD=${COLD} node bench/runtime-client.mjs`);
} finally {
  rmSync(task, { recursive: true, force: true });
  rmSync(staged, { recursive: true, force: true });
}
