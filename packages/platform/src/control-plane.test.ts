import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { SandboxRuntime } from '@lambdock/sandbox';
import { createPlatform } from './platform.js';
import type { Platform } from './platform.js';
import type { ImageService } from './images/image-service.js';
import type { PreparedImage } from './functions/model.js';
import { ImageError } from './errors.js';

// The control plane over HTTP, wire format as the SDK and CLI parse it. Images come from a
// scripted ImageService so states and failures are deterministic; the OCI backend and real
// clients are exercised in test/e2e/lambda-*.test.ts.
const gates = new Map<string, () => void>();
const images: ImageService = {
  async resolve(uri) {
    if (uri.includes('missing')) throw new ImageError('ImageDeleted', 'manifest unknown');
    return { digest: `sha256:${'a'.repeat(63)}${uri.length % 10}`, resolvedImageUri: `${uri.replace(/:[^:/]+$/, '')}@sha256:${'a'.repeat(64)}` };
  },
  async prepare(uri, opts) {
    if (uri.includes('gated')) await new Promise<void>((r) => gates.set(uri, r));
    if (uri.includes('denied')) throw new ImageError('ImageAccessDenied', 'Lambda does not have permission to access the image.');
    if (uri.includes('broken')) throw new ImageError('InvalidImage', 'The image manifest, config or layer media types are not supported.');
    const image: PreparedImage = { imageUri: uri, resolvedImageUri: uri, digest: opts.digest ?? `sha256:${'b'.repeat(64)}`, size: 1234, config: { cmd: ['app.handler'] }, layers: [] };
    return image;
  },
  async lowerDirs() {
    return [];
  },
};
const noSandbox: SandboxRuntime = {
  name: 'none',
  hostAddress: '127.0.0.1',
  async check() {
    return { ok: false, reason: 'no sandbox in the control-plane test' };
  },
  async init() {},
  async create() {
    throw new Error('no sandbox');
  },
  async close() {},
};

let home: string;
let platform: Platform;
let base: string;
before(async () => {
  home = mkdtempSync(join(tmpdir(), 'lambdock-cp-'));
  platform = await createPlatform({ home, sandbox: noSandbox, images, logger: quiet() });
  const server = await platform.listen(0);
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  await platform.close();
  rmSync(home, { recursive: true, force: true });
});

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(base + path, { method, headers: { 'content-type': 'application/json', ...headers }, ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? (JSON.parse(text) as Record<string, any>) : {} };
}

const role = 'arn:aws:iam::123456789012:role/lambda';
const create = (name: string, extra: Record<string, unknown> = {}) =>
  call('POST', '/2015-03-31/functions', { FunctionName: name, PackageType: 'Image', Code: { ImageUri: `localhost:5000/${name}:latest` }, Role: role, ...extra });

