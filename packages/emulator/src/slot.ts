import http from 'node:http';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import type { Logger } from '@lambdock/common';
import {
  RuntimeEnvironment,
  createRuntimeApiServer,
  launchExtensions,
  InvokeFailedError,
  ErrorType,
  startLine,
  endLine,
  reportLine,
  timeoutLine,
  type InvokeDone,
  type InvokeRequest,
  type InvokeResult,
  type LaunchedExtension,
} from '@lambdock/runtime-api';
import type { EmulatorConfig } from './config.js';

/** What one invoke needs from the HTTP side. `respond` is called exactly once. */
export interface Job {
  requestId: string;
  payload: Buffer;
  contentType?: string;
  clientContext?: string;
  traceId?: string;
  /** The caller can take a streamed response as it is produced. */
  streaming: boolean;
  respond(outcome: Outcome): void;
}
export type Outcome = { result: InvokeResult } | { failure: InvokeFailedError };

export interface SlotDeps {
  config: EmulatorConfig;
  logger: Logger;
  /** Lambda's own log lines (START/END/REPORT, timeouts) go here: the emulator's stdout. */
  out: (line: string) => void;
  /** External extension executables, started with every runtime process. */
  extensionPaths: readonly string[];
  /** The slot finished an invoke and can take the next one. */
  onIdle: (slot: Slot) => void;
}

interface Current {
  job: Job;
  env: RuntimeEnvironment;
  timer: NodeJS.Timeout;
  startedAt: number;
}

const signalText: Record<string, string> = {
  SIGKILL: 'killed',
  SIGTERM: 'terminated',
  SIGSEGV: 'segmentation fault',
  SIGABRT: 'aborted',
  SIGINT: 'interrupt',
  SIGBUS: 'bus error',
  SIGILL: 'illegal instruction',
  SIGFPE: 'floating point exception',
};

/**
 * One execution environment of the emulator: a Runtime API server, the runtime
 * process (plus external extensions) and its RuntimeEnvironment. Runs one invoke
 * at a time, enforces the function timeout, turns crashes into Runtime.ExitError,
 * and replaces the runtime after a crash or timeout (eagerly) or an init failure
 * (lazily, on the next invoke, so a broken function does not spin).
 */
export class Slot {
  env: RuntimeEnvironment | undefined;
  busy = false;
  private child: ChildProcess | undefined;
  private extensions: LaunchedExtension[] = [];
  private readonly server: http.Server;
  private apiAddress = '';
  private current: Current | undefined;
  private stale = false;
  private closed = false;
  private memory = { pid: 0, at: 0, mb: 0 };
  private startedAt = 0;
  private readonly baseEnv: NodeJS.ProcessEnv;
  private readonly arn: string;

  constructor(
    readonly index: number,
    private readonly deps: SlotDeps,
  ) {
    this.server = createRuntimeApiServer(() => this.env);
    const c = deps.config;
    this.arn = `arn:aws:lambda:${c.region}:${c.accountId}:function:${c.functionName}`;
    const now = new Date();
    const day = `${now.getUTCFullYear()}/${String(now.getUTCMonth() + 1).padStart(2, '0')}/${String(now.getUTCDate()).padStart(2, '0')}`;
    this.baseEnv = {
      ...process.env,
      AWS_LAMBDA_FUNCTION_NAME: c.functionName,
      AWS_LAMBDA_FUNCTION_VERSION: c.functionVersion,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(c.memorySizeMb),
      AWS_LAMBDA_FUNCTION_TIMEOUT: String(c.timeoutSec),
      // Kept when the caller sets them (tests pin them); otherwise named as Lambda names them.
      AWS_LAMBDA_LOG_GROUP_NAME: process.env['AWS_LAMBDA_LOG_GROUP_NAME'] || `/aws/lambda/${c.functionName}`,
      AWS_LAMBDA_LOG_STREAM_NAME: process.env['AWS_LAMBDA_LOG_STREAM_NAME'] || `${day}/[${c.functionVersion}]${randomBytes(16).toString('hex')}`,
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_REGION: c.region,
      AWS_DEFAULT_REGION: process.env['AWS_DEFAULT_REGION'] || c.region,
      LAMBDA_TASK_ROOT: c.taskRoot,
      LAMBDA_RUNTIME_DIR: process.env['LAMBDA_RUNTIME_DIR'] || '/var/runtime',
      _HANDLER: c.handler,
    };
  }

  /** Address of this slot's Runtime API (what AWS_LAMBDA_RUNTIME_API says). */
  get runtimeApi(): string {
    return this.apiAddress;
  }

