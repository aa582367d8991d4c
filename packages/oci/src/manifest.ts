import { LambdockError } from '@lambdock/common';
import { DigestInvalidError, digestBytes, parseDigest } from './digest.js';
import { MediaTypes, isIndexMediaType, isManifestMediaType, mediaTypeGrammar } from './media-types.js';

/**
 * Image manifests, image indexes (manifest lists) and image configs: types and
 * validation. Validation errors name the JSON path and what is wrong with it, so a
 * registry can hand the message to `docker push` as-is.
 */

export interface Platform {
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
  features?: string[];
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
  artifactType?: string;
  /** Embedded content, base64; must match digest and size when present. */
  data?: string;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface ImageConfig {
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
  created?: string;
  author?: string;
  config?: {
    User?: string;
    ExposedPorts?: Record<string, object>;
    Env?: string[];
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    Volumes?: Record<string, object>;
    WorkingDir?: string;
    Labels?: Record<string, string> | null;
    StopSignal?: string;
    ArgsEscaped?: boolean;
    [key: string]: unknown;
  };
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: HistoryEntry[];
  [key: string]: unknown;
}

export interface HistoryEntry {
  created?: string;
  author?: string;
  created_by?: string;
  comment?: string;
  empty_layer?: boolean;
}

export type ParsedManifest =
  | { kind: 'manifest'; mediaType: string; manifest: ImageManifest }
  | { kind: 'index'; mediaType: string; index: ImageIndex };

/** A manifest or index that is not valid JSON or breaks the spec; `details.path` names the field. */
export class ManifestInvalidError extends LambdockError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('MANIFEST_INVALID', message, { details });
  }
}

/** An image config that is not valid JSON or breaks the spec; `details.path` names the field. */
export class ConfigInvalidError extends LambdockError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('CONFIG_INVALID', message, { details });
  }
}

type Fail = (path: string, what: string) => never;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return v.length > 80 ? `string "${v.slice(0, 80)}…"` : `string "${v}"`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function wantObject(v: unknown, path: string, fail: Fail): Record<string, unknown> {
  if (!isObject(v)) fail(path, `must be an object, got ${describe(v)}`);
  return v as Record<string, unknown>;
}

function wantString(v: unknown, path: string, fail: Fail): string {
  if (typeof v !== 'string') fail(path, `must be a string, got ${describe(v)}`);
  return v as string;
}

function optString(o: Record<string, unknown>, key: string, path: string, fail: Fail): void {
  if (o[key] !== undefined) wantString(o[key], `${path}.${key}`, fail);
}

function optStringArray(o: Record<string, unknown>, key: string, path: string, fail: Fail, nullable = false): void {
  const v = o[key];
  if (v === undefined || (nullable && v === null)) return;
  if (!Array.isArray(v)) fail(`${path}.${key}`, `must be an array of strings, got ${describe(v)}`);
  (v as unknown[]).forEach((item, i) => wantString(item, `${path}.${key}[${i}]`, fail));
}

function optStringMap(o: Record<string, unknown>, key: string, path: string, fail: Fail, nullable = false): void {
  const v = o[key];
  if (v === undefined || (nullable && v === null)) return;
  const m = wantObject(v, `${path}.${key}`, fail);
  for (const [k, val] of Object.entries(m)) wantString(val, `${path}.${key}["${k}"]`, fail);
}

function optObjectMap(o: Record<string, unknown>, key: string, path: string, fail: Fail): void {
  const v = o[key];
  if (v === undefined || v === null) return;
  const m = wantObject(v, `${path}.${key}`, fail);
  for (const [k, val] of Object.entries(m)) wantObject(val, `${path}.${key}["${k}"]`, fail);
}

function wantDigest(v: unknown, path: string, fail: Fail): string {
  const s = wantString(v, path, fail);
  try {
    parseDigest(s);
  } catch (err) {
    if (err instanceof DigestInvalidError) fail(path, err.message);
    throw err;
  }
  return s;
}

