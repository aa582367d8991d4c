/**
 * Real AWS clients against the emulator's invoke API: @aws-sdk/client-lambda (Invoke,
 * InvokeWithResponseStream) and the AWS CLI v2, with our runtime client running the
 * shared handler fixtures. What they report must be what they report against Lambda.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { LambdaClient, InvokeCommand, InvokeWithResponseStreamCommand } from '@aws-sdk/client-lambda';
import { spawnEmulator, type EmulatorProcess } from '@lambdock/emulator/testing';
import { AWS_CLI, commandExists } from '../support/system.js';

const CLIENT_ENTRY = fileURLToPath(import.meta.resolve('@lambdock/runtime-client'));
const HANDLERS = join(dirname(CLIENT_ENTRY), '..', 'testdata', 'handlers');
const credentials = { accessKeyId: 'AKIDLAMBDOCKTEST', secretAccessKey: 'secret' };
const started: EmulatorProcess[] = [];
const work = mkdtempSync(join(tmpdir(), 'lambdock-emu-clients-'));
after(async () => {
  await Promise.all(started.map((e) => e.stop()));
  rmSync(work, { recursive: true, force: true });
});

async function emulatorFor(root: string, handler: string): Promise<{ e: EmulatorProcess; lambda: LambdaClient }> {
  const e = await spawnEmulator({ args: [process.execPath, CLIENT_ENTRY], env: { ...process.env, LAMBDA_TASK_ROOT: join(HANDLERS, root), _HANDLER: handler } });
  started.push(e);
  return { e, lambda: new LambdaClient({ endpoint: e.url, region: 'us-east-1', credentials }) };
}

test('@aws-sdk/client-lambda Invoke: result, function error and Event', async () => {
  const { lambda } = await emulatorFor('cjs', 'index.asyncEcho');
  const ok = await lambda.send(new InvokeCommand({ FunctionName: 'function', Payload: Buffer.from('{"from":"sdk"}') }));
  assert.equal(ok.StatusCode, 200);
  assert.equal(ok.FunctionError, undefined);
  assert.equal(ok.ExecutedVersion, '$LATEST');
  assert.deepEqual(JSON.parse(Buffer.from(ok.Payload!).toString()), { echo: { from: 'sdk' } });
  const ev = await lambda.send(new InvokeCommand({ FunctionName: 'function', InvocationType: 'Event', Payload: Buffer.from('{}') }));
  assert.equal(ev.StatusCode, 202);

  const { lambda: failing } = await emulatorFor('errors', 'index.asyncThrow');
  const err = await failing.send(new InvokeCommand({ FunctionName: 'my-function', Payload: Buffer.from('{}') }));
  assert.equal(err.StatusCode, 200);
  assert.equal(err.FunctionError, 'Unhandled');
  const body = JSON.parse(Buffer.from(err.Payload!).toString()) as { errorType: string; errorMessage: string };
  assert.equal(body.errorType, 'MyError');
  assert.equal(body.errorMessage, 'something went wrong');
});

test('@aws-sdk/client-lambda InvokeWithResponseStream: chunks arrive as produced, then InvokeComplete', async () => {
  const { lambda } = await emulatorFor('streaming', 'index.chunks');
  const t0 = performance.now();
  const out = await lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: 'function', Payload: Buffer.from('{"gapMs":400}') }));
  assert.equal(out.StatusCode, 200);
  assert.equal(out.ResponseStreamContentType, 'application/octet-stream');
  const chunks: { text: string; at: number }[] = [];
  let complete: { ErrorCode?: string } | undefined;
  for await (const event of out.EventStream!) {
    if (event.PayloadChunk?.Payload) chunks.push({ text: Buffer.from(event.PayloadChunk.Payload).toString(), at: performance.now() - t0 });
    if (event.InvokeComplete) complete = event.InvokeComplete;
  }
  assert.equal(chunks.map((c) => c.text).join(''), 'first,second');
  assert.ok(chunks.length >= 2 && chunks.at(-1)!.at - chunks[0]!.at >= 250, `chunks spaced as written: ${JSON.stringify(chunks)}`);
  assert.deepEqual(complete, {});

  const { lambda: broken } = await emulatorFor('streaming', 'index.midError');
  const bad = await broken.send(new InvokeWithResponseStreamCommand({ FunctionName: 'function', Payload: Buffer.from('{}') }));
  let text = '';
  let done: { ErrorCode?: string; ErrorDetails?: string } | undefined;
  for await (const event of bad.EventStream!) {
    if (event.PayloadChunk?.Payload) text += Buffer.from(event.PayloadChunk.Payload).toString();
    if (event.InvokeComplete) done = event.InvokeComplete;
  }
  assert.equal(text, 'partial');
  assert.equal(done?.ErrorCode, 'Error');
  assert.equal((JSON.parse(done?.ErrorDetails ?? '{}') as { errorMessage: string }).errorMessage, 'stream broke');
});

const cliSkip = !commandExists(AWS_CLI) && 'AWS CLI v2 not installed at /usr/bin/aws';
test('aws lambda invoke (AWS CLI v2) against the emulator', { skip: cliSkip }, async () => {
  const { e } = await emulatorFor('cjs', 'index.asyncEcho');
  const run = promisify(execFile);
  const env = { ...process.env, AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey, AWS_DEFAULT_REGION: 'us-east-1', AWS_PAGER: '' };
  const outFile = join(work, 'out.json');
  const { stdout } = await run(
    AWS_CLI,
    ['lambda', 'invoke', '--endpoint-url', e.url, '--function-name', 'function', '--cli-binary-format', 'raw-in-base64-out', '--payload', '{"from":"cli"}', outFile],
    { env },
  );
  assert.deepEqual(JSON.parse(stdout), { StatusCode: 200, ExecutedVersion: '$LATEST' });
  assert.deepEqual(JSON.parse(readFileSync(outFile, 'utf8')), { echo: { from: 'cli' } });

  const { e: failing } = await emulatorFor('errors', 'index.syncThrow');
  const r = await run(AWS_CLI, ['lambda', 'invoke', '--endpoint-url', failing.url, '--function-name', 'function', outFile], { env });
  assert.deepEqual(JSON.parse(r.stdout), { StatusCode: 200, FunctionError: 'Unhandled', ExecutedVersion: '$LATEST' });
  assert.equal((JSON.parse(readFileSync(outFile, 'utf8')) as { errorType: string }).errorType, 'TypeError');
});
