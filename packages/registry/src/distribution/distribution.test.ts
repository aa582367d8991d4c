import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { startRegistry, type Running } from '../testing/harness.js';

const sha256 = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const sha512 = (b: Buffer | string): string => `sha512:${createHash('sha512').update(b).digest('hex')}`;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

let r: Running;
before(async () => {
  r = await startRegistry();
});
after(async () => {
  await r.stop();
});

const req = (path: string, init: RequestInit = {}): Promise<Response> => fetch(r.base + path, init);

async function errorCode(res: Response): Promise<string> {
  const body = (await res.json()) as { errors: { code: string }[] };
  return body.errors[0]!.code;
}

async function pushBlob(name: string, data: Buffer): Promise<string> {
  const d = sha256(data);
  const res = await req(`/v2/${name}/blobs/uploads/?digest=${d}`, { method: 'POST', body: data, headers: { 'Content-Type': 'application/octet-stream' } });
  assert.equal(res.status, 201);
  return d;
}

function imageManifest(config: Buffer, layers: Buffer[], extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(l), size: l.length })),
      ...extra,
    }),
  );
}

async function pushImage(name: string, tag: string, extra: Record<string, unknown> = {}): Promise<{ digest: string; manifest: Buffer; layer: Buffer; config: Buffer }> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, author: randomBytes(8).toString('hex') }));
  const layer = randomBytes(1000);
  await pushBlob(name, config);
  await pushBlob(name, layer);
  const manifest = imageManifest(config, [layer], extra);
  const res = await req(`/v2/${name}/manifests/${tag}`, { method: 'PUT', body: manifest, headers: { 'Content-Type': OCI_MANIFEST } });
  assert.equal(res.status, 201, await res.clone().text());
  return { digest: sha256(manifest), manifest, layer, config };
}

describe('base and errors', () => {
  test('GET /v2/ answers 200 {} with the API version header', async () => {
    const res = await req('/v2/');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('docker-distribution-api-version'), 'registry/2.0');
    assert.deepEqual(await res.json(), {});
  });

  test('an invalid repository name is 400 NAME_INVALID', async () => {
    const res = await req('/v2/Bad_Name/tags/list');
    assert.equal(res.status, 400);
    assert.equal(await errorCode(res), 'NAME_INVALID');
    const long = await req(`/v2/${'a'.repeat(257)}/tags/list`);
    assert.equal(long.status, 400);
  });

  test('a malformed digest is 400 DIGEST_INVALID, never 500', async () => {
    for (const d of ['sha256:xyz', 'md5:abc', 'nocolon', `sha256:${'A'.repeat(64)}`]) {
      const res = await req(`/v2/some/repo/blobs/${d}`);
      assert.equal(res.status, 400, d);
      assert.equal(await errorCode(res), 'DIGEST_INVALID');
    }
  });

  test('unknown repository and method give the spec codes', async () => {
    const res = await req('/v2/nothing/here/tags/list');
    assert.equal(res.status, 404);
    assert.equal(await errorCode(res), 'NAME_UNKNOWN');
    const m = await req('/v2/_catalog', { method: 'DELETE' });
    assert.equal(m.status, 405);
    assert.equal(await errorCode(m), 'UNSUPPORTED');
  });
});

