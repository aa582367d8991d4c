#!/usr/bin/env node
// Idle capacity and burst of the Lambda service on this machine (runc sandboxes, Node runtime).
//
// 1. Burst: a new function, 100 concurrent invokes from zero environments; the handler
//    sleeps 1 s. Time until every invoke answered, errors, environments started.
// 2. Capacity: N concurrent invokes (N = 100, 200, … ; BENCH_CAP_STEPS) of a function whose
//    handler sleeps until all N are running, so the pool holds N environments; once they
//    are all frozen (cgroup freezer), memory per environment: the sandbox cgroups'
//    memory.usage_in_bytes (runtime process, its page cache, tmpfs), the PSS of the
//    attached `runc run` processes, and the machine's MemAvailable drop (all of it:
//    kernel, netns, veth, mounts). Stops before MemAvailable would fall below 4 GiB + 1 GiB
//    margin. Extrapolated to 24 GiB.
// Reference, in the same script: the same image under `docker run -d` (the emulator in the
// image, one invoke so its runtime is up, then idle), K containers, memory per container
// from its cgroup and from MemAvailable.
//
//   npx tsc -b packages/platform packages/base-images && node bench/capacity.mjs     (root; BENCH_CAP_STEPS=100,200,300 BENCH_BURST=100 BENCH_REF=10)
import http from 'node:http';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { setup, createActive, request, summarize, fmt } from './invoke.mjs';

process.env.LAMBDOCK_LOG_LEVEL ??= 'warn';
const now = () => performance.now();
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

const HANDLER = `export const handler = async (event) => {
  const ms = event && event.until ? event.until - Date.now() : (event && event.sleepMs) || 0;
  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
  return { ok: true };
};
`;

function memAvailable() {
  const m = /MemAvailable:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'));
  return Number(m[1]) * 1024;
}

function threads(pid) {
  try {
    return Number(/^Threads:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
  } catch {
    return 0;
  }
}

function pss(pid) {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** PSS of our `runc run` children and of the runtimes under them. */
function processMemory() {
  let runc = 0;
  let runtimes = 0;
  let n = 0;
  let tasks = 0;
  const children = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = readFileSync(`/proc/${d}/stat`, 'utf8');
      const close = st.lastIndexOf(')');
      children.set(Number(d), { comm: st.slice(st.indexOf('(') + 1, close), ppid: Number(st.slice(close + 2).split(' ')[1]) });
    } catch {
      // gone
    }
  }
  for (const [pid, p] of children) {
    if (p.comm === 'runc' && p.ppid === process.pid) {
      runc += pss(pid);
      tasks += threads(pid);
      n++;
    } else if (children.get(p.ppid)?.comm === 'runc' && children.get(p.ppid).ppid === process.pid) {
      runtimes += pss(pid);
      tasks += threads(pid);
    }
  }
  return { runc, runtimes, n, tasks };
}

/** memory.usage_in_bytes of every sandbox cgroup whose id starts with `prefix`. */
function cgroupMemory(prefix) {
  const root = '/sys/fs/cgroup/memory/lambdock';
  let total = 0;
  let n = 0;
  if (!existsSync(root)) return { total, n };
  for (const tag of readdirSync(root)) {
    let ids;
    try {
      ids = readdirSync(`${root}/${tag}`);
    } catch {
      continue;
    }
    for (const id of ids) {
      if (!id.startsWith(prefix)) continue;
      try {
        total += Number(readFileSync(`${root}/${tag}/${id}/memory.usage_in_bytes`, 'utf8'));
        n++;
      } catch {
        // not a cgroup dir
      }
    }
  }
  return { total, n };
}

const stats = (env, name) => env.platform.services.environments()[name] ?? { total: 0, idle: 0, frozen: 0 };

