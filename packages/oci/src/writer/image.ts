import { ValidationError } from '@lambdock/common';
import { digestBytes } from '../digest.js';
import { MediaTypes } from '../media-types.js';
import type { Descriptor, HistoryEntry, ImageConfig, ImageManifest } from '../manifest.js';
import type { ContentStore } from '../content/store.js';
import { buildLayer, sourceDateEpoch, type BuiltLayer, type LayerOptions } from './layer.js';
import { filesFromDirectory, type FileSpec } from './files.js';

/** The runtime settings of an image (the `config` object of the image config). */
export interface ContainerSettings {
  /** `KEY=value` entries; a key given here replaces the base image's value. */
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  WorkingDir?: string;
  User?: string;
  Labels?: Record<string, string>;
  ExposedPorts?: Record<string, object>;
  StopSignal?: string;
}

export interface ImageSpec {
  /** Base image (already in the store): its layers come first, its settings are the defaults. */
  base?: { manifest: ImageManifest; config: ImageConfig };
  /** Layers added on top, in order. */
  layers: BuiltLayer[];
  config?: ContainerSettings;
  architecture?: string;
  os?: string;
  variant?: string;
  /** Seconds since the epoch for `created` and history; default SOURCE_DATE_EPOCH, else 0. */
  created?: number;
  /** One history `created_by` per added layer (default "lambdock: layer <n>"). */
  history?: string[];
  /** Manifest annotations. */
  annotations?: Record<string, string>;
  /** 'oci' (default) or 'docker' (schema 2) media types. */
  flavor?: 'oci' | 'docker';
}

export interface WrittenImage {
  manifestDigest: string;
  manifestSize: number;
  manifestMediaType: string;
  manifest: ImageManifest;
  configDigest: string;
  config: ImageConfig;
}

/**
 * Writes config and manifest for `spec` into `store`. Deterministic: the JSON is built
 * with a fixed key order and no wall-clock time, so the same inputs give the same digests.
 */
export async function writeImage(store: ContentStore, spec: ImageSpec): Promise<WrittenImage> {
  const flavor = spec.flavor ?? 'oci';
  const created = new Date((spec.created ?? sourceDateEpoch()) * 1000).toISOString().replace('.000Z', 'Z');
  const base = spec.base;
  const baseLayers = base?.manifest.layers ?? [];
  const baseDiffIds = base?.config.rootfs.diff_ids ?? [];
  if (baseLayers.length !== baseDiffIds.length) {
    throw new ValidationError(`base image has ${baseLayers.length} layers but ${baseDiffIds.length} diff_ids`);
  }
  for (const l of baseLayers) {
    if (!(await store.info(l.digest))) throw new ValidationError(`base layer ${l.digest} is not in the content store`, { digest: l.digest });
  }
  const settings = mergeSettings(base?.config.config, spec.config);
  const history: HistoryEntry[] = [...(base?.config.history ?? [])];
  spec.layers.forEach((_, i) => history.push({ created, created_by: spec.history?.[i] ?? `lambdock: layer ${i + 1}` }));

  // Key order fixed by construction: the bytes (and so the digest) depend only on the inputs.
  const config: ImageConfig = {
    created,
    architecture: spec.architecture ?? base?.config.architecture ?? 'amd64',
    os: spec.os ?? base?.config.os ?? 'linux',
    ...(spec.variant ?? base?.config.variant ? { variant: spec.variant ?? base?.config.variant } : {}),
    config: settings,
    rootfs: { type: 'layers', diff_ids: [...baseDiffIds, ...spec.layers.map((l) => l.diffId)] },
    history,
  };
  const configBytes = Buffer.from(JSON.stringify(config));
  const configInfo = await store.put(configBytes);

  const layers: Descriptor[] = [...baseLayers.map((l) => toFlavor(l, flavor)), ...spec.layers.map((l) => toFlavor(l.descriptor, flavor))];
  const manifestMediaType = flavor === 'docker' ? MediaTypes.dockerManifest : MediaTypes.ociManifest;
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: manifestMediaType,
    config: { mediaType: flavor === 'docker' ? MediaTypes.dockerConfig : MediaTypes.ociConfig, digest: configInfo.digest, size: configInfo.size },
    layers,
    ...(spec.annotations && Object.keys(spec.annotations).length ? { annotations: sortedRecord(spec.annotations) } : {}),
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  const info = await store.put(manifestBytes, { digest: digestBytes(manifestBytes) });
  return { manifestDigest: info.digest, manifestSize: info.size, manifestMediaType, manifest, configDigest: configInfo.digest, config };
}

/**
 * Builds an image from file lists step by step:
 *
 *   const w = new ImageWriter(store);
 *   await w.addLayer([{ path: '/bin/busybox', source: '/bin/busybox', mode: 0o755 }]);
 *   await w.addDirectory('./app', '/var/task');
 *   const img = await w.write({ config: { Cmd: ['app.handler'] } });
 *
 * Layers are content-addressed, so an identical layer in two images is one blob.
 */
