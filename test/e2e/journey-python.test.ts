/**
 * The user's journey for Python, as design.md walks it, through `lambdock up` and real tools only:
 * a Dockerfile FROM lambdock/python:3.11 (the mission document's example, adapted only in FROM),
 * `docker build`, `aws ecr get-login-password | docker login`, `docker push`, then the AWS CLI v2:
 * create-function, wait function-active-v2, invoke --log-type Tail, a function error,
 * update-function-code to a new image, delete-function. Every invoke runs in a runc sandbox.
 * The figures a user would feel (create → Active, cold and warm invoke as the CLI sees them,
 * the REPORT line's Init Duration) are printed as test diagnostics; nothing asserts on time.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildBaseImages, defaultArtifacts } from '@lambdock/base-images';
import { startUp, upUnavailable, type Up } from '../support/lambdock-up.js';
import { AWS_CLI, commandExists, dockerAvailable } from '../support/system.js';
import { awsCli, awsEnv, must as mustRun, run, type RunOptions } from '../support/run.js';

const skip =
  upUnavailable() ??
  (!dockerAvailable()
    ? 'no Docker engine answers'
    : !commandExists(AWS_CLI)
      ? 'AWS CLI v2 not installed at /usr/bin/aws'
      : !commandExists('skopeo')
        ? 'skopeo not installed (base images are loaded into docker with it)'
        : !commandExists('curl')
          ? 'curl not installed'
          : !existsSync(defaultArtifacts().emulatorBuild ?? '')
            ? 'the emulator build script is missing (base images need it)'
            : undefined);

const RUN = `${process.pid}-${Date.now().toString(36)}`;
const FN = 'journey-python';
const ROLE = 'arn:aws:iam::123456789012:role/lambda-execution-role';
const work = mkdtempSync(join(tmpdir(), 'lambdock-journey-python-'));
let up: Up | undefined;
let repo = '';
const tags: string[] = [];

const must = (cmd: string, args: string[], opts: RunOptions = {}) => mustRun(cmd, args, opts, () => up?.output() ?? '');

const { aws, awsOk } = awsCli(() => up!.endpoint, () => up?.output() ?? '');

const APP_V1 = `import json
import logging
import sys

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def lambda_handler(event, context):
    logger.info("received event: %s", json.dumps(event))
    print("hello from print")
    if event.get("reject"):
        raise ValueError("cannot process " + str(event["reject"]))
    return {
        "statusCode": 200,
        "body": json.dumps({"message": "hello " + event.get("name", "world"), "version": "v1"}),
        "python": sys.version.split()[0],
        "requestId": context.aws_request_id,
        "functionName": context.function_name,
        "memory": context.memory_limit_in_mb,
    }
`;

const APP_V2 = `import json


def lambda_handler(event, context):
    print("v2 handling", context.aws_request_id)
    return {"statusCode": 200, "body": json.dumps({"message": "hello again", "version": "v2"})}
`;

/** The mission document's Dockerfile with only FROM changed (no pip in our image, so no requirements step). */
const DOCKERFILE = 'FROM lambdock/python:3.11\n\n# Copy function code\nCOPY app.py ${LAMBDA_TASK_ROOT}\n\n# Set the CMD to your handler\nCMD ["app.lambda_handler"]\n';

async function dockerBuild(version: string, app: string): Promise<string> {
  const dir = join(work, version);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'Dockerfile'), DOCKERFILE);
  writeFileSync(join(dir, 'app.py'), app);
  const tag = `${repo}:${version}`;
  await must('docker', ['build', '-q', '-t', tag, '.'], { cwd: dir });
  tags.push(tag);
  return tag;
}

function report(log: string): string {
  const line = /^REPORT RequestId: .*$/m.exec(log);
  assert.ok(line, `a REPORT line in the log tail:\n${log}`);
  return line[0];
}

/** The REPORT line's figures, for the printed summary. */
const brief = (reportLine: string) => reportLine.split('\t').slice(1).filter((f) => f.trim()).join(' | ');
const figures: string[] = [];

