// Storing a manifest: the one path behind the distribution PUT and ECR PutImage.
import { digestBytes, isIndexMediaType, isManifestMediaType, MediaTypes, parseDigest, parseManifest, type Descriptor } from '@lambdock/oci';
import { DistributionError } from './distribution/errors.js';
import type { ManifestRef } from './metadata/store.js';
import type { RegistryCore } from './core.js';

const nonDistributable = new Set<string>([
  MediaTypes.ociLayerNondistributable,
  MediaTypes.ociLayerNondistributableGzip,
  MediaTypes.ociLayerNondistributableZstd,
  MediaTypes.dockerForeignLayer,
]);

export interface StoredManifest {
  digest: string;
  mediaType: string;
  subject?: string;
  created: boolean;
}

/** ECR's wording for a refused overwrite of an immutable tag (docker push and PutImage). */
export function immutableTagMessage(tag: string, repo: string): string {
  return `The image tag '${tag}' already exists in the '${repo}' repository and cannot be overwritten because the tag is immutable.`;
}

/**
 * Validates and stores a manifest, checks every referenced blob/manifest is in the
 * repository, and moves the tag — shared by the distribution PUT and ECR PutImage.
 * Throws DistributionError; ECR maps the codes to its exceptions.
 */
export async function storeManifest(
  core: RegistryCore,
  name: string,
  bytes: Buffer,
  opts: { contentType?: string; tags?: string[]; digest?: string },
): Promise<StoredManifest> {
  const parsed = parseManifest(bytes, opts.contentType);
  const algorithm = opts.digest ? parseDigest(opts.digest).algorithm : 'sha256';
  const digest = digestBytes(bytes, algorithm);
  if (opts.digest && opts.digest !== digest) {
    throw new DistributionError('DIGEST_INVALID', `manifest digest is ${digest}, not ${opts.digest}`, { detail: { expected: opts.digest, actual: digest } });
  }
  const refs: ManifestRef[] = [];
  let imageSize = 0;
  let artifactType: string | undefined;
  let configMediaType: string | undefined;
  let subject: Descriptor | undefined;
  let annotations: Record<string, string> | undefined;
  if (parsed.kind === 'manifest') {
    const m = parsed.manifest;
    refs.push({ digest: m.config.digest, kind: 'blob' });
    imageSize += m.config.size;
    for (const l of m.layers) {
      imageSize += l.size;
      // Non-distributable layers live elsewhere (urls); the spec lets them be absent here.
      if (!nonDistributable.has(l.mediaType)) refs.push({ digest: l.digest, kind: 'blob' });
    }
    configMediaType = m.config.mediaType;
    artifactType = m.artifactType ?? m.config.mediaType;
    subject = m.subject;
    annotations = m.annotations;
  } else {
    const ix = parsed.index;
    for (const d of ix.manifests) {
      imageSize += d.size;
      refs.push({ digest: d.digest, kind: isManifestMediaType(d.mediaType) || isIndexMediaType(d.mediaType) ? 'manifest' : 'blob' });
    }
    artifactType = ix.artifactType;
    subject = ix.subject;
    annotations = ix.annotations;
  }
  if (imageSize > core.settings.maxImageBytes) {
    throw new DistributionError('SIZE_INVALID', `image size ${imageSize} bytes exceeds the limit of ${core.settings.maxImageBytes} bytes`, { status: 413 });
  }
  const unique = [...new Map(refs.map((r) => [r.digest, r])).values()];
  const result = await core.locks.with(digest, async () => {
    await core.store.put(bytes, { digest });
    return core.metadata.putManifest({
      repo: name,
      digest,
      mediaType: parsed.mediaType,
      size: bytes.byteLength,
      ...(artifactType !== undefined ? { artifactType } : {}),
      ...(configMediaType !== undefined ? { configMediaType } : {}),
      ...(subject !== undefined ? { subject: subject.digest } : {}),
      // annotations only matter to the referrers API; a large-annotation image keeps its row small
      ...(annotations !== undefined && subject !== undefined ? { annotations } : {}),
      imageSize,
      refs: unique,
      tags: opts.tags ?? [],
      now: core.now(),
    });
  });
  if (!result.ok) {
    if (result.reason === 'missing') {
      const first = result.missing[0]!;
      throw new DistributionError(
        'MANIFEST_BLOB_UNKNOWN',
        `manifest references ${first.kind === 'manifest' ? 'a manifest' : 'a blob'} unknown to repository "${name}": ${first.digest}`,
        { detail: { digest: first.digest, missing: result.missing.map((m) => m.digest) } },
      );
    }
    if (result.reason === 'tag-immutable') {
      throw new DistributionError('TAG_INVALID', immutableTagMessage(result.tag, name), { detail: { tag: result.tag, digest: result.existingDigest } });
    }
    throw new DistributionError('NAME_UNKNOWN', `repository "${name}" not known to registry`);
  }
  core.logger.info('manifest stored', { repo: name, digest, tags: opts.tags, mediaType: parsed.mediaType });
  await core.applyLifecycle(name).catch((err: unknown) => core.logger.warn('lifecycle policy failed', { repo: name, err }));
  const out: StoredManifest = { digest, mediaType: parsed.mediaType, created: result.created };
  if (subject) out.subject = subject.digest;
  return out;
}

