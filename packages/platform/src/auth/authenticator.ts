import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { checkSigV4Shape, verifySigV4 } from '@lambdock/common';
import type { SigV4Failure, SigV4Result } from '@lambdock/common';

/**
 * How the platform's APIs authenticate callers (AWS Signature Version 4).
 *  - `open`: the loopback default. Any well-formed signature passes (any keys work, as
 *    with the console's defaults); an unsigned request is still refused.
 *  - `required`: the signature is recomputed with the secret configured for its access
 *    key id; unknown keys, wrong secrets and stale dates are refused.
 */
export type AuthOptions = { mode: 'open' } | { mode: 'required'; credentials: Record<string, string> };

/** Who signed a request that passed (function URLs with AWS_IAM hand it to the function). */
export interface Caller {
  accessKeyId: string;
}

/** Requests bigger than this are not buffered for verification (Lambda's control plane caps bodies lower). */
const MAX_SIGNED_BODY = 70 * 1024 * 1024;

export type AuthOutcome = { ok: true; caller: Caller; req: IncomingMessage } | SigV4Failure;

/**
 * Verifies requests. In open mode only the Authorization header's shape is checked, so
 * the body streams to the handler untouched (the hot path pays nothing). In required
 * mode the body is part of the signature: it is read first, and the handler gets a
 * replay of the request carrying the same bytes.
 */
export class Authenticator {
  readonly mode: AuthOptions['mode'];
  readonly #credentials: Record<string, string> | undefined;

  constructor(opts: AuthOptions) {
    this.mode = opts.mode;
    this.#credentials = opts.mode === 'required' ? opts.credentials : undefined;
  }

  async authenticate(req: IncomingMessage): Promise<AuthOutcome> {
    if (!this.#credentials) {
      const shape = checkSigV4Shape(req.headers);
      return shape.ok ? { ok: true, caller: { accessKeyId: shape.accessKeyId }, req } : shape;
    }
    const shape = checkSigV4Shape(req.headers);
    if (!shape.ok) {
      req.resume();
      return shape;
    }
    const body = await readAll(req, MAX_SIGNED_BODY);
    if (body === undefined) {
      return { ok: false, type: 'InvalidSignatureException', message: `Signed request bodies are limited to ${MAX_SIGNED_BODY} bytes.`, status: 413 };
    }
    const declared = req.headers['x-amz-content-sha256'];
    // A client that sends its payload hash (the console, S3-style signers) has it signed
    // instead of the body: the body must then match it.
    if (typeof declared === 'string' && declared !== 'UNSIGNED-PAYLOAD' && createHash('sha256').update(body).digest('hex') !== declared) {
      return { ok: false, type: 'InvalidSignatureException', message: 'The provided x-amz-content-sha256 header does not match what was computed.', status: 403 };
    }
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const result: SigV4Result = await verifySigV4(
      { method: req.method ?? 'GET', path: q === -1 ? url : url.slice(0, q), query: parseQuery(q === -1 ? '' : url.slice(q + 1)), headers: req.headers, body },
      this.#credentials,
      Date.now(),
    );
    if (!result.ok) return result;
    return { ok: true, caller: { accessKeyId: result.accessKeyId }, req: replay(req, body) };
  }
}

function parseQuery(raw: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    const cur = out[k];
    out[k] = cur === undefined ? v : Array.isArray(cur) ? [...cur, v] : [cur, v];
  }
  return out;
}

function readAll(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) over = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(over ? undefined : Buffer.concat(chunks, size)));
    req.on('error', reject);
    // A client that goes away mid-body never sends 'end'.
    req.on('close', () => {
      if (!req.complete) reject(new Error('request aborted'));
    });
  });
}

/**
 * The request again, with its body already read: a stream of the same bytes that keeps
 * the original's method, url, headers and socket, so handlers cannot tell the difference.
 */
function replay(req: IncomingMessage, body: Buffer): IncomingMessage {
  const r = new Readable({
    read() {
      if (body.length) this.push(body);
      this.push(null);
    },
  });
  for (const key of ['method', 'url', 'headers', 'rawHeaders', 'httpVersion', 'httpVersionMajor', 'httpVersionMinor', 'socket', 'trailers', 'rawTrailers'] as const) {
    Object.defineProperty(r, key, { value: req[key], enumerable: true, writable: true });
  }
  Object.defineProperty(r, 'connection', { value: req.socket });
  Object.defineProperty(r, 'complete', { value: true });
  return r as unknown as IncomingMessage;
}
