import { digestBytes, isDigest } from '@lambdock/oci';
import type { EcrOperation } from '../context.js';
import { EcrError } from '../errors.js';
import { repositoryNameParam, requireRepository, str } from '../common.js';
import { storeManifest } from '../../manifests.js';
import { DistributionError } from '../../distribution/errors.js';
import { isValidTag } from '../../names.js';

export const putImage: EcrOperation = async ({ core }, input) => {
  const repo = repositoryNameParam(input);
  await requireRepository(core, repo);
  const manifest = str(input, 'imageManifest', true);
  const mediaType = str(input, 'imageManifestMediaType');
  const tag = str(input, 'imageTag');
  const digest = str(input, 'imageDigest');
  if (tag !== undefined && !isValidTag(tag)) throw new EcrError('InvalidParameterException', `Invalid parameter at 'imageTag' failed to satisfy constraint: 'must satisfy regular expression [\\w][\\w.-]{0,127}'`);
  if (digest !== undefined && !isDigest(digest)) throw new EcrError('InvalidParameterException', `Invalid parameter at 'imageDigest' failed to satisfy constraint: 'Invalid digest'`);
  const bytes = Buffer.from(manifest, 'utf8');
  if (bytes.byteLength > core.settings.maxManifestBytes) {
    throw new EcrError('InvalidParameterException', `Invalid parameter at 'imageManifest' failed to satisfy constraint: 'Member must have length less than or equal to ${core.settings.maxManifestBytes}'`);
  }
  // ECR refuses an exact repeat (same tag already on the same digest).
  if (tag !== undefined) {
    const current = await core.metadata.resolveTag(repo, tag);
    const computed = digestBytes(bytes, digest?.startsWith('sha512:') ? 'sha512' : 'sha256');
    if (current === computed) {
      throw new EcrError(
        'ImageAlreadyExistsException',
        `Image with digest '${computed}' and tag '${tag}' already exists in the repository with name '${repo}' in registry with id '${core.settings.account}'`,
      );
    }
  }
  try {
    const stored = await storeManifest(core, repo, bytes, {
      ...(mediaType !== undefined ? { contentType: mediaType } : {}),
      ...(tag !== undefined ? { tags: [tag] } : {}),
      ...(digest !== undefined ? { digest } : {}),
    });
    const imageId: Record<string, string> = { imageDigest: stored.digest };
    if (tag !== undefined) imageId['imageTag'] = tag;
    return {
      image: { registryId: core.settings.account, repositoryName: repo, imageId, imageManifest: manifest, imageManifestMediaType: stored.mediaType },
    };
  } catch (err) {
    if (err instanceof DistributionError) {
      switch (err.code) {
        case 'TAG_INVALID':
          throw new EcrError('ImageTagAlreadyExistsException', err.message);
        case 'MANIFEST_BLOB_UNKNOWN':
          throw new EcrError('LayersNotFoundException', `Layers with digests '${((err.detail as { missing?: string[] })?.missing ?? []).join(', ')}' required for pushing image into repository with name '${repo}' in the registry with id '${core.settings.account}' do not exist`);
        case 'DIGEST_INVALID':
          throw new EcrError('ImageDigestDoesNotMatchException', `Invalid parameter at 'imageDigest': ${err.message}`);
        default:
          throw new EcrError('InvalidParameterException', `Invalid parameter at 'imageManifest': ${err.message}`);
      }
    }
    if ((err as { code?: string }).code === 'MANIFEST_INVALID') {
      throw new EcrError('InvalidParameterException', `Invalid parameter at 'imageManifest' failed to satisfy constraint: '${(err as Error).message}'`);
    }
    throw err;
  }
};
