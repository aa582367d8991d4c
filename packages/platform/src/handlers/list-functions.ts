import type { Handler } from '../http/types.js';
import { sendJson } from '../http/io.js';
import { toConfiguration } from '../functions/configuration.js';
import { LambdaValidationError } from '../errors.js';

/** GET /2015-03-31/functions[/]?Marker=&MaxItems= → {Functions, NextMarker}. */
export const listFunctions: Handler = async (ctx, svc) => {
  const rawMax = ctx.query.get('MaxItems');
  let maxItems: number | undefined;
  if (rawMax !== null) {
    maxItems = Number(rawMax);
    if (!Number.isInteger(maxItems)) throw new LambdaValidationError([{ value: rawMax, path: 'maxItems', constraint: 'Member must be an integer' }]);
  }
  const marker = ctx.query.get('Marker') ?? undefined;
  const page = await svc.functions.list({ ...(marker ? { marker } : {}), ...(maxItems !== undefined ? { maxItems } : {}) });
  const out: Record<string, unknown> = { Functions: page.functions.map((r) => toConfiguration(r, svc.functions)) };
  if (page.nextMarker) out['NextMarker'] = page.nextMarker;
  sendJson(ctx.res, 200, out, ctx.requestId);
};
