import { LambdockError } from '@lambdock/common';

/**
 * Errors the Lambda service raises on purpose. Each carries a stable `code`; the
 * HTTP edge (http/error-table.ts) maps codes to AWS error names and statuses in one
 * table. Messages are AWS's own wording because clients show them to people.
 */

/** `1 validation error detected: Value '…' at '…' failed to satisfy constraint: …` */
export class LambdaValidationError extends LambdockError {
  constructor(violations: Array<{ value: unknown; path: string; constraint: string }>) {
    const n = violations.length;
    const parts = violations.map((v) => `Value '${formatValue(v.value)}' at '${v.path}' failed to satisfy constraint: ${v.constraint}`);
    super('VALIDATION', `${n} validation error${n === 1 ? '' : 's'} detected: ${parts.join('; ')}`, { details: { violations } });
  }
}

function formatValue(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** A parameter is well-formed but not acceptable (AWS: InvalidParameterValueException). */
export class InvalidParameterError extends LambdockError {
  constructor(message: string) {
    super('INVALID_PARAMETER', message);
  }
}

/** The request body is not the JSON the operation expects (AWS: InvalidRequestContentException). */
export class InvalidRequestContentError extends LambdockError {
  constructor(message: string) {
    super('INVALID_REQUEST_CONTENT', message);
  }
}

export type ThrottleReason =
  | 'ConcurrentInvocationLimitExceeded'
  | 'ReservedFunctionConcurrentInvocationLimitExceeded'
  | 'FunctionInvocationRateLimitExceeded'
  | 'CallerRateLimitExceeded';

/** Concurrency exhausted (AWS: TooManyRequestsException, 429, `Rate Exceeded.`). */
export class ThrottledError extends LambdockError {
  constructor(
    readonly reason: ThrottleReason,
    readonly retryAfterSeconds = 1,
  ) {
    super('THROTTLED', 'Rate Exceeded.', { details: { reason, retryAfterSeconds } });
  }
}

/** Request payload over the limit (AWS: RequestEntityTooLargeException, 413). */
export class RequestTooLargeError extends LambdockError {
  constructor(message: string) {
    super('REQUEST_TOO_LARGE', message);
  }
}

/** RevisionId did not match (AWS: PreconditionFailedException, 412). */
export class PreconditionFailedError extends LambdockError {
  constructor(message: string) {
    super('PRECONDITION_FAILED', message);
  }
}

/** No operation is served at this method and path. */
export class UnknownOperationError extends LambdockError {
  constructor(method: string, path: string) {
    super('UNKNOWN_OPERATION', `No operation matches ${method} ${path}`);
  }
}

/** The image could not be used; `reason` is the StateReasonCode the function shows. */
export class ImageError extends LambdockError {
  constructor(
    readonly reason: 'ImageAccessDenied' | 'ImageDeleted' | 'InvalidImage',
    message: string,
    cause?: unknown,
  ) {
    super('IMAGE', message, { cause, details: { reason } });
  }
}

/** Something failed inside the service (AWS: ServiceException, 500). */
export class ServiceError extends LambdockError {
  constructor(message: string, cause?: unknown) {
    super('SERVICE', message, { cause });
  }
}
