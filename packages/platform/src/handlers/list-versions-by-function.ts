import type { Handler } from '../http/types.js';
import { functionRefParam } from '../http/types.js';
import { sendJson } from '../http/io.js';
import { toConfiguration } from '../functions/configuration.js';
import { queryInt } from './alias-shared.js';

/** GET /2015-03-31/functions/{name}/versions?Marker&MaxItems → {Versions ($LATEST first), NextMarker}. */
export const listVersionsByFunction: Handler = async (ctx, svc) => {
  const ref = functionRefParam(ctx, svc);
  const marker = ctx.query.get('Marker');
  const maxItems = queryInt(ctx, 'MaxItems');
  const page = await svc.versions.listVersions(ref, { ...(marker ? { marker } : {}), ...(maxItems !== undefined ? { maxItems } : {}) });
  const out: Record<string, unknown> = { Versions: page.versions.map((v) => toConfiguration(v, svc.functions)) };
  if (page.nextMarker) out['NextMarker'] = page.nextMarker;
  sendJson(ctx.res, 200, out, ctx.requestId);
};
