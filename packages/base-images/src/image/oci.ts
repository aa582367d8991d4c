import { createHash } from 'node:crypto';
import { copyFile, link, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MediaTypes, parseImageConfig, parseManifest, type ImageConfig, type ImageManifest } from '@lambdock/oci';
import type { BaseImageSpec } from '../catalog.js';
import type { LayerBlob } from './layer.js';

export const MediaType = {
  manifest: MediaTypes.ociManifest,
  index: MediaTypes.ociIndex,
  config: MediaTypes.ociConfig,
  layerGzip: MediaTypes.ociLayerGzip,
} as const;

/** AWS's base images set exactly these (PATH and LD_LIBRARY_PATH include AWS's /var/lang and /opt conventions). */
export const imageEnv = [
  'LANG=en_US.UTF-8',
  'TZ=:/etc/localtime',
  'PATH=/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin',
  'LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib',
  'LAMBDA_TASK_ROOT=/var/task',
  'LAMBDA_RUNTIME_DIR=/var/runtime',
];

export interface ImageLayer extends LayerBlob {
  id: string;
  createdBy: string;
  labels: Record<string, string>;
}

export interface BuiltImage {
  manifestDigest: string;
  manifestSize: number;
  configDigest: string;
  compressedSize: number;
  uncompressedSize: number;
}

const REF_ANNOTATION = 'org.opencontainers.image.ref.name';

function canonicalJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

function digestOf(data: Buffer): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

async function putBlob(layout: string, data: Buffer): Promise<string> {
  const digest = digestOf(data);
  const dir = join(layout, 'blobs', 'sha256');
  await mkdir(dir, { recursive: true });
  const path = join(dir, digest.slice(7));
  if (!(await stat(path).then(() => true, () => false))) {
    const tmp = `${path}.tmp-${process.pid}`;
    await writeFile(tmp, data);
    await rename(tmp, path);
  }
  return digest;
}

/** Hard-links a cached layer blob into the layout (copies across filesystems). */
async function placeBlob(layout: string, blobsDir: string, digest: string): Promise<void> {
  const hex = digest.slice(7);
  const to = join(layout, 'blobs', 'sha256', hex);
  if (await stat(to).then(() => true, () => false)) return;
  await mkdir(join(layout, 'blobs', 'sha256'), { recursive: true });
  const from = join(blobsDir, 'sha256', hex);
  const tmp = `${to}.tmp-${process.pid}`;
  await link(from, tmp).catch(() => copyFile(from, tmp));
  await rename(tmp, to);
}

/**
 * Writes one image (config, manifest) into an OCI image layout and names it
 * `lambdock/NAME:TAG` (and each alias) in index.json, keeping other images already there.
 * Config and manifest depend only on the layers, the spec and the epoch.
 */
export async function writeImage(o: { output: string; blobsDir: string; spec: BaseImageSpec; layers: ImageLayer[]; epoch: number }): Promise<BuiltImage> {
  const created = new Date(o.epoch * 1000).toISOString().replace(/\.000Z$/, 'Z');
  const labels: Record<string, string> = {
    'org.opencontainers.image.title': `lambdock/${o.spec.name}:${o.spec.tag}`,
    'org.opencontainers.image.description': `Lambdock base image for ${o.spec.runtime} functions`,
    'org.opencontainers.image.created': created,
    'org.opencontainers.image.base.name': 'debian:bookworm',
    'dev.lambdock.runtime': o.spec.runtime,
  };
  for (const l of o.layers) Object.assign(labels, l.labels);
  const config: ImageConfig = {
    created,
    architecture: 'amd64',
    os: 'linux',
    config: {
      Env: imageEnv,
      Entrypoint: ['/lambda-entrypoint.sh'],
      ...(o.spec.cmd ? { Cmd: o.spec.cmd } : {}),
      WorkingDir: '/var/task',
      Labels: Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1))),
    },
    rootfs: { type: 'layers', diff_ids: o.layers.map((l) => l.diffId) },
    history: [
      ...o.layers.map((l) => ({ created, created_by: l.createdBy, comment: `layer ${l.id}` })),
      { created, created_by: `ENTRYPOINT ["/lambda-entrypoint.sh"]${o.spec.cmd ? ` CMD ${JSON.stringify(o.spec.cmd)}` : ''}`, empty_layer: true },
    ],
  };
  const configBytes = canonicalJson(config);
  parseImageConfig(configBytes); // the documents we publish pass the same validation we apply to others'
  const configDigest = await putBlob(o.output, configBytes);
  for (const l of o.layers) await placeBlob(o.output, o.blobsDir, l.digest);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.manifest,
    config: { mediaType: MediaType.config, digest: configDigest, size: configBytes.length },
    layers: o.layers.map((l) => ({ mediaType: MediaType.layerGzip, digest: l.digest, size: l.size })),
    annotations: { 'org.opencontainers.image.created': created, 'org.opencontainers.image.title': labels['org.opencontainers.image.title']! },
  };
  const manifestBytes = canonicalJson(manifest);
  parseManifest(manifestBytes, MediaType.manifest);
  const manifestDigest = await putBlob(o.output, manifestBytes);
  await writeFile(join(o.output, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const names = [o.spec.tag, ...o.spec.aliases].map((t) => `lambdock/${o.spec.name}:${t}`);
  await updateIndex(o.output, names, { mediaType: MediaType.manifest, digest: manifestDigest, size: manifestBytes.length });
  return {
    manifestDigest,
    manifestSize: manifestBytes.length,
    configDigest,
    compressedSize: o.layers.reduce((s, l) => s + l.size, 0) + configBytes.length + manifestBytes.length,
    uncompressedSize: o.layers.reduce((s, l) => s + l.uncompressedSize, 0),
  };
}

interface IndexDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string };
}

async function updateIndex(layout: string, names: string[], desc: { mediaType: string; digest: string; size: number }): Promise<void> {
  const path = join(layout, 'index.json');
  const current = await readFile(path, 'utf8').then((s) => JSON.parse(s) as { manifests?: IndexDescriptor[] }, () => ({ manifests: [] as IndexDescriptor[] }));
  const kept = (current.manifests ?? []).filter((m) => !names.includes(m.annotations?.[REF_ANNOTATION] ?? ''));
  for (const n of names) kept.push({ ...desc, platform: { architecture: 'amd64', os: 'linux' }, annotations: { [REF_ANNOTATION]: n } });
  kept.sort((a, b) => ((a.annotations?.[REF_ANNOTATION] ?? '') < (b.annotations?.[REF_ANNOTATION] ?? '') ? -1 : 1));
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, JSON.stringify({ schemaVersion: 2, mediaType: MediaType.index, manifests: kept }, null, 2) + '\n');
  await rename(tmp, path);
}
