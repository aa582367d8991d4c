import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsContentStore, ImageWriter, RegistryClient, listOciLayout, readOciLayout, writeOciLayout, type WrittenImage } from '@lambdock/oci';
import { commandExists, sh } from '../support/system.js';
import { REFERENCE_REGISTRY, startReferenceRegistry, type ReferenceRegistry } from '../support/reference-registry.js';

// OCI image layouts we write are accepted by umoci and skopeo; layouts skopeo writes
// are read by us; skopeo and our client agree through the reference registry.

const quiet = { warn: () => {}, info: () => {}, debug: () => {}, error: () => {}, child: () => quiet };
const noUmoci = !commandExists('umoci') && 'umoci not installed (run scripts/ensure-system.sh as root)';
const noSkopeo = (!commandExists('skopeo') && 'skopeo not installed') || (!commandExists(REFERENCE_REGISTRY) && 'docker-registry not installed');

let work: string;
let registry: ReferenceRegistry | undefined;
before(async () => {
  work = mkdtempSync(join(tmpdir(), 'lambdock-oci-layout-'));
  if (!noSkopeo) registry = await startReferenceRegistry();
});
after(async () => {
  await registry?.stop();
  rmSync(work, { recursive: true, force: true });
});

async function sampleImage(store: FsContentStore): Promise<WrittenImage> {
  const w = new ImageWriter(store);
  await w.addLayer([
    { path: '/hello.txt', content: 'hello from lambdock\n' },
    { path: '/bin/run', content: '#!/bin/sh\necho run\n', mode: 0o755 },
  ]);
  await w.addLayer([{ path: '/var/task/app.js', content: 'exports.handler = async () => 1;\n' }]);
  return w.write({ config: { Entrypoint: ['/bin/run'], Cmd: ['app.handler'], Env: ['LAMBDA_TASK_ROOT=/var/task'], WorkingDir: '/var/task' } });
}

test('umoci unpacks an OCI layout we wrote into a runtime bundle with our files and process', { skip: noUmoci }, async () => {
  const store = new FsContentStore(join(work, 'store-umoci'));
  const img = await sampleImage(store);
  const layout = join(work, 'layout-umoci');
  await writeOciLayout(layout, store, [{ digest: img.manifestDigest, name: 'v1' }]);
  const bundle = join(work, 'bundle');
  sh('umoci', ['unpack', '--image', `${layout}:v1`, bundle]);
  assert.equal(readFileSync(join(bundle, 'rootfs', 'hello.txt'), 'utf8'), 'hello from lambdock\n');
  assert.equal(readFileSync(join(bundle, 'rootfs', 'var', 'task', 'app.js'), 'utf8'), 'exports.handler = async () => 1;\n');
  const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as { process: { args: string[]; cwd: string; env: string[] } };
  assert.deepEqual(spec.process.args, ['/bin/run', 'app.handler']);
  assert.equal(spec.process.cwd, '/var/task');
  assert.ok(spec.process.env.includes('LAMBDA_TASK_ROOT=/var/task'));
  // umoci also reads our index back by name.
  assert.match(sh('umoci', ['ls', '--layout', layout]), /^v1$/m);
});

test('adding to an existing layout keeps other names and replaces the same name', async () => {
  const store = new FsContentStore(join(work, 'store-merge'));
  const a = await sampleImage(store);
  const w = new ImageWriter(store);
  await w.addLayer([{ path: '/b', content: 'b' }]);
  const b = await w.write();
  const layout = join(work, 'layout-merge');
  await writeOciLayout(layout, store, [{ digest: a.manifestDigest, name: 'a' }, { digest: a.manifestDigest, name: 'latest' }]);
  await writeOciLayout(layout, store, [{ digest: b.manifestDigest, name: 'latest' }]);
  const entries = await listOciLayout(layout);
  assert.deepEqual(
    entries.map((e) => [e.name, e.descriptor.digest]),
    [
      ['a', a.manifestDigest],
      ['latest', b.manifestDigest],
    ],
  );
  assert.deepEqual(entries[0]!.descriptor.platform, { os: 'linux', architecture: 'amd64' });
  // Reading it into a fresh store verifies and imports exactly what a name needs.
  const fresh = new FsContentStore(join(work, 'store-merge-read'));
  await readOciLayout(layout, fresh, { name: 'latest' });
  assert.ok(await fresh.info(b.manifestDigest));
  assert.equal(await fresh.info(a.manifest.layers[0]!.digest), undefined);
  await assert.rejects(readOciLayout(layout, fresh, { name: 'nope' }), { code: 'NOT_FOUND', message: /names: a, latest/ });
});

test('skopeo copies our layout to the reference registry; our client pulls the same image', { skip: noSkopeo }, async () => {
  const store = new FsContentStore(join(work, 'store-skopeo-up'));
  const img = await sampleImage(store);
  const layout = join(work, 'layout-skopeo-up');
  await writeOciLayout(layout, store, [{ digest: img.manifestDigest, name: 'v1' }]);
  const ref = `${registry!.host}/skopeo/from-layout:v1`;
  sh('skopeo', ['copy', '--dest-tls-verify=false', `oci:${layout}:v1`, `docker://${ref}`]);
  const client = new RegistryClient({ logger: quiet });
  const pulled = await client.pull(ref, new FsContentStore(join(work, 'store-skopeo-pulled')));
  // Nothing needed converting, so skopeo kept every digest.
  assert.equal(pulled.manifestDigest, img.manifestDigest);
  assert.deepEqual(pulled.config.config?.Entrypoint, ['/bin/run']);
  client.close();
});

test('our client pushes; skopeo copies the image into an OCI layout; we read that layout back', { skip: noSkopeo }, async () => {
  const store = new FsContentStore(join(work, 'store-skopeo-down'));
  const img = await sampleImage(store);
  const ref = `${registry!.host}/skopeo/from-client:v2`;
  const client = new RegistryClient({ logger: quiet });
  await client.push(ref, store, img.manifestDigest);
  client.close();
  const layout = join(work, 'layout-skopeo-down');
  sh('skopeo', ['copy', '--src-tls-verify=false', `docker://${ref}`, `oci:${layout}:v2`]);
  const fresh = new FsContentStore(join(work, 'store-skopeo-read'));
  const entries = await readOciLayout(layout, fresh, { name: 'v2' });
  assert.equal(entries[0]!.descriptor.digest, img.manifestDigest);
  for (const l of img.manifest.layers) assert.deepEqual(await fresh.readAll(l.digest), await store.readAll(l.digest));
});
