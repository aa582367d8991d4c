import { existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { RuncRuntime } from './runtime.js';
import { runSandboxConformance } from '../testsuite.js';
import { run } from './exec.js';

// What a runc sandbox may leave on the host; all of it must be gone after destroy().
const states = new WeakMap<object, string>();

await runSandboxConformance({
  name: 'runc',
  createRuntime: ({ stateDir, runtimeApiPort }) => {
    const rt = new RuncRuntime({ stateDir, runtimeApiPort, logger: undefined });
    states.set(rt, resolve(stateDir));
    return rt;
  },
  leftovers: async (runtime, sandbox) => {
    const stateDir = states.get(runtime)!;
    const tag = createHash('sha256').update(stateDir).digest('hex').slice(0, 8);
    const left: string[] = [];
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
    if (mounts.includes(`${stateDir}/sandboxes/${sandbox.id}/`)) left.push('rootfs mount');
    for (const ctl of ['memory', 'freezer', 'pids', 'cpu', 'cpuacct', 'cpuset', 'devices', 'blkio']) {
      if (existsSync(`/sys/fs/cgroup/${ctl}/lambdock/${tag}/${sandbox.id}`)) left.push(`cgroup ${ctl}`);
    }
    if (existsSync(`/run/netns/ldk-${tag}-${sandbox.id}`)) left.push('netns');
    const veth = `ldk${createHash('sha256').update(`${tag}/${sandbox.id}`).digest('hex').slice(0, 11)}`;
    if ((await run('ip', ['link', 'show', veth])).code === 0) left.push('veth');
    if (existsSync(`/run/lambdock/lambdock0/${sandbox.address}`) && readFileSync(`/run/lambdock/lambdock0/${sandbox.address}`, 'utf8').includes(`ldk-${tag}-${sandbox.id}`)) left.push('address lease');
    if (existsSync(`${stateDir}/sandboxes/${sandbox.id}`) || existsSync(`${stateDir}/runc/${sandbox.id}`)) left.push('state dir');
    return left;
  },
});
