/**
 * The sandbox runtime seam: how the platform gets an isolated execution
 * environment for one function instance. Backends live in sibling folders
 * (`runc/` today; a Docker Engine API and a Kubernetes backend later) and all run
 * the conformance suite in `testsuite.ts`.
 *
 * Lifecycle, as the platform's environment pool drives it:
 *
 *   const rt = new RuncRuntime({ stateDir });
 *   const c = await rt.check();            // { ok: false, reason } → this backend can't run here
 *   await rt.init();                        // host setup (bridge, firewall, dirs), idempotent;
 *                                           // removes leftovers of a crashed previous run in stateDir
 *   serve Runtime API on rt.hostAddress:9001
 *   const sb = await rt.create(spec);       // root fs mounted read-only, limits set, network
 *                                           // namespace with its own address: nothing runs yet
 *   await sb.start();                       // spec.process is running; output flows to spec.onOutput
 *   ... invoke ...  await sb.freeze();      // idle: every process stopped, memory kept
 *   await sb.thaw(); ... invoke ...         // next invoke on the warm environment
 *   await sb.stats();                       // memory (current, peak) and CPU time, also after exit
 *   sb.exited.then(({ code, signal, oomKilled }) => replace the environment)
 *   await sb.destroy();                     // kill + remove everything; idempotent, never throws
 *   await rt.close();                       // destroys what is left
 *
 * Sandbox states (transitions not listed are refused with InvalidTransitionError):
 *
 *   created ─start→ starting ─→ running ⇄ frozen
 *      │               │          │        │
 *      │               └──────────┴────────┴──→ exited      (the process ended by itself)
 *      └───────────────┴──────────┴────────┴──→ destroyed   (destroy(), from any state)
 */

/** What one execution environment runs and within which limits. */
export interface SandboxSpec {
  /** Unique per runtime, `[a-z0-9-]{1,64}`. */
  id: string;
  /** Layer snapshot directories, top-most first; mounted as one read-only root. */
  rootfs: { lowerDirs: string[] };
  /** The process to run. uid/gid default to Lambda's unprivileged sbx_user1051 (993:990). */
  process: { args: string[]; env: string[]; cwd: string; uid?: number; gid?: number };
  /** Memory limit in MiB (RAM + swap together: no swap), the function's MemorySize. */
  memoryMb: number;
  /** Relative CPU weight; default proportional to memory (1769 MB = one vCPU = 1024 shares). */
  cpuShares?: number;
  /** Maximum number of processes/threads; default 1024. */
  pidsLimit?: number;
  /** Size of the writable /tmp in MiB, the function's EphemeralStorage. */
  tmpSizeMb: number;
  /** Host name seen inside; default the sandbox id. */
  hostname?: string;
  /** The process's output, chunk by chunk as it is written. */
  onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
}

/** How the process ended. `signal` is set (and `code` null) when it was killed by one. */
export interface SandboxExit {
  code: number | null;
  signal: string | null;
  /** The memory limit was hit and the kernel killed the process for it. */
  oomKilled: boolean;
}

export interface SandboxStats {
  /** Memory charged now (RSS + page cache + tmpfs), bytes. */
  memoryBytes: number;
  /** Peak memory since creation, bytes ("Max Memory Used"). */
  memoryMaxBytes: number;
  /** CPU time consumed by all its processes, nanoseconds. */
  cpuNs: number;
}

export interface Sandbox {
  readonly id: string;
  /** The sandbox's own IP address; its requests to the Runtime API come from it. */
  readonly address: string;
  /** Starts spec.process; resolves once it runs, rejects with SandboxStartError if it could not be started. */
  start(): Promise<void>;
  /** Stops every process of the sandbox (cgroup freezer); resolves once all are stopped. */
  freeze(): Promise<void>;
  /** Resumes a frozen sandbox. */
  thaw(): Promise<void>;
  stats(): Promise<SandboxStats>;
  /** Settles (never rejects) when the process has ended, or when the sandbox is destroyed. */
  readonly exited: Promise<SandboxExit>;
  /** Kills the processes and removes mounts, cgroups, network and state. Idempotent; never throws. */
  destroy(): Promise<void>;
}

export type CheckResult = { ok: true } | { ok: false; reason: string };

export interface SandboxRuntime {
  readonly name: string;
  /** Whether this backend can run on this host; tests skip with `reason` otherwise. */
  check(): Promise<CheckResult>;
  /** Idempotent host setup; also cleans up what a crashed previous run left behind. */
  init(): Promise<void>;
  /** The host address every sandbox can reach; the platform serves the Runtime API there. */
  readonly hostAddress: string;
  /** Prepares a sandbox (root fs, limits, network, address); its process is not started yet. */
  create(spec: SandboxSpec): Promise<Sandbox>;
  /** Destroys every sandbox this runtime created and removes its host-side rules. */
  close(): Promise<void>;
}
