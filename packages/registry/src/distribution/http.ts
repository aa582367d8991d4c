import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@lambdock/common';
import type { RegistryCore } from '../core.js';
import { DistributionError, toDistributionError } from './errors.js';

export interface DistributionContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  core: RegistryCore;
  log: Logger;
}

export type DistributionHandler = (ctx: DistributionContext, params: Record<string, string>) => Promise<void>;

export function send(res: ServerResponse, status: number, headers: Record<string, string | number | string[]> = {}, body?: Buffer | string): void {
  const h: Record<string, string | number | string[]> = { 'Docker-Distribution-API-Version': 'registry/2.0', ...headers };
  if (body !== undefined) h['Content-Length'] = Buffer.byteLength(body);
  else if (h['Content-Length'] === undefined) h['Content-Length'] = 0;
  res.writeHead(status, h);
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string | number> = {}): void {
  send(res, status, { 'Content-Type': 'application/json', ...headers }, JSON.stringify(value));
}

/** The one place distribution errors are serialised. */
export function sendError(ctx: Pick<DistributionContext, 'req' | 'res' | 'log'>, err: unknown): void {
  const e = toDistributionError(err);
  if (e.status >= 500) ctx.log.error('request failed', { method: ctx.req.method, url: ctx.req.url, err });
  else ctx.log.debug('request refused', { method: ctx.req.method, url: ctx.req.url, code: e.code, msg: e.message });
  const { res, req } = ctx;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // The client may still be sending a body we will not read; close after answering so
  // the connection is not left with unread bytes, but answer first.
  const unread = !req.readableEnded && req.method !== 'GET' && req.method !== 'HEAD';
  const headers: Record<string, string> = { ...e.headers };
  if (unread) headers['Connection'] = 'close';
  if (req.method === 'HEAD') {
    send(res, e.status, { 'Content-Type': 'application/json', ...headers });
  } else {
    sendJson(res, e.status, e.toJSON(), headers);
  }
  if (unread) req.resume();
}

/** Reads a small body (manifests) into memory, refusing more than `limit` bytes. */
export async function readBody(req: IncomingMessage, limit: number, what: string): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    throw new DistributionError('SIZE_INVALID', `${what} exceeds the limit of ${limit} bytes`, { status: 413, detail: { limit } });
  }
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    n += chunk.byteLength;
    if (n > limit) throw new DistributionError('SIZE_INVALID', `${what} exceeds the limit of ${limit} bytes`, { status: 413, detail: { limit } });
    parts.push(chunk);
  }
  return Buffer.concat(parts, n);
}

/** The byte range of an upload as the spec's `Range` header says it: "0-<last byte>". */
export function uploadRange(offset: number): string {
  return `0-${offset > 0 ? offset - 1 : 0}`;
}

export function uploadLocation(name: string, id: string): string {
  return `/v2/${name}/blobs/uploads/${id}`;
}
