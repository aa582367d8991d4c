import { LambdockError } from '@lambdock/common';

/** One entry of the distribution spec's error body: `{"errors":[{code,message,detail}]}`. */
export interface RegistryErrorEntry {
  code: string;
  message?: string;
  detail?: unknown;
}

/**
 * An error answered by a registry. `code` is the distribution spec's code when the
 * registry sent one (MANIFEST_UNKNOWN, BLOB_UNKNOWN, NAME_UNKNOWN, UNAUTHORIZED, DENIED,
 * TOOMANYREQUESTS, ...), otherwise one derived from the HTTP status, so callers can
 * branch on a stable `code` whatever the registry's wording.
 */
export class RegistryError extends LambdockError {
  readonly status: number;
  readonly errors: readonly RegistryErrorEntry[];

  constructor(code: string, message: string, opts: { status: number; errors?: RegistryErrorEntry[]; url?: string; cause?: unknown }) {
    super(code, message, { cause: opts.cause, details: { status: opts.status, url: opts.url, errors: opts.errors ?? [] } });
    this.status = opts.status;
    this.errors = opts.errors ?? [];
  }
}

/** The manifest (tag or digest) does not exist in the repository. */
export class ManifestUnknownError extends RegistryError {}
/** The blob does not exist in the repository. */
export class BlobUnknownError extends RegistryError {}
/** The repository does not exist (or is hidden from these credentials). */
export class NameUnknownError extends RegistryError {}
/** Authentication is required or the credentials were rejected. */
export class UnauthorizedError extends RegistryError {}
/** Authenticated but not allowed to perform the operation. */
export class DeniedError extends RegistryError {}

/** The registry could not be reached (DNS, refused, reset, TLS). */
export class RegistryUnreachableError extends LambdockError {
  constructor(url: string, cause: unknown) {
    super('REGISTRY_UNREACHABLE', `cannot reach registry at ${url}: ${(cause as Error)?.message ?? String(cause)}`, { cause, details: { url } });
  }
}

/** The registry answered something the protocol does not allow (bad header, bad body). */
export class RegistryProtocolError extends LambdockError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('REGISTRY_PROTOCOL', message, { details });
  }
}

const classes: Record<string, new (code: string, message: string, opts: ConstructorParameters<typeof RegistryError>[2]) => RegistryError> = {
  MANIFEST_UNKNOWN: ManifestUnknownError,
  BLOB_UNKNOWN: BlobUnknownError,
  NAME_UNKNOWN: NameUnknownError,
  UNAUTHORIZED: UnauthorizedError,
  DENIED: DeniedError,
};

/** Codes for answers without a (parsable) error body, by HTTP status. */
const byStatus: Record<number, string> = {
  400: 'REGISTRY_BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'DENIED',
  404: 'NOT_FOUND',
  405: 'UNSUPPORTED',
  416: 'RANGE_INVALID',
  429: 'TOOMANYREQUESTS',
};

/** Builds the error for a non-success registry answer from its status and body. */
export function registryErrorFromResponse(status: number, body: Buffer, context: { method: string; url: string; what?: string }): RegistryError {
  let entries: RegistryErrorEntry[] = [];
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { errors?: unknown; details?: unknown };
    if (Array.isArray(parsed.errors)) {
      entries = parsed.errors
        .filter((e): e is RegistryErrorEntry => typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string')
        .map((e) => ({ code: e.code.toUpperCase(), message: typeof e.message === 'string' ? e.message : undefined, detail: e.detail }));
    }
  } catch {
    // not JSON: fall back to the status below
  }
  const first = entries[0];
  const code = first?.code ?? byStatus[status] ?? (status >= 500 ? 'REGISTRY_UNAVAILABLE' : 'REGISTRY_HTTP_ERROR');
  const subject = context.what ? `${context.what}: ` : '';
  const text = first?.message ?? (body.length > 0 && body.length < 300 && !body.includes(0) ? body.toString('utf8').trim() : `HTTP ${status}`);
  const message = `${subject}${code}: ${text} (${context.method} ${context.url} -> ${status})`;
  const Cls = classes[code] ?? RegistryError;
  return new Cls(code, message, { status, errors: entries, url: context.url });
}
