import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvokeFailedError, MAX_PAYLOAD_BYTES } from './errors.js';
import { startHarness, request, invokeRequest, NEXT, resp, err } from './harness.js';

test('next long-polls until an invoke arrives and carries every Lambda header', async () => {
  const h = await startHarness();
  try {
    const next = request(h, 'GET', NEXT);
    await h.env.ready();
    assert.equal(h.env.state, 'ready');
    const deadline = Date.now() + 5000;
    const result = h.env.invoke(
      invokeRequest('req-1', '{"a":1}', { deadlineMs: deadline, traceId: 'Root=1-abc', clientContext: '{"custom":{"k":"v"}}', cognitoIdentity: '{"cognitoIdentityId":"x"}' }),
    );
    const r = await next;
    assert.equal(r.status, 200);
    assert.equal(r.body, '{"a":1}');
    assert.equal(r.headers['lambda-runtime-aws-request-id'], 'req-1');
    assert.equal(r.headers['lambda-runtime-deadline-ms'], String(deadline));
    assert.equal(r.headers['lambda-runtime-invoked-function-arn'], 'arn:aws:lambda:us-east-1:123456789012:function:fn');
    assert.equal(r.headers['lambda-runtime-trace-id'], 'Root=1-abc');
    assert.equal(r.headers['lambda-runtime-client-context'], '{"custom":{"k":"v"}}');
    assert.equal(r.headers['lambda-runtime-cognito-identity'], '{"cognitoIdentityId":"x"}');
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(h.env.state, 'invoking');

    const posted = await request(h, 'POST', resp('req-1'), { body: '"done"', headers: { 'content-type': 'text/plain' } });
    assert.equal(posted.status, 202);
    assert.deepEqual(posted.json(), { status: 'OK' });
    const out = await result;
    assert.equal(out.kind, 'success');
    assert.equal(out.kind === 'success' && out.payload.toString(), '"done"');
    assert.equal(out.kind === 'success' && out.contentType, 'text/plain');
  } finally {
    await h.close();
  }
});

test('empty optional headers are omitted', async () => {
  const h = await startHarness();
  try {
    const next = request(h, 'GET', NEXT);
    void h.env.invoke(invokeRequest('req-2'));
    const r = await next;
    assert.equal(r.headers['lambda-runtime-trace-id'], undefined);
    assert.equal(r.headers['lambda-runtime-client-context'], undefined);
    assert.equal(r.headers['lambda-runtime-cognito-identity'], undefined);
  } finally {
    await h.close();
  }
});

test('response to an unknown id is 400 InvalidRequestID; a second response is 403 InvalidStateTransition', async () => {
  const h = await startHarness();
  try {
    const next = request(h, 'GET', NEXT);
    const result = h.env.invoke(invokeRequest('real-id'));
    await next;
    const wrong = await request(h, 'POST', resp('other-id'), { body: '{}' });
    assert.equal(wrong.status, 400);
    assert.deepEqual(wrong.json(), { errorMessage: 'Invalid request ID', errorType: 'InvalidRequestID' });
    const ok = await request(h, 'POST', resp('real-id'), { body: '1' });
    assert.equal(ok.status, 202);
    const again = await request(h, 'POST', resp('real-id'), { body: '2' });
    assert.equal(again.status, 403);
    const body = again.json() as { errorType: string; errorMessage: string };
    assert.equal(body.errorType, 'InvalidStateTransition');
    assert.match(body.errorMessage, /^State transition from RuntimeResponseSentState to RuntimeInvocationResponseState failed for runtime/);
    const errAgain = await request(h, 'POST', err('real-id'), { body: '{}' });
    assert.equal(errAgain.status, 403);
    const out = await result;
    assert.equal(out.kind === 'success' && out.payload.toString(), '1');
  } finally {
    await h.close();
  }
});

test('a response before any invoke, and next before responding, are 403 InvalidStateTransition', async () => {
  const h = await startHarness();
  try {
    const early = await request(h, 'POST', resp('nobody'), { body: '{}' });
    assert.equal(early.status, 403);
    assert.equal((early.json() as { errorType: string }).errorType, 'InvalidStateTransition');
    const next = request(h, 'GET', NEXT);
    void h.env.invoke(invokeRequest('r'));
    await next;
    const again = await request(h, 'GET', NEXT);
    assert.equal(again.status, 403);
    assert.equal((again.json() as { errorType: string }).errorType, 'InvalidStateTransition');
  } finally {
    await h.close();
  }
});

