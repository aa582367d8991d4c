import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createServer, Socket, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import {
  FsContentStore,
  ImageWriter,
  MediaTypes,
  RegistryClient,
  digestBytes,
  type ContentStore,
  type ProgressEvent,
  type WrittenImage,
} from '@lambdock/oci';
import { commandExists } from '../support/system.js';
import { REFERENCE_REGISTRY, startReferenceRegistry, startTokenServer, type ReferenceRegistry } from '../support/reference-registry.js';

// Our registry client against the CNCF reference registry (distribution 2.8):
// push and pull (monolithic and chunked), cross-repository mount, manifest lists,
// resumed transfers over a connection that drops, Basic and Bearer auth.

const skip = !commandExists(REFERENCE_REGISTRY) && 'docker-registry not installed (run scripts/ensure-system.sh as root)';
const quiet = { warn: () => {}, info: () => {}, debug: () => {}, error: () => {}, child: () => quiet };

let work: string;
let registry: ReferenceRegistry;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'lambdock-oci-registry-'));
  if (!skip) registry = await startReferenceRegistry();
});
after(async () => {
  await registry?.stop();
  rmSync(work, { recursive: true, force: true });
});

let n = 0;
function store(): FsContentStore {
  return new FsContentStore(join(work, `store-${++n}`));
}

/** An image with a small config layer and two random ~1.5 MiB layers (random = incompressible). */
async function makeImage(s: ContentStore, seed = 'x', opts: { flavor?: 'oci' | 'docker'; architecture?: string } = {}): Promise<WrittenImage> {
  const w = new ImageWriter(s, { flavor: opts.flavor });
  await w.addLayer([{ path: '/etc/seed', content: seed }]);
  await w.addLayer([{ path: '/data/a.bin', content: randomBytes(1536 * 1024) }]);
  await w.addLayer([{ path: '/data/b.bin', content: randomBytes(1536 * 1024) }]);
  return w.write({ config: { Cmd: ['/bin/true'] }, architecture: opts.architecture });
}

function events(): { list: ProgressEvent[]; on: (e: ProgressEvent) => void; of: (t: ProgressEvent['type']) => ProgressEvent[] } {
  const list: ProgressEvent[] = [];
  return { list, on: (e) => list.push(e), of: (t) => list.filter((e) => e.type === t) };
}

test('push then pull round-trips an image, verified, with progress events', { skip }, async () => {
  const src = store();
  const img = await makeImage(src);
  const client = new RegistryClient({ logger: quiet });
  const ev = events();
  const ref = `${registry.host}/fn/hello:v1`;
  const pushed = await client.push(ref, src, img.manifestDigest, { onProgress: ev.on });
  assert.equal(pushed.digest, img.manifestDigest);
  assert.equal(ev.of('blob-done').length, 4);
  assert.equal(ev.of('manifest-pushed').length, 1);

  // Pushing again uploads nothing.
  const again = events();
  await client.push(ref, src, img.manifestDigest, { onProgress: again.on });
  assert.equal(again.of('blob-skipped-exists').length, 4);
  assert.equal(again.of('blob-start').length, 0);

  const resolved = await client.resolve(ref);
  assert.equal(resolved.digest, img.manifestDigest);
  assert.equal(resolved.mediaType, MediaTypes.ociManifest);
  assert.equal((await client.head(ref))?.digest, img.manifestDigest);

  const dst = store();
  const pev = events();
  const pulled = await client.pull(ref, dst, { onProgress: pev.on });
  assert.equal(pulled.manifestDigest, img.manifestDigest);
  assert.deepEqual(pulled.config.config?.Cmd, ['/bin/true']);
  for (const l of img.manifest.layers) assert.deepEqual(await dst.readAll(l.digest), await src.readAll(l.digest));
  assert.ok(await dst.info(img.manifestDigest), 'manifest stored');
  assert.equal(pev.of('resolve').length, 1);
  assert.equal(pev.of('blob-done').length, 4);
  assert.ok(pev.of('blob-progress').length >= 2);
  // By digest too, and a second pull finds everything already there.
  const pev2 = events();
  await client.pull(`${registry.host}/fn/hello@${img.manifestDigest}`, dst, { onProgress: pev2.on });
  assert.equal(pev2.of('blob-skipped-exists').length, 4);
  assert.deepEqual(await client.tags(`${registry.host}/fn/hello`), ['v1']);
  client.close();
});

