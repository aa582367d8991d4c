import type { EcrOperation } from '../context.js';
import { repositoryNameParam, repositoryNotFound } from '../common.js';
import { mutabilityParam } from './create-repository.js';
import { EcrError } from '../errors.js';

export const putImageTagMutability: EcrOperation = async ({ core }, input) => {
  const repo = repositoryNameParam(input);
  if (input['imageTagMutability'] === undefined) {
    throw new EcrError('ValidationException', "1 validation error detected: Value null at 'imageTagMutability' failed to satisfy constraint: Member must not be null");
  }
  const imageTagMutability = mutabilityParam(input['imageTagMutability']);
  const r = await core.metadata.updateRepository(repo, { tagMutability: imageTagMutability });
  if (!r) throw repositoryNotFound(core, repo);
  return { registryId: core.settings.account, repositoryName: repo, imageTagMutability };
};
