/**
 * Errors the runtime raises on purpose. Their `name` is the Lambda error type
 * (`Runtime.Xxx`) because that is what reaches the invoker as `errorType`;
 * `code` is the stable machine-readable key inside Lambdock.
 *
 * This package imports nothing (it ships alone inside images), so it keeps its
 * own small base class instead of the one in `@lambdock/common`.
 */
export class RuntimeClientError extends Error {
  declare readonly code: string;

  constructor(code: string, errorType: string, message: string) {
    super(message);
    // Not enumerable: logged errors look like Lambda's (no Lambdock-internal fields in them).
    Object.defineProperty(this, 'code', { value: code, enumerable: false, writable: false, configurable: true });
    // `err.name` is the Lambda type. Not enumerable, like Error's own name, so logged JSON
    // looks like Lambda's; the stack is captured again so its first line names the type too.
    Object.defineProperty(this, 'name', { value: errorType, enumerable: false, writable: true, configurable: true });
    Error.captureStackTrace(this, new.target);
  }
}

/** The handler string cannot be split into module and function, or walks out of the task root. */
export class MalformedHandlerName extends RuntimeClientError {
  constructor(message: string) {
    super('MALFORMED_HANDLER_NAME', 'Runtime.MalformedHandlerName', message);
  }
}

/** The module loaded, but the named export is missing or is not a function. */
export class HandlerNotFound extends RuntimeClientError {
  constructor(message: string) {
    super('HANDLER_NOT_FOUND', 'Runtime.HandlerNotFound', message);
  }
}

/** The handler's module (or something it imports) cannot be found. */
export class ImportModuleError extends RuntimeClientError {
  constructor(cause: unknown) {
    // Lambda's message is the stringified original error ("Error: Cannot find module 'x'…").
    super('IMPORT_MODULE', 'Runtime.ImportModuleError', String(cause));
  }
}

/** The handler's module does not parse. */
export class UserCodeSyntaxError extends RuntimeClientError {
  constructor(cause: unknown) {
    super('USER_CODE_SYNTAX', 'Runtime.UserCodeSyntaxError', String(cause));
    if (cause instanceof Error && typeof cause.stack === 'string') this.stack = cause.stack;
  }
}

/** A callback-style handler `(event, context, callback)` on Node.js 24 or later. */
export class CallbackHandlerDeprecated extends RuntimeClientError {
  constructor() {
    super(
      'CALLBACK_HANDLER_DEPRECATED',
      'Runtime.CallbackHandlerDeprecated',
      'ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node.js 24. ' +
        'You need to modify this function to use a supported handler signature to use Node.js 24 or later. ' +
        'For more information see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.',
    );
  }
}

/** `handler[streaming symbol]` holds something other than `"response"`. */
export class MalformedStreamingHandler extends RuntimeClientError {
  constructor(message: string) {
    super('MALFORMED_STREAMING_HANDLER', 'Runtime.MalformedStreamingHandler', message);
  }
}

/** A response stream was used in a way the protocol cannot express (e.g. content type after the first byte). */
export class InvalidStreamingOperation extends RuntimeClientError {
  constructor(message: string) {
    super('INVALID_STREAMING_OPERATION', 'Runtime.InvalidStreamingOperation', message);
  }
}

/** A promise rejected with nobody listening; the process exits after reporting it. */
export class UnhandledPromiseRejection extends RuntimeClientError {
  readonly reason: unknown;

  constructor(reason: unknown) {
    super('UNHANDLED_PROMISE_REJECTION', 'Runtime.UnhandledPromiseRejection', String(reason));
    this.reason = reason;
  }
}

/** An async handler's promise never settled and the event loop ran dry. */
export class NodeJsExit extends RuntimeClientError {
  constructor() {
    super(
      'NODEJS_EXIT',
      'Runtime.NodeJsExit',
      'The Lambda runtime client detected an unexpected Node.js exit code. This is most commonly caused by a Promise ' +
        'that was never settled. For more information, see https://nodejs.org/docs/latest/api/process.html#exit-codes',
    );
  }
}

/** The handler's result cannot be turned into JSON (cycles, BigInt…). */
export class JSONStringifyError extends RuntimeClientError {
  constructor(cause: unknown) {
    super('JSON_STRINGIFY', 'Runtime.JSONStringifyError', `Unable to stringify response body: ${String(cause)}`);
  }
}

/** The event body is not JSON. */
export class UnmarshalError extends RuntimeClientError {
  constructor(cause: unknown) {
    super('UNMARSHAL', 'Runtime.UnmarshalError', `Unable to unmarshal input: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** The Runtime API sent something the runtime cannot work with (bad header, missing request id). */
export class PlatformError extends RuntimeClientError {
  constructor(message: string) {
    super('PLATFORM', 'Runtime.PlatformError', message);
  }
}
