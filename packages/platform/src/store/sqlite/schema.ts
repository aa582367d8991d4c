import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Schema, versioned with PRAGMA user_version. Tables for issue #7 (aliases,
 * event-invoke configs, function URLs, async events) exist from the start so that
 * adding those features is additive.
 *
 *   functions            one row per function (name, tags, reserved concurrency, version counter)
 *   └ function_versions  '$LATEST' and published versions: state columns + JSON document
 *   └ aliases            name → version (+ routing config)
 *   └ event_invoke_configs, function_urls   per qualifier
 *   async_events         the Event-invoke queue (at-least-once; status + not_before for retries)
 */
const migrations: string[] = [
  `CREATE TABLE functions (
     name TEXT PRIMARY KEY,
     created_at TEXT NOT NULL,
     tags TEXT NOT NULL DEFAULT '{}',
     reserved_concurrency INTEGER,
     next_version INTEGER NOT NULL DEFAULT 1
   );
   CREATE TABLE function_versions (
     function_name TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
     version TEXT NOT NULL,
     state TEXT NOT NULL,
     revision_id TEXT NOT NULL,
     last_modified TEXT NOT NULL,
     record TEXT NOT NULL,
     PRIMARY KEY (function_name, version)
   );
   CREATE TABLE aliases (
     function_name TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
     name TEXT NOT NULL,
     function_version TEXT NOT NULL,
     revision_id TEXT NOT NULL,
     record TEXT NOT NULL,
     PRIMARY KEY (function_name, name)
   );
   CREATE TABLE event_invoke_configs (
     function_name TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
     qualifier TEXT NOT NULL,
     record TEXT NOT NULL,
     PRIMARY KEY (function_name, qualifier)
   );
   CREATE TABLE function_urls (
     function_name TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
     qualifier TEXT NOT NULL,
     url_id TEXT NOT NULL UNIQUE,
     record TEXT NOT NULL,
     PRIMARY KEY (function_name, qualifier)
   );
   CREATE TABLE async_events (
     id TEXT PRIMARY KEY,
     function_name TEXT NOT NULL,
     qualifier TEXT NOT NULL,
     payload BLOB NOT NULL,
     status TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     enqueued_at INTEGER NOT NULL,
     not_before INTEGER NOT NULL,
     record TEXT NOT NULL DEFAULT '{}'
   );
   CREATE INDEX async_events_due ON async_events (status, not_before);`,
];

export function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let v = current; v < migrations.length; v++) {
    db.transaction(() => {
      db.exec(migrations[v]!);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}

/**
 * A connection to the metadata database, as every SQLite store of the platform opens it:
 * WAL (stores hold their own connections and write side by side), synchronous NORMAL
 * (in WAL mode it survives process crashes; only power loss can drop the last commits),
 * foreign keys on, a busy timeout, and the schema migrated.
 */
export function openMetadataDb(file: string): Database.Database {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}
