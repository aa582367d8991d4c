import type { Handler } from '../http/types.js';
import { functionRefParam } from '../http/types.js';
import { sendJson } from '../http/io.js';

/** GET /2019-09-30/functions/{name}/concurrency → {} or {ReservedConcurrentExecutions}. */
export const getFunctionConcurrency: Handler = async (ctx, svc) => {
  const n = await svc.functions.getConcurrency(functionRefParam(ctx, svc));
  sendJson(ctx.res, 200, n === undefined ? {} : { ReservedConcurrentExecutions: n }, ctx.requestId);
};
