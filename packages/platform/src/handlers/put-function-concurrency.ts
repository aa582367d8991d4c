import type { Handler } from '../http/types.js';
import { functionRefParam } from '../http/types.js';
import { field, readJson, sendJson } from '../http/io.js';
import { LambdaValidationError } from '../errors.js';

/** PUT /2017-10-31/functions/{name}/concurrency → {ReservedConcurrentExecutions}. */
export const putFunctionConcurrency: Handler = async (ctx, svc) => {
  const ref = functionRefParam(ctx, svc);
  const body = await readJson(ctx.req);
  const n = field.int(body, 'ReservedConcurrentExecutions');
  if (n === undefined) throw new LambdaValidationError([{ value: null, path: 'reservedConcurrentExecutions', constraint: 'Member must not be null' }]);
  const reserved = await svc.functions.putConcurrency(ref, n);
  sendJson(ctx.res, 200, { ReservedConcurrentExecutions: reserved }, ctx.requestId);
};
