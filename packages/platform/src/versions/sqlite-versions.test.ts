import { openBesideMetadata } from '../store/sqlite/beside-metadata.js';
import { SqliteVersionStore } from './sqlite-versions.js';
import { versionStoreSuite } from './testsuite.js';

versionStoreSuite('sqlite', { open: async () => openBesideMetadata('lambdock-versions-', (file) => new SqliteVersionStore(file)) });
