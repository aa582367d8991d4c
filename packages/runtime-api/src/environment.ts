import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { StateMachine, createLogger, type Logger } from '@lambdock/common';
import { environmentTransitions, type EnvironmentState } from './state.js';
import { ErrorType, InvokeFailedError, MAX_PAYLOAD_BYTES, RuntimeApiError, stateTransitionError } from './errors.js';
import { TelemetryHub, type TelemetrySubscription } from './telemetry.js';
import type { ExtensionEventType, InitErrorEvent, InvokeDone, InvokeRequest, InvokeResult, ShutdownReason, StreamOptions } from './types.js';

export interface RuntimeEnvironmentOptions {
  functionName: string;
  functionVersion: string;
  memorySizeMb: number;
  handler?: string;
  /** Largest buffered response or error body; default 6 MB + 100 bytes as Lambda counts. */
  maxResponseBytes?: number;
  logger?: Logger;
  /** Names (executable basenames) of external extensions: only these may subscribe to SHUTDOWN. */
  externalExtensions?: readonly string[];
  /** Address that `sandbox.localdomain` in a telemetry destination stands for; default 127.0.0.1. */
  sandboxHost?: string;
  /** Peak memory of the environment in MB, for REPORT and platform.report (owner measures it). */
  maxMemoryUsedMb?: () => number;
  /** How long extensions get to finish after SHUTDOWN; default 2000 ms as in Lambda. */
  shutdownGraceMs?: number;
  /** Returned to extensions that register with `Lambda-Extension-Accept-Feature: accountId`. */
  accountId?: string;
}

/** An event handed to an extension's /event/next. */
export interface ExtensionEvent {
  eventId: string;
  type: ExtensionEventType;
  /** JSON text sent as the response body. */
  body: string;
}

interface Extension {
  id: string;
  name: string;
  events: ReadonlySet<ExtensionEventType>;
  initNext: boolean;
  exited: boolean;
  waiter: ((ev: ExtensionEvent) => void) | undefined;
  queue: ExtensionEvent[];
  /** Holds the current INVOKE; its next call completes its part of the invoke. */
  holdsInvoke: boolean;
  /** Received SHUTDOWN; its next call (or exit) means it is done. */
  holdsShutdown: boolean;
}

interface Pending {
  req: InvokeRequest;
  opts: StreamOptions;
  resolve: (r: InvokeResult) => void;
  reject: (e: Error) => void;
}

interface Current extends Pending {
  delivered: boolean;
  /** The runtime started posting a response or error. */
  responding: boolean;
  responded: boolean;
  runtimeNext: boolean;
  extPending: Set<Extension>;
  startedAt: number;
  respondedAt: number;
  status: InvokeDone['status'];
  errorType: string | undefined;
  producedBytes: number;
  stream: Readable | undefined;
}

const MAX_EXTENSIONS = 10;

/**
 * The server side of the Runtime API for one execution environment (one runtime
 * process). The HTTP handlers parse requests and call the methods marked "runtime
 * side" / "extension side"; the owner (emulator or platform) calls invoke/fail/shutdown.
 *
 * Lifecycle: constructed in `init`; the runtime's first /next (plus every extension's
 * first /event/next) makes it `ready`; invoke() hands one event at a time to the
 * runtime (`invoking`), resolves when the runtime posts its response or error, and
 * the environment returns to `ready` once the runtime and every INVOKE-subscribed
 * extension have asked for their next event. Further invoke() calls queue meanwhile.
 * /init/error moves it to `init-failed`; fail() and shutdown() end it.
 *
 * Events: 'state' (from, to), 'ready' (initDurationMs), 'init-error' (InitErrorEvent),
 * 'invoke-start' (requestId), 'invoke-done' (InvokeDone), 'extension-registered' (name),
 * 'telemetry-subscribed' (name).
 */
