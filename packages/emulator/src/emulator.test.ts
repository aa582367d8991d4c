import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnEmulator, invoke, type EmulatorProcess } from './testing/process.js';

/**
 * A runtime written against the raw Runtime API, so these tests pin the emulator's
 * behaviour independently of any runtime client. The event says what to do.
 */
const FAKE_RUNTIME = String.raw`
const http = require('node:http');
const fs = require('node:fs');
const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
const agent = new http.Agent({ keepAlive: true });
const call = (method, path, body, headers = {}) => new Promise((resolve) => {
  const req = http.request({ host, port, path, method, agent, headers }, (res) => {
    let b = ''; res.on('data', (c) => (b += c)); res.on('end', () => resolve({ res, body: b }));
  });
  req.end(body);
});
const base = '/2018-06-01/runtime';
async function main() {
  if (process.env.FAKE_INIT === 'error') {
    await call('POST', base + '/init/error', JSON.stringify({ errorMessage: 'cannot load', errorType: 'Runtime.ImportModuleError' }), { 'Lambda-Runtime-Function-Error-Type': 'Runtime.ImportModuleError' });
    process.exit(129);
  }
  if (process.env.FAKE_INIT === 'crash') process.exit(7);
  const mode = process.env.MODE_FILE ? fs.readFileSync(process.env.MODE_FILE, 'utf8') : 'none';
  for (;;) {
    const { res, body } = await call('GET', base + '/invocation/next');
    const id = res.headers['lambda-runtime-aws-request-id'];
    const ev = JSON.parse(body);
    const respond = (b, h) => call('POST', base + '/invocation/' + id + '/response', b, h);
    switch (ev.action) {
      case 'exit': process.exit(ev.code);
      case 'sleep': await new Promise((r) => setTimeout(r, ev.ms)); await respond(JSON.stringify({ pid: process.pid })); break;
      case 'error':
        await call('POST', base + '/invocation/' + id + '/error', JSON.stringify({ errorMessage: 'boom', errorType: 'Error', stackTrace: [] }), { 'Lambda-Runtime-Function-Error-Type': 'Function.Boom' });
        break;
      case 'stream': {
        const req = http.request({ host, port, path: base + '/invocation/' + id + '/response', method: 'POST', agent,
          headers: { 'Lambda-Runtime-Function-Response-Mode': 'streaming', 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked', Trailer: 'Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body' } }, (r) => r.resume());
        req.write('first,');
        if (ev.hang) break;
        await new Promise((r) => setTimeout(r, ev.gapMs));
        req.write('second');
        if (ev.fail) req.addTrailers({ 'Lambda-Runtime-Function-Error-Type': 'Error', 'Lambda-Runtime-Function-Error-Body': Buffer.from('{"errorMessage":"broke","errorType":"Error"}').toString('base64') });
        await new Promise((r) => req.end(r));
        break;
      }
      default:
        console.log('handling ' + id);
        await respond(JSON.stringify({ pid: process.pid, mode, event: ev, headers: res.headers, env: { name: process.env.AWS_LAMBDA_FUNCTION_NAME, memory: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, version: process.env.AWS_LAMBDA_FUNCTION_VERSION, handler: process.env._HANDLER, group: process.env.AWS_LAMBDA_LOG_GROUP_NAME } }), { 'Content-Type': 'application/json' });
    }
  }
}
main();
`;

let dir = '';
let runtime = '';
const running = new Set<EmulatorProcess>();

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lambdock-emu-'));
  runtime = join(dir, 'runtime.cjs');
  writeFileSync(runtime, FAKE_RUNTIME);
});
after(async () => {
  await Promise.all([...running].map((e) => e.stop()));
  rmSync(dir, { recursive: true, force: true });
});

async function emulator(env: NodeJS.ProcessEnv = {}, flags: string[] = []): Promise<EmulatorProcess> {
  const e = await spawnEmulator({ args: [...flags, process.execPath, runtime], env: { ...process.env, ...env }, cwd: dir });
  running.add(e);
  return e;
}
async function stop(e: EmulatorProcess): Promise<void> {
  await e.stop();
  running.delete(e);
}
const ev = (o: unknown): string => JSON.stringify(o);
/** 'gone', or the state letter from /proc ('Z' = exited, waiting for whoever reaps orphans here). */
function processState(pid: number): string {
  try {
    return /State:\s+(\S)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 'gone';
  } catch {
    return 'gone';
  }
}

