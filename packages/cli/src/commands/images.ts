import { buildBaseImages, listBaseImages, type BuildProgress } from '@lambdock/base-images';
import type { CommandContext } from '../context.js';
import type { Output } from '../output.js';
import { CliError } from '../output.js';

/** `lambdock images build [NAME:TAG ...] [--output DIR] [--load] [--push REGISTRY]` and `images ls`. */
export async function images(ctx: CommandContext): Promise<number> {
  const [sub, ...names] = ctx.args;
  if (sub === 'ls' || sub === 'list') {
    const all = listBaseImages();
    if (ctx.flags.json) ctx.out.json(all);
    else ctx.out.table(all.map((i) => ({ image: `lambdock/${i.name}:${i.tag}`, aliases: i.aliases.join(', ') })), ['image', 'aliases']);
    return 0;
  }
  if (sub !== 'build') throw new CliError(`unknown images subcommand "${sub ?? ''}"`, 'usage: lambdock images build [NAME:TAG ...] [--output DIR] [--load] [--push REGISTRY] | lambdock images ls');
  const results = await buildBaseImages({
    images: names.length ? names : undefined,
    output: ctx.flags.output as string | undefined,
    load: Boolean(ctx.flags.load),
    push: ctx.flags.push as string | undefined,
    onProgress: progressPrinter(ctx.out),
  });
  if (ctx.flags.json) ctx.out.json(results);
  else
    ctx.out.table(
      results.map((r) => ({ image: `lambdock/${r.name}:${r.tag}`, digest: r.manifestDigest.slice(0, 19), compressed: mb(r.compressedSize), uncompressed: mb(r.uncompressedSize) })),
      ['image', 'digest', 'compressed', 'uncompressed'],
    );
  return 0;
}

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

export function progressPrinter(out: Output): (e: BuildProgress) => void {
  const t0 = Date.now();
  const stamp = () => out.dim(`${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s`);
  return (e) => {
    if (e.phase === 'layer') {
      if (e.status !== 'building') process.stderr.write(`${stamp()} layer ${e.layer}: ${e.status}${e.size !== undefined ? ` ${mb(e.size)}` : ''}\n`);
    } else if (e.phase === 'image') process.stderr.write(`${stamp()} image ${e.image} ${e.manifestDigest.slice(0, 19)} ${mb(e.compressedSize)}\n`);
    else if (e.phase === 'resolve' || e.phase === 'download') process.stderr.write(`${stamp()} ${e.phase}: ${e.message}\n`);
    else process.stderr.write(`${stamp()} ${e.phase} ${e.image} -> ${e.target}\n`);
  };
}
