import { isLambdockError } from '@lambdock/common';
import type { ServerResponse } from 'node:http';
import { ThrottledError } from '../errors.js';

/**
 * The one table from LambdockError codes to Lambda's error names and HTTP statuses.
 * `messageKey` follows the SDK's model for each exception (some use `Message`,
 * others `message`); clients read `x-amzn-ErrorType` first.
 */
const table: Record<string, { name: string; status: number; messageKey: 'Message' | 'message' }> = {
  NOT_FOUND: { name: 'ResourceNotFoundException', status: 404, messageKey: 'Message' },
  CONFLICT: { name: 'ResourceConflictException', status: 409, messageKey: 'message' },
  VALIDATION: { name: 'ValidationException', status: 400, messageKey: 'message' },
  INVALID_PARAMETER: { name: 'InvalidParameterValueException', status: 400, messageKey: 'message' },
  INVALID_REQUEST_CONTENT: { name: 'InvalidRequestContentException', status: 400, messageKey: 'message' },
  THROTTLED: { name: 'TooManyRequestsException', status: 429, messageKey: 'message' },
  REQUEST_TOO_LARGE: { name: 'RequestEntityTooLargeException', status: 413, messageKey: 'message' },
  PRECONDITION_FAILED: { name: 'PreconditionFailedException', status: 412, messageKey: 'message' },
  UNKNOWN_OPERATION: { name: 'UnknownOperationException', status: 404, messageKey: 'message' },
  UNSUPPORTED_MEDIA_TYPE: { name: 'UnsupportedMediaTypeException', status: 415, messageKey: 'message' },
  RESOURCE_NOT_READY: { name: 'ResourceNotReadyException', status: 502, messageKey: 'message' },
  SERVICE: { name: 'ServiceException', status: 500, messageKey: 'Message' },
};

export interface ErrorResponse {
  status: number;
  name: string;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

export function toErrorResponse(err: unknown): ErrorResponse {
  const entry = (isLambdockError(err) && table[err.code]) || table['SERVICE']!;
  const internal = !isLambdockError(err) || !table[err.code];
  const message = internal ? 'An internal error occurred.' : (err as Error).message;
  const body: Record<string, unknown> = { Type: entry.status >= 500 ? 'Service' : 'User', [entry.messageKey]: message };
  const headers: Record<string, string> = { 'x-amzn-ErrorType': entry.name };
  if (err instanceof ThrottledError) {
    body['Reason'] = err.reason;
    headers['Retry-After'] = String(err.retryAfterSeconds);
  }
  return { status: entry.status, name: entry.name, body, headers };
}

export function writeError(res: ServerResponse, err: unknown, requestId: string): void {
  const e = toErrorResponse(err);
  const payload = JSON.stringify(e.body);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(e.status, {
    ...e.headers,
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(payload),
    'x-amzn-RequestId': requestId,
  });
  res.end(payload);
}
