import { performance } from 'node:perf_hooks';
import { StateMachine, shortId } from '@lambdock/common';
import type { Logger, TransitionTable } from '@lambdock/common';
import { RuntimeEnvironment, InvokeFailedError, startLine, endLine, reportLine, timeoutLine } from '@lambdock/runtime-api';
import type { InvokeRequest, InvokeResult, InvokeDone } from '@lambdock/runtime-api';
import type { Sandbox, SandboxExit, SandboxRuntime } from '@lambdock/sandbox';
import type { FunctionRecord, PreparedImage } from '../functions/model.js';
import type { LogService } from '../logs/log-service.js';
import { newStreamName } from '../logs/log-service.js';
import type { RuntimeApiRouter } from './runtime-api-router.js';
import { processConfig } from './process-config.js';

/**
 * Lifecycle of one execution environment as the pool sees it. Anything not listed is refused.
 *
 *   starting ──▶ idle ⇄ busy          idle ──▶ frozen ──▶ busy (thawed to serve)
 *      │          │       │             │         │
 *      └──────────┴───────┴─────────────┴─────────┴──▶ dead   (crash, timeout, OOM, reaped, retired)
 */
export type EnvironmentState = 'starting' | 'idle' | 'busy' | 'frozen' | 'dead';
const transitions: TransitionTable<EnvironmentState> = {
  starting: ['idle', 'dead'],
  idle: ['busy', 'frozen', 'dead'],
  busy: ['idle', 'dead'],
  frozen: ['busy', 'dead'],
  dead: [],
};

const STATS_EVERY_MS = 500;

/** Lambda's init phase limit. */
export const INIT_TIMEOUT_MS = 10_000;

export interface EnvironmentDeps {
  sandboxRuntime: SandboxRuntime;
  router: RuntimeApiRouter;
  logs: LogService;
  logger: Logger;
  region: string;
  runtimeApi: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
}

/** A failed start (init error, crash or timeout during init): what the invoke returns. */
export class EnvironmentStartError extends Error {
  constructor(
    readonly errorType: string,
    readonly payload: Buffer,
    readonly logLines: string[],
  ) {
    super(errorType);
  }
}

/** The environment ended before the event reached its runtime: safe to run the event elsewhere. */
export class EnvironmentGoneError extends Error {
  constructor() {
    super('the execution environment ended before the event reached it');
  }
}

export interface EnvInvokeOutcome {
  result: Exclude<InvokeResult, { kind: 'stream' }>;
  /** With `streaming`, a response the function streams (then `result` is an empty success). */
  stream?: Extract<InvokeResult, { kind: 'stream' }>;
  /** Resolves after END/REPORT were logged, with the invoke's log lines (for Tail) and its report. */
  done: Promise<{ lines: string[]; durationMs: number; billedDurationMs: number; maxMemoryUsedMb: number; initDurationMs?: number; error: boolean }>;
}

/**
 * One execution environment: a sandbox running the function's runtime process, its
 * RuntimeEnvironment (the Runtime API state), and its log stream.
 */
export class ExecutionEnvironment {
  readonly id: string;
  readonly streamName: string;
  readonly logGroup: string;
  readonly functionName: string;
  /** The function version it runs ('$LATEST' or a published number). */
  readonly version: string;
  readonly memorySizeMb: number;
  /** Pool bookkeeping: when it last became idle (performance.now()). */
  idleSince = 0;
  /** Set on the first invoke after a cold start. */
  coldStart = true;

  readonly #sm = new StateMachine<EnvironmentState>('execution environment', transitions, 'starting');
  readonly #deps: EnvironmentDeps;
  readonly #log: Logger;
  #sandbox: Sandbox | undefined;
  #runtime!: RuntimeEnvironment;  // set once the sandbox exists (see #start)
  #tail: string[] | undefined;
  #currentRequestId: string | undefined;
  #partial: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
  #freezing: Promise<void> | undefined;
  #maxMemoryMb = 0;
  #statsAt = -Infinity;
  /** Settles when the last invoke's END/REPORT are logged. */
  #previous: Promise<void> = Promise.resolve();
  /** Lines logged during init; the first invoke's Tail includes them, as Lambda's does. */
  #initLines: string[] | undefined = [];
  #destroyed: Promise<void> | undefined;
  #onDead: (() => void) | undefined;
  #exitInfo: SandboxExit | undefined;

  private constructor(rec: FunctionRecord, logGroup: string, deps: EnvironmentDeps) {
    this.id = `${rec.name.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 20) || 'fn'}-${shortId(6)}`;
    this.streamName = newStreamName(rec.version);
    this.logGroup = logGroup;
    this.functionName = rec.name;
    this.version = rec.version;
    this.memorySizeMb = rec.settings.memorySize;
    this.#deps = deps;
    this.#log = deps.logger.child({ function: rec.name, environment: this.id });
  }

