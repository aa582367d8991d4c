import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { MemoryContentStore } from '@lambdock/oci';
import { startRegistry } from './testing/harness.js';

const sha256 = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

// The registry only talks to the ContentStore interface, so the planned S3 backend
// drops in the way this in-memory one does.
test('the registry serves from any ContentStore backend (in-memory here): chunked push, pull, delete, GC', async () => {
  const r = await startRegistry({ store: new MemoryContentStore(), gc: { graceMs: 0 } });
  try {
    const data = randomBytes(50_000);
    const start = await fetch(`${r.base}/v2/mem/repo/blobs/uploads/`, { method: 'POST' });
    const p = await fetch(r.base + start.headers.get('location')!, { method: 'PATCH', body: data.subarray(0, 20_000), headers: { 'Content-Range': '0-19999' } });
    assert.equal(p.status, 202);
    const done = await fetch(`${r.base}${p.headers.get('location')}?digest=${sha256(data)}`, { method: 'PUT', body: data.subarray(20_000) });
    assert.equal(done.status, 201);
    const got = await fetch(`${r.base}/v2/mem/repo/blobs/${sha256(data)}`, { headers: { Range: 'bytes=10-19' } });
    assert.equal(got.status, 206);
    assert.deepEqual(Buffer.from(await got.arrayBuffer()), data.subarray(10, 20));
    assert.equal((await fetch(`${r.base}/v2/mem/repo/blobs/${sha256(data)}`, { method: 'DELETE' })).status, 202);
    assert.equal(await r.registry.store.info(sha256(data)), undefined);
    await r.registry.gc();
  } finally {
    await r.stop();
  }
});
