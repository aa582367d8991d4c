import assert from 'node:assert/strict';
import { test } from 'node:test';
import { digestBytes } from './digest.js';
import { EmptyJson, MediaTypes } from './media-types.js';
import { parseImageConfig, parseManifest } from './manifest.js';

const cfg = { mediaType: MediaTypes.ociConfig, digest: digestBytes('config'), size: 6 };
const layer = { mediaType: MediaTypes.ociLayerGzip, digest: digestBytes('layer'), size: 5 };
const json = (o: unknown) => Buffer.from(JSON.stringify(o));

function rejects(doc: unknown, msg: RegExp, contentType?: string, code = 'MANIFEST_INVALID') {
  assert.throws(() => parseManifest(typeof doc === 'string' ? Buffer.from(doc) : json(doc), contentType), (err: Error & { code?: string }) => {
    assert.equal(err.code, code);
    assert.match(err.message, msg);
    return true;
  });
}

test('parses OCI and Docker manifests and indexes', () => {
  const oci = parseManifest(json({ schemaVersion: 2, mediaType: MediaTypes.ociManifest, config: cfg, layers: [layer] }));
  assert.equal(oci.kind, 'manifest');
  assert.equal(oci.mediaType, MediaTypes.ociManifest);
  const docker = parseManifest(
    json({ schemaVersion: 2, mediaType: MediaTypes.dockerManifest, config: { ...cfg, mediaType: MediaTypes.dockerConfig }, layers: [{ ...layer, mediaType: MediaTypes.dockerLayerGzip }] }),
    MediaTypes.dockerManifest,
  );
  assert.equal(docker.kind, 'manifest');
  const noMediaType = parseManifest(json({ schemaVersion: 2, config: cfg, layers: [] }), MediaTypes.ociManifest);
  assert.equal(noMediaType.mediaType, MediaTypes.ociManifest);
  const shapeOnly = parseManifest(json({ schemaVersion: 2, manifests: [] }));
  assert.equal(shapeOnly.kind, 'index');
  const list = parseManifest(
    json({
      schemaVersion: 2,
      mediaType: MediaTypes.dockerManifestList,
      manifests: [{ mediaType: MediaTypes.dockerManifest, digest: digestBytes('m'), size: 1, platform: { architecture: 'amd64', os: 'linux' } }],
    }),
  );
  assert.equal(list.kind, 'index');
  if (list.kind === 'index') assert.equal(list.index.manifests[0]!.platform?.architecture, 'amd64');
});

test('parses artifacts with artifactType, subject and the empty config', () => {
  const subject = { mediaType: MediaTypes.ociManifest, digest: digestBytes('subject'), size: 7 };
  const p = parseManifest(
    json({ schemaVersion: 2, mediaType: MediaTypes.ociManifest, artifactType: 'application/vnd.example.sbom', config: EmptyJson, layers: [EmptyJson], subject }),
  );
  assert.equal(p.kind === 'manifest' && p.manifest.subject?.digest, subject.digest);
  rejects({ schemaVersion: 2, mediaType: MediaTypes.ociManifest, config: EmptyJson, layers: [] }, /manifest.artifactType: is required/);
});

