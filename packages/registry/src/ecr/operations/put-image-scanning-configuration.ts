import type { EcrOperation } from '../context.js';
import { EcrError } from '../errors.js';
import { repositoryNameParam, repositoryNotFound } from '../common.js';

/** Stored and reported; scanning itself is not performed (no vulnerability database offline). */
export const putImageScanningConfiguration: EcrOperation = async ({ core }, input) => {
  const repo = repositoryNameParam(input);
  const cfg = input['imageScanningConfiguration'] as { scanOnPush?: unknown } | undefined;
  if (!cfg || typeof cfg !== 'object') {
    throw new EcrError('ValidationException', "1 validation error detected: Value null at 'imageScanningConfiguration' failed to satisfy constraint: Member must not be null");
  }
  const scanOnPush = cfg.scanOnPush === true;
  const r = await core.metadata.updateRepository(repo, { scanOnPush });
  if (!r) throw repositoryNotFound(core, repo);
  return { registryId: core.settings.account, repositoryName: repo, imageScanningConfiguration: { scanOnPush } };
};
