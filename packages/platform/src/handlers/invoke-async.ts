import type { Handler } from '../http/types.js';
import { functionRefParam } from '../http/types.js';
import { readBody } from '../http/io.js';
import { MAX_ASYNC_PAYLOAD } from '../invoke/invoke-service.js';

/** POST /2014-11-13/functions/{name}/invoke-async/ (deprecated InvokeAsync) → 202 {"Status":202}. */
export const invokeAsync: Handler = async (ctx, svc) => {
  const ref = functionRefParam(ctx, svc);
  const payload = await readBody(ctx.req, MAX_ASYNC_PAYLOAD, `Request must be smaller than ${MAX_ASYNC_PAYLOAD} bytes for the InvokeAsync operation`);
  await svc.invoke.invoke({ ref, invocationType: 'Event', logType: 'None', payload, requestId: ctx.requestId });
  const body = '{"Status":202}';
  ctx.res.writeHead(202, { 'Content-Type': 'application/json', 'Content-Length': body.length, 'x-amzn-RequestId': ctx.requestId });
  ctx.res.end(body);
};
