import type Database from 'better-sqlite3';
import { ConflictError, NotFoundError } from '@lambdock/common';
import { openMetadataDb } from '../store/sqlite/schema.js';
import type { FunctionUrlRecord, FunctionUrlStore } from './url-store.js';

type Doc = Omit<FunctionUrlRecord, 'functionName' | 'qualifier' | 'urlId'>;
interface Row {
  function_name: string;
  qualifier: string;
  url_id: string;
  record: string;
}

/**
 * Function URLs in the `function_urls` table of the metadata database (its own
 * connection; WAL lets it write beside the others). The foreign key removes a
 * function's URLs with the function.
 */
export class SqliteFunctionUrlStore implements FunctionUrlStore {
  readonly #db: Database.Database;
  readonly #stmts;

  constructor(file: string) {
    this.#db = openMetadataDb(file);
    const cols = 'function_name, qualifier, url_id, record';
    this.#stmts = {
      exists: this.#db.prepare<[string], { n: number }>(`SELECT 1 AS n FROM functions WHERE name = ?`),
      insert: this.#db.prepare(`INSERT INTO function_urls (${cols}) VALUES (?, ?, ?, ?)`),
      update: this.#db.prepare(`UPDATE function_urls SET record = ? WHERE function_name = ? AND qualifier = ?`),
      get: this.#db.prepare<[string, string], Row>(`SELECT ${cols} FROM function_urls WHERE function_name = ? AND qualifier = ?`),
      byId: this.#db.prepare<[string], Row>(`SELECT ${cols} FROM function_urls WHERE url_id = ?`),
      list: this.#db.prepare<[string, string, number], Row>(`SELECT ${cols} FROM function_urls WHERE function_name = ? AND qualifier > ? ORDER BY qualifier LIMIT ?`),
      delete: this.#db.prepare<[string, string]>(`DELETE FROM function_urls WHERE function_name = ? AND qualifier = ?`),
    };
  }

  async create(rec: FunctionUrlRecord): Promise<void> {
    this.#db
      .transaction(() => {
        if (!this.#stmts.exists.get(rec.functionName)) throw new NotFoundError(`function ${rec.functionName} not found`, { name: rec.functionName });
        if (this.#stmts.get.get(rec.functionName, rec.qualifier)) throw new ConflictError('FunctionUrlConfig exists for this Lambda function', { name: rec.functionName });
        this.#stmts.insert.run(rec.functionName, rec.qualifier, rec.urlId, JSON.stringify(toDoc(rec)));
      })
      .immediate();
  }

  async update(rec: FunctionUrlRecord): Promise<void> {
    if (this.#stmts.update.run(JSON.stringify(toDoc(rec)), rec.functionName, rec.qualifier).changes === 0) {
      throw new NotFoundError('The resource you requested does not exist.', { name: rec.functionName });
    }
  }

  async get(functionName: string, qualifier: string): Promise<FunctionUrlRecord | undefined> {
    const row = this.#stmts.get.get(functionName, qualifier);
    return row ? fromRow(row) : undefined;
  }

  async byUrlId(urlId: string): Promise<FunctionUrlRecord | undefined> {
    const row = this.#stmts.byId.get(urlId);
    return row ? fromRow(row) : undefined;
  }

  async list(functionName: string, opts: { after?: string; limit: number }): Promise<FunctionUrlRecord[]> {
    // '' (the unqualified URL) sorts first; `after` undefined must include it.
    const rows = opts.after === undefined ? [this.#stmts.get.get(functionName, ''), ...this.#stmts.list.all(functionName, '', opts.limit)] : this.#stmts.list.all(functionName, opts.after, opts.limit);
    return rows.filter((r): r is Row => r !== undefined).slice(0, opts.limit).map(fromRow);
  }

  async delete(functionName: string, qualifier: string): Promise<boolean> {
    return this.#stmts.delete.run(functionName, qualifier).changes > 0;
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}

function toDoc(r: FunctionUrlRecord): Doc {
  const { functionName: _f, qualifier: _q, urlId: _u, ...doc } = r;
  return doc;
}

function fromRow(row: Row): FunctionUrlRecord {
  return { functionName: row.function_name, qualifier: row.qualifier, urlId: row.url_id, ...(JSON.parse(row.record) as Doc) };
}
