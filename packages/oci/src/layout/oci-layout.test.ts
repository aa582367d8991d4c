import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryContentStore } from '../content/memory/store.js';
import { ImageWriter } from '../writer/image.js';
import { blobPath, listOciLayout, readOciLayout, writeOciLayout } from './oci-layout.js';

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lambdock-layout-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function sample(store: MemoryContentStore) {
  const w = new ImageWriter(store);
  await w.addLayer([{ path: '/a', content: 'a'.repeat(1000) }]);
  return w.write({ config: { Cmd: ['/a'] } });
}

test('round trip: what we write, we read back into another store with the same digests', async (t) => {
  const dir = await tempDir(t);
  const src = new MemoryContentStore();
  const img = await sample(src);
  const { index } = await writeOciLayout(dir, src, [{ digest: img.manifestDigest, name: 'v1' }]);
  assert.equal(index.manifests.length, 1);
  assert.deepEqual(JSON.parse(await readFile(join(dir, 'oci-layout'), 'utf8')), { imageLayoutVersion: '1.0.0' });
  const dst = new MemoryContentStore();
  const [entry] = await readOciLayout(dir, dst);
  assert.equal(entry?.name, 'v1');
  for (const d of [img.manifest.config, ...img.manifest.layers]) assert.deepEqual(await dst.readAll(d.digest), await src.readAll(d.digest));
  assert.ok(await dst.info(img.manifestDigest));
});

test('a tampered blob in a layout is refused and nothing of it is stored', async (t) => {
  const dir = await tempDir(t);
  const src = new MemoryContentStore();
  const img = await sample(src);
  await writeOciLayout(dir, src, [{ digest: img.manifestDigest, name: 'v1' }]);
  const layer = img.manifest.layers[0]!;
  const path = blobPath(dir, layer.digest);
  await chmod(path, 0o644);
  const bytes = await readFile(path);
  bytes[bytes.length - 5] ^= 0xff;
  await writeFile(path, bytes);
  const dst = new MemoryContentStore();
  await assert.rejects(readOciLayout(dir, dst), { code: 'DIGEST_MISMATCH' });
  assert.equal(await dst.info(layer.digest), undefined);
  assert.equal(await dst.info(img.manifestDigest), undefined);
});

test('not a layout, or a layout missing a blob, gives LAYOUT_INVALID with the reason', async (t) => {
  const dir = await tempDir(t);
  await assert.rejects(listOciLayout(dir), { code: 'LAYOUT_INVALID', message: /oci-layout is missing/ });
  await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"2.0.0"}');
  await assert.rejects(listOciLayout(dir), { code: 'LAYOUT_INVALID', message: /unsupported imageLayoutVersion/ });

  const dir2 = await tempDir(t);
  const src = new MemoryContentStore();
  const img = await sample(src);
  await writeOciLayout(dir2, src, [{ digest: img.manifestDigest }]);
  await rm(blobPath(dir2, img.manifest.layers[0]!.digest));
  await assert.rejects(readOciLayout(dir2, new MemoryContentStore()), { code: 'LAYOUT_INVALID', message: /lacks blob/ });
});
