#!/usr/bin/env node
// Sandbox start-up, freeze/thaw and teardown of the runc backend, against references
// run in the same script: a bare `runc run` of the same root (no overlay, no network
// setup, runc-created namespaces), `runc pause/resume` (what freeze/thaw would cost
// through the runc CLI) and `docker run --rm` of the same files imported as an image.
//
//   npx tsc -b packages/sandbox && node bench/sandbox.mjs      (root; BENCH_N=30 by default)
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RuncRuntime } from '@lambdock/sandbox';

const N = Number(process.env.BENCH_N ?? 30);
process.env.LAMBDOCK_LOG_LEVEL ??= 'warn';

const base = mkdtempSync(join(tmpdir(), 'lambdock-bench-sandbox-'));
const layer = join(base, 'layer');
for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp']) mkdirSync(join(layer, d), { recursive: true });
copyFileSync('/bin/busybox', join(layer, 'bin/busybox'));
for (const a of ['sh', 'echo', 'sleep', 'true']) symlinkSync('busybox', join(layer, 'bin', a));

const now = () => performance.now();
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return `median ${q(0.5).toFixed(1)} ms  p90 ${q(0.9).toFixed(1)} ms  min ${s[0].toFixed(1)} ms  (n=${s.length})`;
};
const results = {};
const report = (name, xs) => {
  results[name] = xs;
  console.log(`${name.padEnd(48)} ${stats(xs)}`);
};

function firstOutput(cmd, args) {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let first;
    let err = '';
    child.stdout.once('data', () => (first = now() - t0));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => (first !== undefined ? resolve({ first, total: now() - t0 }) : reject(new Error(`${cmd} ${args.join(' ')}: ${code} ${err}`))));
  });
}

// ── Lambdock runc backend ────────────────────────────────────────────────────────────
const rt = new RuncRuntime({ stateDir: join(base, 'state') });
const check = await rt.check();
if (!check.ok) {
  console.log(`skipped: ${check.reason}`);
  process.exit(0);
}
await rt.init();
const create = [], start = [], toFirst = [], freeze = [], thaw = [], destroy = [];
for (let i = 0; i < N; i++) {
  let gotFirst;
  const first = new Promise((r) => (gotFirst = r));
  const t0 = now();
  const sb = await rt.create({
    id: `bench-${i}`,
    rootfs: { lowerDirs: [layer] },
    process: { args: ['/bin/sh', '-c', 'echo ready; exec sleep 60'], env: ['PATH=/bin'], cwd: '/' },
    memoryMb: 128,
    tmpSizeMb: 16,
    onOutput: () => gotFirst(now()),
  });
  const t1 = now();
  await sb.start();
  const t2 = now();
  const t3 = await first;
  create.push(t1 - t0);
  start.push(t2 - t1);
  toFirst.push(t3 - t0);
  for (let j = 0; j < 5; j++) {
    const f0 = now();
    await sb.freeze();
    const f1 = now();
    await sb.thaw();
    freeze.push(f1 - f0);
    thaw.push(now() - f1);
  }
  const d0 = now();
  await sb.destroy();
  destroy.push(now() - d0);
}
console.log(`\nlambdock runc backend (overlay root, netns + veth + bridge, cgroups), ${N} sandboxes one after another`);
report('create()', create);
report('start() (runc run until pid file)', start);
report('create+start → first output line', toFirst);
report('freeze() (freezer.state FROZEN, until frozen)', freeze);
report('thaw()', thaw);
report('destroy() (running sandbox)', destroy);

// 20 at once: what a burst of cold starts costs
{
  const t0 = now();
  const boxes = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      rt.create({ id: `burst-${i}`, rootfs: { lowerDirs: [layer] }, process: { args: ['/bin/sleep', '60'], env: [], cwd: '/' }, memoryMb: 128, tmpSizeMb: 16 }),
    ),
  );
  await Promise.all(boxes.map((b) => b.start()));
  const up = now() - t0;
  const t1 = now();
  await Promise.all(boxes.map((b) => b.destroy()));
  console.log(`${'20 at once: create+start all / destroy all'.padEnd(48)} ${up.toFixed(0)} ms / ${(now() - t1).toFixed(0)} ms`);
}
await rt.close();

