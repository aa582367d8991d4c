import type { Handler } from '../http/types.js';
import { functionRefParam } from '../http/types.js';
import { sendEmpty } from '../http/io.js';

/** DELETE /2021-10-31/functions/{name}/url?Qualifier= → 204. */
export const deleteFunctionUrlConfig: Handler = async (ctx, svc) => {
  ctx.req.resume();
  await svc.urls.delete(functionRefParam(ctx, svc, { qualifier: true }));
  sendEmpty(ctx.res, 204, ctx.requestId);
};
