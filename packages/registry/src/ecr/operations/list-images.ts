import type { EcrOperation } from '../context.js';
import { decodeNextToken, encodeNextToken, maxResultsParam, repositoryNameParam, requireRepository, tagStatusFilter } from '../common.js';

/** One entry per tag (tagged images) or per digest (untagged), like ECR. */
export const listImages: EcrOperation = async ({ core }, input) => {
  const repo = repositoryNameParam(input);
  await requireRepository(core, repo);
  const status = tagStatusFilter(input);
  const limit = maxResultsParam(input, 1000, 100);
  const after = decodeNextToken(input);
  const ids: { key: string; id: { imageDigest: string; imageTag?: string } }[] = [];
  for (const m of await core.metadata.listManifests(repo)) {
    if (m.tags.length === 0) {
      if (status !== 'TAGGED') ids.push({ key: `${m.digest}\n`, id: { imageDigest: m.digest } });
    } else if (status !== 'UNTAGGED') {
      for (const t of m.tags) ids.push({ key: `${m.digest}\n${t}`, id: { imageDigest: m.digest, imageTag: t } });
    }
  }
  ids.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const rest = after === undefined ? ids : ids.filter((x) => x.key > after);
  const page = rest.slice(0, limit);
  const result: Record<string, unknown> = { imageIds: page.map((x) => x.id) };
  if (rest.length > limit) result['nextToken'] = encodeNextToken(page[page.length - 1]!.key);
  return result;
};
