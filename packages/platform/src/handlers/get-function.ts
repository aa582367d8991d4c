import type { Handler } from '../http/types.js';
import { functionRefParam } from '../http/types.js';
import { sendJson } from '../http/io.js';
import { toCodeLocation, toConfiguration } from '../functions/configuration.js';

/** GET /2015-03-31/functions/{name} → {Configuration, Code, Tags, Concurrency}. */
export const getFunction: Handler = async (ctx, svc) => {
  const ref = functionRefParam(ctx, svc, { qualifier: true });
  const rec = await svc.functions.get(ref);
  const out: Record<string, unknown> = { Configuration: toConfiguration(rec, svc.functions, ref.qualifier), Code: toCodeLocation(rec) };
  if (Object.keys(rec.tags).length) out['Tags'] = rec.tags;
  if (rec.reservedConcurrency !== undefined) out['Concurrency'] = { ReservedConcurrentExecutions: rec.reservedConcurrency };
  sendJson(ctx.res, 200, out, ctx.requestId);
};
