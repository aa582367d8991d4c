#!/usr/bin/env node
// Lay out the runtime client as it ships in an image: node scripts/stage-runtime.mjs <dest>
// (e.g. <image root>/var/runtime). Copies the built modules (no tests, no test helpers),
// a package.json that makes them ES modules, and the bootstrap script.
import { chmodSync, copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const dest = process.argv[2];
if (!dest) {
  console.error('usage: node scripts/stage-runtime.mjs <destination dir>');
  process.exit(2);
}
mkdirSync(dest, { recursive: true });
const files = readdirSync(join(pkg, 'dist')).filter((f) => f.endsWith('.js') && !f.endsWith('.test.js'));
for (const f of files) copyFileSync(join(pkg, 'dist', f), join(dest, f));
writeFileSync(join(dest, 'package.json'), '{"type":"module"}\n');
copyFileSync(join(pkg, 'bootstrap'), join(dest, 'bootstrap'));
chmodSync(join(dest, 'bootstrap'), 0o755);
console.log(`staged ${files.length} modules + package.json + bootstrap in ${dest}`);
