import type { EcrOperation } from '../context.js';
import { EcrError } from '../errors.js';
import {
  decodeNextToken,
  encodeNextToken,
  imageDetail,
  imageIdsParam,
  maxResultsParam,
  repositoryNameParam,
  requireRepository,
  resolveImage,
  tagStatusFilter,
} from '../common.js';

export const describeImages: EcrOperation = async ({ core }, input) => {
  const repo = repositoryNameParam(input);
  await requireRepository(core, repo);
  const ids = imageIdsParam(input, false);
  if (ids) {
    const out = [];
    for (const id of ids) {
      const r = await resolveImage(core, repo, id);
      if (!r.ok) {
        const shown = id.imageTag !== undefined ? `imageTag=${id.imageTag}` : `imageDigest=${id.imageDigest}`;
        throw new EcrError('ImageNotFoundException', `The image with imageId {${shown}} does not exist within the repository with name '${repo}' in the registry with id '${core.settings.account}'`);
      }
      out.push(imageDetail(core, r.manifest));
    }
    return { imageDetails: out };
  }
  const status = tagStatusFilter(input);
  const limit = maxResultsParam(input, 1000, 100);
  const after = decodeNextToken(input);
  const all = (await core.metadata.listManifests(repo))
    .filter((m) => status === 'ANY' || (status === 'TAGGED') === m.tags.length > 0)
    .sort((a, b) => a.digest.localeCompare(b.digest));
  const rest = after === undefined ? all : all.filter((m) => m.digest > after);
  const page = rest.slice(0, limit);
  const result: Record<string, unknown> = { imageDetails: page.map((m) => imageDetail(core, m)) };
  if (rest.length > limit) result['nextToken'] = encodeNextToken(page[page.length - 1]!.digest);
  return result;
};
