import { LambdockError } from '@lambdock/common';

/**
 * Lambda's error names, as the Runtime, Extensions and Telemetry APIs and the
 * invoke path report them. Clients match on these strings, so they never change.
 */
export const ErrorType = {
  // Runtime API (request errors answered to the runtime)
  InvalidStateTransition: 'InvalidStateTransition',
  InvalidRequestID: 'InvalidRequestID',
  RequestEntityTooLarge: 'RequestEntityTooLarge',
  InvalidFunctionResponseMode: 'InvalidFunctionResponseMode',
  NotFound: 'NotFound',
  MethodNotAllowed: 'MethodNotAllowed',
  NoEnvironment: 'NoEnvironment',
  // Extensions API
  ExtensionInvalidName: 'Extension.InvalidExtensionName',
  ExtensionRegistrationClosed: 'Extension.RegistrationClosed',
  ExtensionMissingIdentifier: 'Extension.MissingExtensionIdentifier',
  ExtensionInvalidIdentifier: 'Extension.InvalidExtensionIdentifier',
  ExtensionTooMany: 'Extension.TooManyExtensions',
  ExtensionInvalidEventType: 'Extension.InvalidEventType',
  ExtensionShutdownNotSupported: 'ShutdownEventNotSupportedForInternalExtension',
  ExtensionInvalidState: 'Extension.InvalidExtensionState',
  ExtensionMissingHeader: 'Extension.MissingHeader',
  InvalidRequestFormat: 'InvalidRequestFormat',
  // Telemetry API
  TelemetryValidation: 'ValidationError',
  // Errors an invoker sees (function / runtime / sandbox failures)
  RuntimeUnknown: 'Runtime.Unknown',
  RuntimeExitError: 'Runtime.ExitError',
  RuntimeInitError: 'Runtime.InitError',
  ExtensionInitError: 'Extension.InitError',
  ExtensionCrash: 'Extension.Crash',
  SandboxTimedout: 'Sandbox.Timedout',
  SandboxFailure: 'Sandbox.Failure',
  FunctionResponseSizeTooLarge: 'Function.ResponseSizeTooLarge',
} as const;
export type ErrorTypeName = (typeof ErrorType)[keyof typeof ErrorType];

/** Largest buffered response Lambda accepts: 6 MB plus 100 bytes of slack, as Lambda counts it. */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024 + 100;

/** Error types posted by a runtime count only when they look like Lambda's own (`Runtime.X`, `Function.X`). */
const validErrorType = /^(Runtime|Function|Extension)\.[A-Za-z0-9]+$/;
export function validRuntimeErrorType(raw: string | undefined): string {
  return raw !== undefined && validErrorType.test(raw) ? raw : ErrorType.RuntimeUnknown;
}

/** A Runtime/Extensions/Telemetry API request refused; knows its own HTTP status and body. */
export class RuntimeApiError extends LambdockError {
  readonly status: number;
  readonly errorType: string;
  constructor(status: number, errorType: string, message: string) {
    super('RUNTIME_API', message, { details: { status, errorType } });
    this.status = status;
    this.errorType = errorType;
  }
  body(): string {
    return JSON.stringify({ errorMessage: this.message, errorType: this.errorType });
  }
}

/**
 * An invoke that ended without a function result: init failed, the owner reported a
 * crash/timeout/OOM, or the environment shut down. `payload` is the JSON body Lambda
 * shows the invoker (with `X-Amz-Function-Error: Unhandled`).
 */
export class InvokeFailedError extends LambdockError {
  readonly errorType: string;
  readonly payload: Buffer;
  /** The event never reached a runtime: safe to retry in another environment. */
  readonly notStarted: boolean;
  constructor(errorType: string, errorMessage: string, payload?: Buffer, notStarted = false) {
    super('INVOKE_FAILED', errorMessage, { details: { errorType } });
    this.errorType = errorType;
    this.notStarted = notStarted;
    this.payload = payload ?? Buffer.from(JSON.stringify({ errorMessage, errorType }));
  }
}

export function stateTransitionError(from: string, to: string, who = 'runtime'): RuntimeApiError {
  return new RuntimeApiError(
    403,
    ErrorType.InvalidStateTransition,
    `State transition from ${from} to ${to} failed for ${who}. Error: State transition is not allowed`,
  );
}
