import { randomUUID } from 'node:crypto';
import { NotFoundError } from '@lambdock/common';
import type { Logger } from '@lambdock/common';
import type { FunctionService } from '../functions/function-service.js';
import type { FunctionRecord } from '../functions/model.js';
import { LATEST } from '../functions/model.js';
import type { FunctionRef } from '../functions/names.js';
import type { InvokeCommand, InvokeOutcome } from '../invoke/invoke-service.js';
import type { EventMeta, EventQueue, NewEvent, QueuedEvent } from './queue.js';
import type { EventInvokeConfigService } from './event-invoke-configs.js';
import { DEFAULT_MAX_EVENT_AGE_SECONDS, DEFAULT_MAX_RETRY_ATTEMPTS, checkDestination } from './event-invoke-configs.js';

export interface AsyncDispatcherOptions {
  queue: EventQueue;
  configs: EventInvokeConfigService;
  functions: FunctionService;
  /** Runs one event synchronously (InvokeService.invoke with RequestResponse). */
  run(cmd: InvokeCommand): Promise<InvokeOutcome>;
  /** Puts buffered function logs on disk; called before an event is acknowledged so its START line is never lost. */
  flushLogs?(): Promise<void>;
  logger: Logger;
  /** Wait before retrying a function error; the second retry waits twice as long. Lambda: about 60 s. */
  retryBaseMs?: number;
  /** First wait after a throttle or platform error, doubling up to `maxBackoffMs`. Lambda: 1 s to 5 min. */
  throttleBaseMs?: number;
  maxBackoffMs?: number;
  /** Events running at once over all functions (each also counts against the function's concurrency). */
  concurrency?: number;
  /** Longest sleep between looks at the queue when nothing woke the dispatcher. */
  pollMs?: number;
}

/** How long an event waits when its function's reserved concurrency is taken by other events. */
const DEFER_MS = 50;

export type DeliveryCondition = 'Success' | 'RetriesExhausted' | 'EventAgeExceeded';

/**
 * Asynchronous invocation: `enqueue` stores an event durably (the 202 follows), the
 * dispatcher runs queued events, retries function errors (MaximumRetryAttempts, 1 then
 * 2 × retryBaseMs) and throttles/platform errors (exponential backoff until
 * MaximumEventAgeInSeconds), then hands the outcome to OnSuccess/OnFailure
 * destinations and the dead-letter target — as new queued events, in the same queue
 * step that acknowledges the original, so a crash never loses or half-delivers one.
 */
export class AsyncDispatcher {
  readonly #q: EventQueue;
  readonly #configs: EventInvokeConfigService;
  readonly #functions: FunctionService;
  readonly #run: (cmd: InvokeCommand) => Promise<InvokeOutcome>;
  readonly #flushLogs: () => Promise<void>;
  readonly #log: Logger;
  readonly #retryBaseMs: number;
  readonly #throttleBaseMs: number;
  readonly #maxBackoffMs: number;
  readonly #concurrency: number;
  readonly #pollMs: number;
  #inflight = 0;
  /** Events running per function: reserved concurrency is honoured here, before the invoke would be throttled. */
  readonly #running_per = new Map<string, number>();
  readonly #running = new Set<Promise<void>>();
  #pumping = false;
  #again = false;
  #timer: NodeJS.Timeout | undefined;
  #started = false;
  #closed = false;
  readonly #idleWaiters: Array<() => void> = [];

  constructor(opts: AsyncDispatcherOptions) {
    this.#q = opts.queue;
    this.#configs = opts.configs;
    this.#functions = opts.functions;
    this.#run = opts.run;
    this.#flushLogs = opts.flushLogs ?? (async () => undefined);
    this.#log = opts.logger;
    this.#retryBaseMs = opts.retryBaseMs ?? 60_000;
    this.#throttleBaseMs = opts.throttleBaseMs ?? 1000;
    this.#maxBackoffMs = opts.maxBackoffMs ?? 5 * 60_000;
    this.#concurrency = opts.concurrency ?? 16;
    this.#pollMs = opts.pollMs ?? 1000;
  }

  /** Returns events a previous run had taken but not finished, then starts dispatching. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    const released = await this.#q.releaseAll();
    if (released) this.#log.info('redelivering events a previous run had not finished', { events: released });
    this.#wake();
  }

  /** Stores an Event invoke; resolves once it is durable. */
  async enqueue(ref: FunctionRef, payload: Buffer, requestId: string): Promise<void> {
    await this.#q.enqueue({ id: requestId, functionName: ref.name, qualifier: ref.qualifier ?? LATEST, payload, enqueuedAt: Date.now() });
    this.#wake();
  }