export class ImageWriter {
  readonly #layers: BuiltLayer[] = [];
  readonly #history: string[] = [];

  constructor(
    private readonly store: ContentStore,
    private readonly opts: LayerOptions = {},
  ) {}

  async addLayer(files: readonly FileSpec[], createdBy?: string): Promise<BuiltLayer> {
    const layer = await buildLayer(this.store, files, this.opts);
    this.#layers.push(layer);
    this.#history.push(createdBy ?? `lambdock: layer ${this.#layers.length}`);
    return layer;
  }

  async addDirectory(hostDir: string, prefix = '/', createdBy?: string): Promise<BuiltLayer> {
    return this.addLayer(await filesFromDirectory(hostDir, prefix), createdBy ?? `lambdock: COPY ${prefix}`);
  }

  /** Reuses a layer built elsewhere (e.g. shared between images). */
  addBuiltLayer(layer: BuiltLayer, createdBy?: string): void {
    this.#layers.push(layer);
    this.#history.push(createdBy ?? `lambdock: layer ${this.#layers.length}`);
  }

  get layers(): readonly BuiltLayer[] {
    return this.#layers;
  }

  write(spec: Omit<ImageSpec, 'layers' | 'history'> = {}): Promise<WrittenImage> {
    return writeImage(this.store, {
      ...spec,
      layers: [...this.#layers],
      history: [...this.#history],
      flavor: spec.flavor ?? this.opts.flavor,
      created: spec.created ?? this.opts.mtime,
    });
  }
}

function mergeSettings(base: ImageConfig['config'] | undefined, over: ContainerSettings | undefined): NonNullable<ImageConfig['config']> {
  const out: NonNullable<ImageConfig['config']> = {};
  const env = mergeEnv(base?.Env ?? [], over?.Env ?? []);
  // A fixed key order (the one Docker writes) keeps the config bytes stable.
  const user = over?.User ?? base?.User;
  if (user) out.User = user;
  const ports = over?.ExposedPorts ?? base?.ExposedPorts;
  if (ports && Object.keys(ports).length) out.ExposedPorts = sortedRecord(ports);
  if (env.length) out.Env = env;
  // Docker semantics: setting Entrypoint resets an inherited Cmd.
  const entrypoint = over?.Entrypoint ?? base?.Entrypoint ?? undefined;
  const cmd = over?.Cmd ?? (over?.Entrypoint ? undefined : (base?.Cmd ?? undefined));
  if (entrypoint) out.Entrypoint = [...entrypoint];
  if (cmd) out.Cmd = [...cmd];
  const wd = over?.WorkingDir ?? base?.WorkingDir;
  if (wd) out.WorkingDir = wd;
  const labels = { ...(base?.Labels ?? {}), ...(over?.Labels ?? {}) };
  if (Object.keys(labels).length) out.Labels = sortedRecord(labels);
  const stop = over?.StopSignal ?? base?.StopSignal;
  if (stop) out.StopSignal = stop;
  return out;
}

function mergeEnv(base: readonly string[], over: readonly string[]): string[] {
  const key = (e: string): string => (e.includes('=') ? e.slice(0, e.indexOf('=')) : e);
  const out = [...base];
  for (const e of over) {
    if (!e.includes('=')) throw new ValidationError(`environment entry must be KEY=value, got ${JSON.stringify(e)}`);
    const i = out.findIndex((b) => key(b) === key(e));
    if (i >= 0) out[i] = e;
    else out.push(e);
  }
  return out;
}

function sortedRecord<T>(r: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const toDocker: Record<string, string> = {
  [MediaTypes.ociLayerGzip]: MediaTypes.dockerLayerGzip,
  [MediaTypes.ociLayer]: MediaTypes.dockerLayer,
};
const toOci: Record<string, string> = {
  [MediaTypes.dockerLayerGzip]: MediaTypes.ociLayerGzip,
  [MediaTypes.dockerLayer]: MediaTypes.ociLayer,
};

/** Same bytes, the media type name of the manifest's family (a schema 2 manifest cannot name an OCI zstd layer). */
function toFlavor(d: Descriptor, flavor: 'oci' | 'docker'): Descriptor {
  const map = flavor === 'docker' ? toDocker : toOci;
  const mediaType = map[d.mediaType] ?? d.mediaType;
  if (flavor === 'docker' && mediaType === MediaTypes.ociLayerZstd) {
    throw new ValidationError(`a Docker schema 2 manifest cannot carry zstd layer ${d.digest}; write an OCI manifest instead`);
  }
  const out: Descriptor = { mediaType, digest: d.digest, size: d.size };
  if (d.urls) out.urls = d.urls;
  if (d.annotations) out.annotations = d.annotations;
  return out;
}
