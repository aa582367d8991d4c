/**
 * The user's journey for Node.js driven by @aws-sdk/client-lambda, through `lambdock up`: an ES
 * module handler (index.mjs) FROM lambdock/nodejs:22 with a registry dependency installed by
 * `npm install` during `docker build`, pushed with `docker push`, then CreateFunction with an
 * ImageConfig Command override, waitUntilFunctionActiveV2, Invoke with ClientContext, the API's
 * errors (ResourceNotFound, ResourceConflict, memory 64, a 7 MB payload), a timeout with Timeout=1,
 * and what a user notices from inside a function about its sandbox: `/` read-only, `/tmp` writable,
 * no other processes visible, the host's 127.0.0.1 services out of reach — and that the platform
 * and the next invoke carry on. Figures (create → Active, cold and warm invoke as the SDK sees
 * them, Init Duration) are printed as diagnostics, never asserted.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  InvokeCommand,
  LambdaClient,
  ResourceConflictException,
  ResourceNotFoundException,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
  type InvokeCommandOutput,
} from '@aws-sdk/client-lambda';
import { buildBaseImages, defaultArtifacts } from '@lambdock/base-images';
import { startUp, upUnavailable, type Up } from '../support/lambdock-up.js';
import { AWS_CLI, commandExists, dockerAvailable } from '../support/system.js';
import { must as mustRun, run, type RunOptions } from '../support/run.js';

const skip =
  upUnavailable() ??
  (!dockerAvailable()
    ? 'no Docker engine answers'
    : !existsSync(defaultArtifacts().emulatorBuild ?? '')
      ? 'the emulator build script is missing (base images need it)'
      : !existsSync(defaultArtifacts().runtimeClientStage ?? '')
        ? 'the runtime client staging script is missing (the nodejs image needs it)'
        : undefined);

// The SDK's notice about future Node versions is noise in this test's output.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

const RUN = `${process.pid}-${Date.now().toString(36)}`;
const FN = 'journey-node';
const REPO_NAME = `journey-node-${RUN}`;
const ROLE = 'arn:aws:iam::123456789012:role/lambda-execution-role';
const work = mkdtempSync(join(tmpdir(), 'lambdock-journey-node-'));
let up: Up | undefined;
let lambda: LambdaClient;
let image = '';
let oomLog = '';
const tags: string[] = [];

const must = (cmd: string, args: string[], opts: RunOptions = {}) => mustRun(cmd, args, opts, () => up?.output() ?? '');

/** index.mjs: CMD names `handler`; the function overrides it with ImageConfig.Command ["index.main"]. */
const INDEX = `import ms from 'ms';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';

export const handler = async () => ({ via: 'handler' });

const tryWrite = (path) => {
  try {
    writeFileSync(path, 'x');
    return readFileSync(path, 'utf8') === 'x' ? 'ok' : 'mismatch';
  } catch (err) {
    return err.code;
  }
};

const tryConnect = (host, port) =>
  new Promise((resolve) => {
    const s = connect({ host, port, timeout: 1500 });
    s.once('connect', () => (s.destroy(), resolve('connected')));
    s.once('timeout', () => (s.destroy(), resolve('timeout')));
    s.once('error', (err) => resolve(err.code));
  });

/** The default route's gateway (the host side of the sandbox's link), from /proc/net/route. */
const gateway = () => {
  const row = readFileSync('/proc/net/route', 'utf8').split('\\n').slice(1).map((l) => l.trim().split(/\\s+/)).find((f) => f[1] === '00000000');
  if (!row) return undefined;
  const hex = row[2];
  return [6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.');
};

let invocations = 0;
const ENV_NAMES = ['_HANDLER', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_VERSION', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_LOG_GROUP_NAME', 'AWS_LAMBDA_LOG_STREAM_NAME', 'AWS_LAMBDA_INITIALIZATION_TYPE', 'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR', 'TZ', 'LANG',
  'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'];

export const main = async (event, context) => {
  invocations++;
  if (event.env) return Object.fromEntries(ENV_NAMES.map((n) => [n, n.startsWith('AWS_S') || n === 'AWS_ACCESS_KEY_ID' ? (process.env[n] ? 'set' : null) : process.env[n] ?? null]));
  if (event.tmp) {
    const had = readdirSync('/tmp').filter((f) => f.startsWith('cache-'));
    writeFileSync('/tmp/cache-' + context.awsRequestId, 'x');
    return { had, invocations };
  }
  if (event.sleepMs) await new Promise((r) => setTimeout(r, event.sleepMs));
  if (event.exit !== undefined) process.exit(event.exit);
  if (event.oom) {
    const keep = [];
    for (;;) keep.push(Buffer.alloc(16 * 1024 * 1024, 1));
  }
  if (event.probe) {
    const processes = readdirSync('/proc').filter((p) => /^\\d+$/.test(p)).map((p) => {
      try {
        return readFileSync('/proc/' + p + '/cmdline', 'utf8').split('\\0').join(' ').trim();
      } catch {
        return '';
      }
    });
    const gw = gateway();
    return {
      root: tryWrite('/lambdock-probe'),
      taskRoot: tryWrite('/var/task/probe'),
      tmp: tryWrite('/tmp/probe-' + context.awsRequestId),
      processes,
      loopback: await Promise.all(event.probe.map((port) => tryConnect('127.0.0.1', port))),
      gateway: gw,
      viaGateway: gw ? await Promise.all(event.probe.map((port) => tryConnect(gw, port))) : [],
    };
  }
  return { via: 'main', took: ms(event.ms ?? 60000), node: process.version, clientContext: context.clientContext ?? null, requestId: context.awsRequestId, type: 'module' };
};
`;

