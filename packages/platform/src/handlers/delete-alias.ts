import type { Handler } from '../http/types.js';
import { functionRefParam } from '../http/types.js';
import { sendEmpty } from '../http/io.js';

/** DELETE /2015-03-31/functions/{name}/aliases/{alias} → 204. */
export const deleteAlias: Handler = async (ctx, svc) => {
  await svc.versions.deleteAlias(functionRefParam(ctx, svc), ctx.params[1]!);
  sendEmpty(ctx.res, 204, ctx.requestId);
};
