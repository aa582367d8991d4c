import type { HttpContext } from '../http/types.js';
import { InvalidRequestContentError, RequestTooLargeError } from '../errors.js';

const MAX_CONFIG_BODY = 256 * 1024;

/** A request body up to `limit` bytes (the router may have read it already, to verify a signature). */
export async function readPayload(ctx: HttpContext, limit: number, tooLarge: string): Promise<Buffer> {
  const pre = (ctx as { body?: Buffer }).body;
  if (pre !== undefined) {
    if (pre.length > limit) throw new RequestTooLargeError(tooLarge);
    return pre;
  }
  if (Number(ctx.req.headers['content-length'] ?? NaN) > limit) {
    ctx.req.resume();
    throw new RequestTooLargeError(tooLarge);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of ctx.req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > limit) {
      ctx.req.resume();
      throw new RequestTooLargeError(tooLarge);
    }
    chunks.push(c);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

/** The JSON body of a URL-config request (a few hundred bytes). */
export async function readConfigBody(ctx: HttpContext): Promise<Record<string, unknown>> {
  const buf = await readPayload(ctx, MAX_CONFIG_BODY, `Request must be smaller than ${MAX_CONFIG_BODY} bytes for the operation`);
  if (buf.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(buf.toString('utf8'));
  } catch (err) {
    throw new InvalidRequestContentError(`Could not parse request body into json: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new InvalidRequestContentError('Could not parse request body into json: expected an object');
  return parsed as Record<string, unknown>;
}
