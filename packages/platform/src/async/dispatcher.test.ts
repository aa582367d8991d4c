import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { RuncRuntime } from '@lambdock/sandbox';
import { createLogger } from '@lambdock/common';
import { createPlatform } from '../platform.js';
import type { Platform } from '../platform.js';
import { BUSYBOX, ImageFactory, REGISTRY_BIN, freePort, shHandler, startRegistry } from '../testing/fixtures.js';
import type { TestRegistry } from '../testing/fixtures.js';

// Asynchronous invocation through the REST API with real runc sandboxes: the durable
// queue, retries (base delay shortened), destinations, dead-letter target, and the
// event-invoke-config operations with their errors.
const home = mkdtempSync(join(tmpdir(), 'lambdock-async-'));
const check = await new RuncRuntime({ stateDir: join(home, 'probe'), runtimeApiPort: 0 }).check();
const skip = !check.ok ? check.reason : !existsSync(REGISTRY_BIN) ? 'docker-registry not installed' : !BUSYBOX ? 'static busybox not installed' : false;

let platform: Platform;
let registry: TestRegistry;
let images: ImageFactory;
let base = '';
const role = 'arn:aws:iam::123456789012:role/r';
const arn = (n: string) => `arn:aws:lambda:us-east-1:123456789012:function:${n}`;

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(base + path, { method, headers, ...(body !== undefined ? { body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body) } : {}) });
  const buf = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, text: buf.toString('utf8'), json: () => JSON.parse(buf.toString('utf8')) as Record<string, any> };
}
const event = (fn: string, payload: string) => call('POST', `/2015-03-31/functions/${fn}/invocations`, payload, { 'X-Amz-Invocation-Type': 'Event' });