describe('journey: Python 3.11 image → registry → AWS CLI v2 → runc sandbox', { skip, timeout: 900_000 }, () => {
  before(async () => {
    [up] = await Promise.all([startUp(), buildBaseImages({ images: ['python:3.11'], load: true, output: join(work, 'base-layout') })]);
    repo = `${up.registry}/journey-python-${RUN}`;
  });

  after(async () => {
    for (const t of tags) spawnSync('docker', ['rmi', '-f', t], { stdio: 'ignore' });
    if (up) spawnSync('docker', ['logout', up.registry], { stdio: 'ignore' });
    await up?.stop();
    rmSync(work, { recursive: true, force: true });
    if (figures.length) console.log(`# journey-python figures (node --test test/dist/e2e/journey-python.test.js):\n${figures.map((f) => `#   ${f}`).join('\n')}`);
  });

  test('docker build, docker run + curl locally, ECR login, docker push', async () => {
    const image = await dockerBuild('v1', APP_V1);
    // Test locally first, as the mission document does: the emulator inside the image answers curl.
    const container = (await must('docker', ['run', '-d', '--rm', '-p', '127.0.0.1::8080', image])).stdout.trim();
    try {
      const mapping = (await must('docker', ['port', container, '8080/tcp'])).stdout.split('\n')[0]!;
      const port = mapping.slice(mapping.lastIndexOf(':') + 1);
      const local = await must('curl', ['-sS', '--max-time', '15', '--retry', '40', '--retry-delay', '0', '--retry-max-time', '60', '--retry-all-errors', '-XPOST', `http://127.0.0.1:${port}/2015-03-31/functions/function/invocations`, '-d', '{"name": "local"}']);
      assert.deepEqual(JSON.parse(JSON.parse(local.stdout)['body']), { message: 'hello local', version: 'v1' });
    } finally {
      await run('docker', ['rm', '-f', container]);
    }
    const created = await awsOk('ecr', 'create-repository', '--repository-name', `journey-python-${RUN}`);
    assert.equal(created.json['repository']['repositoryUri'], repo);
    // The documented command line, pipe included.
    const login = await must('sh', ['-c', `${AWS_CLI} --endpoint-url ${up!.endpoint} ecr get-login-password | docker login --username AWS --password-stdin ${up!.registry}`], { env: awsEnv() });
    assert.match(login.stdout, /Login Succeeded/);
    await must('docker', ['push', image]);
    const images = await awsOk('ecr', 'describe-images', '--repository-name', `journey-python-${RUN}`);
    assert.deepEqual(images.json['imageDetails'].flatMap((d: { imageTags?: string[] }) => d.imageTags ?? []), ['v1']);
  });

  test('create-function, wait function-active-v2, invoke --log-type Tail (cold, then warm)', async () => {
    const t0 = performance.now();
    const created = await awsOk('lambda', 'create-function', '--function-name', FN, '--package-type', 'Image', '--code', `ImageUri=${repo}:v1`, '--role', ROLE);
    assert.equal(created.json['State'], 'Pending');
    assert.equal(created.json['PackageType'], 'Image');
    assert.equal(created.json['FunctionArn'], `arn:aws:lambda:us-east-1:123456789012:function:${FN}`);
    await awsOk('lambda', 'wait', 'function-active-v2', '--function-name', FN);
    figures.push(`create-function → wait function-active-v2 returned: ${(performance.now() - t0).toFixed(0)} ms (the CLI waiter polls every 1 s)`);

    const out = join(work, 'out.json');
    const invoke = (payload: string) => awsOk('lambda', 'invoke', '--function-name', FN, '--cli-binary-format', 'raw-in-base64-out', '--payload', payload, '--log-type', 'Tail', out);
    const cold = await invoke('{"name": "journey"}');
    assert.equal(cold.json['StatusCode'], 200);
    assert.equal(cold.json['ExecutedVersion'], '$LATEST');
    assert.equal(cold.json['FunctionError'], undefined);
    const result = JSON.parse(readFileSync(out, 'utf8')) as Record<string, any>;
    assert.equal(result['statusCode'], 200);
    assert.deepEqual(JSON.parse(result['body']), { message: 'hello journey', version: 'v1' });
    assert.match(result['python'], /^3\.11\./);
    assert.equal(result['functionName'], FN);
    assert.equal(String(result['memory']), '128');
    const id = result['requestId'] as string;
    assert.match(id, /^[0-9a-f-]{36}$/);

    const log = Buffer.from(cold.json['LogResult'], 'base64').toString('utf8');
    assert.match(log, new RegExp(`^START RequestId: ${id} Version: \\$LATEST$`, 'm'));
    // Python's logging module in Lambda's format: [LEVEL]\t<ISO time>\t<request id>\t<message>.
    assert.match(log, new RegExp(`^\\[INFO\\]\\t\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\\t${id}\\treceived event: \\{"name": "journey"\\}$`, 'm'));
    assert.match(log, /^hello from print$/m);
    assert.match(log, new RegExp(`^END RequestId: ${id}$`, 'm'));
    const coldReport = report(log);
    assert.match(coldReport, new RegExp(`^REPORT RequestId: ${id}\\tDuration: [\\d.]+ ms\\tBilled Duration: \\d+ ms\\tMemory Size: 128 MB\\tMax Memory Used: \\d+ MB\\tInit Duration: [\\d.]+ ms`));

    const warm = await invoke('{"name": "wörld 🌍"}');
    assert.equal(warm.json['StatusCode'], 200);
    assert.equal(JSON.parse(JSON.parse(readFileSync(out, 'utf8'))['body'])['message'], 'hello wörld 🌍', 'non-ASCII text survives the round trip');
    const warmReport = report(Buffer.from(warm.json['LogResult'], 'base64').toString('utf8'));
    assert.doesNotMatch(warmReport, /Init Duration/, 'a warm environment reports no Init Duration');
    // Reference: the same CLI answering a call that starts no sandbox, so the invoke figures can be read net of the CLI's own start.
    const floor = await awsOk('lambda', 'get-function-configuration', '--function-name', FN);
    figures.push(`cold invoke (aws lambda invoke, CLI wall time): ${cold.ms.toFixed(0)} ms; ${brief(coldReport)}`);
    figures.push(`warm invoke (aws lambda invoke, CLI wall time): ${warm.ms.toFixed(0)} ms; ${brief(warmReport)}`);
    figures.push(`reference: aws lambda get-function-configuration (CLI wall time, no sandbox): ${floor.ms.toFixed(0)} ms`);
  });

  test('a raised exception is FunctionError Unhandled with errorMessage, errorType and stackTrace', async () => {
    const out = join(work, 'err.json');
    const r = await aws('lambda', 'invoke', '--function-name', FN, '--cli-binary-format', 'raw-in-base64-out', '--payload', '{"reject": "this"}', '--log-type', 'Tail', out);
    assert.equal(r.status, 0, r.stderr);
    const meta = JSON.parse(r.stdout) as Record<string, any>;
    assert.equal(meta['StatusCode'], 200);
    assert.equal(meta['FunctionError'], 'Unhandled');
    const err = JSON.parse(readFileSync(out, 'utf8')) as { errorMessage: string; errorType: string; requestId: string; stackTrace: string[] };
    assert.equal(err.errorType, 'ValueError');
    assert.equal(err.errorMessage, 'cannot process this');
    assert.ok(Array.isArray(err.stackTrace) && err.stackTrace.length > 0, 'a stack trace');
    assert.match(err.stackTrace.join(''), /File "\/var\/task\/app\.py", line 13, in lambda_handler/);
    const log = Buffer.from(meta['LogResult'], 'base64').toString('utf8');
    assert.match(log, /\[ERROR\] ValueError: cannot process this\rTraceback \(most recent call last\):/);
    assert.match(log, /^REPORT RequestId: /m);

    // The raw HTTP response carries X-Amz-Function-Error, which the CLI turns into FunctionError.
    const debug = await aws('--debug', 'lambda', 'invoke', '--function-name', FN, '--cli-binary-format', 'raw-in-base64-out', '--payload', '{"reject": 1}', out);
    assert.match(debug.stderr, /['"]X-Amz-Function-Error['"]: ['"]Unhandled['"]/i);
    // The environment survived a handled error: the next invoke is a plain success.
    const next = await awsOk('lambda', 'invoke', '--function-name', FN, out);
    assert.equal(next.json['FunctionError'], undefined);
    assert.equal(JSON.parse(JSON.parse(readFileSync(out, 'utf8'))['body'])['message'], 'hello world');
  });

  test('a handler module that does not import is Runtime.ImportModuleError on invoke; the platform carries on', async () => {
    const broken = `${FN}-broken`;
    await awsOk('lambda', 'create-function', '--function-name', broken, '--package-type', 'Image', '--code', `ImageUri=${repo}:v1`, '--role', ROLE, '--image-config', 'Command=nothere.lambda_handler');
    await awsOk('lambda', 'wait', 'function-active-v2', '--function-name', broken);
    const out = join(work, 'broken.json');
    for (let i = 0; i < 2; i++) {
      const r = await awsOk('lambda', 'invoke', '--function-name', broken, '--log-type', 'Tail', out);
      assert.equal(r.json['StatusCode'], 200);
      assert.equal(r.json['FunctionError'], 'Unhandled');
      const err = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
      assert.equal(err['errorType'], 'Runtime.ImportModuleError');
      assert.equal(err['errorMessage'], "Unable to import module 'nothere': No module named 'nothere'");
    }
    await awsOk('lambda', 'delete-function', '--function-name', broken);
    const ok = await awsOk('lambda', 'invoke', '--function-name', FN, out);
    assert.equal(ok.json['FunctionError'], undefined);
  });

  test('aws logs tail shows the invokes in the function’s log group', async () => {
    const r = await must(AWS_CLI, ['--endpoint-url', up!.endpoint, 'logs', 'tail', `/aws/lambda/${FN}`, '--since', '10m', '--format', 'short'], { env: awsEnv() });
    assert.match(r.stdout, /START RequestId: [0-9a-f-]{36} Version: \$LATEST/);
    assert.match(r.stdout, /\[INFO\]\t[\dT:.-]+Z\t[0-9a-f-]{36}\treceived event: \{"name": "journey"\}/);
    assert.match(r.stdout, /hello from print/);
    assert.match(r.stdout, /\[ERROR\] ValueError: cannot process this/);
    assert.match(r.stdout, /REPORT RequestId: [0-9a-f-]{36}\tDuration: /);
  });

  test('update-function-code to a new image, wait function-updated-v2, invoke runs the new code', async () => {
    const image = await dockerBuild('v2', APP_V2);
    await must('docker', ['push', image]);
    const upd = await awsOk('lambda', 'update-function-code', '--function-name', FN, '--image-uri', image);
    assert.equal(upd.json['LastUpdateStatus'], 'InProgress');
    await awsOk('lambda', 'wait', 'function-updated-v2', '--function-name', FN);
    const out = join(work, 'v2.json');
    const inv = await awsOk('lambda', 'invoke', '--function-name', FN, '--log-type', 'Tail', out);
    assert.deepEqual(JSON.parse(JSON.parse(readFileSync(out, 'utf8'))['body']), { message: 'hello again', version: 'v2' });
    assert.match(Buffer.from(inv.json['LogResult'], 'base64').toString('utf8'), /^v2 handling [0-9a-f-]{36}$/m);
    const got = await awsOk('lambda', 'get-function', '--function-name', FN);
    assert.equal(got.json['Code']['ImageUri'], image);
    assert.match(got.json['Code']['ResolvedImageUri'], new RegExp(`^${repo}@sha256:[0-9a-f]{64}$`));
  });

  test('delete-function: gone for the CLI, the image stays in the registry', async () => {
    await awsOk('lambda', 'delete-function', '--function-name', FN);
    const gone = await aws('lambda', 'get-function', '--function-name', FN);
    assert.notEqual(gone.status, 0);
    assert.match(gone.stderr, new RegExp(`ResourceNotFoundException.*Function not found: arn:aws:lambda:us-east-1:123456789012:function:${FN}`));
    const inv = await aws('lambda', 'invoke', '--function-name', FN, join(work, 'gone.json'));
    assert.match(inv.stderr, /ResourceNotFoundException/);
    const images = await awsOk('ecr', 'list-images', '--repository-name', `journey-python-${RUN}`);
    assert.deepEqual(images.json['imageIds'].map((i: { imageTag?: string }) => i.imageTag).filter(Boolean).sort(), ['v1', 'v2']);
  });
});
