import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildContext, functionInfoFromEnv, invocationFacts } from './context.js';
import { PlatformError } from './errors.js';

const headers = {
  'lambda-runtime-deadline-ms': String(Date.now() + 5000),
  'lambda-runtime-invoked-function-arn': 'arn:aws:lambda:us-east-1:123456789012:function:f',
  'lambda-runtime-client-context': '{"custom":{"a":"b"}}',
  'lambda-runtime-cognito-identity': '{"cognitoIdentityId":"i"}',
  'lambda-runtime-trace-id': 'Root=1-abc',
};

describe('invocation facts', () => {
  test('parsed from the next headers', () => {
    const f = invocationFacts('req', headers);
    assert.equal(f.awsRequestId, 'req');
    assert.equal(f.invokedFunctionArn, 'arn:aws:lambda:us-east-1:123456789012:function:f');
    assert.deepEqual(f.clientContext, { custom: { a: 'b' } });
    assert.deepEqual(f.identity, { cognitoIdentityId: 'i' });
    assert.equal(f.traceId, 'Root=1-abc');
    assert.equal(f.tenantId, undefined);
  });

  test('unusable headers are a Runtime.PlatformError', () => {
    assert.throws(() => invocationFacts('r', {}), (e: unknown) => e instanceof PlatformError && e.name === 'Runtime.PlatformError');
    assert.throws(() => invocationFacts('r', { ...headers, 'lambda-runtime-client-context': '{nope' }), /Cannot parse ClientContext as json/);
  });
});

describe('context', () => {
  test('function facts, invocation facts, remaining time, callback flag', () => {
    let waits = true;
    const info = functionInfoFromEnv({
      AWS_LAMBDA_FUNCTION_NAME: 'f',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128',
      AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/f',
      AWS_LAMBDA_LOG_STREAM_NAME: 's',
    });
    const calls: unknown[] = [];
    const ctx = buildContext(info, invocationFacts('req', headers), {
      getWaits: () => waits,
      setWaits: (v) => (waits = v),
      done: (e, r) => void calls.push(['done', e, r]),
      succeed: (r) => void calls.push(['succeed', r]),
      fail: (e) => void calls.push(['fail', e]),
    });
    assert.equal(ctx.functionName, 'f');
    assert.equal(ctx.memoryLimitInMB, '128');
    assert.equal(ctx.logGroupName, '/aws/lambda/f');
    assert.equal(ctx.awsRequestId, 'req');
    const left = ctx.getRemainingTimeInMillis();
    assert.ok(left > 4000 && left <= 5000, `remaining ${left}`);
    assert.equal(ctx.callbackWaitsForEmptyEventLoop, true);
    ctx.callbackWaitsForEmptyEventLoop = false;
    assert.equal(waits, false);
    ctx.succeed('x');
    assert.deepEqual(calls, [['succeed', 'x']]);
    assert.equal('tenantId' in ctx, false);
  });
});