describe('push and pull blobs', () => {
  test('monolithic POST ?digest= then GET/HEAD, with ranges', async () => {
    const data = randomBytes(5000);
    const d = await pushBlob('pull/blobs', data);
    const head = await req(`/v2/pull/blobs/blobs/${d}`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), '5000');
    assert.equal(head.headers.get('docker-content-digest'), d);
    const get = await req(`/v2/pull/blobs/blobs/${d}`);
    assert.deepEqual(Buffer.from(await get.arrayBuffer()), data);
    const part = await req(`/v2/pull/blobs/blobs/${d}`, { headers: { Range: 'bytes=100-199' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), 'bytes 100-199/5000');
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), data.subarray(100, 200));
    const suffix = await req(`/v2/pull/blobs/blobs/${d}`, { headers: { Range: 'bytes=-10' } });
    assert.equal(suffix.status, 206);
    assert.deepEqual(Buffer.from(await suffix.arrayBuffer()), data.subarray(4990));
    const bad = await req(`/v2/pull/blobs/blobs/${d}`, { headers: { Range: 'bytes=6000-7000' } });
    assert.equal(bad.status, 416);
    assert.equal(bad.headers.get('content-range'), 'bytes */5000');
    const missing = await req(`/v2/pull/blobs/blobs/${sha256('nope')}`);
    assert.equal(missing.status, 404);
    assert.equal(await errorCode(missing), 'BLOB_UNKNOWN');
  });

  test('POST then PUT with the whole body; digest mismatch is 400 DIGEST_INVALID and nothing is stored', async () => {
    const data = randomBytes(300);
    const start = await req('/v2/push/two/blobs/uploads/', { method: 'POST' });
    assert.equal(start.status, 202);
    assert.ok(start.headers.get('docker-upload-uuid'));
    assert.ok(start.headers.get('oci-chunk-min-length'));
    const loc = start.headers.get('location')!;
    const wrong = sha256('something else');
    const put = await req(`${loc}?digest=${wrong}`, { method: 'PUT', body: data });
    assert.equal(put.status, 400);
    assert.equal(await errorCode(put), 'DIGEST_INVALID');
    assert.equal((await req(`/v2/push/two/blobs/${wrong}`)).status, 404);
    assert.equal((await req(`/v2/push/two/blobs/${sha256(data)}`)).status, 404);
    // the session is gone after a failed commit
    assert.equal((await req(loc)).status, 404);

    const s2 = await req('/v2/push/two/blobs/uploads/', { method: 'POST' });
    const ok = await req(`${s2.headers.get('location')}?digest=${sha256(data)}`, { method: 'PUT', body: data });
    assert.equal(ok.status, 201);
    assert.equal(ok.headers.get('location'), `/v2/push/two/blobs/${sha256(data)}`);
  });

  test('chunked PATCH with Content-Range; out-of-order and retried chunks are 416; status GET resumes', async () => {
    const data = randomBytes(100);
    const start = await req('/v2/push/chunked/blobs/uploads/', { method: 'POST', headers: { 'Content-Length': '0' } });
    const loc = start.headers.get('location')!;
    const second = await req(loc, { method: 'PATCH', body: data.subarray(50), headers: { 'Content-Range': '50-99', 'Content-Type': 'application/octet-stream' } });
    assert.equal(second.status, 416);
    const first = await req(loc, { method: 'PATCH', body: data.subarray(0, 50), headers: { 'Content-Range': '0-49' } });
    assert.equal(first.status, 202);
    assert.equal(first.headers.get('range'), '0-49');
    const retry = await req(loc, { method: 'PATCH', body: data.subarray(0, 50), headers: { 'Content-Range': '0-49' } });
    assert.equal(retry.status, 416);
    assert.equal(retry.headers.get('range'), '0-49');
    const status = await req(loc);
    assert.equal(status.status, 204);
    assert.equal(status.headers.get('range'), '0-49');
    assert.ok(status.headers.get('location'));
    const next = await req(status.headers.get('location')!, { method: 'PATCH', body: data.subarray(50), headers: { 'Content-Range': '50-99' } });
    assert.equal(next.status, 202);
    const done = await req(`${next.headers.get('location')}?digest=${sha256(data)}`, { method: 'PUT', headers: { 'Content-Length': '0' } });
    assert.equal(done.status, 201);
    const got = await req(`/v2/push/chunked/blobs/${sha256(data)}`);
    assert.deepEqual(Buffer.from(await got.arrayBuffer()), data);
  });

  test('an out-of-order final chunk sent with PUT is 416 and the session survives to finish', async () => {
    const data = randomBytes(90);
    const d = sha256(data);
    const start = await req('/v2/push/putchunk/blobs/uploads/', { method: 'POST', headers: { 'Content-Length': '0' } });
    let loc = start.headers.get('location')!;
    const c1 = await req(loc, { method: 'PATCH', body: data.subarray(0, 30), headers: { 'Content-Range': '0-29' } });
    assert.equal(c1.status, 202);
    loc = c1.headers.get('location')!;
    // skip ahead: the last chunk as a PUT while only 30 bytes arrived
    const bad = await req(`${loc}?digest=${d}`, { method: 'PUT', body: data.subarray(60), headers: { 'Content-Range': '60-89' } });
    assert.equal(bad.status, 416);
    const status = await req(loc);
    assert.equal(status.status, 204);
    assert.equal(status.headers.get('range'), '0-29');
    const c2 = await req(status.headers.get('location')!, { method: 'PATCH', body: data.subarray(30, 60), headers: { 'Content-Range': '30-59' } });
    assert.equal(c2.status, 202);
    const fin = await req(`${c2.headers.get('location')}?digest=${d}`, { method: 'PUT', body: data.subarray(60), headers: { 'Content-Range': '60-89' } });
    assert.equal(fin.status, 201);
    assert.deepEqual(Buffer.from(await (await req(`/v2/push/putchunk/blobs/${d}`)).arrayBuffer()), data);
  });

  test('streamed PATCH without Content-Range, final chunk in PUT, sha512 digest', async () => {
    const data = randomBytes(70_000);
    const start = await req('/v2/push/streamed/blobs/uploads/', { method: 'POST' });
    const p = await req(start.headers.get('location')!, { method: 'PATCH', body: data.subarray(0, 60_000) });
    assert.equal(p.status, 202);
    assert.equal(p.headers.get('range'), '0-59999');
    const d = sha512(data);
    const done = await req(`${p.headers.get('location')}?digest=${d}`, { method: 'PUT', body: data.subarray(60_000), headers: { 'Content-Range': '60000-69999' } });
    assert.equal(done.status, 201);
    assert.equal(done.headers.get('docker-content-digest'), d);
    const got = await req(`/v2/push/streamed/blobs/${d}`);
    assert.deepEqual(Buffer.from(await got.arrayBuffer()), data);
  });

  test('two requests racing on one session: one proceeds, the other is refused (never a 500)', async () => {
    const start = await req('/v2/push/race/blobs/uploads/', { method: 'POST' });
    const loc = start.headers.get('location')!;
    const statuses = await Promise.all([1, 2, 3].map(() => req(loc, { method: 'PATCH', body: randomBytes(100_000) }).then((r) => r.status)));
    assert.ok(statuses.includes(202));
    for (const st of statuses) assert.ok(st === 202 || st === 400, `status ${st}`);
  });

  test('deleting the repository (ECR DeleteRepository force) ends its upload sessions', async () => {
    const start = await req('/v2/push/doomed/blobs/uploads/', { method: 'POST' });
    const loc = start.headers.get('location')!;
    assert.equal((await req(loc, { method: 'PATCH', body: 'abc' })).status, 202);
    const del = await fetch(r.base, {
      method: 'POST',
      headers: {
        'X-Amz-Target': 'AmazonEC2ContainerRegistry_V20150921.DeleteRepository',
        'Content-Type': 'application/x-amz-json-1.1',
        Authorization: `AWS4-HMAC-SHA256 Credential=k/20260101/us-east-1/ecr/aws4_request, SignedHeaders=host, Signature=${'0'.repeat(64)}`,
      },
      body: JSON.stringify({ repositoryName: 'push/doomed', force: true }),
    });
    assert.equal(del.status, 200);
    const after = await req(loc, { method: 'PATCH', body: 'def' });
    assert.equal(after.status, 404);
    assert.equal(await errorCode(after), 'BLOB_UPLOAD_UNKNOWN');
  });

  test('DELETE of an upload session cancels it', async () => {
    const start = await req('/v2/push/cancel/blobs/uploads/', { method: 'POST' });
    const loc = start.headers.get('location')!;
    await req(loc, { method: 'PATCH', body: 'abc' });
    assert.equal((await req(loc, { method: 'DELETE' })).status, 204);
    const gone = await req(loc);
    assert.equal(gone.status, 404);
    assert.equal(await errorCode(gone), 'BLOB_UPLOAD_UNKNOWN');
  });

  test('cross-repository mount: 201 when the source has it, 202 session otherwise', async () => {
    const data = randomBytes(64);
    const d = await pushBlob('mount/src', data);
    const m = await req(`/v2/mount/dst/blobs/uploads/?mount=${d}&from=mount/src`, { method: 'POST' });
    assert.equal(m.status, 201);
    assert.equal(m.headers.get('location'), `/v2/mount/dst/blobs/${d}`);
    assert.equal((await req(`/v2/mount/dst/blobs/${d}`)).status, 200);
    const miss = await req(`/v2/mount/dst/blobs/uploads/?mount=${sha256('absent')}&from=mount/src`, { method: 'POST' });
    assert.equal(miss.status, 202);
    assert.match(miss.headers.get('location')!, /^\/v2\/mount\/dst\/blobs\/uploads\//);
    // without from: any repository of this registry that has it (automatic content discovery)
    const noFrom = await req(`/v2/mount/dst2/blobs/uploads/?mount=${d}`, { method: 'POST' });
    assert.equal(noFrom.status, 201);
    const noFromMissing = await req(`/v2/mount/dst2/blobs/uploads/?mount=${sha256('absent')}`, { method: 'POST' });
    assert.equal(noFromMissing.status, 202);
  });

  test('blob DELETE unlinks it from the repository (202, then 404)', async () => {
    const d = await pushBlob('del/blob', randomBytes(10));
    assert.equal((await req(`/v2/del/blob/blobs/${d}`, { method: 'DELETE' })).status, 202);
    assert.equal((await req(`/v2/del/blob/blobs/${d}`)).status, 404);
    assert.equal((await req(`/v2/del/blob/blobs/${d}`, { method: 'DELETE' })).status, 404);
  });
});

