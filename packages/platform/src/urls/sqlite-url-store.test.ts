import { openBesideMetadata } from '../store/sqlite/beside-metadata.js';
import { SqliteFunctionUrlStore } from './sqlite-url-store.js';
import { functionUrlStoreSuite } from './testsuite.js';

functionUrlStoreSuite('sqlite', {
  async open() {
    const h = openBesideMetadata('lambdock-urls-', (file) => new SqliteFunctionUrlStore(file));
    await h.addFunction('f');
    await h.addFunction('g');
    return { store: h.store, dropFunction: h.deleteFunction, close: h.close };
  },
});
