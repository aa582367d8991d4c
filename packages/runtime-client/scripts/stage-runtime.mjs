#!/usr/bin/env node
// Lay out the runtime client as it ships in an image: node scripts/stage-runtime.mjs <dest>
// (e.g. <image root>/var/runtime), after `npx tsc -b packages/runtime-client`. Writes:
//
//   index.js      the whole client bundled into ONE CommonJS file (from dist/index.js)
//   package.json  {"type":"commonjs"}, so Node never walks up or sniffs the syntax
//   bootstrap     what /lambda-entrypoint.sh execs (mode 0755)
//
// Why one CommonJS file rather than the ten ES modules in dist/: cold start. Measured with
// bench/runtime-client.mjs (spawn → first /invocation/next), an ES-module entry makes Node set
// up its ESM loader (resolve, load and link each module, plus ~20 internal modules of the
// loader itself) before the first line runs; one CommonJS file skips all of it and brings the
// client to within a few ms of a bare node:http loop. A user's ES-module handler still loads
// through import(), which starts the ESM loader only then, only for those who need it.
//
// Output is a pure function of dist/ (esbuild is deterministic, paths are relative to this
// package), so base images built from it stay reproducible.
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const dest = process.argv[2];
if (!dest) {
  console.error('usage: node scripts/stage-runtime.mjs <destination dir>');
  process.exit(2);
}

/** The bundled client as text. */
async function bundleRuntime() {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: ['dist/index.js'],
    absWorkingDir: pkg,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    // Lambda's oldest Node runtime we support; nothing is transpiled for 18+ anyway.
    target: 'node18',
    // Not minified: stack traces through the runtime keep readable names and lines.
    minify: false,
    legalComments: 'none',
    // The client resolves handlers relative to itself and checks whether it is the main
    // program by comparing its own URL: give CommonJS the same answer ESM had.
    define: { 'import.meta.url': '__lambdockRuntimeUrl' },
    banner: { js: 'const __lambdockRuntimeUrl = require("node:url").pathToFileURL(__filename).href;' },
    write: false,
    logLevel: 'warning',
  });
  return result.outputFiles[0].text;
}

const code = await bundleRuntime();
mkdirSync(dest, { recursive: true });
writeFileSync(join(dest, 'index.js'), code);
writeFileSync(join(dest, 'package.json'), '{"type":"commonjs"}\n');
copyFileSync(join(pkg, 'bootstrap'), join(dest, 'bootstrap'));
chmodSync(join(dest, 'bootstrap'), 0o755);
console.log(`staged index.js (one CommonJS bundle, ${Buffer.byteLength(code)} bytes) + package.json + bootstrap in ${dest}`);
