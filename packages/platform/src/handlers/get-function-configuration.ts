import type { Handler } from '../http/types.js';
import { functionRefParam } from '../http/types.js';
import { sendJson } from '../http/io.js';
import { toConfiguration } from '../functions/configuration.js';

/** GET /2015-03-31/functions/{name}/configuration */
export const getFunctionConfiguration: Handler = async (ctx, svc) => {
  const ref = functionRefParam(ctx, svc, { qualifier: true });
  const rec = await svc.functions.get(ref);
  sendJson(ctx.res, 200, toConfiguration(rec, svc.functions, ref.qualifier), ctx.requestId);
};
