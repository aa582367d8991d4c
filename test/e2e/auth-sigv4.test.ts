/**
 * SigV4 authentication of `lambdock up` bound off loopback-default (127.0.0.2) with
 * configured credentials: the AWS CLI v2 and the SDKs with the right keys get through;
 * a wrong secret, an unknown key or no signature get AWS's errors — in the Lambda
 * format for the Lambda API, in JSON 1.1 for CloudWatch Logs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LambdaClient, ListFunctionsCommand, GetAccountSettingsCommand, GetFunctionCommand } from '@aws-sdk/client-lambda';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CLI, freePort } from '../support/lambdock-up.js';
import { AWS_CLI, commandExists } from '../support/system.js';

const HOST = '127.0.0.2';
const KEY = 'AKIDLAMBDOCKE2E';
const SECRET = 'e2e-secret-access-key';
const skip = process.platform !== 'linux' ? '127.0.0.2 is a loopback address only on Linux' : !commandExists(AWS_CLI) ? 'AWS CLI v2 not installed at /usr/bin/aws' : false;

let child: ChildProcess | undefined;
let home = '';
let endpoint = '';
let output = '';

function aws(args: string[], secret: string, key = KEY): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(AWS_CLI, ['--endpoint-url', endpoint, '--output', 'json', ...args], {
      env: { ...process.env, AWS_ACCESS_KEY_ID: key, AWS_SECRET_ACCESS_KEY: secret, AWS_REGION: 'us-east-1', AWS_PAGER: '', AWS_MAX_ATTEMPTS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    p.on('close', (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
}

describe('SigV4 required: lambdock up on 127.0.0.2 with credentials', { skip }, () => {
  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'lambdock-auth-'));
    const [api, reg] = [await freePort(), await freePort()];
    const rapi = 20000 + Math.floor(Math.random() * 9000);
    child = spawn(process.execPath, [CLI, 'up', '--host', HOST, '--home', home, '--port', String(api), '--registry-port', String(reg), '--runtime-api-port', String(rapi)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LAMBDOCK_LOG_LEVEL: 'warn', LAMBDOCK_ACCESS_KEY_ID: KEY, LAMBDOCK_SECRET_ACCESS_KEY: SECRET },
    });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`lambdock up did not start in 60 s:\n${output}`)), 60_000);
      child!.stdout!.on('data', () => {
        if (output.includes('Lambdock is up')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child!.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`lambdock up exited with ${code}:\n${output}`));
      });
    });
    endpoint = `http://${HOST}:${api}`;
  });

  after(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    rmSync(home, { recursive: true, force: true, maxRetries: 3 });
  });

  test('SDK: the configured key works; a wrong secret gets 403 InvalidSignatureException, an unknown key UnrecognizedClientException', async () => {
    const good = new LambdaClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: KEY, secretAccessKey: SECRET }, maxAttempts: 1 });
    assert.deepEqual((await good.send(new ListFunctionsCommand({}))).Functions, []);
    assert.ok((await good.send(new GetAccountSettingsCommand({}))).AccountLimit);
    await assert.rejects(good.send(new GetFunctionCommand({ FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:nothere', Qualifier: '$LATEST' })), (err: Error) => err.name === 'ResourceNotFoundException');
    assert.deepEqual((await good.send(new ListFunctionsCommand({ MaxItems: 5, Marker: 'a b/c+d' }))).Functions, []);
    good.destroy();
    const wrong = new LambdaClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: KEY, secretAccessKey: 'not-the-secret' }, maxAttempts: 1 });
    await assert.rejects(wrong.send(new ListFunctionsCommand({})), (err: Error & { $metadata?: { httpStatusCode?: number } }) => {
      assert.equal(err.name, 'InvalidSignatureException');
      assert.equal(err.$metadata?.httpStatusCode, 403);
      assert.match(err.message, /signature we calculated does not match/);
      return true;
    });
    wrong.destroy();
    const stranger = new LambdaClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDSTRANGER', secretAccessKey: SECRET }, maxAttempts: 1 });
    await assert.rejects(stranger.send(new ListFunctionsCommand({})), (err: Error) => err.name === 'UnrecognizedClientException');
    stranger.destroy();
  });

  test('AWS CLI v2: lambda and logs commands with the right secret succeed, with a wrong one fail with InvalidSignatureException', async () => {
    const ok = await aws(['lambda', 'list-functions'], SECRET);
    assert.equal(ok.status, 0, ok.stderr);
    assert.deepEqual(JSON.parse(ok.stdout), { Functions: [] });
    const bad = await aws(['lambda', 'list-functions'], 'wrong-secret');
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /\(InvalidSignatureException\).*The request signature we calculated does not match/);
    const logsOk = await aws(['logs', 'describe-log-groups'], SECRET);
    assert.equal(logsOk.status, 0, logsOk.stderr);
    const logsBad = await aws(['logs', 'describe-log-groups'], 'wrong-secret');
    assert.match(logsBad.stderr, /\(InvalidSignatureException\)/);
    // Percent-encoded paths (ARNs) and query strings are part of what is signed.
    const arn = await aws(['lambda', 'get-function', '--function-name', 'arn:aws:lambda:us-east-1:123456789012:function:nothere', '--qualifier', '$LATEST'], SECRET);
    assert.match(arn.stderr, /\(ResourceNotFoundException\)/);
    const unknown = await aws(['lambda', 'get-account-settings'], SECRET, 'AKIDUNKNOWN');
    assert.match(unknown.stderr, /\(UnrecognizedClientException\).*security token included in the request is invalid/);
  });

  test('CloudWatch Logs SDK and unsigned HTTP: JSON 1.1 and Lambda error formats', async () => {
    const logs = new CloudWatchLogsClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: KEY, secretAccessKey: 'nope' }, maxAttempts: 1 });
    await assert.rejects(logs.send(new DescribeLogGroupsCommand({})), (err: Error) => err.name === 'InvalidSignatureException');
    logs.destroy();
    const good = new CloudWatchLogsClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: KEY, secretAccessKey: SECRET }, maxAttempts: 1 });
    assert.deepEqual((await good.send(new DescribeLogGroupsCommand({}))).logGroups, []);
    good.destroy();
    const unsigned = await fetch(`${endpoint}/2015-03-31/functions/`);
    assert.equal(unsigned.status, 403);
    assert.equal(unsigned.headers.get('x-amzn-errortype'), 'MissingAuthenticationTokenException');
    const unsignedLogs = await fetch(endpoint, { method: 'POST', headers: { 'x-amz-target': 'Logs_20140328.DescribeLogGroups', 'content-type': 'application/x-amz-json-1.1' }, body: '{}' });
    assert.equal(unsignedLogs.status, 403);
    assert.equal(((await unsignedLogs.json()) as { __type: string }).__type, 'MissingAuthenticationTokenException');
  });
});
