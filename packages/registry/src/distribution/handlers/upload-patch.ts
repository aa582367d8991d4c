import type { DistributionHandler } from '../http.js';
import { send } from '../http.js';
import { checkContentRange, sessionHeaders } from './upload-common.js';

/** PATCH /v2/<name>/blobs/uploads/<uuid> — a chunk (Content-Range) or a streamed body. */
export const patchUpload: DistributionHandler = async ({ req, res, core }, { name, uuid }) => {
  const s = await core.uploads.get(name!, uuid!);
  core.uploads.claim(s);
  try {
    await checkContentRange(req, name!, s, core.uploads);
    const offset = await core.uploads.append(s, req as AsyncIterable<Buffer>, core.settings.maxImageBytes);
    send(res, 202, sessionHeaders(name!, s, offset));
  } finally {
    core.uploads.release(s);
  }
};
