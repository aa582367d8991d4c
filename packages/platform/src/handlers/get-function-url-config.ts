import type { Handler } from '../http/types.js';
import { functionRefParam } from '../http/types.js';
import { sendJson } from '../http/io.js';

/** GET /2021-10-31/functions/{name}/url?Qualifier= → 200. */
export const getFunctionUrlConfig: Handler = async (ctx, svc) => {
  const rec = await svc.urls.get(functionRefParam(ctx, svc, { qualifier: true }));
  sendJson(ctx.res, 200, svc.urls.view(rec, ctx.req.headers.host), ctx.requestId);
};
