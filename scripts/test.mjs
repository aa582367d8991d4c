#!/usr/bin/env node
// `npm test`: the whole suite on a fresh machine. Installs what is missing (system
// packages, node modules), builds every package, checks import directions, then runs
// every compiled test file with Node's built-in runner so results are counted.
// Usage: npm test [-- <path-substring> ...]   (filters test files by substring)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  if (r.status !== 0) {
    console.error(`\n✖ ${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
    process.exit(r.status || 1);
  }
};

run('bash', ['scripts/ensure-system.sh']);
if (!existsSync(join(root, 'node_modules', '.package-lock.json'))) run('npm', ['ci', '--no-audit', '--no-fund']);
run('npx', ['tsc', '-b']);
run('node', ['scripts/lint-deps.mjs']);

const filters = process.argv.slice(2);
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js')) files.push(p);
  }
};
for (const base of ['packages', 'test']) {
  const dir = join(root, base);
  if (!existsSync(dir)) continue;
  for (const pkg of readdirSync(dir)) {
    const dist = base === 'packages' ? join(dir, pkg, 'dist') : join(dir, 'dist');
    if (existsSync(dist) && (base === 'packages' || pkg === 'dist')) walk(dist);
  }
}
const selected = files.filter((f) => filters.length === 0 || filters.some((s) => f.includes(s))).sort();
if (selected.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
console.error(`running ${selected.length} test files`);
const concurrency = process.env.LAMBDOCK_TEST_CONCURRENCY ?? '2';
run('node', ['--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...selected.map((f) => relative(root, f))], {
  env: { ...process.env, LAMBDOCK_REPO_ROOT: root, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
});
