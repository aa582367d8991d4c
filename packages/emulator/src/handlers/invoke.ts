import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { invokeCompleteEvent, payloadChunkEvent } from '@lambdock/runtime-api';
import type { Job, Outcome } from '../slot.js';

/** Lambda's request size limits for synchronous and asynchronous invokes. */
export const MAX_SYNC_REQUEST_BYTES = 6 * 1024 * 1024;
export const MAX_ASYNC_REQUEST_BYTES = 1024 * 1024;

const PATH = /^\/2015-03-31\/functions\/[^/]+\/invocations\/?$/;
/** InvokeWithResponseStream (what @aws-sdk/client-lambda and the AWS CLI call). */
const STREAM_PATH = /^\/2021-11-15\/functions\/[^/]+\/response-streaming-invocations\/?$/;

/** Errors at the invoke edge, in the Lambda REST API's shape (x-amzn-ErrorType + {"Type","message"}). */
function lambdaError(res: ServerResponse, status: number, type: string, message: string): void {
  const body = JSON.stringify({ Type: 'User', message });
  res.writeHead(status, { 'Content-Type': 'application/json', 'x-amzn-ErrorType': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function traceId(): string {
  const epoch = Math.floor(Date.now() / 1000).toString(16);
  const hex = randomBytes(20).toString('hex');
  return `Root=1-${epoch}-${hex.slice(0, 24)};Parent=${hex.slice(24)};Sampled=0`;
}

function decodeClientContext(raw: string): string | undefined {
  const text = Buffer.from(raw, 'base64').toString('utf8');
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null ? text : undefined;
  } catch {
    return undefined;
  }
}

/**
 * POST /2015-03-31/functions/{any name}/invocations — the emulator's invoke API.
 * Parses the request into a Job for the pool and writes the outcome as Lambda does:
 * 200 with the result; 200 + `X-Amz-Function-Error: Unhandled` for function, init,
 * crash and timeout errors; a streamed response passed through chunk by chunk;
 * `X-Amz-Invocation-Type: Event` answered 202 at once and run in the background.
 */
export function handleInvoke(submit: (job: Job) => void, version: string, req: IncomingMessage, res: ServerResponse): void {
  let url = req.url ?? '';
  const q = url.indexOf('?');
  if (q >= 0) url = url.slice(0, q);
  const eventStream = STREAM_PATH.test(url);
  if (!eventStream && !PATH.test(url)) {
    lambdaError(res, 404, 'ResourceNotFoundException', `No route for ${req.method ?? ''} ${url}; invoke with POST /2015-03-31/functions/function/invocations`);
    return;
  }
  const type = (req.headers['x-amz-invocation-type'] as string | undefined) ?? 'RequestResponse';
  if (eventStream && type === 'Event') {
    lambdaError(res, 400, 'InvalidParameterValueException', 'InvokeWithResponseStream supports the RequestResponse and DryRun invocation types');
    return;
  }
  if (type !== 'RequestResponse' && type !== 'Event' && type !== 'DryRun') {
    lambdaError(res, 400, 'InvalidParameterValueException', `Unsupported invocation type ${JSON.stringify(type)}: use RequestResponse, Event or DryRun`);
    return;
  }
  let clientContext: string | undefined;
  const rawCtx = req.headers['x-amz-client-context'] as string | undefined;
  if (rawCtx) {
    clientContext = decodeClientContext(rawCtx);
    if (clientContext === undefined) {
      lambdaError(res, 400, 'InvalidRequestContentException', 'Client context must be a valid Base64-encoded JSON object.');
      return;
    }
  }
  const max = type === 'Event' ? MAX_ASYNC_REQUEST_BYTES : MAX_SYNC_REQUEST_BYTES;
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size <= max) chunks.push(c);
  });
  req.on('end', () => {
    if (size > max) {
      lambdaError(res, 413, 'RequestTooLargeException', `Request must be smaller than ${max} bytes for the ${type === 'Event' ? 'InvokeAsync' : 'InvokeFunction'} operation`);
      return;
    }
    if (type === 'DryRun') {
      res.writeHead(204, { 'X-Amzn-RequestId': randomUUID() });
      res.end();
      return;
    }
    const requestId = randomUUID();
    const payload = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    const job: Job = {
      requestId,
      payload: payload.length > 0 ? payload : Buffer.from('{}'),
      traceId: (req.headers['x-amzn-trace-id'] as string | undefined) ?? traceId(),
      streaming: type === 'RequestResponse',
      respond: type === 'Event' ? drain : eventStream ? (o) => writeEventStream(res, requestId, version, o) : (o) => writeOutcome(res, requestId, version, o),
    };
    if (clientContext) job.clientContext = clientContext;
    if (type === 'Event') {
      res.writeHead(202, { 'X-Amzn-RequestId': requestId, 'Content-Length': 0 });
      res.end();
    }
    submit(job);
  });
}

/** Async invokes: nobody waits for the result, but a stream must still be consumed. */
function drain(o: Outcome): void {
  if ('result' in o && o.result.kind === 'stream') o.result.body.resume();
}

