import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, symlink, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { extract } from 'tar-stream';
import { Readable } from 'node:stream';
import { FsContentStore } from '../content/fs/store.js';
import { parseImageConfig, parseManifest } from '../manifest.js';
import { MediaTypes } from '../media-types.js';
import { ImageWriter, writeImage } from './image.js';
import { buildLayer } from './layer.js';
import { filesFromDirectory } from './files.js';

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lambdock-writer-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function tarEntries(gz: Buffer): Promise<{ name: string; type: string; mode: number; uid: number; gid: number; mtime: number; body: string; linkname?: string }[]> {
  const out: { name: string; type: string; mode: number; uid: number; gid: number; mtime: number; body: string; linkname?: string }[] = [];
  const ex = extract();
  const done = (async () => {
    for await (const e of ex) {
      const chunks: Buffer[] = [];
      for await (const c of e) chunks.push(c as Buffer);
      const h = e.header;
      out.push({ name: h.name, type: String(h.type), mode: h.mode ?? 0, uid: h.uid ?? -1, gid: h.gid ?? -1, mtime: h.mtime!.getTime() / 1000, body: Buffer.concat(chunks).toString(), ...(h.linkname ? { linkname: h.linkname } : {}) });
    }
  })();
  Readable.from([gunzipSync(gz)]).pipe(ex as unknown as NodeJS.WritableStream);
  await done;
  return out;
}

test('same inputs give the same layer, config and manifest digests, in different stores and directories', async (t) => {
  const dir = await tempDir(t);
  const build = async (n: number) => {
    const src = join(dir, `src${n}`);
    await mkdir(join(src, 'lib'), { recursive: true });
    await writeFile(join(src, 'app.js'), 'exports.handler = async () => "ok";\n');
    await writeFile(join(src, 'lib', 'run.sh'), '#!/bin/sh\necho hi\n');
    await chmod(join(src, 'lib', 'run.sh'), 0o755);
    await symlink('lib/run.sh', join(src, 'run'));
    const store = new FsContentStore(join(dir, `store${n}`));
    const w = new ImageWriter(store);
    await w.addLayer([{ path: '/etc/motd', content: 'hello\n' }]);
    await w.addDirectory(src, '/var/task');
    return w.write({ config: { Env: ['A=1'], Entrypoint: ['/lambda-entrypoint.sh'], Cmd: ['app.handler'], WorkingDir: '/var/task' } });
  };
  const a = await build(1);
  const b = await build(2);
  assert.equal(a.manifestDigest, b.manifestDigest);
  assert.equal(a.configDigest, b.configDigest);
  assert.deepEqual(a.manifest.layers, b.manifest.layers);
  assert.equal(a.config.created, '1970-01-01T00:00:00Z');
  assert.deepEqual(a.config.config, { Env: ['A=1'], Entrypoint: ['/lambda-entrypoint.sh'], Cmd: ['app.handler'], WorkingDir: '/var/task' });
  assert.equal(a.manifest.mediaType, MediaTypes.ociManifest);
  assert.equal(a.config.rootfs.diff_ids.length, 2);
});

test('layer tar: sorted entries, parents added, root-owned, fixed mtime, deterministic gzip header', async (t) => {
  const dir = await tempDir(t);
  const store = new FsContentStore(join(dir, 'store'));
  const layer = await buildLayer(
    store,
    [
      { path: '/var/task/z.txt', content: 'z' },
      { path: 'var/task/a.txt', content: 'a', mode: 0o600, uid: 1000 },
      { path: '/bin/tool', content: 'x', mode: 0o755 },
      { path: '/bin/alias', type: 'symlink', target: 'tool' },
    ],
    { mtime: 1700000000 },
  );
  const blob = await store.readAll(layer.descriptor.digest);
  // gzip header: magic, deflate, no flags (no file name), mtime 0.
  assert.deepEqual([...blob.subarray(0, 8)], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0]);
  const entries = await tarEntries(blob);
  assert.deepEqual(
    entries.map((e) => e.name),
    ['bin/', 'bin/alias', 'bin/tool', 'var/', 'var/task/', 'var/task/a.txt', 'var/task/z.txt'],
  );
  assert.ok(entries.every((e) => e.mtime === 1700000000));
  const a = entries.find((e) => e.name === 'var/task/a.txt')!;
  assert.equal(a.mode, 0o600);
  assert.equal(a.uid, 1000);
  assert.equal(entries.find((e) => e.name === 'bin/tool')!.uid, 0);
  assert.equal(entries.find((e) => e.name === 'bin/alias')!.linkname, 'tool');
  assert.equal(entries.find((e) => e.name === 'var/')!.mode, 0o755);
});

test('SOURCE_DATE_EPOCH changes the stamp, and therefore the digests', async (t) => {
  const dir = await tempDir(t);
  const store = new FsContentStore(join(dir, 'store'));
  const files = [{ path: '/f', content: 'same' }];
  const zero = await buildLayer(store, files, { mtime: 0 });
  process.env['SOURCE_DATE_EPOCH'] = '1600000000';
  try {
    const stamped = await buildLayer(store, files);
    assert.notEqual(stamped.descriptor.digest, zero.descriptor.digest);
    const again = await buildLayer(store, files);
    assert.equal(again.descriptor.digest, stamped.descriptor.digest);
  } finally {
    delete process.env['SOURCE_DATE_EPOCH'];
  }
});

