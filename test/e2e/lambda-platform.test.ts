/**
 * The Lambda service with real clients, end to end: a function image built with
 * `docker build` FROM lambdock/nodejs:22 and `docker push`ed to a registry, then
 * managed and invoked by the AWS CLI v2 (/usr/bin/aws) and @aws-sdk/client-lambda
 * against the platform; every execution environment is a runc sandbox.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import {
  LambdaClient,
  CreateFunctionCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  ListFunctionsCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  DeleteFunctionCommand,
  InvokeCommand,
  PutFunctionConcurrencyCommand,
  GetFunctionConcurrencyCommand,
  DeleteFunctionConcurrencyCommand,
  GetAccountSettingsCommand,
  ResourceNotFoundException,
  ResourceConflictException,
  TooManyRequestsException,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
  paginateListFunctions,
} from '@aws-sdk/client-lambda';
import { RuncRuntime } from '@lambdock/sandbox';
import { createPlatform, type Platform } from '@lambdock/platform';
import { buildBaseImages, defaultArtifacts } from '@lambdock/base-images';
import { AWS_CLI, commandExists, dockerAvailable } from '../support/system.js';
import { REFERENCE_REGISTRY, startReferenceRegistry, type ReferenceRegistry } from '../support/reference-registry.js';
import { existsSync } from 'node:fs';

const work = mkdtempSync(join(tmpdir(), 'lambdock-e2e-lambda-'));
const sandboxCheck = await new RuncRuntime({ stateDir: join(work, 'probe') }).check();
const skip = !sandboxCheck.ok
  ? sandboxCheck.reason
  : !dockerAvailable()
    ? 'no Docker engine answers'
    : !commandExists(AWS_CLI)
      ? 'AWS CLI v2 not installed at /usr/bin/aws'
      : !existsSync(REFERENCE_REGISTRY)
        ? 'docker-registry not installed'
        : !commandExists('skopeo')
          ? 'skopeo not installed (base images are loaded into docker with it)'
          : !existsSync(defaultArtifacts().emulatorBuild ?? '')
            ? 'the emulator build script is missing (base images need it)'
            : false;

const RUN = `${process.pid}-${Date.now().toString(36)}`;
const role = 'arn:aws:iam::123456789012:role/lambda-role';
let registry: ReferenceRegistry;
let platform: Platform;
let sandbox: RuncRuntime | undefined;
let endpoint = '';
let imageV1 = '';
let imageV2 = '';
const dockerTags: string[] = [];

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, input: opts.input, encoding: 'utf8', timeout: 300_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Async, so the platform in this process keeps serving while the CLI talks to it. */
function runAsync(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
}

