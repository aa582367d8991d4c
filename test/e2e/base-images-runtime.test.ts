/**
 * How Lambda (and Lambdock's platform) runs a base image: AWS_LAMBDA_RUNTIME_API is set,
 * so /lambda-entrypoint.sh execs the runtime's bootstrap directly — no emulator. A
 * Runtime API in this test hands events to the container (docker run --network host)
 * and records what the runtime posts back: results, invoke errors, init errors. The
 * container runs as Lambda runs it: read-only root, a tmpfs /tmp, the sandbox user.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { buildBaseImages } from '@lambdock/base-images';
import { commandExists, dockerAvailable } from '../support/system.js';
import { REFERENCE_REGISTRY, startReferenceRegistry } from '../support/reference-registry.js';

const skip = !dockerAvailable() ? 'no Docker engine answers' : !commandExists('skopeo') ? 'skopeo not installed (scripts/ensure-system.sh installs it)' : false;
const RUN_ID = `${process.pid}-${Date.now().toString(36)}`;

interface Posted {
  kind: 'response' | 'error' | 'init-error';
  requestId?: string;
  errorType?: string;
  body: string;
}

/** The runtime side of the Runtime API, minimal: a queue of events, a log of what came back. */
class RuntimeApi {
  readonly server: Server;
  readonly #events: { id: string; body: string }[] = [];
  readonly #waitingNext: ServerResponse[] = [];
  readonly #posted: Posted[] = [];
  readonly #waiters: ((p: Posted) => void)[] = [];