async function invokeAll(endpoint, name, n, event) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: n });
  const lat = [];
  let errors = 0;
  const firstError = [];
  const t0 = now();
  await Promise.all(
    Array.from({ length: n }, async () => {
      const s = now();
      try {
        const r = await request(agent, endpoint, 'POST', `/2015-03-31/functions/${name}/invocations`, JSON.stringify(typeof event === 'function' ? event() : event));
        if (r.status !== 200 || r.headers['x-amz-function-error']) {
          errors++;
          firstError.push(`${r.status} ${r.body.slice(0, 200)}`);
        }
      } catch (err) {
        errors++;
        firstError.push(String(err));
      }
      lat.push(now() - s);
    }),
  );
  const ms = now() - t0;
  agent.destroy();
  return { ms, errors, firstError: firstError[0], ...summarize(lat) };
}

async function untilFrozen(env, name, n, limitMs) {
  const end = now() + limitMs;
  while (now() < end) {
    const s = stats(env, name);
    if (s.frozen >= n) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

function dockerReference(imageUri, k) {
  spawnSync('docker', ['pull', '-q', imageUri], { stdio: 'ignore' });
  const before = memAvailable();
  const ids = [];
  try {
    for (let i = 0; i < k; i++) {
      const id = spawnSync('docker', ['run', '-d', '--rm', '-p', '127.0.0.1::8080', imageUri], { encoding: 'utf8' }).stdout.trim();
      if (id) ids.push(id);
    }
    return ids;
  } finally {
    ids.before = before;
  }
}

async function measureDocker(imageUri, k) {
  const ids = dockerReference(imageUri, k);
  try {
    // one invoke each, so the runtime inside is started (the emulator starts it lazily)
    for (const id of ids) {
      const mapping = spawnSync('docker', ['port', id, '8080/tcp'], { encoding: 'utf8' }).stdout.split('\n')[0];
      const endpoint = { host: '127.0.0.1', port: Number(mapping.slice(mapping.lastIndexOf(':') + 1)) };
      for (let i = 0; i < 100; i++) {
        try {
          await request(new http.Agent(), endpoint, 'POST', '/2015-03-31/functions/function/invocations', '{}');
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }
    await new Promise((r) => setTimeout(r, 2000));
    let cg = 0;
    for (const id of ids) {
      for (const p of [`/sys/fs/cgroup/memory/docker/${id}/memory.usage_in_bytes`, `/sys/fs/cgroup/memory/system.slice/docker-${id}.scope/memory.usage_in_bytes`]) {
        if (existsSync(p)) {
          cg += Number(readFileSync(p, 'utf8'));
          break;
        }
      }
    }
    return { k: ids.length, cgroupPer: cg / ids.length, availPer: (ids.before - memAvailable()) / ids.length };
  } finally {
    if (ids.length) spawnSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
    spawnSync('docker', ['rmi', imageUri], { stdio: 'ignore' });
  }
}

async function main() {
  const steps = (process.env.BENCH_CAP_STEPS ?? '100,200,300').split(',').map(Number);
  const BURST = Number(process.env.BENCH_BURST ?? 100);
  const REF = Number(process.env.BENCH_REF ?? 10);
  const RESERVE = 5 * GiB; // keep ≥ 4 GiB free, plus a margin for the others on this machine
  const out = [];
  const print = (l) => {
    out.push(l);
    console.log(l);
  };
  const env = await setup(HANDLER, { platform: { pool: { freezeAfterMs: 300 } } });
  try {
    // 1. burst from zero
    await createActive(env.endpoint, 'burst', env.imageUri, { MemorySize: 128, Timeout: 60 });
    const b = await invokeAll(env.endpoint, 'burst', BURST, { sleepMs: 1000 });
    const bs = stats(env, 'burst');
    print(`burst: ${BURST} concurrent invokes from zero (handler sleeps 1 s): all answered in ${(b.ms / 1000).toFixed(2)} s, errors ${b.errors}${b.firstError ? ` (${b.firstError})` : ''}, environments started ${bs.total}, latency p50 ${fmt(b.p50)} p99 ${fmt(b.p99)}`);

    // 2. capacity
    await createActive(env.endpoint, 'capacity', env.imageUri, { MemorySize: 128, Timeout: 900 });
    const base = memAvailable();
    let perEnvGuess = 120 * MiB;
    let last;
    for (const n of steps) {
      const have = stats(env, 'capacity').total;
      if (memAvailable() - (n - have) * perEnvGuess < RESERVE) {
        print(`capacity: stopping before N=${n}: MemAvailable ${(memAvailable() / GiB).toFixed(1)} GiB, ${n - have} more environments at ~${(perEnvGuess / MiB).toFixed(0)} MiB would leave < ${RESERVE / GiB} GiB`);
        break;
      }
      // every invoke holds its environment until all N have been sent and started: the
      // hold grows until the pool reached N (cold starts queue, a start slot at a time)
      let hold = 1000 + n * 40;
      let t;
      for (let round = 0; round < 4; round++) {
        const until = Date.now() + hold;
        t = await invokeAll(env.endpoint, 'capacity', n, () => ({ until }));
        if (stats(env, 'capacity').total >= n) break;
        hold *= 2;
      }
      const frozen = await untilFrozen(env, 'capacity', stats(env, 'capacity').total, 120_000);
      await new Promise((r) => setTimeout(r, 1000));
      const s = stats(env, 'capacity');
      const cg = cgroupMemory('capacity-');
      const pm = processMemory();
      const drop = base - memAvailable();
      last = { n: s.total, cgPer: cg.total / cg.n, runcPer: pm.runc / Math.max(1, pm.n), tasksPer: pm.tasks / Math.max(1, pm.n), rtPer: pm.runtimes / Math.max(1, pm.n), availPer: drop / s.total };
      perEnvGuess = Math.max(perEnvGuess, last.availPer);
      print(`capacity: N=${s.total} environments (${s.frozen} frozen${frozen ? '' : ', not all frozen within 120 s'}), filled in ${(t.ms / 1000).toFixed(1)} s, errors ${t.errors}; per environment: cgroup ${(last.cgPer / MiB).toFixed(1)} MiB (runtime PSS ${(last.rtPer / MiB).toFixed(1)} MiB), runc run PSS ${(last.runcPer / MiB).toFixed(1)} MiB, MemAvailable drop ${(last.availPer / MiB).toFixed(1)} MiB, ${last.tasksPer.toFixed(1)} threads (runc run + runtime)`);
    }
    if (last) {
      const per = Math.max(last.availPer, last.cgPer + last.runcPer);
      print(`capacity: extrapolated to 24 GiB (minus 2 GiB for platform and OS): ~${Math.floor((22 * GiB) / per)} idle frozen environments at ${(per / MiB).toFixed(1)} MiB each`);
      // every thread takes a pid: kernel.pid_max / threads-max bound the count before memory does
      const pidMax = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
      const threadsMax = Number(readFileSync('/proc/sys/kernel/threads-max', 'utf8'));
      print(`capacity: thread limit: kernel.pid_max ${pidMax}, threads-max ${threadsMax} → at most ~${Math.floor(Math.min(pidMax, threadsMax) * 0.9 / last.tasksPer)} environments at ${last.tasksPer.toFixed(1)} threads each (10% left for the rest)`);
    }
  } catch (err) {
    print(`stopped: ${err}`);
  }
  // the capacity environments go first, so the reference's MemAvailable drop is its own
  let ref;
  try {
    await env.closePlatform();
    ref = await measureDocker(env.imageUri, REF).catch((err) => ({ error: String(err) }));
  } finally {
    await env.close();
  }
  console.log(`command: BENCH_CAP_STEPS=${steps.join(',')} BENCH_BURST=${BURST} BENCH_REF=${REF} node bench/capacity.mjs   (${new Date().toISOString()}, ${process.version})`);
  for (const l of out) console.log(l);
  if (ref.error) console.log(`reference: docker run -d (emulator in image) failed: ${ref.error}`);
  else console.log(`reference: docker run -d (emulator in image, one invoke, idle), ${ref.k} containers: per container cgroup ${(ref.cgroupPer / MiB).toFixed(1)} MiB, MemAvailable drop ${(ref.availPer / MiB).toFixed(1)} MiB`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
