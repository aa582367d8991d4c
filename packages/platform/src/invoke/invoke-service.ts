import type { Readable } from 'node:stream';
import type { Logger } from '@lambdock/common';
import { ConflictError } from '@lambdock/common';
import type { FunctionService } from '../functions/function-service.js';
import type { FunctionRecord } from '../functions/model.js';
import { LATEST } from '../functions/model.js';
import type { FunctionRef } from '../functions/names.js';
import { ThrottledError, RequestTooLargeError, InvalidRequestContentError } from '../errors.js';
import type { EnvironmentPool } from '../runtime/pool.js';
import { EnvironmentStartError, EnvironmentGoneError } from '../runtime/environment.js';
import type { EnvInvokeOutcome } from '../runtime/environment.js';
import type { ExecutionEnvironment } from '../runtime/environment.js';
import type { MetricsService } from '../metrics/metrics.js';
import { ConcurrencyLimiter } from './concurrency.js';

export type InvocationType = 'RequestResponse' | 'Event' | 'DryRun';

export interface InvokeCommand {
  ref: FunctionRef;
  invocationType: InvocationType;
  logType: 'None' | 'Tail';
  payload: Buffer;
  /** The invoke's request id (x-amzn-RequestId, START RequestId, context.awsRequestId). */
  requestId: string;
  /** Decoded JSON text of X-Amz-Client-Context. */
  clientContext?: string;
  traceId?: string;
  /** The caller can take a streamed response (InvokeWithResponseStream, RESPONSE_STREAM URLs). */
  streaming?: boolean;
}

export interface InvokeOutcome {
  status: 200 | 202 | 204;
  payload: Buffer;
  contentType?: string;
  functionError?: 'Unhandled';
  /** Base64 of the last 4 KB of the invoke's log (LogType Tail). */
  logResult?: string;
  executedVersion: string;
  /** Set when the function streamed its response: bytes as the function writes them. */
  stream?: InvokeStream;
}

/** A response the function is still writing; its environment stays busy until `done`. */
export interface InvokeStream {
  contentType: string;
  body: Readable;
  /** Error trailers the runtime sent at the end, if any. */
  trailers: Promise<{ errorType?: string; errorBody?: string }>;
  /** After END/REPORT: the log tail (LogType Tail) and whether the invoke failed. */
  done: Promise<{ logResult?: string; error: boolean }>;
}

/** Synchronous payload limit (request and response): 6 MB. */
export const MAX_SYNC_PAYLOAD = 6 * 1024 * 1024;
/** Event (asynchronous) payload limit: 1 MB. */
export const MAX_ASYNC_PAYLOAD = 1024 * 1024;
const MAX_RESPONSE = 6 * 1024 * 1024 + 100;

/**
 * The data plane: checks the function can run, applies concurrency limits, runs the
 * event in a warm or new execution environment and turns every outcome into Lambda's
 * answer. Never sees HTTP.
 */
export class InvokeService {
  readonly #functions: FunctionService;
  readonly #pool: () => Promise<EnvironmentPool>;
  readonly #metrics: MetricsService;
  readonly #log: Logger;
  readonly limiter: ConcurrencyLimiter;
  readonly #background = new Set<Promise<unknown>>();
  /** The durable async queue (async/dispatcher.ts); without one, Event invokes run in the background unqueued. */
  #events: { enqueue(ref: FunctionRef, payload: Buffer, requestId: string): Promise<void> } | undefined;

  constructor(opts: { functions: FunctionService; pool: () => Promise<EnvironmentPool>; metrics: MetricsService; logger: Logger }) {
    this.#functions = opts.functions;
    this.#pool = opts.pool;
    this.#metrics = opts.metrics;
    this.#log = opts.logger;
    this.limiter = new ConcurrencyLimiter(opts.functions.accountConcurrency);
  }

  /** Event invokes go to this queue from now on; the 202 waits until it has stored the event. */
  useEventQueue(events: { enqueue(ref: FunctionRef, payload: Buffer, requestId: string): Promise<void> }): void {
    this.#events = events;
  }

