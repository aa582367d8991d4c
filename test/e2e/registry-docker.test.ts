// docker push/pull through the real Docker engine, docker login with an ECR token from
// the AWS CLI, and skopeo copy both ways — against a registry with auth required.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ECRClient, CreateRepositoryCommand, DescribeImagesCommand } from '@aws-sdk/client-ecr';
import { createLogger } from '@lambdock/common';
import { createRegistry, type Registry } from '@lambdock/registry';
import { AWS_CLI, commandExists, dockerAvailable } from '../support/system.js';

const ACCESS_KEY = 'AKIDDOCKERE2E';
const SECRET_KEY = 'docker-e2e-secret';

/** Async: the registry under test runs in this process, so a blocking spawn would deadlock. */
function run(cmd: string, args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<{ status: number; stdout: string; stderr: string }> {
  const child = spawn(cmd, args, { env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin.end(opts.input ?? '');
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
}

const skip = !dockerAvailable()
  ? 'Docker engine not available'
  : !commandExists(AWS_CLI)
    ? `${AWS_CLI} not installed`
    : false;

describe('docker, aws ecr get-login-password and skopeo against the registry', { skip }, () => {
  let registry: Registry;
  let root: string;
  let work: string;
  let host: string;
  let env: Record<string, string>;
  const images: string[] = [];

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'lambdock-docker-e2e-'));
    work = await mkdtemp(join(tmpdir(), 'lambdock-docker-work-'));
    registry = await createRegistry({
      root,
      auth: { mode: 'required', secret: 'docker-e2e-token-secret', users: { [ACCESS_KEY]: SECRET_KEY } },
      logger: createLogger({ level: 'silent' }),
    });
    const server = await registry.listen(0);
    host = `127.0.0.1:${(server.address() as { port: number }).port}`;
    env = { DOCKER_CONFIG: join(work, 'docker-config'), AWS_ACCESS_KEY_ID: ACCESS_KEY, AWS_SECRET_ACCESS_KEY: SECRET_KEY, AWS_DEFAULT_REGION: 'us-east-1', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true' };
    await mkdir(env['DOCKER_CONFIG']!, { recursive: true });
  });

  after(async () => {
    for (const i of images) await run('docker', ['rmi', '-f', i]);
    await registry?.close();
    await rm(root, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  });

  /** A one-file image made with `docker import` (no base image download needed). */
  async function makeImage(ref: string, content: string): Promise<void> {
    const dir = join(work, `ctx-${images.length}`);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'hello.txt'), content);
    const r = await run('sh', ['-c', `tar -C '${dir}' -c . | docker import - '${ref}'`]);
    assert.equal(r.status, 0, r.stderr);
    // by id as well: a later import under the same tag leaves the first one untagged
    images.push(ref, r.stdout.trim());
  }

  async function password(): Promise<string> {
    const r = await run(AWS_CLI, ['ecr', 'get-login-password', '--endpoint-url', `http://${host}`], { env });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
  }

  test('push is refused before login; aws ecr get-login-password | docker login; push; pull', async () => {
    const ref = `${host}/e2e/hello:v1`;
    await makeImage(ref, 'hello from lambdock\n');
    const denied = await run('docker', ['push', ref], { env });
    assert.notEqual(denied.status, 0);
    assert.match(denied.stderr + denied.stdout, /no basic auth credentials|unauthorized|authentication required/i);

    const wrong = await run('docker', ['login', '--username', 'AWS', '--password-stdin', host], { env, input: 'not-a-token' });
    assert.notEqual(wrong.status, 0);
    assert.match(wrong.stderr, /unauthorized|401|invalid or expired credentials/i);

    const login = await run('docker', ['login', '--username', 'AWS', '--password-stdin', host], { env, input: await password() });
    assert.equal(login.status, 0, login.stderr);
    assert.match(login.stdout, /Login Succeeded/);

    const push = await run('docker', ['push', ref], { env });
    assert.equal(push.status, 0, push.stderr);
    const digest = /digest: (sha256:[0-9a-f]{64})/.exec(push.stdout)?.[1];
    assert.ok(digest, push.stdout);

    const ecr = new ECRClient({ endpoint: `http://${host}`, region: 'us-east-1', credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY } });
    try {
      const d = await ecr.send(new DescribeImagesCommand({ repositoryName: 'e2e/hello' }));
      assert.equal(d.imageDetails![0]!.imageDigest, digest);
      assert.deepEqual(d.imageDetails![0]!.imageTags, ['v1']);
    } finally {
      ecr.destroy();
    }

    assert.equal((await run('docker', ['rmi', ref])).status, 0);
    const pull = await run('docker', ['pull', ref], { env });
    assert.equal(pull.status, 0, pull.stderr);
    assert.match(pull.stdout, new RegExp(digest!));
    const create = await run('docker', ['create', ref, '/nothing']);
    assert.equal(create.status, 0, create.stderr);
    const id = create.stdout.trim();
    const cat = await run('sh', ['-c', `docker cp ${id}:/hello.txt - | tar -xO`]);
    await run('docker', ['rm', id]);
    assert.equal(cat.stdout, 'hello from lambdock\n');
  });

  test('docker push over an IMMUTABLE tag is refused with ECR wording', async () => {
    const ecr = new ECRClient({ endpoint: `http://${host}`, region: 'us-east-1', credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY } });
    try {
      await ecr.send(new CreateRepositoryCommand({ repositoryName: 'e2e/immutable', imageTagMutability: 'IMMUTABLE' }));
    } finally {
      ecr.destroy();
    }
    await run('docker', ['login', '--username', 'AWS', '--password-stdin', host], { env, input: await password() });
    const ref = `${host}/e2e/immutable:release`;
    await makeImage(ref, 'one\n');
    assert.equal((await run('docker', ['push', ref], { env })).status, 0);
    await makeImage(ref, 'two\n');
    const again = await run('docker', ['push', ref], { env });
    assert.notEqual(again.status, 0);
    assert.match(again.stderr + again.stdout, /cannot be overwritten because the tag is immutable/);
  });

  test('skopeo copy registry → OCI layout → registry keeps the manifest digest', { skip: commandExists('skopeo') ? false : 'skopeo not installed' }, async () => {
    const creds = `AWS:${await password()}`;
    const ref = `${host}/e2e/skopeo-src:v1`;
    await makeImage(ref, 'copied by skopeo\n');
    await run('docker', ['login', '--username', 'AWS', '--password-stdin', host], { env, input: creds.slice(4) });
    assert.equal((await run('docker', ['push', ref], { env })).status, 0);
    const layout = join(work, 'layout');
    const out = await run('skopeo', ['copy', '--src-tls-verify=false', '--src-creds', creds, `docker://${ref}`, `oci:${layout}:v1`]);
    assert.equal(out.status, 0, out.stderr);
    const back = await run('skopeo', ['copy', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${layout}:v1`, `docker://${host}/e2e/skopeo-dst:v1`]);
    assert.equal(back.status, 0, back.stderr);
    const inspect = await run('skopeo', ['inspect', '--tls-verify=false', '--creds', creds, '--raw', `docker://${host}/e2e/skopeo-dst:v1`]);
    assert.equal(inspect.status, 0, inspect.stderr);
    const manifest = JSON.parse(inspect.stdout) as { layers: unknown[] };
    assert.equal(manifest.layers.length, 1);
    const tags = await run('skopeo', ['list-tags', '--tls-verify=false', '--creds', creds, `docker://${host}/e2e/skopeo-dst`]);
    assert.deepEqual(JSON.parse(tags.stdout).Tags, ['v1']);
  });
});

