import type { DistributionHandler } from '../http.js';
import { send } from '../http.js';
import { DistributionError } from '../errors.js';
import { digestParam, existingRepository } from './common.js';

/**
 * DELETE /v2/<name>/blobs/<digest> — unlinks the blob from the repository; its bytes
 * go right away when nothing else references them (else at GC).
 */
export const deleteBlob: DistributionHandler = async ({ res, core, log }, { name, digest: rawDigest }) => {
  const digest = digestParam(rawDigest);
  await existingRepository(core, name!);
  if (!(await core.metadata.unlinkBlob(name!, digest))) {
    throw new DistributionError('BLOB_UNKNOWN', `blob ${digest} unknown to repository "${name}"`, { detail: { digest } });
  }
  const dropped = await core.dropBlobIfUnreferenced(digest);
  log.info('blob deleted', { repo: name, digest, bytesRemoved: dropped });
  send(res, 202, { 'Docker-Content-Digest': digest });
};
