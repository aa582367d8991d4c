/**
 * The invoke loop: `next` → run the handler → `response` | `error` → `next` …
 *
 * Phases (an explicit table; anything not listed is refused):
 *
 *   initializing ──▶ idle ⇄ invoking
 *        │            │        │
 *        └────────────┴────────┴──▶ failed   (uncaught exception, unhandled rejection, Runtime API gone)
 *
 * Completion rules, as Lambda's Node runtime:
 * - async / promise-returning handler: the settled value is sent at once;
 * - callback handler: `callback(err)` is sent at once; `callback(null, result)` waits for the event
 *   loop to drain unless `context.callbackWaitsForEmptyEventLoop = false` (then at once);
 *   the first of callback / context.done / succeed / fail / the promise wins;
 * - nothing answered when the event loop drains: an async handler fails with `Runtime.NodeJsExit`,
 *   a plain function answers `null`;
 * - streaming handler: the stream is the answer; a throw after it started goes into the trailers.
 */
import { toErrorResponse, toXRayCause } from './error-format.js';
import { JSONStringifyError, NodeJsExit, UnhandledPromiseRejection, UnmarshalError } from './errors.js';
import { buildContext, invocationFacts, type CompletionHooks, type FunctionInfo, type InvocationFacts } from './context.js';
import type { AnyHandler, HandlerMetadata } from './handler-loader.js';
import { setCurrentRequestId, type RuntimeLogger } from './logging.js';
import type { ApiReply, Invocation, RuntimeApiClient } from './rapid-client.js';
import { ResponseStream } from './response-stream.js';

export type Phase = 'initializing' | 'idle' | 'invoking' | 'failed';

const TRANSITIONS: Readonly<Record<Phase, readonly Phase[]>> = {
  initializing: ['idle', 'failed'],
  idle: ['invoking', 'failed'],
  invoking: ['idle', 'failed'],
  failed: [],
};

/** Exit codes Lambda's Node runtime uses, so the platform's `Runtime.ExitError` messages match. */
export const EXIT_UNCAUGHT_EXCEPTION = 129;
export const EXIT_UNHANDLED_REJECTION = 128;

const noop = (): void => {};

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function';
}

export interface RuntimeParts {
  client: RuntimeApiClient;
  logger: RuntimeLogger;
  info: FunctionInfo;
}

export class Runtime {
  private phaseValue: Phase = 'initializing';
  private handler: AnyHandler | undefined;
  private metadata: HandlerMetadata | undefined;
  /** Request id whose outcome has not been reported yet (what a crash is charged to). */
  private inFlight: string | undefined;
  /** What happens when the event loop runs dry during an invocation (see completion rules). */
  private onEmptyLoop: () => void = noop;
  private dying = false;
  private readonly client: RuntimeApiClient;
  private readonly logger: RuntimeLogger;
  private readonly info: FunctionInfo;

  constructor(parts: RuntimeParts) {
    this.client = parts.client;
    this.logger = parts.logger;
    this.info = parts.info;
  }

  get phase(): Phase {
    return this.phaseValue;
  }

  private moveTo(next: Phase): void {
    if (!TRANSITIONS[this.phaseValue].includes(next)) {
      throw new Error(`runtime: transition ${this.phaseValue} -> ${next} is not allowed`);
    }
    this.phaseValue = next;
  }

  /** Route process-level failures and the empty-event-loop signal to this runtime. */
  installProcessHooks(): void {
    process.on('uncaughtException', (error) => {
      void this.die(error, 'Uncaught Exception', EXIT_UNCAUGHT_EXCEPTION);
    });
    process.on('unhandledRejection', (reason) => {
      void this.die(new UnhandledPromiseRejection(reason), 'Unhandled Promise Rejection', EXIT_UNHANDLED_REJECTION);
    });
    process.on('beforeExit', () => {
      const hook = this.onEmptyLoop;
      this.onEmptyLoop = noop;
      hook();
    });
  }

  /** Init failed: report it to `/init/error`, then exit as Lambda's runtime does. */
  failInit(error: unknown): Promise<void> {
    return this.die(error, 'Uncaught Exception', EXIT_UNCAUGHT_EXCEPTION);
  }

  /**
   * Report a fatal error for whatever is in progress (init or the in-flight invocation) on a
   * fresh connection, then exit. Only the first fatal error counts.
   */
  async die(error: unknown, label: string, exitCode: number): Promise<void> {
    if (this.dying) return;
    this.dying = true;
    const phase = this.phaseValue;
    if (phase !== 'failed') this.moveTo('failed');
    try {
      this.logger.logError(label, error);
      if (phase === 'initializing') {
        await this.client.postInitError(toErrorResponse(error), true);
      } else if (this.inFlight !== undefined) {
        const id = this.inFlight;
        this.inFlight = undefined;
        await this.client.postError(id, toErrorResponse(error), toXRayCause(error), true);
      }
    } catch {
      // The Runtime API is unreachable: exiting is all that is left, and the platform sees the exit.
    }
    process.exit(exitCode);
  }

  /** Init succeeded: start taking events. */
  start(handler: AnyHandler, metadata: HandlerMetadata): void {
    this.handler = handler;
    this.metadata = metadata;
    this.moveTo('idle');
    this.loop().catch((err: unknown) => {
      // A fatal error is already being reported and will exit with its own code.
      if (this.dying) return;
      // Otherwise only the Runtime API failing ends up here (handler errors are reported per invocation).
      this.dying = true;
      console.error('Runtime API failure, exiting:', err);
      process.exit(1);
    });
  }

