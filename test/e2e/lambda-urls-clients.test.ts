/**
 * Function URLs and response streaming with real clients: a Node function built with
 * `docker build` FROM lambdock/nodejs:22 (its runtime client streams with
 * awslambda.streamifyResponse), URL configs managed by the AWS CLI v2 and
 * @aws-sdk/client-lambda, URLs called with curl (which resolves *.localhost itself and
 * signs AWS_IAM requests with --aws-sigv4) and node's fetch, InvokeWithResponseStream
 * through the SDK's event-stream decoder.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import {
  LambdaClient,
  CreateFunctionCommand,
  CreateFunctionUrlConfigCommand,
  GetFunctionUrlConfigCommand,
  UpdateFunctionUrlConfigCommand,
  ListFunctionUrlConfigsCommand,
  DeleteFunctionUrlConfigCommand,
  InvokeWithResponseStreamCommand,
  ResourceConflictException,
  ResourceNotFoundException,
  waitUntilFunctionActiveV2,
} from '@aws-sdk/client-lambda';
import { RuncRuntime } from '@lambdock/sandbox';
import { createPlatform, type Platform } from '@lambdock/platform';
import { buildBaseImages, defaultArtifacts } from '@lambdock/base-images';
import { AWS_CLI, commandExists, dockerAvailable } from '../support/system.js';
import { REFERENCE_REGISTRY, startReferenceRegistry, type ReferenceRegistry } from '../support/reference-registry.js';

const work = mkdtempSync(join(tmpdir(), 'lambdock-e2e-urls-'));
const sandboxCheck = await new RuncRuntime({ stateDir: join(work, 'probe') }).check();
const skip = !sandboxCheck.ok
  ? sandboxCheck.reason
  : !dockerAvailable()
    ? 'no Docker engine answers'
    : !commandExists(AWS_CLI)
      ? 'AWS CLI v2 not installed at /usr/bin/aws'
      : !commandExists('curl')
        ? 'curl not installed'
        : !existsSync(REFERENCE_REGISTRY)
          ? 'docker-registry not installed'
          : !commandExists('skopeo')
            ? 'skopeo not installed (base images are loaded into docker with it)'
            : !existsSync(defaultArtifacts().emulatorBuild ?? '')
              ? 'the emulator build script is missing (base images need it)'
              : false;

const RUN = `${process.pid}-${Date.now().toString(36)}`;
const role = 'arn:aws:iam::123456789012:role/lambda-role';
const creds = { accessKeyId: 'AKIDURLTEST', secretAccessKey: 'any-secret-in-open-mode' };
let registry: ReferenceRegistry;
let platform: Platform;
let endpoint = '';
let port = 0;
let image = '';
let sdk: LambdaClient;
const dockerTags: string[] = [];

const APP = `
export const handler = async (event) => {
  if (event.rawPath === '/fail') throw new Error('broken on purpose');
  if (event.rawPath === '/plain') return { hello: 'plain object, no statusCode' };
  return { statusCode: 200, headers: { 'content-type': 'application/json', 'x-handler': 'buffered' }, cookies: ['session=abc; Path=/'], body: JSON.stringify(event) };
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const stream = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 206, headers: { 'content-type': 'text/plain', 'x-handler': 'stream' } });
  responseStream.write('first chunk;');
  await sleep(1000);
  responseStream.write('second chunk');
  responseStream.end();
});
export const raw = awslambda.streamifyResponse(async (event, responseStream) => {
  if (event.fail) throw new TypeError('stream broke');
  responseStream.setContentType('text/plain');
  responseStream.write('one;');
  await sleep(1000);
  responseStream.write('two');
  responseStream.end();
});
`;

function must(cmd: string, args: string[], cwd?: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Async, so the platform in this process keeps serving while the child talks to it. */
function runAsync(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

const urlId = (functionUrl: string) => /^http:\/\/([a-z0-9]{32})\.lambda-url\.us-east-1\.localhost:\d+\/$/.exec(functionUrl)![1]!;

async function createFunction(name: string, command: string): Promise<void> {
  await sdk.send(new CreateFunctionCommand({ FunctionName: name, PackageType: 'Image', Code: { ImageUri: image }, Role: role, ImageConfig: { Command: [command] } }));
  await waitUntilFunctionActiveV2({ client: sdk, maxWaitTime: 120 }, { FunctionName: name });
}

describe('function URLs and response streaming with real clients', { skip }, () => {
  before(async () => {
    registry = await startReferenceRegistry();
    await buildBaseImages({ images: ['nodejs:22'], load: true, output: join(work, 'base-layout') });
    const dir = join(work, 'fn');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'app.mjs'), APP);
    writeFileSync(join(dir, 'Dockerfile'), 'FROM lambdock/nodejs:22\nCOPY app.mjs ${LAMBDA_TASK_ROOT}/\nCMD ["app.handler"]\n');
    image = `${registry.host}/e2e/urls-${RUN}:v1`;
    must('docker', ['build', '-q', '-t', image, '.'], dir);
    dockerTags.push(image);
    must('docker', ['push', '-q', image]);
    const rapi = await freePort();
    const quiet = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };
    platform = await createPlatform({
      home: join(work, 'home'),
      sandbox: new RuncRuntime({ stateDir: join(work, 'sandbox'), runtimeApiPort: rapi }),
      runtimeApiPort: rapi,
      logger: process.env['LAMBDOCK_LOG_LEVEL'] ? undefined : quiet,
      auth: { mode: 'open' },
    });
    const server = await platform.listen(0);
    port = (server.address() as AddressInfo).port;
    endpoint = `http://localhost:${port}`;
    sdk = new LambdaClient({ endpoint, region: 'us-east-1', credentials: creds });
    await createFunction('url-buffered', 'app.handler');
    await createFunction('url-stream', 'app.stream');
    await createFunction('stream-raw', 'app.raw');
  });

  after(async () => {
    sdk?.destroy();
    await platform?.close();
    await registry?.stop();
    for (const t of dockerTags) spawnSync('docker', ['rmi', '-f', t], { stdio: 'ignore' });
    rmSync(work, { recursive: true, force: true });
  });

  test('AWS CLI v2: create/get/update/list/delete function URL configs, and their errors', async () => {
    const env = { ...process.env, AWS_ACCESS_KEY_ID: creds.accessKeyId, AWS_SECRET_ACCESS_KEY: creds.secretAccessKey, AWS_REGION: 'us-east-1', AWS_PAGER: '' };
    const aws = (...args: string[]) => runAsync(AWS_CLI, ['--endpoint-url', endpoint, '--output', 'json', 'lambda', ...args], env);
    const ok = async (...args: string[]) => {
      const r = await aws(...args);
      assert.equal(r.status, 0, `aws lambda ${args.join(' ')}:\n${r.stderr}`);
      return r.stdout ? (JSON.parse(r.stdout) as Record<string, any>) : {};
    };
    const created = await ok('create-function-url-config', '--function-name', 'url-buffered', '--auth-type', 'NONE', '--cors', 'AllowOrigins=https://site.example,AllowMethods=GET,POST,MaxAge=300,ExposeHeaders=x-handler');
    assert.match(created['FunctionUrl'], new RegExp(`^http://[a-z0-9]{32}\\.lambda-url\\.us-east-1\\.localhost:${port}/$`));
    assert.equal(created['FunctionArn'], 'arn:aws:lambda:us-east-1:123456789012:function:url-buffered');
    assert.equal(created['AuthType'], 'NONE');
    // (Debian's CLI v2.9 predates InvokeMode: its model drops the field; the SDK test checks it.)
    assert.deepEqual(created['Cors']['AllowMethods'], ['GET', 'POST']);
    const got = await ok('get-function-url-config', '--function-name', 'url-buffered');
    assert.equal(got['FunctionUrl'], created['FunctionUrl']);
    assert.ok(got['LastModifiedTime']);
    const dup = await aws('create-function-url-config', '--function-name', 'url-buffered', '--auth-type', 'NONE');
    assert.notEqual(dup.status, 0);
    assert.match(dup.stderr, /ResourceConflictException.*FunctionUrlConfig exists for this Lambda function/);
    const bad = await aws('create-function-url-config', '--function-name', 'url-stream', '--auth-type', 'OPEN');
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /ValidationException.*Value 'OPEN' at 'authType' failed to satisfy constraint/);
    const missing = await aws('get-function-url-config', '--function-name', 'url-stream');
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /ResourceNotFoundException/);
    const upd = await ok('update-function-url-config', '--function-name', 'url-buffered', '--auth-type', 'AWS_IAM');
    assert.equal(upd['AuthType'], 'AWS_IAM');
    assert.equal(upd['Cors']['MaxAge'], 300);
    const list = await ok('list-function-url-configs', '--function-name', 'url-buffered');
    assert.deepEqual(list['FunctionUrlConfigs'].map((c: any) => c.AuthType), ['AWS_IAM']);
    await ok('update-function-url-config', '--function-name', 'url-buffered', '--auth-type', 'NONE');
    const tmp = await ok('create-function-url-config', '--function-name', 'stream-raw', '--auth-type', 'NONE');
    await ok('delete-function-url-config', '--function-name', 'stream-raw');
    const gone = await aws('get-function-url-config', '--function-name', 'stream-raw');
    assert.match(gone.stderr, /ResourceNotFoundException/);
    const r = await runAsync('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', tmp['FunctionUrl']]);
    assert.equal(r.stdout, '404', 'a deleted URL no longer answers');
  });

  test('buffered URL with curl: payload 2.0 event, structured response, cookies, CORS, 502 on a thrown error', async () => {
    const { FunctionUrl } = await sdk.send(new GetFunctionUrlConfigCommand({ FunctionName: 'url-buffered' }));
    const curl = (...args: string[]) => runAsync('curl', ['-sS', '-D', '-', ...args]);
    const r = await curl('-X', 'POST', '-H', 'content-type: application/json', '-H', 'Origin: https://site.example', '-b', 'a=1; b=2', '--data', '{"x":1}', `${FunctionUrl}items/42?tag=a&tag=b`);
    assert.equal(r.status, 0, r.stderr);
    const [head, body] = r.stdout.split('\r\n\r\n') as [string, string];
    assert.match(head, /^HTTP\/1\.1 200/);
    assert.match(head, /\r\nx-handler: buffered/i);
    assert.match(head, /\r\nset-cookie: session=abc; Path=\//i);
    assert.match(head, /\r\naccess-control-allow-origin: https:\/\/site\.example/i);
    assert.match(head, /\r\naccess-control-expose-headers: x-handler/i);
    const ev = JSON.parse(body) as Record<string, any>;
    assert.equal(ev['version'], '2.0');
    assert.equal(ev['rawPath'], '/items/42');
    assert.equal(ev['rawQueryString'], 'tag=a&tag=b');
    assert.deepEqual(ev['queryStringParameters'], { tag: 'a,b' });
    assert.deepEqual(ev['cookies'], ['a=1', 'b=2']);
    assert.equal(ev['body'], '{"x":1}');
    assert.equal(ev['isBase64Encoded'], false);
    assert.equal(ev['headers']['origin'], 'https://site.example');
    assert.match(ev['headers']['user-agent'], /^curl\//);
    assert.equal(ev['requestContext']['http']['method'], 'POST');
    assert.equal(ev['requestContext']['http']['userAgent'], ev['headers']['user-agent']);
    assert.equal(ev['requestContext']['domainPrefix'], urlId(FunctionUrl!));
    const pre = await curl('-X', 'OPTIONS', '-H', 'Origin: https://site.example', '-H', 'Access-Control-Request-Method: POST', FunctionUrl!);
    assert.match(pre.stdout, /^HTTP\/1\.1 200/);
    assert.match(pre.stdout, /access-control-allow-methods: GET,POST/i);
    assert.match(pre.stdout, /access-control-max-age: 300/i);
    const fail = await curl(`${FunctionUrl}fail`);
    assert.match(fail.stdout, /^HTTP\/1\.1 502/);
    assert.match(fail.stdout, /Internal Server Error$/);
    // Any value without statusCode is the body, as JSON; the path form reaches the same URL.
    const plain = await fetch(`http://127.0.0.1:${port}/lambda-url/${urlId(FunctionUrl!)}/plain`);
    assert.equal(plain.status, 200);
    assert.equal(plain.headers.get('content-type'), 'application/json');
    assert.deepEqual(await plain.json(), { hello: 'plain object, no statusCode' });
    const bin = await fetch(`http://127.0.0.1:${port}/lambda-url/${urlId(FunctionUrl!)}/bin`, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: Buffer.from([0x89, 0x50, 0, 0xff]) });
    const binEv = (await bin.json()) as Record<string, any>;
    assert.equal(binEv['isBase64Encoded'], true);
    assert.deepEqual([...Buffer.from(binEv['body'], 'base64')], [0x89, 0x50, 0, 0xff]);
  });

  test('AWS_IAM URL: curl without a signature gets 403, curl --aws-sigv4 gets through with its key in the event', async () => {
    await sdk.send(new UpdateFunctionUrlConfigCommand({ FunctionName: 'url-buffered', AuthType: 'AWS_IAM' }));
    const { FunctionUrl } = await sdk.send(new GetFunctionUrlConfigCommand({ FunctionName: 'url-buffered' }));
    const anon = await runAsync('curl', ['-sS', '-w', '\n%{http_code}', `${FunctionUrl}secret`]);
    assert.match(anon.stdout, /\{"Message":"Forbidden"\}\n403$/);
    const signed = await runAsync('curl', ['-sS', '--aws-sigv4', 'aws:amz:us-east-1:lambda', '--user', `${creds.accessKeyId}:${creds.secretAccessKey}`, `${FunctionUrl}secret`]);
    assert.equal(signed.status, 0, signed.stderr);
    const ev = JSON.parse(signed.stdout) as Record<string, any>;
    assert.equal(ev['requestContext']['authorizer']['iam']['accessKey'], creds.accessKeyId);
    assert.equal(ev['requestContext']['accountId'], '123456789012');
    await sdk.send(new UpdateFunctionUrlConfigCommand({ FunctionName: 'url-buffered', AuthType: 'NONE' }));
  });

  test('SDK: URL config operations and typed errors; RESPONSE_STREAM URL streams over fetch as the handler writes', async () => {
    const created = await sdk.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'url-stream', AuthType: 'NONE', InvokeMode: 'RESPONSE_STREAM' }));
    assert.equal(created.InvokeMode, 'RESPONSE_STREAM');
    await assert.rejects(sdk.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'url-stream', AuthType: 'NONE' })), ResourceConflictException);
    await assert.rejects(sdk.send(new GetFunctionUrlConfigCommand({ FunctionName: 'no-such-fn' })), ResourceNotFoundException);
    await assert.rejects(sdk.send(new DeleteFunctionUrlConfigCommand({ FunctionName: 'stream-raw' })), ResourceNotFoundException);
    const listed = await sdk.send(new ListFunctionUrlConfigsCommand({ FunctionName: 'url-stream' }));
    assert.equal(listed.FunctionUrlConfigs?.[0]?.FunctionUrl, created.FunctionUrl);

    const t0 = performance.now();
    const res = await fetch(`http://127.0.0.1:${port}/lambda-url/${urlId(created.FunctionUrl!)}/`);
    assert.equal(res.status, 206);
    assert.equal(res.headers.get('x-handler'), 'stream');
    assert.equal(res.headers.get('content-type'), 'text/plain');
    const arrivals: Array<{ at: number; text: string }> = [];
    const reader = res.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      arrivals.push({ at: performance.now() - t0, text: Buffer.from(value).toString() });
    }
    assert.equal(arrivals.map((a) => a.text).join(''), 'first chunk;second chunk');
    const first = arrivals.find((a) => a.text.includes('first'))!;
    const end = arrivals.at(-1)!;
    assert.ok(end.at - first.at >= 700, `first bytes at ${first.at.toFixed(0)} ms, end at ${end.at.toFixed(0)} ms: they must not wait for the handler to finish`);
    await sdk.send(new DeleteFunctionUrlConfigCommand({ FunctionName: 'url-stream' }));
    await assert.rejects(sdk.send(new GetFunctionUrlConfigCommand({ FunctionName: 'url-stream' })), ResourceNotFoundException);
    assert.equal((await fetch(`http://127.0.0.1:${port}/lambda-url/${urlId(created.FunctionUrl!)}/`)).status, 404);
  });

  test('SDK InvokeWithResponseStream: PayloadChunk events as written, then InvokeComplete (with the error when the handler throws)', async () => {
    const t0 = performance.now();
    const out = await sdk.send(new InvokeWithResponseStreamCommand({ FunctionName: 'stream-raw', Payload: Buffer.from('{}'), LogType: 'Tail' }));
    assert.equal(out.StatusCode, 200);
    assert.equal(out.ExecutedVersion, '$LATEST');
    const chunks: Array<{ at: number; text: string }> = [];
    let complete: Record<string, any> | undefined;
    for await (const ev of out.EventStream!) {
      if (ev.PayloadChunk?.Payload) chunks.push({ at: performance.now() - t0, text: Buffer.from(ev.PayloadChunk.Payload).toString() });
      if (ev.InvokeComplete) complete = ev.InvokeComplete;
    }
    assert.equal(chunks.map((c) => c.text).join(''), 'one;two');
    assert.ok(chunks.at(-1)!.at - chunks[0]!.at >= 700, `chunks at ${chunks.map((c) => c.at.toFixed(0)).join(', ')} ms`);
    assert.ok(complete);
    assert.equal(complete['ErrorCode'], undefined);
    assert.match(Buffer.from(complete['LogResult'], 'base64').toString(), /REPORT RequestId: /);

    const failed = await sdk.send(new InvokeWithResponseStreamCommand({ FunctionName: 'stream-raw', Payload: Buffer.from('{"fail":true}') }));
    let errorCode: string | undefined;
    let details = '';
    for await (const ev of failed.EventStream!) {
      if (ev.InvokeComplete) {
        errorCode = ev.InvokeComplete.ErrorCode;
        details = ev.InvokeComplete.ErrorDetails ?? '';
      }
    }
    assert.equal(errorCode, 'TypeError');
    assert.match(details, /stream broke/);
    await assert.rejects(sdk.send(new InvokeWithResponseStreamCommand({ FunctionName: 'no-such-fn', Payload: Buffer.from('{}') })), ResourceNotFoundException);
  });
});