describe('docker against the open loopback default (what `lambdock up` serves)', { skip }, () => {
  test('docker push without login creates the repository; aws ecr sees it', async () => {
    const root = await mkdtemp(join(tmpdir(), 'lambdock-docker-open-'));
    const work = await mkdtemp(join(tmpdir(), 'lambdock-docker-open-work-'));
    const registry = await createRegistry({ root, auth: { mode: 'open-loopback' }, logger: createLogger({ level: 'silent' }) });
    const server = await registry.listen(0);
    const host = `127.0.0.1:${(server.address() as { port: number }).port}`;
    const ref = `${host}/first/push:latest`;
    const env = { DOCKER_CONFIG: join(work, 'docker-config'), AWS_ACCESS_KEY_ID: 'any', AWS_SECRET_ACCESS_KEY: 'any', AWS_DEFAULT_REGION: 'us-east-1', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true' };
    let imageId = '';
    try {
      await writeFile(join(work, 'f.txt'), 'open\n');
      const imp = await run('sh', ['-c', `tar -C '${work}' -c f.txt | docker import - '${ref}'`]);
      assert.equal(imp.status, 0, imp.stderr);
      imageId = imp.stdout.trim();
      const push = await run('docker', ['push', ref], { env });
      assert.equal(push.status, 0, push.stderr);
      const d = await run(AWS_CLI, ['ecr', 'describe-images', '--repository-name', 'first/push', '--endpoint-url', `http://${host}`, '--output', 'json'], { env });
      assert.equal(d.status, 0, d.stderr);
      assert.deepEqual(JSON.parse(d.stdout).imageDetails[0].imageTags, ['latest']);
    } finally {
      await run('docker', ['rmi', '-f', ref]);
      if (imageId) await run('docker', ['rmi', '-f', imageId]);
      await registry.close();
      await rm(root, { recursive: true, force: true });
      await rm(work, { recursive: true, force: true });
    }
  });
});
