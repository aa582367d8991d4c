import { MediaTypes, type Descriptor } from '@lambdock/oci';
import type { DistributionHandler } from '../http.js';
import { sendJson } from '../http.js';
import { digestParam } from './common.js';

/**
 * GET /v2/<name>/referrers/<digest>?artifactType= — an image index of the manifests
 * whose subject is <digest> (empty when none, even for unknown digests).
 */
export const getReferrers: DistributionHandler = async ({ res, url, core }, { name, digest: rawDigest }) => {
  const digest = digestParam(rawDigest);
  const filter = url.searchParams.get('artifactType');
  const repo = await core.metadata.getRepository(name!);
  let found = repo ? await core.metadata.referrers(name!, digest) : [];
  const headers: Record<string, string> = {};
  if (filter !== null) {
    found = found.filter((m) => m.artifactType === filter);
    headers['OCI-Filters-Applied'] = 'artifactType';
  }
  const manifests: Descriptor[] = found.map((m) => {
    const d: Descriptor = { mediaType: m.mediaType, digest: m.digest, size: m.size };
    if (m.artifactType !== undefined) d.artifactType = m.artifactType;
    if (m.annotations !== undefined) d.annotations = m.annotations;
    return d;
  });
  sendJson(res, 200, { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests }, { ...headers, 'Content-Type': MediaTypes.ociIndex });
};