  async invoke(cmd: InvokeCommand): Promise<InvokeOutcome> {
    const rec = await this.#runnable(cmd.ref);
    // Size first (cheap, and the answer Lambda gives), then the payload must be JSON.
    if (cmd.invocationType === 'Event' && cmd.payload.length > MAX_ASYNC_PAYLOAD) {
      throw new RequestTooLargeError(`Request must be smaller than ${MAX_ASYNC_PAYLOAD} bytes for the InvokeAsync operation`);
    }
    if (cmd.payload.length > 0) assertJsonPayload(cmd.payload);
    if (cmd.invocationType === 'DryRun') return { status: 204, payload: Buffer.alloc(0), executedVersion: rec.version };
    if (cmd.invocationType === 'Event') {
      if (this.#events) {
        await this.#events.enqueue(cmd.ref, cmd.payload, cmd.requestId);
        return { status: 202, payload: Buffer.alloc(0), executedVersion: rec.version };
      }
      const job = this.#runEvent(cmd).finally(() => this.#background.delete(job));
      this.#background.add(job);
      return { status: 202, payload: Buffer.alloc(0), executedVersion: rec.version };
    }
    return this.#run(rec, cmd);
  }

  /** Waits for background (Event) invokes; used on shutdown and by tests. */
  async settled(): Promise<void> {
    while (this.#background.size) await Promise.allSettled([...this.#background]);
  }

  async #runnable(ref: FunctionRef): Promise<FunctionRecord> {
    // A version or alias (weighted routing picks the version here, per invoke).
    const rec = ref.qualifier !== undefined && ref.qualifier !== LATEST ? await this.#functions.route(ref) : (this.#functions.cached(ref.name) ?? (await this.#functions.get(ref)));
    if (rec.state !== 'Active' || !rec.code) {
      throw new ConflictError(`The operation cannot be performed at this time. The function is currently in the following state: ${rec.state}`);
    }
    return rec;
  }

