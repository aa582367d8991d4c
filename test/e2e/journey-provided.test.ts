/**
 * The user's journey for a custom runtime, through `lambdock up` and real tools only: a Dockerfile
 * FROM lambdock/provided:latest with a shell `bootstrap` that speaks the Runtime API with curl, as
 * AWS's custom runtime tutorial writes it, and a `function.sh` handler; `docker build`,
 * `aws ecr get-login-password | docker login`, `docker push`, then the AWS CLI v2: create-function,
 * wait function-active-v2, invoke --log-type Tail, a function error reported by the bootstrap to
 * /runtime/invocation/{id}/error, update-function-code, delete-function. Inside the runc sandbox
 * the bootstrap finds the Runtime API at $AWS_LAMBDA_RUNTIME_API. Figures (create → Active, cold
 * and warm invoke as the CLI sees them, Init Duration) are printed as diagnostics, never asserted.
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
import { awsCli, awsEnv, must as mustRun, type RunOptions } from '../support/run.js';

const skip =
  upUnavailable() ??
  (!dockerAvailable()
    ? 'no Docker engine answers'
    : !commandExists(AWS_CLI)
      ? 'AWS CLI v2 not installed at /usr/bin/aws'
      : !commandExists('skopeo')
        ? 'skopeo not installed (base images are loaded into docker with it)'
        : !existsSync(defaultArtifacts().emulatorBuild ?? '')
          ? 'the emulator build script is missing (base images need it)'
          : undefined);

const RUN = `${process.pid}-${Date.now().toString(36)}`;
const FN = 'journey-provided';
const REPO_NAME = `journey-provided-${RUN}`;
const ROLE = 'arn:aws:iam::123456789012:role/lambda-execution-role';
const work = mkdtempSync(join(tmpdir(), 'lambdock-journey-provided-'));
let up: Up | undefined;
let repo = '';
const tags: string[] = [];

const must = (cmd: string, args: string[], opts: RunOptions = {}) => mustRun(cmd, args, opts, () => up?.output() ?? '');

const { aws, awsOk } = awsCli(() => up!.endpoint, () => up?.output() ?? '');

/** AWS's custom runtime tutorial bootstrap, plus the error report the tutorial leaves out. */
const BOOTSTRAP = `#!/bin/sh
set -euo pipefail

# Initialization - load function handler
source $LAMBDA_TASK_ROOT/"$(echo $_HANDLER | cut -d. -f1).sh"

# Processing
while true
do
  HEADERS="$(mktemp)"
  # Get an event. The HTTP request will block until one is received
  EVENT_DATA=$(curl -sS -LD "$HEADERS" "http://\${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/next")

  # Extract request ID by scraping response headers received above
  REQUEST_ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)

  # Run the handler function from the script
  if RESPONSE=$($(echo "$_HANDLER" | cut -d. -f2) "$EVENT_DATA"); then
    # Send the response
    curl -sS "http://\${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/$REQUEST_ID/response" -d "$RESPONSE" >/dev/null
  else
    curl -sS "http://\${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/$REQUEST_ID/error" \\
      -H "Lambda-Runtime-Function-Error-Type: Function.HandlerFailed" \\
      -d "{\\"errorMessage\\":\\"handler refused the event\\",\\"errorType\\":\\"HandlerFailed\\",\\"stackTrace\\":[\\"function.sh: handler\\"]}" >/dev/null
  fi
  rm -f "$HEADERS"
done
`;

const handlerScript = (version: string) => `function handler () {
  EVENT_DATA=$1
  echo "$EVENT_DATA" 1>&2;
  case "$EVENT_DATA" in
    *'"fail"'*) echo "refusing this event" 1>&2; return 1;;
  esac
  echo "{\\"echo\\":$EVENT_DATA,\\"handler\\":\\"$_HANDLER\\",\\"function\\":\\"$AWS_LAMBDA_FUNCTION_NAME\\",\\"memory\\":\\"$AWS_LAMBDA_FUNCTION_MEMORY_SIZE\\",\\"taskRoot\\":\\"$LAMBDA_TASK_ROOT\\",\\"version\\":\\"${version}\\"}"
}
`;

const DOCKERFILE = 'FROM lambdock/provided:latest\n\nCOPY bootstrap ${LAMBDA_RUNTIME_DIR}\nCOPY function.sh ${LAMBDA_TASK_ROOT}\nRUN chmod 755 ${LAMBDA_RUNTIME_DIR}/bootstrap\n\nCMD ["function.handler"]\n';