export class RuntimeEnvironment extends EventEmitter {
  readonly functionName: string;
  readonly functionVersion: string;
  readonly memorySizeMb: number;
  readonly handler: string;
  readonly accountId: string | undefined;
  readonly maxResponseBytes: number;
  readonly logger: Logger;
  readonly telemetry: TelemetryHub;

  private readonly sm = new StateMachine<EnvironmentState>('execution environment', environmentTransitions, 'init');
  private readonly externalNames: ReadonlySet<string>;
  private readonly maxMemoryUsedMb: (() => number) | undefined;
  private readonly shutdownGraceMs: number;
  private readonly createdAt = performance.now();
  private initDuration: number | undefined;
  private coldReported = false;
  private readonly readyPromise: Promise<void>;
  private resolveReady!: () => void;
  private rejectReady!: (e: Error) => void;
  private initFailure: InvokeFailedError | undefined;
  private shutdownPromise: Promise<void> | undefined;

  private runtimeWaiter: ((inv: InvokeRequest) => void) | undefined;
  private runtimeInitNext = false;
  private readonly queue: Pending[] = [];
  private current: Current | undefined;
  private readonly extensions = new Map<string, Extension>();

  constructor(opts: RuntimeEnvironmentOptions) {
    super();
    this.functionName = opts.functionName;
    this.functionVersion = opts.functionVersion;
    this.memorySizeMb = opts.memorySizeMb;
    this.handler = opts.handler ?? '';
    this.accountId = opts.accountId;
    this.maxResponseBytes = opts.maxResponseBytes ?? MAX_PAYLOAD_BYTES;
    this.logger = opts.logger ?? createLogger({ base: { component: 'runtime-api', function: opts.functionName } });
    this.externalNames = new Set(opts.externalExtensions ?? []);
    this.maxMemoryUsedMb = opts.maxMemoryUsedMb;
    this.shutdownGraceMs = opts.shutdownGraceMs ?? 2000;
    this.telemetry = new TelemetryHub(this.logger, opts.sandboxHost ?? '127.0.0.1');
    this.readyPromise = new Promise<void>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.readyPromise.catch(() => {}); // observed through ready()/invoke(); never unhandled
    this.telemetry.emit('platform.initStart', {
      initializationType: 'on-demand',
      phase: 'init',
      functionName: this.functionName,
      functionVersion: this.functionVersion,
    });
  }

  get state(): EnvironmentState {
    return this.sm.state;
  }

  /** Milliseconds from construction to the end of init (undefined until ready). */
  get initDurationMs(): number | undefined {
    return this.initDuration;
  }

  /** Resolves when init is done; rejects with the init error (InvokeFailedError). */
  ready(): Promise<void> {
    return this.readyPromise;
  }

  /**
   * Runs one invocation. Calls queue and run one at a time; the promise resolves when
   * the runtime has posted its response or error (or, with `streaming`, as soon as it
   * starts a streamed response). Rejects with InvokeFailedError when init failed, the
   * owner called fail(), or the environment shut down (`notStarted` tells whether the
   * event ever reached the runtime, i.e. whether it is safe to retry elsewhere).
   */
  invoke(req: InvokeRequest, opts: StreamOptions = {}): Promise<InvokeResult> {
    const state = this.sm.state;
    if (state === 'init-failed' && this.initFailure) return Promise.reject(this.initFailure);
    if (state === 'shutdown') return Promise.reject(notStarted(this.initFailure));
    return new Promise<InvokeResult>((resolve, reject) => {
      this.queue.push({ req, opts, resolve, reject });
      this.pump();
    });
  }

