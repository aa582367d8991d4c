import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidRequestContentError, RequestTooLargeError } from '../errors.js';

/** Reads the whole body, refusing more than `limit` bytes with `tooLarge`'s message. */
export function readBody(req: IncomingMessage, limit: number, tooLarge: string): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) {
    req.resume();
    return Promise.reject(new RequestTooLargeError(tooLarge));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > limit) {
        failed = true;
        reject(new RequestTooLargeError(tooLarge));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!failed) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    req.on('error', reject);
  });
}

/** Control-plane bodies are small JSON documents. */
export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const buf = await readBody(req, 70 * 1024 * 1024, 'Request must be smaller than 69905067 bytes for the operation');
  if (buf.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(buf.toString('utf8'));
  } catch (err) {
    throw new InvalidRequestContentError(`Could not parse request body into json: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidRequestContentError('Could not parse request body into json: expected an object');
  }
  return parsed as Record<string, unknown>;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, requestId: string): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload), 'x-amzn-RequestId': requestId });
  res.end(payload);
}

export function sendEmpty(res: ServerResponse, status: number, requestId: string): void {
  res.writeHead(status, { 'x-amzn-RequestId': requestId, 'Content-Length': 0 });
  res.end();
}

/** Typed field readers that turn wrong JSON types into InvalidRequestContentException. */
export const field = {
  string(body: Record<string, unknown>, key: string): string | undefined {
    const v = body[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw wrongType(key, 'a string');
    return v;
  },
  int(body: Record<string, unknown>, key: string): number | undefined {
    const v = body[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) throw wrongType(key, 'an integer');
    return v;
  },
  bool(body: Record<string, unknown>, key: string): boolean | undefined {
    const v = body[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') throw wrongType(key, 'a boolean');
    return v;
  },
  object(body: Record<string, unknown>, key: string): Record<string, unknown> | undefined {
    const v = body[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) throw wrongType(key, 'an object');
    return v as Record<string, unknown>;
  },
  stringList(body: Record<string, unknown>, key: string): string[] | undefined {
    const v = body[key];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw wrongType(key, 'a list of strings');
    return v as string[];
  },
  stringMap(body: Record<string, unknown>, key: string): Record<string, string> | undefined {
    const v = field.object(body, key);
    if (v === undefined) return undefined;
    for (const [k, x] of Object.entries(v)) if (typeof x !== 'string') throw wrongType(`${key}.${k}`, 'a string');
    return v as Record<string, string>;
  },
};

function wrongType(key: string, what: string): InvalidRequestContentError {
  return new InvalidRequestContentError(`Could not parse request body into json: ${key} must be ${what}`);
}
