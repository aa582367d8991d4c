import type { EcrOperation } from '../context.js';
import { EcrError } from '../errors.js';
import { repositoryNameParam, repositoryNotFound, repositoryView } from '../common.js';

export const deleteRepository: EcrOperation = async ({ core, log }, input) => {
  const name = repositoryNameParam(input);
  const force = input['force'] === true;
  const r = await core.metadata.deleteRepository(name, force);
  if (r.result === 'not-found') throw repositoryNotFound(core, name);
  if (r.result === 'not-empty') {
    throw new EcrError(
      'RepositoryNotEmptyException',
      `The repository with name '${name}' in registry with id '${core.settings.account}' cannot be deleted because it still contains images`,
    );
  }
  for (const u of r.uploads) await core.store.abortIngest(u.ref).catch(() => undefined);
  log.info('repository deleted', { repo: name, force });
  return { repository: repositoryView(core, r.repository) };
};
