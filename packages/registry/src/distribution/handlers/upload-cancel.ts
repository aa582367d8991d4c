import type { DistributionHandler } from '../http.js';
import { send } from '../http.js';

/** DELETE /v2/<name>/blobs/uploads/<uuid> — cancels the session and drops its bytes. */
export const cancelUpload: DistributionHandler = async ({ res, core }, { name, uuid }) => {
  const s = await core.uploads.get(name!, uuid!);
  core.uploads.claim(s); // refuses while another request writes to it
  await core.uploads.cancel(s);
  send(res, 204);
};
