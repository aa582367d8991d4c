import type { Handler } from '../http/types.js';
import { functionRefParam } from '../http/types.js';
import { readBody } from '../http/io.js';
import { parseInvokeHeaders } from './invoke-headers.js';
import { MAX_SYNC_PAYLOAD } from '../invoke/invoke-service.js';
import type { InvocationType } from '../invoke/invoke-service.js';

/**
 * POST /2015-03-31/functions/{name}/invocations — the hot path: raw bytes in, raw
 * bytes out (the payload is checked to be JSON, never re-serialised).
 */
export const invoke: Handler = async (ctx, svc) => {
  const hdr = parseInvokeHeaders(ctx.req.headers, ['Event', 'RequestResponse', 'DryRun']);
  const ref = functionRefParam(ctx, svc, { qualifier: true });
  const payload = await readBody(ctx.req, MAX_SYNC_PAYLOAD, `Request must be smaller than ${MAX_SYNC_PAYLOAD} bytes for the InvokeFunction operation`);
  const out = await svc.invoke.invoke({
    ref,
    invocationType: hdr.invocationType as InvocationType,
    logType: hdr.logType,
    payload,
    requestId: ctx.requestId,
    ...(hdr.clientContext !== undefined ? { clientContext: hdr.clientContext } : {}),
    ...(hdr.traceId !== undefined ? { traceId: hdr.traceId } : {}),
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
