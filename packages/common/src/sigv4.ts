import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

/** The parts of an HTTP request a SigV4 signature covers. */
export interface SignedRequest {
  method: string;
  /** The path exactly as it arrived (still percent-encoded). */
  path: string;
  /** Decoded query parameters; a repeated name carries every value. */
  query: Record<string, string | string[]>;
  headers: IncomingHttpHeaders;
  body: string | Uint8Array;
}

/** Why a request was refused, in AWS's own error names (every AWS protocol uses these). */
export type SigV4Failure = {
  ok: false;
  type: 'MissingAuthenticationTokenException' | 'IncompleteSignatureException' | 'UnrecognizedClientException' | 'InvalidSignatureException';
  message: string;
  status: number;
};
export type SigV4Result = { ok: true; accessKeyId: string; region: string; service: string } | SigV4Failure;

const authRe = /^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;_.-]+),\s*Signature=([0-9a-f]{64})$/;
/** AWS refuses signatures dated more than 15 minutes from its clock. */
export const SIGV4_MAX_SKEW_MS = 15 * 60 * 1000;

/** Constant-time string comparison (secrets, signatures). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Checks only the shape of the `Authorization` header (open loopback mode needs no body). */
export function checkSigV4Shape(headers: IncomingHttpHeaders): SigV4Result {
  const header = headers.authorization;
  if (!header) return { ok: false, type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token', status: 403 };
  const m = authRe.exec(header.trim());
  if (!m) {
    return {
      ok: false,
      type: 'IncompleteSignatureException',
      message: 'Authorization header requires Credential, SignedHeaders and Signature (AWS4-HMAC-SHA256).',
      status: 400,
    };
  }
  return { ok: true, accessKeyId: m[1]!, region: m[3]!, service: m[4]! };
}

/**
 * Checks an AWS Signature Version 4 `Authorization` header.
 *  - `credentials` undefined (open loopback mode): the header only has to be well formed.
 *  - otherwise the signature is recomputed with @smithy/signature-v4 using the secret
 *    configured for the access key id, over exactly the headers the client signed.
 */
export async function verifySigV4(req: SignedRequest, credentials: Record<string, string> | undefined, now: number): Promise<SigV4Result> {
  const shape = checkSigV4Shape(req.headers);
  if (!shape.ok || !credentials) return shape;
  const m = authRe.exec(req.headers.authorization!.trim())!;
  const [, accessKeyId, , region, service, signedHeaders, signature] = m as unknown as [string, string, string, string, string, string, string];
  const secret = Object.hasOwn(credentials, accessKeyId) ? credentials[accessKeyId] : undefined;
  if (secret === undefined) {
    return { ok: false, type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.', status: 403 };
  }
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const dm = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!dm) return { ok: false, type: 'IncompleteSignatureException', message: 'X-Amz-Date header is missing or malformed.', status: 400 };
  const signingDate = new Date(Date.UTC(+dm[1]!, +dm[2]! - 1, +dm[3]!, +dm[4]!, +dm[5]!, +dm[6]!));
  if (Math.abs(signingDate.getTime() - now) > SIGV4_MAX_SKEW_MS) {
    return { ok: false, type: 'InvalidSignatureException', message: 'Signature expired: the request time is more than 15 minutes from the server time.', status: 400 };
  }
  const names = signedHeaders.split(';');
  const headers: Record<string, string> = {};
  for (const n of names) {
    const v = req.headers[n];
    if (v !== undefined) headers[n] = Array.isArray(v) ? v.join(',') : v;
  }
  // applyChecksum off: only headers the client actually signed may enter the canonical request.
  const signer = new SignatureV4({ credentials: { accessKeyId, secretAccessKey: secret }, region, service, sha256: Sha256, applyChecksum: false });
  const host = headers['host'] ?? '';
  const signed = await signer.sign(
    { method: req.method, protocol: 'http:', hostname: host.replace(/:\d+$/, ''), path: req.path, query: req.query, headers, body: req.body },
    { signingDate, signingRegion: region, signingService: service, signableHeaders: new Set(names) },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers['authorization'] ?? ''))?.[1] ?? '';
  if (!safeEqual(expected, signature)) {
    return {
      ok: false,
      type: 'InvalidSignatureException',
      message: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
      status: 403,
    };
  }
  return { ok: true, accessKeyId, region, service };
}