async function dockerBuild(): Promise<string> {
  const dir = join(work, 'fn');
  mkdirSync(dir, { recursive: true });
  // Behind a TLS-intercepting egress proxy the host trusts an extra CA through NODE_EXTRA_CA_CERTS;
  // npm inside the build needs the same, and only then.
  const extraCa = process.env['NODE_EXTRA_CA_CERTS'] && existsSync(process.env['NODE_EXTRA_CA_CERTS']) ? readFileSync(process.env['NODE_EXTRA_CA_CERTS'], 'utf8') : undefined;
  if (extraCa) writeFileSync(join(dir, 'extra-ca.crt'), extraCa);
  const caLines = extraCa ? 'COPY extra-ca.crt /etc/ssl/certs/extra-ca.crt\nENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/extra-ca.crt\n' : '';
  writeFileSync(
    join(dir, 'Dockerfile'),
    `FROM lambdock/nodejs:22\n${caLines}\nCOPY package.json \${LAMBDA_TASK_ROOT}/\nRUN npm install --omit=dev --no-audit --no-fund\nCOPY index.mjs \${LAMBDA_TASK_ROOT}/\n\nCMD ["index.handler"]\n`,
  );
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'journey-node', version: '1.0.0', private: true, type: 'module', dependencies: { ms: '2.1.3' } }, null, 2));
  writeFileSync(join(dir, 'index.mjs'), INDEX);
  const tag = `${up!.registry}/${REPO_NAME}:v1`;
  // The build container reaches the npm registry through the host's network.
  await must('docker', ['build', '-q', '--network', 'host', '-t', tag, '.'], { cwd: dir });
  tags.push(tag);
  await must('docker', ['push', tag]);
  return tag;
}

const payloadOf = (r: InvokeCommandOutput) => JSON.parse(Buffer.from(r.Payload ?? new Uint8Array()).toString('utf8')) as Record<string, any>;
const logOf = (r: InvokeCommandOutput) => Buffer.from(r.LogResult ?? '', 'base64').toString('utf8');
const send = (payload: unknown, extra: { ClientContext?: string } = {}) =>
  lambda.send(new InvokeCommand({ FunctionName: FN, Payload: Buffer.from(JSON.stringify(payload)), LogType: 'Tail', ...extra }));
const brief = (log: string) => (/^REPORT RequestId: .*$/m.exec(log)?.[0] ?? 'no REPORT line').split('\t').slice(1).filter((f) => f.trim()).join(' | ');
const figures: string[] = [];