  /** Owner detected a crash, timeout or OOM: fail what is in flight and end the environment. */
  fail(reason: { errorType: string; errorMessage: string }): void {
    if (this.sm.state === 'shutdown') return;
    const err = new InvokeFailedError(reason.errorType, reason.errorMessage);
    const timedOut = reason.errorType === ErrorType.SandboxTimedout;
    const cur = this.current;
    if (cur) {
      cur.status = timedOut ? 'timeout' : 'failure';
      cur.errorType = reason.errorType;
      if (cur.stream && !cur.stream.destroyed) cur.stream.destroy(err);
    }
    // Shut down first, so listeners of 'invoke-done' already see the environment as gone.
    void this.shutdown(timedOut ? 'timeout' : 'failure', err);
    if (cur) {
      this.telemetry.emit('platform.runtimeDone', {
        requestId: cur.req.requestId,
        status: cur.status,
        errorType: reason.errorType,
        metrics: { durationMs: round2(performance.now() - cur.startedAt), producedBytes: cur.producedBytes },
      });
      this.finishInvoke(cur, false);
    }
  }

  /**
   * Sends SHUTDOWN to subscribed extensions and waits (up to the grace period) for
   * them to finish, then delivers what telemetry is still buffered. Queued invokes
   * are refused with `notStarted`.
   */
  shutdown(reason: ShutdownReason = 'spindown', cause?: InvokeFailedError): Promise<void> {
    if (this.shutdownPromise) return this.shutdownPromise;
    const from = this.sm.state;
    this.sm.to('shutdown');
    this.emit('state', from, 'shutdown');
    const err = cause ?? new InvokeFailedError(ErrorType.SandboxFailure, 'The execution environment shut down');
    if (from === 'init') {
      this.initFailure ??= err;
      this.rejectReady(this.initFailure);
    }
    const cur = this.current;
    if (cur) {
      if (!cur.responded) cur.reject(err);
      this.current = undefined;
    }
    for (const p of this.queue.splice(0)) p.reject(notStarted(this.initFailure ?? err));
    this.runtimeWaiter = undefined;
    this.shutdownPromise = this.shutdownExtensions(reason).then(() => this.telemetry.drain());
    return this.shutdownPromise;
  }

  /** A line the function wrote (stdout/stderr), for Telemetry subscribers of `function`. */
  functionLog(line: string): void {
    if (this.telemetry.active) this.telemetry.emit('function', line);
  }

  /** A line an extension wrote, for Telemetry subscribers of `extension`. */
  extensionLog(line: string): void {
    if (this.telemetry.active) this.telemetry.emit('extension', line);
  }

  /** Owner saw an extension process exit: it no longer holds up invokes or shutdown. */
  extensionExited(name: string): void {
    for (const ext of this.extensions.values()) if (ext.name === name) this.markExited(ext);
  }

  // ---------------------------------------------------------------- runtime side

  /**
   * GET /runtime/invocation/next. Hands the next event to `deliver` now or later.
   * Returns a cancel function when the call was parked (call it if the connection
   * closes), undefined when delivered at once. Throws RuntimeApiError for a wrong state.
   */
  runtimeNext(deliver: (inv: InvokeRequest) => void): (() => void) | undefined {
    const state = this.sm.state;
    const cur = this.current;
    if (state === 'invoking' && cur) {
      if (!cur.delivered) {
        cur.delivered = true;
        deliver(cur.req);
        return undefined;
      }
      if (!cur.responded || cur.runtimeNext) throw stateTransitionError(runtimeStateName(cur), 'RuntimeReadyState');
      cur.runtimeNext = true;
      this.park(deliver);
      this.checkInvokeDone(cur);
      return this.cancelFor(deliver);
    }
    if (state === 'init') {
      if (this.runtimeWaiter) throw stateTransitionError('RuntimeReadyState', 'RuntimeReadyState');
      this.runtimeInitNext = true;
      this.park(deliver);
      this.checkInitDone();
      return this.cancelFor(deliver);
    }
    if (state === 'ready') {
      if (this.runtimeWaiter) throw stateTransitionError('RuntimeReadyState', 'RuntimeReadyState');
      this.park(deliver);
      this.pump();
      return this.cancelFor(deliver);
    }
    throw stateTransitionError(state === 'init-failed' ? 'RuntimeInitErrorState' : 'RuntimeShutdownState', 'RuntimeReadyState');
  }