async function createActive(name: string, imageUri: string, extra: Record<string, unknown> = {}) {
  const r = await call('POST', '/2015-03-31/functions', { FunctionName: name, PackageType: 'Image', Code: { ImageUri: imageUri }, Role: role, ...extra });
  assert.equal(r.status, 201, r.text);
  for (let i = 0; i < 600; i++) {
    const c = (await call('GET', `/2015-03-31/functions/${name}/configuration`)).json();
    if (c['State'] === 'Active' && c['LastUpdateStatus'] !== 'InProgress') return c;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('not active in time');
}

/** Events the destination function logged ("handling <event>"), parsed. */
async function received(fn: string, count: number, timeoutMs = 20_000): Promise<Array<Record<string, any>>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const f = await platform.services.logs.filterEvents(`/aws/lambda/${fn}`, { filterPattern: '"handling "' }).catch(() => ({ events: [] as Array<{ message: string }> }));
    const got = f.events.map((e) => JSON.parse(e.message.slice('handling '.length)) as Record<string, any>);
    if (got.length >= count || Date.now() > deadline) return got;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('asynchronous invocation', { skip }, () => {
  let image = '';
  before(async () => {
    registry = await startRegistry();
    images = new ImageFactory();
    image = `${registry.host}/fn/async:v1`;
    const sink = `${registry.host}/fn/sink:v1`;
    await images.push(image, { 'var/task/function.sh': shHandler('v1') });
    // Destinations log whatever they get (the worker's handler would act on words inside the record).
    await images.push(sink, { 'var/task/function.sh': `handler() {\n  EVENT=$(cat "$1")\n  echo "handling $EVENT"\n  printf '{}' > "$2"\n}\n` });
    const port = await freePort();
    platform = await createPlatform({
      home,
      sandbox: new RuncRuntime({ stateDir: join(home, 'sandbox'), runtimeApiPort: port }),
      runtimeApiPort: port,
      accountConcurrency: 200,
      pool: { freezeAfterMs: 50, idleTimeoutMs: 60_000 },
      async: { retryBaseMs: 200, throttleBaseMs: 100, concurrency: 4 },
      logger: createLogger({ level: 'error', base: { component: 'test' } }),
    });
    const server = await platform.listen(0);
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await createActive('worker', image);
    await createActive('on-success', sink);
    await createActive('on-failure', sink);
    await createActive('dead-letters', sink);
  });
  after(async () => {
    await platform?.close();
    await registry?.stop();
    images?.close();
    rmSync(home, { recursive: true, force: true });
  });

  test('event-invoke-config: put, get, update, list, delete and their errors', async () => {
    const path = '/2019-09-25/functions/worker/event-invoke-config';
    assert.equal((await call('GET', path)).status, 404);
    const put = await call('PUT', path, { MaximumRetryAttempts: 1, DestinationConfig: { OnSuccess: { Destination: arn('on-success') } } });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.json()['FunctionArn'], `${arn('worker')}:$LATEST`);
    assert.equal(put.json()['MaximumRetryAttempts'], 1);
    assert.equal(typeof put.json()['LastModified'], 'number');
    const upd = await call('POST', path, { MaximumEventAgeInSeconds: 600, DestinationConfig: { OnFailure: { Destination: arn('on-failure') } } });
    assert.equal(upd.status, 200, upd.text);
    assert.deepEqual(upd.json()['DestinationConfig'], { OnSuccess: { Destination: arn('on-success') }, OnFailure: { Destination: arn('on-failure') } });
    assert.equal(upd.json()['MaximumRetryAttempts'], 1, 'update keeps what it was not given');
    assert.equal(upd.json()['MaximumEventAgeInSeconds'], 600);
    const list = (await call('GET', `${path}/list`)).json();
    assert.equal(list['FunctionEventInvokeConfigs'].length, 1);

    const bad = await call('PUT', path, { MaximumRetryAttempts: 3 });
    assert.equal(bad.status, 400);
    assert.equal(bad.headers.get('x-amzn-errortype'), 'ValidationException');
    assert.equal((await call('PUT', path, { MaximumEventAgeInSeconds: 30 })).status, 400);
    const sqs = await call('PUT', path, { DestinationConfig: { OnFailure: { Destination: 'arn:aws:sqs:us-east-1:123456789012:q' } } });
    assert.equal(sqs.headers.get('x-amzn-errortype'), 'InvalidParameterValueException');
    assert.equal((await call('PUT', '/2019-09-25/functions/nope/event-invoke-config', {})).status, 404);
    assert.equal((await call('GET', `${path}?Qualifier=7`)).status, 404);
    // The failed puts changed nothing.
    assert.equal((await call('GET', path)).json()['MaximumRetryAttempts'], 1);
    assert.equal((await call('DELETE', `/2019-09-25/functions/on-success/event-invoke-config`)).status, 404);
  });

  test('an event runs once and its record reaches the OnSuccess destination', async () => {
    const r = await event('worker', '{"n":"ok-1"}');
    assert.equal(r.status, 202, r.text);
    assert.equal(r.text, '');
    const requestId = r.headers.get('x-amzn-requestid')!;
    const [rec] = await received('on-success', 1);
    assert.ok(rec, 'the destination got a record');
    assert.equal(rec['version'], '1.0');
    assert.equal(rec['requestContext']['requestId'], requestId);
    assert.equal(rec['requestContext']['condition'], 'Success');
    assert.equal(rec['requestContext']['functionArn'], `${arn('worker')}:$LATEST`);
    assert.equal(rec['requestContext']['approximateInvokeCount'], 1);
    assert.deepEqual(rec['requestPayload'], { n: 'ok-1' });
    assert.equal(rec['responseContext']['statusCode'], 200);
    assert.equal(rec['responseContext']['executedVersion'], '$LATEST');
    assert.deepEqual(rec['responsePayload']['echo'], { n: 'ok-1' });
    // The old InvokeAsync API queues the same way.
    const old = await call('POST', '/2014-11-13/functions/worker/invoke-async/', '{"n":"ok-2"}');
    assert.equal(old.status, 202);
    assert.deepEqual(old.json(), { Status: 202 });
    assert.equal((await received('on-success', 2)).length, 2);
  });

  test('function errors are retried MaximumRetryAttempts times, then go to OnFailure and the dead-letter target', async () => {
    const dlq = await call('PUT', '/2015-03-31/functions/worker/configuration', { DeadLetterConfig: { TargetArn: arn('dead-letters') } });
    assert.equal(dlq.status, 200, dlq.text);
    assert.deepEqual(dlq.json()['DeadLetterConfig'], { TargetArn: arn('dead-letters') });
    const r = await event('worker', '{"do":"fail"}');
    assert.equal(r.status, 202);
    const [rec] = await received('on-failure', 1);
    assert.ok(rec);
    assert.equal(rec['requestContext']['condition'], 'RetriesExhausted');
    assert.equal(rec['requestContext']['approximateInvokeCount'], 2, 'one attempt and one retry (MaximumRetryAttempts 1)');
    assert.equal(rec['responseContext']['functionError'], 'Unhandled');
    assert.equal(rec['responsePayload']['errorMessage'], 'it failed');
    assert.deepEqual(rec['requestPayload'], { do: 'fail' });
    const [dead] = await received('dead-letters', 1);
    assert.deepEqual(dead, { do: 'fail' }, 'the dead-letter target gets the original event');
    const attempts = await platform.services.logs.filterEvents('/aws/lambda/worker', { filterPattern: `"START RequestId: ${r.headers.get('x-amzn-requestid')}"` });
    assert.equal(attempts.events.length, 2);
  });

  test('reserved concurrency 0 sends new events straight to the failure destination; 1 MB limit', async () => {
    assert.equal((await call('PUT', '/2017-10-31/functions/worker/concurrency', { ReservedConcurrentExecutions: 0 })).status, 200);
    const before = (await received('on-failure', 1, 0)).length;
    assert.equal((await event('worker', '{"n":"throttled"}')).status, 202);
    const recs = await received('on-failure', before + 1);
    const rec = recs.find((x) => x['requestPayload']?.['n'] === 'throttled');
    assert.ok(rec);
    assert.equal(rec['requestContext']['approximateInvokeCount'], 0);
    assert.equal((await call('DELETE', '/2017-10-31/functions/worker/concurrency')).status, 204);

    const big = await event('worker', JSON.stringify({ pad: 'x'.repeat(1024 * 1024) }));
    assert.equal(big.status, 413);
    assert.equal(big.headers.get('x-amzn-errortype'), 'RequestEntityTooLargeException');
  });
});
