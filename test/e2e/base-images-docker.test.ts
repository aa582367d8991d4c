/**
 * Lambdock's base images, built without Docker, then used exactly as AWS's are:
 * `docker build` of a Dockerfile `FROM lambdock/...`, `docker run -p PORT:8080`, and
 * `curl` on the emulator's invoke endpoint. Python, Node.js (with an npm dependency
 * installed by `RUN npm install` during the build) and a provided image whose shell
 * `bootstrap` implements the Runtime API with curl. Errors as AWS shows them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBaseImages, defaultArtifacts, type BuildResult } from '@lambdock/base-images';
import { commandExists, dockerAvailable } from '../support/system.js';

const skip = !dockerAvailable()
  ? 'no Docker engine answers'
  : !commandExists('skopeo')
    ? 'skopeo not installed (scripts/ensure-system.sh installs it)'
    : !commandExists('curl')
      ? 'curl not installed'
      : !existsSync(defaultArtifacts().emulatorBuild ?? '')
        ? 'the emulator package has no scripts/build-sea.mjs yet (it builds the emulator that goes into the images)'
        : false;

const RUN_ID = `${process.pid}-${Date.now().toString(36)}`;
const containers: string[] = [];
const images: string[] = [];
let work = '';
let built: BuildResult[] = [];

function docker(args: string[], opts: { cwd?: string; timeout?: number } = {}): string {
  const r = spawnSync('docker', args, { cwd: opts.cwd, encoding: 'utf8', timeout: opts.timeout ?? 300_000 });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout.trim();
}

async function buildFunction(name: string, files: Record<string, string>, buildArgs: string[] = []): Promise<string> {
  const dir = join(work, name);
  await mkdir(dir, { recursive: true });
  for (const [f, text] of Object.entries(files)) await writeFile(join(dir, f), text, { mode: f === 'bootstrap' ? 0o755 : 0o644 });
  const tag = `lambdock-e2e-${name}:${RUN_ID}`;
  docker(['build', '-q', ...buildArgs, '-t', tag, '.'], { cwd: dir });
  images.push(tag);
  return tag;
}

/** `docker run -d -p 127.0.0.1::8080 IMAGE [CMD]`; returns the container id and its host port. */
function runFunction(image: string, cmd: string[] = [], env: Record<string, string> = {}): { id: string; port: number } {
  const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  const id = docker(['run', '-d', '-p', '127.0.0.1::8080', ...envArgs, image, ...cmd]);
  containers.push(id);
  const mapping = docker(['port', id, '8080/tcp']).split('\n')[0]!;
  return { id, port: Number(mapping.slice(mapping.lastIndexOf(':') + 1)) };
}

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The documented local test: curl -XPOST localhost:PORT/2015-03-31/functions/function/invocations -d EVENT. */
function curlInvoke(port: number, event: string): Reply {
  const r = spawnSync(
    'curl',
    ['-sS', '-i', '--max-time', '15', '--retry', '40', '--retry-delay', '0', '--retry-max-time', '60', '--retry-all-errors', '-XPOST', `http://127.0.0.1:${port}/2015-03-31/functions/function/invocations`, '-d', event],
    { encoding: 'utf8', timeout: 120_000 },
  );
  if (r.status !== 0) throw new Error(`curl failed (${r.status}): ${r.stderr}`);
  const [head, ...rest] = r.stdout.split('\r\n\r\n');
  const lines = head!.split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
  }
  return { status: Number(lines[0]!.split(' ')[1]), headers, body: rest.join('\r\n\r\n') };
}

function logsOf(id: string): string {
  const r = spawnSync('docker', ['logs', id], { encoding: 'utf8' });
  return r.stdout + r.stderr;
}

