import type { Handler } from '../http/types.js';
import { functionRefParam } from '../http/types.js';
import { readBody } from '../http/io.js';
import { LambdaValidationError, InvalidRequestContentError } from '../errors.js';
import { MAX_SYNC_PAYLOAD } from '../invoke/invoke-service.js';
import type { InvocationType } from '../invoke/invoke-service.js';

const TYPES = new Set(['RequestResponse', 'Event', 'DryRun']);

/**
 * POST /2015-03-31/functions/{name}/invocations — the hot path: raw bytes in, raw
 * bytes out, no JSON round trip of the payload.
 */
export const invoke: Handler = async (ctx, svc) => {
  const h = ctx.req.headers;
  const type = (h['x-amz-invocation-type'] as string | undefined) ?? 'RequestResponse';
  if (!TYPES.has(type)) {
    throw new LambdaValidationError([{ value: type, path: 'invocationType', constraint: 'Member must satisfy enum value set: [Event, RequestResponse, DryRun]' }]);
  }
  const logType = (h['x-amz-log-type'] as string | undefined) ?? 'None';
  if (logType !== 'None' && logType !== 'Tail') {
    throw new LambdaValidationError([{ value: logType, path: 'logType', constraint: 'Member must satisfy enum value set: [None, Tail]' }]);
  }
  const ref = functionRefParam(ctx, svc, { qualifier: true });
  let clientContext: string | undefined;
  const cc = h['x-amz-client-context'] as string | undefined;
  if (cc) {
    if (cc.length > 3583) throw new LambdaValidationError([{ value: cc, path: 'clientContext', constraint: 'Member must have length less than or equal to 3583' }]);
    clientContext = Buffer.from(cc, 'base64').toString('utf8');
    try {
      JSON.parse(clientContext);
    } catch {
      throw new InvalidRequestContentError('Client context must be a valid Base64-encoded JSON object.');
    }
  }
  const payload = await readBody(ctx.req, MAX_SYNC_PAYLOAD, `Request must be smaller than ${MAX_SYNC_PAYLOAD} bytes for the InvokeFunction operation`);
  const out = await svc.invoke.invoke({
    ref,
    invocationType: type as InvocationType,
    logType,
    payload,
    requestId: ctx.requestId,
    ...(clientContext !== undefined ? { clientContext } : {}),
    ...(typeof h['x-amzn-trace-id'] === 'string' ? { traceId: h['x-amzn-trace-id'] } : {}),
  });
  const headers: Record<string, string | number> = {
    'x-amzn-RequestId': ctx.requestId,
    'X-Amz-Executed-Version': out.executedVersion,
    'Content-Length': out.payload.length,
  };
  if (out.contentType) headers['Content-Type'] = out.contentType;
  if (out.functionError) headers['X-Amz-Function-Error'] = out.functionError;
  if (out.logResult) headers['X-Amz-Log-Result'] = out.logResult;
  ctx.res.writeHead(out.status, headers);
  ctx.res.end(out.payload);
};
