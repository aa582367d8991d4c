import type { IncomingMessage, ServerResponse } from 'node:http';
import { isLambdockError } from '@lambdock/common';
import { ErrorType, RuntimeApiError } from './errors.js';

const ACCEPTED = '{"status":"OK"}';
const jsonHeaders = { 'Content-Type': 'application/json' } as const;

export function sendAccepted(res: ServerResponse): void {
  res.writeHead(202, { 'Content-Type': 'application/json', 'Content-Length': ACCEPTED.length });
  res.end(ACCEPTED);
}

export function sendJson(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...jsonHeaders, ...headers, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** The one place Runtime API errors become HTTP responses. */
export function sendError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const e =
    err instanceof RuntimeApiError
      ? err
      : new RuntimeApiError(500, 'InternalServerError', isLambdockError(err) ? err.message : 'Internal Server Error');
  sendJson(res, e.status, e.body());
}

export interface Body {
  data: Buffer;
  /** More than `max` bytes arrived; `data` holds only what fit. */
  tooLarge: boolean;
  size: number;
}

/** Reads a request body, keeping at most `max` bytes (the rest is counted and dropped). */
export function readBody(req: IncomingMessage, max: number): Promise<Body> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= max) chunks.push(c);
    });
    req.on('end', () => {
      const tooLarge = size > max;
      resolve({ data: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), tooLarge, size });
    });
    req.on('error', reject);
    req.on('aborted', () => reject(new RuntimeApiError(400, 'TruncatedHTTPRequest', 'HTTP request detected as truncated')));
  });
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function tooLargeError(max: number): RuntimeApiError {
  return new RuntimeApiError(413, ErrorType.RequestEntityTooLarge, `Exceeded maximum allowed payload size (${max} bytes).`);
}
