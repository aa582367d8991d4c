#!/usr/bin/env node
// `npm start`: the platform on its embedded defaults. Installs what is missing,
// builds, then runs `lambdock up` (registry on :5000, API and console on :9600).
import { spawnSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const step = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status || 1);
};
step('bash', ['scripts/ensure-system.sh']);
if (!existsSync(join(root, 'node_modules', '.package-lock.json'))) step('npm', ['ci', '--no-audit', '--no-fund']);
step('npx', ['tsc', '-b']);
const child = spawn(process.execPath, [join(root, 'packages/cli/bin/lambdock.js'), 'up', ...process.argv.slice(2)], { stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
