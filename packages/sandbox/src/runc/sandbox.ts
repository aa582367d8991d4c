import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { InvalidTransitionError, StateMachine, type Logger, type TransitionTable } from '@lambdock/common';
import type { Sandbox, SandboxExit, SandboxSpec, SandboxStats } from '../runtime.js';
import { SandboxStartError } from '../errors.js';
import type { SandboxCgroup } from './cgroups.js';
import type { SandboxRecord } from './layout.js';

export type SandboxState = 'created' | 'starting' | 'running' | 'frozen' | 'exited' | 'destroying' | 'destroyed';

const TRANSITIONS: TransitionTable<SandboxState> = {
  created: ['starting', 'destroying'],
  starting: ['running', 'exited', 'destroying'],
  running: ['frozen', 'exited', 'destroying'],
  frozen: ['running', 'exited', 'destroying'],
  exited: ['destroying'],
  destroying: ['destroyed'],
  destroyed: [],
};

/** What the sandbox needs from its runtime: runc invocation and host teardown. */
export interface SandboxHost {
  readonly runc: string;
  readonly runcRoot: string;
  readonly log: Logger;
  /** Removes mounts, network, cgroups and state of a sandbox whose processes are gone; never throws. */
  teardown(record: SandboxRecord): Promise<void>;
  /** `runc delete -f` when runc's state for the container is still there. */
  forceDelete(id: string): Promise<void>;
  forget(id: string): void;
}

const signalNames = new Map<number, string>(Object.entries(osConstants.signals).map(([name, n]) => [n, name]));

/**
 * One environment run by `runc run` as our child process: runc stays attached, copies
 * the process's stdout/stderr to our pipes and exits with its status (128+n when killed
 * by signal n), so no polling is needed to learn how it ended. "Running" is when runc
 * writes the pid file, which it does after the process was started.
 */
export class RuncSandbox implements Sandbox {
  readonly id: string;
  readonly address: string;
  readonly exited: Promise<SandboxExit>;
  readonly #state: StateMachine<SandboxState>;
  #resolveExit!: (exit: SandboxExit) => void;
  #child: ChildProcess | undefined;
  #childClosed: Promise<void> = Promise.resolve();
  #pid: number | undefined;
  #killedByUs = false;
  #destroying: Promise<void> | undefined;
  #freezing: Promise<void> | undefined;
  readonly #record: SandboxRecord;

