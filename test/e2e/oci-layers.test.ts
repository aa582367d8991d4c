// Layers and snapshots against real tools: images built by `docker build` (whiteouts,
// opaque directories, hard links, symlinks made by Docker's own overlay2 driver), copied
// out with `skopeo` as gzip and zstd OCI layouts, must unpack through our content store
// and overlay snapshotter into exactly the tree `umoci unpack` produces; and layers we
// write (gzip, whiteouts) must load into Docker and run.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { createLogger } from '@lambdock/common';
import {
  FsContentStore,
  MediaTypes,
  OverlaySnapshotter,
  digestBytes,
  ensureImageLayers,
  packLayerToBuffer,
  parseImageConfig,
  parseManifest,
  whiteoutEntry,
  type ImageManifest,
} from '@lambdock/oci';
import { commandExists, dockerAvailable } from '../support/system.js';

const missing = ['skopeo', 'umoci', 'busybox', 'setfattr'].filter((c) => !commandExists(c));
const skip =
  process.getuid?.() !== 0 ? 'needs root (overlay mounts)' : !dockerAvailable() ? 'Docker engine not available' : missing.length ? `missing tools: ${missing.join(', ')}` : false;

const work = await mkdtemp(join(tmpdir(), 'lambdock-e2e-layers-'));
const tag = `lambdock-e2e-layers:${process.pid}`;
const ourTag = `lambdock-e2e-ours:${process.pid}`;
const run = (cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
const snapshotter = new OverlaySnapshotter(join(work, 'snapshots'), { logger: createLogger({ level: 'warn' }) });
after(async () => {
  for (const m of await snapshotter.mounts().catch(() => [])) await snapshotter.unmount(m.id).catch(() => {});
  if (!skip) for (const t of [tag, ourTag]) execFileSync('docker', ['rmi', '-f', t], { stdio: 'ignore' });
  await rm(work, { recursive: true, force: true });
});

/** path -> description of everything a user of the root filesystem can observe. */
function describeTree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const p = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(root, p));
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isDirectory()) {
        out.set(p, `dir ${mode} ${st.uid}:${st.gid}`);
        walk(p);
      } else if (st.isSymbolicLink()) out.set(p, `symlink -> ${readlinkSync(join(root, p))} ${st.uid}:${st.gid}`);
      else if (st.isFile()) {
        const sha = createHash('sha256').update(readFileSync(join(root, p))).digest('hex').slice(0, 16);
        out.set(p, `file ${mode} ${st.uid}:${st.gid} ${st.size} ${sha} mtime=${Math.floor(st.mtimeMs / 1000)}`);
      } else out.set(p, `other ${st.mode.toString(8)} rdev=${st.rdev}`);
    }
  };
  walk('');
  return out;
}

/** Reads an OCI image layout written by skopeo into our content store, verifying every blob. */
async function ingestLayout(layout: string, store: FsContentStore): Promise<{ manifest: ImageManifest; manifestDigest: string }> {
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  const blob = (digest: string) => readFileSync(join(layout, 'blobs', ...digest.split(':')));
  const manifestDigest = index.manifests[0]!.digest;
  const parsed = parseManifest(blob(manifestDigest));
  assert.equal(parsed.kind, 'manifest');
  if (parsed.kind !== 'manifest') throw new Error('unreachable');
  for (const d of [parsed.manifest.config, ...parsed.manifest.layers]) {
    const w = await store.writer({ ref: `ingest-${d.digest}`, expected: { digest: d.digest, size: d.size } });
    for await (const chunk of Readable.from([blob(d.digest)])) await w.write(chunk as Buffer);
    await w.commit();
  }
  await store.put(blob(manifestDigest), { digest: manifestDigest });
  return { manifest: parsed.manifest, manifestDigest };
}