describe('manifests', () => {
  test('PUT by tag, GET/HEAD by tag and digest with media type and digest headers', async () => {
    const img = await pushImage('man/basic', 'v1');
    for (const ref of ['v1', img.digest]) {
      const head = await req(`/v2/man/basic/manifests/${ref}`, { method: 'HEAD', headers: { Accept: OCI_MANIFEST } });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-type'), OCI_MANIFEST);
      assert.equal(head.headers.get('docker-content-digest'), img.digest);
      assert.equal(head.headers.get('content-length'), String(img.manifest.length));
      const get = await req(`/v2/man/basic/manifests/${ref}`);
      assert.deepEqual(Buffer.from(await get.arrayBuffer()), img.manifest);
    }
    const missing = await req('/v2/man/basic/manifests/.INVALID_MANIFEST_NAME');
    assert.equal(missing.status, 404);
    assert.equal(await errorCode(missing), 'MANIFEST_UNKNOWN');
  });

  test('PUT by digest verifies the digest; references to unknown blobs are MANIFEST_BLOB_UNKNOWN', async () => {
    const config = Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
    await pushBlob('man/refs', config);
    const layer = randomBytes(20);
    const m = imageManifest(config, [layer]);
    const res = await req(`/v2/man/refs/manifests/${sha256(m)}`, { method: 'PUT', body: m, headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { errors: { code: string; detail: { digest: string } }[] };
    assert.equal(body.errors[0]!.code, 'MANIFEST_BLOB_UNKNOWN');
    assert.equal(body.errors[0]!.detail.digest, sha256(layer));
    await pushBlob('man/refs', layer);
    const wrong = await req(`/v2/man/refs/manifests/${sha256('x')}`, { method: 'PUT', body: m, headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(wrong.status, 400);
    assert.equal(await errorCode(wrong), 'DIGEST_INVALID');
    const ok = await req(`/v2/man/refs/manifests/${sha256(m)}`, { method: 'PUT', body: m, headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(ok.status, 201);
    const invalid = await req('/v2/man/refs/manifests/sha256:totallywrong', { method: 'PUT', body: 'blablabla', headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(invalid.status, 400);
    const garbage = await req('/v2/man/refs/manifests/t', { method: 'PUT', body: 'blablabla', headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(garbage.status, 400);
    assert.equal(await errorCode(garbage), 'MANIFEST_INVALID');
  });

  test('non-distributable layers need not exist; manifests over 4 MiB are 413', async () => {
    const config = Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
    await pushBlob('man/foreign', config);
    const m = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: sha256(config), size: config.length },
        layers: [{ mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', digest: sha256('windows'), size: 7, urls: ['https://example.com/l'] }],
      }),
    );
    const ok = await req('/v2/man/foreign/manifests/latest', { method: 'PUT', body: m, headers: { 'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json' } });
    assert.equal(ok.status, 201);
    const big = Buffer.alloc(4 * 1024 * 1024 + 1, 32);
    const tooBig = await req('/v2/man/foreign/manifests/big', { method: 'PUT', body: big, headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(tooBig.status, 413);
  });

  test('a 3.9 MB manifest (many large annotations) is accepted and served byte for byte', async () => {
    const annotations: Record<string, string> = {};
    for (let i = 0; i < 390; i++) annotations[`large-annotation-${i}`] = 'A'.repeat(10_000);
    const img = await pushImage('man/large', 'small');
    const big = imageManifest(
      Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'),
      [],
      { annotations },
    );
    await pushBlob('man/large', Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'));
    assert.ok(big.length > 3_900_000 && big.length < 4 * 1024 * 1024);
    const put = await req('/v2/man/large/manifests/large-manifest', { method: 'PUT', body: big, headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(put.status, 201);
    const got = await req('/v2/man/large/manifests/large-manifest');
    assert.equal(sha256(Buffer.from(await got.arrayBuffer())), sha256(big));
    assert.ok(img.digest);
  });

  test('an image index needs its manifests; manifest lists work', async () => {
    const a = await pushImage('man/index', 'a');
    const idx = (mediaType: string, digests: string[]): Buffer =>
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType,
          manifests: digests.map((d) => ({ mediaType: OCI_MANIFEST, digest: d, size: a.manifest.length, platform: { architecture: 'amd64', os: 'linux' } })),
        }),
      );
    const missing = await req('/v2/man/index/manifests/multi', { method: 'PUT', body: idx(OCI_INDEX, [sha256('none')]), headers: { 'Content-Type': OCI_INDEX } });
    assert.equal(missing.status, 400);
    assert.equal(await errorCode(missing), 'MANIFEST_BLOB_UNKNOWN');
    const ok = await req('/v2/man/index/manifests/multi', { method: 'PUT', body: idx(OCI_INDEX, [a.digest]), headers: { 'Content-Type': OCI_INDEX } });
    assert.equal(ok.status, 201);
    const got = await req('/v2/man/index/manifests/multi');
    assert.equal(got.headers.get('content-type'), OCI_INDEX);
    // Docker schema 2 image and manifest list
    const DOCKER_V2 = 'application/vnd.docker.distribution.manifest.v2+json';
    const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
    const dm = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: DOCKER_V2,
        config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: sha256(a.config), size: a.config.length },
        layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: sha256(a.layer), size: a.layer.length }],
      }),
    );
    assert.equal((await req('/v2/man/index/manifests/docker', { method: 'PUT', body: dm, headers: { 'Content-Type': DOCKER_V2 } })).status, 201);
    const list = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: DOCKER_LIST,
        manifests: [{ mediaType: DOCKER_V2, digest: sha256(dm), size: dm.length, platform: { architecture: 'amd64', os: 'linux' } }],
      }),
    );
    assert.equal((await req('/v2/man/index/manifests/docker-list', { method: 'PUT', body: list, headers: { 'Content-Type': DOCKER_LIST } })).status, 201);
    const gl = await req('/v2/man/index/manifests/docker-list', { headers: { Accept: DOCKER_LIST } });
    assert.equal(gl.headers.get('content-type'), DOCKER_LIST);
    assert.equal(gl.headers.get('docker-content-digest'), sha256(list));
  });

  test('DELETE by tag removes only the tag; by digest removes manifest and tags', async () => {
    const img = await pushImage('man/del', 'one');
    await req(`/v2/man/del/manifests/two`, { method: 'PUT', body: img.manifest, headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal((await req('/v2/man/del/manifests/one', { method: 'DELETE' })).status, 202);
    assert.equal((await req('/v2/man/del/manifests/one')).status, 404);
    assert.equal((await req('/v2/man/del/manifests/two')).status, 200);
    assert.equal((await req(`/v2/man/del/manifests/${img.digest}`, { method: 'DELETE' })).status, 202);
    assert.equal((await req(`/v2/man/del/manifests/${img.digest}`)).status, 404);
    assert.equal((await req('/v2/man/del/manifests/two')).status, 404);
    assert.deepEqual(((await (await req('/v2/man/del/tags/list')).json()) as { tags: string[] }).tags, []);
    assert.equal((await req(`/v2/man/del/manifests/${img.digest}`, { method: 'DELETE' })).status, 404);
  });

  test('PUT by digest with ?tag= parameters applies each tag and echoes OCI-Tag', async () => {
    const img = await pushImage('man/tagparam', 'first');
    const res = await req(`/v2/man/tagparam/manifests/${img.digest}?tag=a&tag=b`, { method: 'PUT', body: img.manifest, headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(res.status, 201);
    assert.deepEqual(res.headers.get('oci-tag')!.split(',').map((s) => s.trim()).sort(), ['a', 'b']);
    const tags = (await (await req('/v2/man/tagparam/tags/list')).json()) as { tags: string[] };
    assert.deepEqual(tags.tags, ['a', 'b', 'first']);
    const bad = await req(`/v2/man/tagparam/manifests/${img.digest}?tag=-bad`, { method: 'PUT', body: img.manifest, headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(bad.status, 400);
    assert.equal(await errorCode(bad), 'TAG_INVALID');
  });

  test('empty blob and empty index round-trip', async () => {
    const empty = Buffer.alloc(0);
    const d = await pushBlob('man/empty', empty);
    const head = await req(`/v2/man/empty/blobs/${d}`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), '0');
    assert.equal((await (await req(`/v2/man/empty/blobs/${d}`)).arrayBuffer()).byteLength, 0);
    const idx = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] }));
    const put = await req('/v2/man/empty/manifests/empty-index', { method: 'PUT', body: idx, headers: { 'Content-Type': OCI_INDEX } });
    assert.equal(put.status, 201);
  });

  test('concurrent pushes of the same tag leave one consistent winner', async () => {
    const imgs = await Promise.all([1, 2, 3, 4, 5].map(() => pushImage('man/race', `t${randomBytes(2).toString('hex')}`)));
    const results = await Promise.all(
      imgs.map((i) => req('/v2/man/race/manifests/latest', { method: 'PUT', body: i.manifest, headers: { 'Content-Type': OCI_MANIFEST } })),
    );
    for (const res of results) assert.equal(res.status, 201);
    const head = await req('/v2/man/race/manifests/latest', { method: 'HEAD' });
    assert.ok(imgs.some((i) => i.digest === head.headers.get('docker-content-digest')));
  });
});

describe('discovery', () => {
  test('tags list paginates with n/last in lexical order and Link headers', async () => {
    const img = await pushImage('disc/tags', 'b');
    for (const t of ['d', 'a', 'c', 'e']) {
      await req(`/v2/disc/tags/manifests/${t}`, { method: 'PUT', body: img.manifest, headers: { 'Content-Type': OCI_MANIFEST } });
    }
    const all = (await (await req('/v2/disc/tags/tags/list')).json()) as { name: string; tags: string[] };
    assert.deepEqual(all, { name: 'disc/tags', tags: ['a', 'b', 'c', 'd', 'e'] });
    const p1 = await req('/v2/disc/tags/tags/list?n=2');
    assert.deepEqual(((await p1.json()) as { tags: string[] }).tags, ['a', 'b']);
    assert.equal(p1.headers.get('link'), '</v2/disc/tags/tags/list?n=2&last=b>; rel="next"');
    const p2 = await req('/v2/disc/tags/tags/list?n=2&last=b');
    assert.deepEqual(((await p2.json()) as { tags: string[] }).tags, ['c', 'd']);
    const p3 = await req('/v2/disc/tags/tags/list?n=2&last=d');
    assert.deepEqual(((await p3.json()) as { tags: string[] }).tags, ['e']);
    assert.equal(p3.headers.get('link'), null);
  });

  test('catalog paginates', async () => {
    await pushBlob('cat/a', Buffer.from('1'));
    await pushBlob('cat/b', Buffer.from('2'));
    const res = await req('/v2/_catalog?n=1&last=cat/a');
    assert.deepEqual(((await res.json()) as { repositories: string[] }).repositories, ['cat/b']);
    assert.match(res.headers.get('link')!, /last=cat%2Fb/);
  });

  test('referrers: subject → OCI-Subject header, index of referrers, artifactType filter', async () => {
    const subject = await pushImage('disc/refs', 'subject');
    const empty = Buffer.from('{}');
    await pushBlob('disc/refs', empty);
    const blobA = Buffer.from('signature A');
    await pushBlob('disc/refs', blobA);
    const subjectDesc = { mediaType: OCI_MANIFEST, digest: subject.digest, size: subject.manifest.length };
    const artifact = (type: string, note: string): Buffer =>
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          artifactType: type,
          config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(empty), size: 2 },
          layers: [{ mediaType: type, digest: sha256(blobA), size: blobA.length }],
          subject: subjectDesc,
          annotations: { note },
        }),
      );
    const a = artifact('application/vnd.example.sig', 'a');
    const b = artifact('application/vnd.example.sbom', 'b');
    for (const m of [a, b]) {
      const res = await req(`/v2/disc/refs/manifests/${sha256(m)}`, { method: 'PUT', body: m, headers: { 'Content-Type': OCI_MANIFEST } });
      assert.equal(res.status, 201);
      assert.equal(res.headers.get('oci-subject'), subject.digest);
    }
    const all = await req(`/v2/disc/refs/referrers/${subject.digest}`);
    assert.equal(all.headers.get('content-type'), OCI_INDEX);
    const idx = (await all.json()) as { manifests: { digest: string; artifactType: string; annotations: Record<string, string> }[] };
    assert.equal(idx.manifests.length, 2);
    const filtered = await req(`/v2/disc/refs/referrers/${subject.digest}?artifactType=application/vnd.example.sbom`);
    assert.equal(filtered.headers.get('oci-filters-applied'), 'artifactType');
    const f = (await filtered.json()) as { manifests: { digest: string; annotations: Record<string, string> }[] };
    assert.deepEqual(f.manifests.map((m) => m.digest), [sha256(b)]);
    assert.deepEqual(f.manifests[0]!.annotations, { note: 'b' });
    const none = await req(`/v2/disc/refs/referrers/${sha256('nothing')}`);
    assert.equal(none.status, 200);
    assert.deepEqual(((await none.json()) as { manifests: unknown[] }).manifests, []);
  });
});

