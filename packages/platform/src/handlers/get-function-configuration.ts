import type { Handler } from '../http/types.js';
import { functionRefParam } from '../http/types.js';
import { sendJson } from '../http/io.js';
import { toConfiguration } from '../functions/configuration.js';

/** GET /2015-03-31/functions/{name}/configuration */
export const getFunctionConfiguration: Handler = async (ctx, svc) => {
  const rec = await svc.functions.get(functionRefParam(ctx, svc, { qualifier: true }));
  sendJson(ctx.res, 200, toConfiguration(rec, svc.functions), ctx.requestId);
};