test('a response over 6 MB is 413 to the runtime and Function.ResponseSizeTooLarge to the invoker', async () => {
  const h = await startHarness();
  try {
    const next = request(h, 'GET', NEXT);
    const result = h.env.invoke(invokeRequest('big'));
    await next;
    const r = await request(h, 'POST', resp('big'), { body: Buffer.alloc(MAX_PAYLOAD_BYTES + 1, 'a') });
    assert.equal(r.status, 413);
    assert.deepEqual(r.json(), { errorMessage: `Exceeded maximum allowed payload size (${MAX_PAYLOAD_BYTES} bytes).`, errorType: 'RequestEntityTooLarge' });
    const out = await result;
    assert.equal(out.kind, 'function-error');
    assert.equal(out.kind === 'function-error' && out.errorType, 'Function.ResponseSizeTooLarge');
    assert.deepEqual(out.kind === 'function-error' && JSON.parse(out.payload.toString()), {
      errorMessage: `Response payload size (${MAX_PAYLOAD_BYTES + 1} bytes) exceeded maximum allowed payload size (${MAX_PAYLOAD_BYTES} bytes).`,
      errorType: 'Function.ResponseSizeTooLarge',
    });
    // the runtime carries on: its next call is accepted and parks
    const n2 = request(h, 'GET', NEXT);
    const second = h.env.invoke(invokeRequest('after'));
    assert.equal((await n2).headers['lambda-runtime-aws-request-id'], 'after');
    await request(h, 'POST', resp('after'), { body: Buffer.alloc(MAX_PAYLOAD_BYTES, 'b') });
    const ok = await second;
    assert.equal(ok.kind === 'success' && ok.payload.length, MAX_PAYLOAD_BYTES);
  } finally {
    await h.close();
  }
});

test('error posts pass the body through; error types that are not Runtime.X/Function.X count as Runtime.Unknown', async () => {
  const h = await startHarness();
  try {
    for (const [id, typeHeader, expected] of [
      ['e1', 'Function.Custom', 'Function.Custom'],
      ['e2', 'TypeError', 'Runtime.Unknown'],
      ['e3', undefined, 'Runtime.Unknown'],
    ] as const) {
      const next = request(h, 'GET', NEXT);
      const result = h.env.invoke(invokeRequest(id));
      await next;
      const body = JSON.stringify({ errorMessage: 'boom', errorType: 'TypeError', stackTrace: ['at x'] });
      const headers: Record<string, string> = typeHeader ? { 'Lambda-Runtime-Function-Error-Type': typeHeader } : {};
      const r = await request(h, 'POST', err(id), { body, headers });
      assert.equal(r.status, 202);
      const out = await result;
      assert.equal(out.kind, 'function-error');
      assert.equal(out.kind === 'function-error' && out.errorType, expected);
      assert.equal(out.kind === 'function-error' && out.payload.toString(), body);
    }
  } finally {
    await h.close();
  }
});

test('an unknown response mode is 400 InvalidFunctionResponseMode', async () => {
  const h = await startHarness();
  try {
    const next = request(h, 'GET', NEXT);
    void h.env.invoke(invokeRequest('m'));
    await next;
    const r = await request(h, 'POST', resp('m'), { body: 'x', headers: { 'Lambda-Runtime-Function-Response-Mode': 'buffered-ish' } });
    assert.equal(r.status, 400);
    assert.deepEqual(r.json(), { errorMessage: 'Invalid function response mode', errorType: 'InvalidFunctionResponseMode' });
  } finally {
    await h.close();
  }
});

test('streamed responses pass through as produced, with error trailers; non-streaming callers get them buffered', async () => {
  const h = await startHarness();
  try {
    const streamHeaders = { 'Lambda-Runtime-Function-Response-Mode': 'streaming', 'Content-Type': 'text/plain', Trailer: 'Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body' };
    let next = request(h, 'GET', NEXT);
    const streamed = h.env.invoke(invokeRequest('s1'), { streaming: true });
    await next;
    const post = request(h, 'POST', resp('s1'), { headers: streamHeaders, chunks: ['one,', 'two'] });
    const out = await streamed;
    assert.equal(out.kind, 'stream');
    if (out.kind !== 'stream') return;
    assert.equal(out.contentType, 'text/plain');
    const chunks: Buffer[] = [];
    for await (const c of out.body) chunks.push(c as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), 'one,two');
    assert.deepEqual(await out.trailers, {});
    assert.equal((await post).status, 202);

    next = request(h, 'GET', NEXT);
    const failed = h.env.invoke(invokeRequest('s2'));
    await next;
    const errBody = JSON.stringify({ errorMessage: 'mid-stream', errorType: 'Error' });
    await request(h, 'POST', resp('s2'), {
      headers: streamHeaders,
      chunks: ['partial'],
      trailers: { 'Lambda-Runtime-Function-Error-Type': 'Function.Error', 'Lambda-Runtime-Function-Error-Body': Buffer.from(errBody).toString('base64') },
    });
    const f = await failed;
    assert.equal(f.kind, 'function-error');
    assert.equal(f.kind === 'function-error' && f.errorType, 'Function.Error');
    assert.equal(f.kind === 'function-error' && f.payload.toString(), errBody);

    next = request(h, 'GET', NEXT);
    const buffered = h.env.invoke(invokeRequest('s3'));
    await next;
    await request(h, 'POST', resp('s3'), { headers: streamHeaders, chunks: ['a', 'b', 'c'] });
    const b = await buffered;
    assert.equal(b.kind === 'success' && b.payload.toString(), 'abc');
  } finally {
    await h.close();
  }
});

