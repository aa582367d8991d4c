import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteMetadataStore } from '../store/sqlite/sqlite-store.js';
import { sampleRecord } from '../store/testsuite.js';
import { SqliteVersionStore } from './sqlite-versions.js';
import { versionStoreSuite } from './testsuite.js';

const dirs: string[] = [];
process.on('exit', () => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

versionStoreSuite('sqlite', {
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'lambdock-versions-'));
    dirs.push(dir);
    const file = join(dir, 'metadata.db');
    const meta = new SqliteMetadataStore(file);
    const store = new SqliteVersionStore(file);
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
