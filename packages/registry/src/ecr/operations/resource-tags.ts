import type { EcrOperation } from '../context.js';
import { EcrError } from '../errors.js';
import { repositoryFromArn, requireRepository, resourceTagsParam } from '../common.js';

export const tagResource: EcrOperation = async ({ core }, input) => {
  const repo = repositoryFromArn(core, input['resourceArn']);
  await requireRepository(core, repo);
  const tags = resourceTagsParam(input['tags']);
  const merged = { ...(await core.metadata.getResourceTags(repo)), ...tags };
  if (Object.keys(merged).length > 50) throw new EcrError('TooManyTagsException', 'A resource can have at most 50 tags');
  await core.metadata.setResourceTags(repo, tags);
  return {};
};

export const untagResource: EcrOperation = async ({ core }, input) => {
  const repo = repositoryFromArn(core, input['resourceArn']);
  await requireRepository(core, repo);
  const keys = input['tagKeys'];
  if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string')) throw new EcrError('InvalidParameterException', 'tagKeys must be a list of strings');
  await core.metadata.removeResourceTags(repo, keys as string[]);
  return {};
};

export const listTagsForResource: EcrOperation = async ({ core }, input) => {
  const repo = repositoryFromArn(core, input['resourceArn']);
  await requireRepository(core, repo);
  const tags = await core.metadata.getResourceTags(repo);
  return { tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) };
};
