import type { Handler } from '../http/types.js';
import { functionRefParam } from '../http/types.js';
import { sendEmpty } from '../http/io.js';

/** DELETE /2017-10-31/functions/{name}/concurrency → 204. */
export const deleteFunctionConcurrency: Handler = async (ctx, svc) => {
  await svc.functions.deleteConcurrency(functionRefParam(ctx, svc));
  sendEmpty(ctx.res, 204, ctx.requestId);
};
