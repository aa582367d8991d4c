export type { SandboxSpec, SandboxExit, SandboxStats, Sandbox, SandboxRuntime, CheckResult } from './runtime.js';
export { SandboxUnavailableError, SandboxSetupError, SandboxStartError } from './errors.js';
export { RuncRuntime } from './runc/runtime.js';
export type { RuncRuntimeOptions } from './runc/runtime.js';
export { LAMBDA_UID, LAMBDA_GID } from './runc/spec.js';
