import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteMetadataStore } from '../store/sqlite/sqlite-store.js';
import { sampleRecord } from '../store/testsuite.js';
import { SqliteEventInvokeConfigStore } from './sqlite-configs.js';
import { eventInvokeConfigStoreSuite } from './config-testsuite.js';

const dirs: string[] = [];
process.on('exit', () => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

eventInvokeConfigStoreSuite('sqlite', {
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'lambdock-eic-'));
    dirs.push(dir);
    const file = join(dir, 'metadata.db');
    const meta = new SqliteMetadataStore(file);
    const store = new SqliteEventInvokeConfigStore(file);
    return {
      store,
      addFunction: (name) => meta.createFunction(sampleRecord(name)),
      deleteFunction: async (name) => void (await meta.deleteFunction(name)),
      async close() {
        await store.close();
        await meta.close();
      },
    };
  },
});
