import type { DistributionHandler } from '../http.js';
import { send } from '../http.js';
import { sessionHeaders } from './upload-common.js';

/** GET /v2/<name>/blobs/uploads/<uuid> — 204 with the Range received so far (resume point). */
export const getUploadStatus: DistributionHandler = async ({ res, core }, { name, uuid }) => {
  const s = await core.uploads.get(name!, uuid!);
  const offset = await core.uploads.offset(s);
  send(res, 204, sessionHeaders(name!, s, offset));
};
