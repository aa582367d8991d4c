#!/usr/bin/env node
// Fails when a package imports another against the allowed direction (design.md).
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
/** package -> packages it may import (design.md, "Packages and who may import whom"). */
export const allowed = {
  common: [],
  oci: ['common'],
  'runtime-api': ['common'],
  'runtime-client': [],
  emulator: ['runtime-api', 'common'],
  'base-images': ['oci', 'common'],
  registry: ['oci', 'common'],
  sandbox: ['oci', 'common'],
  platform: ['oci', 'runtime-api', 'sandbox', 'common'],
  cli: ['common', 'oci', 'runtime-api', 'runtime-client', 'emulator', 'base-images', 'registry', 'sandbox', 'platform'],
  e2e: Object.keys({ common: 1, oci: 1, 'runtime-api': 1, 'runtime-client': 1, emulator: 1, 'base-images': 1, registry: 1, sandbox: 1, platform: 1, cli: 1 }),
};

const problems = [];
const importRe = /(?:from\s+|import\s*\(\s*|import\s+|require\s*\(\s*)['"]@lambdock\/([a-z0-9-]+)/g;
const scan = (pkg, dir) => {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name === 'node_modules' || name === 'dist') continue;
    if (statSync(p).isDirectory()) scan(pkg, p);
    else if (/\.(ts|mts|cts|js|mjs|cjs)$/.test(name)) {
      const text = readFileSync(p, 'utf8');
      for (const m of text.matchAll(importRe)) {
        const target = m[1];
        if (target === pkg) continue;
        if (!(allowed[pkg] ?? []).includes(target)) problems.push(`${p}: ${pkg} may not import @lambdock/${target}`);
      }
    }
  }
};
for (const pkg of readdirSync(join(root, 'packages'))) {
  const src = join(root, 'packages', pkg, 'src');
  if (!(pkg in allowed)) problems.push(`packages/${pkg}: not in the design's package table (scripts/lint-deps.mjs)`);
  else if (existsSync(src)) scan(pkg, src);
}
if (existsSync(join(root, 'test', 'e2e'))) scan('e2e', join(root, 'test', 'e2e'));
if (problems.length) {
  console.error('import direction check failed:\n' + problems.join('\n'));
  process.exit(1);
}
console.error('import direction check: ok');
