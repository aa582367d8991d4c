#!/usr/bin/env node
// Pull benchmark: an image of several gzip layers (~300 MB, random-ish content) is pushed
// to the CNCF reference registry (/usr/bin/docker-registry, on loopback), then pulled by
//   1. @lambdock/oci RegistryClient.pull into an FsContentStore (digests verified, fsync on commit);
//   2. reference: `skopeo copy docker://… oci:<dir>:<tag>` (same registry, same image).
// Each is run --runs times alternately into a fresh destination; medians are compared.
// Pushes are timed too (our client vs `skopeo copy oci:<dir> docker://…`), each to a
// fresh registry so nothing is skipped as already present.
// Usage: npm run build && node bench/pull.mjs [--size-mb 300] [--layers 5] [--runs 3] [--concurrency 4]
import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { FsContentStore, ImageWriter, RegistryClient, writeOciLayout } from '@lambdock/oci';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const totalMb = opt('size-mb', 300);
const layerCount = opt('layers', 5);
const runs = opt('runs', 3);
const concurrency = opt('concurrency', 4);
const command = `node bench/pull.mjs --size-mb ${totalMb} --layers ${layerCount} --runs ${runs} --concurrency ${concurrency}`;

for (const tool of ['/usr/bin/docker-registry', 'skopeo']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
    console.error(`${tool} is required (run scripts/ensure-system.sh as root)`);
    process.exit(1);
  }
}

const work = mkdtempSync(join(tmpdir(), 'lambdock-bench-pull-'));
const quiet = { warn: () => {}, info: () => {}, debug: () => {}, error: () => {}, child: () => quiet };
const children = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

async function startRegistry(name) {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'config.yml'),
    `version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\nhttp:\n  addr: 127.0.0.1:0\n`,
  );
  const child = spawn('/usr/bin/docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let log = '';
    const on = (b) => {
      log += b;
      const m = /listening on (127\.0\.0\.1:\d+)/.exec(log);
      if (m) resolve(m[1]);
    };
    child.stdout.on('data', on);
    child.stderr.on('data', on);
    child.on('exit', (code) => reject(new Error(`registry exited ${code}: ${log}`)));
  });
}

// Random-ish content: xorshift bytes with runs of repetition, so gzip finds a little to do
// (about 1.3x), as in real binaries; generated deterministically, outside the timings.
let seed = 0x2545f491;
function chunk(size) {
  const buf = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i += 4) {
    seed ^= seed << 13;
    seed >>>= 0;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    seed >>>= 0;
    buf.writeUInt32LE((i & 0x3000) === 0 ? 0x20202020 : seed, i);
  }
  return buf;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mb = (bytes) => bytes / 1024 / 1024;

console.log(`generating ${layerCount} layers, ${totalMb} MB of content…`);
const src = new FsContentStore(join(work, 'src-store'));
const writer = new ImageWriter(src, { gzipLevel: 1 });
const perLayer = Math.floor((totalMb * 1024 * 1024) / layerCount);
for (let i = 0; i < layerCount; i++) {
  const files = [];
  for (let off = 0, n = 0; off < perLayer; off += 8 << 20, n++) files.push({ path: `/data/l${i}/f${n}.bin`, content: chunk(Math.min(8 << 20, perLayer - off)) });
  await writer.addLayer(files);
}
const img = await writer.write({ config: { Cmd: ['/bin/true'] } });
const blobBytes = img.manifest.layers.reduce((n, l) => n + l.size, img.manifest.config.size);
console.log(`image ${img.manifestDigest}: ${img.manifest.layers.length} layers, ${mb(blobBytes).toFixed(1)} MB of blobs`);

const layout = join(work, 'layout');

await writeOciLayout(layout, src, [{ digest: img.manifestDigest, name: 'bench' }]);

// Push: ours vs skopeo, each into a fresh registry.
const ourPushReg = await startRegistry('reg-push-ours');
const client = new RegistryClient({ logger: quiet, concurrency });
let t = performance.now();
await client.push(`${ourPushReg}/bench/image:v1`, src, img.manifestDigest, process.env.BENCH_DEBUG ? { onProgress: (e) => e.type !== "blob-progress" && console.error(e) } : {});
const oursPush = (performance.now() - t) / 1000;
const skopeoPushReg = await startRegistry('reg-push-skopeo');
t = performance.now();
const sp = spawnSync('skopeo', ['copy', '-q', '--dest-tls-verify=false', `oci:${layout}:bench`, `docker://${skopeoPushReg}/bench/image:v1`], { stdio: 'inherit' });
if (sp.status !== 0) process.exit(1);
const skopeoPush = (performance.now() - t) / 1000;

