import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConflictError, NotFoundError } from '@lambdock/common';
import { migrate } from '../store/sqlite/schema.js';
import type { EventMeta, EventQueue, NewEvent, QueuedEvent } from './queue.js';

interface Row {
  id: string;
  function_name: string;
  qualifier: string;
  payload: Buffer;
  attempts: number;
  enqueued_at: number;
  not_before: number;
  record: string;
}

interface WriteOp {
  run(): void;
  resolve(): void;
  reject(err: unknown): void;
  error?: unknown;
}

/**
 * The embedded queue: the `async_events` table of the metadata database, on its own
 * connection with `synchronous = FULL`, so a commit is on disk (WAL fsynced) before
 * the 202 goes out. Group commit: every write requested during one turn of the event
 * loop goes into one transaction, one fsync — a burst of events costs a few fsyncs,
 * not one each.
 */
export class SqliteEventQueue implements EventQueue {
  readonly backend = 'sqlite';
  readonly #db: Database.Database;
  readonly #stmts;
  #ops: WriteOp[] = [];
  #scheduled = false;

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.#db = new Database(file);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = FULL');
    this.#db.pragma('busy_timeout = 5000');
    migrate(this.#db);
    this.#stmts = {
      insert: this.#db.prepare(
        `INSERT OR IGNORE INTO async_events (id, function_name, qualifier, payload, status, attempts, enqueued_at, not_before, record)
         VALUES (@id, @function_name, @qualifier, @payload, 'ready', 0, @enqueued_at, @not_before, @record)`,
      ),
      due: this.#db.prepare<[number, number], Row>(
        `SELECT id, function_name, qualifier, payload, attempts, enqueued_at, not_before, record FROM async_events
         WHERE status = 'ready' AND not_before <= ? ORDER BY not_before, enqueued_at LIMIT ?`,
      ),
      lease: this.#db.prepare<[string]>(`UPDATE async_events SET status = 'leased' WHERE id = ?`),
      remove: this.#db.prepare<[string]>(`DELETE FROM async_events WHERE id = ?`),
      retry: this.#db.prepare<[number, string, string]>(`UPDATE async_events SET status = 'ready', attempts = attempts + 1, not_before = ?, record = ? WHERE id = ? AND status = 'leased'`),
      releaseAll: this.#db.prepare(`UPDATE async_events SET status = 'ready' WHERE status = 'leased'`),
      nextDue: this.#db.prepare<[], { t: number | null }>(`SELECT min(not_before) AS t FROM async_events WHERE status = 'ready'`),
      depth: this.#db.prepare<[], { status: string; n: number }>(`SELECT status, count(*) AS n FROM async_events GROUP BY status`),
    };
  }

  enqueue(event: NewEvent): Promise<void> {
    return this.#write(() => {
      if (this.#insert(event) === 0) throw new ConflictError(`event ${event.id} is already queued`, { id: event.id });
    });
  }

  async claim(limit: number, now: number): Promise<QueuedEvent[]> {
    // Reads and leases in one immediate transaction; the lease is a plain commit
    // (not fsync-critical: after a crash releaseAll() makes every lease ready again).
    const rows = this.#db.transaction(() => {
      const due = this.#stmts.due.all(now, limit);
      for (const r of due) this.#stmts.lease.run(r.id);
      return due;
    }).immediate();
    return rows.map(fromRow);
  }

  complete(id: string, followUps: NewEvent[] = []): Promise<void> {
    return this.#write(() => {
      for (const f of followUps) this.#insert(f);
      this.#stmts.remove.run(id);
    });
  }

  retry(id: string, notBefore: number, meta: EventMeta): Promise<void> {
    return this.#write(() => {
      if (this.#stmts.retry.run(notBefore, JSON.stringify(meta), id).changes === 0) throw new NotFoundError(`event ${id} is not leased`, { id });
    });
  }

  async releaseAll(): Promise<number> {
    await this.#flushNow();
    return this.#stmts.releaseAll.run().changes;
  }

  async nextDue(): Promise<number | undefined> {
    return this.#stmts.nextDue.get()?.t ?? undefined;
  }

  async depth(): Promise<{ ready: number; leased: number }> {
    const out = { ready: 0, leased: 0 };
    for (const r of this.#stmts.depth.all()) if (r.status === 'ready' || r.status === 'leased') out[r.status] = r.n;
    return out;
  }

  async close(): Promise<void> {
    this.#flush();
    if (this.#db.open) this.#db.close();
  }

  #insert(e: NewEvent): number {
    return this.#stmts.insert.run({
      id: e.id,
      function_name: e.functionName,
      qualifier: e.qualifier,
      payload: e.payload,
      enqueued_at: e.enqueuedAt,
      not_before: e.notBefore ?? e.enqueuedAt,
      record: JSON.stringify(e.meta ?? {}),
    }).changes;
  }

  #write(run: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      if (!this.#db.open) {
        reject(new Error('event queue is closed'));
        return;
      }
      this.#ops.push({ run, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        // setImmediate: after the I/O of this turn, so every request that arrived together commits together.
        setImmediate(() => this.#flush());
      }
    });
  }

  async #flushNow(): Promise<void> {
    this.#flush();
  }

  /** One transaction (one fsync) for every write queued since the last flush. */
  #flush(): void {
    this.#scheduled = false;
    const ops = this.#ops;
    if (!ops.length) return;
    this.#ops = [];
    try {
      this.#db.transaction(() => {
        for (const op of ops) {
          try {
            op.run();
          } catch (err) {
            op.error = err;
          }
        }
      }).immediate();
    } catch (err) {
      for (const op of ops) op.reject(err);
      return;
    }
    for (const op of ops) (op.error === undefined ? op.resolve() : op.reject(op.error));
  }
}

function fromRow(r: Row): QueuedEvent {
  return {
    id: r.id,
    functionName: r.function_name,
    qualifier: r.qualifier,
    payload: r.payload,
    enqueuedAt: r.enqueued_at,
    notBefore: r.not_before,
    attempts: r.attempts,
    meta: JSON.parse(r.record) as EventMeta,
  };
}
