import type { DistributionHandler } from '../http.js';
import { readBody, send } from '../http.js';
import { DistributionError } from '../errors.js';
import { parseReference, repositoryForPush } from './common.js';
import { isValidTag } from '../../names.js';
import { storeManifest } from '../../manifests.js';

/**
 * PUT /v2/<name>/manifests/<reference> — by tag, or by digest with optional
 * `?tag=a&tag=b` parameters (each tag applied is echoed in an OCI-Tag header).
 */
export const putManifest: DistributionHandler = async ({ req, res, url, core }, { name, reference }) => {
  await repositoryForPush(core, name!);
  const ref = parseReference(reference!);
  const tags = ref.kind === 'tag' ? [ref.tag] : [...new Set(url.searchParams.getAll('tag'))];
  for (const t of tags) if (!isValidTag(t)) throw new DistributionError('TAG_INVALID', `invalid tag "${t.slice(0, 200)}": must match [\\w][\\w.-]{0,127}`);
  const bytes = await readBody(req, core.settings.maxManifestBytes, 'manifest');
  const contentType = req.headers['content-type'];
  const stored = await storeManifest(core, name!, bytes, {
    ...(contentType !== undefined ? { contentType } : {}),
    tags,
    ...(ref.kind === 'digest' ? { digest: ref.digest } : {}),
  });
  const headers: Record<string, string | string[]> = {
    Location: `/v2/${name}/manifests/${stored.digest}`,
    'Docker-Content-Digest': stored.digest,
  };
  if (stored.subject) headers['OCI-Subject'] = stored.subject;
  if (ref.kind === 'digest' && tags.length > 0) headers['OCI-Tag'] = tags;
  send(res, 201, headers);
};
