/**
 * The asynchronous-invocation queue: where `InvocationType: Event` requests wait for
 * the dispatcher. One small interface with an embedded backend (SQLite, in the
 * metadata database: sqlite-queue.ts) so a real broker (NATS JetStream, SQS…) can
 * replace it; every backend runs the conformance suite in queue-testsuite.ts.
 *
 * Lifecycle of an event (at-least-once):
 *
 *   enqueue ──▶ ready ──claim──▶ leased ──complete──▶ (gone, follow-ups enqueued atomically)
 *                 ▲                 │
 *                 └────retry────────┘   (not before a later time, attempt count kept)
 *
 * `enqueue` resolves only once the event is durable: the caller answers 202 after it.
 * A consumer that dies leaves its events leased; `releaseAll()` on the next start puts
 * them back (the embedded queue has a single consumer, the platform process).
 */
export interface EventMeta {
  /** How many times the function ran the event and failed (function errors; retries are bounded by MaximumRetryAttempts). */
  functionErrors?: number;
  /** Times the function ran it (destination record's approximateInvokeCount). */
  invokeCount?: number;
  /** Throttles and platform errors so far: the exponent of the next backoff. */
  throttles?: number;
  /** Last error kept for the failure record. */
  lastStatus?: number;
  lastFunctionError?: string;
  lastExecutedVersion?: string;
  lastResponse?: string;
}

export interface NewEvent {
  /** The request id given with 202; the function sees it as its request id on every attempt. */
  id: string;
  functionName: string;
  /** '$LATEST', a version number or an alias name, as invoked. */
  qualifier: string;
  payload: Buffer;
  /** Epoch ms of acceptance (MaximumEventAgeInSeconds counts from it). */
  enqueuedAt: number;
  /** Epoch ms before which it is not due (default: now). */
  notBefore?: number;
  meta?: EventMeta;
}

export interface QueuedEvent {
  id: string;
  functionName: string;
  qualifier: string;
  payload: Buffer;
  enqueuedAt: number;
  notBefore: number;
  /** Times it was retried (claimed again after `retry`). */
  attempts: number;
  meta: EventMeta;
}

export interface EventQueue {
  readonly backend: string;
  /** Stores the event; resolves once it would survive a crash of this process. Rejects a duplicate id. */
  enqueue(event: NewEvent): Promise<void>;
  /** Leases up to `limit` events due at `now` (oldest due first). Leased events are not claimed again. */
  claim(limit: number, now: number): Promise<QueuedEvent[]>;
  /** The event is finished: removes it and enqueues `followUps` (destination records) in the same step. */
  complete(id: string, followUps?: NewEvent[]): Promise<void>;
  /** Puts a leased event back, due at `notBefore`, with updated attempts and meta. */
  retry(id: string, notBefore: number, meta: EventMeta): Promise<void>;
  /** Returns every leased event to ready (a previous consumer died); resolves to how many. */
  releaseAll(): Promise<number>;
  /** Epoch ms of the earliest ready event, if any (so the consumer can sleep until then). */
  nextDue(): Promise<number | undefined>;
  depth(): Promise<{ ready: number; leased: number }>;
  close(): Promise<void>;
}