describe('layers built by docker, unpacked by us, compared with umoci', { skip }, () => {
  test('gzip and zstd copies of a docker-built image mount to the same tree umoci unpacks', async () => {
    const ctx = join(work, 'ctx');
    mkdirSync(ctx);
    copyFileSync(execFileSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' }).trim(), join(ctx, 'busybox'));
    writeFileSync(
      join(ctx, 'Dockerfile'),
      [
        'FROM scratch',
        'COPY busybox /bin/busybox',
        'RUN ["/bin/busybox", "sh", "-c", "/bin/busybox mkdir -p /data/keep /data/gone /data/opq /etc /var/task && echo 1 > /data/keep/a && echo 2 > /data/gone/b && echo old > /data/opq/old && echo x > /etc/removeme && /bin/busybox ln -s /data/keep/a /link && /bin/busybox ln /data/keep/a /hard && /bin/busybox chmod 0750 /var/task && /bin/busybox chown 1000:1000 /var/task && echo exports > /var/task/app.js && /bin/busybox chmod 4755 /data/keep/a"]',
        'RUN ["/bin/busybox", "sh", "-c", "/bin/busybox rm -rf /data/gone /etc/removeme /data/opq && /bin/busybox mkdir /data/opq && echo new > /data/opq/new && echo 3 > /data/keep/c"]',
        'CMD ["/bin/busybox", "ls"]',
        '',
      ].join('\n'),
    );
    run('docker', ['build', '-q', '-t', tag, ctx], { env: { ...process.env, DOCKER_BUILDKIT: '0' } });

    const store = new FsContentStore(join(work, 'content'));
    const trees: Map<string, string>[] = [];
    for (const [name, extra] of [['gzip', []], ['zstd', ['--dest-compress', '--dest-compress-format', 'zstd']]] as const) {
      const layout = join(work, `layout-${name}`);
      run('skopeo', ['copy', '-q', ...extra, `docker-daemon:${tag}`, `oci:${layout}:img`]);
      const { manifest } = await ingestLayout(layout, store);
      if (name === 'zstd') assert.ok(manifest.layers.every((l) => l.mediaType === MediaTypes.ociLayerZstd), 'skopeo wrote zstd layers');
      const config = parseImageConfig(await store.readAll(manifest.config.digest));
      assert.deepEqual(config.config?.Cmd, ['/bin/busybox', 'ls']);
      const snaps = await ensureImageLayers(snapshotter, store, manifest, config);
      assert.equal(snaps.length, 3);
      const m = await snapshotter.mount(`e2e-${name}`, config.rootfs.diff_ids);
      const ours = describeTree(m.target);
      await snapshotter.unmount(m.id);

      const bundle = join(work, `umoci-${name}`);
      if (name === 'gzip') {
        run('umoci', ['unpack', '--image', `${layout}:img`, bundle]);
        const reference = describeTree(join(bundle, 'rootfs'));
        // umoci keeps setuid bits; our unpacker strips them by default (see unpackLayer).
        reference.set('data/keep/a', reference.get('data/keep/a')!.replace('file 4755', 'file 755'));
        reference.set('hard', reference.get('hard')!.replace('file 4755', 'file 755'));
        assert.deepEqual([...ours.entries()], [...reference.entries()]);
      }
      trees.push(ours);
    }
    // the diffIDs are the same whatever the compression: the zstd copy reused every snapshot
    assert.deepEqual([...trees[1]!.entries()], [...trees[0]!.entries()]);
    const t = trees[0]!;
    assert.ok(t.size >= 12, `tree has ${t.size} entries`);
    assert.equal(t.has('data/gone'), false);
    assert.equal(t.has('etc/removeme'), false);
    assert.equal(t.has('data/opq/old'), false);
    assert.ok(t.get('data/opq/new')?.startsWith('file'));
    assert.equal(t.get('link'), 'symlink -> /data/keep/a 0:0');
    assert.match(t.get('var/task')!, /^dir 750 1000:1000$/);
    const layers: string[] = [];
    for await (const s of snapshotter.walk()) layers.push(s.diffId);
    assert.equal(layers.length, 3);
  });

  test('layers we write (gzip, whiteouts) load into Docker and run', async () => {
    const busybox = readFileSync(execFileSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' }).trim());
    const l1 = await packLayerToBuffer([
      { path: 'bin', type: 'directory' },
      { path: 'bin/busybox', type: 'file', mode: 0o755, data: busybox },
      { path: 'bin/sh', type: 'symlink', linkname: 'busybox' },
      { path: 'etc/greeting', type: 'file', data: 'hello from lambdock layers\n' },
      { path: 'data/gone', type: 'file', data: 'to be deleted' },
      { path: 'data/kept', type: 'file', data: 'kept' },
    ]);
    const l2 = await packLayerToBuffer([whiteoutEntry('data/gone'), { path: 'data/added', type: 'file', data: 'added' }]);
    const config = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: { Cmd: ['/bin/busybox', 'sh', '-c', 'cat /etc/greeting; ls /data'] },
        rootfs: { type: 'layers', diff_ids: [l1.diffId, l2.diffId] },
      }),
    );
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaTypes.ociManifest,
        config: { mediaType: MediaTypes.ociConfig, digest: digestBytes(config), size: config.length },
        layers: [l1, l2].map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
      }),
    );
    parseManifest(manifest); // our own validation accepts what we wrote
    const layout = join(work, 'ours');
    mkdirSync(join(layout, 'blobs/sha256'), { recursive: true });
    for (const b of [l1.data, l2.data, config, manifest]) writeFileSync(join(layout, 'blobs/sha256', digestBytes(b).slice(7)), b);
    writeFileSync(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    writeFileSync(
      join(layout, 'index.json'),
      JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: MediaTypes.ociManifest, digest: digestBytes(manifest), size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': 'ours' } }] }),
    );
    run('skopeo', ['copy', '-q', `oci:${layout}:ours`, `docker-daemon:${ourTag}`]);
    assert.equal(run('docker', ['run', '--rm', ourTag]), 'hello from lambdock layers\nadded\nkept\n');
  });
});
