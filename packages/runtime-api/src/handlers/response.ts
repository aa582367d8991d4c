import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import type { RuntimeEnvironment } from '../environment.js';
import { ErrorType, RuntimeApiError } from '../errors.js';
import { header, readBody, sendAccepted, sendError, tooLargeError } from '../http-util.js';

const MODE_HEADER = 'lambda-runtime-function-response-mode';
const ERROR_TYPE_TRAILER = 'lambda-runtime-function-error-type';
const ERROR_BODY_TRAILER = 'lambda-runtime-function-error-body';

/** POST /2018-06-01/runtime/invocation/{id}/response — buffered or streamed. */
export function handleResponse(env: RuntimeEnvironment, requestId: string, req: IncomingMessage, res: ServerResponse): void {
  const mode = header(req, MODE_HEADER);
  if (mode !== undefined && mode.toLowerCase() !== 'streaming')
    throw new RuntimeApiError(400, ErrorType.InvalidFunctionResponseMode, 'Invalid function response mode');
  const max = env.maxResponseBytes;
  const declared = Number(header(req, 'content-length') ?? NaN);
  const opts = env.claimResponse(requestId, 'response');
  const contentType = header(req, 'content-type');

  if (mode !== undefined && opts.streaming) {
    streamThrough(env, req, res, contentType ?? 'application/octet-stream');
    return;
  }
  if (declared > max) {
    failTooLarge(env, res, max, declared);
    return;
  }
  readBody(req, max).then(
    (body) => {
      if (body.tooLarge) return failTooLarge(env, res, max, body.size);
      // The invoke may have been failed by its owner (timeout) meanwhile; completeResponse then ignores it.
      const trailerType = mode !== undefined ? req.trailers[ERROR_TYPE_TRAILER] : undefined;
      if (trailerType) {
        env.completeResponse({ kind: 'function-error', errorType: trailerType, payload: decodeErrorBody(req.trailers[ERROR_BODY_TRAILER], trailerType) });
      } else {
        env.completeResponse(contentType === undefined ? { kind: 'success', payload: body.data } : { kind: 'success', payload: body.data, contentType });
      }
      // After the invoker's continuation (queued by completeResponse) has run: the caller waits, the runtime does not.
      queueMicrotask(() => sendAccepted(res));
    },
    (err) => sendError(res, err),
  );
}

/** The function produced more than Lambda's limit: the invoker gets Function.ResponseSizeTooLarge, the runtime 413. */
function failTooLarge(env: RuntimeEnvironment, res: ServerResponse, max: number, size: number): void {
  const errorMessage = `Response payload size (${size} bytes) exceeded maximum allowed payload size (${max} bytes).`;
  env.completeResponse({
    kind: 'function-error',
    errorType: ErrorType.FunctionResponseSizeTooLarge,
    payload: Buffer.from(JSON.stringify({ errorMessage, errorType: ErrorType.FunctionResponseSizeTooLarge })),
  });
  sendError(res, tooLargeError(max));
}

function streamThrough(env: RuntimeEnvironment, req: IncomingMessage, res: ServerResponse, contentType: string): void {
  const body = new PassThrough();
  let produced = 0;
  let settle!: (t: { errorType?: string; errorBody?: string }) => void;
  const trailers = new Promise<{ errorType?: string; errorBody?: string }>((r) => (settle = r));
  env.startStream({ kind: 'stream', contentType, body, trailers });
  req.on('data', (c: Buffer) => {
    produced += c.length;
    if (!body.write(c)) {
      req.pause();
      body.once('drain', () => req.resume());
    }
  });
  req.on('end', () => {
    const errorType = req.trailers[ERROR_TYPE_TRAILER];
    const errorBody = req.trailers[ERROR_BODY_TRAILER];
    const t: { errorType?: string; errorBody?: string } = {};
    if (errorType) t.errorType = errorType;
    if (errorBody) t.errorBody = decodeErrorBody(errorBody, errorType ?? ErrorType.RuntimeUnknown).toString('utf8');
    settle(t);
    body.end();
    env.endStream(produced, errorType);
    sendAccepted(res);
  });
  req.on('aborted', () => {
    settle({ errorType: ErrorType.RuntimeUnknown, errorBody: JSON.stringify({ errorMessage: 'The response stream was interrupted', errorType: ErrorType.RuntimeUnknown }) });
    body.destroy(new Error('response stream interrupted'));
  });
}

/** Error trailers carry base64 JSON; tolerate plain JSON from runtimes that skip the encoding. */
function decodeErrorBody(raw: string | undefined, errorType: string): Buffer {
  if (!raw) return Buffer.from(JSON.stringify({ errorMessage: '', errorType }));
  const trimmed = raw.trim();
  if (trimmed.startsWith('{')) return Buffer.from(trimmed);
  return Buffer.from(trimmed, 'base64');
}
