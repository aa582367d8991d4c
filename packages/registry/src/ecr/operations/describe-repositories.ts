import type { EcrOperation } from '../context.js';
import { EcrError } from '../errors.js';
import { decodeNextToken, encodeNextToken, maxResultsParam, repositoryNotFound, repositoryView } from '../common.js';
import { isValidRepositoryName } from '../../names.js';

export const describeRepositories: EcrOperation = async ({ core }, input) => {
  const names = input['repositoryNames'];
  if (names !== undefined && names !== null) {
    if (!Array.isArray(names) || names.length < 1 || names.length > 100) {
      throw new EcrError('InvalidParameterException', `Invalid parameter at 'repositoryNames' failed to satisfy constraint: 'Member must have length between 1 and 100'`);
    }
    if (input['nextToken'] !== undefined || input['maxResults'] !== undefined) {
      throw new EcrError('InvalidParameterException', 'Invalid parameter: maxResults and nextToken cannot be used with repositoryNames');
    }
    const out = [];
    for (const n of names) {
      const repo = typeof n === 'string' && isValidRepositoryName(n) ? await core.metadata.getRepository(n) : undefined;
      if (!repo) throw repositoryNotFound(core, String(n));
      out.push(repositoryView(core, repo));
    }
    return { repositories: out };
  }
  const limit = maxResultsParam(input, 1000, 100);
  const last = decodeNextToken(input);
  const repos = await core.metadata.listRepositories({ limit: limit + 1, ...(last !== undefined ? { last } : {}) });
  const page = repos.slice(0, limit);
  const result: Record<string, unknown> = { repositories: page.map((r) => repositoryView(core, r)) };
  if (repos.length > limit) result['nextToken'] = encodeNextToken(page[page.length - 1]!.name);
  return result;
};
