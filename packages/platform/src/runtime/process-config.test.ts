import { test } from 'node:test';
import assert from 'node:assert/strict';
import { processConfig } from './process-config.js';
import { sampleRecord } from '../store/testsuite.js';
import type { PreparedImage } from '../functions/model.js';

const image: PreparedImage = {
  imageUri: 'r/x:1',
  resolvedImageUri: 'r/x@sha256:' + 'a'.repeat(64),
  digest: 'sha256:' + 'a'.repeat(64),
  size: 1,
  config: { entrypoint: ['/lambda-entrypoint.sh'], cmd: ['app.handler'], workingDir: '/var/task', env: ['PATH=/var/lang/bin:/usr/bin', 'LAMBDA_TASK_ROOT=/var/task', 'TZ=:/etc/localtime'] },
  layers: [],
};
const ctx = { region: 'eu-west-1', runtimeApi: '10.88.0.1:9001', logGroup: '/aws/lambda/f', logStream: '2024/01/01/[$LATEST]abc', credentials: { accessKeyId: 'A', secretAccessKey: 'S', sessionToken: 'T' } };
const envOf = (list: string[]) => Object.fromEntries(list.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));

test('the image config drives the process; ImageConfig overrides it member by member', () => {
  const rec = { ...sampleRecord('f'), settings: { ...sampleRecord('f').settings, imageConfig: {} } };
  const p = processConfig(rec, image, ctx);
  assert.deepEqual(p.args, ['/lambda-entrypoint.sh', 'app.handler']);
  assert.equal(p.cwd, '/var/task');
  assert.equal(p.handler, 'app.handler');
  const o = processConfig({ ...rec, settings: { ...rec.settings, imageConfig: { command: ['other.fn'], workingDirectory: '/opt' } } }, image, ctx);
  assert.deepEqual(o.args, ['/lambda-entrypoint.sh', 'other.fn']);
  assert.equal(o.cwd, '/opt');
  assert.equal(o.handler, 'other.fn');
  const e = processConfig({ ...rec, settings: { ...rec.settings, imageConfig: { entryPoint: ['/bin/sh', '-c'] } } }, image, ctx);
  assert.deepEqual(e.args, ['/bin/sh', '-c', 'app.handler']);
  assert.throws(() => processConfig(rec, { ...image, config: {} }, ctx), /no ENTRYPOINT or CMD/);
});

test("environment: image Env, then the function's variables, then Lambda's own (which win)", () => {
  const base = sampleRecord('f');
  const rec = { ...base, settings: { ...base.settings, memorySize: 512, environment: { PATH: '/custom', MY_VAR: 'x' } } };
  const env = envOf(processConfig(rec, image, ctx).env);
  assert.equal(env['PATH'], '/custom');
  assert.equal(env['MY_VAR'], 'x');
  assert.equal(env['LAMBDA_TASK_ROOT'], '/var/task');
  assert.equal(env['TZ'], ':/etc/localtime');
  assert.equal(env['AWS_LAMBDA_FUNCTION_NAME'], 'f');
  assert.equal(env['AWS_LAMBDA_FUNCTION_VERSION'], '$LATEST');
  assert.equal(env['AWS_LAMBDA_FUNCTION_MEMORY_SIZE'], '512');
  assert.equal(env['AWS_LAMBDA_LOG_GROUP_NAME'], '/aws/lambda/f');
  assert.equal(env['AWS_LAMBDA_LOG_STREAM_NAME'], '2024/01/01/[$LATEST]abc');
  assert.equal(env['AWS_LAMBDA_RUNTIME_API'], '10.88.0.1:9001');
  assert.equal(env['AWS_REGION'], 'eu-west-1');
  assert.equal(env['AWS_DEFAULT_REGION'], 'eu-west-1');
  assert.equal(env['_HANDLER'], 'app.handler');
  assert.equal(env['AWS_ACCESS_KEY_ID'], 'A');
  assert.equal(env['LANG'], 'en_US.UTF-8');
});
