import { readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * cgroup v1, written directly (no runc process on the hot path).
 *
 * Each sandbox gets a cgroup we own, `lambdock/<runtime tag>/<sandbox id>`, holding its
 * limits (memory + memsw, cpu shares, pids) and its freezer; runc runs the container in
 * a child `ctr` of it. runc removes `ctr` when the process ends, but ours outlives it,
 * so peak memory, CPU time and the memory-limit hit count stay readable until destroy.
 *
 *   /sys/fs/cgroup/memory/lambdock/<tag>/<id>/         limits, stats    (ours)
 *   /sys/fs/cgroup/memory/lambdock/<tag>/<id>/ctr/     the processes    (runc's)
 */
export interface CgroupMounts {
  /** controller name (memory, freezer, cpu, cpuacct, pids, …) → mount point of its hierarchy. */
  readonly byController: ReadonlyMap<string, string>;
  /** every hierarchy mount point, v1 and a hybrid host's v2 (runc creates its `ctr` cgroup in each). */
  readonly all: readonly string[];
}

const REQUIRED = ['memory', 'freezer', 'pids', 'cpu', 'cpuacct'] as const;

export function findCgroupMounts(mountsText = readFileSync('/proc/self/mounts', 'utf8')): CgroupMounts {
  const byController = new Map<string, string>();
  const all: string[] = [];
  for (const line of mountsText.split('\n')) {
    const [, mountPoint, type, options] = line.split(' ');
    if (!mountPoint || !options) continue;
    // hybrid hosts: runc also creates the container's cgroup in the v2 "unified" tree
    if (type === 'cgroup2') all.push(mountPoint);
    if (type !== 'cgroup') continue;
    all.push(mountPoint);
    for (const opt of options.split(',')) {
      if (opt.startsWith('name=')) byController.set(opt, mountPoint);
      else if (!['rw', 'ro', 'relatime', 'nosuid', 'nodev', 'noexec', 'clone_children', 'noprefix', 'xattr'].includes(opt)) byController.set(opt, mountPoint);
    }
  }
  return { byController, all };
}

export function missingControllers(mounts: CgroupMounts): string[] {
  return REQUIRED.filter((c) => !mounts.byController.has(c));
}

export class SandboxCgroup {
  /** Path relative to each hierarchy root, e.g. `lambdock/ab12cd/fn-1`. */
  readonly relPath: string;

  constructor(
    private readonly mounts: CgroupMounts,
    relPath: string,
  ) {
    this.relPath = relPath;
  }

  /** The path runc is given (`linux.cgroupsPath`). */
  get containerPath(): string {
    return `/${this.relPath}/ctr`;
  }

  private dir(controller: (typeof REQUIRED)[number]): string {
    return join(this.mounts.byController.get(controller)!, this.relPath);
  }

  private file(controller: (typeof REQUIRED)[number], name: string): string {
    return join(this.dir(controller), name);
  }

  async create(limits: { memoryBytes: number; cpuShares: number; pidsLimit: number }): Promise<void> {
    await Promise.all(REQUIRED.map((c) => mkdir(this.dir(c), { recursive: true })));
    // memory before memsw: memsw must never be below memory. Equal values mean no swap.
    await writeFile(this.file('memory', 'memory.limit_in_bytes'), String(limits.memoryBytes));
    await writeFile(this.file('memory', 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes)).catch(() => {
      // swap accounting disabled on this kernel: nothing to swap to from a cgroup limit's view
    });
    await Promise.all([
      writeFile(this.file('memory', 'memory.swappiness'), '0').catch(() => {}),
      writeFile(this.file('cpu', 'cpu.shares'), String(limits.cpuShares)),
      writeFile(this.file('pids', 'pids.max'), String(limits.pidsLimit)),
    ]);
  }

  /**
   * cgroup v1's freezer can stick in FREEZING, e.g. while a task is inside execve
   * waiting for its other threads to die (a sandbox frozen right as runc's init execs
   * the runtime). Like runc: write FROZEN again on every round (that retries the
   * stragglers) and now and then thaw briefly so such a task can finish; give up
   * thawed rather than leave it half frozen.
   */
  async freeze(): Promise<void> {
    const f = this.file('freezer', 'freezer.state');
    for (let i = 0; i < 1000; i++) {
      if (i % 50 === 49) {
        await writeFile(f, 'THAWED');
        await new Promise((r) => setTimeout(r, 10));
      }
      await writeFile(f, 'FROZEN');
      const now = (await readFile(f, 'utf8')).trim();
      if (now === 'FROZEN') return;
      if (now !== 'FREEZING') throw new Error(`unexpected freezer state ${now} while freezing`);
      if (i % 25 === 24) await new Promise((r) => setTimeout(r, 1));
    }
    await writeFile(f, 'THAWED').catch(() => {});
    throw new Error('unable to freeze: tasks stayed in FREEZING');
  }

  async thaw(): Promise<void> {
    const f = this.file('freezer', 'freezer.state');
    for (let i = 0; i < 1000; i++) {
      await writeFile(f, 'THAWED');
      if ((await readFile(f, 'utf8')).trim() === 'THAWED') return;
      await new Promise((r) => setTimeout(r, 1));
    }
    throw new Error('unable to thaw');
  }

  /**
   * Read synchronously on purpose: these are kernel pseudo-files (no disk behind them), a
   * read costs microseconds, while each async readFile is four thread-pool round trips
   * (open, fstat, read, close). The platform reads every busy environment's stats about
   * twice a second; with 64 environments under load the async reads were ~12% of its CPU.
   */
  stats(): Promise<{ memoryBytes: number; memoryMaxBytes: number; cpuNs: number }> {
    try {
      const read = (controller: 'memory' | 'cpuacct', name: string): number => Number(readFileSync(this.file(controller, name), 'utf8').trim());
      return Promise.resolve({ memoryBytes: read('memory', 'memory.usage_in_bytes'), memoryMaxBytes: read('memory', 'memory.max_usage_in_bytes'), cpuNs: read('cpuacct', 'cpuacct.usage') });
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  /**
   * Whether the memory limit was ever hit. The kernel's oom_kill counter is kept on
   * the victim's cgroup — runc's `ctr`, removed when the process ends — so an OOM kill
   * is recognised as a SIGKILL plus this: the limit sits on our cgroup, whose peak
   * reaches the limit (the failure counters are not kept by every kernel; charges come
   * in batches of up to 64 pages, hence the slack).
   */
  async limitHit(): Promise<boolean> {
    const read = (name: string) =>
      readFile(this.file('memory', name), 'utf8').then((s) => Number(s.trim()), () => 0);
    const [limit, failcnt, memswFailcnt, peak, memswPeak] = await Promise.all(
      ['memory.limit_in_bytes', 'memory.failcnt', 'memory.memsw.failcnt', 'memory.max_usage_in_bytes', 'memory.memsw.max_usage_in_bytes'].map(read),
    );
    const slack = 64 * 4096;
    return failcnt! > 0 || memswFailcnt! > 0 || (limit! > 0 && Math.max(peak!, memswPeak!) >= limit! - slack);
  }

  /** For exit handlers, where nothing asynchronous runs any more. */
  thawSync(): void {
    try {
      writeFileSync(this.file('freezer', 'freezer.state'), 'THAWED');
    } catch {
      // gone
    }
  }

  /** removes the cgroups synchronously, waiting up to `deadline` (ms epoch) for killed tasks to go */
  removeSync(deadline: number): void {
    const pause = new Int32Array(new SharedArrayBuffer(4));
    for (const root of this.mounts.all) {
      for (const p of [join(root, this.relPath, 'ctr'), join(root, this.relPath)]) {
        for (;;) {
          try {
            rmdirSync(p);
            break;
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'EBUSY' || Date.now() > deadline) break;
            Atomics.wait(pause, 0, 0, 5);
          }
        }
      }
    }
  }

  /** Kills every process in the sandbox's cgroup (thawed first: a frozen task can't die); never throws. */
  async killAll(): Promise<void> {
    await this.thaw().catch(() => {});
    const dir = this.dir('pids');
    for (const procs of [join(dir, 'ctr', 'cgroup.procs'), join(dir, 'cgroup.procs')]) {
      const pids = await readFile(procs, 'utf8').then((t) => t.split('\n').filter(Boolean).map(Number), () => [] as number[]);
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // exited meanwhile
        }
      }
    }
  }

  /** Removes runc's leftover `ctr` (if any) and ours in every hierarchy; never throws. */
  async remove(): Promise<void> {
    await Promise.all(
      this.mounts.all.map(async (root) => {
        for (const p of [join(root, this.relPath, 'ctr'), join(root, this.relPath)]) await rmdirRetry(p);
      }),
    );
  }
}

/** rmdir of a cgroup whose last task is still exiting fails with EBUSY for a moment. */
export async function rmdirRetry(path: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      await rmdir(path);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY') return;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}