  constructor() {
    this.server = createServer((req, res) => this.#handle(req, res));
  }

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    const a = this.server.address();
    return `127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  }

  #send(res: ServerResponse, ev: { id: string; body: string }): void {
    res.writeHead(200, {
      'Lambda-Runtime-Aws-Request-Id': ev.id,
      'Lambda-Runtime-Deadline-Ms': String(Date.now() + 30_000),
      'Lambda-Runtime-Invoked-Function-Arn': 'arn:aws:lambda:us-east-1:123456789012:function:direct',
      'Content-Type': 'application/json',
    });
    res.end(ev.body);
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = req.url ?? '';
      if (req.method === 'GET' && url === '/2018-06-01/runtime/invocation/next') {
        const ev = this.#events.shift();
        if (ev) this.#send(res, ev);
        else this.#waitingNext.push(res);
        return;
      }
      const m = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(url);
      const errorType = req.headers['lambda-runtime-function-error-type'] as string | undefined;
      let posted: Posted | undefined;
      if (m) posted = { kind: m[2] as 'response' | 'error', requestId: m[1]!, body, ...(errorType ? { errorType } : {}) };
      else if (url === '/2018-06-01/runtime/init/error') posted = { kind: 'init-error', body, ...(errorType ? { errorType } : {}) };
      if (!posted) {
        res.writeHead(404).end('{}');
        return;
      }
      res.writeHead(202, { 'Content-Type': 'application/json' }).end('{"status":"OK"}');
      const w = this.#waiters.shift();
      if (w) w(posted);
      else this.#posted.push(posted);
    });
  }

  invoke(event: unknown): string {
    const ev = { id: randomUUID(), body: JSON.stringify(event) };
    const res = this.#waitingNext.shift();
    if (res) this.#send(res, ev);
    else this.#events.push(ev);
    return ev.id;
  }

  next(timeoutMs = 60_000): Promise<Posted> {
    const p = this.#posted.shift();
    if (p) return Promise.resolve(p);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('the runtime posted nothing in time')), timeoutMs);
      this.#waiters.push((x) => {
        clearTimeout(t);
        resolve(x);
      });
    });
  }

  close(): void {
    for (const r of this.#waitingNext) r.destroy();
    this.server.closeAllConnections();
    this.server.close();
  }
}

let work = '';
const containers: ChildProcess[] = [];
const names: string[] = [];
const tags: string[] = [];

function runDirect(image: string, api: string, handler: string, taskDir: string): void {
  const name = `lambdock-e2e-direct-${RUN_ID}-${names.length}`;
  names.push(name);
  const env = ['-e', `AWS_LAMBDA_RUNTIME_API=${api}`, '-e', 'AWS_LAMBDA_FUNCTION_NAME=direct', '-e', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256', '-e', 'AWS_LAMBDA_FUNCTION_VERSION=$LATEST'];
  // As Lambda runs a function: read-only root, writable /tmp only, the sandbox user (uid 993).
  const lambdaLike = ['--read-only', '--tmpfs', '/tmp', '--user', '993:990'];
  const child = spawn('docker', ['run', '--rm', '--name', name, '--network', 'host', ...lambdaLike, ...env, '-v', `${taskDir}:/var/task:ro`, image, handler], { stdio: 'ignore' });
  containers.push(child);
}

describe('base images run their runtime directly under a Runtime API (as in Lambda)', { skip, timeout: 600_000 }, () => {
  const image = (n: string) => `lambdock-e2e-direct/${n}:${RUN_ID}`;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'lambdock-base-images-direct-'));
    // This test never starts the emulator: a stand-in binary keeps it independent of the emulator's build.
    const standIn = join(work, 'rie');
    await writeFile(standIn, '#!/bin/sh\necho "emulator stand-in: set AWS_LAMBDA_RUNTIME_API" >&2\nexit 1\n', { mode: 0o755 });
    const layout = join(work, 'layout');
    await buildBaseImages({ images: ['nodejs', 'python:3.11'], output: layout, artifacts: { emulatorSea: standIn, emulatorBundle: standIn } });
    for (const [name, tag] of [['nodejs', '18'], ['nodejs', '20'], ['nodejs', '22'], ['nodejs', '24'], ['python', '3.11']] as const) {
      const target = image(name === 'nodejs' ? `nodejs${tag}` : name);
      const r = spawnSync('skopeo', ['copy', '--quiet', `oci:${layout}:lambdock/${name}:${tag}`, `docker-daemon:${target}`], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      tags.push(target);
    }
  });

  after(async () => {
    for (const n of names) spawnSync('docker', ['rm', '-f', n], { stdio: 'ignore' });
    for (const c of containers) c.kill();
    for (const t of tags) spawnSync('docker', ['rmi', '-f', t], { stdio: 'ignore' });
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('python:3.11 — results, context, errors, init errors', async () => {
    const task = join(work, 'py');
    await mkdir(task, { recursive: true });
    await writeFile(join(task, 'app.py'), 'import os\ndef lambda_handler(event, context):\n    if event.get("fail"):\n        raise KeyError("missing")\n    return {"got": event, "fn": context.function_name, "mem": context.memory_limit_in_mb, "arn": context.invoked_function_arn, "cwd": os.getcwd()}\n');
    await writeFile(join(task, 'bad.py'), 'import no_such_dependency\n');
    const api = new RuntimeApi();
    const address = await api.listen();
    try {
      runDirect(image('python'), address, 'app.lambda_handler', task);
      const id = api.invoke({ a: 1 });
      const ok = await api.next();
      assert.equal(ok.kind, 'response');
      assert.equal(ok.requestId, id);
      assert.deepEqual(JSON.parse(ok.body), { got: { a: 1 }, fn: 'direct', mem: '256', arn: 'arn:aws:lambda:us-east-1:123456789012:function:direct', cwd: '/var/task' });
      const id2 = api.invoke({ fail: true });
      const err = await api.next();
      assert.equal(err.kind, 'error');
      assert.equal(err.requestId, id2);
      const doc = JSON.parse(err.body);
      assert.equal(doc.errorType, 'KeyError');
      assert.equal(doc.errorMessage, "'missing'");
      assert.equal(doc.requestId, id2);
    } finally {
      api.close();
    }
    const api2 = new RuntimeApi();
    const address2 = await api2.listen();
    try {
      runDirect(image('python'), address2, 'bad.handler', task);
      const init = await api2.next();
      assert.equal(init.kind, 'init-error');
      assert.equal(init.errorType, 'Runtime.ImportModuleError');
      assert.equal(JSON.parse(init.body).errorMessage, "Unable to import module 'bad': No module named 'no_such_dependency'");
    } finally {
      api2.close();
    }
  });

  for (const major of ['18', '20', '22', '24']) {
    test(`nodejs:${major} — the runtime client in /var/runtime answers with the image’s Node`, async () => {
      const task = join(work, `node${major}`);
      await mkdir(task, { recursive: true });
      await writeFile(join(task, 'app.mjs'), 'export const handler = async (event, context) => ({ got: event, node: process.version, fn: context.functionName, tz: process.env.TZ });\n');
      const api = new RuntimeApi();
      const address = await api.listen();
      try {
        runDirect(image(`nodejs${major}`), address, 'app.handler', task);
        api.invoke({ b: 2 });
        const ok = await api.next();
        assert.equal(ok.kind, 'response', ok.body);
        const body = JSON.parse(ok.body);
        assert.deepEqual(body.got, { b: 2 });
        assert.match(body.node, new RegExp(`^v${major}\\.`));
        assert.equal(body.fn, 'direct');
        assert.equal(body.tz, ':/etc/localtime');
      } finally {
        api.close();
      }
    });
  }

  test('pushed to a registry (the CNCF reference registry), the images keep their digest and docker pulls them', { skip: commandExists(REFERENCE_REGISTRY) ? false : 'docker-registry not installed' }, async () => {
    const reg = await startReferenceRegistry();
    const pulled: string[] = [];
    try {
      const standIn = join(work, 'rie');
      const [result] = await buildBaseImages({ images: ['python:3.11'], output: join(work, 'layout'), push: reg.host, artifacts: { emulatorSea: standIn, emulatorBundle: standIn } });
      for (const tag of ['3.11', 'latest']) {
        const r = spawnSync('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${reg.host}/lambdock/python:${tag}`], { encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        const digest = 'sha256:' + (await import('node:crypto')).createHash('sha256').update(r.stdout).digest('hex');
        assert.equal(digest, result!.manifestDigest, `lambdock/python:${tag} in the registry is the image that was built`);
      }
      const ref = `${reg.host}/lambdock/python:3.11`;
      const pull = spawnSync('docker', ['pull', '-q', ref], { encoding: 'utf8' });
      assert.equal(pull.status, 0, pull.stderr);
      pulled.push(ref);
      const out = spawnSync('docker', ['run', '--rm', '--entrypoint', '/usr/bin/python3', ref, '-c', 'import sys; print(sys.version_info[:2])'], { encoding: 'utf8' });
      assert.equal(out.stdout.trim(), '(3, 11)');
    } finally {
      for (const p of pulled) spawnSync('docker', ['rmi', '-f', p], { stdio: 'ignore' });
      await reg.stop();
    }
  });
});
