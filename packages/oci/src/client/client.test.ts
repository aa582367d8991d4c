import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryContentStore } from '../content/memory/store.js';
import { digestBytes } from '../digest.js';
import { MediaTypes } from '../media-types.js';
import { RegistryClient, isLoopback } from './client.js';

// The client against a registry that misbehaves on purpose: whatever it serves, nothing
// unverified reaches the content store.

const quiet = { warn: () => {}, info: () => {}, debug: () => {}, error: () => {}, child: () => quiet };

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function withRegistry(handler: Handler, fn: (host: string) => Promise<void>): Promise<void> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    await fn(`127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

function image(layer: Buffer) {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [digestBytes(layer)] } }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaTypes.ociManifest,
      config: { mediaType: MediaTypes.ociConfig, digest: digestBytes(config), size: config.length },
      layers: [{ mediaType: MediaTypes.ociLayer, digest: digestBytes(layer), size: layer.length }],
    }),
  );
  return { config, manifest, layer, digest: digestBytes(manifest) };
}

function serve(img: ReturnType<typeof image>, override: { blob?: Buffer; manifestHeaderDigest?: string; failures?: number } = {}): Handler {
  let failures = override.failures ?? 0;
  return (req, res) => {
    const url = req.url ?? '';
    if (failures > 0) {
      failures--;
      res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: 'try later' }] }));
      return;
    }
    if (url.includes('/manifests/')) {
      res.writeHead(200, { 'content-type': MediaTypes.ociManifest, 'docker-content-digest': override.manifestHeaderDigest ?? img.digest });
      res.end(img.manifest);
    } else if (url.endsWith(digestBytes(img.config))) {
      res.writeHead(200).end(img.config);
    } else if (url.endsWith(digestBytes(img.layer))) {
      const body = override.blob ?? img.layer;
      const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      if (m) {
        const start = Number(m[1]);
        res.writeHead(206, { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` }).end(body.subarray(start));
      } else res.writeHead(200).end(body);
    } else res.writeHead(404).end();
  };
}

async function ingests(store: MemoryContentStore): Promise<number> {
  let n = 0;
  for await (const _ of store.ingests()) n++;
  return n;
}

test('a blob whose bytes do not match its digest is refused and not stored', async () => {
  const img = image(Buffer.from('real layer bytes'));
  await withRegistry(serve(img, { blob: Buffer.from('evil layer bytes') }), async (host) => {
    const store = new MemoryContentStore();
    await assert.rejects(new RegistryClient({ logger: quiet }).pull(`${host}/a/b:1`, store), { code: 'DIGEST_MISMATCH' });
    assert.equal(await store.info(digestBytes(img.layer)), undefined);
    assert.equal(await store.info(img.digest), undefined, 'no manifest without its blobs');
    assert.equal(await ingests(store), 0);
  });
});

test('a corrupt partial download left in the store is discarded and the blob fetched again from the start', async () => {
  const layer = Buffer.alloc(300_000, 3);
  const img = image(layer);
  await withRegistry(serve(img), async (host) => {
    const store = new MemoryContentStore();
    const d = digestBytes(layer);
    const w = await store.writer({ ref: `pull-${d.replace(':', '-')}`, expected: { digest: d, size: layer.length } });
    await w.write(Buffer.alloc(1000, 9)); // not a prefix of the real bytes
    await w.close();
    const ranges: number[] = [];
    await new RegistryClient({ logger: quiet }).pull(`${host}/a/b:1`, store, {
      onProgress: (e) => e.type === 'blob-start' && e.digest === d && ranges.push(e.offset),
    });
    assert.deepEqual(await store.readAll(d), layer);
    assert.deepEqual(ranges, [1000], 'the resume was tried first (and failed verification)');
  });
});

test('a blob longer than its descriptor says is cut off early', async () => {
  const img = image(Buffer.from('short'));
  await withRegistry(serve(img, { blob: Buffer.alloc(1 << 20, 1) }), async (host) => {
    const store = new MemoryContentStore();
    await assert.rejects(new RegistryClient({ logger: quiet }).pull(`${host}/a/b:1`, store), (err: Error & { code?: string }) => {
      assert.ok(err.code === 'INTEGRITY' || err.code === 'SIZE_MISMATCH', err.message);
      return true;
    });
    assert.equal(await store.info(digestBytes(img.layer)), undefined);
  });
});

test('a manifest that does not hash to the requested digest, or to the digest the registry claims, is refused', async () => {
  const img = image(Buffer.from('layer'));
  await withRegistry(serve(img), async (host) => {
    const other = digestBytes('something else');
    await assert.rejects(new RegistryClient({ logger: quiet }).resolve(`${host}/a/b@${other}`), { code: 'INTEGRITY', message: /hashes to sha256:/ });
  });
  await withRegistry(serve(img, { manifestHeaderDigest: digestBytes('lie') }), async (host) => {
    await assert.rejects(new RegistryClient({ logger: quiet }).resolve(`${host}/a/b:1`), { code: 'INTEGRITY', message: /registry says/ });
  });
});

