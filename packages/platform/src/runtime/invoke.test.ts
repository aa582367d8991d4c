import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { RuncRuntime } from '@lambdock/sandbox';
import { createPlatform } from '../platform.js';
import type { Platform } from '../platform.js';
import { BUSYBOX, ImageFactory, REGISTRY_BIN, freePort, shHandler, startRegistry } from '../testing/fixtures.js';
import type { TestRegistry } from '../testing/fixtures.js';
import { existsSync } from 'node:fs';

// Functions from images in a real registry, each environment a runc sandbox, driven
// through the Lambda REST API. The sh runtime on busybox makes crashes, timeouts, OOM and
// sandbox probes easy to trigger; test/e2e runs Node functions with the AWS CLI and SDK.
const home = mkdtempSync(join(tmpdir(), 'lambdock-invoke-'));
const runtime = new RuncRuntime({ stateDir: join(home, 'sandbox'), runtimeApiPort: 0 });
const check = await runtime.check();
const skip = !check.ok ? check.reason : !existsSync(REGISTRY_BIN) ? 'docker-registry not installed' : !BUSYBOX ? 'static busybox not installed' : false;

let platform: Platform;
let sandbox: RuncRuntime | undefined;
let registry: TestRegistry;
let images: ImageFactory;
let base = '';
const role = 'arn:aws:iam::123456789012:role/r';

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(base + path, { method, headers, ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}) });
  const buf = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, text: buf.toString('utf8'), json: () => JSON.parse(buf.toString('utf8')) as Record<string, any> };
}
const invoke = (fn: string, payload: string, headers: Record<string, string> = {}) => call('POST', `/2015-03-31/functions/${fn}/invocations`, payload, headers);