// ── reference: bare runc run, same files, no overlay / network setup ─────────────────
const bundle = join(base, 'bundle');
mkdirSync(bundle);
spawnSync('runc', ['spec', '--bundle', bundle]);
const spec = JSON.parse(spawnSync('cat', [join(bundle, 'config.json')]).stdout.toString());
spec.process.terminal = false;
spec.process.args = ['/bin/sh', '-c', 'echo ready'];
spec.root = { path: layer, readonly: true };
writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
const runcRoot = join(base, 'runc-ref');
const bareFirst = [], bareTotal = [];
for (let i = 0; i < N; i++) {
  const r = await firstOutput('runc', ['--root', runcRoot, 'run', '--bundle', bundle, `ref-${i}`]);
  bareFirst.push(r.first);
  bareTotal.push(r.total);
}
console.log(`\nreference: runc run of the same root dir (runc spec defaults, own empty netns), ${N} runs`);
report('runc run → first output line', bareFirst);
report('runc run → exited and deleted', bareTotal);

// runc pause/resume: the freezer through the runc CLI
{
  spec.process.args = ['/bin/sleep', '60'];
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
  spawnSync('runc', ['--root', runcRoot, 'run', '-d', '--bundle', bundle, 'ref-pause'], { stdio: 'ignore' });
  const pause = [], resume = [];
  for (let i = 0; i < N; i++) {
    let t = now();
    spawnSync('runc', ['--root', runcRoot, 'pause', 'ref-pause']);
    pause.push(now() - t);
    t = now();
    spawnSync('runc', ['--root', runcRoot, 'resume', 'ref-pause']);
    resume.push(now() - t);
  }
  spawnSync('runc', ['--root', runcRoot, 'delete', '-f', 'ref-pause']);
  report('runc pause', pause);
  report('runc resume', resume);
}

// ── reference: docker run --rm of the same files ─────────────────────────────────────
if (spawnSync('docker', ['info'], { stdio: 'ignore' }).status === 0) {
  const tag = 'lambdock-bench/busybox:latest';
  const imported = spawnSync('sh', ['-c', 'tar -C "$1" -c . | docker import - "$2"', 'sh', layer, tag], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (imported.status !== 0) throw new Error('docker import failed');
  const dockerFirst = [];
  const runs = Math.min(N, 10);
  for (let i = 0; i < runs; i++) dockerFirst.push((await firstOutput('docker', ['run', '--rm', tag, '/bin/sh', '-c', 'echo ready'])).first);
  console.log(`\nreference: docker run --rm (dockerd ${spawnSync('docker', ['version', '--format', '{{.Server.Version}}']).stdout.toString().trim()}), ${runs} runs`);
  report('docker run --rm → first output line', dockerFirst);
  spawnSync('docker', ['rmi', tag], { stdio: 'ignore' });
} else {
  console.log('\nreference: docker run skipped (no Docker engine answers)');
}

const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`\ncomparison (medians): lambdock create+start→first output ${med(toFirst).toFixed(1)} ms vs bare runc run ${med(bareFirst).toFixed(1)} ms` +
  (results['docker run --rm → first output line'] ? ` vs docker run ${med(results['docker run --rm → first output line']).toFixed(1)} ms` : '') +
  `; freeze ${med(freeze).toFixed(2)} ms vs runc pause ${med(results['runc pause']).toFixed(1)} ms`);
console.log(`command: BENCH_N=${N} node bench/sandbox.mjs   (${new Date().toISOString()}, ${process.version})`);
rmSync(base, { recursive: true, force: true });
