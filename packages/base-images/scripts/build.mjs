#!/usr/bin/env node
// Builds Lambdock's base images without Docker (usable before the lambdock CLI exists).
//   node packages/base-images/scripts/build.mjs [NAME[:TAG] ...] [--output DIR] [--load] [--push REGISTRY]
//        [--cache-dir DIR] [--no-layer-cache] [--list]
// Needs the package built first: npx tsc -b packages/base-images
import { parseArgs } from 'node:util';
import { buildBaseImages, listBaseImages, defaultOutputDir } from '../dist/index.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    output: { type: 'string' },
    load: { type: 'boolean', default: false },
    push: { type: 'string' },
    'cache-dir': { type: 'string' },
    'no-layer-cache': { type: 'boolean', default: false },
    list: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log('usage: build.mjs [NAME[:TAG] ...] [--output DIR] [--load] [--push REGISTRY] [--cache-dir DIR] [--no-layer-cache] [--list]');
  process.exit(0);
}
if (values.list) {
  for (const i of listBaseImages()) console.log(`lambdock/${i.name}:${i.tag}${i.aliases.length ? `  (also ${i.aliases.map((a) => `${i.name}:${a}`).join(', ')})` : ''}`);
  process.exit(0);
}

const started = Date.now();
const t = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;
const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;
const output = values.output ?? defaultOutputDir();
try {
  const results = await buildBaseImages({
    images: positionals,
    output,
    load: values.load,
    push: values.push,
    cacheDir: values['cache-dir'],
    layerCache: !values['no-layer-cache'],
    onProgress: (e) => {
      if (e.phase === 'resolve' || e.phase === 'download') console.error(`${t()} ${e.message}`);
      else if (e.phase === 'layer') console.error(`${t()} layer ${e.layer}: ${e.status}${e.size ? ` ${mb(e.size)}` : ''}${e.seconds ? ` in ${e.seconds.toFixed(1)} s` : ''}`);
      else if (e.phase === 'image') console.error(`${t()} image lambdock/${e.image} ${e.manifestDigest} ${mb(e.compressedSize)}`);
      else console.error(`${t()} ${e.phase} lambdock/${e.image} -> ${e.target}`);
    },
  });
  console.log(`OCI layout: ${output}`);
  for (const r of results) {
    console.log(`lambdock/${r.name}:${r.tag}\t${r.manifestDigest}\t${mb(r.compressedSize)} compressed\t${mb(r.uncompressedSize)} uncompressed`);
  }
} catch (err) {
  console.error(`build failed: ${err?.message ?? err}`);
  process.exit(1);
}