describe('limits and concurrency', () => {
  test('concurrent uploads of the same blob to one and several repositories all succeed', async () => {
    const data = randomBytes(200_000);
    const d = sha256(data);
    const results = await Promise.all(
      ['conc/a', 'conc/a', 'conc/b', 'conc/c', 'conc/a'].map((name) =>
        req(`/v2/${name}/blobs/uploads/?digest=${d}`, { method: 'POST', body: data }).then((res) => res.status),
      ),
    );
    assert.deepEqual(results, [201, 201, 201, 201, 201]);
    for (const name of ['conc/a', 'conc/b', 'conc/c']) {
      const got = await req(`/v2/${name}/blobs/${d}`);
      assert.equal(sha256(Buffer.from(await got.arrayBuffer())), d);
    }
  });

  test('a blob over the configured image size cap is refused with 413 and nothing stored', async () => {
    const small = await startRegistry({ limits: { maxImageBytes: 1000 } });
    try {
      const data = randomBytes(2000);
      const res = await fetch(`${small.base}/v2/cap/repo/blobs/uploads/?digest=${sha256(data)}`, { method: 'POST', body: data });
      assert.equal(res.status, 413);
      assert.equal(await errorCode(res), 'SIZE_INVALID');
      assert.equal((await fetch(`${small.base}/v2/cap/repo/blobs/${sha256(data)}`)).status, 404);
    } finally {
      await small.stop();
    }
  });

  test('with implicit repository creation off, pushing to an unknown repository is NAME_UNKNOWN', async () => {
    const strict = await startRegistry({ implicitRepositories: false });
    try {
      const res = await fetch(`${strict.base}/v2/not/created/blobs/uploads/`, { method: 'POST' });
      assert.equal(res.status, 404);
      assert.equal(await errorCode(res), 'NAME_UNKNOWN');
    } finally {
      await strict.stop();
    }
  });
});
