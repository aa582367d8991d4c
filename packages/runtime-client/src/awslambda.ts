/**
 * The `awslambda` global Lambda's Node runtime provides to handler code:
 * `awslambda.streamifyResponse(handler, { highWaterMark })` and `awslambda.HttpResponseStream`.
 * Set before the handler's module loads, so module top-level code can use it.
 */
import { HANDLER_HIGHWATERMARK, HANDLER_STREAMING, STREAM_RESPONSE, type AnyHandler } from './handler-loader.js';
import { HttpResponseStream } from './response-stream.js';

export interface StreamifyOptions {
  /** Buffer size of the response stream, in bytes. */
  highWaterMark?: number;
}

/** Mark a handler `(event, responseStream, context)` as streaming its response. */
export function streamifyResponse<H extends AnyHandler>(handler: H, options?: StreamifyOptions): H {
  const marks = handler as unknown as Record<symbol, unknown>;
  marks[HANDLER_STREAMING] = STREAM_RESPONSE;
  if (typeof options?.highWaterMark === 'number') marks[HANDLER_HIGHWATERMARK] = Math.trunc(options.highWaterMark);
  return handler;
}

export interface AwsLambdaGlobal {
  streamifyResponse: typeof streamifyResponse;
  HttpResponseStream: typeof HttpResponseStream;
}

/** Install `globalThis.awslambda` unless `AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA` is `1` or `true`. */
export function installAwsLambdaGlobal(env: NodeJS.ProcessEnv = process.env): void {
  const off = env.AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA;
  if (off === '1' || off === 'true') return;
  const value: AwsLambdaGlobal = { streamifyResponse, HttpResponseStream };
  (globalThis as unknown as { awslambda: AwsLambdaGlobal }).awslambda = value;
}
