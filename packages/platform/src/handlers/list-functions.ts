import type { Handler, Services } from '../http/types.js';
import type { FunctionRecord } from '../functions/model.js';
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
  // FunctionVersion=ALL: each function's published versions follow its $LATEST.
  const versionsToo = ctx.query.get('FunctionVersion');
  if (versionsToo !== null && versionsToo !== 'ALL') {
    throw new LambdaValidationError([{ value: versionsToo, path: 'functionVersion', constraint: 'Member must satisfy enum value set: [ALL]' }]);
  }
  const records = versionsToo === 'ALL' ? await withVersions(page.functions, svc) : page.functions;
  const out: Record<string, unknown> = { Functions: records.map((r) => toConfiguration(r, svc.functions)) };
  if (page.nextMarker) out['NextMarker'] = page.nextMarker;
  sendJson(ctx.res, 200, out, ctx.requestId);
};

async function withVersions(functions: FunctionRecord[], svc: Services): Promise<FunctionRecord[]> {
  const out: FunctionRecord[] = [];
  for (const fn of functions) {
    let marker: string | undefined;
    do {
      const page = await svc.versions.listVersions({ name: fn.name }, marker ? { marker } : {});
      out.push(...page.versions);
      marker = page.nextMarker;
    } while (marker);
  }
  return out;
}