describe('journey: Node.js 22 ES module image → registry → @aws-sdk/client-lambda → runc sandbox', { skip, timeout: 900_000 }, () => {
  before(async () => {
    [up] = await Promise.all([startUp(), buildBaseImages({ images: ['nodejs:22'], load: true, output: join(work, 'base-layout') })]);
    lambda = new LambdaClient({ endpoint: up.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIAJOURNEY', secretAccessKey: 'journey-secret' }, maxAttempts: 1 });
    image = await dockerBuild();
  });

  after(async () => {
    lambda?.destroy();
    for (const t of tags) spawnSync('docker', ['rmi', '-f', t], { stdio: 'ignore' });
    await up?.stop();
    rmSync(work, { recursive: true, force: true });
    if (figures.length) console.log(`# journey-nodejs-sdk figures (node --test test/dist/e2e/journey-nodejs-sdk.test.js):\n${figures.map((f) => `#   ${f}`).join('\n')}`);
  });

  test('CreateFunction with an ImageConfig Command override, waitUntilFunctionActiveV2, Invoke with ClientContext', async () => {
    const t0 = performance.now();
    const created = await lambda.send(
      new CreateFunctionCommand({ FunctionName: FN, PackageType: 'Image', Code: { ImageUri: image }, Role: ROLE, ImageConfig: { Command: ['index.main'] } }),
    );
    assert.equal(created.State, 'Pending');
    assert.deepEqual(created.ImageConfigResponse?.ImageConfig?.Command, ['index.main']);
    await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 300, minDelay: 1, maxDelay: 1 }, { FunctionName: FN });
    figures.push(`CreateFunction → waitUntilFunctionActiveV2 returned: ${(performance.now() - t0).toFixed(0)} ms (the waiter polls every 1 s)`);

    const clientContext = { client: { installation_id: 'journey', app_title: 'e2e' }, custom: { tenant: 'acme' }, env: { locale: 'en' } };
    const c0 = performance.now();
    const cold = await send({ ms: 7_200_000 }, { ClientContext: Buffer.from(JSON.stringify(clientContext)).toString('base64') });
    const coldMs = performance.now() - c0;
    assert.equal(cold.StatusCode, 200);
    assert.equal(cold.FunctionError, undefined, JSON.stringify(payloadOf(cold)));
    const result = payloadOf(cold);
    assert.equal(result['via'], 'main', 'ImageConfig.Command overrides the image’s CMD');
    assert.equal(result['took'], '2h', 'the npm dependency installed during docker build is there');
    assert.match(result['node'], /^v22\./);
    assert.deepEqual(result['clientContext'], clientContext);
    const coldLog = logOf(cold);
    assert.match(coldLog, new RegExp(`^START RequestId: ${result['requestId']} Version: \\$LATEST$`, 'm'));
    assert.match(coldLog, /\tInit Duration: [\d.]+ ms/);

    const w0 = performance.now();
    const warm = await send({ ms: 1000 });
    const warmMs = performance.now() - w0;
    assert.equal(payloadOf(warm)['took'], '1s');
    assert.equal(payloadOf(warm)['clientContext'], null, 'no ClientContext sent, none seen');
    assert.doesNotMatch(logOf(warm), /Init Duration/);
    const g0 = performance.now();
    await lambda.send(new GetFunctionCommand({ FunctionName: FN }));
    figures.push(`cold Invoke (SDK round trip): ${coldMs.toFixed(0)} ms; ${brief(coldLog)}`);
    figures.push(`warm Invoke (SDK round trip): ${warmMs.toFixed(0)} ms; ${brief(logOf(warm))}`);
    figures.push(`reference: GetFunction (SDK round trip, no sandbox): ${(performance.now() - g0).toFixed(0)} ms`);
  });

  test('API errors as the SDK types them', async () => {
    await assert.rejects(lambda.send(new GetFunctionCommand({ FunctionName: 'journey-missing' })), (err: Error) => {
      assert.ok(err instanceof ResourceNotFoundException, err.name);
      assert.equal(err.message, 'Function not found: arn:aws:lambda:us-east-1:123456789012:function:journey-missing');
      return true;
    });
    await assert.rejects(lambda.send(new InvokeCommand({ FunctionName: 'journey-missing' })), ResourceNotFoundException);
    await assert.rejects(lambda.send(new CreateFunctionCommand({ FunctionName: FN, PackageType: 'Image', Code: { ImageUri: image }, Role: ROLE })), (err: Error) => {
      assert.ok(err instanceof ResourceConflictException, err.name);
      assert.match(err.message, /Function already exist: journey-node/);
      return true;
    });
    await assert.rejects(
      lambda.send(new CreateFunctionCommand({ FunctionName: 'journey-small', PackageType: 'Image', Code: { ImageUri: image }, Role: ROLE, MemorySize: 64 })),
      (err: Error & { $metadata?: { httpStatusCode?: number } }) => {
        assert.ok(['ValidationException', 'InvalidParameterValueException'].includes(err.name), err.name);
        assert.equal(err.$metadata?.httpStatusCode, 400);
        assert.match(err.message, /memorySize|MemorySize/);
        return true;
      },
    );
    await assert.rejects(lambda.send(new GetFunctionCommand({ FunctionName: 'journey-small' })), ResourceNotFoundException, 'the refused create stored nothing');
    await assert.rejects(lambda.send(new InvokeCommand({ FunctionName: FN, Payload: Buffer.alloc(7 * 1024 * 1024, 0x61) })), (err: Error & { $metadata?: { httpStatusCode?: number } }) => {
      assert.equal(err.name, 'RequestEntityTooLargeException');
      assert.equal(err.$metadata?.httpStatusCode, 413);
      return true;
    });
    // The function is untouched by all of the above.
    const fn = await lambda.send(new GetFunctionCommand({ FunctionName: FN }));
    assert.equal(fn.Configuration?.State, 'Active');
    assert.equal(fn.Configuration?.MemorySize, 128);
    assert.equal(payloadOf(await send({}))['via'], 'main');
  });

  test(
    'a payload that is not JSON is InvalidRequestContentException, as AWS answers it',
    async () => {
      // The usual cause: `aws lambda invoke --payload '{...}'` in CLI v2 without --cli-binary-format
      // raw-in-base64-out sends the base64-decoded bytes of the text.
      const answered = await lambda.send(new InvokeCommand({ FunctionName: FN, Payload: Buffer.from('not json') })).then(
        (r) => r,
        (err: Error & { $metadata?: { httpStatusCode?: number } }) => {
          assert.equal(err.name, 'InvalidRequestContentException');
          assert.equal(err.$metadata?.httpStatusCode, 400);
          assert.match(err.message, /^Could not parse request body into json: Could not parse payload into json: /);
          return undefined;
        },
      );
      if (answered) assert.fail(`the invoke was accepted: StatusCode ${answered.StatusCode}, FunctionError ${answered.FunctionError}, payload ${Buffer.from(answered.Payload ?? new Uint8Array()).toString()}`);
    },
  );

  test('the environment Lambda documents, and a warm environment keeps /tmp and module state', async () => {
    const env = payloadOf(await send({ env: true }));
    const stream = env['AWS_LAMBDA_LOG_STREAM_NAME'];
    assert.match(stream, /^\d{4}\/\d\d\/\d\d\/\[\$LATEST\][0-9a-f]{32}$/);
    assert.deepEqual(
      { ...env, AWS_LAMBDA_LOG_STREAM_NAME: 'checked' },
      {
        _HANDLER: 'index.main',
        AWS_REGION: 'us-east-1',
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_LAMBDA_FUNCTION_NAME: FN,
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128',
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${FN}`,
        AWS_LAMBDA_LOG_STREAM_NAME: 'checked',
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
        LAMBDA_TASK_ROOT: '/var/task',
        LAMBDA_RUNTIME_DIR: '/var/runtime',
        TZ: env['TZ'],
        LANG: 'en_US.UTF-8',
        AWS_ACCESS_KEY_ID: env['AWS_ACCESS_KEY_ID'],
        AWS_SECRET_ACCESS_KEY: env['AWS_SECRET_ACCESS_KEY'],
        AWS_SESSION_TOKEN: env['AWS_SESSION_TOKEN'],
      },
    );
    assert.ok([':UTC', ':/etc/localtime'].includes(env['TZ']), `TZ is UTC (AWS's images: :/etc/localtime, a UTC zone file), got ${env['TZ']}`);
    const first = payloadOf(await send({ tmp: true }));
    const second = payloadOf(await send({ tmp: true }));
    assert.equal(second['had'].length, first['had'].length + 1, 'the file written to /tmp by the previous invoke is still there');
    assert.equal(second['invocations'], first['invocations'] + 1, 'module state survives between warm invokes');
  });

  test('Timeout=1: a slow invoke is Sandbox.Timedout "Task timed out after 1.00 seconds"; the next invoke carries on', async () => {
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: FN, Timeout: 1 }));
    await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 120, minDelay: 1, maxDelay: 1 }, { FunctionName: FN });
    const slow = await send({ sleepMs: 3000 });
    assert.equal(slow.StatusCode, 200);
    assert.equal(slow.FunctionError, 'Unhandled');
    const err = payloadOf(slow);
    assert.equal(err['errorType'], 'Sandbox.Timedout');
    assert.match(err['errorMessage'], /Task timed out after 1\.00 seconds/);
    assert.match(logOf(slow), /Task timed out after 1\.00 seconds/);
    const next = await send({ ms: 2000 });
    assert.equal(next.FunctionError, undefined, JSON.stringify(payloadOf(next)));
    assert.equal(payloadOf(next)['took'], '2s');
    // Room again for the network probes of the next test.
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: FN, Timeout: 10 }));
    await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 120, minDelay: 1, maxDelay: 1 }, { FunctionName: FN });
  });

  test('inside the sandbox: / read-only, /tmp writable, no other processes, the host’s 127.0.0.1 services out of reach', async () => {
    const apiPort = Number(new URL(up!.endpoint).port);
    const registryPort = Number(up!.registry.split(':')[1]);
    const r = await send({ probe: [registryPort, apiPort] });
    assert.equal(r.FunctionError, undefined, JSON.stringify(payloadOf(r)));
    const p = payloadOf(r);
    assert.equal(p['root'], 'EROFS', 'writing / fails: read-only file system');
    assert.equal(p['taskRoot'], 'EROFS', 'writing /var/task fails: read-only file system');
    assert.equal(p['tmp'], 'ok', '/tmp is writable');
    const processes = p['processes'] as string[];
    assert.ok(processes.length > 0 && processes.length <= 5, `only the function's own processes: ${JSON.stringify(processes)}`);
    for (const cmd of processes) assert.doesNotMatch(cmd, /dockerd|containerd|lambdock\.js|node --test|systemd/, `a host process is visible: ${cmd}`);
    assert.deepEqual(p['loopback'], ['ECONNREFUSED', 'ECONNREFUSED'], '127.0.0.1 inside is the sandbox’s own loopback: the registry and API ports are closed there');
    for (const [i, outcome] of (p['viaGateway'] as string[]).entries()) assert.notEqual(outcome, 'connected', `host service on 127.0.0.1:${[registryPort, apiPort][i]} reached via the gateway ${p['gateway']}`);
    figures.push(`inside the sandbox: processes ${JSON.stringify(processes)}; 127.0.0.1:{registry,api} → ${JSON.stringify(p['loopback'])}; gateway ${p['gateway']}:{registry,api} → ${JSON.stringify(p['viaGateway'])}`);
    // The platform and the next invoke carry on.
    const next = await send({ ms: 3000 });
    assert.equal(payloadOf(next)['took'], '3s');
    const list = await fetch(`http://${up!.registry}/v2/`);
    assert.equal(list.status, 200, 'the registry still serves');
  });

  test('a crash and an out-of-memory end only their environment; concurrent invokes all answer', async () => {
    const crash = await send({ exit: 3 });
    assert.equal(crash.FunctionError, 'Unhandled');
    assert.equal(payloadOf(crash)['errorType'], 'Runtime.ExitError');
    assert.match(payloadOf(crash)['errorMessage'], /Runtime exited with error: exit status 3/);
    assert.equal(payloadOf(await send({ ms: 4000 }))['took'], '4s', 'a fresh environment after the crash');

    const oom = await send({ oom: true });
    assert.equal(oom.FunctionError, 'Unhandled');
    assert.equal(payloadOf(oom)['errorType'], 'Runtime.OutOfMemory', JSON.stringify(payloadOf(oom)));
    oomLog = logOf(oom);
    assert.equal(payloadOf(await send({ ms: 5000 }))['took'], '5s', 'a fresh environment after the out-of-memory kill');

    const many = await Promise.all(Array.from({ length: 4 }, (_, i) => send({ ms: (i + 1) * 60_000, sleepMs: 300 })));
    assert.deepEqual(
      many.map((r) => payloadOf(r)['took']),
      ['1m', '2m', '3m', '4m'],
    );
    assert.equal(new Set(many.map((r) => payloadOf(r)['requestId'])).size, 4);
  });

  test(
    'REPORT after an out-of-memory kill shows the memory limit reached (AWS: Max Memory Used: 128 MB)',
    () => {
      assert.match(oomLog, /^REPORT RequestId: .*\tMax Memory Used: 128 MB/m);
    },
  );

  test('figures as the AWS CLI v2 sees them: create-function → Active, cold and warm invoke', { skip: !commandExists(AWS_CLI) && 'AWS CLI v2 not installed at /usr/bin/aws' }, async () => {
    const env = { ...process.env, AWS_ACCESS_KEY_ID: 'AKIAJOURNEY', AWS_SECRET_ACCESS_KEY: 'journey-secret', AWS_REGION: 'us-east-1', AWS_PAGER: '', AWS_EC2_METADATA_DISABLED: 'true' };
    const aws = async (...args: string[]) => {
      const r = await run(AWS_CLI, ['--endpoint-url', up!.endpoint, '--output', 'json', 'lambda', ...args], { env });
      assert.equal(r.status, 0, `aws lambda ${args.join(' ')}:\n${r.stderr}`);
      return { json: r.stdout.trim() ? (JSON.parse(r.stdout) as Record<string, any>) : {}, ms: r.ms };
    };
    const name = `${FN}-cli`;
    const t0 = performance.now();
    await aws('create-function', '--function-name', name, '--package-type', 'Image', '--code', `ImageUri=${image}`, '--role', ROLE, '--image-config', 'Command=index.main');
    await aws('wait', 'function-active-v2', '--function-name', name);
    figures.push(`AWS CLI: create-function → wait function-active-v2 returned: ${(performance.now() - t0).toFixed(0)} ms`);
    const out = join(work, 'cli-out.json');
    const cold = await aws('invoke', '--function-name', name, '--log-type', 'Tail', out);
    const warm = await aws('invoke', '--function-name', name, '--log-type', 'Tail', out);
    assert.equal(JSON.parse(readFileSync(out, 'utf8'))['via'], 'main');
    const floor = await aws('get-function-configuration', '--function-name', name);
    figures.push(`AWS CLI: cold invoke ${cold.ms.toFixed(0)} ms; ${brief(Buffer.from(cold.json['LogResult'], 'base64').toString('utf8'))}`);
    figures.push(`AWS CLI: warm invoke ${warm.ms.toFixed(0)} ms; ${brief(Buffer.from(warm.json['LogResult'], 'base64').toString('utf8'))}`);
    figures.push(`AWS CLI reference: get-function-configuration ${floor.ms.toFixed(0)} ms`);
    await aws('delete-function', '--function-name', name);
  });

  test('DeleteFunction', async () => {
    await lambda.send(new DeleteFunctionCommand({ FunctionName: FN }));
    await assert.rejects(lambda.send(new InvokeCommand({ FunctionName: FN })), ResourceNotFoundException);
  });
});