  /**
   * First step of POST /invocation/{id}/response or /error: checks state and id and
   * claims the invocation so a second post is refused. Throws RuntimeApiError.
   */
  claimResponse(requestId: string, kind: 'response' | 'error'): StreamOptions {
    const cur = this.current;
    const to = kind === 'response' ? 'RuntimeInvocationResponseState' : 'RuntimeInvocationErrorResponseState';
    if (this.sm.state !== 'invoking' || !cur || !cur.delivered) throw stateTransitionError(this.runtimeStateName(), to);
    if (cur.responding) throw stateTransitionError(runtimeStateName(cur), to);
    if (requestId !== cur.req.requestId) throw new RuntimeApiError(400, ErrorType.InvalidRequestID, 'Invalid request ID');
    cur.responding = true;
    return cur.opts;
  }

  /** Last step of a buffered response or error: hands the result to the invoker. */
  completeResponse(result: Exclude<InvokeResult, { kind: 'stream' }>): void {
    const cur = this.current;
    if (!cur || !cur.responding || cur.responded) return;
    cur.responded = true;
    cur.respondedAt = performance.now();
    cur.producedBytes = result.payload.length;
    if (result.kind === 'function-error') {
      cur.status = 'error';
      cur.errorType = result.errorType;
    }
    this.emitRuntimeDone(cur);
    cur.resolve(result);
    this.checkInvokeDone(cur);
  }

  /** A streamed response has started and the invoker can take a stream. */
  startStream(result: Extract<InvokeResult, { kind: 'stream' }>): void {
    const cur = this.current;
    if (!cur || !cur.responding || cur.responded) return;
    cur.stream = result.body;
    cur.resolve(result);
  }

  /** A streamed response has ended (after startStream). */
  endStream(producedBytes: number, errorType: string | undefined): void {
    const cur = this.current;
    if (!cur || cur.responded) return;
    cur.responded = true;
    cur.respondedAt = performance.now();
    cur.producedBytes = producedBytes;
    if (errorType) {
      cur.status = 'error';
      cur.errorType = errorType;
    }
    this.emitRuntimeDone(cur);
    this.checkInvokeDone(cur);
  }

  /** POST /runtime/init/error. */
  initError(ev: InitErrorEvent): void {
    if (this.sm.state !== 'init') throw stateTransitionError(this.runtimeStateName(), 'RuntimeInitErrorState');
    const err = new InvokeFailedError(ev.errorType, errorMessageOf(ev.payload) ?? 'Runtime init error', ev.payload);
    this.initFailure = err;
    this.sm.to('init-failed');
    this.emit('state', 'init', 'init-failed');
    this.telemetry.emit('platform.initRuntimeDone', { initializationType: 'on-demand', phase: 'init', status: 'error', errorType: ev.errorType });
    this.emit('init-error', ev);
    this.rejectReady(err);
    for (const p of this.queue.splice(0)) p.reject(err);
  }

  // -------------------------------------------------------------- extension side

  /** POST /extension/register. Returns the new extension identifier. */
  registerExtension(name: string, events: readonly string[]): string {
    if (this.sm.state !== 'init') throw new RuntimeApiError(403, ErrorType.ExtensionRegistrationClosed, 'Extension registration closed already');
    if ([...this.extensions.values()].some((e) => e.name === name))
      throw new RuntimeApiError(403, ErrorType.ExtensionInvalidName, `Extension with name ${name} already registered`);
    if (this.extensions.size >= MAX_EXTENSIONS)
      throw new RuntimeApiError(403, ErrorType.ExtensionTooMany, `Too many extensions registered (the limit is ${MAX_EXTENSIONS})`);
    const set = new Set<ExtensionEventType>();
    for (const e of events) {
      if (e !== 'INVOKE' && e !== 'SHUTDOWN') throw new RuntimeApiError(403, ErrorType.ExtensionInvalidEventType, `Unknown event type ${JSON.stringify(e)}`);
      set.add(e);
    }
    if (set.has('SHUTDOWN') && !this.externalNames.has(name))
      throw new RuntimeApiError(403, ErrorType.ExtensionShutdownNotSupported, 'Internal extensions cannot subscribe to the SHUTDOWN event');
    const id = randomUUID();
    this.extensions.set(id, { id, name, events: set, initNext: false, exited: false, waiter: undefined, queue: [], holdsInvoke: false, holdsShutdown: false });
    this.telemetry.emit('platform.extension', { name, state: 'Ready', events: [...set] });
    this.emit('extension-registered', name);
    return id;
  }

