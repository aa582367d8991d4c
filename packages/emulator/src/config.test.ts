import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig, UsageError } from './config.js';

const none = (): boolean => false;

test('defaults match aws-lambda-rie', () => {
  const c = parseConfig([], {}, none)!;
  assert.equal(c.invokeHost, '0.0.0.0');
  assert.equal(c.invokePort, 8080);
  assert.equal(c.runtimeApiHost, '127.0.0.1');
  assert.equal(c.runtimeApiPort, 9001);
  assert.equal(c.functionName, 'test_function');
  assert.equal(c.functionVersion, '$LATEST');
  assert.equal(c.memorySizeMb, 3008);
  assert.equal(c.timeoutSec, 300);
  assert.equal(c.maxConcurrency, 1);
  assert.deepEqual(c.bootstrap, []);
});

test('flags in both spellings, environment, and the bootstrap with its own arguments', () => {
  const c = parseConfig(
    ['--runtime-interface-emulator-address=127.0.0.1:9000', '--runtime-api-address', '127.0.0.1:0', '--log-level', 'DEBUG', '--max-concurrency', '4', '/usr/bin/node', '--inspect', 'app.handler'],
    { AWS_LAMBDA_FUNCTION_NAME: 'hello', AWS_LAMBDA_FUNCTION_TIMEOUT: '3', AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512', _HANDLER: 'app.handler' },
    none,
  )!;
  assert.equal(c.invokePort, 9000);
  assert.equal(c.runtimeApiPort, 0);
  assert.equal(c.logLevel, 'debug');
  assert.equal(c.maxConcurrency, 4);
  assert.deepEqual(c.bootstrap, ['/usr/bin/node', '--inspect', 'app.handler']);
  assert.equal(c.functionName, 'hello');
  assert.equal(c.timeoutSec, 3);
  assert.equal(c.memorySizeMb, 512);
  assert.equal(c.handler, 'app.handler');
});

test('bootstrap falls back to /var/task/bootstrap, /opt/bootstrap, /var/runtime/bootstrap in that order', () => {
  assert.deepEqual(parseConfig([], {}, (p) => p === '/var/runtime/bootstrap' || p === '/opt/bootstrap')!.bootstrap, ['/opt/bootstrap']);
  assert.deepEqual(parseConfig([], {}, (p) => p === '/var/runtime/bootstrap')!.bootstrap, ['/var/runtime/bootstrap']);
});

test('bad input is refused with a clear message', () => {
  assert.throws(() => parseConfig(['--runtime-api-address', 'nonsense'], {}, none), (e: unknown) => e instanceof UsageError && /HOST:PORT/.test(e.message));
  assert.throws(() => parseConfig(['--bogus'], {}, none), /unknown flag --bogus/);
  assert.throws(() => parseConfig(['--max-concurrency', '0'], {}, none), /positive integer/);
  assert.throws(() => parseConfig([], { AWS_LAMBDA_FUNCTION_TIMEOUT: 'soon' }, none), /AWS_LAMBDA_FUNCTION_TIMEOUT must be a positive integer/);
  assert.throws(() => parseConfig(['--log-level', 'loud'], {}, none), /--log-level/);
  assert.equal(parseConfig(['--help'], {}, none), undefined);
});
