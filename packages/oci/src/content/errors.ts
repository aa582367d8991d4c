import { ConflictError, IntegrityError, LambdockError } from '@lambdock/common';

/** Committed bytes hash to something other than the expected digest. */
export class DigestMismatchError extends IntegrityError {
  override readonly code: string = 'DIGEST_MISMATCH';
  constructor(expected: string, actual: string) {
    super(`content digest mismatch: expected ${expected}, got ${actual}`, { expected, actual });
  }
}

/** Bytes written differ in length from the expected size. */
export class SizeMismatchError extends IntegrityError {
  override readonly code: string = 'SIZE_MISMATCH';
  constructor(expected: number, actual: number, message?: string) {
    super(message ?? `content size mismatch: expected ${expected} bytes, got ${actual}`, { expected, actual });
  }
}

/** Another writer holds this ingest ref. */
export class IngestLockedError extends ConflictError {
  override readonly code: string = 'INGEST_LOCKED';
  constructor(ref: string) {
    super(`ingest "${ref}" is already being written by another writer`, { ref });
  }
}

/** A byte range outside the blob. */
export class RangeInvalidError extends LambdockError {
  constructor(message: string, details: Record<string, unknown>) {
    super('RANGE_INVALID', message, { details });
  }
}