function wantMediaType(v: unknown, path: string, fail: Fail): string {
  const s = wantString(v, path, fail);
  if (!mediaTypeGrammar.test(s)) fail(path, `"${s}" is not a media type of the form type/subtype (RFC 6838)`);
  return s;
}

function validatePlatform(v: unknown, path: string, fail: Fail): void {
  const p = wantObject(v, path, fail);
  if (p['architecture'] === undefined) fail(`${path}.architecture`, 'is required');
  if (p['os'] === undefined) fail(`${path}.os`, 'is required');
  wantString(p['architecture'], `${path}.architecture`, fail);
  wantString(p['os'], `${path}.os`, fail);
  optString(p, 'os.version', path, fail);
  optString(p, 'variant', path, fail);
  optStringArray(p, 'os.features', path, fail);
  optStringArray(p, 'features', path, fail);
}

/** Validates one descriptor in place (throws via fail with the JSON path of the bad field). */
export function validateDescriptor(v: unknown, path: string, fail: Fail = descriptorFail): Descriptor {
  const d = wantObject(v, path, fail);
  if (d['mediaType'] === undefined) fail(`${path}.mediaType`, 'is required');
  wantMediaType(d['mediaType'], `${path}.mediaType`, fail);
  if (d['digest'] === undefined) fail(`${path}.digest`, 'is required');
  const digest = wantDigest(d['digest'], `${path}.digest`, fail);
  if (d['size'] === undefined) fail(`${path}.size`, 'is required');
  const size = d['size'];
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    fail(`${path}.size`, `must be a non-negative integer, got ${describe(size)}`);
  }
  optStringArray(d, 'urls', path, fail);
  optStringMap(d, 'annotations', path, fail);
  if (d['platform'] !== undefined) validatePlatform(d['platform'], `${path}.platform`, fail);
  if (d['artifactType'] !== undefined) wantMediaType(d['artifactType'], `${path}.artifactType`, fail);
  if (d['data'] !== undefined) {
    const data = wantString(d['data'], `${path}.data`, fail);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data) || data.length % 4 !== 0) fail(`${path}.data`, 'must be base64 (RFC 4648)');
    const bytes = Buffer.from(data, 'base64');
    if (bytes.length !== size) fail(`${path}.data`, `decodes to ${bytes.length} bytes but size is ${size}`);
    if (digestBytes(bytes, parseDigest(digest).algorithm) !== digest) fail(`${path}.data`, `does not match digest ${digest}`);
  }
  return d as unknown as Descriptor;
}

const descriptorFail: Fail = (path, what) => {
  throw new ManifestInvalidError(`${path}: ${what}`, { path });
};

/** Content types that say nothing about which document kind follows. */
function isGenericContentType(ct: string): boolean {
  return ct === '' || ct === 'application/json' || ct === 'application/octet-stream' || ct === 'text/plain';
}