  /** Resolves when nothing is running and no event is due now (tests, benchmarks). */
  async idle(): Promise<void> {
    for (;;) {
      const d = await this.#q.depth();
      const next = await this.#q.nextDue();
      if (this.#inflight === 0 && d.leased === 0 && (d.ready === 0 || (next !== undefined && next > Date.now() + 50))) return;
      await new Promise<void>((r) => {
        this.#idleWaiters.push(r);
        setTimeout(r, 50);
      });
    }
  }

  depth(): Promise<{ ready: number; leased: number }> {
    return this.#q.depth();
  }

  /**
   * Stops taking events and gives the running ones a moment to finish. One still running
   * after that keeps its lease and runs again after the next start (at-least-once), so a
   * long function timeout never holds up a shutdown.
   */
  async close(graceMs = 5000): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((r) => (timer = setTimeout(r, graceMs)));
    await Promise.race([Promise.allSettled([...this.#running]), grace]);
    clearTimeout(timer);
  }

  #wake(): void {
    if (!this.#started || this.#closed) return;
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    void this.#pump();
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      do {
        this.#again = false;
        while (!this.#closed && this.#inflight < this.#concurrency) {
          const batch = await this.#q.claim(this.#concurrency - this.#inflight, Date.now());
          if (!batch.length) break;
          for (const e of batch) this.#start(e);
        }
      } while (this.#again && !this.#closed);
      if (!this.#closed) await this.#schedule();
    } catch (err) {
      this.#log.error('async dispatcher could not read the queue', { err });
      if (!this.#closed) this.#sleep(this.#pollMs);
    } finally {
      this.#pumping = false;
    }
    for (const w of this.#idleWaiters.splice(0)) w();
  }

  async #schedule(): Promise<void> {
    const next = await this.#q.nextDue();
    const wait = next === undefined ? this.#pollMs : Math.max(0, Math.min(next - Date.now(), this.#pollMs));
    this.#sleep(wait);
  }

  #sleep(ms: number): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#wake(), ms);
    this.#timer.unref();
  }

  #start(e: QueuedEvent): void {
    this.#inflight++;
    const job = this.#process(e)
      .catch((err: unknown) => {
        // Could not even record the outcome: the lease stays, and the next start redelivers it.
        if (this.#closed) this.#log.debug('async event left leased by shutdown', { requestId: e.id, function: e.functionName });
        else this.#log.error('async event could not be settled', { requestId: e.id, function: e.functionName, err });
      })
      .finally(() => {
        this.#inflight--;
        this.#running.delete(job);
        this.#wake();
      });
    this.#running.add(job);
  }

  async #process(e: QueuedEvent): Promise<void> {
    const ref: FunctionRef = e.qualifier === LATEST ? { name: e.functionName } : { name: e.functionName, qualifier: e.qualifier };
    const meta: EventMeta = { ...e.meta };
    const log = this.#log.child({ requestId: e.id, function: e.functionName, qualifier: e.qualifier });
    let rec: FunctionRecord;
    try {
      rec = await this.#functions.get(ref);
    } catch (err) {
      if (err instanceof NotFoundError) {
        log.warn('dropping event: the function or qualifier no longer exists');
        await this.#q.complete(e.id);
        return;
      }
      throw err;
    }
    const cfg = await this.#configs.effective(e.functionName, e.qualifier);
    const maxRetries = cfg?.maximumRetryAttempts ?? DEFAULT_MAX_RETRY_ATTEMPTS;
    const maxAgeMs = (cfg?.maximumEventAgeInSeconds ?? DEFAULT_MAX_EVENT_AGE_SECONDS) * 1000;
    const now = Date.now();
    if (now - e.enqueuedAt > maxAgeMs) return this.#fail(e, rec, meta, 'EventAgeExceeded', cfg?.onFailure);
    // Reserved concurrency 0: Lambda sends new events straight to the failure handling, without attempts.
    if (rec.reservedConcurrency === 0) return this.#fail(e, rec, meta, 'RetriesExhausted', cfg?.onFailure);

    const running = this.#running_per.get(e.functionName) ?? 0;
    if (rec.reservedConcurrency !== undefined && running >= rec.reservedConcurrency) {
      // The function's own limit is full with this dispatcher's events: wait a little, no backoff.
      await this.#q.retry(e.id, Date.now() + DEFER_MS, meta);
      return;
    }
    meta.invokeCount = (meta.invokeCount ?? 0) + 1;
    let out: InvokeOutcome;
    this.#running_per.set(e.functionName, running + 1);
    try {
      out = await this.#run({ ref, invocationType: 'RequestResponse', logType: 'None', payload: e.payload, requestId: e.id });
    } catch (err) {
      if (err instanceof NotFoundError) {
        log.warn('dropping event: the function was deleted');
        await this.#q.complete(e.id);
        return;
      }
      // Throttled, function not ready, or a platform error: back off and retry until too old.
      meta.invokeCount--; // not an invocation of the function
      const code = (err as { code?: string }).code;
      const delay = Math.min(this.#throttleBaseMs * 2 ** Math.min(meta.throttles ?? 0, 20), this.#maxBackoffMs);
      meta.throttles = (meta.throttles ?? 0) + 1;
      const jittered = Math.round(delay * (0.75 + Math.random() * 0.5));
      if (Date.now() + jittered - e.enqueuedAt > maxAgeMs) return this.#fail(e, rec, meta, 'EventAgeExceeded', cfg?.onFailure);
      if (code !== 'THROTTLED') log.warn('async invoke failed; will retry', { err, retryInMs: jittered });
      await this.#q.retry(e.id, Date.now() + jittered, meta);
      return;
    } finally {
      const n = (this.#running_per.get(e.functionName) ?? 1) - 1;
      if (n <= 0) this.#running_per.delete(e.functionName);
      else this.#running_per.set(e.functionName, n);
    }
    await this.#flushLogs();
    meta.lastStatus = out.status;
    meta.lastExecutedVersion = out.executedVersion;
    if (!out.functionError) {
      const followUps: NewEvent[] = [];
      if (cfg?.onSuccess) this.#destination(followUps, cfg.onSuccess, record(e, this.#functions.arn(e.functionName, e.qualifier), 'Success', meta, out.payload.toString('utf8')));
      await this.#q.complete(e.id, followUps);
      return;
    }
    meta.functionErrors = (meta.functionErrors ?? 0) + 1;
    meta.lastFunctionError = out.functionError;
    meta.lastResponse = out.payload.toString('utf8');
    if (meta.functionErrors > maxRetries) return this.#fail(e, rec, meta, 'RetriesExhausted', cfg?.onFailure);
    const wait = this.#retryBaseMs * 2 ** (meta.functionErrors - 1);
    if (Date.now() + wait - e.enqueuedAt > maxAgeMs) return this.#fail(e, rec, meta, 'EventAgeExceeded', cfg?.onFailure);
    log.debug('function error; retrying', { functionErrors: meta.functionErrors, retryInMs: wait });
    await this.#q.retry(e.id, Date.now() + wait, meta);
  }

  /** Gives up on an event: OnFailure destination record and dead-letter copy, acknowledged together. */
  async #fail(e: QueuedEvent, rec: FunctionRecord, meta: EventMeta, condition: DeliveryCondition, onFailure: string | undefined): Promise<void> {
    const followUps: NewEvent[] = [];
    if (onFailure) this.#destination(followUps, onFailure, record(e, this.#functions.arn(e.functionName, e.qualifier), condition, meta, meta.lastResponse));
    const dlq = rec.settings.deadLetterTargetArn;
    if (dlq) this.#deliver(followUps, dlq, e.payload, 'DeadLetterConfig.TargetArn');
    this.#log.info('async event failed', { requestId: e.id, function: e.functionName, condition, invokeCount: meta.invokeCount ?? 0, destinations: followUps.length });
    await this.#q.complete(e.id, followUps);
  }

  #destination(into: NewEvent[], arn: string, body: Record<string, unknown>, field = 'Destination'): void {
    this.#deliver(into, arn, Buffer.from(JSON.stringify(body)), field);
  }

  #deliver(into: NewEvent[], arn: string, payload: Buffer, field: string): void {
    try {
      const target = checkDestination(arn, this.#functions, field);
      const now = Date.now();
      into.push({ id: randomUUID(), functionName: target.name, qualifier: target.qualifier ?? LATEST, payload, enqueuedAt: now });
    } catch (err) {
      this.#log.warn('destination delivery failed', { destination: arn, err });
    }
  }
}

/** The invocation record Lambda sends to destinations. */
function record(e: QueuedEvent, functionArn: string, condition: DeliveryCondition, meta: EventMeta, response: string | undefined): Record<string, unknown> {
  const responseContext: Record<string, unknown> = {};
  if (meta.lastStatus !== undefined) responseContext['statusCode'] = meta.lastStatus;
  if (meta.lastExecutedVersion !== undefined) responseContext['executedVersion'] = meta.lastExecutedVersion;
  if (condition !== 'Success' && meta.lastFunctionError) responseContext['functionError'] = meta.lastFunctionError;
  const out: Record<string, unknown> = {
    version: '1.0',
    timestamp: new Date().toISOString(),
    requestContext: { requestId: e.id, functionArn, condition, approximateInvokeCount: meta.invokeCount ?? 0 },
    requestPayload: parseMaybe(e.payload.toString('utf8')),
    responseContext,
  };
  if (response !== undefined && meta.lastStatus !== undefined) out['responsePayload'] = parseMaybe(response);
  return out;
}

function parseMaybe(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
