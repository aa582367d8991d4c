#!/usr/bin/env node
// Unpack benchmark: a ~1 GB (uncompressed) image of several gzip layers with mixed file
// sizes, unpacked by
//   1. @lambdock/oci unpackLayer, all layers in parallel (each into its own directory,
//      as the overlay snapshotter does), in worker threads and in one thread; and the
//      OverlaySnapshotter itself (workers, overlay whiteouts, digest checks, fs sync);
//   2. @lambdock/oci unpackLayer, one layer after another;
//   3. reference: `tar -xzf` of the same layers one after another;
//   4. reference: `umoci unpack` of an OCI layout holding the same layers.
// Usage: npm run build && node bench/unpack.mjs [--size-mb 1024] [--layers 4] [--keep]
// Generated layers are cached in $TMPDIR/lambdock-bench-unpack (regenerated when missing).
import { execFileSync, spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { performance } from 'node:perf_hooks';
import { createLogger } from '@lambdock/common';
import { MediaTypes, OverlaySnapshotter, digestBytes, packLayer, unpackLayer, unpackLayerInWorker } from '@lambdock/oci';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const totalMb = opt('size-mb', 1024);
const layerCount = opt('layers', 4);
const keep = args.includes('--keep');
const work = join(tmpdir(), 'lambdock-bench-unpack');
const cache = join(work, `layers-${totalMb}mb-${layerCount}`);
mkdirSync(cache, { recursive: true });

// Deterministic content: a xorshift PRNG drives file sizes and text-like contents
// (about 2x compressible, like a mix of sources and binaries), plus some incompressible files.
let seed = 0x9e3779b9;
const rand = () => {
  seed ^= seed << 13;
  seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  seed >>>= 0;
  return seed / 0x100000000;
};
const words = Array.from({ length: 4096 }, () => Array.from({ length: 2 + Math.floor(rand() * 10) }, () => String.fromCharCode(97 + Math.floor(rand() * 26))).join(''));
const textPool = Buffer.from(Array.from({ length: 2_000_000 }, () => words[Math.floor(rand() * words.length)]).join(' '));
const randomPool = Buffer.alloc(8 << 20);
for (let i = 0; i < randomPool.length; i += 4) randomPool.writeUInt32LE((rand() * 0x100000000) >>> 0, i);

function fileSize() {
  const r = rand();
  if (r < 0.70) return 512 + Math.floor(rand() * 16_000); // small: configs, sources
  if (r < 0.97) return 16_000 + Math.floor(rand() * 500_000); // medium: modules, libraries
  return 2_000_000 + Math.floor(rand() * 30_000_000); // large: binaries, data
}
function content(size) {
  const pool = rand() < 0.8 ? textPool : randomPool;
  const parts = [];
  let left = size;
  while (left > 0) {
    const n = Math.min(left, pool.length - 1, 1 + Math.floor(rand() * 65536));
    const off = Math.floor(rand() * (pool.length - n));
    parts.push(pool.subarray(off, off + n));
    left -= n;
  }
  return Buffer.concat(parts, size);
}

function* layerEntries(index, bytes) {
  let written = 0;
  let files = 0;
  const mtime = new Date('2024-01-01T00:00:00Z');
  for (let d = 0; written < bytes; d++) {
    const dir = `layer${index}/dir${d}`;
    yield { path: dir, type: 'directory', mtime };
    for (let f = 0; f < 50 && written < bytes; f++) {
      const size = Math.min(fileSize(), bytes - written);
      yield { path: `${dir}/file${f}.dat`, type: 'file', data: content(size), mode: f % 7 === 0 ? 0o755 : 0o644, mtime };
      if (f % 25 === 0) yield { path: `${dir}/link${f}`, type: 'symlink', linkname: `file${f}.dat`, mtime };
      written += size;
      files++;
    }
  }
  return files;
}

async function generate() {
  const layers = [];
  const per = Math.floor((totalMb << 20) / layerCount);
  for (let i = 0; i < layerCount; i++) {
    const path = join(cache, `layer${i}.tar.gz`);
    const meta = `${path}.json`;
    if (!existsSync(meta)) {
      process.stderr.write(`generating layer ${i + 1}/${layerCount} (${(per / 1e6).toFixed(0)} MB uncompressed)…\n`);
      const { stream, info } = packLayer(layerEntries(i, per), { compression: 'gzip' });
      await pipeline(stream, createWriteStream(path));
      writeFileSync(meta, JSON.stringify(await info));
    }
    layers.push({ path, ...JSON.parse(readFileSync(meta, 'utf8')) });
  }
  return layers;
}

function writeOciLayout(layers, dir) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'blobs/sha256'), { recursive: true });
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const put = (buf) => {
    const d = digestBytes(buf);
    writeFileSync(join(dir, 'blobs/sha256', d.slice(7)), buf);
    return { digest: d, size: buf.length };
  };
  for (const l of layers) execFileSync('ln', ['-f', l.path, join(dir, 'blobs/sha256', l.digest.slice(7))]);
  const config = put(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) } })));
  const manifest = put(Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MediaTypes.ociManifest,
    config: { mediaType: MediaTypes.ociConfig, ...config },
    layers: layers.map((l) => ({ mediaType: MediaTypes.ociLayerGzip, digest: l.digest, size: l.size })),
  })));
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: MediaTypes.ociManifest, ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'bench' } }] }));
}

