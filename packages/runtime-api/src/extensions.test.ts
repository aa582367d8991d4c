import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, chmodSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHarness, request, invokeRequest, NEXT, resp } from './harness.js';
import { discoverExtensions, launchExtensions } from './extensions.js';

const REGISTER = '/2020-01-01/extension/register';
const EXT_NEXT = '/2020-01-01/extension/event/next';

test('register needs a name, answers with an identifier and the function, and closes after init', async () => {
  const h = await startHarness({ externalExtensions: ['ext-a'], accountId: '123456789012' });
  try {
    const withAccount = await request(h, 'POST', REGISTER, { body: '{"events":[]}', headers: { 'Lambda-Extension-Name': 'acct', 'Lambda-Extension-Accept-Feature': 'accountId' } });
    assert.deepEqual(withAccount.json(), { functionName: 'fn', functionVersion: '$LATEST', handler: 'index.handler', accountId: '123456789012' });
    void request(h, 'GET', EXT_NEXT, { headers: { 'Lambda-Extension-Identifier': String(withAccount.headers['lambda-extension-identifier']) } }).catch(() => {});
    const noName = await request(h, 'POST', REGISTER, { body: '{"events":["INVOKE"]}' });
    assert.equal(noName.status, 403);
    assert.equal((noName.json() as { errorType: string }).errorType, 'Extension.InvalidExtensionName');

    const bad = await request(h, 'POST', REGISTER, { body: '{"events":["LUNCH"]}', headers: { 'Lambda-Extension-Name': 'ext-a' } });
    assert.equal(bad.status, 403);
    assert.equal((bad.json() as { errorType: string }).errorType, 'Extension.InvalidEventType');

    const internal = await request(h, 'POST', REGISTER, { body: '{"events":["SHUTDOWN"]}', headers: { 'Lambda-Extension-Name': 'inside' } });
    assert.equal(internal.status, 403);
    assert.equal((internal.json() as { errorType: string }).errorType, 'ShutdownEventNotSupportedForInternalExtension');

    const ok = await request(h, 'POST', REGISTER, { body: '{"events":["INVOKE","SHUTDOWN"]}', headers: { 'Lambda-Extension-Name': 'ext-a' } });
    assert.equal(ok.status, 200);
    assert.match(String(ok.headers['lambda-extension-identifier']), /^[0-9a-f-]{36}$/);
    assert.deepEqual(ok.json(), { functionName: 'fn', functionVersion: '$LATEST', handler: 'index.handler' });

    const missing = await request(h, 'GET', EXT_NEXT);
    assert.equal(missing.status, 403);
    assert.equal((missing.json() as { errorType: string }).errorType, 'Extension.MissingExtensionIdentifier');

    // init is done only when the runtime and the extension have both asked for their next event
    const id = String(ok.headers['lambda-extension-identifier']);
    const runtimeNext = request(h, 'GET', NEXT);
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(h.env.state, 'init');
    const extNext = request(h, 'GET', EXT_NEXT, { headers: { 'Lambda-Extension-Identifier': id } });
    await h.env.ready();
    assert.equal(h.env.state, 'ready');

    const late = await request(h, 'POST', REGISTER, { body: '{"events":["INVOKE"]}', headers: { 'Lambda-Extension-Name': 'late' } });
    assert.equal(late.status, 403);
    assert.equal((late.json() as { errorType: string }).errorType, 'Extension.RegistrationClosed');

    // INVOKE goes to the extension; the invoke completes only after it asks for its next event
    const result = h.env.invoke(invokeRequest('inv-1', '{}', { traceId: 'Root=1-2-3' }));
    const ev = await extNext;
    assert.equal(ev.status, 200);
    assert.ok(ev.headers['lambda-extension-event-identifier']);
    const body = ev.json() as Record<string, unknown>;
    assert.equal(body['eventType'], 'INVOKE');
    assert.equal(body['requestId'], 'inv-1');
    assert.equal(body['invokedFunctionArn'], 'arn:aws:lambda:us-east-1:123456789012:function:fn');
    assert.deepEqual(body['tracing'], { type: 'X-Amzn-Trace-Id', value: 'Root=1-2-3' });
    assert.equal(typeof body['deadlineMs'], 'number');
    await runtimeNext;
    await request(h, 'POST', resp('inv-1'), { body: '"r"' });
    const out = await result; // the caller has its answer before extensions are done
    assert.equal(out.kind, 'success');
    const runtimeNext2 = request(h, 'GET', NEXT);
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(h.env.state, 'invoking', 'environment stays busy until the extension asks for next');
    const extNext2 = request(h, 'GET', EXT_NEXT, { headers: { 'Lambda-Extension-Identifier': id } });
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(h.env.state, 'ready');

    // SHUTDOWN reaches the external extension
    const done = h.env.shutdown();
    const sd = await extNext2;
    const sdBody = sd.json() as Record<string, unknown>;
    assert.equal(sdBody['eventType'], 'SHUTDOWN');
    assert.equal(sdBody['shutdownReason'], 'spindown');
    assert.equal(typeof sdBody['deadlineMs'], 'number');
    const extDone = request(h, 'GET', EXT_NEXT, { headers: { 'Lambda-Extension-Identifier': id } });
    await done;
    void extDone.catch(() => {});
    void runtimeNext2.catch(() => {});
  } finally {
    await h.close();
  }
});

