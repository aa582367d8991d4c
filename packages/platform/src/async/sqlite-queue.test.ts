import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventQueue } from './sqlite-queue.js';
import { eventQueueSuite } from './testsuite.js';

const dirs: string[] = [];
const files = new WeakMap<object, string>();
process.on('exit', () => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

eventQueueSuite('sqlite', {
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'lambdock-queue-'));
    dirs.push(dir);
    const q = new SqliteEventQueue(join(dir, 'metadata.db'));
    files.set(q, join(dir, 'metadata.db'));
    return q;
  },
  async reopen(prev) {
    await prev.close();
    const file = files.get(prev)!;
    const q = new SqliteEventQueue(file);
    files.set(q, file);
    return q;
  },
});