test('names the field and the problem for invalid manifests', () => {
  rejects('{not json', /manifest is not valid JSON/);
  rejects([1], /manifest: must be an object/);
  rejects({ schemaVersion: 1, name: 'x' }, /schema 1 is not supported/);
  rejects({ schemaVersion: 3, config: cfg, layers: [] }, /manifest.schemaVersion: must be 2, got number 3/);
  rejects({ schemaVersion: 2, mediaType: MediaTypes.ociManifest, layers: [] }, /manifest.config: is required/);
  rejects({ schemaVersion: 2, mediaType: MediaTypes.ociManifest, config: cfg }, /manifest.layers: is required/);
  rejects({ schemaVersion: 2, mediaType: MediaTypes.ociManifest, config: cfg, layers: [layer, { ...layer, digest: 'sha256:xyz' }] }, /manifest.layers\[1\].digest: invalid sha256 digest/);
  rejects({ schemaVersion: 2, mediaType: MediaTypes.ociManifest, config: cfg, layers: [{ ...layer, size: -1 }] }, /manifest.layers\[0\].size: must be a non-negative integer/);
  rejects({ schemaVersion: 2, mediaType: MediaTypes.ociManifest, config: { ...cfg, mediaType: 'nonsense' }, layers: [] }, /manifest.config.mediaType: "nonsense" is not a media type/);
  rejects({ schemaVersion: 2, mediaType: MediaTypes.ociManifest, config: cfg, layers: [{ ...layer, annotations: { a: 1 } }] }, /manifest.layers\[0\].annotations\["a"\]: must be a string/);
  rejects({ schemaVersion: 2, mediaType: MediaTypes.ociManifest, config: { ...cfg, data: Buffer.from('wrong!').toString('base64') }, layers: [] }, /manifest.config.data: does not match digest/);
  rejects({ schemaVersion: 2, mediaType: MediaTypes.ociManifest, config: cfg, layers: [] }, /is "application\/vnd.oci.image.manifest.v1\+json" but the content type is/, MediaTypes.dockerManifest);
  rejects({ schemaVersion: 2, config: cfg, layers: [] }, /manifest.mediaType: is required for application\/vnd.docker/, MediaTypes.dockerManifest);
  rejects({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [{ mediaType: MediaTypes.ociManifest, digest: digestBytes('m'), size: 1, platform: { os: 'linux' } }] }, /manifest.manifests\[0\].platform.architecture: is required/);
  rejects({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [], config: cfg }, /manifest.config: must not be present in an image index/);
  rejects({ schemaVersion: 2, mediaType: 'application/vnd.example+json', config: cfg, layers: [] }, /is not a manifest or index media type/);
  rejects({ schemaVersion: 2 }, /neither an image manifest/);
});

test('parses image configs and names invalid fields', () => {
  const good = {
    architecture: 'amd64',
    os: 'linux',
    created: '2024-01-02T03:04:05.123456789Z',
    config: { Env: ['PATH=/usr/bin'], Entrypoint: ['/lambda-entrypoint.sh'], Cmd: ['app.handler'], WorkingDir: '/var/task', ExposedPorts: { '8080/tcp': {} } },
    rootfs: { type: 'layers', diff_ids: [digestBytes('l1')] },
    history: [{ created_by: 'x' }, { created_by: 'y', empty_layer: true }],
  };
  const c = parseImageConfig(json(good));
  assert.deepEqual(c.config?.Cmd, ['app.handler']);
  assert.deepEqual(parseImageConfig(json({ ...good, config: { ...good.config, Cmd: null } })).config?.Cmd, null);
  // what docker's legacy builder writes
  parseImageConfig(json({ ...good, config: { ...good.config, Labels: null, Volumes: null, Entrypoint: null, OnBuild: null, Env: null } }));
  const bad = (o: unknown, msg: RegExp) =>
    assert.throws(() => parseImageConfig(json(o)), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'CONFIG_INVALID');
      assert.match(err.message, msg);
      return true;
    });
  bad({ ...good, architecture: undefined }, /config.architecture: is required/);
  bad({ ...good, rootfs: { type: 'layers', diff_ids: ['nope'] } }, /config.rootfs.diff_ids\[0\]: invalid digest "nope"/);
  bad({ ...good, rootfs: { type: 'tar', diff_ids: [] } }, /config.rootfs.type: must be "layers"/);
  bad({ ...good, config: { Env: ['NOEQUALS'] } }, /config.config.Env\[0\]: must be VARNAME=VALUE/);
  bad({ ...good, config: { Entrypoint: 'sh' } }, /config.config.Entrypoint: must be an array of strings/);
  bad({ ...good, created: 'yesterday' }, /config.created: must be an RFC 3339 date-time/);
  assert.throws(() => parseImageConfig(Buffer.from('')), /image config is not valid JSON/);
});