test('chunked upload (PATCH with Content-Range) and cross-repository mount', { skip }, async () => {
  const src = store();
  const img = await makeImage(src, 'chunked');
  const client = new RegistryClient({ chunkSize: 256 * 1024, logger: quiet });
  const ev = events();
  await client.push(`${registry.host}/base/one:latest`, src, img.manifestDigest, { onProgress: ev.on });
  // 1.5 MiB layers in 256 KiB chunks: progress is reported chunk by chunk.
  const big = img.manifest.layers[1]!.digest;
  assert.ok(ev.list.filter((e) => e.type === 'blob-progress' && e.digest === big).length >= 2);

  const mev = events();
  await client.push(`${registry.host}/app/two:latest`, src, img.manifestDigest, { onProgress: mev.on, mountFrom: ['base/one'] });
  assert.equal(mev.of('blob-mounted').length, 4);
  assert.equal(mev.of('blob-start').length, 0);
  const pulled = await client.pull(`${registry.host}/app/two:latest`, store());
  assert.equal(pulled.manifestDigest, img.manifestDigest);
  client.close();
});

test('manifest lists resolve to linux/amd64 by default, another platform on request, and say which exist', { skip }, async () => {
  const s = store();
  const amd = await makeImage(s, 'amd64', { architecture: 'amd64' });
  const arm = await makeImage(s, 'arm64', { architecture: 'arm64' });
  const index = {
    schemaVersion: 2,
    mediaType: MediaTypes.ociIndex,
    manifests: [
      { mediaType: MediaTypes.ociManifest, digest: arm.manifestDigest, size: arm.manifestSize, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      { mediaType: MediaTypes.ociManifest, digest: amd.manifestDigest, size: amd.manifestSize, platform: { os: 'linux', architecture: 'amd64' } },
    ],
  };
  const bytes = Buffer.from(JSON.stringify(index));
  const info = await s.put(bytes);
  const client = new RegistryClient({ logger: quiet });
  const ref = `${registry.host}/multi/arch:1`;
  const pushed = await client.push(ref, s, info.digest);
  assert.equal(pushed.mediaType, MediaTypes.ociIndex);

  const def = await client.pull(ref, store());
  assert.equal(def.manifestDigest, amd.manifestDigest);
  assert.equal(def.indexDigest, info.digest);
  assert.equal(def.config.architecture, 'amd64');
  const armPull = await client.pull(ref, store(), { platform: { os: 'linux', architecture: 'arm64' } });
  assert.equal(armPull.manifestDigest, arm.manifestDigest);
  await assert.rejects(client.pull(ref, store(), { platform: { os: 'windows', architecture: 'amd64' } }), {
    code: 'PLATFORM_NOT_FOUND',
    message: /windows\/amd64.*available: linux\/arm64\/v8, linux\/amd64/,
  });
  client.close();
});

test('registry errors arrive as typed errors with the distribution spec codes', { skip }, async () => {
  const client = new RegistryClient({ logger: quiet, retries: 0 });
  await assert.rejects(client.resolve(`${registry.host}/nothing/here:latest`), (err: Error & { code?: string; status?: number }) => {
    assert.equal(err.name, 'ManifestUnknownError');
    assert.equal(err.code, 'MANIFEST_UNKNOWN');
    assert.equal(err.status, 404);
    return true;
  });
  assert.equal(await client.head(`${registry.host}/nothing/here:latest`), undefined);
  await assert.rejects(client.tags(`${registry.host}/nothing/here`), { code: 'NAME_UNKNOWN' });
  await assert.rejects(client.resolve(`${registry.host}/nothing/here@sha256:${'0'.repeat(64)}`), { code: 'MANIFEST_UNKNOWN' });
  // A digest the store does not hold cannot be pushed; nothing is sent.
  await assert.rejects(client.push(`${registry.host}/x/y:1`, store(), digestBytes('nope')), { code: 'NOT_FOUND' });
  // Nothing listens: a clear connection error, not a hang.
  await assert.rejects(new RegistryClient({ logger: quiet, retries: 0 }).resolve('127.0.0.1:1/a/b:c'), { code: 'REGISTRY_UNREACHABLE' });
  client.close();
});

/**
 * A TCP proxy in front of the registry that cuts the connection once: 'down' after
 * `cutAfter` response bytes; 'patch' when the `cutAfter`-th PATCH request begins
 * (before any of it reaches the registry: a connection lost between chunks).
 */
async function flakyProxy(target: string, cutAfter: number, direction: 'down' | 'patch'): Promise<{ host: string; cuts: number; downBytes: number; close: () => Promise<void> }> {
  const [thost, tport] = target.split(':');
  let passed = 0;
  const state = { cuts: 0, down: 0 };
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = new Socket();
    sockets.add(client);
    sockets.add(upstream);
    upstream.connect(Number(tport), thost!);
    const watch = (from: Socket, to: Socket, dir: 'up' | 'down'): void => {
      from.on('data', (chunk: Buffer) => {
        if (dir === 'down') state.down += chunk.length;
        if (state.cuts === 0 && ((direction === 'down' && dir === 'down') || (direction === 'patch' && dir === 'up' && chunk.subarray(0, 6).toString() === 'PATCH '))) {
          passed += direction === 'down' ? chunk.length : 1;
          if (passed > cutAfter || (direction === 'patch' && passed === cutAfter)) {
            state.cuts++;
            client.destroy();
            upstream.destroy();
            return;
          }
        }
        to.write(chunk);
      });
      from.on('end', () => to.end());
      from.on('error', () => to.destroy());
      from.on('close', () => to.destroy());
    };
    watch(client, upstream, 'up');
    watch(upstream, client, 'down');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    get cuts() {
      return state.cuts;
    },
    get downBytes() {
      return state.down;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

test('an interrupted pull resumes the partial blob with a Range request', { skip }, async () => {
  const src = store();
  const img = await makeImage(src, 'resume-pull');
  const client = new RegistryClient({ logger: quiet });
  await client.push(`${registry.host}/resume/pull:1`, src, img.manifestDigest);
  const proxy = await flakyProxy(registry.host, 2 * 1024 * 1024, 'down');
  try {
    const ev = events();
    const dst = store();
    const pulled = await new RegistryClient({ logger: quiet, concurrency: 1 }).pull(`${proxy.host}/resume/pull:1`, dst, { onProgress: ev.on });
    assert.equal(pulled.manifestDigest, img.manifestDigest);
    assert.equal(proxy.cuts, 1);
    // Every blob verified, and the interrupted one was not downloaded again from zero.
    for (const l of img.manifest.layers) assert.ok(await dst.info(l.digest));
    const total = img.manifest.layers.reduce((n, l) => n + l.size, img.manifest.config.size);
    assert.ok(proxy.downBytes < total + 256 * 1024, `downloaded ${proxy.downBytes} bytes for ${total} bytes of blobs: resumed, not restarted`);
    assert.equal(ev.of('blob-start').length, 4, 'a blob-start per blob: the resumed attempt continues the same transfer');
  } finally {
    await proxy.close();
  }
  client.close();
});

test('a partial blob left in the store by an earlier pull is resumed, not restarted', { skip }, async () => {
  const src = store();
  const img = await makeImage(src, 'resume-partial');
  const client = new RegistryClient({ logger: quiet });
  await client.push(`${registry.host}/resume/partial:1`, src, img.manifestDigest);
  const dst = store();
  const big = img.manifest.layers[1]!;
  const w = await dst.writer({ ref: `pull-${big.digest.replace(':', '-')}`, expected: { digest: big.digest, size: big.size } });
  await w.write((await src.readAll(big.digest)).subarray(0, 1000_000));
  await w.close();
  const ev = events();
  await client.pull(`${registry.host}/resume/partial:1`, dst, { onProgress: ev.on });
  const start = ev.list.find((e) => e.type === 'blob-start' && e.digest === big.digest) as Extract<ProgressEvent, { type: 'blob-start' }>;
  assert.equal(start.offset, 1000_000);
  assert.deepEqual(await dst.readAll(big.digest), await src.readAll(big.digest));
  client.close();
});

test('an interrupted chunked push resumes its upload session from the offset the registry reports', { skip }, async () => {
  const src = store();
  const img = await makeImage(src, 'resume-push');
  const proxy = await flakyProxy(registry.host, 3, 'patch');
  try {
    const ev = events();
    const client = new RegistryClient({ logger: quiet, chunkSize: 256 * 1024, concurrency: 1 });
    // Small blobs go up in one PUT; the 1.5 MiB layers in 256 KiB PATCHes, the third of which is cut.
    await client.push(`${proxy.host}/resume/push:1`, src, img.manifestDigest, { onProgress: ev.on });
    assert.equal(proxy.cuts, 1);
    const starts = ev.of('blob-start') as Extract<ProgressEvent, { type: 'blob-start' }>[];
    assert.ok(starts.some((e) => e.offset > 0), `one upload resumed mid-blob: ${JSON.stringify(starts.map((s) => s.offset))}`);
    client.close();
  } finally {
    await proxy.close();
  }
  const pulled = await new RegistryClient({ logger: quiet }).pull(`${registry.host}/resume/push:1`, store());
  assert.equal(pulled.manifestDigest, img.manifestDigest);
});

test('basic auth (htpasswd): refused without credentials, works with them', { skip: skip || (!commandExists('htpasswd') && 'htpasswd (apache2-utils) not installed') }, async () => {
  const reg = await startReferenceRegistry({ auth: { kind: 'htpasswd', users: { alice: 's3cret' } } });
  try {
    const src = store();
    const img = await makeImage(src, 'basic');
    const ref = `${reg.host}/private/app:1`;
    await assert.rejects(new RegistryClient({ logger: quiet }).push(ref, src, img.manifestDigest), { code: 'UNAUTHORIZED' });
    await assert.rejects(new RegistryClient({ logger: quiet, credentials: () => ({ username: 'alice', password: 'wrong' }) }).resolve(ref), { code: 'UNAUTHORIZED' });
    const client = new RegistryClient({ logger: quiet, chunkSize: 512 * 1024, credentials: (r) => (r === reg.host ? { username: 'alice', password: 's3cret' } : undefined) });
    await client.push(ref, src, img.manifestDigest);
    const pulled = await client.pull(ref, store());
    assert.equal(pulled.manifestDigest, img.manifestDigest);
    client.close();
  } finally {
    await reg.stop();
  }
});

test('bearer token auth: challenge, token per scope (cached), anonymous pull, refused push', { skip: skip || (!commandExists('openssl') && 'openssl not installed') }, async () => {
  const tokens = await startTokenServer({ bob: 'hunter2' }, { anonymousPull: true });
  const reg = await startReferenceRegistry({ auth: { kind: 'token', realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, certPath: tokens.certPath } });
  try {
    const src = store();
    const img = await makeImage(src, 'bearer');
    const ref = `${reg.host}/team/fn:1`;
    const client = new RegistryClient({ logger: quiet, chunkSize: 512 * 1024, credentials: () => ({ username: 'bob', password: 'hunter2' }) });
    await client.push(ref, src, img.manifestDigest);
    // One token for the push scope serves every request of the push (HEADs, POSTs, PATCHes, PUTs).
    const granted = tokens.requests.filter((r) => r.granted);
    assert.ok(granted.length <= 2, `tokens fetched: ${JSON.stringify(tokens.requests)}`);
    assert.ok(granted.every((r) => r.user === 'bob'));

    // Anonymous pull is allowed by this token server; anonymous push is not.
    const anon = new RegistryClient({ logger: quiet });
    const pulled = await anon.pull(ref, store());
    assert.equal(pulled.manifestDigest, img.manifestDigest);
    await assert.rejects(anon.push(`${reg.host}/team/other:1`, src, img.manifestDigest), { code: 'UNAUTHORIZED' });
    // Wrong password: the token server refuses.
    await assert.rejects(new RegistryClient({ logger: quiet, credentials: () => ({ username: 'bob', password: 'nope' }) }).resolve(ref), {
      code: 'UNAUTHORIZED',
      message: /refused credentials for bob/,
    });
    client.close();
    anon.close();
  } finally {
    await reg.stop();
    await tokens.stop();
  }
});
