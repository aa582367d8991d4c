import type { Handler } from '../http/types.js';
import { functionRefParam } from '../http/types.js';
import { field, readJson, sendJson } from '../http/io.js';
import { LambdaValidationError } from '../errors.js';
import { parseAliasInput } from './alias-shared.js';

/** POST /2015-03-31/functions/{name}/aliases → 201 AliasConfiguration. */
export const createAlias: Handler = async (ctx, svc) => {
  const ref = functionRefParam(ctx, svc);
  const body = await readJson(ctx.req);
  const name = field.string(body, 'Name');
  if (name === undefined) throw new LambdaValidationError([{ value: null, path: 'name', constraint: 'Member must not be null' }]);
  const alias = await svc.versions.createAlias(ref, name, parseAliasInput(body));
  sendJson(ctx.res, 201, svc.versions.aliasToWire(alias), ctx.requestId);
};
