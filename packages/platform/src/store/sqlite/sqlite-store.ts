import type Database from 'better-sqlite3';
import { ConflictError, NotFoundError } from '@lambdock/common';
import type { MetadataStore } from '../metadata-store.js';
import type { FunctionRecord } from '../../functions/model.js';
import { LATEST } from '../../functions/model.js';
import { openMetadataDb } from './schema.js';

interface Row {
  name: string;
  created_at: string;
  tags: string;
  reserved_concurrency: number | null;
  record: string;
}

/** Per-version fields kept in the JSON column; the rest live in columns. */
type VersionDoc = Omit<FunctionRecord, 'name' | 'version' | 'createdAt' | 'tags' | 'reservedConcurrency'>;

/**
 * The embedded metadata backend: one SQLite file in WAL mode. Writes are
 * transactions, so a kill -9 at any moment leaves the last committed state.
 */
export class SqliteMetadataStore implements MetadataStore {
  readonly backend = 'sqlite';
  readonly #db: Database.Database;
  readonly #stmts;

  constructor(file: string) {
    this.#db = openMetadataDb(file);
    const select = `SELECT f.name, f.created_at, f.tags, f.reserved_concurrency, v.record
      FROM functions f JOIN function_versions v ON v.function_name = f.name AND v.version = '${LATEST}'`;
    this.#stmts = {
      get: this.#db.prepare<[string], Row>(`${select} WHERE f.name = ?`),
      listFrom: this.#db.prepare<[string, number], Row>(`${select} WHERE f.name > ? ORDER BY f.name LIMIT ?`),
      insertFn: this.#db.prepare(`INSERT INTO functions (name, created_at, tags, reserved_concurrency) VALUES (@name, @created_at, @tags, @reserved_concurrency)`),
      insertVersion: this.#db.prepare(`INSERT INTO function_versions (function_name, version, state, revision_id, last_modified, record) VALUES (@name, @version, @state, @revision_id, @last_modified, @record)`),
      updateFn: this.#db.prepare(`UPDATE functions SET tags = @tags, reserved_concurrency = @reserved_concurrency WHERE name = @name`),
      updateVersion: this.#db.prepare(`UPDATE function_versions SET state = @state, revision_id = @revision_id, last_modified = @last_modified, record = @record WHERE function_name = @name AND version = @version`),
      delete: this.#db.prepare<[string]>(`DELETE FROM functions WHERE name = ?`),
      count: this.#db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM functions`),
      reserved: this.#db.prepare<[string], { n: number | null }>(`SELECT sum(reserved_concurrency) AS n FROM functions WHERE name <> ?`),
    };
  }

  async createFunction(record: FunctionRecord): Promise<void> {
    const tx = this.#db.transaction(() => {
      if (this.#stmts.get.get(record.name)) throw new ConflictError(`Function already exist: ${record.name}`, { name: record.name });
      const p = toParams(record);
      this.#stmts.insertFn.run(p);
      this.#stmts.insertVersion.run(p);
    });
    tx.immediate();
  }

  async getFunction(name: string): Promise<FunctionRecord | undefined> {
    const row = this.#stmts.get.get(name);
    return row ? fromRow(row) : undefined;
  }

  async listFunctions(opts: { after?: string; limit: number }): Promise<FunctionRecord[]> {
    return this.#stmts.listFrom.all(opts.after ?? '', opts.limit).map(fromRow);
  }

  async updateFunction(name: string, update: (current: FunctionRecord) => FunctionRecord): Promise<FunctionRecord> {
    const tx = this.#db.transaction(() => {
      const row = this.#stmts.get.get(name);
      if (!row) throw new NotFoundError(`function ${name} not found`, { name });
      const next = update(fromRow(row));
      const p = toParams({ ...next, name });
      this.#stmts.updateFn.run(p);
      this.#stmts.updateVersion.run(p);
      return next;
    });
    return tx.immediate();
  }

  async deleteFunction(name: string): Promise<boolean> {
    return this.#stmts.delete.run(name).changes > 0;
  }

  async countFunctions(): Promise<number> {
    return this.#stmts.count.get()?.n ?? 0;
  }

  async totalReservedConcurrency(exceptName?: string): Promise<number> {
    return this.#stmts.reserved.get(exceptName ?? '')?.n ?? 0;
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}

function toParams(r: FunctionRecord): Record<string, unknown> {
  const { name, version, createdAt, tags, reservedConcurrency, ...doc } = r;
  return {
    name,
    version,
    created_at: createdAt,
    tags: JSON.stringify(tags),
    reserved_concurrency: reservedConcurrency ?? null,
    state: doc.state,
    revision_id: doc.revisionId,
    last_modified: doc.lastModified,
    record: JSON.stringify(doc satisfies VersionDoc),
  };
}

function fromRow(row: Row): FunctionRecord {
  const doc = JSON.parse(row.record) as VersionDoc;
  const rec: FunctionRecord = { ...doc, name: row.name, version: LATEST, createdAt: row.created_at, tags: JSON.parse(row.tags) as Record<string, string> };
  if (row.reserved_concurrency !== null) rec.reservedConcurrency = row.reserved_concurrency;
  return rec;
}