test('transient 503 answers are retried', async () => {
  const img = image(Buffer.from('layer'));
  await withRegistry(serve(img, { failures: 2 }), async (host) => {
    const store = new MemoryContentStore();
    const res = await new RegistryClient({ logger: quiet }).pull(`${host}/a/b:1`, store);
    assert.equal(res.manifestDigest, img.digest);
    assert.deepEqual(await store.readAll(digestBytes(img.layer)), img.layer);
  });
  await withRegistry(serve(img, { failures: 10 }), async (host) => {
    await assert.rejects(new RegistryClient({ logger: quiet, retries: 1 }).resolve(`${host}/a/b:1`), { code: 'UNAVAILABLE' });
  });
});

test('a pull by digest that the store already holds needs no registry at all', async () => {
  const img = image(Buffer.from('layer'));
  const store = new MemoryContentStore();
  await withRegistry(serve(img), async (host) => {
    await new RegistryClient({ logger: quiet }).pull(`${host}/a/b@${img.digest}`, store);
  });
  // Nothing listens on port 1: any request would fail with REGISTRY_UNREACHABLE.
  const again = await new RegistryClient({ logger: quiet, retries: 0 }).pull(`127.0.0.1:1/a/b@${img.digest}`, store);
  assert.equal(again.manifestDigest, img.digest);
  await assert.rejects(new RegistryClient({ logger: quiet, retries: 0 }).pull('127.0.0.1:1/a/b:1', store), { code: 'REGISTRY_UNREACHABLE' });
});

test('credentials go to the registry, never to the host a blob download redirects to', async () => {
  const img = image(Buffer.from('layer via cdn'));
  const seenByCdn: (string | undefined)[] = [];
  await withRegistry(
    (req, res) => {
      seenByCdn.push(req.headers.authorization);
      res.writeHead(200).end(img.layer);
    },
    async (cdn) => {
      const registry = serve(img);
      await withRegistry(
        (req, res) => {
          if (req.headers.authorization !== `Basic ${Buffer.from('u:p').toString('base64')}`) {
            res.writeHead(401, { 'www-authenticate': 'Basic realm="test"' }).end();
          } else if (req.url?.endsWith(digestBytes(img.layer))) {
            res.writeHead(307, { location: `http://${cdn}/signed/blob?sig=1` }).end();
          } else registry(req, res);
        },
        async (host) => {
          const store = new MemoryContentStore();
          await new RegistryClient({ logger: quiet, credentials: () => ({ username: 'u', password: 'p' }) }).pull(`${host}/a/b:1`, store);
          assert.deepEqual(await store.readAll(digestBytes(img.layer)), img.layer);
        },
      );
    },
  );
  assert.deepEqual(seenByCdn, [undefined]);
});

test('a registry that refuses Content-Range chunks still gets the blob, in one PUT', async () => {
  const layer = Buffer.alloc(200_000, 5);
  const img = image(layer);
  const store = new MemoryContentStore();
  await store.put(img.layer);
  await store.put(img.config);
  await store.put(img.manifest);
  const received = new Map<string, Buffer>();
  let patches = 0;
  await withRegistry(
    (req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.method === 'HEAD') res.writeHead(404).end();
        else if (req.method === 'POST') res.writeHead(202, { location: `/v2/a/b/blobs/uploads/${Math.random()}` }).end();
        else if (req.method === 'PATCH') {
          patches++;
          res.writeHead(416, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'BLOB_UPLOAD_INVALID', message: 'no chunks here' }] }));
        } else if (req.method === 'PUT' && url.pathname.includes('/blobs/uploads/')) {
          received.set(url.searchParams.get('digest')!, Buffer.concat(chunks));
          res.writeHead(201).end();
        } else if (req.method === 'PUT') res.writeHead(201, { 'docker-content-digest': img.digest }).end();
        else res.writeHead(404).end();
      });
    },
    async (host) => {
      await new RegistryClient({ logger: quiet, chunkSize: 64 * 1024, retries: 0 }).push(`${host}/a/b:1`, store, img.digest);
    },
  );
  assert.equal(patches, 1);
  assert.deepEqual(received.get(digestBytes(layer)), layer);
  assert.deepEqual(received.get(digestBytes(img.config)), img.config);
});

test('a registry that accepts the connection and then says nothing times out, with retries', async () => {
  let requests = 0;
  await withRegistry(
    () => {
      requests++; // never answer
    },
    async (host) => {
      const started = Date.now();
      await assert.rejects(new RegistryClient({ logger: quiet, idleTimeoutMs: 200, retries: 1 }).resolve(`${host}/a/b:1`), { code: 'REGISTRY_UNREACHABLE', message: /no data for 200 ms/ });
      assert.ok(Date.now() - started < 5000);
    },
  );
  assert.equal(requests, 2);
});

test('loopback registries are plain HTTP, others HTTPS', () => {
  assert.ok(isLoopback('localhost:5000'));
  assert.ok(isLoopback('127.0.0.1:5000'));
  assert.ok(isLoopback('[::1]:5000'));
  assert.ok(!isLoopback('registry.example.com'));
  assert.ok(!isLoopback('10.0.0.1:5000'));
});
