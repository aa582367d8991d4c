import type { EcrOperation } from '../context.js';
import { EcrError } from '../errors.js';
import { imageIdsParam, repositoryNameParam, requireRepository, resolveImage } from '../common.js';

export const batchGetImage: EcrOperation = async ({ core }, input) => {
  const repo = repositoryNameParam(input);
  await requireRepository(core, repo);
  const ids = imageIdsParam(input, true)!;
  const accepted = input['acceptedMediaTypes'];
  if (accepted !== undefined && (!Array.isArray(accepted) || accepted.length < 1 || accepted.length > 100)) {
    throw new EcrError('InvalidParameterException', `Invalid parameter at 'acceptedMediaTypes' failed to satisfy constraint: 'Member must have length between 1 and 100'`);
  }
  const images = [];
  const failures = [];
  for (const id of ids) {
    const r = await resolveImage(core, repo, id);
    if (!r.ok) {
      failures.push({ imageId: r.imageId, failureCode: r.failureCode, failureReason: r.failureReason });
      continue;
    }
    if (Array.isArray(accepted) && !accepted.includes(r.manifest.mediaType)) {
      failures.push({ imageId: id, failureCode: 'UnsupportedImageType', failureReason: `Image manifest media type ${r.manifest.mediaType} is not in acceptedMediaTypes` });
      continue;
    }
    const bytes = await core.store.readAll(r.manifest.digest);
    const imageId: Record<string, string> = { imageDigest: r.manifest.digest };
    if (id.imageTag !== undefined) imageId['imageTag'] = id.imageTag;
    images.push({
      registryId: core.settings.account,
      repositoryName: repo,
      imageId,
      imageManifest: bytes.toString('utf8'),
      imageManifestMediaType: r.manifest.mediaType,
    });
  }
  return { images, failures };
};