test('a base image contributes layers and defaults; Entrypoint resets an inherited Cmd; Env merges by key', async (t) => {
  const dir = await tempDir(t);
  const store = new FsContentStore(join(dir, 'store'));
  const baseLayer = await buildLayer(store, [{ path: '/base', content: 'b' }]);
  const base = await writeImage(store, { layers: [baseLayer], config: { Env: ['PATH=/bin', 'LANG=C'], Cmd: ['sh'], WorkingDir: '/' } });
  const app = await buildLayer(store, [{ path: '/app', content: 'a' }]);
  const img = await writeImage(store, { base, layers: [app], config: { Env: ['LANG=C.UTF-8', 'X=1'], Entrypoint: ['/app'] } });
  assert.deepEqual(img.manifest.layers.map((l) => l.digest), [baseLayer.descriptor.digest, app.descriptor.digest]);
  assert.deepEqual(img.config.rootfs.diff_ids, [baseLayer.diffId, app.diffId]);
  assert.deepEqual(img.config.config, { Env: ['PATH=/bin', 'LANG=C.UTF-8', 'X=1'], Entrypoint: ['/app'], WorkingDir: '/' });
  // What was stored parses as a valid manifest and config.
  const parsed = parseManifest(await store.readAll(img.manifestDigest));
  assert.equal(parsed.kind, 'manifest');
  assert.deepEqual(parseImageConfig(await store.readAll(img.configDigest)).rootfs.diff_ids, img.config.rootfs.diff_ids);
});

test('docker flavour writes schema 2 media types', async (t) => {
  const dir = await tempDir(t);
  const store = new FsContentStore(join(dir, 'store'));
  const w = new ImageWriter(store, { flavor: 'docker' });
  await w.addLayer([{ path: '/x', content: 'x' }]);
  const img = await w.write();
  assert.equal(img.manifest.mediaType, MediaTypes.dockerManifest);
  assert.equal(img.manifest.config.mediaType, MediaTypes.dockerConfig);
  assert.equal(img.manifest.layers[0]!.mediaType, MediaTypes.dockerLayerGzip);
});

test('refuses paths that climb out of the image root and files without content', async (t) => {
  const dir = await tempDir(t);
  const store = new FsContentStore(join(dir, 'store'));
  await assert.rejects(buildLayer(store, [{ path: '../etc/passwd', content: 'x' }]), { code: 'VALIDATION', message: /must not contain "\.\."/ });
  await assert.rejects(buildLayer(store, [{ path: '/f' }]), { code: 'VALIDATION', message: /exactly one of content or source/ });
  await assert.rejects(buildLayer(store, [{ path: '/f', content: 'x' }, { path: '/f/g', content: 'y' }]), { code: 'VALIDATION', message: /both a file and a parent directory/ });
  // Nothing half-written is left behind as an ingest.
  const ingests = [];
  for await (const i of store.ingests()) ingests.push(i);
  assert.equal(ingests.length, 0);
});

test('filesFromDirectory keeps modes and symlinks, sorted', async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, 'b'));
  await writeFile(join(dir, 'b', 'x'), 'x');
  await chmod(join(dir, 'b', 'x'), 0o750);
  await writeFile(join(dir, 'a'), 'a');
  await symlink('a', join(dir, 'c'));
  const files = await filesFromDirectory(dir, '/opt/app');
  assert.deepEqual(
    files.map((f) => [f.path, f.type, f.mode?.toString(8)]),
    [
      ['opt/app', 'directory', '755'],
      ['opt/app/a', 'file', (0o644).toString(8)],
      ['opt/app/b', 'directory', '755'],
      ['opt/app/b/x', 'file', '750'],
      ['opt/app/c', 'symlink', '777'],
    ],
  );
});

test('zstd layers are reproducible too, and unpack to the same files', async (t) => {
  const dir = await tempDir(t);
  const store = new FsContentStore(join(dir, 'store'));
  const files = [{ path: '/bin/tool', content: 'tool'.repeat(1000), mode: 0o755 }];
  const a = await buildLayer(store, files, { compression: 'zstd' });
  const b = await buildLayer(store, files, { compression: 'zstd' });
  const plain = await buildLayer(store, files, { compression: 'none' });
  assert.equal(a.descriptor.digest, b.descriptor.digest);
  assert.equal(a.descriptor.mediaType, MediaTypes.ociLayerZstd);
  assert.equal(a.diffId, plain.diffId, 'same tar inside');
  assert.deepEqual([...(await store.readAll(a.descriptor.digest)).subarray(0, 4)], [0x28, 0xb5, 0x2f, 0xfd]);
  const { unpackLayer } = await import('../unpack/unpack.js');
  const out = join(dir, 'rootfs');
  const res = await unpackLayer(await store.reader(a.descriptor.digest), out, { mediaType: a.descriptor.mediaType });
  assert.equal(res.diffId, a.diffId);
  await assert.rejects(writeImage(store, { layers: [a], flavor: 'docker' }), { code: 'VALIDATION', message: /zstd/ });
});
