import type Database from 'better-sqlite3';
import { NotFoundError } from '@lambdock/common';
import { openMetadataDb } from '../store/sqlite/schema.js';
import type { EventInvokeConfig, EventInvokeConfigStore } from './config-store.js';

type Doc = Omit<EventInvokeConfig, 'functionName' | 'qualifier'>;

/** Event-invoke configurations in the metadata database (its own connection; WAL lets both write). */
export class SqliteEventInvokeConfigStore implements EventInvokeConfigStore {
  readonly #db: Database.Database;
  readonly #stmts;

  constructor(file: string) {
    this.#db = openMetadataDb(file);
    this.#stmts = {
      exists: this.#db.prepare<[string], { n: number }>(`SELECT 1 AS n FROM functions WHERE name = ?`),
      put: this.#db.prepare(`INSERT INTO event_invoke_configs (function_name, qualifier, record) VALUES (?, ?, ?)
        ON CONFLICT (function_name, qualifier) DO UPDATE SET record = excluded.record`),
      get: this.#db.prepare<[string, string], { record: string }>(`SELECT record FROM event_invoke_configs WHERE function_name = ? AND qualifier = ?`),
      delete: this.#db.prepare<[string, string]>(`DELETE FROM event_invoke_configs WHERE function_name = ? AND qualifier = ?`),
      list: this.#db.prepare<[string, string, number], { qualifier: string; record: string }>(
        `SELECT qualifier, record FROM event_invoke_configs WHERE function_name = ? AND qualifier > ? ORDER BY qualifier LIMIT ?`,
      ),
    };
  }

  async put(c: EventInvokeConfig): Promise<void> {
    const { functionName, qualifier, ...doc } = c;
    this.#db.transaction(() => {
      if (!this.#stmts.exists.get(functionName)) throw new NotFoundError(`function ${functionName} not found`, { name: functionName });
      this.#stmts.put.run(functionName, qualifier, JSON.stringify(doc satisfies Doc));
    }).immediate();
  }

  async get(functionName: string, qualifier: string): Promise<EventInvokeConfig | undefined> {
    const row = this.#stmts.get.get(functionName, qualifier);
    return row ? { functionName, qualifier, ...(JSON.parse(row.record) as Doc) } : undefined;
  }

  async delete(functionName: string, qualifier: string): Promise<boolean> {
    return this.#stmts.delete.run(functionName, qualifier).changes > 0;
  }

  async list(functionName: string, opts: { after?: string; limit: number }): Promise<EventInvokeConfig[]> {
    return this.#stmts.list.all(functionName, opts.after ?? '', opts.limit).map((r) => ({ functionName, qualifier: r.qualifier, ...(JSON.parse(r.record) as Doc) }));
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}
