#!/usr/bin/env node
// Cold start through the Lambda service: the function is Active (image pulled and
// unpacked), no environment exists; time from the invoke request to its response
// (sandbox create + start + Node runtime init + handler). Each sample is a function of
// its own, so every invoke is a true cold start. Reference, run in the same script:
// `docker run --rm -p …:8080` of the same image, timed from `docker run` to the first
// answer of the emulator inside it. Then a burst: 100 concurrent invokes from zero
// environments (the handler holds each one BENCH_BURST_HOLD_MS, default 20 s, so all 100
// environments must exist at once), counting errors and when 25/50/75/100 environments were up.
//
//   npx tsc -b packages/platform packages/base-images && node bench/coldstart.mjs     (root; BENCH_N=20, BENCH_BURST=100, BENCH_BURST_HOLD_MS=20000)
import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import { setup, createActive, request, summarize, fmt } from './invoke.mjs';

process.env.LAMBDOCK_LOG_LEVEL ??= 'warn';
const now = () => performance.now();
const N = Number(process.env.BENCH_N ?? 20);
const BURST = Number(process.env.BENCH_BURST ?? 100);
const HOLD_MS = Number(process.env.BENCH_BURST_HOLD_MS ?? 20_000);

const handler = `export const handler = async (event) => {
  if (event && event.waitMs) await new Promise((r) => setTimeout(r, event.waitMs));
  return { ok: true };
};
`;

async function dockerColdStart(imageUri) {
  const t0 = now();
  const id = spawnSync('docker', ['run', '-d', '--rm', '-p', '127.0.0.1::8080', imageUri], { encoding: 'utf8' }).stdout.trim();
  const mapping = spawnSync('docker', ['port', id, '8080/tcp'], { encoding: 'utf8' }).stdout.split('\n')[0];
  const endpoint = { host: '127.0.0.1', port: Number(mapping.slice(mapping.lastIndexOf(':') + 1)) };
  const agent = new http.Agent();
  try {
    for (;;) {
      try {
        const r = await request(agent, endpoint, 'POST', '/2015-03-31/functions/function/invocations', '{}');
        if (r.status === 200) return now() - t0;
      } catch {
        // not listening yet (or docker-proxy answered before the emulator): poll again
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  } finally {
    agent.destroy();
    spawn('docker', ['rm', '-f', id], { stdio: 'ignore' });
  }
}

const env = await setup(handler, { platform: { accountConcurrency: Math.max(1000, BURST + 100) } });
try {
  const names = Array.from({ length: N }, (_, i) => `cold-${i}`);
  for (const n of names) await createActive(env.endpoint, n, env.imageUri, { MemorySize: 1024 });
  const agent = new http.Agent({ keepAlive: true });
  const cold = [];
  const initDurations = [];
  for (const n of names) {
    const t0 = now();
    const r = await request(agent, env.endpoint, 'POST', `/2015-03-31/functions/${n}/invocations`, '{}', { 'X-Amz-Log-Type': 'Tail' });
    cold.push(now() - t0);
    if (r.status !== 200) throw new Error(`cold invoke failed: ${r.status} ${r.body}`);
    const m = /Init Duration: ([\d.]+) ms/.exec(Buffer.from(r.headers['x-amz-log-result'], 'base64').toString());
    if (m) initDurations.push(Number(m[1]));
  }
  const warm = [];
  for (let i = 0; i < 200; i++) {
    const t0 = now();
    await request(agent, env.endpoint, 'POST', `/2015-03-31/functions/${names[0]}/invocations`, '{}');
    warm.push(now() - t0);
  }

  spawnSync('docker', ['pull', '-q', env.imageUri], { stdio: 'ignore' });
  const ref = [];
  for (let i = 0; i < Math.min(N, 10); i++) ref.push(await dockerColdStart(env.imageUri));
  spawnSync('docker', ['rmi', env.imageUri], { stdio: 'ignore' });

  await createActive(env.endpoint, 'burst', env.imageUri, { MemorySize: 128, Timeout: Math.ceil(HOLD_MS / 1000) + 30 });
  const burstAgent = new http.Agent({ keepAlive: true, maxSockets: BURST });
  const t0 = now();
  const reached = {};
  const poll = setInterval(() => {
    const total = env.platform.services.environments()['burst']?.total ?? 0;
    for (const mark of [25, 50, 75, 100]) if (total >= (mark * BURST) / 100 && reached[mark] === undefined) reached[mark] = now() - t0;
  }, 10);
  const results = await Promise.all(
    Array.from({ length: BURST }, async () => {
      const s = now();
      const r = await request(burstAgent, env.endpoint, 'POST', '/2015-03-31/functions/burst/invocations', JSON.stringify({ waitMs: HOLD_MS })).catch((e) => ({ status: 0, body: String(e) }));
      return { ms: now() - s, ok: r.status === 200 && r.body === '{"ok":true}', status: r.status, body: r.body.slice(0, 200) };
    }),
  );
  const burstMs = now() - t0;
  clearInterval(poll);
  const errors = results.filter((r) => !r.ok);
  const envs = env.platform.services.environments()['burst'];
  const peak = env.platform.services.metrics.forFunction('burst')?.maxConcurrentExecutions;

  const c = summarize(cold);
  const d = summarize(ref);
  const w = summarize(warm);
  const b = summarize(results.map((r) => r.ms));
  console.log(`command: BENCH_N=${N} BENCH_BURST=${BURST} node bench/coldstart.mjs   (${new Date().toISOString()}, ${process.version}, load ${(await import('node:os')).loadavg()[0].toFixed(1)})`);
  console.log(`lambdock cold start (invoke → response)        p50 ${fmt(c.p50)}  p90 ${fmt(c.p90)}  min ${fmt(c.min)}  (n=${c.n})`);
  console.log(`  of which Init Duration (runtime init)        p50 ${fmt(summarize(initDurations).p50)}`);
  console.log(`lambdock warm invoke, same function           p50 ${fmt(w.p50)}  (n=${w.n})`);
  console.log(`reference: docker run --rm -p → first answer  p50 ${fmt(d.p50)}  p90 ${fmt(d.p90)}  min ${fmt(d.min)}  (n=${d.n})`);
  console.log(`lambdock cold start vs docker run: ${(c.p50 / d.p50).toFixed(2)} of docker's time (${(d.p50 / c.p50).toFixed(1)}x faster)`);
  console.log(`burst: ${BURST} concurrent invokes from zero, handler holds ${HOLD_MS} ms: all done in ${fmt(burstMs)}, environments up at ${Object.entries(reached).map(([k, v]) => `${k}%: ${(v / 1000).toFixed(1)} s`).join(', ')}, per-request p50 ${fmt(b.p50)} p99 ${fmt(b.p99)}, errors ${errors.length}${errors.length ? ' ' + JSON.stringify(errors.slice(0, 3)) : ''}, peak concurrent executions ${peak}, environments ${JSON.stringify(envs)}`);
  agent.destroy();
  burstAgent.destroy();
} finally {
  await env.close();
}