test('extension init/error fails the environment’s init with its error type', async () => {
  const h = await startHarness();
  try {
    const ok = await request(h, 'POST', REGISTER, { body: '{"events":["INVOKE"]}', headers: { 'Lambda-Extension-Name': 'x' } });
    const id = String(ok.headers['lambda-extension-identifier']);
    const r = await request(h, 'POST', '/2020-01-01/extension/init/error', {
      body: '{"errorMessage":"no config","errorType":"Extension.ConfigInvalid"}',
      headers: { 'Lambda-Extension-Identifier': id, 'Lambda-Extension-Function-Error-Type': 'Extension.ConfigInvalid' },
    });
    assert.equal(r.status, 202);
    await assert.rejects(h.env.ready(), /no config/);
    assert.equal(h.env.state, 'init-failed');
  } finally {
    await h.close();
  }
});

test('external extensions are discovered in a directory, started, and waited for until they register', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lambdock-ext-'));
  const h = await startHarness({ externalExtensions: ['reg-ext'] });
  try {
    mkdirSync(join(dir, 'not-a-file'));
    writeFileSync(join(dir, 'README'), 'not executable');
    const script = `#!/usr/bin/env node
const http = require('node:http');
const base = 'http://' + process.env.AWS_LAMBDA_RUNTIME_API;
const req = http.request(base + '/2020-01-01/extension/register', { method: 'POST', headers: { 'Lambda-Extension-Name': 'reg-ext' } }, (res) => {
  const id = res.headers['lambda-extension-identifier'];
  console.log('registered');
  res.resume();
  const loop = () => http.get(base + '/2020-01-01/extension/event/next', { headers: { 'Lambda-Extension-Identifier': id } }, (r) => {
    let b = ''; r.on('data', (c) => (b += c)); r.on('end', () => { if (JSON.parse(b).eventType === 'SHUTDOWN') process.exit(0); loop(); });
  });
  loop();
});
req.end(JSON.stringify({ events: ['INVOKE', 'SHUTDOWN'] }));
`;
    writeFileSync(join(dir, 'reg-ext'), script);
    chmodSync(join(dir, 'reg-ext'), 0o755);
    const paths = discoverExtensions(dir);
    assert.deepEqual(paths, [join(dir, 'reg-ext')]);
    const lines: string[] = [];
    const launched = await launchExtensions(h.env, {
      paths,
      env: { ...process.env, AWS_LAMBDA_RUNTIME_API: h.base.slice('http://'.length) },
      onLine: (name, line) => lines.push(`${name}: ${line}`),
      registerTimeoutMs: 5000,
    });
    assert.deepEqual(h.env.extensionNames(), ['reg-ext']);
    const exited = new Promise((r) => launched[0]!.process.once('exit', r));
    const next = request(h, 'GET', NEXT);
    await h.env.ready();
    const result = h.env.invoke(invokeRequest('e1'));
    await next;
    await request(h, 'POST', resp('e1'), { body: '1' });
    await result;
    await h.env.shutdown();
    assert.equal(await exited, 0);
    assert.ok(lines.includes('reg-ext: registered'));
  } finally {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
