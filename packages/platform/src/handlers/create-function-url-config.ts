import type { Handler } from '../http/types.js';
import { functionRefParam } from '../http/types.js';
import { sendJson } from '../http/io.js';
import { parseUrlConfigInput } from '../urls/config.js';
import { readConfigBody } from '../urls/http.js';

/** POST /2021-10-31/functions/{name}/url?Qualifier= → 201 (no LastModifiedTime, as in Lambda's answer). */
export const createFunctionUrlConfig: Handler = async (ctx, svc) => {
  const ref = functionRefParam(ctx, svc, { qualifier: true });
  const input = parseUrlConfigInput(await readConfigBody(ctx), { requireAuthType: true });
  const rec = await svc.urls.create(ref, input);
  const { LastModifiedTime: _, ...view } = svc.urls.view(rec, ctx.req.headers.host);
  sendJson(ctx.res, 201, view, ctx.requestId);
};
