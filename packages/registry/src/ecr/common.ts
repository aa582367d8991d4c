import { isDigest } from '@lambdock/oci';
import type { RegistryCore } from '../core.js';
import type { ManifestRecord, RepositoryRecord } from '../metadata/store.js';
import { isValidRepositoryName, isValidTag } from '../names.js';
import { EcrError } from './errors.js';

export const epochSeconds = (ms: number): number => ms / 1000;

export function str(input: Record<string, unknown>, key: string, required: true): string;
export function str(input: Record<string, unknown>, key: string, required?: false): string | undefined;
export function str(input: Record<string, unknown>, key: string, required = false): string | undefined {
  const v = input[key];
  if (v === undefined || v === null) {
    if (required) throw new EcrError('ValidationException', `1 validation error detected: Value null at '${key}' failed to satisfy constraint: Member must not be null`);
    return undefined;
  }
  if (typeof v !== 'string') throw new EcrError('SerializationException', `${key} must be a string`);
  return v;
}

export function repositoryNameParam(input: Record<string, unknown>): string {
  const name = str(input, 'repositoryName', true);
  if (name.length < 2 || !isValidRepositoryName(name)) {
    throw new EcrError(
      'InvalidParameterException',
      `Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*' and be 2-256 characters'`,
    );
  }
  return name;
}

export function repositoryNotFound(core: RegistryCore, name: string): EcrError {
  return new EcrError('RepositoryNotFoundException', `The repository with name '${name}' does not exist in the registry with id '${core.settings.account}'`);
}

export async function requireRepository(core: RegistryCore, name: string): Promise<RepositoryRecord> {
  const repo = await core.metadata.getRepository(name);
  if (!repo) throw repositoryNotFound(core, name);
  return repo;
}

export function repositoryArn(core: RegistryCore, name: string): string {
  return `arn:aws:ecr:${core.settings.region}:${core.settings.account}:repository/${name}`;
}

export function repositoryFromArn(core: RegistryCore, arn: unknown): string {
  const prefix = `arn:aws:ecr:${core.settings.region}:${core.settings.account}:repository/`;
  if (typeof arn !== 'string' || !arn.startsWith(prefix) || !isValidRepositoryName(arn.slice(prefix.length))) {
    throw new EcrError('InvalidParameterException', `Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid ARN'`);
  }
  return arn.slice(prefix.length);
}

export function repositoryView(core: RegistryCore, r: RepositoryRecord): Record<string, unknown> {
  return {
    repositoryArn: repositoryArn(core, r.name),
    registryId: core.settings.account,
    repositoryName: r.name,
    repositoryUri: `${core.settings.publicUrl}/${r.name}`,
    createdAt: epochSeconds(r.createdAt),
    imageTagMutability: r.tagMutability,
    imageScanningConfiguration: { scanOnPush: r.scanOnPush },
    encryptionConfiguration: { encryptionType: 'AES256' },
  };
}

export function imageDetail(core: RegistryCore, m: ManifestRecord): Record<string, unknown> {
  const d: Record<string, unknown> = {
    registryId: core.settings.account,
    repositoryName: m.repo,
    imageDigest: m.digest,
    imageSizeInBytes: m.imageSize,
    imagePushedAt: epochSeconds(m.pushedAt),
    imageManifestMediaType: m.mediaType,
  };
  if (m.tags.length > 0) d['imageTags'] = m.tags;
  if (m.configMediaType !== undefined) d['artifactMediaType'] = m.configMediaType;
  return d;
}

export interface ImageId {
  imageDigest?: string;
  imageTag?: string;
}

export function imageIdsParam(input: Record<string, unknown>, required: boolean, max = 100): ImageId[] | undefined {
  const v = input['imageIds'];
  if (v === undefined || v === null) {
    if (required) throw new EcrError('ValidationException', "1 validation error detected: Value null at 'imageIds' failed to satisfy constraint: Member must not be null");
    return undefined;
  }
  if (!Array.isArray(v)) throw new EcrError('SerializationException', 'imageIds must be a list');
  if (v.length < 1 || v.length > max) {
    throw new EcrError('InvalidParameterException', `Invalid parameter at 'imageIds' failed to satisfy constraint: 'Member must have length between 1 and ${max}'`);
  }
  return v.map((x) => {
    const o = (x ?? {}) as Record<string, unknown>;
    const id: ImageId = {};
    if (typeof o['imageDigest'] === 'string') id.imageDigest = o['imageDigest'];
    if (typeof o['imageTag'] === 'string') id.imageTag = o['imageTag'];
    return id;
  });
}

