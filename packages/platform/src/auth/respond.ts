import type { ServerResponse } from 'node:http';
import type { SigV4Failure } from '@lambdock/common';

/** An authentication failure in the Lambda REST format: `x-amzn-ErrorType` + `{"Type","message"}`. */
export function writeLambdaAuthError(res: ServerResponse, f: SigV4Failure, requestId: string): void {
  const body = JSON.stringify({ Type: 'User', message: f.message });
  res.writeHead(f.status, {
    'x-amzn-ErrorType': f.type,
    'x-amzn-RequestId': requestId,
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** The same failure in the JSON 1.1 format (CloudWatch Logs): `{"__type","message"}`. */
export function writeJson11AuthError(res: ServerResponse, f: SigV4Failure, requestId: string): void {
  const body = JSON.stringify({ __type: f.type, message: f.message });
  res.writeHead(f.status, {
    'x-amzn-RequestId': requestId,
    'Content-Type': 'application/x-amz-json-1.1',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}
