import type Database from 'better-sqlite3';
import { ConflictError, NotFoundError } from '@lambdock/common';
import { openMetadataDb } from '../store/sqlite/schema.js';
import type { FunctionRecord } from '../functions/model.js';
import type { AliasRecord, VersionStore } from './version-store.js';

interface VersionRow {
  version: string;
  record: string;
  created_at: string;
  tags: string;
  reserved_concurrency: number | null;
}

type VersionDoc = Omit<FunctionRecord, 'name' | 'version' | 'createdAt' | 'tags' | 'reservedConcurrency'>;
type AliasDoc = Omit<AliasRecord, 'functionName' | 'name' | 'functionVersion' | 'revisionId'>;

/**
 * Versions and aliases in the metadata database, on a connection of their own (WAL:
 * the function store's connection and this one take turns; every method is one
 * transaction). Version rows sit beside '$LATEST' in `function_versions`; the
 * function's `next_version` counter makes numbers unique even after deletions.
 */
export class SqliteVersionStore implements VersionStore {
  readonly #db: Database.Database;
  readonly #s;

  constructor(file: string) {
    this.#db = openMetadataDb(file);
    const select = `SELECT v.version, v.record, f.created_at, f.tags, f.reserved_concurrency
      FROM function_versions v JOIN functions f ON f.name = v.function_name`;
    this.#s = {
      fn: this.#db.prepare<[string], { next_version: number }>(`SELECT next_version FROM functions WHERE name = ?`),
      bump: this.#db.prepare<[string]>(`UPDATE functions SET next_version = next_version + 1 WHERE name = ?`),
      last: this.#db.prepare<[string], VersionRow>(`${select} WHERE v.function_name = ? AND v.version <> '$LATEST' ORDER BY CAST(v.version AS INTEGER) DESC LIMIT 1`),
      get: this.#db.prepare<[string, string], VersionRow>(`${select} WHERE v.function_name = ? AND v.version = ? AND v.version <> '$LATEST'`),
      list: this.#db.prepare<[string, number, number], VersionRow>(
        `${select} WHERE v.function_name = ? AND v.version <> '$LATEST' AND CAST(v.version AS INTEGER) > ? ORDER BY CAST(v.version AS INTEGER) LIMIT ?`,
      ),
      insert: this.#db.prepare(`INSERT INTO function_versions (function_name, version, state, revision_id, last_modified, record) VALUES (?, ?, ?, ?, ?, ?)`),
      deleteVersion: this.#db.prepare<[string, string]>(`DELETE FROM function_versions WHERE function_name = ? AND version = ? AND version <> '$LATEST'`),
      aliases: this.#db.prepare<[string], AliasRow>(`SELECT function_name, name, function_version, revision_id, record FROM aliases WHERE function_name = ? ORDER BY name`),
      alias: this.#db.prepare<[string, string], AliasRow>(`SELECT function_name, name, function_version, revision_id, record FROM aliases WHERE function_name = ? AND name = ?`),
      insertAlias: this.#db.prepare(`INSERT INTO aliases (function_name, name, function_version, revision_id, record) VALUES (?, ?, ?, ?, ?)`),
      updateAlias: this.#db.prepare(`UPDATE aliases SET function_version = ?, revision_id = ?, record = ? WHERE function_name = ? AND name = ?`),
      deleteAlias: this.#db.prepare<[string, string]>(`DELETE FROM aliases WHERE function_name = ? AND name = ?`),
    };
  }

  async publish(name: string, build: (version: string) => FunctionRecord, same: (last: FunctionRecord) => boolean) {
    return this.#db.transaction(() => {
      const fn = this.#s.fn.get(name);
      if (!fn) throw new NotFoundError(`function ${name} not found`, { name });
      const lastRow = this.#s.last.get(name);
      if (lastRow) {
        const last = fromRow(name, lastRow);
        if (same(last)) return { record: last, created: false };
      }
      const version = String(fn.next_version);
      const rec = build(version);
      const { name: _n, version: _v, createdAt: _c, tags: _t, reservedConcurrency: _r, ...doc } = rec;
      this.#s.insert.run(name, version, rec.state, rec.revisionId, rec.lastModified, JSON.stringify(doc satisfies VersionDoc));
      this.#s.bump.run(name);
      return { record: { ...rec, version }, created: true };
    }).immediate();
  }

  async getVersion(name: string, version: string): Promise<FunctionRecord | undefined> {
    const row = this.#s.get.get(name, version);
    return row ? fromRow(name, row) : undefined;
  }

  async listVersions(name: string, opts: { after?: number; limit: number }): Promise<FunctionRecord[]> {
    return this.#s.list.all(name, opts.after ?? 0, opts.limit).map((r) => fromRow(name, r));
  }

  async deleteVersion(name: string, version: string): Promise<boolean> {
    return this.#db.transaction(() => {
      const users = this.#s.aliases.all(name).map(aliasFromRow).filter((a) => a.functionVersion === version || (a.additionalVersionWeights && version in a.additionalVersionWeights));
      if (users.length) {
        throw new ConflictError(`Unable to delete version because the following aliases reference it: [${users.map((a) => a.name).join(', ')}]`, { aliases: users.map((a) => a.name) });
      }
      return this.#s.deleteVersion.run(name, version).changes > 0;
    }).immediate();
  }

  async createAlias(a: AliasRecord): Promise<void> {
    this.#db.transaction(() => {
      if (!this.#s.fn.get(a.functionName)) throw new NotFoundError(`function ${a.functionName} not found`, { name: a.functionName });
      if (this.#s.alias.get(a.functionName, a.name)) throw new ConflictError(`alias ${a.name} exists`, { alias: a.name });
      this.#s.insertAlias.run(a.functionName, a.name, a.functionVersion, a.revisionId, JSON.stringify(aliasDoc(a)));
    }).immediate();
  }

  async getAlias(name: string, alias: string): Promise<AliasRecord | undefined> {
    const row = this.#s.alias.get(name, alias);
    return row ? aliasFromRow(row) : undefined;
  }

  async updateAlias(name: string, alias: string, update: (current: AliasRecord) => AliasRecord): Promise<AliasRecord> {
    return this.#db.transaction(() => {
      const row = this.#s.alias.get(name, alias);
      if (!row) throw new NotFoundError(`alias ${alias} not found`, { alias });
      const next = { ...update(aliasFromRow(row)), functionName: name, name: alias };
      this.#s.updateAlias.run(next.functionVersion, next.revisionId, JSON.stringify(aliasDoc(next)), name, alias);
      return next;
    }).immediate();
  }

  async deleteAlias(name: string, alias: string): Promise<boolean> {
    return this.#s.deleteAlias.run(name, alias).changes > 0;
  }

  async listAliases(name: string, opts: { after?: string; limit: number; functionVersion?: string }): Promise<AliasRecord[]> {
    const v = opts.functionVersion;
    return this.#s.aliases
      .all(name)
      .map(aliasFromRow)
      .filter((a) => (opts.after === undefined || a.name > opts.after) && (v === undefined || a.functionVersion === v || (a.additionalVersionWeights !== undefined && v in a.additionalVersionWeights)))
      .slice(0, opts.limit);
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}

interface AliasRow {
  function_name: string;
  name: string;
  function_version: string;
  revision_id: string;
  record: string;
}

function aliasDoc(a: AliasRecord): AliasDoc {
  return { description: a.description, ...(a.additionalVersionWeights ? { additionalVersionWeights: a.additionalVersionWeights } : {}) };
}

function aliasFromRow(r: AliasRow): AliasRecord {
  return { functionName: r.function_name, name: r.name, functionVersion: r.function_version, revisionId: r.revision_id, ...(JSON.parse(r.record) as AliasDoc) };
}

function fromRow(name: string, row: VersionRow): FunctionRecord {
  const doc = JSON.parse(row.record) as VersionDoc;
  const rec: FunctionRecord = { ...doc, name, version: row.version, createdAt: row.created_at, tags: JSON.parse(row.tags) as Record<string, string> };
  if (row.reserved_concurrency !== null) rec.reservedConcurrency = row.reserved_concurrency;
  return rec;
}
