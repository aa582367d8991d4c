import type { Handler } from '../http/types.js';
import { functionRefParam } from '../http/types.js';
import { sendJson } from '../http/io.js';
import { parseUrlConfigInput } from '../urls/config.js';
import { readConfigBody } from '../urls/http.js';

/** PUT /2021-10-31/functions/{name}/url?Qualifier= → 200; fields left out keep their values. */
export const updateFunctionUrlConfig: Handler = async (ctx, svc) => {
  const ref = functionRefParam(ctx, svc, { qualifier: true });
  const input = parseUrlConfigInput(await readConfigBody(ctx), { requireAuthType: false });
  const rec = await svc.urls.update(ref, input);
  sendJson(ctx.res, 200, svc.urls.view(rec, ctx.req.headers.host), ctx.requestId);
};