const dropCaches = () => spawnSync('sh', ['-c', 'sync; echo 1 > /proc/sys/vm/drop_caches'], { stdio: 'ignore' });
async function timed(name, fn) {
  const out = join(work, 'out');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  execFileSync('sync');
  const t0 = performance.now();
  await fn(out);
  execFileSync('sync'); // count writeback too: every contender must have its bytes on disk
  const s = (performance.now() - t0) / 1000;
  rmSync(out, { recursive: true, force: true });
  return { name, s };
}

const layers = await generate();
const compressed = layers.reduce((a, l) => a + l.size, 0);
const uncompressed = layers.reduce((a, l) => a + l.uncompressedSize, 0);
const layoutDir = join(work, 'oci-layout');
writeOciLayout(layers, layoutDir);
const hasUmoci = spawnSync('umoci', ['--version']).status === 0;
void dropCaches;

// Warm-up: every contender starts with the layer files in the page cache and no dirty pages.
for (const l of layers) readFileSync(l.path);
execFileSync('sync');
const runs = [];
runs.push(await timed('lambdock unpackLayer, layers in parallel (worker threads)', (out) =>
  Promise.all(layers.map((l, i) => unpackLayerInWorker(l.path, join(out, `l${i}`), { mediaType: MediaTypes.ociLayerGzip })))));
if (process.getuid?.() === 0) runs.push(await timed('lambdock OverlaySnapshotter.ensureLayer, all layers (workers, fs sync)', (out) => {
  const s = new OverlaySnapshotter(out, { logger: createLogger({ level: 'warn' }) });
  return Promise.all(layers.map((l) => s.ensureLayer(l.diffId, { mediaType: MediaTypes.ociLayerGzip, digest: l.digest, path: l.path, open: async () => createReadStream(l.path) })));
}));
runs.push(await timed('lambdock unpackLayer, layers in parallel (one thread)', (out) =>
  Promise.all(layers.map((l, i) => unpackLayer(createReadStream(l.path, { highWaterMark: 1 << 20 }), join(out, `l${i}`), { mediaType: MediaTypes.ociLayerGzip })))));
runs.push(await timed('lambdock unpackLayer, one layer after another', async (out) => {
  for (const [i, l] of layers.entries()) await unpackLayer(createReadStream(l.path, { highWaterMark: 1 << 20 }), join(out, `l${i}`), { mediaType: MediaTypes.ociLayerGzip });
}));
runs.push(await timed('reference: tar -xzf, one layer after another', async (out) => {
  for (const [i, l] of layers.entries()) {
    mkdirSync(join(out, `l${i}`));
    execFileSync('tar', ['-xzf', l.path, '-C', join(out, `l${i}`)]);
  }
}));
if (hasUmoci) runs.push(await timed('reference: umoci unpack', (out) => {
  execFileSync('umoci', ['unpack', '--image', `${layoutDir}:bench`, join(out, 'bundle')], { stdio: 'ignore' });
}));

const ref = runs.find((r) => r.name.startsWith('reference: tar'));
console.log(`\nunpack benchmark: ${layers.length} gzip layers, ${(uncompressed / 1e6).toFixed(0)} MB uncompressed, ${(compressed / 1e6).toFixed(0)} MB compressed, ${cpus().length} cores`);
console.log(`command: node bench/unpack.mjs${args.length ? ' ' + args.join(' ') : ''}   (page cache warm; each run ends with sync)`);
for (const r of runs) {
  console.log(`${r.name.padEnd(70)} ${r.s.toFixed(2).padStart(7)} s  ${(uncompressed / 1e6 / r.s).toFixed(0).padStart(5)} MB/s  ${(r.s / ref.s).toFixed(2)}x tar time`);
}
if (!hasUmoci) console.log('umoci not installed: reference run skipped');
if (!keep) rmSync(layoutDir, { recursive: true, force: true });
