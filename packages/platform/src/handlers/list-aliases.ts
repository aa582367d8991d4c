import type { Handler } from '../http/types.js';
import { functionRefParam } from '../http/types.js';
import { sendJson } from '../http/io.js';
import { queryInt } from './alias-shared.js';

/** GET /2015-03-31/functions/{name}/aliases?FunctionVersion&Marker&MaxItems → {Aliases, NextMarker}. */
export const listAliases: Handler = async (ctx, svc) => {
  const ref = functionRefParam(ctx, svc);
  const marker = ctx.query.get('Marker');
  const version = ctx.query.get('FunctionVersion');
  const maxItems = queryInt(ctx, 'MaxItems');
  const page = await svc.versions.listAliases(ref, { ...(marker ? { marker } : {}), ...(version ? { functionVersion: version } : {}), ...(maxItems !== undefined ? { maxItems } : {}) });
  const out: Record<string, unknown> = { Aliases: page.aliases.map((a) => svc.versions.aliasToWire(a)) };
  if (page.nextMarker) out['NextMarker'] = page.nextMarker;
  sendJson(ctx.res, 200, out, ctx.requestId);
};
