import type { Handler } from '../http/types.js';
import { functionRefParam } from '../http/types.js';
import { sendEmpty } from '../http/io.js';

/** DELETE /2015-03-31/functions/{name} → 204; its environments are shut down. */
export const deleteFunction: Handler = async (ctx, svc) => {
  await svc.functions.delete(functionRefParam(ctx, svc, { qualifier: true }));
  sendEmpty(ctx.res, 204, ctx.requestId);
};
