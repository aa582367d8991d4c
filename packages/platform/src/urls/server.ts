import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { requestId as newRequestId } from '@lambdock/common';
import type { Logger } from '@lambdock/common';
import type { Authenticator } from '../auth/authenticator.js';
import type { InvokeService, InvokeStream } from '../invoke/invoke-service.js';
import { MAX_SYNC_PAYLOAD } from '../invoke/invoke-service.js';
import { ThrottledError } from '../errors.js';
import type { FunctionUrlService } from './url-service.js';
import { matchUrlRequest } from './url-service.js';
import { buildUrlEvent } from './event.js';
import { BAD_GATEWAY, fromStructured, toUrlResponse } from './response.js';
import type { UrlResponse } from './response.js';
import { preflight, responseCorsHeaders } from './cors.js';
import { HTTP_INTEGRATION_CONTENT_TYPE, readPrelude } from '../streaming/http-integration.js';
import { MAX_STREAMED_RESPONSE } from '../streaming/limits.js';

export interface FunctionUrlServerDeps {
  urls: FunctionUrlService;
  invoke: InvokeService;
  auth: Authenticator;
  account: string;
  region: string;
  logger: Logger;
}

export interface FunctionUrlServer {
  /** Whether the request addresses a function URL (by Host or by `/lambda-url/<id>/`). */
  matches(req: IncomingMessage): boolean;
  handle(req: IncomingMessage, res: ServerResponse): void;
}

function send(res: ServerResponse, r: UrlResponse, extra: Record<string, string>, requestId: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(r.status, { ...r.headers, ...extra, 'x-amzn-requestid': requestId, 'content-length': r.body.length });
  res.end(r.body);
}

const message = (status: number, text: string, type?: string): UrlResponse => ({
  status,
  headers: { 'content-type': 'application/json', ...(type ? { 'x-amzn-errortype': type } : {}) },
  body: Buffer.from(JSON.stringify({ Message: text })),
});

/**
 * Serves function URLs: each request becomes Lambda's payload-2.0 event, the function's
 * answer becomes the HTTP response (buffered, or streamed as the function writes it in
 * RESPONSE_STREAM mode). CORS preflights are answered here; AWS_IAM URLs need a SigV4
 * signature for service `lambda`.
 */
export function createFunctionUrlServer(deps: FunctionUrlServerDeps): FunctionUrlServer {
  const log = deps.logger;
  return {
    matches: (req) => matchUrlRequest(req.headers.host, req.url ?? '/') !== undefined,
    handle(req, res) {
      const requestId = newRequestId();
      serve(req, res, requestId).catch((err: unknown) => {
        log.error('function url request failed', { requestId, err });
        req.resume();
        send(res, message(500, 'Internal Server Error'), {}, requestId);
      });
    },
  };

  async function serve(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const m = matchUrlRequest(req.headers.host, req.url ?? '/')!;
    const rec = await deps.urls.resolve(m.urlId);
    if (!rec) {
      req.resume();
      return send(res, message(404, 'Not Found', 'ResourceNotFoundException'), {}, requestId);
    }
    const pre = preflight(rec.cors, req);
    if (pre) {
      req.resume();
      return send(res, { status: 200, headers: {}, body: Buffer.alloc(0) }, pre, requestId);
    }
    const cors = responseCorsHeaders(rec.cors, req);
    let caller: { accessKeyId: string } | undefined;
    let request = req;
    if (rec.authType === 'AWS_IAM') {
      const auth = await deps.auth.authenticate(req);
      if (!auth.ok) {
        req.resume();
        return send(res, message(403, 'Forbidden', 'AccessDeniedException'), cors, requestId);
      }
      caller = auth.caller;
      request = auth.req;
    }
    const body = await readLimited(request, MAX_SYNC_PAYLOAD);
    if (!body) return send(res, message(413, `Request must be smaller than ${MAX_SYNC_PAYLOAD} bytes for the InvokeFunction operation`, 'RequestEntityTooLargeException'), cors, requestId);
    const event = buildUrlEvent(req, { urlId: rec.urlId, region: deps.region, account: deps.account, requestId, target: m.path, body, ...(caller ? { caller } : {}) });
    const streaming = rec.invokeMode === 'RESPONSE_STREAM';
    let out;
    try {
      out = await deps.invoke.invoke({
        ref: rec.qualifier ? { name: rec.functionName, qualifier: rec.qualifier } : { name: rec.functionName },
        invocationType: 'RequestResponse',
        logType: 'None',
        payload: Buffer.from(JSON.stringify(event)),
        requestId,
        streaming,
      });
    } catch (err) {
      if (err instanceof ThrottledError) return send(res, message(429, 'Rate Exceeded.', 'TooManyRequestsException'), cors, requestId);
      log.debug('function url invoke refused', { requestId, err });
      return send(res, BAD_GATEWAY(), cors, requestId);
    }
    if (out.stream) return pipeStream(res, out.stream, cors, requestId);
    if (out.functionError) return send(res, BAD_GATEWAY(), cors, requestId);
    send(res, toUrlResponse(out.payload), cors, requestId);
  }

  /** RESPONSE_STREAM: headers from the prelude (if the function sent one), then bytes as they come. */
  async function pipeStream(res: ServerResponse, stream: InvokeStream, cors: Record<string, string>, requestId: string): Promise<void> {
    let head: UrlResponse = { status: 200, headers: { 'content-type': stream.contentType || 'application/octet-stream' }, body: Buffer.alloc(0) };
    let first: Buffer = Buffer.alloc(0);
    try {
      if (stream.contentType === HTTP_INTEGRATION_CONTENT_TYPE) {
        const p = await readPrelude(stream.body);
        first = p.rest;
        const parsed = p.prelude ? fromStructured(p.prelude, { withBody: false }) : undefined;
        if (parsed) head = parsed;
        else head.headers['content-type'] = 'application/octet-stream';
      }
    } catch {
      drain(stream.body);
      await stream.done;
      return send(res, BAD_GATEWAY(), cors, requestId);
    }
    res.writeHead(head.status, { ...head.headers, ...cors, 'x-amzn-requestid': requestId, 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    if (first.length) res.write(first);
    let sent = first.length;
    try {
      for await (const c of stream.body as AsyncIterable<Buffer>) {
        if (res.destroyed) continue; // the client left (or the limit cut it off): drain so the function is not blocked
        sent += c.length;
        if (sent > MAX_STREAMED_RESPONSE) {
          res.destroy();
          continue;
        }
        if (!res.write(c)) await new Promise<void>((r) => {
          const go = (): void => {
            res.off('drain', go).off('close', go);
            r();
          };
          res.on('drain', go).on('close', go);
        });
      }
    } catch {
      // Failed mid-stream (timeout, crash): like Lambda, the response just ends early.
      res.destroy();
      return;
    }
    const t = await stream.trailers;
    if (t.errorType) {
      res.destroy(); // an error after the headers went out can only cut the response short
      return;
    }
    res.end();
  }
}

function drain(body: Readable): void {
  body.on('error', () => undefined);
  body.resume();
}

async function readLimited(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > limit) {
      req.resume();
      return undefined;
    }
    chunks.push(c);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}