function must(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const r = run(cmd, args, opts);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const appSource = (version: string) => `
export const handler = async (event, context) => {
  console.log('got event', JSON.stringify(event));
  if (event && event.fail) throw new TypeError('it broke');
  if (event && event.sleepMs) await new Promise((r) => setTimeout(r, event.sleepMs));
  if (event && event.big) return 'x'.repeat(7 * 1024 * 1024);
  return { message: 'hello ' + ((event && event.name) || 'world'), version: '${version}', requestId: context.awsRequestId,
           functionName: context.functionName, memory: context.memoryLimitInMB, region: process.env.AWS_REGION,
           custom: process.env.CUSTOM ?? null, remainingOk: context.getRemainingTimeInMillis() > 0,
           clientContext: context.clientContext ?? null, arn: context.invokedFunctionArn };
};
`;

/** docker build FROM lambdock/nodejs:22 + docker push to the test registry. */
function buildAndPush(version: string): string {
  const dir = join(work, `fn-${version}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'app.mjs'), appSource(version));
  writeFileSync(join(dir, 'Dockerfile'), 'FROM lambdock/nodejs:22\nCOPY app.mjs ${LAMBDA_TASK_ROOT}/\nCMD ["app.handler"]\n');
  const tag = `${registry.host}/e2e/hello-${RUN}:${version}`;
  must('docker', ['build', '-q', '-t', tag, '.'], { cwd: dir });
  dockerTags.push(tag);
  must('docker', ['push', '-q', tag]);
  return tag;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

describe('Lambda service with real clients', { skip }, () => {
  before(async () => {
    registry = await startReferenceRegistry();
    await buildBaseImages({ images: ['nodejs:22'], load: true, output: join(work, 'base-layout') });
    imageV1 = buildAndPush('v1');
    imageV2 = buildAndPush('v2');
    const port = await freePort();
    const quiet = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };
    sandbox = new RuncRuntime({ stateDir: join(work, 'sandbox'), runtimeApiPort: port });
    platform = await createPlatform({
      home: join(work, 'home'),
      sandbox,
      runtimeApiPort: port,
      logger: process.env['LAMBDOCK_LOG_LEVEL'] ? undefined : quiet,
    });
    const server = await platform.listen(0);
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await platform?.close();
    await sandbox?.close();
    await registry?.stop();
    for (const t of dockerTags) run('docker', ['rmi', '-f', t]);
    rmSync(work, { recursive: true, force: true });
  });

  test('AWS CLI v2: create from a pushed image, wait active, invoke with log tail, update code, invoke new code, delete', async () => {
    const env = { ...process.env, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y', AWS_REGION: 'us-east-1', AWS_PAGER: '' };
    const aws = (...args: string[]) => runAsync(AWS_CLI, ['--endpoint-url', endpoint, '--output', 'json', 'lambda', ...args], env);
    const ok = async (...args: string[]) => {
      const r = await aws(...args);
      assert.equal(r.status, 0, `aws lambda ${args.join(' ')}:\n${r.stderr}`);
      return r.stdout ? (JSON.parse(r.stdout) as Record<string, any>) : {};
    };
    const created = await ok('create-function', '--function-name', 'cli-hello', '--package-type', 'Image', '--code', `ImageUri=${imageV1}`, '--role', role, '--environment', 'Variables={CUSTOM=from-cli}');
    assert.equal(created['State'], 'Pending');
    assert.equal(created['PackageType'], 'Image');
    await ok('wait', 'function-active-v2', '--function-name', 'cli-hello');
    const out = join(work, 'out.json');
    const inv = await ok('invoke', '--function-name', 'cli-hello', '--cli-binary-format', 'raw-in-base64-out', '--payload', '{"name":"cli"}', '--log-type', 'Tail', out);
    assert.equal(inv['StatusCode'], 200);
    assert.equal(inv['ExecutedVersion'], '$LATEST');
    assert.equal(inv['FunctionError'], undefined);
    const result = JSON.parse(readFileSync(out, 'utf8')) as Record<string, any>;
    assert.equal(result['message'], 'hello cli');
    assert.equal(result['version'], 'v1');
    assert.equal(result['functionName'], 'cli-hello');
    assert.equal(result['memory'], '128');
    assert.equal(result['region'], 'us-east-1');
    assert.equal(result['custom'], 'from-cli');
    const log = Buffer.from(inv['LogResult'], 'base64').toString('utf8');
    assert.match(log, new RegExp(`START RequestId: ${result['requestId']} Version: \\$LATEST`));
    assert.match(log, /got event \{"name":"cli"\}/);
    assert.match(log, /REPORT RequestId: .*\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB\tInit Duration: [\d.]+ ms/);

    // No payload at all, as `aws lambda invoke --function-name f out.json` sends.
    const bare = await ok('invoke', '--function-name', 'cli-hello', out);
    assert.equal(bare['StatusCode'], 200);
    assert.equal(JSON.parse(readFileSync(out, 'utf8'))['message'], 'hello world');

    const upd = await ok('update-function-code', '--function-name', 'cli-hello', '--image-uri', imageV2);
    assert.equal(upd['LastUpdateStatus'], 'InProgress');
    await ok('wait', 'function-updated-v2', '--function-name', 'cli-hello');
    await ok('invoke', '--function-name', 'cli-hello', '--cli-binary-format', 'raw-in-base64-out', '--payload', '{}', out);
    assert.equal(JSON.parse(readFileSync(out, 'utf8'))['version'], 'v2');

    const got = await ok('get-function', '--function-name', 'cli-hello');
    assert.equal(got['Code']['ImageUri'], imageV2);
    assert.match(got['Code']['ResolvedImageUri'], /@sha256:[0-9a-f]{64}$/);
    assert.equal(got['Configuration']['CodeSha256'], got['Code']['ResolvedImageUri'].split('@sha256:')[1]);
    const list = await ok('list-functions');
    assert.ok(list['Functions'].some((f: { FunctionName: string }) => f.FunctionName === 'cli-hello'));
    const err = await aws('invoke', '--function-name', 'no-such-function', out);
    assert.notEqual(err.status, 0);
    assert.match(err.stderr, /ResourceNotFoundException.*Function not found: arn:aws:lambda:us-east-1:123456789012:function:no-such-function/);
    await ok('delete-function', '--function-name', 'cli-hello');
    const gone = await aws('get-function', '--function-name', 'cli-hello');
    assert.match(gone.stderr, /ResourceNotFoundException/);
  });

  test('@aws-sdk/client-lambda: every operation, the waiters, and each error', async () => {
    const lambda = new LambdaClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, maxAttempts: 1 });
    try {
      const created = await lambda.send(
        new CreateFunctionCommand({ FunctionName: 'sdk-hello', PackageType: 'Image', Code: { ImageUri: imageV1 }, Role: role, Timeout: 2, MemorySize: 256, Tags: { team: 'e2e' } }),
      );
      assert.equal(created.State, 'Pending');
      assert.equal(created.StateReasonCode, 'Creating');
      await assert.rejects(lambda.send(new InvokeCommand({ FunctionName: 'sdk-hello' })), ResourceConflictException);
      await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 120, minDelay: 1 }, { FunctionName: 'sdk-hello' });

      const fn = await lambda.send(new GetFunctionCommand({ FunctionName: 'sdk-hello' }));
      assert.equal(fn.Configuration?.State, 'Active');
      assert.equal(fn.Configuration?.MemorySize, 256);
      assert.deepEqual(fn.Tags, { team: 'e2e' });
      assert.equal(fn.Code?.RepositoryType, 'ECR');
      assert.ok(fn.Configuration?.LastModified);
      const cfg = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:sdk-hello' }));
      assert.equal(cfg.FunctionName, 'sdk-hello');

      const inv = await lambda.send(new InvokeCommand({ FunctionName: 'sdk-hello', Payload: Buffer.from('{"name":"sdk"}'), LogType: 'Tail' }));
      assert.equal(inv.StatusCode, 200);
      assert.equal(inv.FunctionError, undefined);
      assert.equal(JSON.parse(Buffer.from(inv.Payload!).toString())['message'], 'hello sdk');
      assert.match(Buffer.from(inv.LogResult!, 'base64').toString(), /END RequestId:/);

      // Client context (base64 JSON) reaches the handler's context; the qualified ARN is the one invoked.
      const withContext = await lambda.send(
        new InvokeCommand({ FunctionName: 'sdk-hello', Qualifier: '$LATEST', ClientContext: Buffer.from(JSON.stringify({ custom: { k: 'v' } })).toString('base64'), Payload: Buffer.from('{}') }),
      );
      const ctxOut = JSON.parse(Buffer.from(withContext.Payload!).toString()) as Record<string, any>;
      assert.deepEqual(ctxOut['clientContext']?.['custom'], { k: 'v' });
      assert.equal(ctxOut['arn'], 'arn:aws:lambda:us-east-1:123456789012:function:sdk-hello:$LATEST');

      const fnErr = await lambda.send(new InvokeCommand({ FunctionName: 'sdk-hello', Payload: Buffer.from('{"fail":true}') }));
      assert.equal(fnErr.FunctionError, 'Unhandled');
      const e = JSON.parse(Buffer.from(fnErr.Payload!).toString()) as Record<string, unknown>;
      assert.equal(e['errorType'], 'TypeError');
      assert.equal(e['errorMessage'], 'it broke');

      const timedOut = await lambda.send(new InvokeCommand({ FunctionName: 'sdk-hello', Payload: Buffer.from('{"sleepMs":5000}') }));
      assert.equal(timedOut.FunctionError, 'Unhandled');
      assert.equal(JSON.parse(Buffer.from(timedOut.Payload!).toString())['errorType'], 'Sandbox.Timedout');

      const big = await lambda.send(new InvokeCommand({ FunctionName: 'sdk-hello', Payload: Buffer.from('{"big":true}') }));
      assert.equal(big.FunctionError, 'Unhandled');
      assert.equal(JSON.parse(Buffer.from(big.Payload!).toString())['errorType'], 'Function.ResponseSizeTooLarge');

      await assert.rejects(lambda.send(new InvokeCommand({ FunctionName: 'sdk-hello', Payload: Buffer.alloc(6 * 1024 * 1024 + 10, 0x20) })), (err: Error & { $metadata?: { httpStatusCode?: number } }) => {
        assert.equal(err.name, 'RequestEntityTooLargeException');
        assert.equal(err.$metadata?.httpStatusCode, 413);
        return true;
      });
      const ev = await lambda.send(new InvokeCommand({ FunctionName: 'sdk-hello', InvocationType: 'Event', Payload: Buffer.from('{"name":"async"}') }));
      assert.equal(ev.StatusCode, 202);
      const dry = await lambda.send(new InvokeCommand({ FunctionName: 'sdk-hello', InvocationType: 'DryRun' }));
      assert.equal(dry.StatusCode, 204);

      await assert.rejects(lambda.send(new GetFunctionCommand({ FunctionName: 'sdk-missing' })), ResourceNotFoundException);
      await assert.rejects(lambda.send(new CreateFunctionCommand({ FunctionName: 'sdk-hello', PackageType: 'Image', Code: { ImageUri: imageV1 }, Role: role })), ResourceConflictException);
      await assert.rejects(lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'sdk-hello', MemorySize: 64 })), (err: Error) => {
        assert.equal(err.name, 'ValidationException');
        assert.match(err.message, /Value '64' at 'memorySize' failed to satisfy constraint: Member must have value greater than or equal to 128/);
        return true;
      });

      await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: 'sdk-hello', ReservedConcurrentExecutions: 0 }));
      assert.equal((await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: 'sdk-hello' }))).ReservedConcurrentExecutions, 0);
      await assert.rejects(lambda.send(new InvokeCommand({ FunctionName: 'sdk-hello' })), (err: TooManyRequestsException) => {
        assert.ok(err instanceof TooManyRequestsException);
        assert.equal(err.Reason, 'ReservedFunctionConcurrentInvocationLimitExceeded');
        return true;
      });
      await lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'sdk-hello' }));
      const settings = await lambda.send(new GetAccountSettingsCommand({}));
      assert.equal(settings.AccountLimit?.ConcurrentExecutions, 1000);

      await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'sdk-hello', Environment: { Variables: { CUSTOM: 'sdk-set' } } }));
      await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 60, minDelay: 1 }, { FunctionName: 'sdk-hello' });
      const withEnv = await lambda.send(new InvokeCommand({ FunctionName: 'sdk-hello', Payload: Buffer.from('{}') }));
      assert.equal(JSON.parse(Buffer.from(withEnv.Payload!).toString())['custom'], 'sdk-set');

      await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'sdk-hello', ImageUri: imageV2 }));
      await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 120, minDelay: 1 }, { FunctionName: 'sdk-hello' });
      const v2 = await lambda.send(new InvokeCommand({ FunctionName: 'sdk-hello', Payload: Buffer.from('{}') }));
      assert.equal(JSON.parse(Buffer.from(v2.Payload!).toString())['version'], 'v2');

      for (let i = 0; i < 3; i++) await lambda.send(new CreateFunctionCommand({ FunctionName: `sdk-page-${i}`, PackageType: 'Image', Code: { ImageUri: imageV1 }, Role: role }));
      const names: string[] = [];
      for await (const page of paginateListFunctions({ client: lambda, pageSize: 2 }, {})) names.push(...(page.Functions ?? []).map((f) => f.FunctionName!));
      for (const n of ['sdk-hello', 'sdk-page-0', 'sdk-page-1', 'sdk-page-2']) assert.ok(names.includes(n), `${n} listed`);
      const first = await lambda.send(new ListFunctionsCommand({ MaxItems: 1 }));
      assert.equal(first.Functions?.length, 1);
      assert.ok(first.NextMarker);

      for (const n of ['sdk-hello', 'sdk-page-0', 'sdk-page-1', 'sdk-page-2']) await lambda.send(new DeleteFunctionCommand({ FunctionName: n }));
      await assert.rejects(lambda.send(new GetFunctionCommand({ FunctionName: 'sdk-hello' })), ResourceNotFoundException);
    } finally {
      lambda.destroy();
    }
  });
});
