/**
 * The one base class for every error Lambdock raises on purpose.
 *
 * `code` is stable and machine-readable; HTTP edges map codes to protocol error
 * names and statuses in one table each (Lambda, ECR, OCI distribution), never by
 * matching messages.
 */
export class LambdockError extends Error {
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details ?? {};
  }
}

/** Input that breaks a rule (bad name, bad JSON, out-of-range value). */
export class ValidationError extends LambdockError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('VALIDATION', message, { details });
  }
}

/** Something addressed by name or digest does not exist. */
export class NotFoundError extends LambdockError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('NOT_FOUND', message, { details });
  }
}

/** The request conflicts with current state (already exists, wrong lifecycle state). */
export class ConflictError extends LambdockError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('CONFLICT', message, { details });
  }
}

/** Content did not match its declared digest or size. */
export class IntegrityError extends LambdockError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('INTEGRITY', message, { details });
  }
}

/** A lifecycle state machine was asked for a transition it does not allow. */
export class InvalidTransitionError extends LambdockError {
  constructor(machine: string, from: string, to: string) {
    super('INVALID_TRANSITION', `${machine}: transition ${from} -> ${to} is not allowed`, { details: { machine, from, to } });
  }
}

export function isLambdockError(err: unknown): err is LambdockError {
  return err instanceof LambdockError;
}
