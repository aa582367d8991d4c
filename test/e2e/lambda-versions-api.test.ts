/**
 * Versions and aliases with real clients: the AWS CLI v2 (/usr/bin/aws) and
 * @aws-sdk/client-lambda against the platform, functions from images in a real
 * registry, every environment a runc sandbox. The handler reports which code ran
 * ("mark"), so routing by version, alias and weights is checked from what the
 * function itself answers, against the X-Amz-Executed-Version header.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import {
  LambdaClient,
  CreateFunctionCommand,
  UpdateFunctionCodeCommand,
  PublishVersionCommand,
  ListVersionsByFunctionCommand,
  CreateAliasCommand,
  GetAliasCommand,
  UpdateAliasCommand,
  DeleteAliasCommand,
  ListAliasesCommand,
  InvokeCommand,
  GetFunctionCommand,
  DeleteFunctionCommand,
  ResourceNotFoundException,
  ResourceConflictException,
  PreconditionFailedException,
  InvalidParameterValueException,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
  paginateListVersionsByFunction,
} from '@aws-sdk/client-lambda';
import { RuncRuntime } from '@lambdock/sandbox';
import { createLogger } from '@lambdock/common';
import { createPlatform, type Platform } from '@lambdock/platform';
import { AWS_CLI } from '../support/system.js';
import { run } from '../support/run.js';
import { platformFixtureUnavailable } from '../support/platform-fixture.js';
import { ImageFactory, freePort, shHandler, startRegistry } from '@lambdock/platform/testing';
import type { TestRegistry } from '@lambdock/platform/testing';


const work = mkdtempSync(join(tmpdir(), 'lambdock-e2e-versions-'));
const skip = await platformFixtureUnavailable(work);

const role = 'arn:aws:iam::123456789012:role/lambda-role';
const ARN = 'arn:aws:lambda:us-east-1:123456789012:function';

describe('versions and aliases with the AWS CLI v2 and the SDK', { skip }, () => {
  let platform: Platform;
  let registry: TestRegistry;
  let images: InstanceType<typeof ImageFactory>;
  let endpoint = '';
  let lambda: LambdaClient;
  let imageV1 = '';
  let imageV2 = '';
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
    return r.stderr;
  };
  /** CLI invoke: the function's answer and the ExecutedVersion the CLI printed. */
  const cliInvoke = async (...args: string[]) => {
    const out = join(work, `out-${Math.random().toString(36).slice(2)}.json`);
    const meta = await ok('invoke', ...args, out);
    return { meta, body: JSON.parse(readFileSync(out, 'utf8')) as Record<string, any> };
  };
  const sdkInvoke = async (name: string, qualifier?: string) => {
    const r = await lambda.send(new InvokeCommand({ FunctionName: name, ...(qualifier ? { Qualifier: qualifier } : {}), Payload: Buffer.from('{"k":1}') }));
    return { version: r.ExecutedVersion, body: JSON.parse(Buffer.from(r.Payload!).toString()) as Record<string, any> };
  };

  before(async () => {
    registry = await startRegistry();
    images = new ImageFactory();
    imageV1 = `${registry.host}/versions/fn:v1`;
    imageV2 = `${registry.host}/versions/fn:v2`;
    await images.push(imageV1, { 'var/task/function.sh': shHandler('v1') });
    await images.push(imageV2, { 'var/task/function.sh': shHandler('v2') });
    const port = await freePort();
    platform = await createPlatform({
      home: work,
      sandbox: new RuncRuntime({ stateDir: join(work, 'sandbox'), runtimeApiPort: port }),
      runtimeApiPort: port,
      accountConcurrency: 200,
      pool: { freezeAfterMs: 100, idleTimeoutMs: 60_000 },
      logger: createLogger({ level: 'error', base: { component: 'e2e' } }),
    });
    const server = await platform.listen(0);
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    lambda = new LambdaClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  });

  after(async () => {
    lambda?.destroy();
    await platform?.close();
    await registry?.stop();
    images?.close();
    rmSync(work, { recursive: true, force: true });
  });

  test('publish, list, invoke by version/qualifier/ARN, aliases with weights, delete rules', async () => {
    // CreateFunction, then PublishVersion with the CLI; publishing again without changes returns the same version.
    await lambda.send(new CreateFunctionCommand({ FunctionName: 'ver', PackageType: 'Image', Code: { ImageUri: imageV1 }, Role: role }));
    await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 120 }, { FunctionName: 'ver' });
    const latest = await ok('get-function-configuration', '--function-name', 'ver');
    await fails('PreconditionFailedException', 'publish-version', '--function-name', 'ver', '--revision-id', 'stale-revision');
    await fails('InvalidParameterValueException', 'publish-version', '--function-name', 'ver', '--code-sha256', 'abc');
    const v1 = await ok('publish-version', '--function-name', 'ver', '--description', 'first', '--code-sha256', latest['CodeSha256'], '--revision-id', latest['RevisionId']);
    assert.equal(v1['Version'], '1');
    assert.equal(v1['FunctionArn'], `${ARN}:ver:1`);
    assert.equal(v1['Description'], 'first');
    assert.equal(v1['CodeSha256'], latest['CodeSha256']);
    assert.equal(v1['State'], 'Active');
    const again = await lambda.send(new PublishVersionCommand({ FunctionName: 'ver' }));
    assert.equal(again.Version, '1', 'unchanged code and configuration: the existing version');
    assert.equal(again.RevisionId, v1['RevisionId']);

    // UpdateFunctionCode with Publish: version 2 appears once the new image is ready.
    await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'ver', ImageUri: imageV2, Publish: true }));
    await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 120 }, { FunctionName: 'ver' });
    let versions: string[] = [];
    for (let i = 0; i < 100 && !versions.includes('2'); i++) {
      versions = ((await ok('list-versions-by-function', '--function-name', 'ver'))['Versions'] as Array<{ Version: string }>).map((v) => v.Version);
      if (!versions.includes('2')) await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(versions, ['$LATEST', '1', '2']);
    const paged: string[] = [];
    for await (const page of paginateListVersionsByFunction({ client: lambda, pageSize: 1 }, { FunctionName: 'ver' })) paged.push(...(page.Versions ?? []).map((v) => v.Version!));
    assert.deepEqual(paged, ['$LATEST', '1', '2'], 'the SDK paginator walks every page');
    const everything = await ok('list-functions', '--function-version', 'ALL');
    assert.deepEqual(everything['Functions'].filter((f: { FunctionName: string }) => f.FunctionName === 'ver').map((f: { Version: string }) => f.Version), ['$LATEST', '1', '2']);

    // Invoke by Qualifier, by name:qualifier, by qualified ARN; ExecutedVersion tells the truth.
    assert.deepEqual(await sdkInvoke('ver', '1').then((r) => [r.version, r.body['mark']]), ['1', 'v1']);
    assert.deepEqual(await sdkInvoke('ver', '2').then((r) => [r.version, r.body['mark']]), ['2', 'v2']);
    assert.deepEqual(await sdkInvoke('ver').then((r) => [r.version, r.body['mark']]), ['$LATEST', 'v2']);
    const byName = await cliInvoke('--function-name', 'ver:1');
    assert.equal(byName.meta['ExecutedVersion'], '1');
    assert.equal(byName.body['mark'], 'v1');
    const byArn = await cliInvoke('--function-name', `${ARN}:ver:2`);
    assert.equal(byArn.meta['ExecutedVersion'], '2');
    const byQualifier = await cliInvoke('--function-name', 'ver', '--qualifier', '1');
    assert.equal(byQualifier.body['mark'], 'v1');
    assert.match(byQualifier.body['stream'], /\[1\][0-9a-f]{32}$/, 'a version logs to streams of its own');
    await fails('ResourceNotFoundException', 'invoke', '--function-name', 'ver', '--qualifier', '9', join(work, 'none.json'));
    await assert.rejects(lambda.send(new InvokeCommand({ FunctionName: 'ver:nosuchalias' })), ResourceNotFoundException);
    // Each version runs in environments of its own.
    const envs = platform.services.environments();
    assert.ok(envs['ver'] && envs['ver:1'] && envs['ver:2'], JSON.stringify(envs));

    // GetFunction / GetFunctionConfiguration with a Qualifier.
    const cfg1 = await ok('get-function-configuration', '--function-name', 'ver', '--qualifier', '1');
    assert.equal(cfg1['Version'], '1');
    assert.equal(cfg1['CodeSha256'], latest['CodeSha256']);
    const fn2 = await lambda.send(new GetFunctionCommand({ FunctionName: 'ver', Qualifier: '2' }));
    assert.equal(fn2.Configuration?.Version, '2');
    assert.notEqual(fn2.Configuration?.CodeSha256, latest['CodeSha256']);
    await fails('ResourceNotFoundException', 'get-function', '--function-name', 'ver', '--qualifier', '42');
    // Versions are immutable: configuration changes go to $LATEST only.
    await fails('InvalidParameterValueException', 'update-function-configuration', '--function-name', 'ver:1', '--timeout', '9');
    assert.equal((await ok('get-function-configuration', '--function-name', 'ver', '--qualifier', '1'))['Timeout'], 3);

    // Aliases: CLI create/get/list, SDK update with weights.
    const live = await ok('create-alias', '--function-name', 'ver', '--name', 'live', '--function-version', '1', '--description', 'production');
    assert.equal(live['AliasArn'], `${ARN}:ver:live`);
    assert.equal(live['FunctionVersion'], '1');
    await fails('ResourceConflictException', 'create-alias', '--function-name', 'ver', '--name', 'live', '--function-version', '1');
    await fails('ResourceNotFoundException', 'create-alias', '--function-name', 'ver', '--name', 'ghost', '--function-version', '7');
    await fails('ResourceNotFoundException', 'get-alias', '--function-name', 'ver', '--name', 'missing');
    const got = await ok('get-alias', '--function-name', 'ver', '--name', 'live');
    assert.equal(got['RevisionId'], live['RevisionId']);
    assert.equal(got['Description'], 'production');
    assert.deepEqual(((await ok('list-aliases', '--function-name', 'ver'))['Aliases'] as Array<{ Name: string }>).map((a) => a.Name), ['live']);
    assert.deepEqual(await sdkInvoke('ver', 'live').then((r) => [r.version, r.body['mark']]), ['1', 'v1']);
    const cfgLive = await lambda.send(new GetFunctionCommand({ FunctionName: 'ver', Qualifier: 'live' }));
    assert.equal(cfgLive.Configuration?.Version, '1');
    assert.equal(cfgLive.Configuration?.FunctionArn, `${ARN}:ver:live`, 'the ARN as asked, the configuration of the version');

    await assert.rejects(lambda.send(new UpdateAliasCommand({ FunctionName: 'ver', Name: 'live', RevisionId: 'stale', RoutingConfig: { AdditionalVersionWeights: { '2': 0.5 } } })), PreconditionFailedException);
    await fails('ValidationException', 'update-alias', '--function-name', 'ver', '--name', 'live', '--routing-config', 'AdditionalVersionWeights={2=1.5}');
    await fails('ValidationException', 'update-alias', '--function-name', 'ver', '--name', 'live', '--function-version', '$LATEST', '--routing-config', 'AdditionalVersionWeights={1=0.2,2=0.3}');
    await fails('InvalidParameterValueException', 'update-alias', '--function-name', 'ver', '--name', 'live', '--routing-config', 'AdditionalVersionWeights={1=0.5}');
    await assert.rejects(lambda.send(new UpdateAliasCommand({ FunctionName: 'ver', Name: 'live', FunctionVersion: '$LATEST', RoutingConfig: { AdditionalVersionWeights: { '2': 0.5 } } })), InvalidParameterValueException);
    const weighted = await lambda.send(new UpdateAliasCommand({ FunctionName: 'ver', Name: 'live', RevisionId: got['RevisionId'], RoutingConfig: { AdditionalVersionWeights: { '2': 0.5 } } }));
    assert.deepEqual(weighted.RoutingConfig?.AdditionalVersionWeights, { '2': 0.5 });
    assert.notEqual(weighted.RevisionId, got['RevisionId']);
    const seen = new Map<string, number>();
    for (let i = 0; i < 40; i++) {
      const r = await sdkInvoke('ver', 'live');
      assert.equal(r.body['mark'], r.version === '1' ? 'v1' : 'v2', 'X-Amz-Executed-Version names the version that ran');
      seen.set(r.version!, (seen.get(r.version!) ?? 0) + 1);
    }
    assert.ok((seen.get('1') ?? 0) > 3 && (seen.get('2') ?? 0) > 3, `both versions get traffic: ${JSON.stringify([...seen])}`);
    assert.deepEqual(((await lambda.send(new ListAliasesCommand({ FunctionName: 'ver', FunctionVersion: '2' }))).Aliases ?? []).map((a) => a.Name), ['live']);

    // A version an alias uses cannot be deleted (409); after the alias goes, it can.
    await fails('ResourceConflictException', 'delete-function', '--function-name', 'ver', '--qualifier', '2');
    await assert.rejects(lambda.send(new DeleteFunctionCommand({ FunctionName: 'ver', Qualifier: '1' })), ResourceConflictException);
    await ok('delete-alias', '--function-name', 'ver', '--name', 'live');
    await assert.rejects(lambda.send(new GetAliasCommand({ FunctionName: 'ver', Name: 'live' })), ResourceNotFoundException);
    await ok('delete-function', '--function-name', 'ver', '--qualifier', '1');
    await assert.rejects(lambda.send(new GetFunctionCommand({ FunctionName: 'ver', Qualifier: '1' })), ResourceNotFoundException);
    await fails('ResourceNotFoundException', 'delete-function', '--function-name', 'ver', '--qualifier', '1');
    await fails('InvalidParameterValueException', 'delete-function', '--function-name', 'ver', '--qualifier', '$LATEST');
    const left = (await lambda.send(new ListVersionsByFunctionCommand({ FunctionName: 'ver' }))).Versions!.map((v) => v.Version);
    assert.deepEqual(left, ['$LATEST', '2']);
    // Version numbers are never reused: the next publish after a change is 3.
    await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'ver', ImageUri: imageV1 }));
    await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 120 }, { FunctionName: 'ver' });
    assert.equal((await lambda.send(new PublishVersionCommand({ FunctionName: 'ver' }))).Version, '3');
    await lambda.send(new CreateAliasCommand({ FunctionName: 'ver', Name: 'blue', FunctionVersion: '3' }));
    await lambda.send(new DeleteAliasCommand({ FunctionName: 'ver', Name: 'blue' }));
    // CreateFunction with Publish: version 1 is published once the image is ready.
    await lambda.send(new CreateFunctionCommand({ FunctionName: 'pub', PackageType: 'Image', Code: { ImageUri: imageV2 }, Role: role, Publish: true }));
    await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 120 }, { FunctionName: 'pub' });
    let pub: Array<string | undefined> = [];
    for (let i = 0; i < 100 && pub.length < 2; i++) {
      pub = (await lambda.send(new ListVersionsByFunctionCommand({ FunctionName: 'pub' }))).Versions!.map((v) => v.Version);
      if (pub.length < 2) await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(pub, ['$LATEST', '1']);
    assert.deepEqual(await sdkInvoke('pub', '1').then((r) => [r.version, r.body['mark']]), ['1', 'v2']);
    await lambda.send(new DeleteFunctionCommand({ FunctionName: 'pub' }));
    // Deleting the function takes its versions and aliases with it.
    await ok('delete-function', '--function-name', 'ver');
    await fails('ResourceNotFoundException', 'list-versions-by-function', '--function-name', 'ver');
  });
});