// Pull from the registry our client pushed to.
const ref = `${ourPushReg}/bench/image:v1`;
const ours = [];
const theirs = [];
const oursCpu = [];
const theirsCpu = [];
for (let r = 0; r < runs; r++) {
  const dst = join(work, `pull-ours-${r}`);
  const c = new RegistryClient({ logger: quiet, concurrency });
  t = performance.now();
  const cpu0 = process.cpuUsage();
  const res = await c.pull(ref, new FsContentStore(dst));
  ours.push((performance.now() - t) / 1000);
  const cpu = process.cpuUsage(cpu0);
  oursCpu.push((cpu.user + cpu.system) / 1e6);
  c.close();
  if (res.manifestDigest !== img.manifestDigest) throw new Error('pulled a different image');
  rmSync(dst, { recursive: true, force: true });

  const out = join(work, `pull-skopeo-${r}`);
  t = performance.now();
  // GNU time reports skopeo's own CPU seconds (user + system) on the last stderr line.
  const s = spawnSync('/usr/bin/time', ['-f', '%U %S', 'skopeo', 'copy', '-q', '--src-tls-verify=false', `docker://${ref}`, `oci:${out}:bench`], { encoding: 'utf8' });
  const [u, sy] = s.stderr.trim().split('\n').at(-1).split(' ').map(Number);
  theirsCpu.push(u + sy);
  if (s.status !== 0) process.exit(1);
  theirs.push((performance.now() - t) / 1000);
  rmSync(out, { recursive: true, force: true });
}
client.close();

// Transport alone: every blob fetched and discarded, 4 at a time, through node:http with a
// keep-alive agent (what RegistryClient uses) and through Node's built-in fetch (undici).
const blobUrls = [img.manifest.config, ...img.manifest.layers].map((d) => `http://${ourPushReg}/v2/bench/image/blobs/${d.digest}`);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const viaHttp = (url) =>
  new Promise((resolve, reject) => {
    http.get(url, { agent }, (res) => {
      res.on('data', () => {});
      res.on('end', resolve);
      res.on('error', reject);
    }).on('error', reject);
  });
const viaFetch = async (url) => {
  const res = await fetch(url);
  for await (const _ of res.body);
};
const timeAll = async (get) => {
  const start = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < blobUrls.length) await get(blobUrls[next++]);
  }));
  return (performance.now() - start) / 1000;
};
const rawHttp = [];
const rawFetch = [];
for (let r = 0; r < runs; r++) {
  rawHttp.push(await timeAll(viaHttp));
  rawFetch.push(await timeAll(viaFetch));
}
agent.destroy();

const row = (name, secs) => `${name.padEnd(44)} ${secs.toFixed(2).padStart(7)} s  ${(mb(blobBytes) / secs).toFixed(0).padStart(5)} MB/s`;
console.log('');
console.log(`command: ${command}`);
console.log(`reference: ${spawnSync('skopeo', ['--version'], { encoding: 'utf8' }).stdout.trim()}, node ${process.version}`);
console.log(`image: ${layerCount} layers, ${mb(blobBytes).toFixed(1)} MB of blobs, registry: docker-registry 2.8 on loopback, client concurrency ${concurrency}`);
console.log(row('push  @lambdock/oci RegistryClient.push', oursPush));
console.log(row('push  reference: skopeo copy oci: docker://', skopeoPush));
console.log(row(`pull  @lambdock/oci RegistryClient.pull (median of ${runs})`, median(ours)));
console.log(row(`pull  reference: skopeo copy docker:// oci: (median)`, median(theirs)));
console.log(row(`raw GET, discarded: node:http keep-alive (median)`, median(rawHttp)));
console.log(row(`raw GET, discarded: fetch/undici (median)`, median(rawFetch)));
console.log(`pull runs (s): ours ${ours.map((x) => x.toFixed(2)).join(', ')}; skopeo ${theirs.map((x) => x.toFixed(2)).join(', ')}`);
console.log(`pull CPU seconds (user+sys, median): ours ${median(oursCpu).toFixed(2)}, skopeo ${median(theirsCpu).toFixed(2)} — robust to other load on the machine`);
console.log(`pull ratio ours/skopeo: ${(median(ours) / median(theirs)).toFixed(2)} (below 1 = faster than skopeo)`);
console.log(`push ratio ours/skopeo: ${(oursPush / skopeoPush).toFixed(2)}`);
process.exit(0);