test('answers invokes on any function name, with Lambda’s START/END/REPORT lines and Init Duration on the cold start only', async () => {
  const e = await emulator({ AWS_LAMBDA_FUNCTION_NAME: 'hello', AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256', _HANDLER: 'app.handler' });
  try {
    const r1 = await invoke(e.invokeUrl, ev({ n: 1 }));
    assert.equal(r1.status, 200);
    assert.equal(r1.headers['content-type'], 'application/json');
    const id1 = String(r1.headers['x-amzn-requestid']);
    const b1 = r1.json() as { event: unknown; headers: Record<string, string>; env: Record<string, string> };
    assert.deepEqual(b1.event, { n: 1 });
    assert.equal(b1.headers['lambda-runtime-aws-request-id'], id1);
    assert.equal(b1.headers['lambda-runtime-invoked-function-arn'], 'arn:aws:lambda:us-east-1:123456789012:function:hello');
    assert.match(b1.headers['lambda-runtime-trace-id'] ?? '', /^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$/);
    const deadline = Number(b1.headers['lambda-runtime-deadline-ms']);
    assert.ok(deadline > Date.now() + 250_000 && deadline <= Date.now() + 300_000, 'deadline is the 300 s default timeout away');
    assert.deepEqual(b1.env, { name: 'hello', memory: '256', version: '$LATEST', handler: 'app.handler', group: '/aws/lambda/hello' });

    const r2 = await invoke(e.url + '/2015-03-31/functions/any-name-at-all/invocations', ev({ n: 2 }));
    assert.equal(r2.status, 200);
    const id2 = String(r2.headers['x-amzn-requestid']);
    await e.waitForStdout(new RegExp(`REPORT RequestId: ${id2}`));
    const out = e.stdout();
    assert.match(out, new RegExp(`START RequestId: ${id1} Version: \\$LATEST\\n`));
    assert.match(out, new RegExp(`handling ${id1}\\n`), 'the runtime’s own output passes through');
    assert.match(out, new RegExp(`END RequestId: ${id1}\\n`));
    assert.match(out, new RegExp(`REPORT RequestId: ${id1}\\tDuration: \\d+\\.\\d\\d ms\\tBilled Duration: \\d+ ms\\tMemory Size: 256 MB\\tMax Memory Used: \\d+ MB\\tInit Duration: \\d+\\.\\d\\d ms\\t\\n`));
    assert.match(out, new RegExp(`REPORT RequestId: ${id2}\\tDuration: \\d+\\.\\d\\d ms\\tBilled Duration: \\d+ ms\\tMemory Size: 256 MB\\tMax Memory Used: \\d+ MB\\t\\n`));
  } finally {
    await stop(e);
  }
});

test('function errors carry X-Amz-Function-Error: Unhandled and the runtime’s error body', async () => {
  const e = await emulator();
  try {
    const r = await invoke(e.invokeUrl, ev({ action: 'error' }));
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-amz-function-error'], 'Unhandled');
    assert.deepEqual(r.json(), { errorMessage: 'boom', errorType: 'Error', stackTrace: [] });
  } finally {
    await stop(e);
  }
});

test('a crashed runtime answers Runtime.ExitError and is restarted', async () => {
  const e = await emulator();
  try {
    const before = (await invoke(e.invokeUrl, ev({}))).json() as { pid: number };
    const r = await invoke(e.invokeUrl, ev({ action: 'exit', code: 3 }));
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-amz-function-error'], 'Unhandled');
    const id = String(r.headers['x-amzn-requestid']);
    assert.deepEqual(r.json(), { errorMessage: `RequestId: ${id} Error: Runtime exited with error: exit status 3`, errorType: 'Runtime.ExitError' });
    const afterCrash = await invoke(e.invokeUrl, ev({}));
    assert.equal(afterCrash.status, 200);
    assert.notEqual((afterCrash.json() as { pid: number }).pid, before.pid);
    assert.match(e.stdout(), new RegExp(`RequestId: ${id} Error: Runtime exited with error: exit status 3\\nRuntime.ExitError\\nEND RequestId: ${id}\\nREPORT RequestId: ${id}\\t`));
  } finally {
    await stop(e);
  }
});

test('a timeout answers Sandbox.Timedout with Lambda’s message and the runtime is replaced', async () => {
  const e = await emulator({ AWS_LAMBDA_FUNCTION_TIMEOUT: '1' });
  try {
    const first = (await invoke(e.invokeUrl, ev({}))).json() as { pid: number };
    const started = Date.now();
    const r = await invoke(e.invokeUrl, ev({ action: 'sleep', ms: 10_000 }));
    const took = Date.now() - started;
    assert.ok(took >= 1000 && took < 3000, `answered after the 1 s timeout (${took} ms)`);
    const id = String(r.headers['x-amzn-requestid']);
    assert.equal(r.headers['x-amz-function-error'], 'Unhandled');
    assert.deepEqual(r.json(), { errorMessage: `RequestId: ${id} Error: Task timed out after 1.00 seconds`, errorType: 'Sandbox.Timedout' });
    assert.match(e.stdout(), new RegExp(`\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z ${id} Task timed out after 1\\.\\d\\d seconds\\n`));
    const next = await invoke(e.invokeUrl, ev({}));
    assert.equal(next.status, 200);
    assert.notEqual((next.json() as { pid: number }).pid, first.pid);
  } finally {
    await stop(e);
  }
});

test('a timed-out runtime started by a wrapper script goes down with all its children', async () => {
  const e = await spawnEmulator({ args: ['/bin/sh', '-c', `"${process.execPath}" "${runtime}"; true`], env: { ...process.env, AWS_LAMBDA_FUNCTION_TIMEOUT: '1' }, cwd: dir });
  running.add(e);
  try {
    const { pid } = (await invoke(e.invokeUrl, ev({}))).json() as { pid: number };
    const r = await invoke(e.invokeUrl, ev({ action: 'sleep', ms: 10_000 }));
    assert.equal((r.json() as { errorType: string }).errorType, 'Sandbox.Timedout');
    await new Promise((res) => setTimeout(res, 200));
    const state = processState(pid);
    assert.ok(state === 'gone' || state === 'Z', `the node process under the wrapper shell is not running (state ${state})`);
  } finally {
    await stop(e);
  }
});

test('concurrent invokes queue on one runtime, and --max-concurrency runs several', async () => {
  const e = await emulator();
  try {
    const started = Date.now();
    const rs = await Promise.all(Array.from({ length: 4 }, () => invoke(e.invokeUrl, ev({ action: 'sleep', ms: 100 }))));
    assert.ok(rs.every((r) => r.status === 200 && !r.headers['x-amz-function-error']));
    assert.equal(new Set(rs.map((r) => (r.json() as { pid: number }).pid)).size, 1);
    assert.ok(Date.now() - started >= 400, 'one at a time');
  } finally {
    await stop(e);
  }
  const m = await emulator({}, ['--max-concurrency', '3']);
  try {
    const started = Date.now();
    const rs = await Promise.all(Array.from({ length: 3 }, () => invoke(m.invokeUrl, ev({ action: 'sleep', ms: 300 }))));
    assert.ok(rs.every((r) => r.status === 200));
    assert.equal(new Set(rs.map((r) => (r.json() as { pid: number }).pid)).size, 3, 'three runtime processes');
    assert.ok(Date.now() - started < 900 + 2000, 'side by side');
  } finally {
    await stop(m);
  }
});

test('Event invocations are answered 202 at once and run', async () => {
  const e = await emulator();
  try {
    const r = await invoke(e.invokeUrl, ev({ action: 'sleep', ms: 200 }), { headers: { 'X-Amz-Invocation-Type': 'Event' } });
    assert.equal(r.status, 202);
    assert.equal(r.body.length, 0);
    const id = String(r.headers['x-amzn-requestid']);
    await e.waitForStdout(new RegExp(`REPORT RequestId: ${id}\\t`));
    const dry = await invoke(e.invokeUrl, '{}', { headers: { 'X-Amz-Invocation-Type': 'DryRun' } });
    assert.equal(dry.status, 204);
  } finally {
    await stop(e);
  }
});

test('streamed responses leave as they are produced, with errors in trailers', async () => {
  const e = await emulator();
  try {
    const r = await invoke(e.invokeUrl, ev({ action: 'stream', gapMs: 400 }));
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'text/plain');
    assert.equal(r.headers['transfer-encoding'], 'chunked');
    assert.equal(r.text(), 'first,second');
    const total = await invoke(e.invokeUrl, ev({ action: 'stream', gapMs: 400 }));
    assert.ok(total.endMs - total.firstByteMs >= 250, `first chunk arrived well before the second was written (${total.firstByteMs.toFixed(0)} / ${total.endMs.toFixed(0)} ms)`);
    const f = await invoke(e.invokeUrl, ev({ action: 'stream', gapMs: 10, fail: true }));
    assert.equal(f.text(), 'first,second');
    assert.equal(f.trailers['x-amz-function-error'], 'Unhandled');
    assert.equal(f.trailers['lambda-runtime-function-error-type'], 'Error');
    assert.deepEqual(JSON.parse(Buffer.from(f.trailers['lambda-runtime-function-error-body'] ?? '', 'base64').toString()), { errorMessage: 'broke', errorType: 'Error' });
  } finally {
    await stop(e);
  }
});

test('a stream cut by the timeout ends with Sandbox.Timedout in the trailers', async () => {
  const e = await emulator({ AWS_LAMBDA_FUNCTION_TIMEOUT: '1' });
  try {
    const r = await invoke(e.invokeUrl, ev({ action: 'stream', hang: true }));
    assert.equal(r.status, 200);
    assert.equal(r.text(), 'first,');
    assert.equal(r.trailers['x-amz-function-error'], 'Unhandled');
    assert.equal(r.trailers['lambda-runtime-function-error-type'], 'Sandbox.Timedout');
    const body = JSON.parse(Buffer.from(r.trailers['lambda-runtime-function-error-body'] ?? '', 'base64').toString()) as { errorMessage: string };
    assert.match(body.errorMessage, /Task timed out after 1\.00 seconds/);
    assert.equal((await invoke(e.invokeUrl, ev({}))).status, 200, 'the next invoke runs on a fresh runtime');
  } finally {
    await stop(e);
  }
});

test('init errors are answered as Lambda does, and init is retried on the next invoke', async () => {
  const e = await emulator({ FAKE_INIT: 'error' });
  try {
    for (let i = 0; i < 2; i++) {
      const r = await invoke(e.invokeUrl, '{}');
      assert.equal(r.status, 200);
      assert.equal(r.headers['x-amz-function-error'], 'Unhandled');
      assert.deepEqual(r.json(), { errorMessage: 'cannot load', errorType: 'Runtime.ImportModuleError' });
    }
    assert.match(e.stdout(), /INIT_REPORT Init Duration: \d+\.\d\d ms\tPhase: init\tStatus: error\tError Type: Runtime.ImportModuleError/);
  } finally {
    await stop(e);
  }
  const c = await emulator({ FAKE_INIT: 'crash' });
  try {
    const r = await invoke(c.invokeUrl, '{}');
    assert.equal(r.headers['x-amz-function-error'], 'Unhandled');
    const body = r.json() as { errorType: string; errorMessage: string };
    assert.equal(body.errorType, 'Runtime.ExitError');
    assert.match(body.errorMessage, /Runtime exited with error: exit status 7$/);
  } finally {
    await stop(c);
  }
});

test('--watch restarts the runtime when code changes', async () => {
  const code = join(dir, 'code');
  mkdirSync(code, { recursive: true });
  const mode = join(code, 'mode.txt');
  writeFileSync(mode, 'v1');
  const e = await emulator({ MODE_FILE: mode }, ['--watch', code]);
  try {
    assert.equal((((await invoke(e.invokeUrl, '{}')).json()) as { mode: string }).mode, 'v1');
    writeFileSync(mode, 'v2');
    const deadline = Date.now() + 5000;
    let seen = 'v1';
    while (seen !== 'v2' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      seen = ((await invoke(e.invokeUrl, '{}')).json() as { mode: string }).mode;
    }
    assert.equal(seen, 'v2');
    assert.match(e.stderr(), /code changed, restarting runtime/);
  } finally {
    await stop(e);
  }
});

test('bad requests get Lambda’s error shape; a missing bootstrap is Runtime.InvalidEntrypoint', async () => {
  const e = await emulator();
  try {
    const nf = await invoke(e.url + '/2015-03-31/functions', '{}');
    assert.equal(nf.status, 404);
    assert.equal(nf.headers['x-amzn-errortype'], 'ResourceNotFoundException');
    const big = await invoke(e.invokeUrl, Buffer.alloc(6 * 1024 * 1024 + 1, 'a'));
    assert.equal(big.status, 413);
    assert.equal(big.headers['x-amzn-errortype'], 'RequestTooLargeException');
    assert.equal((big.json() as { message: string }).message, 'Request must be smaller than 6291456 bytes for the InvokeFunction operation');
    const badType = await invoke(e.invokeUrl, '{}', { headers: { 'X-Amz-Invocation-Type': 'Sometimes' } });
    assert.equal(badType.status, 400);
    const badCtx = await invoke(e.invokeUrl, '{}', { headers: { 'X-Amz-Client-Context': Buffer.from('not json').toString('base64') } });
    assert.equal(badCtx.status, 400);
    const ctx = await invoke(e.invokeUrl, '{}', { headers: { 'X-Amz-Client-Context': Buffer.from('{"custom":{"a":1}}').toString('base64') } });
    assert.equal((ctx.json() as { headers: Record<string, string> }).headers['lambda-runtime-client-context'], '{"custom":{"a":1}}');
  } finally {
    await stop(e);
  }
  const nb = await spawnEmulator({ args: [], env: { ...process.env, LAMBDA_TASK_ROOT: dir } });
  running.add(nb);
  try {
    const r = await invoke(nb.invokeUrl, '{}');
    assert.equal(r.headers['x-amz-function-error'], 'Unhandled');
    assert.equal((r.json() as { errorType: string }).errorType, 'Runtime.InvalidEntrypoint');
  } finally {
    await stop(nb);
  }
});

/** An external extension: registers for INVOKE+SHUTDOWN, subscribes to telemetry, records what it gets. */
const EXTENSION = String.raw`#!/usr/bin/env node
const http = require('node:http');
const fs = require('node:fs');
const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
const record = (line) => fs.appendFileSync(process.env.EXT_LOG, line + '\n');
const call = (method, path, body, headers) => new Promise((resolve) => {
  const req = http.request({ host, port, path, method, headers }, (res) => { let b = ''; res.on('data', (c) => (b += c)); res.on('end', () => resolve({ res, body: b })); });
  req.end(body);
});
const sink = http.createServer((req, res) => { let b = ''; req.on('data', (c) => (b += c)); req.on('end', () => { for (const e of JSON.parse(b)) record('telemetry ' + e.type + ' ' + (typeof e.record === 'string' ? e.record.trim() : JSON.stringify(e.record))); res.end(); }); });
sink.listen(0, '127.0.0.1', async () => {
  const reg = await call('POST', '/2020-01-01/extension/register', JSON.stringify({ events: ['INVOKE', 'SHUTDOWN'] }), { 'Lambda-Extension-Name': 'recorder' });
  const id = reg.res.headers['lambda-extension-identifier'];
  record('registered ' + reg.body);
  await call('PUT', '/2022-07-01/telemetry', JSON.stringify({ schemaVersion: '2022-12-13', destination: { protocol: 'HTTP', URI: 'http://sandbox.localdomain:' + sink.address().port }, types: ['platform', 'function'], buffering: { timeoutMs: 25 } }), { 'Lambda-Extension-Identifier': id });
  for (;;) {
    const ev = JSON.parse((await call('GET', '/2020-01-01/extension/event/next', undefined, { 'Lambda-Extension-Identifier': id })).body);
    record('event ' + ev.eventType + ' ' + (ev.requestId || ev.shutdownReason));
    if (ev.eventType === 'SHUTDOWN') { setTimeout(() => process.exit(0), 100); return; }
  }
});
`;

test('external extensions get INVOKE and SHUTDOWN, and telemetry with platform events and function logs', async () => {
  const extDir = join(dir, 'extensions');
  mkdirSync(extDir, { recursive: true });
  writeFileSync(join(extDir, 'recorder'), EXTENSION, { mode: 0o755 });
  const log = join(dir, 'ext.log');
  writeFileSync(log, '');
  const e = await emulator({ EXT_LOG: log, AWS_LAMBDA_FUNCTION_NAME: 'with-ext' }, ['--extensions-dir', extDir]);
  try {
    const r = await invoke(e.invokeUrl, ev({}));
    assert.equal(r.status, 200);
    const id = String(r.headers['x-amzn-requestid']);
    const deadline = Date.now() + 5000;
    const wanted = [`event INVOKE ${id}`, `telemetry platform.start`, `telemetry function handling ${id}`, `telemetry platform.report`];
    while (Date.now() < deadline && !wanted.every((w) => readFileSync(log, 'utf8').includes(w))) await new Promise((res) => setTimeout(res, 50));
    const seen = readFileSync(log, 'utf8');
    assert.match(seen, /^registered \{"functionName":"with-ext","functionVersion":"\$LATEST","handler":""\}/m);
    for (const w of wanted) assert.ok(seen.includes(w), `${w} in:\n${seen}`);
    assert.match(e.stdout(), new RegExp(`handling ${id}`), 'function output still reaches stdout');
  } finally {
    await stop(e);
  }
  assert.match(readFileSync(log, 'utf8'), /^event SHUTDOWN spindown$/m);
});

test('keep-alive clients are served on one connection', async () => {
  const e = await emulator();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const pids = new Set<number>();
    for (let i = 0; i < 20; i++) pids.add(((await invoke(e.invokeUrl, '{}', { agent })).json() as { pid: number }).pid);
    assert.equal(pids.size, 1);
    agent.destroy();
    // docker stop: SIGTERM ends the emulator cleanly and promptly, runtime included
    const t0 = Date.now();
    assert.equal(await e.stop(), 0);
    assert.ok(Date.now() - t0 < 2000, 'stopped within 2 s');
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(['gone', 'Z'].includes(processState([...pids][0]!)), 'the runtime is not running any more');
  } finally {
    agent.destroy();
    await stop(e);
  }
});
