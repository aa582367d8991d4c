import type { DistributionHandler } from '../http.js';
import { send } from '../http.js';
import { DistributionError } from '../errors.js';
import { existingRepository, parseReference } from './common.js';

/**
 * DELETE /v2/<name>/manifests/<reference> — by digest removes the manifest and every
 * tag on it; by tag removes only the tag. Blob bytes go at the next GC.
 */
export const deleteManifest: DistributionHandler = async ({ res, core, log }, { name, reference }) => {
  await existingRepository(core, name!);
  const ref = parseReference(reference!);
  if (ref.kind === 'tag') {
    if (!(await core.metadata.deleteTag(name!, ref.tag))) {
      throw new DistributionError('MANIFEST_UNKNOWN', `tag "${ref.tag}" unknown in repository "${name}"`, { detail: { tag: ref.tag } });
    }
    log.info('tag deleted', { repo: name, tag: ref.tag });
  } else {
    if (!(await core.metadata.deleteManifest(name!, ref.digest))) {
      throw new DistributionError('MANIFEST_UNKNOWN', `manifest ${ref.digest} unknown in repository "${name}"`, { detail: { digest: ref.digest } });
    }
    log.info('manifest deleted', { repo: name, digest: ref.digest });
  }
  send(res, 202);
};
