import type { Handler } from '../http/types.js';
import { functionRefParam } from '../http/types.js';
import { readJson, sendJson } from '../http/io.js';
import { parseAliasInput } from './alias-shared.js';

/** PUT /2015-03-31/functions/{name}/aliases/{alias} → 200 AliasConfiguration (RevisionId checked). */
export const updateAlias: Handler = async (ctx, svc) => {
  const ref = functionRefParam(ctx, svc);
  const alias = await svc.versions.updateAlias(ref, ctx.params[1]!, parseAliasInput(await readJson(ctx.req)));
  sendJson(ctx.res, 200, svc.versions.aliasToWire(alias), ctx.requestId);
};
