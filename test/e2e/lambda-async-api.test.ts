/**
 * Asynchronous invocation with real clients: event-invoke-config operations, Event
 * invokes, the old InvokeAsync, destinations and the dead-letter target, driven by the
 * AWS CLI v2 (/usr/bin/aws) and @aws-sdk/client-lambda against the platform (runc
 * sandboxes, images from a real registry; retry delays shortened to keep it quick).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import {
  LambdaClient,
  CreateFunctionCommand,
  PublishVersionCommand,
  CreateAliasCommand,
  DeleteAliasCommand,
  InvokeCommand,
  PutFunctionEventInvokeConfigCommand,
  UpdateFunctionEventInvokeConfigCommand,
  GetFunctionEventInvokeConfigCommand,
  DeleteFunctionEventInvokeConfigCommand,
  ListFunctionEventInvokeConfigsCommand,
  UpdateFunctionConfigurationCommand,
  ResourceNotFoundException,
  RequestTooLargeException,
  InvalidParameterValueException,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import { RuncRuntime } from '@lambdock/sandbox';
import { createLogger } from '@lambdock/common';
import { createPlatform, type Platform } from '@lambdock/platform';
import { AWS_CLI } from '../support/system.js';
import { run } from '../support/run.js';
import { platformFixtureUnavailable } from '../support/platform-fixture.js';
import { ImageFactory, freePort, shHandler, startRegistry } from '@lambdock/platform/testing';
import type { TestRegistry } from '@lambdock/platform/testing';


const work = mkdtempSync(join(tmpdir(), 'lambdock-e2e-async-'));
const skip = await platformFixtureUnavailable(work);

const role = 'arn:aws:iam::123456789012:role/lambda-role';
const ARN = 'arn:aws:lambda:us-east-1:123456789012:function';
// Destinations log what they receive, whatever words it contains.
const SINK = `handler() {\n  EVENT=$(cat "$1")\n  echo "handling $EVENT"\n  printf '{}' > "$2"\n}\n`;

describe('asynchronous invocation with the AWS CLI v2 and the SDK', { skip }, () => {
  let platform: Platform;
  let registry: TestRegistry;
  let images: InstanceType<typeof ImageFactory>;
  let endpoint = '';
  let lambda: LambdaClient;
  const env = { ...process.env, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y', AWS_REGION: 'us-east-1', AWS_PAGER: '' };
  const aws = (...args: string[]) => run(AWS_CLI, ['--endpoint-url', endpoint, '--output', 'json', 'lambda', ...args], { env });
  const ok = async (...args: string[]) => {
    const r = await aws(...args);
    assert.equal(r.status, 0, `aws lambda ${args.join(' ')}:\n${r.stderr}`);
    return r.stdout.trim() ? (JSON.parse(r.stdout) as Record<string, any>) : {};
  };
  const fails = async (code: string, ...args: string[]) => {
    const r = await aws(...args);
    assert.notEqual(r.status, 0, `aws lambda ${args.join(' ')} should fail`);
    assert.match(r.stderr, new RegExp(`\\(${code}\\)`), r.stderr);
  };
  /** What a sink function logged ("handling <event>"), parsed, once `count` arrived. */
  const received = async (fn: string, count: number, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const f = await platform.services.logs.filterEvents(`/aws/lambda/${fn}`, { filterPattern: '"handling "' }).catch(() => ({ events: [] as Array<{ message: string }> }));
      const got = f.events.map((e) => JSON.parse(e.message.slice('handling '.length)) as Record<string, any>);
      if (got.length >= count || Date.now() > deadline) return got;
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  before(async () => {
    registry = await startRegistry();
    images = new ImageFactory();
    const worker = `${registry.host}/async/worker:v1`;
    const sink = `${registry.host}/async/sink:v1`;
    await images.push(worker, { 'var/task/function.sh': shHandler('v1') });
    await images.push(sink, { 'var/task/function.sh': SINK });
    const port = await freePort();
    platform = await createPlatform({
      home: work,
      sandbox: new RuncRuntime({ stateDir: join(work, 'sandbox'), runtimeApiPort: port }),
      runtimeApiPort: port,
      accountConcurrency: 200,
      pool: { freezeAfterMs: 100, idleTimeoutMs: 60_000 },
      async: { retryBaseMs: 300, throttleBaseMs: 100, concurrency: 4 },
      logger: createLogger({ level: 'error', base: { component: 'e2e' } }),
    });
    const server = await platform.listen(0);
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    lambda = new LambdaClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    for (const [name, image] of [['worker', worker], ['succeeded', sink], ['failed', sink], ['dlq', sink]] as const) {
      await lambda.send(new CreateFunctionCommand({ FunctionName: name, PackageType: 'Image', Code: { ImageUri: image }, Role: role }));
    }
    for (const name of ['worker', 'succeeded', 'failed', 'dlq']) await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 120 }, { FunctionName: name });
  });

  after(async () => {
    lambda?.destroy();
    await platform?.close();
    await registry?.stop();
    images?.close();
    rmSync(work, { recursive: true, force: true });
  });

  test('CLI: event-invoke-config operations and their errors, Event invoke and invoke-async reach the OnSuccess destination', async () => {
    await fails('ResourceNotFoundException', 'get-function-event-invoke-config', '--function-name', 'worker');
    await fails('ValidationException', 'put-function-event-invoke-config', '--function-name', 'worker', '--maximum-retry-attempts', '3');
    await fails('ValidationException', 'put-function-event-invoke-config', '--function-name', 'worker', '--maximum-event-age-in-seconds', '21601');
    await fails('InvalidParameterValueException', 'put-function-event-invoke-config', '--function-name', 'worker', '--destination-config', 'OnFailure={Destination=arn:aws:sqs:us-east-1:123456789012:q}');
    await fails('ResourceNotFoundException', 'put-function-event-invoke-config', '--function-name', 'nope', '--maximum-retry-attempts', '1');
    const put = await ok('put-function-event-invoke-config', '--function-name', 'worker', '--maximum-retry-attempts', '1', '--destination-config', `OnSuccess={Destination=${ARN}:succeeded}`);
    assert.equal(put['FunctionArn'], `${ARN}:worker:$LATEST`);
    assert.equal(put['MaximumRetryAttempts'], 1);
    assert.equal(put['DestinationConfig']['OnSuccess']['Destination'], `${ARN}:succeeded`);
    const upd = await ok('update-function-event-invoke-config', '--function-name', 'worker', '--maximum-event-age-in-seconds', '3600', '--destination-config', `OnFailure={Destination=${ARN}:failed}`);
    assert.equal(upd['MaximumRetryAttempts'], 1);
    assert.equal(upd['MaximumEventAgeInSeconds'], 3600);
    assert.equal(upd['DestinationConfig']['OnSuccess']['Destination'], `${ARN}:succeeded`);
    assert.equal(upd['DestinationConfig']['OnFailure']['Destination'], `${ARN}:failed`);
    const got = await ok('get-function-event-invoke-config', '--function-name', 'worker');
    assert.deepEqual(got['DestinationConfig'], upd['DestinationConfig']);
    const list = await ok('list-function-event-invoke-configs', '--function-name', 'worker');
    assert.equal(list['FunctionEventInvokeConfigs'].length, 1);

    const payload = join(work, 'event.json');
    writeFileSync(payload, '{"from":"cli"}');
    const r = await ok('invoke', '--function-name', 'worker', '--invocation-type', 'Event', '--cli-binary-format', 'raw-in-base64-out', '--payload', 'file://' + payload, join(work, 'out.json'));
    assert.equal(r['StatusCode'], 202);
    const old = await ok('invoke-async', '--function-name', 'worker', '--invoke-args', payload);
    assert.equal(old['Status'], 202);
    const recs = await received('succeeded', 2);
    assert.equal(recs.length, 2);
    for (const rec of recs) {
      assert.equal(rec['version'], '1.0');
      assert.equal(rec['requestContext']['condition'], 'Success');
      assert.equal(rec['requestContext']['functionArn'], `${ARN}:worker:$LATEST`);
      assert.deepEqual(rec['requestPayload'], { from: 'cli' });
      assert.equal(rec['responseContext']['statusCode'], 200);
      assert.equal(rec['responseContext']['executedVersion'], '$LATEST');
      assert.deepEqual(rec['responsePayload']['echo'], { from: 'cli' });
      assert.match(rec['timestamp'], /^\d{4}-\d\d-\d\dT/);
    }
    await ok('delete-function-event-invoke-config', '--function-name', 'worker');
    await fails('ResourceNotFoundException', 'delete-function-event-invoke-config', '--function-name', 'worker');
  });

  test('SDK: retries then OnFailure and the dead-letter target; alias-qualified configs; 1 MB limit', async () => {
    await lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'worker', MaximumRetryAttempts: 2, DestinationConfig: { OnFailure: { Destination: `${ARN}:failed` } } }));
    await assert.rejects(lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'worker', DeadLetterConfig: { TargetArn: 'arn:aws:sqs:us-east-1:123456789012:dlq' } })), InvalidParameterValueException);
    const cfg = await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'worker', DeadLetterConfig: { TargetArn: `${ARN}:dlq` } }));
    assert.equal(cfg.DeadLetterConfig?.TargetArn, `${ARN}:dlq`);
    await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 60 }, { FunctionName: 'worker' });
    const before = (await received('failed', 0, 0)).length;
    const sent = await lambda.send(new InvokeCommand({ FunctionName: 'worker', InvocationType: 'Event', Payload: Buffer.from('{"please":"fail"}') }));
    assert.equal(sent.StatusCode, 202);
    const recs = await received('failed', before + 1);
    const rec = recs.find((x) => x['requestContext']['requestId'] === sent.$metadata.requestId);
    assert.ok(rec, 'the failure record names the request id the 202 carried');
    assert.equal(rec['requestContext']['condition'], 'RetriesExhausted');
    assert.equal(rec['requestContext']['approximateInvokeCount'], 3, 'the first attempt and two retries');
    assert.equal(rec['responseContext']['functionError'], 'Unhandled');
    assert.deepEqual(rec['responsePayload'], { errorMessage: 'it failed', errorType: 'Function.Failed' });
    const dead = await received('dlq', 1);
    assert.deepEqual(dead[0], { please: 'fail' });

    // Configurations are per qualifier: an alias gets its own; its records carry the alias ARN and the version that ran.
    const v = await lambda.send(new PublishVersionCommand({ FunctionName: 'worker' }));
    await lambda.send(new CreateAliasCommand({ FunctionName: 'worker', Name: 'live', FunctionVersion: v.Version! }));
    await lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'worker', Qualifier: 'live', DestinationConfig: { OnSuccess: { Destination: `${ARN}:succeeded` } } }));
    const got = await lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'worker', Qualifier: 'live' }));
    assert.equal(got.FunctionArn, `${ARN}:worker:live`);
    assert.ok(got.LastModified instanceof Date);
    const updated = await lambda.send(new UpdateFunctionEventInvokeConfigCommand({ FunctionName: 'worker', Qualifier: 'live', MaximumEventAgeInSeconds: 120 }));
    assert.equal(updated.MaximumEventAgeInSeconds, 120);
    assert.equal(updated.DestinationConfig?.OnSuccess?.Destination, `${ARN}:succeeded`);
    const listed = await lambda.send(new ListFunctionEventInvokeConfigsCommand({ FunctionName: 'worker' }));
    assert.deepEqual(listed.FunctionEventInvokeConfigs?.map((c) => c.FunctionArn).sort(), [`${ARN}:worker:$LATEST`, `${ARN}:worker:live`]);
    await assert.rejects(lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'worker', Qualifier: 'nosuch' })), ResourceNotFoundException);
    const successes = (await received('succeeded', 0, 0)).length;
    const viaAlias = await lambda.send(new InvokeCommand({ FunctionName: 'worker', Qualifier: 'live', InvocationType: 'Event', Payload: Buffer.from('{"via":"alias"}') }));
    assert.equal(viaAlias.StatusCode, 202);
    const all = await received('succeeded', successes + 1);
    const aliasRec = all.find((x) => x['requestContext']['requestId'] === viaAlias.$metadata.requestId);
    assert.ok(aliasRec);
    assert.equal(aliasRec['requestContext']['functionArn'], `${ARN}:worker:live`);
    assert.equal(aliasRec['responseContext']['executedVersion'], v.Version);
    await lambda.send(new DeleteFunctionEventInvokeConfigCommand({ FunctionName: 'worker', Qualifier: 'live' }));
    // A qualifier's configuration goes with the alias.
    await lambda.send(new CreateAliasCommand({ FunctionName: 'worker', Name: 'temp', FunctionVersion: v.Version! }));
    await lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'worker', Qualifier: 'temp', MaximumRetryAttempts: 0 }));
    await lambda.send(new DeleteAliasCommand({ FunctionName: 'worker', Name: 'temp' }));
    const remaining = await lambda.send(new ListFunctionEventInvokeConfigsCommand({ FunctionName: 'worker' }));
    assert.deepEqual(remaining.FunctionEventInvokeConfigs?.map((c) => c.FunctionArn), [`${ARN}:worker:$LATEST`]);

    await assert.rejects(
      lambda.send(new InvokeCommand({ FunctionName: 'worker', InvocationType: 'Event', Payload: Buffer.alloc(1024 * 1024 + 1, 0x61) })),
      (e: Error) => e instanceof RequestTooLargeException || e.name === 'RequestEntityTooLargeException',
    );
  });
});
