import { openBesideMetadata } from '../store/sqlite/beside-metadata.js';
import { SqliteEventInvokeConfigStore } from './sqlite-configs.js';
import { eventInvokeConfigStoreSuite } from './config-testsuite.js';

eventInvokeConfigStoreSuite('sqlite', { open: async () => openBesideMetadata('lambdock-eic-', (file) => new SqliteEventInvokeConfigStore(file)) });
