import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteMetadataStore } from '../store/sqlite/sqlite-store.js';
import { sampleRecord } from '../store/testsuite.js';
import { SqliteFunctionUrlStore } from './sqlite-url-store.js';
import { functionUrlStoreSuite } from './testsuite.js';

functionUrlStoreSuite('sqlite', {
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'lambdock-urls-'));
    const meta = new SqliteMetadataStore(join(dir, 'metadata.db'));
    await meta.createFunction(sampleRecord('f'));
    await meta.createFunction(sampleRecord('g'));
    const store = new SqliteFunctionUrlStore(join(dir, 'metadata.db'));
    return {
      store,
      dropFunction: async (name) => void (await meta.deleteFunction(name)),
      async close() {
        await store.close();
        await meta.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
});
