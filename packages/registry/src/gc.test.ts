import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { startRegistry } from './testing/harness.js';

const sha256 = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

async function push(base: string, name: string, tag: string): Promise<{ config: Buffer; layer: Buffer; digest: string }> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, n: randomBytes(4).toString('hex') }));
  const layer = randomBytes(4096);
  for (const b of [config, layer]) {
    assert.equal((await fetch(`${base}/v2/${name}/blobs/uploads/?digest=${sha256(b)}`, { method: 'POST', body: b })).status, 201);
  }
  const m = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(layer), size: layer.length }],
  });
  assert.equal((await fetch(`${base}/v2/${name}/manifests/${tag}`, { method: 'PUT', body: m, headers: { 'Content-Type': OCI_MANIFEST } })).status, 201);
  return { config, layer, digest: sha256(m) };
}

test('GC removes blobs of deleted images and expired uploads, keeps everything referenced', async () => {
  const r = await startRegistry({ gc: { graceMs: 0, uploadTtlMs: 0 } });
  try {
    const kept = await push(r.base, 'gc/app', 'keep');
    const gone = await push(r.base, 'gc/app', 'drop');
    const session = await fetch(`${r.base}/v2/gc/app/blobs/uploads/`, { method: 'POST' });
    await fetch(r.base + session.headers.get('location')!, { method: 'PATCH', body: 'partial' });
    assert.equal((await fetch(`${r.base}/v2/gc/app/manifests/${gone.digest}`, { method: 'DELETE' })).status, 202);

    const report = await r.registry.gc();
    assert.equal(report.blobsRemoved, 3); // config, layer, manifest of the deleted image
    assert.equal(report.uploadsExpired, 1);
    assert.equal(await r.registry.store.info(sha256(gone.layer)), undefined);
    assert.ok(await r.registry.store.info(sha256(kept.layer)));
    const pulled = await fetch(`${r.base}/v2/gc/app/blobs/${sha256(kept.layer)}`);
    assert.deepEqual(Buffer.from(await pulled.arrayBuffer()), kept.layer);
    assert.equal((await fetch(`${r.base}/v2/gc/app/manifests/keep`)).status, 200);
    assert.equal((await fetch(r.base + session.headers.get('location')!)).status, 404);
  } finally {
    await r.stop();
  }
});

test('GC with a grace period keeps recently uploaded, not yet referenced layers', async () => {
  const r = await startRegistry({ gc: { graceMs: 60_000 } });
  try {
    const layer = randomBytes(100);
    await fetch(`${r.base}/v2/gc/grace/blobs/uploads/?digest=${sha256(layer)}`, { method: 'POST', body: layer });
    const report = await r.registry.gc();
    assert.equal(report.blobsRemoved, 0);
    assert.equal((await fetch(`${r.base}/v2/gc/grace/blobs/${sha256(layer)}`)).status, 200);
  } finally {
    await r.stop();
  }
});

test('GC running while images are pushed never breaks a push or loses referenced data', async () => {
  // The grace period is what protects layers uploaded before their manifest arrives.
  const r = await startRegistry({ gc: { graceMs: 60_000 } });
  try {
    const pushes: Promise<{ layer: Buffer; digest: string }>[] = [];
    const gcs: Promise<unknown>[] = [];
    for (let i = 0; i < 10; i++) {
      pushes.push(push(r.base, 'gc/busy', `t${i}`));
      gcs.push(r.registry.gc());
    }
    const images = await Promise.all(pushes);
    await Promise.all(gcs);
    await r.registry.gc();
    for (const [i, img] of images.entries()) {
      const m = await fetch(`${r.base}/v2/gc/busy/manifests/t${i}`);
      assert.equal(m.headers.get('docker-content-digest'), img.digest);
      const blob = await fetch(`${r.base}/v2/gc/busy/blobs/${sha256(img.layer)}`);
      assert.equal(blob.status, 200);
      assert.deepEqual(Buffer.from(await blob.arrayBuffer()), img.layer);
    }
  } finally {
    await r.stop();
  }
});

test('lifecycle policies also run periodically, without a push', async () => {
  let offset = 0;
  const r = await startRegistry({ gc: { intervalMs: 50 }, now: () => Date.now() + offset });
  try {
    const img = await push(r.base, 'gc/periodic', 'old');
    await r.registry.metadata.updateRepository('gc/periodic', {
      lifecyclePolicy: JSON.stringify({
        rules: [{ rulePriority: 1, selection: { tagStatus: 'any', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 }, action: { type: 'expire' } }],
      }),
    });
    assert.equal((await fetch(`${r.base}/v2/gc/periodic/manifests/${img.digest}`)).status, 200);
    offset = 8 * 24 * 3600 * 1000;
    for (let i = 0; i < 40 && (await fetch(`${r.base}/v2/gc/periodic/manifests/${img.digest}`)).status === 200; i++) {
      await new Promise((res) => setTimeout(res, 50));
    }
    assert.equal((await fetch(`${r.base}/v2/gc/periodic/manifests/${img.digest}`)).status, 404);
  } finally {
    await r.stop();
  }
});
