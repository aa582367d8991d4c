// The path the platform takes from a registry to a runnable root filesystem, with real
// tools on both ends: `docker build` makes an image (whiteouts, opaque dir, symlinks),
// `skopeo` pushes it to the CNCF reference registry, our RegistryClient pulls it into an
// FsContentStore, the OverlaySnapshotter unpacks its layers once and mounts them, and
// the image's own busybox runs inside the mounted root (chroot).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createLogger } from '@lambdock/common';
import { FsContentStore, OverlaySnapshotter, RegistryClient, ensureImageLayers } from '@lambdock/oci';
import { REFERENCE_REGISTRY, startReferenceRegistry, type ReferenceRegistry } from '../support/reference-registry.js';
import { commandExists, dockerAvailable } from '../support/system.js';

const missing = ['skopeo', 'busybox', 'setfattr', 'chroot', REFERENCE_REGISTRY].filter((c) => !commandExists(c));
const skip = process.getuid?.() !== 0 ? 'needs root (overlay mounts, chroot)' : !dockerAvailable() ? 'Docker engine not available' : missing.length ? `missing: ${missing.join(', ')}` : false;

const work = await mkdtemp(join(tmpdir(), 'lambdock-e2e-pullrun-'));
const tag = `lambdock-e2e-pullrun:${process.pid}`;
const snapshotter = new OverlaySnapshotter(join(work, 'snapshots'), { logger: createLogger({ level: 'warn' }) });
let registry: ReferenceRegistry | undefined;

before(async () => {
  if (!skip) registry = await startReferenceRegistry();
});
after(async () => {
  for (const m of await snapshotter.mounts().catch(() => [])) await snapshotter.unmount(m.id).catch(() => {});
  if (!skip) execFileSync('docker', ['rmi', '-f', tag], { stdio: 'ignore' });
  await registry?.stop();
  await rm(work, { recursive: true, force: true });
});

test('an image pushed by skopeo, pulled by RegistryClient, mounted by OverlaySnapshotter runs its own binaries', { skip }, async () => {
  const ctx = join(work, 'ctx');
  mkdirSync(ctx);
  copyFileSync(execFileSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' }).trim(), join(ctx, 'busybox'));
  writeFileSync(
    join(ctx, 'Dockerfile'),
    [
      'FROM scratch',
      'COPY busybox /bin/busybox',
      'RUN ["/bin/busybox", "sh", "-c", "/bin/busybox --install -s /bin && mkdir -p /tmp /var/task /opt/cache && echo stale > /opt/cache/x && echo old > /var/task/old.js"]',
      'RUN ["/bin/sh", "-c", "rm -rf /opt/cache /var/task/old.js && mkdir /opt/cache && echo fresh > /opt/cache/y && echo \'hello from the pulled image\' > /var/task/msg"]',
      '',
    ].join('\n'),
  );
  execFileSync('docker', ['build', '-q', '-t', tag, ctx], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DOCKER_BUILDKIT: '0' } });
  const ref = `${registry!.host}/e2e/pullrun:v1`;
  execFileSync('skopeo', ['copy', '-q', '--dest-tls-verify=false', `docker-daemon:${tag}`, `docker://${ref}`], { stdio: ['ignore', 'pipe', 'pipe'] });

  const store = new FsContentStore(join(work, 'content'));
  const pulled = await new RegistryClient().pull(ref, store);
  const layers = await ensureImageLayers(snapshotter, store, pulled.manifest, pulled.config);
  assert.equal(layers.length, 3);

  const m = await snapshotter.mount('pullrun', pulled.config.rootfs.diff_ids, { writable: true });
  const out = execFileSync('chroot', [m.target, '/bin/sh', '-c', 'cat /var/task/msg; ls /opt/cache; ls /var/task; echo written > /tmp/w; cat /tmp/w'], { encoding: 'utf8' });
  assert.equal(out, 'hello from the pulled image\ny\nmsg\nwritten\n');
  // the write landed in this mount's upper dir, never in a shared layer
  assert.ok(existsSync(join(m.upperDir!, 'tmp/w')));
  for (const l of layers) assert.equal(existsSync(join(l.dir, 'tmp/w')), false);
  await snapshotter.unmount('pullrun');

  // a second pull of the same image finds every blob and every layer in place
  const again = await new RegistryClient().pull(ref, store);
  assert.equal(again.manifestDigest, pulled.manifestDigest);
  const relayers = await ensureImageLayers(snapshotter, store, again.manifest, again.config);
  assert.deepEqual(relayers.map((l) => l.createdAt.getTime()), layers.map((l) => l.createdAt.getTime()));
  assert.equal(readFileSync(join(layers[2]!.dir, 'var/task/msg'), 'utf8'), 'hello from the pulled image\n');
});
