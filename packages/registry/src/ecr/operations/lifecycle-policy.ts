import type { EcrOperation } from '../context.js';
import { EcrError } from '../errors.js';
import { epochSeconds, repositoryNameParam, requireRepository, str } from '../common.js';
import { parseLifecyclePolicy } from '../lifecycle.js';

const notFound = (repo: string, account: string): EcrError =>
  new EcrError('LifecyclePolicyNotFoundException', `Lifecycle policy does not exist for the repository with name '${repo}' in the registry with id '${account}'`);

/** PutLifecyclePolicy: validated, stored, and applied right away. */
export const putLifecyclePolicy: EcrOperation = async ({ core }, input) => {
  const repo = repositoryNameParam(input);
  await requireRepository(core, repo);
  const text = str(input, 'lifecyclePolicyText', true);
  parseLifecyclePolicy(text);
  await core.metadata.updateRepository(repo, { lifecyclePolicy: text });
  await core.applyLifecycle(repo);
  return { registryId: core.settings.account, repositoryName: repo, lifecyclePolicyText: text };
};

export const getLifecyclePolicy: EcrOperation = async ({ core }, input) => {
  const repo = repositoryNameParam(input);
  const r = await requireRepository(core, repo);
  if (r.lifecyclePolicy === undefined) throw notFound(repo, core.settings.account);
  const out: Record<string, unknown> = { registryId: core.settings.account, repositoryName: repo, lifecyclePolicyText: r.lifecyclePolicy };
  if (r.lifecycleEvaluatedAt !== undefined) out['lastEvaluatedAt'] = epochSeconds(r.lifecycleEvaluatedAt);
  return out;
};

export const deleteLifecyclePolicy: EcrOperation = async ({ core }, input) => {
  const repo = repositoryNameParam(input);
  const r = await requireRepository(core, repo);
  if (r.lifecyclePolicy === undefined) throw notFound(repo, core.settings.account);
  await core.metadata.updateRepository(repo, { lifecyclePolicy: undefined, lifecycleEvaluatedAt: undefined });
  const out: Record<string, unknown> = { registryId: core.settings.account, repositoryName: repo, lifecyclePolicyText: r.lifecyclePolicy };
  if (r.lifecycleEvaluatedAt !== undefined) out['lastEvaluatedAt'] = epochSeconds(r.lifecycleEvaluatedAt);
  return out;
};
