// The platform pulls function images over HTTP with @lambdock/oci's RegistryClient:
// push (chunked and monolithic) and pull through it against our registry with auth on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@lambdock/common';
import { FsContentStore, RegistryClient } from '@lambdock/oci';
import { createRegistry } from '@lambdock/registry';

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

test('RegistryClient pushes (chunked + monolithic) and pulls an image through the registry with credentials', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lambdock-oci-client-'));
  const registry = await createRegistry({
    root: join(dir, 'registry'),
    auth: { mode: 'required', secret: 's3cret', users: { builder: 'pw' } },
    logger: createLogger({ level: 'silent' }),
  });
  const server = await registry.listen(0);
  const host = `127.0.0.1:${(server.address() as { port: number }).port}`;
  const client = new RegistryClient({ credentials: () => ({ username: 'builder', password: 'pw' }), chunkSize: 1 << 20, logger: createLogger({ level: 'silent' }) });
  try {
    const src = new FsContentStore(join(dir, 'src'));
    const big = randomBytes(3 * (1 << 20) + 123); // chunked: 4 PATCHes
    const small = randomBytes(1000);
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(big), sha256(small)] } }));
    for (const b of [big, small, config]) await src.put(b);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
        layers: [
          { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(big), size: big.length },
          { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(small), size: small.length },
        ],
      }),
    );
    await src.put(manifest);
    const pushed = await client.push(`${host}/fn/hello:v1`, src, sha256(manifest));
    assert.equal(pushed.digest, sha256(manifest));

    const dst = new FsContentStore(join(dir, 'dst'));
    const pulled = await client.pull(`${host}/fn/hello:v1`, dst);
    assert.equal(pulled.manifestDigest, sha256(manifest));
    assert.deepEqual(await dst.readAll(sha256(big)), big);
    assert.deepEqual(await dst.readAll(sha256(small)), small);

    const anonymous = new RegistryClient({ logger: createLogger({ level: 'silent' }) });
    try {
      await assert.rejects(anonymous.resolve(`${host}/fn/hello:v1`));
    } finally {
      anonymous.close();
    }
  } finally {
    client.close();
    await registry.close();
    await rm(dir, { recursive: true, force: true });
  }
});
