// ECR JSON API through real clients: /usr/bin/aws (CLI v2) and @aws-sdk/client-ecr.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ECRClient,
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  DescribeImagesCommand,
  ListImagesCommand,
  BatchGetImageCommand,
  BatchDeleteImageCommand,
  PutImageCommand,
  PutImageTagMutabilityCommand,
  PutLifecyclePolicyCommand,
  GetLifecyclePolicyCommand,
  DeleteLifecyclePolicyCommand,
  PutImageScanningConfigurationCommand,
  TagResourceCommand,
  UntagResourceCommand,
  ListTagsForResourceCommand,
  DeleteRepositoryCommand,
  GetAuthorizationTokenCommand,
  InitiateLayerUploadCommand,
  UploadLayerPartCommand,
  CompleteLayerUploadCommand,
  BatchCheckLayerAvailabilityCommand,
  GetDownloadUrlForLayerCommand,
} from '@aws-sdk/client-ecr';
import { createLogger } from '@lambdock/common';
import { createRegistry, type Registry } from '@lambdock/registry';
import { AWS_CLI, commandExists } from '../support/system.js';

const ACCESS_KEY = 'AKIDLAMBDOCKTEST';
const SECRET_KEY = 'lambdock-test-secret';
const sha256 = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

let registry: Registry;
let root: string;
let endpoint: string;
let clockOffset = 0;
let ecr: ECRClient;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'lambdock-ecr-e2e-'));
  registry = await createRegistry({
    root,
    auth: { mode: 'required', secret: 'token-secret', users: { [ACCESS_KEY]: SECRET_KEY } },
    logger: createLogger({ level: 'silent' }),
    now: () => Date.now() + clockOffset,
  });
  const server = await registry.listen(0);
  endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  ecr = new ECRClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY } });
});

after(async () => {
  ecr?.destroy();
  await registry?.close();
  await rm(root, { recursive: true, force: true });
});

/** Runs the CLI asynchronously: the registry under test lives in this process's event loop. */
function aws(args: string[], secret = SECRET_KEY): Promise<{ status: number; stdout: string; stderr: string }> {
  const child = spawn(AWS_CLI, [...args, '--endpoint-url', endpoint, '--output', 'json'], {
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: tmpdir(),
      AWS_ACCESS_KEY_ID: ACCESS_KEY,
      AWS_SECRET_ACCESS_KEY: secret,
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_CONFIG_FILE: '/nonexistent',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_PAGER: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
}

/** Pushes config + layer blobs over the distribution API (Basic auth with an ECR token) and returns a manifest. */
async function blobsAndManifest(repo: string, note = randomBytes(6).toString('hex')): Promise<{ manifest: string; digest: string }> {
  const { authorizationData } = await ecr.send(new GetAuthorizationTokenCommand({}));
  const auth = `Basic ${authorizationData![0]!.authorizationToken}`;
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, author: note }));
  const layer = randomBytes(512);
  for (const b of [config, layer]) {
    const res = await fetch(`${endpoint}/v2/${repo}/blobs/uploads/?digest=${sha256(b)}`, { method: 'POST', body: b, headers: { Authorization: auth } });
    assert.equal(res.status, 201);
  }
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(layer), size: layer.length }],
  });
  return { manifest, digest: sha256(manifest) };
}

async function rejects(p: Promise<unknown>, name: string): Promise<void> {
  await assert.rejects(p, (err: Error) => {
    assert.equal(err.name, name);
    return true;
  });
}

