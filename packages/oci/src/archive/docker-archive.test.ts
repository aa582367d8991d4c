import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { MemoryContentStore } from '../content/memory/store.js';
import { digestBytes } from '../digest.js';
import { MediaTypes } from '../media-types.js';
import { ImageWriter } from '../writer/image.js';
import { buildLayer } from '../writer/layer.js';
import { readDockerArchive, writeDockerArchive } from './docker-archive.js';

async function toBuffer(fn: (out: import('node:stream').Writable) => Promise<void>): Promise<Buffer> {
  const { PassThrough } = await import('node:stream');
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await fn(out);
  return Buffer.concat(chunks);
}

test('round trip through a stream keeps manifest digest and tags', async () => {
  const src = new MemoryContentStore();
  const w = new ImageWriter(src);
  await w.addLayer([{ path: '/x', content: 'x' }]);
  const img = await w.write({ config: { Cmd: ['/x'] } });
  const tar = await toBuffer((out) => writeDockerArchive(out, src, [{ digest: img.manifestDigest, repoTags: ['fn:v1', 'fn:latest'] }]));
  const dst = new MemoryContentStore();
  const [read] = await readDockerArchive(Readable.from([tar]), dst);
  assert.equal(read?.manifestDigest, img.manifestDigest);
  assert.deepEqual(read?.repoTags, ['fn:v1', 'fn:latest']);
  assert.equal(read?.configDigest, img.configDigest);
});

test('the legacy layout (<id>/layer.tar, symlinked duplicates, <hex>.json config) is read into an OCI manifest', async () => {
  const store = new MemoryContentStore();
  const layer = await buildLayer(store, [{ path: '/legacy', content: 'old engine' }], { compression: 'none' });
  const layerBytes = await store.readAll(layer.descriptor.digest);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/legacy'] }, rootfs: { type: 'layers', diff_ids: [layer.diffId, layer.diffId] } }));
  const configHex = digestBytes(config).slice(7);
  const p = pack();
  p.entry({ name: 'aaaa/', type: 'directory' });
  p.entry({ name: 'aaaa/layer.tar', size: layerBytes.length }, layerBytes);
  p.entry({ name: 'aaaa/VERSION', size: 3 }, '1.0');
  p.entry({ name: 'bbbb/', type: 'directory' });
  p.entry({ name: 'bbbb/layer.tar', type: 'symlink', linkname: '../aaaa/layer.tar' });
  p.entry({ name: `${configHex}.json`, size: config.length }, config);
  const mj = Buffer.from(JSON.stringify([{ Config: `${configHex}.json`, RepoTags: ['old:1'], Layers: ['aaaa/layer.tar', 'bbbb/layer.tar'] }]));
  p.entry({ name: 'manifest.json', size: mj.length }, mj);
  p.finalize();
  const dst = new MemoryContentStore();
  const [img] = await readDockerArchive(p as unknown as Readable, dst);
  assert.deepEqual(img?.repoTags, ['old:1']);
  assert.equal(img?.configDigest, digestBytes(config));
  assert.deepEqual(
    img?.manifest.layers.map((l) => [l.mediaType, l.digest]),
    [
      [MediaTypes.ociLayer, layer.descriptor.digest],
      [MediaTypes.ociLayer, layer.descriptor.digest],
    ],
  );
  assert.ok(await dst.info(img!.manifestDigest));
  assert.deepEqual(await dst.readAll(layer.descriptor.digest), layerBytes);
});

test('garbage and incomplete archives are refused with a reason', async () => {
  await assert.rejects(readDockerArchive(Readable.from([Buffer.alloc(4096, 7)]), new MemoryContentStore()));
  const p = pack();
  const mj = Buffer.from(JSON.stringify([{ Config: 'missing.json', RepoTags: [], Layers: [] }]));
  p.entry({ name: 'manifest.json', size: mj.length }, mj);
  p.finalize();
  await assert.rejects(readDockerArchive(p as unknown as Readable, new MemoryContentStore()), { code: 'LAYOUT_INVALID', message: /lacks missing\.json/ });
  const empty = pack();
  empty.finalize();
  await assert.rejects(readDockerArchive(empty as unknown as Readable, new MemoryContentStore()), { code: 'LAYOUT_INVALID', message: /neither manifest\.json nor index\.json/ });
});
