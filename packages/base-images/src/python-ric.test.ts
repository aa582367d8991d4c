import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ricDir = fileURLToPath(new URL('../python-ric/', import.meta.url));
const python = spawnSync('python3', ['--version']).status === 0;

test('python runtime interface client passes its unittest suite against a fake Runtime API', { skip: python ? false : 'python3 not installed on this host' }, () => {
  const r = spawnSync('python3', ['-m', 'unittest', 'discover', '-s', 'tests', '-t', 'tests'], { cwd: ricDir, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `python unittest failed:\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, /Ran \d+ tests/);
  assert.match(r.stderr, /\nOK/);
});