  constructor(
    private readonly host: SandboxHost,
    private readonly spec: SandboxSpec,
    record: SandboxRecord,
    private readonly cgroup: SandboxCgroup,
  ) {
    this.id = spec.id;
    this.address = record.address;
    this.#record = record;
    this.#state = new StateMachine<SandboxState>(`sandbox ${spec.id}`, TRANSITIONS, 'created');
    this.exited = new Promise((resolve) => (this.#resolveExit = resolve));
  }

  get state(): SandboxState {
    return this.#state.state;
  }

  /** Host-side names (namespace, veth, cgroup, mount point): for diagnostics and tests. */
  get record(): Readonly<SandboxRecord> {
    return this.#record;
  }

  /** Host pid of the sandbox's first process, once started. */
  get pid(): number | undefined {
    return this.#pid;
  }

  start(): Promise<void> {
    this.#state.to('starting');
    const { dir } = this.#record;
    const pidFile = join(dir, 'container.pid');
    const logFile = join(dir, 'runc.log');
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let watcher: FSWatcher | undefined;
      const running = (): boolean => {
        if (settled) return true;
        let pid: number;
        try {
          pid = Number(readFileSync(pidFile, 'utf8').trim());
        } catch {
          return false;
        }
        if (!(pid > 0)) return false;
        settled = true;
        watcher?.close();
        this.#pid = pid;
        void untilExeced(pid).then(() => {
          if (this.#state.state === 'starting') this.#state.to('running');
          resolve();
        });
        return true;
      };
      // the watch goes up before runc starts, so the pid file's arrival is not missed
      watcher = watch(dir, (_event, name) => {
        if (name === 'container.pid') running();
      });
      watcher.on('error', () => {}); // the dir goes away when destroyed while starting; runc's exit reports
      const child = spawn(
        this.host.runc,
        ['--root', this.host.runcRoot, '--log', logFile, '--log-format', 'json', 'run', '--bundle', dir, '--pid-file', pidFile, '--no-new-keyring', this.id],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      this.#child = child;
      const onOutput = this.spec.onOutput;
      child.stdout!.on('data', (chunk: Buffer) => onOutput?.('stdout', chunk));
      child.stderr!.on('data', (chunk: Buffer) => onOutput?.('stderr', chunk));
      this.#childClosed = new Promise((closed) => {
        child.on('error', (err) => {
          // spawn itself failed (runc binary missing): there is no process to wait for
          if (!settled) {
            settled = true;
            watcher?.close();
            reject(new SandboxStartError(`could not run ${this.host.runc}: ${err.message}`, { id: this.id }));
          }
          this.#finish({ code: null, signal: null, oomKilled: false });
          closed();
        });
        child.on('close', (code, signal) => {
          void this.#onRuncClose(code, signal, running, () => {
            if (settled) return;
            settled = true;
            watcher?.close();
            reject(new SandboxStartError(`sandbox ${this.id} could not start: ${runcError(logFile) ?? `runc exited with ${code ?? signal}`}`, { id: this.id }));
          }).finally(closed);
        });
      });
    });
  }

  async #onRuncClose(code: number | null, signal: NodeJS.Signals | null, running: () => boolean, failed: () => void): Promise<void> {
    const started = running();
    if (!started) {
      failed();
      this.#finish({ code, signal, oomKilled: false });
      return;
    }
    let exit: SandboxExit;
    if (signal !== null) exit = { code: null, signal, oomKilled: false };
    else if (code !== null && code > 128 && signalNames.has(code - 128)) exit = { code: null, signal: signalNames.get(code - 128)!, oomKilled: false };
    else exit = { code, signal: null, oomKilled: false };
    if (exit.signal === 'SIGKILL' && !this.#killedByUs) exit.oomKilled = await this.cgroup.limitHit();
    this.#finish(exit);
  }

  #finish(exit: SandboxExit): void {
    if (this.#state.can('exited')) this.#state.to('exited');
    this.host.log.debug('sandbox exited', { sandbox: this.id, ...exit });
    this.#resolveExit(exit);
  }

  async freeze(): Promise<void> {
    if (!this.#state.can('frozen')) this.#state.to('frozen'); // throws InvalidTransitionError
    this.#freezing = this.cgroup.freeze();
    try {
      await this.#freezing;
    } finally {
      this.#freezing = undefined;
    }
    if (this.#state.state === 'running') this.#state.to('frozen');
  }

  async thaw(): Promise<void> {
    if (this.#state.state !== 'frozen') throw new InvalidTransitionError(`sandbox ${this.id}`, this.#state.state, 'running');
    await this.cgroup.thaw();
    if (this.#state.state === 'frozen') this.#state.to('running');
  }

  stats(): Promise<SandboxStats> {
    return this.cgroup.stats();
  }

  /** The process is exiting without close(): kill synchronously (runc run then cleans its part). */
  killSync(): void {
    if (!this.#child || this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    this.cgroup.thawSync();
    try {
      if (this.#pid !== undefined) process.kill(this.#pid, 'SIGKILL');
      else this.#child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }

  /** After killSync: our cgroups, once the killed tasks are gone (bounded wait). */
  removeCgroupSync(deadline: number): void {
    this.cgroup.removeSync(deadline);
  }

  destroy(): Promise<void> {
    this.#destroying ??= this.#destroy();
    return this.#destroying;
  }

  async #destroy(): Promise<void> {
    const before = this.#state.state;
    this.#state.to('destroying');
    try {
      if (this.#child && this.#child.exitCode === null && this.#child.signalCode === null) {
        this.#killedByUs = true;
        // a frozen task only dies once thawed; a freeze under way must not refreeze it after
        await this.#freezing?.catch(() => {});
        if (before !== 'created') await this.cgroup.thaw().catch(() => {});
        if (this.#pid !== undefined) {
          try {
            process.kill(this.#pid, 'SIGKILL');
          } catch {
            // already gone
          }
        } else {
          this.#child.kill('SIGKILL'); // still in `runc run`'s setup: runc delete -f below finishes it
        }
        const closed = await Promise.race([this.#childClosed.then(() => true), delay(5000).then(() => false)]);
        if (!closed) this.#child.kill('SIGKILL');
      }
      // an exit seen just before must finish reading the cgroup (OOM) before it goes
      await Promise.race([this.#childClosed, delay(5000)]);
      await this.host.forceDelete(this.id);
      await this.host.teardown(this.#record);
    } catch (err) {
      this.host.log.warn('sandbox teardown incomplete', { sandbox: this.id, err });
    } finally {
      this.#state.to('destroyed');
      this.host.forget(this.id);
      this.#resolveExit({ code: null, signal: before === 'created' ? null : 'SIGKILL', oomKilled: false });
    }
  }
}

/**
 * runc writes the pid file once it has released its init, which then execs the
 * runtime a moment later; "running" means the runtime's own code runs (freezing
 * during that execve is what makes the v1 freezer stick).
 */
async function untilExeced(pid: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    let comm: string;
    try {
      comm = readFileSync(`/proc/${pid}/comm`, 'utf8');
    } catch {
      return; // already gone: exited will tell
    }
    if (!comm.startsWith('runc:')) return;
    await delay(i < 20 ? 0 : 1);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

/** The last error runc logged (its log is JSON lines: {"level":"error","msg":…}). */
function runcError(logFile: string): string | undefined {
  if (!existsSync(logFile)) return undefined;
  let msg: string | undefined;
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string };
      if ((entry.level === 'error' || entry.level === 'fatal') && entry.msg) msg = entry.msg;
    } catch {
      // partial line
    }
  }
  return msg;
}