function parseJson(bytes: Uint8Array | string, what: string, make: (m: string) => LambdockError): unknown {
  const text = typeof bytes === 'string' ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw make(`${what} is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * Parses and validates an image manifest or image index / manifest list.
 *
 * The kind comes from the document's `mediaType`, else from `contentType` (what the
 * registry was told in the PUT), else from its shape (`manifests` vs `config`+`layers`),
 * as the OCI spec recommends. When both are given they must agree.
 */
export function parseManifest(bytes: Uint8Array | string, contentType?: string): ParsedManifest {
  const fail: Fail = (path, what) => {
    throw new ManifestInvalidError(`${path}: ${what}`, { path });
  };
  const doc = parseJson(bytes, 'manifest', (m) => new ManifestInvalidError(m, { path: 'manifest' }));
  const o = wantObject(doc, 'manifest', fail);
  const ct = (contentType ?? '').split(';')[0]!.trim().toLowerCase();

  if (ct === MediaTypes.dockerManifestV1 || ct === MediaTypes.dockerManifestV1Signed || o['schemaVersion'] === 1) {
    throw new ManifestInvalidError('manifest: Docker image manifest schema 1 is not supported (deprecated); push with schema 2 or OCI', {
      path: 'manifest.schemaVersion',
    });
  }
  if (o['schemaVersion'] === undefined) fail('manifest.schemaVersion', 'is required and must be 2');
  if (o['schemaVersion'] !== 2) fail('manifest.schemaVersion', `must be 2, got ${describe(o['schemaVersion'])}`);

  let mediaType: string | undefined;
  if (o['mediaType'] !== undefined) mediaType = wantMediaType(o['mediaType'], 'manifest.mediaType', fail);
  if (mediaType && ct && !isGenericContentType(ct) && mediaType !== ct) {
    fail('manifest.mediaType', `is "${mediaType}" but the content type is "${ct}"`);
  }
  const declared = mediaType ?? (ct && !isGenericContentType(ct) ? ct : undefined);

  let kind: 'manifest' | 'index';
  if (declared !== undefined) {
    if (isManifestMediaType(declared)) kind = 'manifest';
    else if (isIndexMediaType(declared)) kind = 'index';
    else fail(mediaType ? 'manifest.mediaType' : 'content type', `"${declared}" is not a manifest or index media type`);
  } else if (o['manifests'] !== undefined) kind = 'index';
  else if (o['config'] !== undefined || o['layers'] !== undefined) kind = 'manifest';
  else fail('manifest', 'is neither an image manifest (config, layers) nor an image index (manifests)');

  // Docker schema 2 documents always carry their mediaType; OCI ones should.
  if (!mediaType && declared === MediaTypes.dockerManifest) fail('manifest.mediaType', `is required for ${declared}`);
  if (!mediaType && declared === MediaTypes.dockerManifestList) fail('manifest.mediaType', `is required for ${declared}`);

  if (o['artifactType'] !== undefined) wantMediaType(o['artifactType'], 'manifest.artifactType', fail);
  if (o['subject'] !== undefined) validateDescriptor(o['subject'], 'manifest.subject', fail);
  optStringMap(o, 'annotations', 'manifest', fail);

  if (kind! === 'manifest') {
    if (o['manifests'] !== undefined) fail('manifest.manifests', 'must not be present in an image manifest');
    if (o['config'] === undefined) fail('manifest.config', 'is required');
    const config = validateDescriptor(o['config'], 'manifest.config', fail);
    if (o['layers'] === undefined) fail('manifest.layers', 'is required (may be empty)');
    if (!Array.isArray(o['layers'])) fail('manifest.layers', `must be an array, got ${describe(o['layers'])}`);
    (o['layers'] as unknown[]).forEach((l, i) => validateDescriptor(l, `manifest.layers[${i}]`, fail));
    // image-spec: artifactType MUST be set when config is the empty descriptor.
    if (config.mediaType === MediaTypes.ociEmpty && o['artifactType'] === undefined && (mediaType ?? declared) === MediaTypes.ociManifest) {
      fail('manifest.artifactType', `is required when config.mediaType is ${MediaTypes.ociEmpty}`);
    }
    return { kind: 'manifest', mediaType: mediaType ?? declared ?? MediaTypes.ociManifest, manifest: o as unknown as ImageManifest };
  }
  if (o['config'] !== undefined || o['layers'] !== undefined) {
    fail(o['config'] !== undefined ? 'manifest.config' : 'manifest.layers', 'must not be present in an image index');
  }
  if (o['manifests'] === undefined) fail('manifest.manifests', 'is required (may be empty)');
  if (!Array.isArray(o['manifests'])) fail('manifest.manifests', `must be an array, got ${describe(o['manifests'])}`);
  (o['manifests'] as unknown[]).forEach((m, i) => validateDescriptor(m, `manifest.manifests[${i}]`, fail));
  return { kind: 'index', mediaType: mediaType ?? declared ?? MediaTypes.ociIndex, index: o as unknown as ImageIndex };
}

/** Parses and validates an image config (OCI config.md; Docker's config is the same shape). */
export function parseImageConfig(bytes: Uint8Array | string): ImageConfig {
  const fail: Fail = (path, what) => {
    throw new ConfigInvalidError(`${path}: ${what}`, { path });
  };
  const doc = parseJson(bytes, 'image config', (m) => new ConfigInvalidError(m, { path: 'config' }));
  const o = wantObject(doc, 'config', fail);
  if (o['architecture'] === undefined) fail('config.architecture', 'is required');
  if (wantString(o['architecture'], 'config.architecture', fail) === '') fail('config.architecture', 'must not be empty');
  if (o['os'] === undefined) fail('config.os', 'is required');
  if (wantString(o['os'], 'config.os', fail) === '') fail('config.os', 'must not be empty');
  optString(o, 'variant', 'config', fail);
  optString(o, 'os.version', 'config', fail);
  optStringArray(o, 'os.features', 'config', fail);
  optString(o, 'author', 'config', fail);
  if (o['created'] !== undefined) {
    const c = wantString(o['created'], 'config.created', fail);
    if (!/^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(c) || Number.isNaN(Date.parse(c))) {
      fail('config.created', `must be an RFC 3339 date-time, got "${c}"`);
    }
  }
  if (o['config'] !== undefined && o['config'] !== null) {
    const c = wantObject(o['config'], 'config.config', fail);
    optString(c, 'User', 'config.config', fail);
    optString(c, 'WorkingDir', 'config.config', fail);
    optString(c, 'StopSignal', 'config.config', fail);
    optStringArray(c, 'Env', 'config.config', fail, true);
    (Array.isArray(c['Env']) ? (c['Env'] as string[]) : []).forEach((e, i) => {
      if (!e.includes('=')) fail(`config.config.Env[${i}]`, `must be VARNAME=VALUE, got "${e}"`);
    });
    optStringArray(c, 'Entrypoint', 'config.config', fail, true);
    optStringArray(c, 'Cmd', 'config.config', fail, true);
    optStringMap(c, 'Labels', 'config.config', fail, true); // docker writes "Labels": null
    optObjectMap(c, 'ExposedPorts', 'config.config', fail);
    optObjectMap(c, 'Volumes', 'config.config', fail);
    if (c['ArgsEscaped'] !== undefined && typeof c['ArgsEscaped'] !== 'boolean') fail('config.config.ArgsEscaped', 'must be a boolean');
  }
  if (o['rootfs'] === undefined) fail('config.rootfs', 'is required');
  const rootfs = wantObject(o['rootfs'], 'config.rootfs', fail);
  if (rootfs['type'] !== 'layers') fail('config.rootfs.type', `must be "layers", got ${describe(rootfs['type'])}`);
  if (!Array.isArray(rootfs['diff_ids'])) fail('config.rootfs.diff_ids', `must be an array of digests, got ${describe(rootfs['diff_ids'])}`);
  (rootfs['diff_ids'] as unknown[]).forEach((d, i) => wantDigest(d, `config.rootfs.diff_ids[${i}]`, fail));
  if (o['history'] !== undefined) {
    if (!Array.isArray(o['history'])) fail('config.history', `must be an array, got ${describe(o['history'])}`);
    (o['history'] as unknown[]).forEach((h, i) => {
      const e = wantObject(h, `config.history[${i}]`, fail);
      for (const k of ['created', 'author', 'created_by', 'comment']) optString(e, k, `config.history[${i}]`, fail);
      if (e['empty_layer'] !== undefined && typeof e['empty_layer'] !== 'boolean') fail(`config.history[${i}].empty_layer`, 'must be a boolean');
    });
  }
  return o as unknown as ImageConfig;
}

/** Descriptors a manifest refers to, in push order (config first, then layers). */
export function manifestReferences(m: ImageManifest): Descriptor[] {
  return [m.config, ...m.layers];
}
