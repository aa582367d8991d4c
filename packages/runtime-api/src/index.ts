export { RuntimeEnvironment } from './environment.js';
export type { RuntimeEnvironmentOptions, ExtensionEvent } from './environment.js';
export type { EnvironmentState } from './state.js';
export { environmentTransitions } from './state.js';
export type {
  InvokeRequest,
  InvokeResult,
  StreamOptions,
  InvokeDone,
  InitErrorEvent,
  ExtensionEventType,
  ShutdownReason,
} from './types.js';
export { ErrorType, MAX_PAYLOAD_BYTES, RuntimeApiError, InvokeFailedError, validRuntimeErrorType } from './errors.js';
export type { ErrorTypeName } from './errors.js';
export { handleRuntimeApiRequest, createRuntimeApiServer } from './router.js';
export { startLine, endLine, reportLine, timeoutLine } from './report.js';
export { discoverExtensions, launchExtensions } from './extensions.js';
export type { LaunchedExtension, LaunchExtensionsOptions } from './extensions.js';
export { parseSubscription, TelemetryHub } from './telemetry.js';
export type { TelemetryEvent, TelemetrySubscription, TelemetryStream, Buffering } from './telemetry.js';
export { encodeEventStreamMessage, payloadChunkEvent, invokeCompleteEvent } from './eventstream.js';
