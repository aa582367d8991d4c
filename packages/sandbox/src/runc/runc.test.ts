import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Sandbox, SandboxRuntime } from '../runtime.js';
import { createLogger } from '@lambdock/common';
import { RuncRuntime } from './runtime.js';
import type { RuncSandbox } from './sandbox.js';
import { buildBusyboxLayer, runSandboxConformance } from '../testsuite.js';
import { run } from './exec.js';
import { findCgroupMounts } from './cgroups.js';

const stateDirs = new WeakMap<object, string>();

/** Everything a runc sandbox puts on the host; all of it must be gone after destroy(). */
async function leftovers(runtime: SandboxRuntime, sandbox: Sandbox): Promise<string[]> {
  const stateDir = stateDirs.get(runtime)!;
  const tag = createHash('sha256').update(stateDir).digest('hex').slice(0, 8);
  const left: string[] = [];
  if (readFileSync('/proc/self/mountinfo', 'utf8').includes(`${stateDir}/sandboxes/${sandbox.id}/`)) left.push('rootfs mount');
  for (const root of findCgroupMounts().all) {
    if (existsSync(`${root}/lambdock/${tag}/${sandbox.id}`)) left.push(`cgroup ${root}`);
  }
  const { netns, hostVeth } = (sandbox as RuncSandbox).record;
  assert.ok(netns && hostVeth, 'a created sandbox has a network namespace');
  if (existsSync(`/run/netns/${netns}`)) left.push('netns');
  if ((await run('ip', ['link', 'show', hostVeth])).code === 0) left.push('veth');
  const lease = `/run/lambdock/lambdock0/${sandbox.address}`;
  if (existsSync(lease) && readFileSync(lease, 'utf8') === netns) left.push('address lease');
  if (existsSync(`${stateDir}/sandboxes/${sandbox.id}`) || existsSync(`${stateDir}/runc/${sandbox.id}`)) left.push('state dir');
  return left;
}

function newRuntime(stateDir: string, runtimeApiPort?: number): RuncRuntime {
  const rt = new RuncRuntime({ stateDir, runtimeApiPort, logger: createLogger({ level: 'error' }) });
  stateDirs.set(rt, resolve(stateDir));
  return rt;
}

await runSandboxConformance({
  name: 'runc',
  createRuntime: ({ stateDir, runtimeApiPort }) => newRuntime(stateDir, runtimeApiPort),
  leftovers,
});

const check = await new RuncRuntime({ stateDir: tmpdir() }).check();

test('init() removes what a crashed run left in its state dir', { skip: check.ok ? undefined : check.reason }, async () => {
  const base = mkdtempSync(join(tmpdir(), 'lambdock-runc-crash-'));
  const layer = join(base, 'layer');
  buildBusyboxLayer(layer);
  const stateDir = join(base, 'state');
  const crashed = newRuntime(stateDir);
  const next = newRuntime(stateDir);
  try {
    await crashed.init();
    const sb = await crashed.create({
      id: 'left-over',
      rootfs: { lowerDirs: [layer] },
      process: { args: ['/bin/sleep', '60'], env: [], cwd: '/' },
      memoryMb: 64,
      tmpSizeMb: 4,
    });
    await sb.start();
    await sb.freeze(); // the worst case: a frozen process only dies once thawed
    // `crashed` is never closed: the next runtime on the same state dir finds its sandbox
    await next.init();
    const exit = await Promise.race([sb.exited, new Promise((r) => setTimeout(() => r('timeout'), 5000))]);
    assert.deepEqual(exit, { code: null, signal: 'SIGKILL', oomKilled: false });
    assert.deepEqual(await leftovers(next, sb), []);
  } finally {
    await crashed.close();
    await next.close();
    rmSync(base, { recursive: true, force: true });
  }
  const tag = createHash('sha256').update(resolve(stateDir)).digest('hex').slice(0, 8);
  assert.deepEqual(readdirSync('/run/netns').filter((n) => n.startsWith(`ldk-${tag}-`)), [], 'close() removes the namespace pool');
});

test('a process that exits without close() leaves no sandbox running and no namespace or mount behind', { skip: check.ok ? undefined : check.reason }, async () => {
  const base = mkdtempSync(join(tmpdir(), 'lambdock-runc-exit-'));
  try {
    buildBusyboxLayer(join(base, 'layer'));
    const script = `
      import { RuncRuntime } from ${JSON.stringify(new URL('./runtime.js', import.meta.url).href)};
      const rt = new RuncRuntime({ stateDir: ${JSON.stringify(join(base, 'state'))} });
      await rt.init();
      const out = [];
      for (const id of ['running', 'frozen']) {
        const sb = await rt.create({ id, rootfs: { lowerDirs: [${JSON.stringify(join(base, 'layer'))}] }, process: { args: ['/bin/sleep', '60'], env: [], cwd: '/' }, memoryMb: 64, tmpSizeMb: 4 });
        await sb.start();
        if (id === 'frozen') await sb.freeze();
        out.push({ ...sb.record, pid: sb.pid });
      }
      await new Promise((r) => setTimeout(r, 200)); // the namespace pool refills meanwhile
      console.log(JSON.stringify(out));
      process.exit(0); // no close()
    `;
    const r = await run(process.execPath, ['--input-type=module', '-e', script]);
    assert.equal(r.code, 0, r.stderr);
    const records = JSON.parse(r.stdout) as { netns: string; rootfs: string; pid: number }[];
    assert.equal(records.length, 2);
    await new Promise((res) => setTimeout(res, 200));
    for (const rec of records) {
      assert.equal(existsSync(`/proc/${rec.pid}`), false, 'sandbox process still running');
      assert.equal(existsSync(`/run/netns/${rec.netns}`), false, 'namespace left');
      assert.equal(readFileSync('/proc/self/mountinfo', 'utf8').includes(rec.rootfs), false, 'rootfs still mounted');
    }
    const tag = createHash('sha256').update(join(base, 'state')).digest('hex').slice(0, 8);
    assert.deepEqual(readdirSync('/run/netns').filter((n) => n.startsWith(`ldk-${tag}-`)), [], 'namespace pool left');
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
