import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteMetadataStore } from './sqlite-store.js';
import { sampleRecord } from '../testsuite.js';

/**
 * For the conformance suites of the SQLite stores that live in the metadata database
 * (versions, event-invoke configs, function URLs): a fresh database, the function store
 * and `make(file)` opened on the same file, functions added and removed through the
 * function store, and everything closed and deleted by `close()`.
 */
export function openBesideMetadata<S extends { close(): Promise<void> }>(prefix: string, make: (file: string) => S) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const file = join(dir, 'metadata.db');
  const meta = new SqliteMetadataStore(file);
  const store = make(file);
  return {
    store,
    addFunction: (name: string) => meta.createFunction(sampleRecord(name)),
    deleteFunction: async (name: string) => void (await meta.deleteFunction(name)),
    async close() {
      await store.close();
      await meta.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
