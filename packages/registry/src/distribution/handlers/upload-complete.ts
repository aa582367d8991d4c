import type { DistributionHandler } from '../http.js';
import { send } from '../http.js';
import { digestParam } from './common.js';
import { checkContentRange, completeSmall } from './upload-common.js';

/** PUT /v2/<name>/blobs/uploads/<uuid>?digest= — last chunk (optional) and commit; the digest is verified. */
export const completeUpload: DistributionHandler = async ({ req, res, url, core, log }, { name, uuid }) => {
  const s = await core.uploads.get(name!, uuid!);
  const digest = digestParam(url.searchParams.get('digest'));
  core.uploads.claim(s);
  let info;
  try {
    info = await completeSmall(req, s, core.uploads, digest, core.settings.maxImageBytes);
    if (!info) {
      await checkContentRange(req, name!, s, core.uploads);
      await core.uploads.append(s, req as AsyncIterable<Buffer>, core.settings.maxImageBytes);
      info = await core.uploads.commit(s, digest);
    }
  } finally {
    core.uploads.release(s);
  }
  log.info('blob uploaded', { repo: name, digest: info.digest, size: info.size });
  send(res, 201, { Location: `/v2/${name}/blobs/${digest}`, 'Docker-Content-Digest': digest });
};
