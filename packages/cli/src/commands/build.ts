import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { FsContentStore, ImageWriter, RegistryClient, type ProgressEvent } from '@lambdock/oci';
import { buildBaseImages, listBaseImages } from '@lambdock/base-images';
import { lambdockHome } from '../config.js';
import type { CommandContext } from '../context.js';
import { CliError, type Output } from '../output.js';
import { progressPrinter } from './images.js';

/** `lambdock build DIR [--tag REGISTRY/NAME:TAG] [--runtime nodejs:22] [--handler app.handler]`. */
export async function build(ctx: CommandContext): Promise<number> {
  const dir = ctx.args[0];
  if (!dir) throw new CliError('build needs a directory', 'usage: lambdock build DIR [--tag localhost:5000/NAME:TAG] [--runtime nodejs:22]');
  const name = basename(resolve(dir)).toLowerCase().replace(/[^a-z0-9._-]/g, '-');
  const image = await buildFunctionImage(ctx, resolve(dir), { tag: (ctx.flags.tag as string | undefined) ?? `${ctx.config.registry}/${name}:latest` });
  if (ctx.flags.json) ctx.out.json({ image });
  else ctx.out.success(`pushed ${image}`);
  return 0;
}

/**
 * Builds a function image without Docker: our base image (pulled from the registry, or
 * built and pushed there when missing) plus one layer with the code in /var/task, its
 * npm dependencies installed, CMD set to the handler; pushed straight to the registry.
 * Returns the tag reference it pushed (what `deploy` hands to CreateFunction/UpdateFunctionCode).
 */
export async function buildFunctionImage(ctx: CommandContext, dir: string, opts: { tag: string }): Promise<string> {
  if (!(await stat(dir).then((s) => s.isDirectory(), () => false))) throw new CliError(`${dir} is not a directory`);
  const runtime = (ctx.flags.runtime as string | undefined) ?? (await detectRuntime(dir));
  const known = listBaseImages().find((i) => `${i.name}:${i.tag}` === runtime || i.aliases.includes(runtime) || `${i.name}:${i.tag}` === `${runtime}:latest`);
  if (!known) throw new CliError(`unknown runtime ${runtime}`, `choose one of: ${listBaseImages().map((i) => `${i.name}:${i.tag}`).join(', ')}`);
  const handler = (ctx.flags.handler as string | undefined) ?? (await detectHandler(dir, known.name));
  const registry = ctx.config.registry;
  const baseRef = `${registry}/lambdock/${known.name}:${known.tag}`;
  const store = new FsContentStore(join(lambdockHome(), 'cli', 'content'));
  const client = new RegistryClient();
  const out = ctx.out;

  const pullBase = async () => {
    const bar = transferProgress(out, `pull lambdock/${known.name}:${known.tag}`);
    const pulled = await client.pull(baseRef, store, { onProgress: bar.onProgress });
    bar.finish();
    return pulled;
  };
  let base;
  try {
    base = await pullBase();
  } catch (err) {
    if (!/MANIFEST_UNKNOWN|NAME_UNKNOWN|not found|unknown/i.test(`${(err as { code?: string }).code} ${(err as Error).message}`)) throw err;
    out.info(`${baseRef} is not in the registry yet: building it (cached downloads make this quick after the first time)`);
    await buildBaseImages({ images: [`${known.name}:${known.tag}`], push: registry, onProgress: progressPrinter(out) });
    base = await pullBase();
  }

  const staged = await mkdtemp(join(tmpdir(), 'lambdock-build-'));
  try {
    await cp(dir, staged, { recursive: true, filter: (src) => !/(^|\/)(\.git|\.lambdock)(\/|$)/.test(src.slice(dir.length)) });
    if (known.name === 'nodejs' && existsSync(join(staged, 'package.json')) && !existsSync(join(staged, 'node_modules'))) {
      const pkg = JSON.parse(await readFile(join(staged, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
      if (pkg.dependencies && Object.keys(pkg.dependencies).length) {
        const p = out.progress('npm install --omit=dev');
        await run('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--ignore-scripts=false'], staged);
        p.done();
      }
    }
    const writer = new ImageWriter(store);
    const layer = await writer.addDirectory(staged, '/var/task', `lambdock build: COPY ${basename(dir)} /var/task`);
    const img = await writer.write({ base: { manifest: base.manifest, config: base.config }, config: { Cmd: [handler] } });
    out.info(`image ${img.manifestDigest.slice(0, 19)}: base lambdock/${known.name}:${known.tag} + code ${(layer.descriptor.size / 1024).toFixed(1)} KiB, CMD ["${handler}"]`);
    const bar = transferProgress(out, `push ${opts.tag}`);
    await client.push(opts.tag, store, img.manifestDigest, { onProgress: bar.onProgress });
    bar.finish();
    return opts.tag;
  } finally {
    await rm(staged, { recursive: true, force: true });
  }
}

async function detectRuntime(dir: string): Promise<string> {
  const has = (f: string) => existsSync(join(dir, f));
  if (has('bootstrap')) return 'provided:latest';
  if (has('requirements.txt') || has('app.py') || has('lambda_function.py') || has('handler.py')) return 'python:3.11';
  return 'nodejs:22';
}

async function detectHandler(dir: string, runtime: string): Promise<string> {
  const has = (f: string) => existsSync(join(dir, f));
  if (runtime === 'python') return has('lambda_function.py') ? 'lambda_function.lambda_handler' : has('handler.py') ? 'handler.handler' : 'app.lambda_handler';
  if (runtime === 'provided') return 'function.handler';
  for (const m of ['index', 'app', 'handler']) for (const ext of ['.js', '.mjs', '.cjs']) if (has(m + ext)) return `${m}.handler`;
  throw new CliError(`no handler found in ${dir}`, 'add index.js (or app.js) exporting `handler`, or pass --handler module.function');
}

function run(cmd: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolvePromise() : reject(new CliError(`${cmd} ${args.join(' ')} failed (exit ${code})`, err.trim().split('\n').pop()))));
  });
}

/** A progress bar over a pull or push; `finish()` once the transfer has returned. */
function transferProgress(out: Output, label: string): { onProgress: (e: ProgressEvent) => void; finish: () => void } {
  const sizes = new Map<string, number>();
  const done = new Map<string, number>();
  const p = out.progress(label);
  const total = () => [...sizes.values()].reduce((a, b) => a + b, 0);
  return {
    onProgress: (e) => {
      if (e.type === 'blob-start') sizes.set(e.digest, e.size);
      if (e.type === 'blob-progress') done.set(e.digest, e.transferred);
      if (e.type === 'blob-done' || e.type === 'blob-skipped-exists' || e.type === 'blob-mounted') {
        sizes.set(e.digest, e.size);
        done.set(e.digest, e.size);
      }
      p.update([...done.values()].reduce((a, b) => a + b, 0), total(), `${done.size}/${sizes.size} blobs`);
    },
    finish: () => p.done(`${(total() / 1e6).toFixed(1)} MB`),
  };
}
