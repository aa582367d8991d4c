import type Database from 'better-sqlite3';
import { closeSync, fsync, openSync } from 'node:fs';
import { ConflictError, NotFoundError } from '@lambdock/common';
import { openMetadataDb } from '../store/sqlite/schema.js';
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
 * connection. A write is acknowledged only once it is on disk (the WAL file fsynced),
 * so the 202 survives a crash of the process and of the machine.
 *
 * Group commit: every write requested during one turn of the event loop goes into one
 * transaction; transactions commit without SQLite's own fsync (synchronous = NORMAL)
 * and an fsync of the WAL file runs on the thread pool — one at a time, each covering
 * every transaction committed before it started. The event loop never blocks on the
 * disk, and a burst of events costs a few fsyncs, not one each.
 */
export class SqliteEventQueue implements EventQueue {
  readonly backend = 'sqlite';
  readonly #db: Database.Database;
  readonly #stmts;
  #ops: WriteOp[] = [];
  #scheduled = false;
  readonly #walFile: string | undefined;
  #walFd: number | undefined;
  /** Committed, waiting for the next fsync. */
  #unsynced: WriteOp[] = [];
  #syncing = false;

  constructor(file: string) {
    // Durability comes from the explicit fsync of the WAL in #sync (see the class comment).
    this.#db = openMetadataDb(file);
    this.#walFile = file === ':memory:' ? undefined : `${file}-wal`;
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
    // Reads and leases in one immediate transaction. A lease need not reach the disk (after
    // a crash releaseAll() makes every lease ready again), so it waits for no fsync.
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
    while (this.#syncing || this.#unsynced.length) await new Promise((r) => setImmediate(r));
    if (this.#walFd !== undefined) closeSync(this.#walFd);
    this.#walFd = undefined;
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
    for (const op of ops) if (op.error !== undefined) op.reject(op.error);
    this.#unsynced.push(...ops.filter((op) => op.error === undefined));
    this.#sync();
  }

  /** One fsync of the WAL at a time; it acknowledges every write committed before it began. */
  #sync(): void {
    if (this.#syncing || !this.#unsynced.length) return;
    const batch = this.#unsynced;
    this.#unsynced = [];
    if (!this.#walFile) {
      for (const op of batch) op.resolve();
      return;
    }
    this.#walFd ??= openSync(this.#walFile, 'r+');
    this.#syncing = true;
    fsync(this.#walFd, (err) => {
      this.#syncing = false;
      for (const op of batch) (err ? op.reject(err) : op.resolve());
      this.#sync();
    });
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