  /** GET /extension/event/next. Same cancel contract as runtimeNext. */
  extensionNext(id: string | undefined, deliver: (ev: ExtensionEvent) => void): (() => void) | undefined {
    const ext = this.extensionById(id);
    if (ext.waiter) throw stateTransitionError('ExtensionWaitingState', 'ExtensionWaitingState', `extension ${ext.name}`);
    if (ext.holdsInvoke) {
      ext.holdsInvoke = false;
      const cur = this.current;
      if (cur) {
        cur.extPending.delete(ext);
        this.checkInvokeDone(cur);
      }
    }
    if (ext.holdsShutdown) {
      ext.holdsShutdown = false;
      this.emit('extension-shutdown-done', ext.name);
    }
    const ev = ext.queue.shift();
    if (ev) {
      this.takeEvent(ext, ev);
      deliver(ev);
      return undefined;
    }
    ext.waiter = deliver;
    if (!ext.initNext) {
      ext.initNext = true;
      this.checkInitDone();
    }
    return () => {
      if (ext.waiter === deliver) ext.waiter = undefined;
    };
  }

  /** POST /extension/init/error: the environment fails init with the extension's error type. */
  extensionInitError(id: string | undefined, errorType: string, payload: Buffer): void {
    const ext = this.extensionById(id);
    this.markExited(ext);
    if (this.sm.state === 'init') {
      this.initError({ errorType, payload: payload.length > 0 ? payload : Buffer.from(JSON.stringify({ errorMessage: `Extension ${ext.name} failed to initialize`, errorType })) });
    }
  }

  /** POST /extension/exit/error: the extension is leaving; it no longer holds anything up. */
  extensionExitError(id: string | undefined, errorType: string): void {
    const ext = this.extensionById(id);
    this.logger.warn('extension exit error', { extension: ext.name, errorType });
    this.markExited(ext);
  }

  /** PUT /2022-07-01/telemetry (and /2020-08-15/logs). */
  subscribeTelemetry(id: string | undefined, sub: (name: string) => TelemetrySubscription): void {
    const ext = this.extensionById(id);
    const s = sub(ext.name);
    this.telemetry.subscribe(s);
    this.telemetry.emit('platform.telemetrySubscription', { name: ext.name, state: 'Subscribed', types: s.types });
    this.emit('telemetry-subscribed', ext.name);
  }

  /** Names of registered extensions (for the register response and diagnostics). */
  extensionNames(): string[] {
    return [...this.extensions.values()].map((e) => e.name);
  }

  // ---------------------------------------------------------------- internals

  private park(deliver: (inv: InvokeRequest) => void): void {
    this.runtimeWaiter = deliver;
  }

  private cancelFor(deliver: (inv: InvokeRequest) => void): () => void {
    return () => {
      if (this.runtimeWaiter === deliver) this.runtimeWaiter = undefined;
    };
  }

  private runtimeStateName(): string {
    const cur = this.current;
    if (cur) return runtimeStateName(cur);
    switch (this.sm.state) {
      case 'init':
        return 'RuntimeInitState';
      case 'ready':
        return 'RuntimeReadyState';
      case 'init-failed':
        return 'RuntimeInitErrorState';
      default:
        return 'RuntimeShutdownState';
    }
  }

