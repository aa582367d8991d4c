import type { DistributionHandler, DistributionContext } from '../http.js';
import { send } from '../http.js';
import { isDigest } from '@lambdock/oci';
import { digestParam, repositoryForPush } from './common.js';
import { completeSmall, sessionHeaders } from './upload-common.js';
import { isValidRepositoryName } from '../../names.js';

/**
 * Cross-repository mount: links `digest` into `name` when `from` has it. Without
 * `from`, any repository that has it will do (automatic content discovery: all
 * repositories of this registry belong to one account, so nothing leaks).
 */
async function tryMount(ctx: DistributionContext, name: string, digest: string, from: string | null): Promise<boolean> {
  const { core } = ctx;
  if ((from !== null && !isValidRepositoryName(from)) || !isDigest(digest)) return false;
  return core.locks.with(digest, async () => {
    const size = from !== null ? await core.metadata.blobInRepository(from, digest) : await core.metadata.linkedSize(digest);
    if (size === undefined || !(await core.store.info(digest))) return false;
    return core.metadata.linkBlob(name, digest, size, core.now());
  });
}

/**
 * POST /v2/<name>/blobs/uploads/ — starts an upload session (202), or
 *  ?digest=  monolithic upload of the body (201),
 *  ?mount=&from=  cross-repository mount (201; a 202 session when the blob is not there).
 */
export const startUpload: DistributionHandler = async (ctx, { name }) => {
  const { req, res, url, core, log } = ctx;
  await repositoryForPush(core, name!);
  const mount = url.searchParams.get('mount');
  const from = url.searchParams.get('from');
  if (mount !== null && (await tryMount(ctx, name!, mount, from))) {
    log.info('blob mounted', { repo: name, from, digest: mount });
    req.resume();
    send(res, 201, { Location: `/v2/${name}/blobs/${mount}`, 'Docker-Content-Digest': mount });
    return;
  }
  const digestQuery = mount === null ? url.searchParams.get('digest') : null;
  if (digestQuery !== null) {
    const digest = digestParam(digestQuery);
    const s = await core.uploads.create(name!);
    core.uploads.claim(s);
    try {
      let info = await completeSmall(req, s, core.uploads, digest, core.settings.maxImageBytes);
      if (!info) {
        await core.uploads.append(s, req as AsyncIterable<Buffer>, core.settings.maxImageBytes, digest);
        info = await core.uploads.commit(s, digest);
      }
      log.info('blob uploaded', { repo: name, digest: info.digest, size: info.size, monolithic: true });
    } catch (err) {
      // a monolithic upload has no session for the client to resume: drop its bytes
      if (s.machine.state === 'writing') await core.uploads.cancel(s).catch(() => undefined);
      throw err;
    }
    send(res, 201, { Location: `/v2/${name}/blobs/${digest}`, 'Docker-Content-Digest': digest });
    return;
  }
  req.resume(); // a body on a plain POST carries nothing for us
  const s = await core.uploads.create(name!);
  send(res, 202, { ...sessionHeaders(name!, s, 0), 'OCI-Chunk-Min-Length': core.settings.chunkMinLength });
};
