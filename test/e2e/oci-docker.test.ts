import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { FsContentStore, ImageWriter, readDockerArchive, unpackImage, writeDockerArchive } from '@lambdock/oci';
import { commandExists, dockerAvailable, sh } from '../support/system.js';

// docker-archive interop with a real Docker engine: we read what `docker save`
// produced, and what we write goes through `docker load` and `docker run`.

const BUSYBOX = '/bin/busybox';
const noDocker = (!commandExists('docker') && 'docker not installed') || (!dockerAvailable() && 'no Docker engine answers (run scripts/ensure-system.sh as root)');
const noBusybox = !commandExists(BUSYBOX) && 'static busybox not installed (busybox-static)';
const tag = `lambdock-oci-e2e-${randomBytes(4).toString('hex')}`;

let work: string;
before(() => {
  work = mkdtempSync(join(tmpdir(), 'lambdock-oci-docker-'));
});
after(() => {
  if (!noDocker) {
    const ids = spawnSync('docker', ['images', '-q', '--filter', `reference=${tag}*`], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
    if (ids.length) spawnSync('docker', ['rmi', '-f', ...new Set(ids)], { stdio: 'ignore' });
  }
  rmSync(work, { recursive: true, force: true });
});

test('we read and unpack what `docker save` produced from a `docker build` FROM scratch', { skip: noDocker || noBusybox }, async () => {
  const ctx = join(work, 'ctx');
  mkdirSync(ctx);
  writeFileSync(join(ctx, 'hello.txt'), 'built by docker\n');
  copyFileSync(BUSYBOX, join(ctx, 'busybox'));
  writeFileSync(join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY hello.txt /hello.txt\nCOPY busybox /bin/busybox\nENV GREETING=hi\nCMD ["/bin/busybox", "cat", "/hello.txt"]\n');
  const built = spawnSync('docker', ['build', '-q', '-t', `${tag}-built:v1`, ctx], { encoding: 'utf8', env: { ...process.env, DOCKER_BUILDKIT: '0' } });
  assert.equal(built.status, 0, built.stderr);
  const archive = join(work, 'saved.tar');
  sh('docker', ['save', '-o', archive, `${tag}-built:v1`]);

  const store = new FsContentStore(join(work, 'store-read'));
  const images = await readDockerArchive(archive, store);
  assert.equal(images.length, 1);
  const img = images[0]!;
  assert.deepEqual(img.repoTags, [`${tag}-built:v1`]);
  assert.deepEqual(img.config.config?.Cmd, ['/bin/busybox', 'cat', '/hello.txt']);
  assert.ok(img.config.config?.Env?.includes('GREETING=hi'));
  // Docker's image ID is the digest of its config: we kept the config bytes exactly.
  const id = sh('docker', ['image', 'inspect', '--format', '{{.Id}}', `${tag}-built:v1`]).trim();
  assert.equal(img.configDigest, id);
  // Unpacking checks every layer against the config's diff_ids.
  const rootfs = join(work, 'rootfs-read');
  await unpackImage(store, img.manifest, img.config, rootfs);
  assert.equal(readFileSync(join(rootfs, 'hello.txt'), 'utf8'), 'built by docker\n');
  assert.deepEqual(readFileSync(join(rootfs, 'bin', 'busybox')), readFileSync(BUSYBOX));
});

test('an image we write goes through `docker load` and runs with `docker run`', { skip: noDocker || noBusybox }, async () => {
  const store = new FsContentStore(join(work, 'store-write'));
  const w = new ImageWriter(store);
  await w.addLayer([{ path: '/bin/busybox', source: BUSYBOX, mode: 0o755 }], 'COPY busybox /bin/busybox');
  await w.addLayer([{ path: '/etc/motd', content: 'written by lambdock\n' }]);
  const img = await w.write({ config: { Entrypoint: ['/bin/busybox'], Cmd: ['echo', 'ok'], Env: ['PATH=/bin'] } });
  const archive = join(work, 'ours.tar');
  await writeDockerArchive(archive, store, [{ digest: img.manifestDigest, repoTags: [`${tag}-ours:v1`] }]);

  const loaded = sh('docker', ['load', '-i', archive]);
  assert.match(loaded, new RegExp(`Loaded image: ${tag}-ours:v1`));
  assert.equal(sh('docker', ['image', 'inspect', '--format', '{{.Id}}', `${tag}-ours:v1`]).trim(), img.configDigest);
  assert.equal(sh('docker', ['run', '--rm', '--network', 'none', `${tag}-ours:v1`]).trim(), 'ok');
  assert.equal(sh('docker', ['run', '--rm', '--network', 'none', `${tag}-ours:v1`, 'cat', '/etc/motd']), 'written by lambdock\n');

  // Our archive read back yields the very manifest we wrote (kept through its index.json).
  const again = await readDockerArchive(archive, new FsContentStore(join(work, 'store-reread')));
  assert.equal(again[0]!.manifestDigest, img.manifestDigest);
  // The same inputs write a byte-identical archive.
  const archive2 = join(work, 'ours2.tar');
  await writeDockerArchive(archive2, store, [{ digest: img.manifestDigest, repoTags: [`${tag}-ours:v1`] }]);
  assert.deepEqual(readFileSync(archive2), readFileSync(archive));
});
