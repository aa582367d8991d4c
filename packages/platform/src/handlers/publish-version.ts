import type { Handler } from '../http/types.js';
import { functionRefParam } from '../http/types.js';
import { field, readJson, sendJson } from '../http/io.js';
import { toConfiguration } from '../functions/configuration.js';

/** POST /2015-03-31/functions/{name}/versions → 201 FunctionConfiguration of the version (the existing one when nothing changed). */
export const publishVersion: Handler = async (ctx, svc) => {
  const ref = functionRefParam(ctx, svc);
  const body = await readJson(ctx.req);
  const codeSha256 = field.string(body, 'CodeSha256');
  const revisionId = field.string(body, 'RevisionId');
  const description = field.string(body, 'Description');
  const { record } = await svc.versions.publish(ref, {
    ...(codeSha256 !== undefined ? { codeSha256 } : {}),
    ...(revisionId !== undefined ? { revisionId } : {}),
    ...(description !== undefined ? { description } : {}),
  });
  sendJson(ctx.res, 201, toConfiguration(record, svc.functions), ctx.requestId);
};