  private extensionById(id: string | undefined): Extension {
    if (!id) throw new RuntimeApiError(403, ErrorType.ExtensionMissingIdentifier, 'Missing Lambda-Extension-Identifier header');
    const ext = this.extensions.get(id);
    if (!ext) throw new RuntimeApiError(403, ErrorType.ExtensionInvalidIdentifier, 'Invalid Lambda-Extension-Identifier');
    return ext;
  }

  private markExited(ext: Extension): void {
    if (ext.exited) return;
    ext.exited = true;
    ext.waiter = undefined;
    ext.holdsInvoke = false;
    if (ext.holdsShutdown) {
      ext.holdsShutdown = false;
      this.emit('extension-shutdown-done', ext.name);
    }
    const cur = this.current;
    if (cur && cur.extPending.delete(ext)) this.checkInvokeDone(cur);
    if (!ext.initNext) {
      ext.initNext = true;
      this.checkInitDone();
    }
  }

  private checkInitDone(): void {
    if (this.sm.state !== 'init' || !this.runtimeInitNext) return;
    for (const ext of this.extensions.values()) if (!ext.initNext) return;
    this.sm.to('ready');
    this.initDuration = performance.now() - this.createdAt;
    this.emit('state', 'init', 'ready');
    this.telemetry.emit('platform.initRuntimeDone', { initializationType: 'on-demand', phase: 'init', status: 'success' });
    this.telemetry.emit('platform.initReport', {
      initializationType: 'on-demand',
      phase: 'init',
      status: 'success',
      metrics: { durationMs: round2(this.initDuration) },
    });
    this.telemetry.endBacklog();
    this.resolveReady();
    this.emit('ready', this.initDuration);
    this.pump();
  }

  /** Starts the next queued invoke when the environment is ready. */
  private pump(): void {
    if (this.sm.state !== 'ready' || this.queue.length === 0) return;
    const p = this.queue.shift()!;
    this.sm.to('invoking');
    const cur: Current = {
      req: p.req,
      opts: p.opts,
      resolve: p.resolve,
      reject: p.reject,
      delivered: false,
      responding: false,
      responded: false,
      runtimeNext: false,
      extPending: new Set(),
      startedAt: performance.now(),
      respondedAt: 0,
      status: 'success',
      errorType: undefined,
      producedBytes: 0,
      stream: undefined,
    };
    this.current = cur;
    this.emit('state', 'ready', 'invoking');
    this.emit('invoke-start', p.req.requestId);
    if (this.telemetry.active) {
      this.telemetry.emit('platform.start', { requestId: p.req.requestId, version: this.functionVersion });
    }
    if (this.extensions.size > 0) this.sendInvokeToExtensions(cur);
    const waiter = this.runtimeWaiter;
    if (waiter) {
      this.runtimeWaiter = undefined;
      cur.delivered = true;
      waiter(p.req);
    }
  }

  private sendInvokeToExtensions(cur: Current): void {
    let body: string | undefined;
    for (const ext of this.extensions.values()) {
      if (ext.exited || !ext.events.has('INVOKE')) continue;
      body ??= JSON.stringify({
        eventType: 'INVOKE',
        deadlineMs: cur.req.deadlineMs,
        requestId: cur.req.requestId,
        invokedFunctionArn: cur.req.invokedFunctionArn,
        tracing: cur.req.traceId ? { type: 'X-Amzn-Trace-Id', value: cur.req.traceId } : {},
      });
      cur.extPending.add(ext);
      this.sendToExtension(ext, { eventId: randomUUID(), type: 'INVOKE', body });
    }
  }

  private sendToExtension(ext: Extension, ev: ExtensionEvent): void {
    const w = ext.waiter;
    if (w) {
      ext.waiter = undefined;
      this.takeEvent(ext, ev);
      w(ev);
    } else ext.queue.push(ev);
  }