describe('ECR API with the AWS CLI v2', { skip: commandExists(AWS_CLI) ? false : `${AWS_CLI} not installed` }, () => {
  test('create-repository, duplicate refused, describe-repositories, delete-repository', async () => {
    const c = await aws(['ecr', 'create-repository', '--repository-name', 'cli/app', '--image-tag-mutability', 'IMMUTABLE']);
    assert.equal(c.status, 0, c.stderr);
    const repo = JSON.parse(c.stdout).repository;
    assert.equal(repo.repositoryName, 'cli/app');
    assert.equal(repo.imageTagMutability, 'IMMUTABLE');
    assert.equal(repo.repositoryArn, 'arn:aws:ecr:us-east-1:123456789012:repository/cli/app');
    assert.match(repo.repositoryUri, /^localhost:\d+\/cli\/app$/);
    const dup = await aws(['ecr', 'create-repository', '--repository-name', 'cli/app']);
    assert.notEqual(dup.status, 0);
    assert.match(dup.stderr, /RepositoryAlreadyExistsException/);
    const d = await aws(['ecr', 'describe-repositories', '--repository-names', 'cli/app']);
    assert.equal(JSON.parse(d.stdout).repositories[0].repositoryName, 'cli/app');
    const missing = await aws(['ecr', 'describe-repositories', '--repository-names', 'cli/none']);
    assert.match(missing.stderr, /RepositoryNotFoundException/);
    const del = await aws(['ecr', 'delete-repository', '--repository-name', 'cli/app']);
    assert.equal(del.status, 0, del.stderr);
  });

  test('get-login-password prints a token the registry accepts; a wrong secret is refused', async () => {
    const p = await aws(['ecr', 'get-login-password']);
    assert.equal(p.status, 0, p.stderr);
    const password = p.stdout.trim();
    const ok = await fetch(`${endpoint}/v2/`, { headers: { Authorization: `Basic ${Buffer.from(`AWS:${password}`).toString('base64')}` } });
    assert.equal(ok.status, 200);
    const anon = await fetch(`${endpoint}/v2/`);
    assert.equal(anon.status, 401);
    assert.match(anon.headers.get('www-authenticate')!, /^Basic realm=/);
    const bad = await aws(['ecr', 'get-login-password'], 'wrong-secret');
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /InvalidSignatureException/);
  });

  test('images: put-image, list-images, describe-images, batch-get-image, batch-delete-image', async () => {
    await aws(['ecr', 'create-repository', '--repository-name', 'cli/images']);
    const { manifest, digest } = await blobsAndManifest('cli/images');
    const put = await aws(['ecr', 'put-image', '--repository-name', 'cli/images', '--image-tag', 'v1', '--image-manifest', manifest]);
    assert.equal(put.status, 0, put.stderr);
    assert.equal(JSON.parse(put.stdout).image.imageId.imageDigest, digest);
    const list = JSON.parse((await aws(['ecr', 'list-images', '--repository-name', 'cli/images', '--filter', 'tagStatus=TAGGED'])).stdout);
    assert.deepEqual(list.imageIds, [{ imageDigest: digest, imageTag: 'v1' }]);
    const desc = JSON.parse((await aws(['ecr', 'describe-images', '--repository-name', 'cli/images'])).stdout);
    assert.deepEqual(desc.imageDetails[0].imageTags, ['v1']);
    assert.equal(desc.imageDetails[0].imageManifestMediaType, OCI_MANIFEST);
    assert.ok(desc.imageDetails[0].imageSizeInBytes > 512);
    const get = JSON.parse((await aws(['ecr', 'batch-get-image', '--repository-name', 'cli/images', '--image-ids', 'imageTag=v1'])).stdout);
    assert.equal(get.images[0].imageManifest, manifest);
    const del = JSON.parse((await aws(['ecr', 'batch-delete-image', '--repository-name', 'cli/images', '--image-ids', 'imageTag=v1', 'imageTag=nope'])).stdout);
    assert.deepEqual(del.imageIds, [{ imageDigest: digest, imageTag: 'v1' }]);
    assert.equal(del.failures[0].failureCode, 'ImageNotFound');
  });

  test('lifecycle policy and scanning configuration round-trip', async () => {
    await aws(['ecr', 'create-repository', '--repository-name', 'cli/lifecycle']);
    const policy = JSON.stringify({
      rules: [{ rulePriority: 1, description: 'keep one untagged', selection: { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } }],
    });
    const put = await aws(['ecr', 'put-lifecycle-policy', '--repository-name', 'cli/lifecycle', '--lifecycle-policy-text', policy]);
    assert.equal(put.status, 0, put.stderr);
    const get = JSON.parse((await aws(['ecr', 'get-lifecycle-policy', '--repository-name', 'cli/lifecycle'])).stdout);
    assert.equal(get.lifecyclePolicyText, policy);
    assert.equal((await aws(['ecr', 'delete-lifecycle-policy', '--repository-name', 'cli/lifecycle'])).status, 0);
    assert.match((await aws(['ecr', 'get-lifecycle-policy', '--repository-name', 'cli/lifecycle'])).stderr, /LifecyclePolicyNotFoundException/);
    const scan = await aws(['ecr', 'put-image-scanning-configuration', '--repository-name', 'cli/lifecycle', '--image-scanning-configuration', 'scanOnPush=true']);
    assert.equal(JSON.parse(scan.stdout).imageScanningConfiguration.scanOnPush, true);
  });
});

