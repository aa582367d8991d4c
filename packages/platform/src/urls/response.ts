/** What a function URL answers: status, headers (one value or several, e.g. Set-Cookie), body. */
export interface UrlResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

/** The HTTP response a function's result becomes, following Lambda's rules for function URLs. */
export function toUrlResponse(payload: Buffer): UrlResponse {
  let parsed: unknown;
  try {
    parsed = payload.length ? JSON.parse(payload.toString('utf8')) : undefined;
  } catch {
    parsed = undefined;
  }
  // Only an object with a statusCode describes the response; any other value is the body itself.
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !('statusCode' in parsed)) {
    return { status: 200, headers: { 'content-type': 'application/json' }, body: payload };
  }
  return fromStructured(parsed as Record<string, unknown>) ?? BAD_GATEWAY();
}

/** The structured form (also the prelude of a streamed response): statusCode, headers, cookies, body, isBase64Encoded. */
export function fromStructured(o: Record<string, unknown>, opts: { withBody?: boolean } = { withBody: true }): UrlResponse | undefined {
  const status = o['statusCode'] === undefined && !opts.withBody ? 200 : Number(o['statusCode']);
  if (!Number.isInteger(status) || status < 100 || status > 599) return undefined;
  const headers: Record<string, string | string[]> = {};
  const h = o['headers'];
  if (h !== undefined && h !== null) {
    if (typeof h !== 'object' || Array.isArray(h)) return undefined;
    for (const [k, v] of Object.entries(h as Record<string, unknown>)) {
      if (v === null || v === undefined) continue;
      headers[k.toLowerCase()] = String(v);
    }
  }
  const mv = o['multiValueHeaders'];
  if (mv && typeof mv === 'object' && !Array.isArray(mv)) {
    for (const [k, v] of Object.entries(mv as Record<string, unknown>)) if (Array.isArray(v)) headers[k.toLowerCase()] = v.map(String).join(',');
  }
  const cookies = o['cookies'];
  if (Array.isArray(cookies) && cookies.length) headers['set-cookie'] = cookies.map(String);
  headers['content-type'] ??= 'application/json';
  let body = Buffer.alloc(0);
  if (opts.withBody && o['body'] !== undefined && o['body'] !== null) {
    const b = typeof o['body'] === 'string' ? o['body'] : JSON.stringify(o['body']);
    body = o['isBase64Encoded'] === true ? Buffer.from(b, 'base64') : Buffer.from(b, 'utf8');
  }
  return { status, headers, body };
}

/** What callers see when the function failed or answered something unusable. */
export const BAD_GATEWAY = (): UrlResponse => ({ status: 502, headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'InternalServerErrorException' }, body: Buffer.from('Internal Server Error') });
