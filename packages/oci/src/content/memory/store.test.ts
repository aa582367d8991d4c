import { runContentStoreSuite } from '../testsuite.js';
import { MemoryContentStore, createMemoryContentState } from './store.js';

runContentStoreSuite('memory', async () => {
  const state = createMemoryContentState();
  return {
    store: new MemoryContentStore(state),
    reopen: async () => new MemoryContentStore(state),
    cleanup: async () => {},
  };
});