async function createActive(name: string, imageUri: string, extra: Record<string, unknown> = {}) {
  const r = await call('POST', '/2015-03-31/functions', { FunctionName: name, PackageType: 'Image', Code: { ImageUri: imageUri }, Role: role, ...extra });
  assert.equal(r.status, 201, r.text);
  for (let i = 0; i < 600; i++) {
    const c = (await call('GET', `/2015-03-31/functions/${name}/configuration`)).json();
    if (c['State'] === 'Active' && c['LastUpdateStatus'] !== 'InProgress') return c;
    if (c['State'] === 'Failed') throw new Error(`function failed: ${c['StateReason']}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('not active in time');
}

describe('invoke through runc sandboxes', { skip }, () => {
  let image = '';
  before(async () => {
    registry = await startRegistry();
    images = new ImageFactory();
    image = `${registry.host}/fn/hello:v1`;
    await images.push(image, { 'var/task/function.sh': shHandler('v1') });
    const port = await freePort();
    sandbox = new RuncRuntime({ stateDir: join(home, 'sandbox'), runtimeApiPort: port });
    platform = await createPlatform({
      home,
      sandbox,
      runtimeApiPort: port,
      accountConcurrency: 200,
      pool: { freezeAfterMs: 50, idleTimeoutMs: 4000 },
      logger: quiet(),
    });
    const server = await platform.listen(0);
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await platform?.close();
    await sandbox?.close(); // host-side rules and anything left
    await registry?.stop();
    images?.close();
    rmSync(home, { recursive: true, force: true });
  });

  test('cold then warm invoke: result, headers, START/END/REPORT in the log tail', async () => {
    await createActive('hello', image, { Environment: { Variables: { GREETING: 'hi' } }, MemorySize: 256 });
    const cold = await invoke('hello', '{"n":1}', { 'X-Amz-Log-Type': 'Tail' });
    assert.equal(cold.status, 200, cold.text);
    const body = cold.json();
    assert.deepEqual(body['echo'], { n: 1 });
    assert.equal(body['mark'], 'v1');
    assert.equal(body['fn'], 'hello');
    assert.equal(body['mem'], '256');
    assert.equal(body['cwd'], '/var/task');
    assert.match(body['stream'], /^\d{4}\/\d\d\/\d\d\/\[\$LATEST\][0-9a-f]{32}$/);
    assert.equal(cold.headers.get('x-amz-executed-version'), '$LATEST');
    assert.equal(cold.headers.get('x-amz-function-error'), null);
    const requestId = cold.headers.get('x-amzn-requestid')!;
    const tail = Buffer.from(cold.headers.get('x-amz-log-result')!, 'base64').toString('utf8');
    assert.match(tail, new RegExp(`START RequestId: ${requestId} Version: \\$LATEST\\n`));
    assert.match(tail, /handling \{"n":1\}\n/);
    assert.match(tail, new RegExp(`END RequestId: ${requestId}\\n`));
    assert.match(tail, new RegExp(`REPORT RequestId: ${requestId}\\tDuration: \\d+\\.\\d\\d ms\\tBilled Duration: \\d+ ms\\tMemory Size: 256 MB\\tMax Memory Used: \\d+ MB\\tInit Duration: \\d+\\.\\d\\d ms\\t`));
    const warm = await invoke('hello', '{"n":2}', { 'X-Amz-Log-Type': 'Tail' });
    assert.equal(warm.json()['stream'], body['stream'], 'the warm invoke reuses the environment');
    const warmTail = Buffer.from(warm.headers.get('x-amz-log-result')!, 'base64').toString('utf8');
    assert.doesNotMatch(warmTail, /Init Duration/);
    assert.doesNotMatch(warmTail, /handling \{"n":1\}/);
    // An empty payload reaches the function as {} (as the CLI sends none).
    assert.deepEqual((await invoke('hello', '')).json()['echo'], {});
    // Logs on disk, one stream per environment, readable through the log service.
    const streams = await platform.services.logs.listStreams('/aws/lambda/hello');
    assert.equal(streams.length, 1);
    assert.equal(streams[0]!.logStreamName, body['stream']);
    const events = await platform.services.logs.getEvents('/aws/lambda/hello', body['stream'], { startFromHead: true });
    assert.ok(events.events.some((e) => e.message === `END RequestId: ${requestId}`));
    // Output lines arrive through the sandbox's pipe, possibly just after the response.
    let filtered = await platform.services.logs.filterEvents('/aws/lambda/hello', { filterPattern: '"handling {"' });
    for (let i = 0; i < 50 && filtered.events.length < 3; i++) {
      await new Promise((r) => setTimeout(r, 20));
      filtered = await platform.services.logs.filterEvents('/aws/lambda/hello', { filterPattern: '"handling {"' });
    }
    assert.equal(filtered.events.length, 3, JSON.stringify((await platform.services.logs.getEvents('/aws/lambda/hello', body['stream'], { startFromHead: true })).events.map((e) => e.message)));
    // Back-to-back invokes: the stream reads START, END, REPORT per request, never interleaved.
    for (let i = 0; i < 5; i++) await invoke('hello', `{"seq":${i}}`);
    let markers: string[] = [];
    for (let i = 0; i < 50; i++) {
      const all = await platform.services.logs.getEvents('/aws/lambda/hello', body['stream'], { startFromHead: true });
      markers = all.events.map((e) => e.message).filter((m) => /^(START|END|REPORT) /.test(m));
      if (markers.length === 8 * 3) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(markers.length, 8 * 3);
    for (let i = 0; i < markers.length; i += 3) {
      const id = /RequestId: ([0-9a-f-]{36})/.exec(markers[i]!)![1];
      assert.match(markers[i]!, new RegExp(`^START RequestId: ${id} `));
      assert.match(markers[i + 1]!, new RegExp(`^END RequestId: ${id}$`));
      assert.match(markers[i + 2]!, new RegExp(`^REPORT RequestId: ${id}\t`));
    }
    // Metrics are recorded when the runtime is done with the invoke, just after the response.
    let m = platform.services.metrics.forFunction('hello')!;
    for (let i = 0; i < 50 && m.invocations < 8; i++) {
      await new Promise((r) => setTimeout(r, 20));
      m = platform.services.metrics.forFunction('hello')!;
    }
    assert.equal(m.invocations, 8);
    assert.equal(m.coldStarts, 1);
  });

  test('function errors, crashes, timeouts and OOM get Lambda error types; the function keeps working', async () => {
    await createActive('faulty', image, { Timeout: 2 });
    const err = await invoke('faulty', '"fail"');
    assert.equal(err.status, 200);
    assert.equal(err.headers.get('x-amz-function-error'), 'Unhandled');
    assert.deepEqual(err.json(), { errorMessage: 'it failed', errorType: 'Function.Failed' });

    const crash = await invoke('faulty', '"crash"', { 'X-Amz-Log-Type': 'Tail' });
    assert.equal(crash.headers.get('x-amz-function-error'), 'Unhandled');
    const c = crash.json();
    assert.equal(c['errorType'], 'Runtime.ExitError');
    assert.equal(c['errorMessage'], `RequestId: ${crash.headers.get('x-amzn-requestid')} Error: Runtime exited with error: exit status 3`);
    assert.match(Buffer.from(crash.headers.get('x-amz-log-result')!, 'base64').toString(), /crashing now/);
    assert.equal((await invoke('faulty', '"ok"')).status, 200);

    const t0 = Date.now();
    const slow = await invoke('faulty', '"sleep"', { 'X-Amz-Log-Type': 'Tail' });
    const took = Date.now() - t0;
    assert.ok(took >= 2000 && took < 6000, `timeout after ${took} ms`);
    assert.deepEqual(slow.json(), { errorType: 'Sandbox.Timedout', errorMessage: `RequestId: ${slow.headers.get('x-amzn-requestid')} Error: Task timed out after 2.00 seconds` });
    assert.match(Buffer.from(slow.headers.get('x-amz-log-result')!, 'base64').toString(), /Task timed out after 2\.00 seconds/);
    assert.equal((await invoke('faulty', '"ok"')).json()['mark'], 'v1');

    await createActive('oomer', image, { Timeout: 30 });
    const oom = await invoke('oomer', '"oom"');
    assert.equal(oom.headers.get('x-amz-function-error'), 'Unhandled', oom.text);
    assert.equal(oom.json()['errorType'], 'Runtime.OutOfMemory');
    assert.equal((await invoke('oomer', '"ok"')).status, 200);

    const big = await invoke('faulty', '"big"');
    assert.equal(big.headers.get('x-amz-function-error'), 'Unhandled');
    assert.equal(big.json()['errorType'], 'Function.ResponseSizeTooLarge');
  });

  test('work after the response is bounded by the timeout; the next event runs in another environment', async () => {
    await createActive('linger', image, { Timeout: 2 });
    const t0 = Date.now();
    const first = await invoke('linger', '"linger"');
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('x-amz-function-error'), null);
    assert.ok(Date.now() - t0 < 1500, 'the response does not wait for the work after it');
    const firstStream = first.json()['stream'];
    const second = await invoke('linger', '{}');
    assert.equal(second.status, 200);
    assert.equal(second.headers.get('x-amz-function-error'), null, second.text);
    assert.notEqual(second.json()['stream'], firstStream, 'the timed-out environment was replaced');
    const events = await platform.services.logs.getEvents('/aws/lambda/linger', firstStream, { startFromHead: true });
    assert.ok(events.events.some((e) => /Task timed out after 2\.00 seconds/.test(e.message)));
  });

  test('init errors come back to the invoker with the runtime\'s error type', async () => {
    await createActive('noinit', image, { ImageConfig: { Command: ['missing.handler'] } });
    const r = await invoke('noinit', '{}', { 'X-Amz-Log-Type': 'Tail' });
    assert.equal(r.headers.get('x-amz-function-error'), 'Unhandled');
    assert.deepEqual(r.json(), { errorMessage: 'handler script missing', errorType: 'Runtime.ImportModuleError' });
    assert.match(Buffer.from(r.headers.get('x-amz-log-result')!, 'base64').toString(), /INIT_REPORT Init Duration: [\d.]+ ms\tPhase: init\tStatus: error\tError Type: Runtime.ImportModuleError/);
  });

  test('reserved concurrency throttles with 429 and the Reason; nothing is lost or answered twice', async () => {
    await createActive('limited', image);
    assert.equal((await call('PUT', '/2017-10-31/functions/limited/concurrency', { ReservedConcurrentExecutions: 2 })).status, 200);
    const rs = await Promise.all(Array.from({ length: 6 }, (_, i) => invoke('limited', `"slow-${i}"`)));
    const ok = rs.filter((r) => r.status === 200);
    const throttled = rs.filter((r) => r.status === 429);
    assert.equal(ok.length, 2);
    assert.equal(throttled.length, 4);
    for (const t of throttled) {
      assert.equal(t.headers.get('x-amzn-errortype'), 'TooManyRequestsException');
      assert.ok(t.headers.get('retry-after'));
      assert.deepEqual(t.json(), { Type: 'User', message: 'Rate Exceeded.', Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' });
    }
    assert.equal((await call('PUT', '/2017-10-31/functions/limited/concurrency', { ReservedConcurrentExecutions: 0 })).status, 200);
    assert.equal((await invoke('limited', '{}')).status, 429);
    assert.equal((await call('DELETE', '/2017-10-31/functions/limited/concurrency')).status, 204);
    // Concurrent load on an unreserved function: every request answered once, with its own payload.
    const n = 24;
    const many = await Promise.all(Array.from({ length: n }, (_, i) => invoke('limited', `{"i":${i}}`)));
    assert.deepEqual(many.map((r) => r.json()['echo']['i']), Array.from({ length: n }, (_, i) => i));
    assert.equal(new Set(many.map((r) => r.headers.get('x-amzn-requestid'))).size, n);
  });

  test('UpdateFunctionCode: invokes keep the old code until the update succeeds, then run the new code', async () => {
    await createActive('versioned', image);
    assert.equal((await invoke('versioned', '{}')).json()['mark'], 'v1');
    const v2 = `${registry.host}/fn/hello:v2`;
    await images.push(v2, { 'var/task/function.sh': shHandler('v2') });
    const u = await call('PUT', '/2015-03-31/functions/versioned/code', { ImageUri: v2 });
    assert.equal(u.status, 200, u.text);
    let during = 0;
    for (let i = 0; i < 500; i++) {
      const mark = (await invoke('versioned', '{}')).json()['mark'];
      const c = (await call('GET', '/2015-03-31/functions/versioned/configuration')).json();
      if (c['LastUpdateStatus'] === 'Successful') break;
      assert.equal(mark, 'v1', 'while the update is in progress, invokes run the previous code');
      during++;
    }
    assert.equal((await invoke('versioned', '{}')).json()['mark'], 'v2');
    // Configuration changes take effect on the next invoke (a new environment).
    await call('PUT', '/2015-03-31/functions/versioned/configuration', { MemorySize: 384 });
    assert.equal((await invoke('versioned', '{}')).json()['mem'], '384');
  });

  test('a second function on the same base image adds no bytes for the shared layer', async () => {
    const snapDir = join(home, 'platform', 'snapshots');
    const before = duBytes(snapDir);
    const other = `${registry.host}/fn/other:v1`;
    await images.push(other, { 'var/task/function.sh': shHandler('other') });
    await createActive('other', other);
    const added = duBytes(snapDir) - before;
    assert.ok(added < 200 * 1024, `second image added ${added} bytes to snapshots (busybox alone is ~2 MB)`);
    assert.equal((await invoke('other', '{}')).json()['mark'], 'other');
  });

  test('isolation: no host files or processes, read-only root, private /tmp, no path to other environments, pids bounded', async () => {
    await createActive('probe', image, { Timeout: 20, MemorySize: 1024 });
    const p = (await invoke('probe', '"probe"')).json();
    assert.equal(p['rootfs'], 'readonly');
    assert.equal(p['tmp'], 'writable');
    assert.equal(p['host'], 'hidden');
    assert.ok(p['procs'] < 10, `sees ${p['procs']} processes`);
    assert.notEqual(p['uid'], '0');
    await createActive('listener', image);
    const ip = (await invoke('listener', '"listen"')).text.replace(/"/g, '');
    assert.match(ip, /^\d+\.\d+\.\d+\.\d+$/);
    const reach = await invoke('probe', `"connect:${ip}"`);
    assert.equal(reach.text.trim(), '"blocked"');
    const forks = await invoke('probe', '"forks"');
    assert.equal(forks.status, 200);
    assert.ok(Number(forks.text) > 100 && Number(forks.text) < 1024, `forked ${forks.text} processes (pids limit 1024)`);
    assert.equal((await invoke('probe', '{}')).status, 200, 'the platform carries on');
    assert.equal((await invoke('hello', '{}')).status, 200);
  });

  test('idle environments are frozen, thawed to serve, and reaped after the idle timeout', async () => {
    await createActive('sleepy', image);
    const first = (await invoke('sleepy', '{}')).json()['stream'];
    const stats = () => platform.services.environments()['sleepy'] as { total: number; idle: number; frozen: number } | undefined;
    for (let i = 0; i < 100 && stats()?.frozen !== 1; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(stats(), { total: 1, idle: 1, frozen: 1 });
    const t0 = Date.now();
    const again = await invoke('sleepy', '{}');
    assert.equal(again.json()['stream'], first, 'the frozen environment was thawed and reused');
    assert.ok(Date.now() - t0 < 1000);
    for (let i = 0; i < 100 && stats()?.total; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(stats()?.total ?? 0, 0, 'reaped after 4 s idle');
    const cold = await invoke('sleepy', '{}');
    assert.notEqual(cold.json()['stream'], first, 'a new environment (new log stream) after reaping');
  });

  test('images that do not exist are refused; an unreachable registry ends in Failed/ImageAccessDenied', async () => {
    const missing = await call('POST', '/2015-03-31/functions', { FunctionName: 'ghost', PackageType: 'Image', Code: { ImageUri: `${registry.host}/fn/hello:no-such-tag` }, Role: role });
    assert.equal(missing.status, 400);
    assert.equal(missing.headers.get('x-amzn-errortype'), 'InvalidParameterValueException');
    assert.equal(missing.json()['message'], `Source image ${registry.host}/fn/hello:no-such-tag does not exist. Provide a valid source image.`);
    const closed = await freePort();
    const r = await call('POST', '/2015-03-31/functions', { FunctionName: 'unreachable', PackageType: 'Image', Code: { ImageUri: `127.0.0.1:${closed}/fn/x:1` }, Role: role });
    assert.equal(r.status, 201);
    let c: Record<string, any> = {};
    for (let i = 0; i < 200; i++) {
      c = (await call('GET', '/2015-03-31/functions/unreachable/configuration')).json();
      if (c['State'] !== 'Pending') break;
      await new Promise((res) => setTimeout(res, 20));
    }
    assert.equal(c['State'], 'Failed');
    assert.equal(c['StateReasonCode'], 'ImageAccessDenied');
    assert.match(c['StateReason'], /cannot reach the registry/);
    const inv = await invoke('unreachable', '{}');
    assert.equal(inv.status, 409);
    assert.match(inv.json()['message'], /The function is currently in the following state: Failed/);
  });

  test('DeleteFunction shuts its environments down', async () => {
    await createActive('short', image);
    assert.equal((await invoke('short', '{}')).status, 200);
    assert.equal(platform.services.environments()['short']?.total, 1);
    assert.equal((await call('DELETE', '/2015-03-31/functions/short')).status, 204);
    assert.equal(platform.services.environments()['short'], undefined);
    assert.equal((await invoke('short', '{}')).status, 404);
  });
});

function duBytes(dir: string): number {
  return Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);
}

function quiet() {
  const l = { debug() {}, info() {}, warn() {}, error() {}, child: () => l };
  return l;
}
