import type { Handler } from '../http/types.js';
import { functionRefParam } from '../http/types.js';
import { sendJson } from '../http/io.js';
import { LambdaValidationError } from '../errors.js';

/** GET /2021-10-31/functions/{name}/urls?Marker=&MaxItems= → {FunctionUrlConfigs, NextMarker}. */
export const listFunctionUrlConfigs: Handler = async (ctx, svc) => {
  ctx.req.resume();
  const rawMax = ctx.query.get('MaxItems');
  let maxItems: number | undefined;
  if (rawMax !== null) {
    maxItems = Number(rawMax);
    if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > 50) {
      throw new LambdaValidationError([{ value: rawMax, path: 'maxItems', constraint: maxItems < 1 ? 'Member must have value greater than or equal to 1' : 'Member must have value less than or equal to 50' }]);
    }
  }
  const marker = ctx.query.get('Marker') ?? undefined;
  const page = await svc.urls.list(functionRefParam(ctx, svc), { ...(marker ? { marker } : {}), ...(maxItems !== undefined ? { maxItems } : {}) });
  const out: Record<string, unknown> = { FunctionUrlConfigs: page.configs.map((r) => svc.urls.view(r, ctx.req.headers.host)) };
  if (page.nextMarker) out['NextMarker'] = page.nextMarker;
  sendJson(ctx.res, 200, out, ctx.requestId);
};