  async listen(host: string, port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const a = this.server.address() as AddressInfo;
    this.apiAddress = `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  }

  /** Starts a fresh runtime (and extensions) with a new environment. */
  start(): void {
    const c = this.deps.config;
    const env = new RuntimeEnvironment({
      functionName: c.functionName,
      functionVersion: c.functionVersion,
      memorySizeMb: c.memorySizeMb,
      handler: c.handler,
      logger: this.deps.logger,
      externalExtensions: this.deps.extensionPaths.map((p) => p.slice(p.lastIndexOf('/') + 1)),
      maxMemoryUsedMb: () => this.maxMemoryUsedMb(),
      accountId: c.accountId,
    });
    this.env = env;
    this.startedAt = performance.now();
    env.on('invoke-done', (d: InvokeDone) => this.onInvokeDone(env, d));
    const processEnv = { ...this.baseEnv, AWS_LAMBDA_RUNTIME_API: this.apiAddress };
    if (this.deps.extensionPaths.length === 0) {
      this.spawnRuntime(env, processEnv);
      return;
    }
    void launchExtensions(env, {
      paths: this.deps.extensionPaths,
      env: processEnv,
      onLine: (_name, line) => this.deps.out(line),
    }).then((launched) => {
      this.extensions = launched;
      if (this.env === env && env.state === 'init') this.spawnRuntime(env, processEnv);
      else for (const x of launched) killGroup(x.process);
    });
  }

  /** Runs one invoke on this slot (the pool only calls this while not busy). */
  run(job: Job): void {
    this.busy = true;
    if (!this.env || this.env.state === 'shutdown') this.start();
    const env = this.env!;
    const c = this.deps.config;
    const timeoutMs = c.timeoutSec * 1000;
    const startedAt = performance.now();
    this.deps.out(startLine(job.requestId, c.functionVersion));
    const cur: Current = { job, env, startedAt, timer: setTimeout(() => this.onTimeout(cur), timeoutMs) };
    this.current = cur;
    const req: InvokeRequest = { requestId: job.requestId, payload: job.payload, deadlineMs: Date.now() + timeoutMs, invokedFunctionArn: this.arn };
    if (job.contentType) req.contentType = job.contentType;
    if (job.clientContext) req.clientContext = job.clientContext;
    if (job.traceId) req.traceId = job.traceId;
    env.invoke(req, { streaming: job.streaming }).then(
      (result) => job.respond({ result }),
      (err: unknown) => {
        const failure =
          err instanceof InvokeFailedError ? err : new InvokeFailedError(ErrorType.SandboxFailure, err instanceof Error ? err.message : String(err));
        job.respond({ failure });
        // The invoke never reached a running handler (init failed, crashed or timed out during init).
        if (this.current === cur) this.endFailedInit(cur, failure);
      },
    );
  }

  /** Code changed (--watch): replace the runtime now, or after the invoke in flight. */
  restart(): void {
    if (this.busy) {
      this.stale = true;
      return;
    }
    if (!this.env) return; // lazily started anyway
    this.teardown();
    this.start();
  }

  async close(): Promise<void> {
    this.closed = true;
    const env = this.env;
    this.env = undefined;
    if (env && env.state !== 'shutdown') await env.shutdown();
    this.killProcesses();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  // ------------------------------------------------------------------ internals

  private spawnRuntime(env: RuntimeEnvironment, processEnv: NodeJS.ProcessEnv): void {
    const c = this.deps.config;
    const [cmd, ...args] = c.bootstrap;
    if (!cmd) {
      const msg = `Couldn't find valid bootstrap(s): [${['/var/task/bootstrap', '/opt/bootstrap', '/var/runtime/bootstrap'].join(' ')}]`;
      this.deps.logger.error(msg);
      env.initError({ errorType: 'Runtime.InvalidEntrypoint', payload: Buffer.from(JSON.stringify({ errorMessage: msg, errorType: 'Runtime.InvalidEntrypoint' })) });
      return;
    }
    const pipe = this.deps.extensionPaths.length > 0; // telemetry needs the lines; otherwise hand over the fds
    this.deps.logger.debug('exec runtime', { cmd, args, cwd: c.taskRoot, handler: c.handler, runtimeApi: this.apiAddress });
    // Own process group, so a bootstrap script's children go down with it (Lambda drops the whole sandbox).
    const child = spawn(cmd, args, {
      cwd: cwdFor(c.taskRoot),
      env: processEnv,
      detached: true,
      stdio: pipe ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'],
    });
    this.child = child;
    if (pipe) {
      const forward = (stream: NodeJS.WriteStream) => (chunk: Buffer) => {
        stream.write(chunk);
        for (const line of chunk.toString('utf8').split('\n')) if (line) env.functionLog(line);
      };
      child.stdout?.on('data', forward(process.stdout));
      child.stderr?.on('data', forward(process.stderr));
    }
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (this.env !== env || env.state !== 'init') return;
      const msg = `Runtime could not be started: ${cmd}: ${err.code === 'ENOENT' ? 'no such file or directory' : err.code === 'EACCES' ? 'permission denied' : err.message}`;
      this.deps.logger.error(msg);
      env.initError({ errorType: 'Runtime.InvalidEntrypoint', payload: Buffer.from(JSON.stringify({ errorMessage: msg, errorType: 'Runtime.InvalidEntrypoint' })) });
    });
    child.on('exit', (code, signal) => this.onExit(env, child, code, signal));
  }

  private onExit(env: RuntimeEnvironment, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child === child) this.child = undefined;
    if (this.env !== env || env.state === 'shutdown' || env.state === 'init-failed' || this.closed) return;
    const status = signal ? `signal: ${signalText[signal] ?? signal}` : `exit status ${code ?? 0}`;
    const cur = this.current && this.current.env === env ? this.current : undefined;
    const errorMessage = `${cur ? `RequestId: ${cur.job.requestId} ` : ''}Error: Runtime exited with error: ${status}`;
    this.deps.out(`${errorMessage}\n${ErrorType.RuntimeExitError}`);
    const wasReady = env.state === 'ready';
    env.fail({ errorType: ErrorType.RuntimeExitError, errorMessage });
    if (!cur) {
      // Idle crash: a runtime that was serving is replaced now; one that never finished init, or that
      // died within a second of starting (a crash loop), waits for the next invoke.
      const livedMs = performance.now() - this.startedAt;
      this.teardown();
      if (wasReady && livedMs > 1000 && !this.closed) this.start();
    }
  }

  private onTimeout(cur: Current): void {
    if (this.current !== cur) return;
    const c = this.deps.config;
    this.deps.out(timeoutLine(cur.job.requestId, (performance.now() - cur.startedAt) / 1000));
    this.killProcesses();
    cur.env.fail({
      errorType: ErrorType.SandboxTimedout,
      errorMessage: `RequestId: ${cur.job.requestId} Error: Task timed out after ${c.timeoutSec.toFixed(2)} seconds`,
    });
  }

  private onInvokeDone(env: RuntimeEnvironment, d: InvokeDone): void {
    const cur = this.current;
    if (!cur || cur.env !== env || cur.job.requestId !== d.requestId) return;
    clearTimeout(cur.timer);
    this.current = undefined;
    // One write for both lines: this runs once per invoke on the hot path.
    this.deps.out(`${endLine(d.requestId)}\n${reportLine(d, this.deps.config.memorySizeMb, this.maxMemoryUsedMb())}`);
    if (env.state === 'shutdown') {
      // crash or timeout: replace the runtime right away so the next invoke is warm again
      this.teardown();
      if (!this.closed) this.start();
    } else if (this.stale) {
      this.stale = false;
      this.teardown();
      this.start();
    }
    this.idle();
  }

  private endFailedInit(cur: Current, failure: InvokeFailedError): void {
    clearTimeout(cur.timer);
    this.current = undefined;
    const durationMs = performance.now() - cur.startedAt;
    this.deps.out(`INIT_REPORT Init Duration: ${durationMs.toFixed(2)} ms\tPhase: init\tStatus: error\tError Type: ${failure.errorType}`);
    this.deps.out(endLine(cur.job.requestId));
    this.deps.out(reportLine({ requestId: cur.job.requestId, durationMs }, this.deps.config.memorySizeMb, this.maxMemoryUsedMb()));
    this.teardown(); // the next invoke retries init with a fresh runtime
    this.stale = false;
    this.idle();
  }

  private idle(): void {
    this.busy = false;
    if (!this.closed) this.deps.onIdle(this);
  }

  private teardown(): void {
    const env = this.env;
    this.env = undefined;
    const child = this.child;
    this.child = undefined;
    const exts = this.extensions;
    this.extensions = [];
    if (child) killGroup(child);
    if (!env) return;
    const done = env.state === 'shutdown' ? Promise.resolve() : env.shutdown();
    if (exts.length > 0) void done.then(() => exts.forEach((x) => killGroup(x.process)));
  }

  private killProcesses(): void {
    if (this.child) killGroup(this.child);
    for (const x of this.extensions) killGroup(x.process);
  }

  /**
   * Peak resident memory of the runtime process (VmHWM). Sampled at most every 100 ms:
   * reading /proc on every invoke would cost more than the rest of a warm invoke.
   */
  private maxMemoryUsedMb(): number {
    const pid = this.child?.pid;
    if (!pid) return this.memory.mb;
    const now = performance.now();
    if (this.memory.pid === pid && now - this.memory.at < 100) return this.memory.mb;
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'latin1');
      const i = status.indexOf('VmHWM:');
      const mb = i < 0 ? 0 : Math.round(parseInt(status.slice(i + 6), 10) / 1024);
      this.memory = { pid, at: now, mb: Math.max(mb, this.memory.pid === pid ? this.memory.mb : 0) };
    } catch {
      /* process gone: keep the last sample */
    }
    return this.memory.mb;
  }
}

/** SIGKILL a process and everything in its process group. */
function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

function cwdFor(taskRoot: string): string {
  try {
    return statSync(taskRoot).isDirectory() ? taskRoot : process.cwd();
  } catch {
    return process.cwd();
  }
}