test('init/error fails init: ready() and invokes reject with the runtime’s error, later calls are refused', async () => {
  const h = await startHarness();
  try {
    const pending = h.env.invoke(invokeRequest('waiting'));
    pending.catch(() => {}); // asserted below
    const body = JSON.stringify({ errorMessage: 'Cannot find module', errorType: 'Runtime.ImportModuleError', stackTrace: [] });
    const r = await request(h, 'POST', '/2018-06-01/runtime/init/error', { body, headers: { 'Lambda-Runtime-Function-Error-Type': 'Runtime.ImportModuleError' } });
    assert.equal(r.status, 202);
    assert.deepEqual(r.json(), { status: 'OK' });
    assert.equal(h.env.state, 'init-failed');
    await assert.rejects(h.env.ready(), (e: unknown) => e instanceof InvokeFailedError && e.errorType === 'Runtime.ImportModuleError');
    await assert.rejects(pending, (e: unknown) => e instanceof InvokeFailedError && e.payload.toString() === body);
    const n = await request(h, 'GET', NEXT);
    assert.equal(n.status, 403);
    const again = await request(h, 'POST', '/2018-06-01/runtime/init/error', { body });
    assert.equal(again.status, 403);
  } finally {
    await h.close();
  }
});

test('fail() rejects the in-flight invoke with the owner’s error and refuses later invokes', async () => {
  const h = await startHarness();
  try {
    const next = request(h, 'GET', NEXT);
    const result = h.env.invoke(invokeRequest('t'));
    await next;
    h.env.fail({ errorType: 'Sandbox.Timedout', errorMessage: 'RequestId: t Error: Task timed out after 1.00 seconds' });
    await assert.rejects(result, (e: unknown) => e instanceof InvokeFailedError && e.errorType === 'Sandbox.Timedout' && !e.notStarted);
    assert.equal(h.env.state, 'shutdown');
    await assert.rejects(h.env.invoke(invokeRequest('later')), (e: unknown) => e instanceof InvokeFailedError && e.notStarted);
    const late = await request(h, 'POST', resp('t'), { body: '1' });
    assert.equal(late.status, 403);
  } finally {
    await h.close();
  }
});

test('invokes queue and run one at a time, in order', async () => {
  const h = await startHarness();
  try {
    const results = [h.env.invoke(invokeRequest('q1', '1')), h.env.invoke(invokeRequest('q2', '2')), h.env.invoke(invokeRequest('q3', '3'))];
    for (const id of ['q1', 'q2', 'q3']) {
      const n = await request(h, 'GET', NEXT);
      assert.equal(n.headers['lambda-runtime-aws-request-id'], id);
      await request(h, 'POST', resp(id), { body: n.body + '!' });
    }
    const all = await Promise.all(results);
    assert.deepEqual(all.map((r) => r.kind === 'success' && r.payload.toString()), ['1!', '2!', '3!']);
  } finally {
    await h.close();
  }
});

test('unknown routes are 404 and wrong methods 405, as JSON', async () => {
  const h = await startHarness();
  try {
    const r = await request(h, 'GET', '/2018-06-01/runtime/nope');
    assert.equal(r.status, 404);
    assert.equal((r.json() as { errorType: string }).errorType, 'NotFound');
    const m = await request(h, 'POST', NEXT);
    assert.equal(m.status, 405);
    const badId = await request(h, 'POST', '/2018-06-01/runtime/invocation/%E0%A4%A/response', { body: '{}' });
    assert.equal(badId.status, 400);
    assert.deepEqual(badId.json(), { errorMessage: 'Invalid request ID', errorType: 'InvalidRequestID' });
  } finally {
    await h.close();
  }
});
