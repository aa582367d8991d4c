import type { EcrOperation } from '../context.js';
import { EcrError } from '../errors.js';
import { repositoryNameParam, repositoryView, resourceTagsParam } from '../common.js';
import type { TagMutability } from '../../metadata/store.js';

export function mutabilityParam(v: unknown): TagMutability {
  if (v === undefined || v === null) return 'MUTABLE';
  if (v !== 'MUTABLE' && v !== 'IMMUTABLE') {
    throw new EcrError('InvalidParameterException', `Invalid parameter at 'imageTagMutability' failed to satisfy constraint: 'Member must satisfy enum value set: [MUTABLE, IMMUTABLE]'`);
  }
  return v;
}

export const createRepository: EcrOperation = async ({ core }, input) => {
  const name = repositoryNameParam(input);
  const tagMutability = mutabilityParam(input['imageTagMutability']);
  const scan = input['imageScanningConfiguration'] as { scanOnPush?: unknown } | undefined;
  const tags = resourceTagsParam(input['tags']);
  const { created, repository } = await core.metadata.createRepository(
    { name, createdAt: core.now(), tagMutability, scanOnPush: scan?.scanOnPush === true },
    tags,
  );
  if (!created) {
    throw new EcrError('RepositoryAlreadyExistsException', `The repository with name '${name}' already exists in the registry with id '${core.settings.account}'`);
  }
  return { repository: repositoryView(core, repository) };
};