export type ResolvedImage =
  | { ok: true; manifest: ManifestRecord; imageId: ImageId }
  | { ok: false; imageId: ImageId; failureCode: string; failureReason: string };

/** Resolves an ECR imageId (digest and/or tag) to a manifest, or a failure entry as ECR reports it. */
export async function resolveImage(core: RegistryCore, repo: string, id: ImageId): Promise<ResolvedImage> {
  if (id.imageDigest === undefined && id.imageTag === undefined) {
    return { ok: false, imageId: id, failureCode: 'MissingDigestAndTag', failureReason: 'Invalid request parameters: both tag and digest cannot be null' };
  }
  if (id.imageDigest !== undefined && !isDigest(id.imageDigest)) {
    return { ok: false, imageId: id, failureCode: 'InvalidImageDigest', failureReason: 'Invalid request parameters: image digest should satisfy the regex' };
  }
  if (id.imageTag !== undefined && !isValidTag(id.imageTag)) {
    return { ok: false, imageId: id, failureCode: 'InvalidImageTag', failureReason: 'Invalid request parameters: image tag should satisfy the regex' };
  }
  let digest = id.imageDigest;
  if (id.imageTag !== undefined) {
    const tagged = await core.metadata.resolveTag(repo, id.imageTag);
    if (!tagged) return { ok: false, imageId: id, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' };
    if (digest !== undefined && digest !== tagged) {
      return { ok: false, imageId: id, failureCode: 'ImageTagDoesNotMatchDigest', failureReason: 'Invalid request parameters: given tag does not map to the given digest' };
    }
    digest = tagged;
  }
  const manifest = await core.metadata.getManifest(repo, digest!);
  if (!manifest) return { ok: false, imageId: id, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' };
  return { ok: true, manifest, imageId: id };
}

/** ECR's nextToken: an opaque cursor (base64 of the last key returned). */
export function decodeNextToken(input: Record<string, unknown>): string | undefined {
  const t = input['nextToken'];
  if (t === undefined || t === null) return undefined;
  if (typeof t !== 'string') throw new EcrError('InvalidParameterException', 'Invalid parameter at nextToken');
  try {
    const v = JSON.parse(Buffer.from(t, 'base64url').toString('utf8')) as { k?: unknown };
    if (typeof v.k !== 'string') throw new Error('bad');
    return v.k;
  } catch {
    throw new EcrError('InvalidParameterException', "Invalid parameter at 'nextToken' failed to satisfy constraint: 'Invalid NextToken'");
  }
}

export function encodeNextToken(key: string): string {
  return Buffer.from(JSON.stringify({ k: key })).toString('base64url');
}

export function maxResultsParam(input: Record<string, unknown>, max: number, dflt: number): number {
  const v = input['maxResults'];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) {
    throw new EcrError('InvalidParameterException', `Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value between 1 and ${max}'`);
  }
  return v;
}

export function tagStatusFilter(input: Record<string, unknown>): 'TAGGED' | 'UNTAGGED' | 'ANY' {
  const f = input['filter'] as Record<string, unknown> | undefined;
  const s = f?.['tagStatus'];
  if (s === undefined || s === null) return 'ANY';
  if (s !== 'TAGGED' && s !== 'UNTAGGED' && s !== 'ANY') {
    throw new EcrError('InvalidParameterException', `Invalid parameter at 'filter.tagStatus' failed to satisfy constraint: 'Member must satisfy enum value set: [TAGGED, UNTAGGED, ANY]'`);
  }
  return s;
}

export function resourceTagsParam(v: unknown): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (!Array.isArray(v)) throw new EcrError('InvalidTagParameterException', 'tags must be a list of {Key, Value}');
  const out: Record<string, string> = {};
  for (const t of v) {
    const o = (t ?? {}) as Record<string, unknown>;
    if (typeof o['Key'] !== 'string' || o['Key'].length < 1 || o['Key'].length > 128 || typeof o['Value'] !== 'string' || o['Value'].length > 256) {
      throw new EcrError('InvalidTagParameterException', 'Each tag needs a Key (1-128 characters) and a Value (0-256 characters)');
    }
    out[o['Key']] = o['Value'];
  }
  if (Object.keys(out).length > 50) throw new EcrError('TooManyTagsException', 'A resource can have at most 50 tags');
  return out;
}
