import { LambdockError } from '@lambdock/common';

/**
 * The OCI distribution error codes, registered once with their message and HTTP
 * status (like distribution's registry/api/errcode/register.go). Every error the
 * /v2/ API answers goes through `DistributionError` and `toDistributionError`.
 */
export const distributionCodes = {
  BLOB_UNKNOWN: { status: 404, message: 'blob unknown to registry' },
  BLOB_UPLOAD_INVALID: { status: 400, message: 'blob upload invalid' },
  BLOB_UPLOAD_UNKNOWN: { status: 404, message: 'blob upload unknown to registry' },
  DIGEST_INVALID: { status: 400, message: 'provided digest did not match uploaded content' },
  MANIFEST_BLOB_UNKNOWN: { status: 400, message: 'manifest references a manifest or blob unknown to registry' },
  MANIFEST_INVALID: { status: 400, message: 'manifest invalid' },
  MANIFEST_UNKNOWN: { status: 404, message: 'manifest unknown to registry' },
  NAME_INVALID: { status: 400, message: 'invalid repository name' },
  NAME_UNKNOWN: { status: 404, message: 'repository name not known to registry' },
  SIZE_INVALID: { status: 400, message: 'provided length did not match content length' },
  TAG_INVALID: { status: 400, message: 'manifest tag did not match URI' },
  UNAUTHORIZED: { status: 401, message: 'authentication required' },
  DENIED: { status: 403, message: 'requested access to the resource is denied' },
  UNSUPPORTED: { status: 405, message: 'the operation is unsupported' },
  TOOMANYREQUESTS: { status: 429, message: 'too many requests' },
  RANGE_INVALID: { status: 416, message: 'invalid content range' },
  PAGINATION_NUMBER_INVALID: { status: 400, message: 'invalid number of results requested' },
  UNKNOWN: { status: 500, message: 'unknown error' },
} as const satisfies Record<string, { status: number; message: string }>;

export type DistributionCode = keyof typeof distributionCodes;

/** An error the distribution API reports as `{"errors":[{code,message,detail}]}`. */
export class DistributionError extends LambdockError {
  readonly status: number;
  readonly detail: unknown;
  /** Extra response headers (e.g. Range on 416, WWW-Authenticate on 401). */
  readonly headers: Record<string, string>;

  constructor(
    code: DistributionCode,
    message?: string,
    opts: { detail?: unknown; status?: number; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(code, message ?? distributionCodes[code].message, { cause: opts.cause });
    this.status = opts.status ?? distributionCodes[code].status;
    this.detail = opts.detail;
    this.headers = opts.headers ?? {};
  }

  toJSON(): { errors: { code: string; message: string; detail?: unknown }[] } {
    const e: { code: string; message: string; detail?: unknown } = { code: this.code, message: this.message };
    if (this.detail !== undefined) e.detail = this.detail;
    return { errors: [e] };
  }
}

/**
 * Errors raised below the HTTP edge (oci library, metadata store) carry stable
 * codes; this table maps them to distribution codes so nothing surfaces as a 500
 * that is really the client's fault.
 */
const fromLibraryCode: Record<string, DistributionCode> = {
  DIGEST_INVALID: 'DIGEST_INVALID',
  DIGEST_MISMATCH: 'DIGEST_INVALID',
  INTEGRITY: 'DIGEST_INVALID',
  SIZE_MISMATCH: 'SIZE_INVALID',
  MANIFEST_INVALID: 'MANIFEST_INVALID',
  VALIDATION: 'MANIFEST_INVALID',
  NAME_INVALID: 'NAME_INVALID',
  // a lifecycle transition refused under a race the handlers did not foresee
  INVALID_TRANSITION: 'BLOB_UPLOAD_INVALID',
  INGEST_LOCKED: 'BLOB_UPLOAD_INVALID',
};

export function toDistributionError(err: unknown): DistributionError {
  if (err instanceof DistributionError) return err;
  if (err instanceof LambdockError) {
    const code = fromLibraryCode[err.code];
    if (code) return new DistributionError(code, err.message, { cause: err });
  }
  return new DistributionError('UNKNOWN', undefined, { cause: err });
}
