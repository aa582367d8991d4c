/**
 * The `responseStream` a streaming handler writes to: a Writable over one chunked
 * `POST /invocation/{id}/response` (mode `streaming`). Each write goes to the socket as
 * it is made (no batching beyond what the handler itself outpaces), so bytes leave when
 * the handler writes them. A failure after the first byte is reported in the trailers
 * `Lambda-Runtime-Function-Error-Type` / `Lambda-Runtime-Function-Error-Body` (base64 JSON).
 *
 * Lifecycle: Ready (headers not sent; content type may change) → Sending (first write
 * or end sent the headers) → Ended (request ended, with or without error trailers).
 */
import type { ClientRequest, IncomingMessage } from 'node:http';
import { Writable } from 'node:stream';
import { headerSafe, toErrorResponse, type ErrorResponse } from './error-format.js';
import { InvalidStreamingOperation } from './errors.js';
import { ERROR_BODY_TRAILER, ERROR_TYPE_HEADER, type ApiReply } from './rapid-client.js';

/**
 * Trailers count against the server's header limit (16 KiB on Node), so the base64 error body
 * is kept under 8 KiB: stack lines go first, then the message is shortened.
 */
const TRAILER_BODY_LIMIT = 8 * 1024;

export function encodeErrorTrailer(error: ErrorResponse): string {
  const body: ErrorResponse = { errorType: error.errorType.slice(0, 1024), errorMessage: error.errorMessage, trace: [...error.trace] };
  let encoded = Buffer.from(JSON.stringify(body)).toString('base64');
  while (encoded.length > TRAILER_BODY_LIMIT && body.trace.length > 0) {
    body.trace.pop();
    encoded = Buffer.from(JSON.stringify(body)).toString('base64');
  }
  if (encoded.length > TRAILER_BODY_LIMIT) {
    body.errorMessage = body.errorMessage.slice(0, 2048) + '…';
    encoded = Buffer.from(JSON.stringify(body)).toString('base64');
  }
  return encoded;
}

export const HTTP_INTEGRATION_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';

type State = 'ready' | 'sending' | 'ended';
type RawWrite = (chunk: string | Uint8Array) => void;

export class ResponseStream extends Writable {
  /**
   * Called once with a raw writer just before the first byte goes out (or at end when nothing
   * was written). `HttpResponseStream.from` uses it to put the prelude first; the name is the
   * one AWS's runtime exposes, so code written against it works here too.
   */
  _onBeforeFirstWrite: ((write: RawWrite) => void) | undefined = undefined;

  private state: State = 'ready';
  private failure: unknown = undefined;
  private failed = false;
  private requestError: Error | undefined;
  private readonly req: ClientRequest;
  private readonly reply: Promise<ApiReply>;

  constructor(req: ClientRequest, highWaterMark?: number) {
    super({ highWaterMark, decodeStrings: false });
    this.req = req;
    this.reply = new Promise<ApiReply>((resolveReply, reject) => {
      req.on('response', (res: IncomingMessage) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolveReply({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      });
      req.on('error', (err) => {
        // Remember it; writes after this are dropped instead of crashing a handler that never listens for 'error'.
        this.requestError = err;
        reject(err);
      });
    });
    // Reported through completion(); never an unhandled rejection.
    this.reply.catch(() => undefined);
    // A handler misusing its stream (write after end, destroy(err)) must not take the whole runtime
    // down with an unhandled 'error' event: say what happened when nobody else is listening.
    this.on('error', (err) => {
      if (this.listenerCount('error') === 1) console.error('Response stream error:', err);
    });
  }

  /** Set the response content type; only before the first byte is written. */
  setContentType(contentType: string): void {
    if (this.state !== 'ready') throw new InvalidStreamingOperation('Cannot set content-type, too late.');
    this.req.setHeader('Content-Type', contentType);
  }

  // Objects are written as JSON, as Lambda's runtime does; everything else is passed on untouched.
  override write(chunk: unknown, encoding?: BufferEncoding | ((error: Error | null | undefined) => void), cb?: (error: Error | null | undefined) => void): boolean {
    if (typeof chunk !== 'string' && !(chunk instanceof Uint8Array)) chunk = JSON.stringify(chunk);
    return super.write(chunk, encoding as BufferEncoding, cb);
  }

  private start(): void {
    if (this.state !== 'ready') return;
    this.state = 'sending';
    const hook = this._onBeforeFirstWrite;
    if (typeof hook === 'function') hook((c) => this.req.write(c));
  }

  override _write(chunk: string | Buffer, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.start();
    if (this.requestError) return callback();
    this.req.write(chunk, encoding, () => callback());
  }

  override _writev(chunks: { chunk: string | Buffer; encoding: BufferEncoding }[], callback: (error?: Error | null) => void): void {
    this.start();
    if (this.requestError) return callback();
    this.req.cork();
    for (let i = 0; i < chunks.length - 1; i++) this.req.write(chunks[i]!.chunk, chunks[i]!.encoding);
    const last = chunks[chunks.length - 1]!;
    this.req.write(last.chunk, last.encoding, () => callback());
    this.req.uncork();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.finishRequest();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Destroyed by the handler: whatever was sent is followed by an error, never passed off as complete.
    if (this.state !== 'ended') {
      if (!this.failed) this.markFailed(error ?? new Error('Response stream destroyed before it was finished.'));
      this.finishRequest();
    }
    callback(error);
  }

  private markFailed(error: unknown): void {
    this.failed = true;
    this.failure = error;
  }

  private finishRequest(): void {
    if (this.state === 'ended') return;
    this.start();
    this.state = 'ended';
    if (this.requestError) return;
    if (this.failed) {
      const body = toErrorResponse(this.failure);
      this.req.addTrailers({
        [ERROR_TYPE_HEADER]: headerSafe(body.errorType).slice(0, 1024),
        [ERROR_BODY_TRAILER]: encodeErrorTrailer(body),
      });
    }
    this.req.end();
  }

  /**
   * End the response with an error in the trailers. Data already accepted is sent first.
   * Returns false when the response had already ended (too late to report in-band).
   */
  fail(error: unknown): boolean {
    if (this.state === 'ended' || this.writableEnded) return false;
    this.markFailed(error);
    this.end();
    return true;
  }

  /** Resolves with the Runtime API's reply once the request has been sent in full. */
  completion(): Promise<ApiReply> {
    return this.reply;
  }
}

/** `awslambda.HttpResponseStream`: a JSON prelude `{statusCode, headers, cookies}` + 8 NUL bytes before the body. */
export class HttpResponseStream {
  static from(underlyingStream: ResponseStream, prelude: Record<string, unknown>): ResponseStream {
    underlyingStream.setContentType(HTTP_INTEGRATION_CONTENT_TYPE);
    // JSON keeps NUL bytes out of the prelude, so the 8-NUL delimiter is unambiguous.
    const metadata = JSON.stringify(prelude);
    underlyingStream._onBeforeFirstWrite = (write) => {
      write(metadata);
      write(new Uint8Array(8));
    };
    return underlyingStream;
  }
}
