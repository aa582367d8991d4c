import type { EcrOperation } from '../context.js';
import { imageIdsParam, repositoryNameParam, requireRepository, resolveImage } from '../common.js';

/**
 * Deleting by tag removes the tag (and the image when it was its last tag, as ECR
 * does); by digest removes the image and all its tags.
 */
export const batchDeleteImage: EcrOperation = async ({ core, log }, input) => {
  const repo = repositoryNameParam(input);
  await requireRepository(core, repo);
  const ids = imageIdsParam(input, true)!;
  const imageIds = [];
  const failures = [];
  for (const id of ids) {
    const r = await resolveImage(core, repo, id);
    if (!r.ok) {
      failures.push({ imageId: r.imageId, failureCode: r.failureCode, failureReason: r.failureReason });
      continue;
    }
    const m = r.manifest;
    const parents = await core.metadata.parentsOf(repo, m.digest);
    if (parents.length > 0 && (id.imageTag === undefined || m.tags.length <= 1)) {
      failures.push({ imageId: id, failureCode: 'ImageReferencedByManifestList', failureReason: `Requested image is referenced by manifest list ${parents[0]}` });
      continue;
    }
    if (id.imageTag !== undefined && m.tags.length > 1) {
      await core.metadata.deleteTag(repo, id.imageTag);
      imageIds.push({ imageDigest: m.digest, imageTag: id.imageTag });
    } else {
      await core.metadata.deleteManifest(repo, m.digest);
      if (id.imageTag !== undefined) imageIds.push({ imageDigest: m.digest, imageTag: id.imageTag });
      else if (m.tags.length === 0) imageIds.push({ imageDigest: m.digest });
      else for (const t of m.tags) imageIds.push({ imageDigest: m.digest, imageTag: t });
    }
    log.info('image deleted', { repo, digest: m.digest, tag: id.imageTag });
  }
  return { imageIds, failures };
};