  get state(): EnvironmentState {
    return this.#sm.state;
  }

  get alive(): boolean {
    return this.#sm.state !== 'dead';
  }

  /** Called once when the environment dies on its own (crash, OOM, timeout). */
  onDead(fn: () => void): void {
    this.#onDead = fn;
  }

  /**
   * Creates the sandbox, starts the runtime and waits for init (≤ 10 s). Throws
   * EnvironmentStartError with the invoke's error payload when init fails.
   */
  static async start(rec: FunctionRecord, image: PreparedImage, lowerDirs: string[], logGroup: string, deps: EnvironmentDeps): Promise<ExecutionEnvironment> {
    const env = new ExecutionEnvironment(rec, logGroup, deps);
    await env.#start(rec, image, lowerDirs);
    return env;
  }

  async #start(rec: FunctionRecord, image: PreparedImage, lowerDirs: string[]): Promise<void> {
    const proc = processConfig(rec, image, {
      region: this.#deps.region,
      runtimeApi: this.#deps.runtimeApi,
      logGroup: this.logGroup,
      logStream: this.streamName,
      credentials: this.#deps.credentials,
    });
    const newRuntime = () =>
      new RuntimeEnvironment({
        functionName: rec.name,
        functionVersion: rec.version,
        memorySizeMb: rec.settings.memorySize,
        handler: proc.handler,
        logger: this.#log,
        sandboxHost: this.#deps.sandboxRuntime.hostAddress,
        maxMemoryUsedMb: () => this.#maxMemoryMb,
      });
    const started = performance.now();
    this.#tail = this.#initLines;
    try {
      this.#sandbox = await this.#deps.sandboxRuntime.create({
        id: this.id,
        rootfs: { lowerDirs },
        process: { args: proc.args, env: proc.env, cwd: proc.cwd },
        memoryMb: rec.settings.memorySize,
        tmpSizeMb: rec.settings.ephemeralStorage,
        onOutput: (stream, chunk) => this.#output(stream, chunk),
      });
      // Created now so that its Init Duration counts the runtime's start, as Lambda's does, not sandbox setup.
      this.#runtime = newRuntime();
      this.#deps.router.register(this.#sandbox.address, this.#runtime);
      void this.#sandbox.exited.then((exit) => this.#exited(exit));
      await this.#sandbox.start();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), INIT_TIMEOUT_MS);
      });
      const outcome = await Promise.race([this.#runtime.ready().then(() => 'ready' as const), timedOut]).finally(() => clearTimeout(timer));
      if (outcome === 'timeout') {
        const initMs = performance.now() - started;
        const lines = [`INIT_REPORT Init Duration: ${initMs.toFixed(2)} ms\tPhase: init\tStatus: timeout`];
        this.#appendLines(lines);
        this.#runtime.fail({ errorType: 'Sandbox.Timedout', errorMessage: `Init timed out after ${(INIT_TIMEOUT_MS / 1000).toFixed(2)} seconds` });
        await this.destroy();
        throw new EnvironmentStartError('Sandbox.Timedout', Buffer.from(JSON.stringify({ errorType: 'Sandbox.Timedout', errorMessage: `Init timed out after ${(INIT_TIMEOUT_MS / 1000).toFixed(2)} seconds` })), this.#initLines ?? lines);
      }
      this.#tail = undefined;
      this.#sm.to('idle');
      this.#log.debug('environment ready', { ms: Math.round(performance.now() - started), address: this.#sandbox.address });
    } catch (err) {
      if (err instanceof EnvironmentStartError) throw err;
      const initMs = performance.now() - started;
      let errorType = 'Runtime.Unknown';
      let payload: Buffer;
      if (err instanceof InvokeFailedError) {
        errorType = err.errorType;
        payload = err.payload;
      } else {
        this.#log.warn('environment failed to start', { err });
        payload = Buffer.from(JSON.stringify({ errorType, errorMessage: `Lambdock could not start the execution environment: ${(err as Error).message}` }));
      }
      // Give the process's last output (the runtime prints the error) a moment to arrive.
      await new Promise((r) => setTimeout(r, 20));
      this.#flushPartial();
      const lines = [`INIT_REPORT Init Duration: ${initMs.toFixed(2)} ms\tPhase: init\tStatus: error\tError Type: ${errorType}`];
      this.#appendLines(lines);
      await this.destroy();
      throw new EnvironmentStartError(errorType, payload, this.#initLines ?? lines);
    }
  }

  /**
   * Runs one invoke. Never rejects for function-side failures: crashes, timeouts and
   * OOM become function errors with Lambda's error types, and the environment dies.
   */
  async invoke(req: InvokeRequest, timeoutSeconds: number, tail: boolean, streaming = false): Promise<EnvInvokeOutcome> {
    if (this.#sm.state === 'frozen') {
      await this.#freezing;
      await this.#sandbox!.thaw();
    }
    this.#sm.to('busy');
    // A stream reads START…END…REPORT per invoke, as Lambda's: the previous invoke's END and
    // REPORT (logged once its runtime asked for the next event) come first. The runtime could
    // not take this event before that anyway.
    await this.#previous;
    // It may have died meanwhile (the previous invoke's work after its response timed out):
    // the event never reached it, the caller runs it elsewhere.
    if (this.#sm.state !== 'busy') throw new EnvironmentGoneError();
    const invokeStarted = performance.now();
    const coldStart = this.coldStart;
    this.coldStart = false;
    this.#currentRequestId = req.requestId;
    const lines: string[] = coldStart && this.#initLines ? this.#initLines : [];
    this.#initLines = undefined;
    this.#tail = tail ? lines : undefined;
    this.#appendLines([startLine(req.requestId, this.version)]);
    let resolveDone!: (d: InvokeDone) => void;
    const invokeDone = new Promise<InvokeDone>((r) => (resolveDone = r));
    const onDone = (d: InvokeDone): void => {
      if (d.requestId === req.requestId) {
        this.#runtime.off('invoke-done', onDone);
        resolveDone(d);
      }
    };
    this.#runtime.on('invoke-done', onDone);
    const timer = setTimeout(() => {
      this.#appendLines([timeoutLine(req.requestId, timeoutSeconds)]);
      this.#runtime.fail({ errorType: 'Sandbox.Timedout', errorMessage: `RequestId: ${req.requestId} Error: Task timed out after ${timeoutSeconds.toFixed(2)} seconds` });
      void this.#die('timeout');
    }, timeoutSeconds * 1000);
    let result: Exclude<InvokeResult, { kind: 'stream' }>;
    let stream: Extract<InvokeResult, { kind: 'stream' }> | undefined;
    try {
      const r = await this.#runtime.invoke(req, { streaming });
      if (r.kind === 'stream') {
        stream = r;
        result = { kind: 'success', payload: Buffer.alloc(0) };
      } else result = r;
    } catch (err) {
      if (!(err instanceof InvokeFailedError)) {
        clearTimeout(timer);
        throw err;
      }
      if (err.notStarted && !this.alive) {
        clearTimeout(timer);
        throw new EnvironmentGoneError();
      }
      result = { kind: 'function-error', errorType: err.errorType, payload: err.payload };
      // A crash or timeout already reported the invoke done; an event that never reached the
      // runtime (init failed, environment shut down) does not, so END/REPORT must not wait for it.
      resolveDone({ requestId: req.requestId, durationMs: performance.now() - invokeStarted, responseDurationMs: 0, status: 'failure', errorType: err.errorType, producedBytes: 0 });
    }
    // The timeout keeps running until the invoke is done — a stream still being written, or
    // work after the response until the runtime asks for the next event — as in Lambda.
    const done = invokeDone.then(async (d) => {
      clearTimeout(timer);
      // Peak memory only grows; reading the cgroup at most every STATS_EVERY_MS keeps
      // back-to-back warm invokes off the file system (REPORT may lag a peak by that long).
      const t = performance.now();
      if (this.#sandbox && (tail || coldStart || d.status !== 'success' || t - this.#statsAt >= STATS_EVERY_MS)) {
        this.#statsAt = t;
        const stats = await this.#sandbox.stats().catch(() => undefined);
        if (stats) this.#maxMemoryMb = Math.max(this.#maxMemoryMb, stats.memoryMaxBytes / 1048576);
      }
      if (tail) await new Promise((r) => setImmediate(r)); // let output written just before the response arrive
      this.#flushPartial();
      const init = coldStart ? d.initDurationMs : undefined;
      this.#appendLines([endLine(d.requestId), reportLine({ requestId: d.requestId, durationMs: d.durationMs, ...(init !== undefined ? { initDurationMs: init } : {}) }, this.memorySizeMb, this.#maxMemoryMb)]);
      if (this.#tail === lines) this.#tail = undefined;
      return {
        lines,
        durationMs: d.durationMs,
        billedDurationMs: Math.max(1, Math.ceil(d.durationMs)),
        maxMemoryUsedMb: Math.round(this.#maxMemoryMb),
        ...(init !== undefined ? { initDurationMs: init } : {}),
        error: d.status !== 'success',
      };
    });
    this.#previous = done.then(
      () => undefined,
      () => undefined,
    );
    return stream ? { result, done, stream } : { result, done };
  }

  /** Back to the pool after an invoke. */
  release(): void {
    if (this.#sm.state === 'busy') {
      this.#sm.to('idle');
      this.idleSince = performance.now();
    }
  }

  /** Idle → frozen (cgroup freezer); the next invoke thaws it. */
  freeze(): void {
    if (this.#sm.state !== 'idle' || !this.#sandbox) return;
    this.#sm.to('frozen');
    const sandbox = this.#sandbox;
    this.#freezing = sandbox.freeze().catch(async (err: unknown) => {
      // A task stuck in uninterruptible sleep can keep the cgroup FREEZING: undo and
      // leave the environment warm rather than pay a cold start for it.
      this.#log.debug('freeze did not complete; environment stays thawed', { err });
      await sandbox.thaw().catch((e: unknown) => {
        this.#log.warn('thaw after a failed freeze failed; retiring environment', { err: e });
        void this.#die('freeze failed');
      });
    });
  }

  /** Shuts the environment down and removes its sandbox. Idempotent. */
  destroy(): Promise<void> {
    if (this.#destroyed) return this.#destroyed;
    if (this.#sm.state !== 'dead') this.#sm.to('dead');
    this.#destroyed = (async () => {
      this.#flushPartial();
      if (this.#runtime !== undefined && this.#runtime.state !== 'shutdown') void this.#runtime.shutdown('spindown');
      if (this.#sandbox) {
        this.#deps.router.unregister(this.#sandbox.address, this.#runtime);
        await this.#freezing;
        await this.#sandbox.destroy();
      }
    })();
    return this.#destroyed;
  }

  async #die(reason: string): Promise<void> {
    if (this.#sm.state === 'dead') return;
    this.#log.info('environment ended', { reason });
    const cb = this.#onDead;
    this.#onDead = undefined;
    await this.destroy();
    cb?.();
  }

  #exited(exit: SandboxExit): void {
    this.#exitInfo = exit;
    // Killed at the memory limit: that limit is the peak REPORT shows (the cgroup that held
    // the peak is destroyed with the sandbox before the REPORT line is written).
    if (exit.oomKilled) this.#maxMemoryMb = Math.max(this.#maxMemoryMb, this.memorySizeMb);
    if (this.#sm.state === 'dead') return;
    const how = exit.signal ? `signal: ${signalName(exit.signal)}` : `exit status ${exit.code ?? 0}`;
    const rid = this.#currentRequestId;
    if (this.#sm.state === 'busy' && rid) {
      const errorType = exit.oomKilled ? 'Runtime.OutOfMemory' : 'Runtime.ExitError';
      this.#flushPartial();
      this.#appendLines([`RequestId: ${rid} Error: Runtime exited with error: ${how}`, `Runtime.${exit.oomKilled ? 'OutOfMemory' : 'ExitError'}`]);
      this.#runtime.fail({ errorType, errorMessage: `RequestId: ${rid} Error: Runtime exited with error: ${how}` });
    } else if (this.#sm.state === 'starting') {
      this.#runtime.fail({ errorType: exit.oomKilled ? 'Runtime.OutOfMemory' : 'Runtime.ExitError', errorMessage: `Runtime exited with error: ${how}` });
    } else {
      this.#runtime.fail({ errorType: 'Runtime.ExitError', errorMessage: `Runtime exited with error: ${how}` });
    }
    void this.#die(exit.oomKilled ? 'out of memory' : how);
  }

  #output(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    const text = this.#partial[stream] + chunk.toString('utf8');
    const parts = text.split('\n');
    this.#partial[stream] = parts.pop() ?? '';
    if (parts.length) this.#appendLines(parts.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)), true);
  }

  #flushPartial(): void {
    for (const s of ['stdout', 'stderr'] as const) {
      if (this.#partial[s]) {
        const line = this.#partial[s];
        this.#partial[s] = '';
        this.#appendLines([line], true);
      }
    }
  }

  #appendLines(lines: string[], fromFunction = false): void {
    const now = Date.now();
    this.#deps.logs.append(this.logGroup, this.streamName, lines.map((message) => ({ timestamp: now, message })));
    if (this.#tail) this.#tail.push(...lines);
    if (fromFunction && this.#runtime) for (const l of lines) this.#runtime.functionLog(l);
  }
}

function signalName(sig: string): string {
  const names: Record<string, string> = { SIGKILL: 'killed', SIGTERM: 'terminated', SIGSEGV: 'segmentation fault', SIGABRT: 'aborted', SIGBUS: 'bus error' };
  return names[sig] ?? sig.replace(/^SIG/, '').toLowerCase();
}