  private takeEvent(ext: Extension, ev: ExtensionEvent): void {
    if (ev.type === 'INVOKE') ext.holdsInvoke = true;
    else if (ev.type === 'SHUTDOWN') ext.holdsShutdown = true;
  }

  private checkInvokeDone(cur: Current): void {
    if (this.current !== cur || !cur.responded || !cur.runtimeNext || cur.extPending.size > 0) return;
    this.finishInvoke(cur, true);
  }

  private finishInvoke(cur: Current, backToReady: boolean): void {
    this.current = undefined;
    const durationMs = performance.now() - cur.startedAt;
    const done: InvokeDone = {
      requestId: cur.req.requestId,
      durationMs,
      responseDurationMs: (cur.respondedAt || performance.now()) - cur.startedAt,
      status: cur.status,
      producedBytes: cur.producedBytes,
    };
    if (cur.errorType !== undefined) done.errorType = cur.errorType;
    if (!this.coldReported) {
      this.coldReported = true;
      if (this.initDuration !== undefined) done.initDurationMs = this.initDuration;
    }
    if (this.telemetry.active) {
      const metrics: Record<string, number> = {
        durationMs: round2(durationMs),
        billedDurationMs: Math.ceil(durationMs),
        memorySizeMB: this.memorySizeMb,
        maxMemoryUsedMB: this.maxMemoryUsedMb?.() ?? 0,
      };
      if (done.initDurationMs !== undefined) metrics['initDurationMs'] = round2(done.initDurationMs);
      this.telemetry.emit('platform.report', { requestId: cur.req.requestId, status: cur.status, metrics });
    }
    if (backToReady) {
      this.sm.to('ready');
      this.emit('state', 'invoking', 'ready');
    }
    this.emit('invoke-done', done);
    if (backToReady) this.pump();
  }

  private emitRuntimeDone(cur: Current): void {
    if (!this.telemetry.active) return;
    const rec: Record<string, unknown> = {
      requestId: cur.req.requestId,
      status: cur.status,
      metrics: { durationMs: round2(cur.respondedAt - cur.startedAt), producedBytes: cur.producedBytes },
    };
    if (cur.errorType) rec['errorType'] = cur.errorType;
    this.telemetry.emit('platform.runtimeDone', rec);
  }

  private async shutdownExtensions(reason: ShutdownReason): Promise<void> {
    const targets = [...this.extensions.values()].filter((e) => !e.exited && e.events.has('SHUTDOWN'));
    if (targets.length === 0) return;
    const deadlineMs = Date.now() + this.shutdownGraceMs;
    const body = JSON.stringify({ eventType: 'SHUTDOWN', deadlineMs, shutdownReason: reason });
    const waiting = new Set(targets.map((e) => e.name));
    let onDone: (name: string) => void = () => {};
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.shutdownGraceMs);
      onDone = (name) => {
        waiting.delete(name);
        if (waiting.size === 0) resolve();
      };
      this.on('extension-shutdown-done', onDone);
      for (const ext of targets) this.sendToExtension(ext, { eventId: randomUUID(), type: 'SHUTDOWN', body });
    });
    clearTimeout(timer);
    this.off('extension-shutdown-done', onDone);
  }
}

function runtimeStateName(cur: Current): string {
  if (cur.responded) return 'RuntimeResponseSentState';
  if (cur.responding) return 'RuntimeInvocationResponseState';
  return 'RuntimeRunningState';
}

function notStarted(cause: InvokeFailedError | undefined): InvokeFailedError {
  return new InvokeFailedError(cause?.errorType ?? ErrorType.SandboxFailure, cause?.message ?? 'The execution environment shut down', cause?.payload, true);
}

function errorMessageOf(payload: Buffer): string | undefined {
  try {
    const v = JSON.parse(payload.toString('utf8')) as { errorMessage?: unknown };
    return typeof v.errorMessage === 'string' ? v.errorMessage : undefined;
  } catch {
    return undefined;
  }
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