function writeOutcome(res: ServerResponse, requestId: string, version: string, o: Outcome): void {
  if (res.destroyed) {
    if ('result' in o && o.result.kind === 'stream') o.result.body.resume();
    return;
  }
  if ('failure' in o) {
    const p = o.failure.payload;
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'X-Amzn-RequestId': requestId,
      'X-Amz-Executed-Version': version,
      'X-Amz-Function-Error': 'Unhandled',
      'Content-Length': p.length,
    });
    res.end(p);
    return;
  }
  const r = o.result;
  if (r.kind === 'success') {
    res.writeHead(200, {
      'Content-Type': r.contentType ?? 'application/json',
      'X-Amzn-RequestId': requestId,
      'X-Amz-Executed-Version': version,
      'Content-Length': r.payload.length,
    });
    res.end(r.payload);
  } else if (r.kind === 'function-error') {
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'X-Amzn-RequestId': requestId,
      'X-Amz-Executed-Version': version,
      'X-Amz-Function-Error': 'Unhandled',
      'Content-Length': r.payload.length,
    });
    res.end(r.payload);
  } else {
    // Streamed: bytes go out as the runtime produces them; a mid-stream error arrives as trailers.
    res.writeHead(200, {
      'Content-Type': r.contentType,
      'X-Amzn-RequestId': requestId,
      'X-Amz-Executed-Version': version,
      'Transfer-Encoding': 'chunked',
      Trailer: 'X-Amz-Function-Error, Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body',
    });
    r.body.on('data', (c: Buffer) => {
      if (!res.write(c)) {
        r.body.pause();
        res.once('drain', () => r.body.resume());
      }
    });
    // The stream was cut (timeout, crash): end the response properly and say why in the trailers.
    r.body.on('error', (err: Error & { errorType?: string; payload?: Buffer }) => {
      const errorType = err.errorType ?? 'Runtime.Unknown';
      res.addTrailers({
        'X-Amz-Function-Error': 'Unhandled',
        'Lambda-Runtime-Function-Error-Type': errorType,
        'Lambda-Runtime-Function-Error-Body': compactErrorBody(err.payload ?? JSON.stringify({ errorMessage: err.message, errorType }), errorType).toString('base64'),
      });
      res.end();
    });
    r.body.on('end', () => {
      void r.trailers.then((t) => {
        if (t.errorType) {
          res.addTrailers({
            'X-Amz-Function-Error': 'Unhandled',
            'Lambda-Runtime-Function-Error-Type': t.errorType,
            'Lambda-Runtime-Function-Error-Body': compactErrorBody(t.errorBody ?? '', t.errorType).toString('base64'),
          });
        }
        res.end();
      });
    });
  }
}

/**
 * InvokeWithResponseStream: the result as AWS event stream messages — PayloadChunk events
 * as the runtime produces bytes, then InvokeComplete (with ErrorCode/ErrorDetails on failure).
 */
function writeEventStream(res: ServerResponse, requestId: string, version: string, o: Outcome): void {
  if (res.destroyed) {
    if ('result' in o && o.result.kind === 'stream') o.result.body.resume();
    return;
  }
  const contentType = 'result' in o && o.result.kind !== 'function-error' ? (o.result.contentType ?? 'application/json') : 'application/json';
  res.writeHead(200, {
    'Content-Type': contentType,
    'X-Amzn-RequestId': requestId,
    'X-Amz-Executed-Version': version,
    'Transfer-Encoding': 'chunked',
  });
  const fail = (errorType: string, details: Buffer | string): void => {
    res.end(invokeCompleteEvent({ ErrorCode: errorType, ErrorDetails: details.toString() }));
  };
  if ('failure' in o) return fail(o.failure.errorType, o.failure.payload);
  const r = o.result;
  if (r.kind === 'function-error') return fail(r.errorType, r.payload);
  if (r.kind === 'success') {
    if (r.payload.length > 0) res.write(payloadChunkEvent(r.payload));
    res.end(invokeCompleteEvent());
    return;
  }
  r.body.on('data', (c: Buffer) => {
    if (!res.write(payloadChunkEvent(c))) {
      r.body.pause();
      res.once('drain', () => r.body.resume());
    }
  });
  r.body.on('error', (err: Error & { errorType?: string; payload?: Buffer }) => fail(err.errorType ?? 'Runtime.Unknown', err.payload ?? err.message));
  r.body.on('end', () => {
    void r.trailers.then((t) => (t.errorType ? fail(t.errorType, t.errorBody ?? '') : res.end(invokeCompleteEvent())));
  });
}

/** Largest error body sent in a trailer: HTTP clients refuse header blocks over 16 KiB by default. */
const MAX_TRAILER_ERROR_BYTES = 8 * 1024;

/**
 * An error body small enough for a trailer: as posted when it fits, else errorType plus the
 * start of errorMessage (the stack trace is dropped first), still valid JSON.
 */
export function compactErrorBody(body: string | Buffer, errorType: string): Buffer {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body);
  if (buf.length <= MAX_TRAILER_ERROR_BYTES) return buf;
  let message = buf.toString('utf8');
  let type = errorType;
  try {
    const v = JSON.parse(message) as { errorMessage?: unknown; errorType?: unknown };
    message = typeof v.errorMessage === 'string' ? v.errorMessage : '';
    if (typeof v.errorType === 'string') type = v.errorType;
  } catch {
    /* not JSON: keep the text as the message */
  }
  const room = MAX_TRAILER_ERROR_BYTES - 200;
  const cut = Buffer.from(message).subarray(0, room).toString('utf8').replace(/\uFFFD$/, '');
  return Buffer.from(JSON.stringify({ errorMessage: cut.length < message.length ? `${cut}… (truncated)` : cut, errorType: type }));
}