  async #run(rec: FunctionRecord, cmd: InvokeCommand): Promise<InvokeOutcome> {
    const reserved = rec.reservedConcurrency;
    const refused = this.limiter.tryAcquire(rec.name, reserved, this.#functions.reservedTotal());
    if (refused) {
      this.#metrics.throttled(rec.name);
      throw new ThrottledError(refused);
    }
    this.#metrics.concurrency(rec.name, 1);
    let env: ExecutionEnvironment | undefined;
    /** A streamed response keeps its environment and concurrency until the function finishes writing. */
    let streaming = false;
    const pool = await this.#pool();
    try {
      const tail = cmd.logType === 'Tail';
      let outcome: EnvInvokeOutcome | undefined;
      for (let attempt = 1; !outcome; attempt++) {
        try {
          env = await pool.acquire(rec);
        } catch (err) {
          if (err instanceof EnvironmentStartError) {
            this.#metrics.record(rec.name, { timestamp: Date.now(), durationMs: 0, billedDurationMs: 0, coldStart: true, error: true, memoryUsedMb: 0, memorySizeMb: rec.settings.memorySize });
            return {
              status: 200,
              payload: err.payload,
              contentType: 'application/json',
              functionError: 'Unhandled',
              ...(tail ? { logResult: tailOf(err.logLines) } : {}),
              executedVersion: rec.version,
            };
          }
          throw err;
        }
        const arn = this.#functions.arn(rec.name, cmd.ref.qualifier);
        try {
          outcome = await env.invoke(
            {
              requestId: cmd.requestId,
              payload: cmd.payload.length ? cmd.payload : EMPTY_EVENT,
              deadlineMs: Date.now() + rec.settings.timeout * 1000,
              invokedFunctionArn: arn,
              ...(cmd.clientContext !== undefined ? { clientContext: cmd.clientContext } : {}),
              ...(cmd.traceId !== undefined ? { traceId: cmd.traceId } : {}),
            },
            rec.settings.timeout,
            tail,
            cmd.streaming === true,
          );
        } catch (err) {
          // The environment died before the event reached it: the event runs in another one.
          if (!(err instanceof EnvironmentGoneError) || attempt >= 3) throw err;
          pool.release(env);
          env = undefined;
        }
      }
      const { result, done, stream } = outcome;
      const name = rec.name;
      const memorySizeMb = rec.settings.memorySize;
      const metrics = this.#metrics;
      const report = done.then((d) => {
        metrics.record(name, {
          timestamp: Date.now(),
          durationMs: d.durationMs,
          billedDurationMs: d.billedDurationMs,
          ...(d.initDurationMs !== undefined ? { initDurationMs: d.initDurationMs } : {}),
          coldStart: d.initDurationMs !== undefined,
          error: d.error,
          memoryUsedMb: d.maxMemoryUsedMb,
          memorySizeMb,
        });
        return d;
      });
      report.catch((err: unknown) => this.#log.warn('invoke report failed', { err }));
      if (stream) {
        streaming = true;
        const held = env!;
        const finished = report.then((d) => ({ error: d.error, ...(tail ? { logResult: tailOf(d.lines) } : {}) }));
        const free = (): void => {
          this.limiter.release(rec.name, reserved);
          this.#metrics.concurrency(rec.name, -1);
          pool.release(held);
        };
        finished.then(free, free);
        return { status: 200, payload: Buffer.alloc(0), contentType: stream.contentType, executedVersion: rec.version, stream: { ...stream, done: finished } };
      }
      let out: InvokeOutcome;
      if (result.kind === 'success') {
        out =
          result.payload.length > MAX_RESPONSE
            ? { status: 200, payload: Buffer.from(JSON.stringify({ errorType: 'Function.ResponseSizeTooLarge', errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_RESPONSE} bytes).` })), contentType: 'application/json', functionError: 'Unhandled', executedVersion: rec.version }
            : { status: 200, payload: result.payload, contentType: result.contentType ?? 'application/json', executedVersion: rec.version };
      } else {
        out = { status: 200, payload: result.payload, contentType: 'application/json', functionError: 'Unhandled', executedVersion: rec.version };
      }
      if (tail) out.logResult = tailOf((await report).lines);
      return out;
    } finally {
      if (!streaming) {
        this.limiter.release(rec.name, reserved);
        this.#metrics.concurrency(rec.name, -1);
        if (env) pool.release(env);
      }
    }
  }

  async #runEvent(cmd: InvokeCommand): Promise<void> {
    // Throttled events wait and retry, as Lambda's internal queue does (bounded here until issue #7).
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        const rec = await this.#runnable(cmd.ref);
        await this.#run(rec, { ...cmd, invocationType: 'RequestResponse', logType: 'None' });
        return;
      } catch (err) {
        if (!(err instanceof ThrottledError)) {
          this.#log.warn('event invoke failed', { requestId: cmd.requestId, function: cmd.ref.name, err });
          return;
        }
        await new Promise((r) => setTimeout(r, Math.min(1000 * 2 ** attempt, 30_000)));
      }
    }
  }
}

const EMPTY_EVENT = Buffer.from('{}');

/** The last 4 KB of the invoke's log, base64, as X-Amz-Log-Result carries it. */
function tailOf(lines: string[]): string {
  const text = Buffer.from(lines.join('\n') + '\n', 'utf8');
  return (text.length > 4096 ? text.subarray(text.length - 4096) : text).toString('base64');
}

/** Lambda refuses an event that is not JSON before it reaches the function (an empty body is `{}`). */
function assertJsonPayload(payload: Buffer): void {
  try {
    JSON.parse(payload.toString('utf8'));
  } catch (err) {
    throw new InvalidRequestContentError(`Could not parse request body into json: Could not parse payload into json: ${(err as Error).message}`);
  }
}
