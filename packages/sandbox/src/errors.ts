import { LambdockError } from '@lambdock/common';

/** The backend cannot run on this host (not root, runc or cgroup v1 missing). */
export class SandboxUnavailableError extends LambdockError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('SANDBOX_UNAVAILABLE', message, { details });
  }
}

/** Host-side preparation of a sandbox failed (mount, network, cgroups); nothing is left behind. */
export class SandboxSetupError extends LambdockError {
  constructor(message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super('SANDBOX_SETUP_FAILED', message, options);
  }
}

/** The sandbox's process could not be started (bad executable, cwd, runc failure). */
export class SandboxStartError extends LambdockError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('SANDBOX_START_FAILED', message, { details });
  }
}
