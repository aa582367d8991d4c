import type { Handler } from '../http/types.js';
import { functionRefParam } from '../http/types.js';
import { sendJson } from '../http/io.js';

/** GET /2015-03-31/functions/{name}/aliases/{alias} → 200 AliasConfiguration. */
export const getAlias: Handler = async (ctx, svc) => {
  const alias = await svc.versions.getAlias(functionRefParam(ctx, svc), ctx.params[1]!);
  sendJson(ctx.res, 200, svc.versions.aliasToWire(alias), ctx.requestId);
};
