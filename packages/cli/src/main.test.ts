import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/lambdock.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, LAMBDOCK_ENDPOINT: 'http://127.0.0.1:9' } });

test('--help lists the commands', () => {
  const r = run('--help');
  assert.equal(r.status, 0);
  for (const c of ['invoke', 'logs', 'ls', 'rm']) assert.match(r.stdout, new RegExp(`^  ${c} `, 'm'));
});

test('an unknown command is one clear line, a hint and a non-zero status', () => {
  const r = run('frobnicate');
  assert.equal(r.status, 64);
  assert.equal(r.stderr, 'error: unknown command "frobnicate"\nhint: run `lambdock --help` for the list\n');
});

test('an unreachable platform says how to start it', () => {
  const r = run('ls');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^error: cannot reach Lambdock at http:\/\/127\.0\.0\.1:9\nhint: start it with `npm start` or `lambdock up`\n$/);
});

test('invalid JSON payload is refused before any request', () => {
  const r = run('invoke', 'f', '--payload', '{nope');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^error: the payload is not valid JSON\nhint: got: \{nope\n$/);
});
