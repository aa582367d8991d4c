import type { IncomingMessage } from 'node:http';
import type { UrlCors } from './url-store.js';

function originAllowed(cors: UrlCors, origin: string): string | undefined {
  const list = cors.AllowOrigins ?? [];
  if (list.includes('*')) return cors.AllowCredentials ? origin : '*';
  return list.some((o) => o.toLowerCase() === origin.toLowerCase()) ? origin : undefined;
}

/**
 * A CORS preflight the platform answers itself (Lambda does, when the URL has a Cors
 * configuration): OPTIONS with Origin and Access-Control-Request-Method. Returns the
 * headers to send with 200, or undefined when the request is not a preflight.
 */
export function preflight(cors: UrlCors | undefined, req: IncomingMessage): Record<string, string> | undefined {
  if (!cors || req.method !== 'OPTIONS') return undefined;
  const origin = req.headers.origin;
  const method = req.headers['access-control-request-method'];
  if (!origin || typeof method !== 'string') return undefined;
  const headers: Record<string, string> = {};
  const allowed = originAllowed(cors, origin);
  if (!allowed) return headers;
  const methods = (cors.AllowMethods ?? []).map((m) => m.toUpperCase());
  if (!methods.includes('*') && !methods.includes(method.toUpperCase())) return headers;
  headers['access-control-allow-origin'] = allowed;
  headers['access-control-allow-methods'] = methods.includes('*') ? method.toUpperCase() : methods.join(',');
  const requested = req.headers['access-control-request-headers'];
  const allowHeaders = (cors.AllowHeaders ?? []).map((h) => h.toLowerCase());
  if (typeof requested === 'string' && requested) {
    headers['access-control-allow-headers'] = allowHeaders.includes('*') ? requested : allowHeaders.join(',');
  } else if (allowHeaders.length) headers['access-control-allow-headers'] = allowHeaders.join(',');
  if (cors.AllowCredentials) headers['access-control-allow-credentials'] = 'true';
  if (cors.MaxAge !== undefined) headers['access-control-max-age'] = String(cors.MaxAge);
  if (allowed !== '*') headers['vary'] = 'Origin';
  return headers;
}

/** CORS headers on an actual (non-preflight) response. */
export function responseCorsHeaders(cors: UrlCors | undefined, req: IncomingMessage): Record<string, string> {
  const origin = req.headers.origin;
  if (!cors || !origin) return {};
  const allowed = originAllowed(cors, origin);
  if (!allowed) return {};
  const headers: Record<string, string> = { 'access-control-allow-origin': allowed };
  if (cors.AllowCredentials) headers['access-control-allow-credentials'] = 'true';
  if (cors.ExposeHeaders?.length) headers['access-control-expose-headers'] = cors.ExposeHeaders.join(',');
  if (allowed !== '*') headers['vary'] = 'Origin';
  return headers;
}