  private async loop(): Promise<void> {
    for (;;) {
      const invocation = await this.client.next();
      if (this.dying) return;
      this.moveTo('invoking');
      await this.invoke(invocation);
      if (this.dying) return;
      this.moveTo('idle');
    }
  }

  private async invoke(invocation: Invocation): Promise<void> {
    const id = invocation.requestId;
    setCurrentRequestId(id);
    this.inFlight = id;
    let facts: InvocationFacts;
    let event: unknown;
    try {
      facts = invocationFacts(id, invocation.headers);
    } catch (err) {
      return this.reportError(id, err);
    }
    // The X-Ray SDK reads the trace header from the environment.
    if (facts.traceId !== undefined) process.env._X_AMZN_TRACE_ID = facts.traceId;
    else delete process.env._X_AMZN_TRACE_ID;
    try {
      event = JSON.parse(invocation.body);
    } catch (err) {
      return this.reportError(id, new UnmarshalError(err));
    }
    if (this.metadata!.streaming) return this.invokeStreaming(id, event, facts);
    return this.invokeBuffered(id, event, facts);
  }

  private async reportResult(id: string, result: unknown): Promise<void> {
    // Dying: the fatal error is what gets reported for this invocation.
    if (this.dying) return;
    let body: string | undefined;
    try {
      body = JSON.stringify(result === undefined ? null : result);
    } catch (err) {
      return this.reportError(id, new JSONStringifyError(err));
    }
    this.inFlight = undefined;
    this.checkReply(id, 'response', await this.client.postResponse(id, body ?? 'null'));
  }

  private async reportError(id: string, error: unknown): Promise<void> {
    if (this.dying) return;
    this.logger.logError('Invoke Error', error);
    this.inFlight = undefined;
    this.checkReply(id, 'error', await this.client.postError(id, toErrorResponse(error), toXRayCause(error)));
  }

  private checkReply(id: string, what: string, reply: ApiReply): void {
    if (reply.status >= 200 && reply.status < 300) return;
    // e.g. 413 for a response over 6 MB: the invoker gets the platform's error, the runtime moves on.
    console.error(`Runtime API refused the ${what} for ${id} (HTTP ${reply.status}): ${reply.body}`);
  }

  private invokeBuffered(id: string, event: unknown, facts: InvocationFacts): Promise<void> {
    return new Promise<void>((resolveDone, rejectDone) => {
      let finished = false;
      let waits = true;
      const settle = (work: Promise<void>): void => {
        this.onEmptyLoop = noop;
        work.then(resolveDone, rejectDone);
      };
      const respond = (result: unknown): void => settle(this.reportResult(id, result));
      const failWith = (error: unknown): void => settle(this.reportError(id, error));
      const once =
        <A extends unknown[]>(fn: (...args: A) => void) =>
        (...args: A): void => {
          if (finished) return;
          finished = true;
          fn(...args);
        };
      const done = once((error?: unknown, result?: unknown) => {
        if (error !== undefined && error !== null) failWith(error);
        else respond(result);
      });
      const callback = once((error?: unknown, result?: unknown) => {
        if (error !== undefined && error !== null) failWith(error);
        else if (!waits) respond(result);
        else this.onEmptyLoop = () => respond(result);
      });
      const hooks: CompletionHooks = {
        getWaits: () => waits,
        setWaits: (value) => {
          waits = Boolean(value);
        },
        done,
        succeed: (result) => done(null, result),
        fail: (error) => done(error === undefined || error === null ? 'handled' : error),
      };
      const context = buildContext(this.info, facts, hooks);
      this.onEmptyLoop = this.metadata!.isAsync
        ? () => {
            finished = true;
            failWith(new NodeJsExit());
          }
        : () => {
            finished = true;
            respond(null);
          };
      let returned: unknown;
      try {
        returned = this.handler!(event, context, callback);
      } catch (err) {
        callback(err);
        return;
      }
      if (isPromiseLike(returned)) {
        try {
          returned.then(hooks.succeed, hooks.fail);
        } catch (err) {
          hooks.fail(err); // a thenable whose then() throws
        }
      }
    });
  }

  private async invokeStreaming(id: string, event: unknown, facts: InvocationFacts): Promise<void> {
    const stream = new ResponseStream(this.client.openResponseStream(id), this.metadata!.highWaterMark);
    let waits = true;
    const unsupported = (): void => {
      console.warn('context.done/succeed/fail are not available to streaming handlers; write to the response stream.');
    };
    const context = buildContext(this.info, facts, {
      getWaits: () => waits,
      setWaits: (value) => {
        waits = Boolean(value);
      },
      done: unsupported,
      succeed: unsupported,
      fail: unsupported,
    });
    // A handler whose promise never settles while nothing else runs: fail instead of hanging to the timeout.
    const drained = new Promise<never>((_, reject) => {
      this.onEmptyLoop = () => reject(new NodeJsExit());
    });
    drained.catch(noop);
    try {
      const returned = this.handler!(event, stream, context);
      if (!isPromiseLike(returned)) throw new Error('Streaming does not support non-async handlers.');
      const value = await Promise.race([returned, drained]);
      if (value !== undefined) console.warn('Streaming handlers ignore return values.');
      if (!stream.writableEnded) throw new Error('Response stream is not finished.');
    } catch (err) {
      this.logger.logError('Invoke Error', err);
      stream.fail(err);
    }
    this.onEmptyLoop = noop;
    try {
      const reply = await stream.completion();
      this.inFlight = undefined;
      this.checkReply(id, 'streamed response', reply);
    } catch (err) {
      this.inFlight = undefined;
      console.error(`Runtime API connection failed while streaming the response for ${id}:`, err);
    }
  }
}