async function dockerBuild(version: string): Promise<string> {
  const dir = join(work, version);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'Dockerfile'), DOCKERFILE);
  writeFileSync(join(dir, 'bootstrap'), BOOTSTRAP, { mode: 0o755 });
  writeFileSync(join(dir, 'function.sh'), handlerScript(version));
  // One tag, moved by each build, as most users work: `latest`.
  const tag = `${repo}:latest`;
  // -q prints the image id: the image the tag moves away from is removed by id at the end.
  const id = (await must('docker', ['build', '-q', '-t', tag, '.'], { cwd: dir })).stdout.trim();
  tags.push(id);
  if (!tags.includes(tag)) tags.push(tag);
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
const out = join(work, 'out.json');
const invoke = (payload: string) => awsOk('lambda', 'invoke', '--function-name', FN, '--cli-binary-format', 'raw-in-base64-out', '--payload', payload, '--log-type', 'Tail', out);
const result = () => JSON.parse(readFileSync(out, 'utf8')) as Record<string, any>;

describe('journey: custom runtime (provided, shell bootstrap with curl) → registry → AWS CLI v2 → runc sandbox', { skip, timeout: 900_000 }, () => {
  before(async () => {
    [up] = await Promise.all([startUp(), buildBaseImages({ images: ['provided:latest'], load: true, output: join(work, 'base-layout') })]);
    repo = `${up.registry}/${REPO_NAME}`;
  });

  after(async () => {
    for (const t of tags) spawnSync('docker', ['rmi', '-f', t], { stdio: 'ignore' });
    if (up) spawnSync('docker', ['logout', up.registry], { stdio: 'ignore' });
    await up?.stop();
    rmSync(work, { recursive: true, force: true });
    if (figures.length) console.log(`# journey-provided figures (node --test test/dist/e2e/journey-provided.test.js):\n${figures.map((f) => `#   ${f}`).join('\n')}`);
  });

  test('docker build, ECR login, docker push', async () => {
    const image = await dockerBuild('v1');
    await awsOk('ecr', 'create-repository', '--repository-name', REPO_NAME);
    // The documented command line, pipe included.
    const login = await must('sh', ['-c', `${AWS_CLI} --endpoint-url ${up!.endpoint} ecr get-login-password | docker login --username AWS --password-stdin ${up!.registry}`], { env: awsEnv() });
    assert.match(login.stdout, /Login Succeeded/);
    await must('docker', ['push', image]);
  });

  test('create-function, wait function-active-v2, invoke --log-type Tail (cold, then warm)', async () => {
    const t0 = performance.now();
    const created = await awsOk('lambda', 'create-function', '--function-name', FN, '--package-type', 'Image', '--code', `ImageUri=${repo}:latest`, '--role', ROLE, '--memory-size', '256');
    assert.equal(created.json['State'], 'Pending');
    await awsOk('lambda', 'wait', 'function-active-v2', '--function-name', FN);
    figures.push(`create-function → wait function-active-v2 returned: ${(performance.now() - t0).toFixed(0)} ms (the CLI waiter polls every 1 s)`);

    const cold = await invoke('{"hello": "world"}');
    assert.equal(cold.json['StatusCode'], 200);
    assert.equal(cold.json['FunctionError'], undefined);
    // The bootstrap got the event from $AWS_LAMBDA_RUNTIME_API and the handler saw Lambda's environment.
    assert.deepEqual(result(), { echo: { hello: 'world' }, handler: 'function.handler', function: FN, memory: '256', taskRoot: '/var/task', version: 'v1' });
    const log = Buffer.from(cold.json['LogResult'], 'base64').toString('utf8');
    const id = /^START RequestId: ([0-9a-f-]{36}) Version: \$LATEST$/m.exec(log)?.[1];
    assert.ok(id, `a START line:\n${log}`);
    assert.match(log, /^\{"hello": "world"\}$/m, 'the handler’s stderr is in the function log');
    assert.match(log, new RegExp(`^END RequestId: ${id}$`, 'm'));
    const coldReport = report(log);
    assert.match(coldReport, new RegExp(`^REPORT RequestId: ${id}\\tDuration: [\\d.]+ ms\\tBilled Duration: \\d+ ms\\tMemory Size: 256 MB\\tMax Memory Used: \\d+ MB\\tInit Duration: [\\d.]+ ms`));

    const warm = await invoke('{"n": 2}');
    assert.deepEqual(result()['echo'], { n: 2 });
    const warmReport = report(Buffer.from(warm.json['LogResult'], 'base64').toString('utf8'));
    assert.doesNotMatch(warmReport, /Init Duration/);
    const floor = await awsOk('lambda', 'get-function-configuration', '--function-name', FN);
    figures.push(`cold invoke (aws lambda invoke, CLI wall time): ${cold.ms.toFixed(0)} ms; ${brief(coldReport)}`);
    figures.push(`warm invoke (aws lambda invoke, CLI wall time): ${warm.ms.toFixed(0)} ms; ${brief(warmReport)}`);
    figures.push(`reference: aws lambda get-function-configuration (CLI wall time, no sandbox): ${floor.ms.toFixed(0)} ms`);
  });

  test('an error posted to /runtime/invocation/{id}/error is FunctionError Unhandled with the runtime’s body', async () => {
    const r = await invoke('{"fail": true}');
    assert.equal(r.json['StatusCode'], 200);
    assert.equal(r.json['FunctionError'], 'Unhandled');
    assert.deepEqual(result(), { errorMessage: 'handler refused the event', errorType: 'HandlerFailed', stackTrace: ['function.sh: handler'] });
    const log = Buffer.from(r.json['LogResult'], 'base64').toString('utf8');
    assert.match(log, /^refusing this event$/m);
    assert.match(log, /^END RequestId: /m);
    // The bootstrap loop carries on in the same environment.
    const next = await invoke('{"after": "error"}');
    assert.equal(next.json['FunctionError'], undefined);
    assert.deepEqual(result()['echo'], { after: 'error' });
    assert.doesNotMatch(report(Buffer.from(next.json['LogResult'], 'base64').toString('utf8')), /Init Duration/, 'still the warm environment');
  });

  test('a bootstrap that exits during init is Runtime.ExitError on invoke; the platform carries on', async () => {
    const broken = `${FN}-broken`;
    // `source $LAMBDA_TASK_ROOT/missing.sh` fails, so the shell bootstrap exits before asking for an event.
    await awsOk('lambda', 'create-function', '--function-name', broken, '--package-type', 'Image', '--code', `ImageUri=${repo}:latest`, '--role', ROLE, '--image-config', 'Command=missing.handler');
    await awsOk('lambda', 'wait', 'function-active-v2', '--function-name', broken);
    const r = await awsOk('lambda', 'invoke', '--function-name', broken, '--log-type', 'Tail', out);
    assert.equal(r.json['FunctionError'], 'Unhandled');
    const err = result();
    assert.equal(err['errorType'], 'Runtime.ExitError');
    assert.match(err['errorMessage'], /Runtime exited with error: exit status [1-9]\d*/);
    assert.match(Buffer.from(r.json['LogResult'], 'base64').toString('utf8'), /missing\.sh/, 'the shell’s complaint is in the log');
    await awsOk('lambda', 'delete-function', '--function-name', broken);
    assert.equal((await invoke('{"still": "here"}')).json['FunctionError'], undefined);
    assert.deepEqual(result()['echo'], { still: 'here' });
  });

  test('publish-version pins the image; the same tag rebuilt and pushed, update-function-code runs the new code on $LATEST only', async () => {
    const published = await awsOk('lambda', 'publish-version', '--function-name', FN);
    assert.equal(published.json['Version'], '1');
    const image = await dockerBuild('v2');
    await must('docker', ['push', image]);
    const upd = await awsOk('lambda', 'update-function-code', '--function-name', FN, '--image-uri', image);
    assert.equal(upd.json['LastUpdateStatus'], 'InProgress');
    await awsOk('lambda', 'wait', 'function-updated-v2', '--function-name', FN);
    const inv = await invoke('{}');
    assert.equal(result()['version'], 'v2', 'the moved tag was resolved again');
    assert.match(report(Buffer.from(inv.json['LogResult'], 'base64').toString('utf8')), /Init Duration/, 'new code, new environment');
    const pinned = await awsOk('lambda', 'invoke', '--function-name', FN, '--qualifier', '1', '--log-type', 'Tail', out);
    assert.equal(pinned.json['ExecutedVersion'], '1');
    assert.equal(result()['version'], 'v1', 'version 1 still runs the image it was published with');
    const latest = await awsOk('lambda', 'get-function', '--function-name', FN);
    const v1 = await awsOk('lambda', 'get-function', '--function-name', FN, '--qualifier', '1');
    assert.equal(latest.json['Code']['ImageUri'], image);
    assert.notEqual(latest.json['Code']['ResolvedImageUri'], v1.json['Code']['ResolvedImageUri']);
  });

  test('delete-function', async () => {
    await awsOk('lambda', 'delete-function', '--function-name', FN);
    const gone = await aws('lambda', 'invoke', '--function-name', FN, join(work, 'gone.json'));
    assert.notEqual(gone.status, 0);
    assert.match(gone.stderr, new RegExp(`ResourceNotFoundException.*Function not found: arn:aws:lambda:us-east-1:123456789012:function:${FN}`));
  });
});
