import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMetadataStoreSuite } from '../testsuite.js';
import { SqliteMetadataStore } from './store.js';

runMetadataStoreSuite('sqlite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lambdock-meta-'));
  return { store: new SqliteMetadataStore(join(dir, 'metadata.db')), cleanup: () => rm(dir, { recursive: true, force: true }) };
});
