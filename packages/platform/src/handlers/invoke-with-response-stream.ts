import type { ServerResponse } from 'node:http';
import type { Handler } from '../http/types.js';
import { functionRefParam } from '../http/types.js';
import { parseInvokeHeaders } from './invoke-headers.js';
import { MAX_SYNC_PAYLOAD } from '../invoke/invoke-service.js';
import { readPayload } from '../urls/http.js';
import { invokeComplete, payloadChunk } from '../streaming/eventstream.js';
import { MAX_STREAMED_RESPONSE } from '../streaming/limits.js';

/** Buffered results are cut into chunks of this size, as Lambda sends them. */
const CHUNK = 32 * 1024;

/**
 * POST /2021-11-15/functions/{name}/response-streaming-invocations — the function's
 * bytes go out as PayloadChunk events the moment the runtime sends them, then one
 * InvokeComplete event (ErrorCode/ErrorDetails when the function failed, LogResult for Tail).
 */
export const invokeWithResponseStream: Handler = async (ctx, svc) => {
  const hdr = parseInvokeHeaders(ctx.req.headers, ['RequestResponse', 'DryRun']);
  const ref = functionRefParam(ctx, svc, { qualifier: true });
  const payload = await readPayload(ctx, MAX_SYNC_PAYLOAD, `Request must be smaller than ${MAX_SYNC_PAYLOAD} bytes for the InvokeWithResponseStream operation`);
  const out = await svc.invoke.invoke({
    ref,
    invocationType: hdr.invocationType === 'DryRun' ? 'DryRun' : 'RequestResponse',
    logType: hdr.logType,
    payload,
    requestId: ctx.requestId,
    streaming: true,
    ...(hdr.clientContext !== undefined ? { clientContext: hdr.clientContext } : {}),
    ...(hdr.traceId !== undefined ? { traceId: hdr.traceId } : {}),
  });
  const res = ctx.res;
  if (out.status === 204) {
    res.writeHead(204, { 'x-amzn-RequestId': ctx.requestId, 'X-Amz-Executed-Version': out.executedVersion, 'Content-Length': 0 });
    res.end();
    return;
  }
  res.writeHead(200, {
    'Content-Type': 'application/vnd.amazon.eventstream',
    'X-Amz-Executed-Version': out.executedVersion,
    'x-amzn-RequestId': ctx.requestId,
    'Transfer-Encoding': 'chunked',
  });
  res.flushHeaders();
  if (!out.stream) {
    if (!out.functionError) for (let i = 0; i < out.payload.length; i += CHUNK) await write(res, payloadChunk(out.payload.subarray(i, i + CHUNK)));
    const complete: { ErrorCode?: string; ErrorDetails?: string; LogResult?: string } = {};
    if (out.functionError) {
      complete.ErrorCode = errorTypeOf(out.payload) ?? out.functionError;
      complete.ErrorDetails = out.payload.toString('utf8');
    }
    if (out.logResult) complete.LogResult = out.logResult;
    res.end(invokeComplete(complete));
    return;
  }
  const stream = out.stream;
  let failed: string | undefined;
  let sent = 0;
  try {
    for await (const c of stream.body as AsyncIterable<Buffer>) {
      if (res.destroyed || failed) continue; // the caller left or the limit was hit: drain so the function is not blocked
      sent += c.length;
      if (sent > MAX_STREAMED_RESPONSE) {
        failed = 'Function.ResponseSizeTooLarge';
        continue;
      }
      await write(res, payloadChunk(c));
    }
  } catch (err) {
    // The environment failed mid-stream (timeout, crash): the closing event says why.
    failed = (err as { errorType?: string }).errorType ?? 'Runtime.Unknown';
  }
  const trailers = failed ? {} : await stream.trailers;
  const done = await stream.done;
  const complete: { ErrorCode?: string; ErrorDetails?: string; LogResult?: string } = {};
  const errorCode = failed ?? trailers.errorType;
  if (errorCode) {
    complete.ErrorCode = errorCode;
    const errorMessage =
      failed === 'Function.ResponseSizeTooLarge'
        ? `Response payload size exceeded maximum allowed payload size (${MAX_STREAMED_RESPONSE} bytes).`
        : failed
          ? `The function's response stream ended with ${errorCode}`
          : '';
    complete.ErrorDetails = trailers.errorBody ?? JSON.stringify({ errorType: errorCode, errorMessage });
  }
  if (done.logResult) complete.LogResult = done.logResult;
  if (!res.destroyed) res.end(invokeComplete(complete));
};

function write(res: ServerResponse, chunk: Buffer): Promise<void> {
  if (res.write(chunk)) return Promise.resolve();
  return new Promise((resolve) => {
    const go = (): void => {
      res.off('drain', go).off('close', go);
      resolve();
    };
    res.on('drain', go).on('close', go);
  });
}

function errorTypeOf(payload: Buffer): string | undefined {
  try {
    const o = JSON.parse(payload.toString('utf8')) as { errorType?: unknown };
    return typeof o.errorType === 'string' ? o.errorType : undefined;
  } catch {
    return undefined;
  }
}