describe('ECR API with the AWS CLI v2: mutability, resource tags, forced delete', { skip: commandExists(AWS_CLI) ? false : `${AWS_CLI} not installed` }, () => {
  test('put-image-tag-mutability, tag-resource/untag-resource/list-tags-for-resource, delete-repository --force', async () => {
    const created = JSON.parse((await aws(['ecr', 'create-repository', '--repository-name', 'cli/more', '--tags', 'Key=team,Value=a'])).stdout);
    const arn = created.repository.repositoryArn;
    const mut = await aws(['ecr', 'put-image-tag-mutability', '--repository-name', 'cli/more', '--image-tag-mutability', 'IMMUTABLE']);
    assert.equal(JSON.parse(mut.stdout).imageTagMutability, 'IMMUTABLE');
    assert.equal((await aws(['ecr', 'tag-resource', '--resource-arn', arn, '--tags', 'Key=env,Value=prod'])).status, 0);
    assert.equal((await aws(['ecr', 'untag-resource', '--resource-arn', arn, '--tag-keys', 'team'])).status, 0);
    const tags = JSON.parse((await aws(['ecr', 'list-tags-for-resource', '--resource-arn', arn])).stdout);
    assert.deepEqual(tags.tags, [{ Key: 'env', Value: 'prod' }]);
    const { manifest } = await blobsAndManifest('cli/more');
    assert.equal((await aws(['ecr', 'put-image', '--repository-name', 'cli/more', '--image-tag', 'v1', '--image-manifest', manifest])).status, 0);
    const other = await blobsAndManifest('cli/more');
    const overwrite = await aws(['ecr', 'put-image', '--repository-name', 'cli/more', '--image-tag', 'v1', '--image-manifest', other.manifest]);
    assert.match(overwrite.stderr, /ImageTagAlreadyExistsException/);
    const notEmpty = await aws(['ecr', 'delete-repository', '--repository-name', 'cli/more']);
    assert.match(notEmpty.stderr, /RepositoryNotEmptyException/);
    const forced = await aws(['ecr', 'delete-repository', '--repository-name', 'cli/more', '--force']);
    assert.equal(forced.status, 0, forced.stderr);
    assert.match((await aws(['ecr', 'list-images', '--repository-name', 'cli/more'])).stderr, /RepositoryNotFoundException/);
  });
});

