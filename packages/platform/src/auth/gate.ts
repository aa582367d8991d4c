import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkSigV4Shape, requestId as newRequestId } from '@lambdock/common';
import type { Logger, SigV4Failure } from '@lambdock/common';
import type { Authenticator } from './authenticator.js';
import { writeJson11AuthError, writeLambdaAuthError } from './respond.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Wraps an API handler so that only requests with a valid SigV4 signature reach it;
 * the others get AWS's answer in the API's own error format.
 */
export function withSigV4(auth: Authenticator, handler: Handler, opts: { format: 'lambda' | 'json11'; logger?: Logger }): Handler {
  const write = opts.format === 'lambda' ? writeLambdaAuthError : writeJson11AuthError;
  // Open mode only inspects a header: decided synchronously, no promise on the hot path.
  if (auth.mode === 'open') {
    return (req, res) => {
      const shape = checkSigV4Shape(req.headers);
      if (shape.ok) handler(req, res);
      else refuse(req, res, shape);
    };
  }
  return (req, res) => {
    auth.authenticate(req).then(
      (r) => (r.ok ? handler(r.req, res) : refuse(req, res, r)),
      (err: unknown) => {
        opts.logger?.debug('request ended before it could be verified', { err });
        if (!res.headersSent) res.writeHead(500).end();
      },
    );
  };

  function refuse(req: IncomingMessage, res: ServerResponse, f: SigV4Failure): void {
    opts.logger?.debug('request refused', { type: f.type, method: req.method, url: req.url });
    req.resume();
    write(res, f, newRequestId());
  }
}