async function waitFor(name: string, pred: (c: Record<string, any>) => boolean) {
  for (let i = 0; i < 200; i++) {
    const r = await call('GET', `/2015-03-31/functions/${name}`);
    if (pred(r.json['Configuration'])) return r.json;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${name}`);
}

test('CreateFunction answers 201 Pending with a full configuration, then becomes Active', async () => {
  const r = await create('hello-gated', { MemorySize: 256, Timeout: 10, Environment: { Variables: { AA: '1' } }, ImageConfig: { Command: ['app.other'] }, Tags: { team: 'x' } });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  const c = r.json;
  assert.equal(c['FunctionName'], 'hello-gated');
  assert.equal(c['FunctionArn'], 'arn:aws:lambda:us-east-1:123456789012:function:hello-gated');
  assert.equal(c['State'], 'Pending');
  assert.equal(c['StateReasonCode'], 'Creating');
  assert.equal(c['StateReason'], 'The function is being created.');
  assert.equal(c['LastUpdateStatus'], 'InProgress');
  assert.equal(c['PackageType'], 'Image');
  assert.equal(c['Version'], '$LATEST');
  assert.equal(c['MemorySize'], 256);
  assert.equal(c['Timeout'], 10);
  assert.deepEqual(c['EphemeralStorage'], { Size: 512 });
  assert.deepEqual(c['Environment'], { Variables: { AA: '1' } });
  assert.deepEqual(c['ImageConfigResponse'], { ImageConfig: { Command: ['app.other'] } });
  assert.match(c['LastModified'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
  assert.match(c['CodeSha256'], /^[a-f0-9]{64}$/);
  assert.match(c['RevisionId'], /^[0-9a-f-]{36}$/);
  assert.deepEqual(c['Architectures'], ['x86_64']);

  // While Pending: invoke and updates are refused with AWS's conflict message.
  const inv = await call('POST', '/2015-03-31/functions/hello-gated/invocations', '{}');
  assert.equal(inv.status, 409);
  assert.equal(inv.headers.get('x-amzn-errortype'), 'ResourceConflictException');
  assert.equal(inv.json['message'], 'The operation cannot be performed at this time. The function is currently in the following state: Pending');
  assert.equal(inv.json['Type'], 'User');
  const upd = await call('PUT', '/2015-03-31/functions/hello-gated/configuration', { Timeout: 5 });
  assert.equal(upd.status, 409);

  gates.get('localhost:5000/hello-gated@sha256:' + 'a'.repeat(64))?.();
  for (const [k, open] of gates) if (k.includes('hello-gated')) open();
  const got = await waitFor('hello-gated', (c) => c['State'] === 'Active');
  assert.equal(got['Configuration']['LastUpdateStatus'], 'Successful');
  assert.equal(got['Configuration']['StateReasonCode'], undefined);
  assert.equal(got['Configuration']['CodeSize'], 1234);
  assert.deepEqual(got['Code'], { RepositoryType: 'ECR', ImageUri: 'localhost:5000/hello-gated:latest', ResolvedImageUri: `localhost:5000/hello-gated@sha256:${'a'.repeat(64)}` });
  assert.deepEqual(got['Tags'], { team: 'x' });
});

test('a duplicate name is a conflict; a missing image is refused at once', async () => {
  await create('dup');
  const r = await create('dup');
  assert.equal(r.status, 409);
  assert.equal(r.json['message'], 'Function already exist: dup');
  const m = await call('POST', '/2015-03-31/functions', { FunctionName: 'nope', PackageType: 'Image', Code: { ImageUri: 'localhost:5000/missing:latest' }, Role: role });
  assert.equal(m.status, 400);
  assert.equal(m.headers.get('x-amzn-errortype'), 'InvalidParameterValueException');
  assert.equal(m.json['message'], 'Source image localhost:5000/missing:latest does not exist. Provide a valid source image.');
  assert.equal((await call('GET', '/2015-03-31/functions/nope')).status, 404);
});

test('image failures end in Failed with the reason code', async () => {
  await create('denied-fn', { Code: { ImageUri: 'localhost:5000/denied:latest' } });
  const c = (await waitFor('denied-fn', (c) => c['State'] !== 'Pending'))['Configuration'];
  assert.equal(c['State'], 'Failed');
  assert.equal(c['StateReasonCode'], 'ImageAccessDenied');
  assert.equal(c['LastUpdateStatus'], 'Failed');
  await create('broken-fn', { Code: { ImageUri: 'localhost:5000/broken:latest' } });
  const b = (await waitFor('broken-fn', (c) => c['State'] !== 'Pending'))['Configuration'];
  assert.equal(b['StateReasonCode'], 'InvalidImage');
  // New code brings a failed function back through Pending.
  const u = await call('PUT', '/2015-03-31/functions/broken-fn/code', { ImageUri: 'localhost:5000/fixed:latest' });
  assert.equal(u.status, 200);
  assert.equal(u.json['State'], 'Pending');
  assert.equal((await waitFor('broken-fn', (c) => c['State'] !== 'Pending'))['Configuration']['State'], 'Active');
});

test('validation errors use AWS wording and list every violation', async () => {
  const r = await create('v1', { MemorySize: 64, Timeout: 901, EphemeralStorage: { Size: 20000 } });
  assert.equal(r.status, 400);
  assert.equal(r.headers.get('x-amzn-errortype'), 'ValidationException');
  assert.equal(
    r.json['message'],
    "3 validation errors detected: Value '64' at 'memorySize' failed to satisfy constraint: Member must have value greater than or equal to 128; " +
      "Value '901' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900; " +
      "Value '20000' at 'ephemeralStorage.size' failed to satisfy constraint: Member must have value less than or equal to 10240",
  );
  const one = await create('v2', { MemorySize: 10241 });
  assert.equal(one.json['message'], "1 validation error detected: Value '10241' at 'memorySize' failed to satisfy constraint: Member must have value less than or equal to 10240");
  const name = await create('bad name!');
  assert.equal(name.status, 400);
  assert.match(name.json['message'], /^1 validation error detected: Value 'bad name!' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern/);
  const env = await create('v3', { Environment: { Variables: { BIG: 'x'.repeat(4100) } } });
  assert.equal(env.status, 400);
  assert.equal(env.headers.get('x-amzn-errortype'), 'InvalidParameterValueException');
  assert.match(env.json['message'], /exceeded the 4KB limit/);
  const reserved = await create('v4', { Environment: { Variables: { AWS_REGION: 'x' } } });
  assert.match(reserved.json['message'], /Reserved keys used in this request: AWS_REGION/);
  const noRole = await call('POST', '/2015-03-31/functions', { FunctionName: 'v5', PackageType: 'Image', Code: { ImageUri: 'localhost:5000/x:1' } });
  assert.equal(noRole.json['message'], "1 validation error detected: Value 'null' at 'role' failed to satisfy constraint: Member must not be null");
  const zip = await call('POST', '/2015-03-31/functions', { FunctionName: 'v6', Runtime: 'nodejs22.x', Handler: 'a.b', Code: { ZipFile: 'UEs=' }, Role: role });
  assert.equal(zip.headers.get('x-amzn-errortype'), 'InvalidParameterValueException');
  const badJson = await call('POST', '/2015-03-31/functions', '{not json');
  assert.equal(badJson.headers.get('x-amzn-errortype'), 'InvalidRequestContentException');
  const timeout0 = await create('v7', { Timeout: 0 });
  assert.match(timeout0.json['message'], /Value '0' at 'timeout' failed to satisfy constraint: Member must have value greater than or equal to 1/);
});

test('names, partial ARNs, full ARNs, percent-encoding and qualifiers address the same function', async () => {
  await create('addr');
  for (const id of ['addr', '123456789012:function:addr', 'arn:aws:lambda:us-east-1:123456789012:function:addr', 'arn:aws:lambda:us-east-1:123456789012:function:addr:$LATEST']) {
    const r = await call('GET', `/2015-03-31/functions/${encodeURIComponent(id)}/configuration`);
    assert.equal(r.status, 200, id);
    assert.equal(r.json['FunctionName'], 'addr');
  }
  const raw = await call('GET', `/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:addr`);
  assert.equal(raw.status, 200);
  const v1 = await call('GET', `/2015-03-31/functions/addr?Qualifier=1`);
  assert.equal(v1.status, 404);
  assert.equal(v1.json['Message'], 'Function not found: arn:aws:lambda:us-east-1:123456789012:function:addr:1');
  const other = await call('GET', `/2015-03-31/functions/${encodeURIComponent('arn:aws:lambda:us-east-1:999999999999:function:addr')}`);
  assert.equal(other.status, 400);
  const nf = await call('GET', '/2015-03-31/functions/ghost');
  assert.equal(nf.status, 404);
  assert.equal(nf.headers.get('x-amzn-errortype'), 'ResourceNotFoundException');
  assert.deepEqual(nf.json, { Type: 'User', Message: 'Function not found: arn:aws:lambda:us-east-1:123456789012:function:ghost' });
});

test('ListFunctions pages with Marker/MaxItems, with and without the trailing slash', async () => {
  for (let i = 0; i < 7; i++) await create(`page-${i}`);
  const seen: string[] = [];
  let marker: string | undefined;
  do {
    const r = await call('GET', `/2015-03-31/functions/?MaxItems=3${marker ? `&Marker=${encodeURIComponent(marker)}` : ''}`);
    assert.equal(r.status, 200);
    assert.ok(r.json['Functions'].length <= 3);
    seen.push(...r.json['Functions'].map((f: { FunctionName: string }) => f.FunctionName));
    marker = r.json['NextMarker'];
  } while (marker);
  assert.deepEqual(seen.filter((n) => n.startsWith('page-')), ['page-0', 'page-1', 'page-2', 'page-3', 'page-4', 'page-5', 'page-6']);
  const all = await call('GET', '/2015-03-31/functions');
  assert.equal(all.status, 200);
  assert.equal(all.json['NextMarker'], undefined);
  assert.ok(all.json['Functions'].length >= 7);
});

test('UpdateFunctionConfiguration and UpdateFunctionCode go through LastUpdateStatus; RevisionId guards', async () => {
  await create('upd');
  const active = (await waitFor('upd', (c) => c['State'] === 'Active'))['Configuration'];
  const stale = await call('PUT', '/2015-03-31/functions/upd/configuration', { Timeout: 30, RevisionId: 'not-current' });
  assert.equal(stale.status, 412);
  assert.equal(stale.headers.get('x-amzn-errortype'), 'PreconditionFailedException');
  const cfg = await call('PUT', '/2015-03-31/functions/upd/configuration', { Timeout: 30, MemorySize: 512, RevisionId: active['RevisionId'], Environment: { Variables: { BB: '2' } } });
  assert.equal(cfg.status, 200);
  assert.equal(cfg.json['Timeout'], 30);
  assert.equal(cfg.json['MemorySize'], 512);
  assert.deepEqual(cfg.json['Environment'], { Variables: { BB: '2' } });
  assert.notEqual(cfg.json['RevisionId'], active['RevisionId']);
  const code = await call('PUT', '/2015-03-31/functions/upd/code', { ImageUri: 'localhost:5000/upd-gated:v2' });
  assert.equal(code.status, 200, JSON.stringify(code.json));
  assert.equal(code.json['LastUpdateStatus'], 'InProgress');
  assert.equal(code.json['State'], 'Active');
  const again = await call('PUT', '/2015-03-31/functions/upd/code', { ImageUri: 'localhost:5000/upd:v3' });
  assert.equal(again.status, 409);
  assert.equal(again.json['message'], 'The operation cannot be performed at this time. An update is in progress for resource: arn:aws:lambda:us-east-1:123456789012:function:upd');
  for (const [k, open] of gates) if (k.includes('upd-gated')) open();
  const done = await waitFor('upd', (c) => c['LastUpdateStatus'] !== 'InProgress');
  assert.equal(done['Configuration']['LastUpdateStatus'], 'Successful');
  assert.equal(done['Code']['ImageUri'], 'localhost:5000/upd-gated:v2');
  const failed = await call('PUT', '/2015-03-31/functions/upd/code', { ImageUri: 'localhost:5000/denied:v4' });
  assert.equal(failed.status, 200);
  const f = await waitFor('upd', (c) => c['LastUpdateStatus'] !== 'InProgress');
  assert.equal(f['Configuration']['LastUpdateStatus'], 'Failed');
  assert.equal(f['Configuration']['LastUpdateStatusReasonCode'], 'ImageAccessDenied');
  assert.equal(f['Configuration']['State'], 'Active', 'a failed update keeps the function Active on its previous code');
  assert.equal(f['Code']['ImageUri'], 'localhost:5000/upd-gated:v2');
});

test('reserved concurrency: put, get, delete, account settings and the 100 unreserved floor', async () => {
  await create('conc');
  assert.deepEqual((await call('GET', '/2019-09-30/functions/conc/concurrency')).json, {});
  const put = await call('PUT', '/2017-10-31/functions/conc/concurrency', { ReservedConcurrentExecutions: 5 });
  assert.equal(put.status, 200);
  assert.deepEqual(put.json, { ReservedConcurrentExecutions: 5 });
  assert.deepEqual((await call('GET', '/2019-09-30/functions/conc/concurrency')).json, { ReservedConcurrentExecutions: 5 });
  assert.deepEqual((await call('GET', '/2015-03-31/functions/conc')).json['Concurrency'], { ReservedConcurrentExecutions: 5 });
  const settings = await call('GET', '/2016-08-19/account-settings/');
  assert.equal(settings.json['AccountLimit']['ConcurrentExecutions'], 1000);
  assert.equal(settings.json['AccountLimit']['UnreservedConcurrentExecutions'], 995);
  assert.ok(settings.json['AccountUsage']['FunctionCount'] >= 1);
  const tooMuch = await call('PUT', '/2017-10-31/functions/conc/concurrency', { ReservedConcurrentExecutions: 901 });
  assert.equal(tooMuch.status, 400);
  assert.equal(tooMuch.headers.get('x-amzn-errortype'), 'InvalidParameterValueException');
  assert.equal(tooMuch.json['message'], "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [100].");
  assert.equal((await call('DELETE', '/2017-10-31/functions/conc/concurrency')).status, 204);
  assert.deepEqual((await call('GET', '/2019-09-30/functions/conc/concurrency')).json, {});
});

test('DeleteFunction answers 204, then the function is gone; unknown routes are refused', async () => {
  await create('gone');
  assert.equal((await call('DELETE', '/2015-03-31/functions/gone')).status, 204);
  assert.equal((await call('GET', '/2015-03-31/functions/gone')).status, 404);
  assert.equal((await call('DELETE', '/2015-03-31/functions/gone')).status, 404);
  const unknown = await call('GET', '/2015-03-31/nothing-here');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.headers.get('x-amzn-errortype'), 'UnknownOperationException');
});

test('invoke on an Active function without a usable sandbox is a ServiceException, and payload limits hold', async () => {
  await create('inv');
  await waitFor('inv', (c) => c['State'] === 'Active');
  const r = await call('POST', '/2015-03-31/functions/inv/invocations', '{}');
  assert.equal(r.status, 500);
  assert.equal(r.headers.get('x-amzn-errortype'), 'ServiceException');
  assert.match(r.json['Message'], /Execution environments are unavailable: no sandbox in the control-plane test/);
  const dry = await fetch(`${base}/2015-03-31/functions/inv/invocations`, { method: 'POST', headers: { 'X-Amz-Invocation-Type': 'DryRun' }, body: '{}' });
  assert.equal(dry.status, 204);
  const big = await fetch(`${base}/2015-03-31/functions/inv/invocations`, { method: 'POST', body: Buffer.alloc(6 * 1024 * 1024 + 1, 0x61) });
  assert.equal(big.status, 413);
  assert.equal(big.headers.get('x-amzn-errortype'), 'RequestEntityTooLargeException');
  assert.equal(((await big.json()) as { message: string }).message, 'Request must be smaller than 6291456 bytes for the InvokeFunction operation');
  const bigEvent = await fetch(`${base}/2015-03-31/functions/inv/invocations`, { method: 'POST', headers: { 'X-Amz-Invocation-Type': 'Event' }, body: Buffer.alloc(1024 * 1024 + 1, 0x61) });
  assert.equal(bigEvent.status, 413);
  const badType = await fetch(`${base}/2015-03-31/functions/inv/invocations`, { method: 'POST', headers: { 'X-Amz-Invocation-Type': 'Sometimes' }, body: '{}' });
  assert.equal(badType.status, 400);
  assert.equal(badType.headers.get('x-amzn-errortype'), 'ValidationException');
});

test('metadata survives a restart and pending work resumes', async () => {
  const home2 = mkdtempSync(join(tmpdir(), 'lambdock-cp2-'));
  try {
    const p1 = await createPlatform({ home: home2, sandbox: noSandbox, images, logger: quiet() });
    await p1.services.functions.create({ functionName: 'resume-gated', imageUri: 'localhost:5000/resume-gated:1', role });
    await p1.close();
    for (const [k, open] of gates) if (k.includes('resume-gated')) open();
    const p2 = await createPlatform({ home: home2, sandbox: noSandbox, images, logger: quiet() });
    try {
      for (let i = 0; i < 200 && gates.size; i++) {
        for (const [k, open] of gates) if (k.includes('resume-gated')) open();
        await new Promise((r) => setTimeout(r, 5));
      }
      await p2.services.functions.settled();
      const rec = await p2.services.functions.get({ name: 'resume-gated' });
      assert.equal(rec.state, 'Active');
    } finally {
      await p2.close();
    }
  } finally {
    rmSync(home2, { recursive: true, force: true });
  }
});

function quiet() {
  const l = { debug() {}, info() {}, warn() {}, error() {}, child: () => l };
  return l;
}