describe('base images with a real Docker engine', { skip, timeout: 900_000 }, () => {
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'lambdock-base-images-e2e-'));
    // Downloads stay in the shared cache between runs; the images go to this run's layout.
    built = await buildBaseImages({
      images: ['nodejs:22', 'python:3.11', 'provided:latest'],
      output: join(work, 'layout'),
      load: true,
    });
  });

  after(async () => {
    for (const c of containers) spawnSync('docker', ['rm', '-f', c], { stdio: 'ignore' });
    for (const i of images) spawnSync('docker', ['rmi', '-f', i], { stdio: 'ignore' });
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('the images carry AWS’s layout: entrypoint, handler CMD, task root, environment', () => {
    assert.deepEqual(built.map((b) => `${b.name}:${b.tag}`), ['nodejs:22', 'python:3.11', 'provided:latest']);
    const inspect = JSON.parse(docker(['image', 'inspect', 'lambdock/python:3.11']))[0].Config;
    assert.deepEqual(inspect.Entrypoint, ['/lambda-entrypoint.sh']);
    assert.deepEqual(inspect.Cmd, ['app.lambda_handler']);
    assert.equal(inspect.WorkingDir, '/var/task');
    for (const e of ['LAMBDA_TASK_ROOT=/var/task', 'LAMBDA_RUNTIME_DIR=/var/runtime', 'LANG=en_US.UTF-8', 'TZ=:/etc/localtime']) assert.ok(inspect.Env.includes(e), e);
    const node = JSON.parse(docker(['image', 'inspect', 'lambdock/nodejs:22']))[0].Config;
    assert.deepEqual(node.Cmd, ['app.handler']);
    assert.equal(docker(['image', 'inspect', '-f', '{{.Id}}', 'lambdock/nodejs:latest']), docker(['image', 'inspect', '-f', '{{.Id}}', 'lambdock/nodejs:22']));
    // The OS layer is one blob in every image; the emulator binary one blob in python and provided.
    const [nodejs, python, provided] = built as [BuildResult, BuildResult, BuildResult];
    assert.equal(nodejs.layers[0]!.digest, python.layers[0]!.digest);
    assert.equal(python.layers[0]!.digest, provided.layers[0]!.digest);
    assert.equal(python.layers.find((l) => l.id === 'rie-sea')!.digest, provided.layers.find((l) => l.id === 'rie-sea')!.digest);
  });

  test('python: app.lambda_handler built FROM lambdock/python:3.11 answers curl', async () => {
    const image = await buildFunction('python', {
      Dockerfile: 'FROM lambdock/python:3.11\n\n# Copy function code\nCOPY app.py ${LAMBDA_TASK_ROOT}\nCOPY broken.py ${LAMBDA_TASK_ROOT}\n\n# Set the CMD to your handler\nCMD ["app.lambda_handler"]\n',
      'app.py': [
        'import json, logging, sys',
        'logger = logging.getLogger()',
        'logger.setLevel(logging.INFO)',
        'def lambda_handler(event, context):',
        '    logger.info("got %s", json.dumps(event))',
        '    print("hello from print")',
        '    return {"statusCode": 200, "body": {"input": event, "python": sys.version.split()[0], "requestId": context.aws_request_id, "memory": context.memory_limit_in_mb, "remaining": context.get_remaining_time_in_millis() > 0}}',
        'def fails(event, context):',
        '    raise RuntimeError("the handler failed on purpose")',
        '',
      ].join('\n'),
      'broken.py': 'def handler(event, context)\n    return 1\n',
    });
    const { id, port } = runFunction(image);
    const r = curlInvoke(port, '{"key": "value"}');
    assert.equal(r.status, 200, r.body);
    const body = JSON.parse(r.body);
    assert.equal(body.statusCode, 200);
    assert.deepEqual(body.body.input, { key: 'value' });
    assert.match(body.body.python, /^3\.11\./);
    assert.equal(body.body.remaining, true);
    assert.match(body.body.requestId, /^[0-9a-f-]{36}$/);
    const logs = logsOf(id);
    assert.match(logs, /START RequestId: /);
    assert.match(logs, new RegExp(`\\[INFO\\]\\t\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\t${body.body.requestId}\\tgot \\{"key": "value"\\}`));
    assert.match(logs, /hello from print/);
    assert.match(logs, /REPORT RequestId: /);
  });

  test('python: errors look like AWS’s (raised exception, missing handler, syntax error)', async () => {
    const image = `lambdock-e2e-python:${RUN_ID}`;
    const raised = runFunction(image, ['app.fails']);
    const r1 = curlInvoke(raised.port, '{}');
    const e1 = JSON.parse(r1.body);
    assert.equal(e1.errorType, 'RuntimeError');
    assert.equal(e1.errorMessage, 'the handler failed on purpose');
    assert.match(e1.stackTrace[0], /File "\/var\/task\/app.py", line 9, in fails/);
    assert.equal(r1.headers['x-amz-function-error'], 'Unhandled');
    assert.match(logsOf(raised.id), /\[ERROR\] RuntimeError: the handler failed on purpose\rTraceback \(most recent call last\):/);

    const missing = runFunction(image, ['app.nope']);
    const e2 = JSON.parse(curlInvoke(missing.port, '{}').body);
    assert.equal(e2.errorType, 'Runtime.HandlerNotFound');
    assert.equal(e2.errorMessage, "Handler 'nope' missing on module 'app'");

    const syntax = runFunction(image, ['broken.handler']);
    const e3 = JSON.parse(curlInvoke(syntax.port, '{}').body);
    assert.equal(e3.errorType, 'Runtime.UserCodeSyntaxError');
    assert.match(e3.errorMessage, /^Syntax error in module 'broken': /);

    const noModule = runFunction(image, ['nothere.handler']);
    const e4 = JSON.parse(curlInvoke(noModule.port, '{}').body);
    assert.equal(e4.errorType, 'Runtime.ImportModuleError');
    assert.equal(e4.errorMessage, "Unable to import module 'nothere': No module named 'nothere'");
  });

  test('nodejs: npm install of a registry dependency during docker build, then curl', async () => {
    // Behind a TLS-intercepting egress proxy (as on this project's machines) the host trusts an
    // extra CA through NODE_EXTRA_CA_CERTS; npm inside the build needs the same, and only then.
    const extraCa = process.env['NODE_EXTRA_CA_CERTS'] && existsSync(process.env['NODE_EXTRA_CA_CERTS']) ? readFileSync(process.env['NODE_EXTRA_CA_CERTS'], 'utf8') : undefined;
    const caLines = extraCa ? 'COPY extra-ca.crt /etc/ssl/certs/extra-ca.crt\nENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/extra-ca.crt\n' : '';
    const image = await buildFunction(
      'nodejs',
      {
        ...(extraCa ? { 'extra-ca.crt': extraCa } : {}),
        Dockerfile: `FROM lambdock/nodejs:22\n${caLines}\nCOPY package.json \${LAMBDA_TASK_ROOT}/\nRUN npm install --omit=dev --no-audit --no-fund\nCOPY app.js broken.js \${LAMBDA_TASK_ROOT}/\n\nCMD ["app.handler"]\n`,
        'broken.js': 'exports.handler = async (event) => {\n  return { ok: true \n};\n',
        'package.json': JSON.stringify({ name: 'hello', version: '1.0.0', private: true, dependencies: { ms: '2.1.3' } }, null, 2),
        'app.js': [
          "const ms = require('ms');",
          'exports.handler = async (event, context) => {',
          "  console.log('event', JSON.stringify(event));",
          "  return { statusCode: 200, took: ms(event.ms ?? 60000), node: process.version, requestId: context.awsRequestId, fn: context.functionName };",
          '};',
          "exports.fails = async () => { throw new TypeError('bad input'); };",
          '',
        ].join('\n'),
      },
      ['--network', 'host'],
    );
    const { id, port } = runFunction(image);
    const r = curlInvoke(port, '{"ms": 7200000}');
    assert.equal(r.status, 200, r.body);
    const body = JSON.parse(r.body);
    assert.equal(body.took, '2h');
    assert.match(body.node, /^v22\./);
    assert.match(logsOf(id), /\tINFO\tevent \{"ms":7200000\}/);

    const failing = runFunction(image, ['app.fails']);
    const e = curlInvoke(failing.port, '{}');
    assert.equal(e.headers['x-amz-function-error'], 'Unhandled');
    const err = JSON.parse(e.body);
    assert.equal(err.errorType, 'TypeError');
    assert.equal(err.errorMessage, 'bad input');
    assert.ok(Array.isArray(err.trace));

    const missing = runFunction(image, ['app.nope']);
    const e2 = JSON.parse(curlInvoke(missing.port, '{}').body);
    assert.equal(e2.errorType, 'Runtime.HandlerNotFound');
    assert.match(e2.errorMessage, /app\.nope is undefined or not exported/);

    const syntax = runFunction(image, ['broken.handler']);
    const e3 = JSON.parse(curlInvoke(syntax.port, '{}').body);
    assert.equal(e3.errorType, 'Runtime.UserCodeSyntaxError');
    assert.match(e3.errorMessage, /SyntaxError/);
  });

  test('provided: a shell bootstrap implementing the Runtime API with curl', async () => {
    const bootstrap = [
      '#!/bin/sh',
      'set -eu',
      '# AWS tutorial custom runtime: fetch an event, answer it, repeat.',
      'while true; do',
      '  HEADERS="$(mktemp)"',
      '  EVENT_DATA=$(curl -sS -LD "$HEADERS" "http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/next")',
      '  REQUEST_ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d "[:space:]" | cut -d: -f2)',
      '  echo "handling $REQUEST_ID with $_HANDLER"',
      '  RESPONSE="{\\"echo\\":$EVENT_DATA,\\"handler\\":\\"$_HANDLER\\"}"',
      '  curl -sS "http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/$REQUEST_ID/response" -d "$RESPONSE" >/dev/null',
      'done',
      '',
    ].join('\n');
    const image = await buildFunction('provided', {
      Dockerfile: 'FROM lambdock/provided:latest\n\nCOPY bootstrap ${LAMBDA_RUNTIME_DIR}\nRUN chmod 755 ${LAMBDA_RUNTIME_DIR}/bootstrap\n\nCMD ["function.handler"]\n',
      bootstrap,
    });
    const { id, port } = runFunction(image);
    const r = curlInvoke(port, '{"hello": "world"}');
    assert.equal(r.status, 200, r.body);
    const body = JSON.parse(r.body);
    assert.deepEqual(body.echo, { hello: 'world' });
    assert.equal(body.handler, 'function.handler');
    assert.match(logsOf(id), /handling [0-9a-f-]{36} with function.handler/);
  });
});