describe('ECR API with @aws-sdk/client-ecr', () => {
  test('describe-repositories paginates with maxResults/nextToken', async () => {
    for (const n of ['sdk/page-a', 'sdk/page-b', 'sdk/page-c']) await ecr.send(new CreateRepositoryCommand({ repositoryName: n }));
    const names: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const out = await ecr.send(new DescribeRepositoriesCommand({ maxResults: 2, ...(nextToken ? { nextToken } : {}) }));
      names.push(...out.repositories!.map((r) => r.repositoryName!));
      nextToken = out.nextToken;
      pages++;
    } while (nextToken);
    assert.ok(pages >= 2);
    for (const n of ['sdk/page-a', 'sdk/page-b', 'sdk/page-c']) assert.ok(names.includes(n));
    const one = await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['sdk/page-a'] }));
    assert.ok(one.repositories![0]!.createdAt instanceof Date);
    await rejects(ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['sdk/absent'] })), 'RepositoryNotFoundException');
    await rejects(ecr.send(new CreateRepositoryCommand({ repositoryName: 'sdk/page-a' })), 'RepositoryAlreadyExistsException');
    await rejects(ecr.send(new CreateRepositoryCommand({ repositoryName: 'Bad Name' })), 'InvalidParameterException');
  });

  test('immutable tags are refused on PutImage and on a distribution PUT, in ECR words', async () => {
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'sdk/immutable' }));
    await ecr.send(new PutImageTagMutabilityCommand({ repositoryName: 'sdk/immutable', imageTagMutability: 'IMMUTABLE' }));
    const first = await blobsAndManifest('sdk/immutable');
    await ecr.send(new PutImageCommand({ repositoryName: 'sdk/immutable', imageTag: 'release', imageManifest: first.manifest }));
    await rejects(ecr.send(new PutImageCommand({ repositoryName: 'sdk/immutable', imageTag: 'release', imageManifest: first.manifest })), 'ImageAlreadyExistsException');
    const second = await blobsAndManifest('sdk/immutable');
    await rejects(ecr.send(new PutImageCommand({ repositoryName: 'sdk/immutable', imageTag: 'release', imageManifest: second.manifest })), 'ImageTagAlreadyExistsException');
    const { authorizationData } = await ecr.send(new GetAuthorizationTokenCommand({}));
    const res = await fetch(`${endpoint}/v2/sdk/immutable/manifests/release`, {
      method: 'PUT',
      body: second.manifest,
      headers: { 'Content-Type': OCI_MANIFEST, Authorization: `Basic ${authorizationData![0]!.authorizationToken}` },
    });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { errors: { code: string; message: string }[] };
    assert.equal(body.errors[0]!.code, 'TAG_INVALID');
    assert.equal(body.errors[0]!.message, "The image tag 'release' already exists in the 'sdk/immutable' repository and cannot be overwritten because the tag is immutable.");
  });

  test('PutImage with missing layers is LayersNotFoundException; BatchGetImage honours acceptedMediaTypes', async () => {
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'sdk/images' }));
    const m = JSON.parse((await blobsAndManifest('sdk/images')).manifest);
    m.layers[0].digest = sha256('never pushed');
    await rejects(ecr.send(new PutImageCommand({ repositoryName: 'sdk/images', imageTag: 'x', imageManifest: JSON.stringify(m) })), 'LayersNotFoundException');
    const ok = await blobsAndManifest('sdk/images');
    await ecr.send(new PutImageCommand({ repositoryName: 'sdk/images', imageTag: 'x', imageManifest: ok.manifest }));
    const refused = await ecr.send(
      new BatchGetImageCommand({ repositoryName: 'sdk/images', imageIds: [{ imageTag: 'x' }], acceptedMediaTypes: ['application/vnd.docker.distribution.manifest.v2+json'] }),
    );
    assert.equal(refused.images!.length, 0);
    assert.equal(refused.failures![0]!.failureCode, 'UnsupportedImageType');
    const got = await ecr.send(new BatchGetImageCommand({ repositoryName: 'sdk/images', imageIds: [{ imageDigest: ok.digest }], acceptedMediaTypes: [OCI_MANIFEST] }));
    assert.equal(got.images![0]!.imageManifest, ok.manifest);
    const untagged = await blobsAndManifest('sdk/images');
    await ecr.send(new PutImageCommand({ repositoryName: 'sdk/images', imageManifest: untagged.manifest }));
    const u = await ecr.send(new ListImagesCommand({ repositoryName: 'sdk/images', filter: { tagStatus: 'UNTAGGED' } }));
    assert.deepEqual(u.imageIds, [{ imageDigest: untagged.digest }]);
    const d = await ecr.send(new DescribeImagesCommand({ repositoryName: 'sdk/images', imageIds: [{ imageTag: 'x' }] }));
    assert.ok(d.imageDetails![0]!.imagePushedAt instanceof Date);
    await rejects(ecr.send(new DescribeImagesCommand({ repositoryName: 'sdk/images', imageIds: [{ imageTag: 'nope' }] })), 'ImageNotFoundException');
    const del = await ecr.send(new BatchDeleteImageCommand({ repositoryName: 'sdk/images', imageIds: [{ imageDigest: untagged.digest }, { imageDigest: sha256('zz') }] }));
    assert.deepEqual(del.imageIds, [{ imageDigest: untagged.digest }]);
    assert.equal(del.failures![0]!.failureCode, 'ImageNotFound');
  });

  test('lifecycle rules are applied on push and periodically (imageCountMoreThan, sinceImagePushed)', async () => {
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'sdk/lifecycle' }));
    const policy = {
      rules: [
        { rulePriority: 1, selection: { tagStatus: 'tagged', tagPrefixList: ['v'], countType: 'imageCountMoreThan', countNumber: 2 }, action: { type: 'expire' } },
        { rulePriority: 2, selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 }, action: { type: 'expire' } },
      ],
    };
    await ecr.send(new PutLifecyclePolicyCommand({ repositoryName: 'sdk/lifecycle', lifecyclePolicyText: JSON.stringify(policy) }));
    for (const tag of ['v1', 'v2', 'v3', 'v4', 'dev']) {
      const img = await blobsAndManifest('sdk/lifecycle');
      await ecr.send(new PutImageCommand({ repositoryName: 'sdk/lifecycle', imageTag: tag, imageManifest: img.manifest }));
      await new Promise((r) => setTimeout(r, 5));
    }
    const untagged = await blobsAndManifest('sdk/lifecycle');
    await ecr.send(new PutImageCommand({ repositoryName: 'sdk/lifecycle', imageManifest: untagged.manifest }));
    const tags = async (): Promise<string[]> =>
      ((await ecr.send(new ListImagesCommand({ repositoryName: 'sdk/lifecycle' }))).imageIds ?? []).map((i) => i.imageTag ?? '<untagged>').sort();
    assert.deepEqual(await tags(), ['<untagged>', 'dev', 'v3', 'v4']);
    clockOffset = 8 * 24 * 60 * 60 * 1000;
    try {
      assert.equal(await registry.applyLifecyclePolicies(), 1);
    } finally {
      clockOffset = 0;
    }
    assert.deepEqual(await tags(), ['dev', 'v3', 'v4']);
    const got = await ecr.send(new GetLifecyclePolicyCommand({ repositoryName: 'sdk/lifecycle' }));
    assert.ok(got.lastEvaluatedAt instanceof Date);
    await rejects(
      ecr.send(new PutLifecyclePolicyCommand({ repositoryName: 'sdk/lifecycle', lifecyclePolicyText: JSON.stringify({ rules: [{ rulePriority: 1, selection: { tagStatus: 'tagged', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } }] }) })),
      'InvalidParameterException',
    );
    await ecr.send(new DeleteLifecyclePolicyCommand({ repositoryName: 'sdk/lifecycle' }));
    await rejects(ecr.send(new GetLifecyclePolicyCommand({ repositoryName: 'sdk/lifecycle' })), 'LifecyclePolicyNotFoundException');
  });

  test('resource tags, scanning configuration, delete with and without force', async () => {
    const { repository } = await ecr.send(new CreateRepositoryCommand({ repositoryName: 'sdk/tags', tags: [{ Key: 'team', Value: 'a' }] }));
    const arn = repository!.repositoryArn!;
    await ecr.send(new TagResourceCommand({ resourceArn: arn, tags: [{ Key: 'env', Value: 'prod' }] }));
    await ecr.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['team'] }));
    const t = await ecr.send(new ListTagsForResourceCommand({ resourceArn: arn }));
    assert.deepEqual(t.tags, [{ Key: 'env', Value: 'prod' }]);
    await rejects(ecr.send(new ListTagsForResourceCommand({ resourceArn: 'arn:aws:ecr:us-east-1:123456789012:repository/none' })), 'RepositoryNotFoundException');
    const s = await ecr.send(new PutImageScanningConfigurationCommand({ repositoryName: 'sdk/tags', imageScanningConfiguration: { scanOnPush: true } }));
    assert.equal(s.imageScanningConfiguration!.scanOnPush, true);
    const img = await blobsAndManifest('sdk/tags');
    await ecr.send(new PutImageCommand({ repositoryName: 'sdk/tags', imageTag: 'a', imageManifest: img.manifest }));
    await rejects(ecr.send(new DeleteRepositoryCommand({ repositoryName: 'sdk/tags' })), 'RepositoryNotEmptyException');
    await ecr.send(new DeleteRepositoryCommand({ repositoryName: 'sdk/tags', force: true }));
    await rejects(ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['sdk/tags'] })), 'RepositoryNotFoundException');
  });

  test('layer API: initiate, parts in order, complete with digest check, availability, download URL', async () => {
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'sdk/layers' }));
    const layer = randomBytes(3000);
    const digest = sha256(layer);
    const { uploadId, partSize } = await ecr.send(new InitiateLayerUploadCommand({ repositoryName: 'sdk/layers' }));
    assert.ok(uploadId && partSize! > 0);
    await rejects(
      ecr.send(new UploadLayerPartCommand({ repositoryName: 'sdk/layers', uploadId, partFirstByte: 1000, partLastByte: 2999, layerPartBlob: layer.subarray(1000) })),
      'InvalidLayerPartException',
    );
    const p1 = await ecr.send(new UploadLayerPartCommand({ repositoryName: 'sdk/layers', uploadId, partFirstByte: 0, partLastByte: 999, layerPartBlob: layer.subarray(0, 1000) }));
    assert.equal(p1.lastByteReceived, 999);
    await ecr.send(new UploadLayerPartCommand({ repositoryName: 'sdk/layers', uploadId, partFirstByte: 1000, partLastByte: 2999, layerPartBlob: layer.subarray(1000) }));
    const before = await ecr.send(new BatchCheckLayerAvailabilityCommand({ repositoryName: 'sdk/layers', layerDigests: [digest] }));
    assert.equal(before.layers![0]!.layerAvailability, 'UNAVAILABLE');
    const done = await ecr.send(new CompleteLayerUploadCommand({ repositoryName: 'sdk/layers', uploadId, layerDigests: [digest] }));
    assert.equal(done.layerDigest, digest);
    const after = await ecr.send(new BatchCheckLayerAvailabilityCommand({ repositoryName: 'sdk/layers', layerDigests: [digest] }));
    assert.deepEqual([after.layers![0]!.layerAvailability, after.layers![0]!.layerSize], ['AVAILABLE', 3000]);
    const { downloadUrl } = await ecr.send(new GetDownloadUrlForLayerCommand({ repositoryName: 'sdk/layers', layerDigest: digest }));
    const { authorizationData } = await ecr.send(new GetAuthorizationTokenCommand({}));
    const res = await fetch(downloadUrl!.replace(/^http:\/\/[^/]+/, endpoint), { headers: { Authorization: `Basic ${authorizationData![0]!.authorizationToken}` } });
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), layer);
    // a wrong digest at completion is InvalidLayerException
    const second = await ecr.send(new InitiateLayerUploadCommand({ repositoryName: 'sdk/layers' }));
    await ecr.send(new UploadLayerPartCommand({ repositoryName: 'sdk/layers', uploadId: second.uploadId, partFirstByte: 0, partLastByte: 9, layerPartBlob: randomBytes(10) }));
    await rejects(ecr.send(new CompleteLayerUploadCommand({ repositoryName: 'sdk/layers', uploadId: second.uploadId, layerDigests: [sha256('other')] })), 'InvalidLayerException');
    await rejects(ecr.send(new CompleteLayerUploadCommand({ repositoryName: 'sdk/layers', uploadId: 'nope', layerDigests: [digest] })), 'UploadNotFoundException');
    await rejects(ecr.send(new GetDownloadUrlForLayerCommand({ repositoryName: 'sdk/layers', layerDigest: sha256('missing') })), 'LayersNotFoundException');
  });

  test('a wrong secret key fails SigV4 verification', async () => {
    const bad = new ECRClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: 'nope' } });
    try {
      await rejects(bad.send(new DescribeRepositoriesCommand({})), 'InvalidSignatureException');
    } finally {
      bad.destroy();
    }
    const unknown = new ECRClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDUNKNOWN', secretAccessKey: 'x' } });
    try {
      await rejects(unknown.send(new DescribeRepositoriesCommand({})), 'UnrecognizedClientException');
    } finally {
      unknown.destroy();
    }
  });
});
