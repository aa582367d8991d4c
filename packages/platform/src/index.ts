// Public API of @lambdock/platform: the Lambda service.
export { createPlatform } from './platform.js';
export type { Platform, PlatformOptions } from './platform.js';

// services (what the CLI, console and issue #7/#8 build on)
export { FunctionService, MIN_UNRESERVED } from './functions/function-service.js';
export type { FunctionChange } from './functions/function-service.js';
export type { CreateFunctionCommand, UpdateFunctionCodeCommand, UpdateFunctionConfigurationCommand } from './functions/commands.js';
export { InvokeService, MAX_SYNC_PAYLOAD, MAX_ASYNC_PAYLOAD } from './invoke/invoke-service.js';
export type { InvokeCommand, InvokeOutcome, InvocationType } from './invoke/invoke-service.js';
export { LogService, newStreamName } from './logs/log-service.js';
export type { LogEvent, StoredLogEvent, LogStreamInfo, GetEventsOptions, FilterEventsOptions, FilteredLogEvent, LogListener } from './logs/log-service.js';
export { MetricsService } from './metrics/metrics.js';
export type { InvokeSample, FunctionMetrics } from './metrics/metrics.js';
export { toConfiguration, toCodeLocation, lambdaTimestamp } from './functions/configuration.js';
export { parseFunctionRef, functionArn } from './functions/names.js';
export type { FunctionRef } from './functions/names.js';
export { isLambdaPath } from './http/router.js';

// function URLs, response streaming, SigV4 authentication (issue #7)
export { FunctionUrlService, matchUrlRequest, URL_PATH_PREFIX } from './urls/url-service.js';
export type { FunctionUrlConfigView } from './urls/url-service.js';
export type { FunctionUrlStore, FunctionUrlRecord, UrlCors, UrlAuthType, UrlInvokeMode } from './urls/url-store.js';
export { SqliteFunctionUrlStore } from './urls/sqlite-url-store.js';
export { functionUrlStoreSuite } from './urls/testsuite.js';
export { buildUrlEvent } from './urls/event.js';
export type { FunctionUrlEvent } from './urls/event.js';
export { Authenticator } from './auth/authenticator.js';
export type { AuthOptions, Caller } from './auth/authenticator.js';
export { withSigV4 } from './auth/gate.js';
export type { InvokeStream } from './invoke/invoke-service.js';
export { toErrorResponse } from './http/error-table.js';

// errors
export {
  LambdaValidationError,
  InvalidParameterError,
  InvalidRequestContentError,
  ThrottledError,
  RequestTooLargeError,
  PreconditionFailedError,
  UnknownOperationError,
  ImageError,
  ServiceError,
} from './errors.js';
export type { ThrottleReason } from './errors.js';

// seams: metadata store and image backend
export type { MetadataStore } from './store/metadata-store.js';
export { SqliteMetadataStore } from './store/sqlite/sqlite-store.js';
export { metadataStoreSuite } from './store/testsuite.js';
export type { ImageService } from './images/image-service.js';
export type { EnvironmentPool, PoolOptions } from './runtime/pool.js';
export type {
  FunctionRecord,
  FunctionSettings,
  PreparedImage,
  ImageProcessConfig,
  FunctionState,
  LastUpdateStatus,
  Architecture,
} from './functions/model.js';

// CloudWatch Logs API over the function logs (issue #7)
export { createLogsApi, LOGS_TARGET_PREFIX } from './logs-api/handler.js';
export type { LogsApi } from './logs-api/handler.js';
export { RETENTION_DAYS } from './logs-api/retention.js';

// Versions and aliases (issue #7)
export { VersionService } from './versions/version-service.js';
export type { PublishVersionInput, AliasInput } from './versions/version-service.js';
export type { VersionStore, AliasRecord } from './versions/version-store.js';
export { SqliteVersionStore } from './versions/sqlite-versions.js';
export { versionStoreSuite } from './versions/testsuite.js';
export type { QualifiedFunctions } from './functions/function-service.js';

// Asynchronous invocation (issue #7): the queue seam, its SQLite backend and conformance suite, the dispatcher
export type { EventQueue, NewEvent, QueuedEvent, EventMeta } from './async/queue.js';
export { SqliteEventQueue } from './async/sqlite-queue.js';
export { eventQueueSuite } from './async/testsuite.js';
export { AsyncDispatcher } from './async/dispatcher.js';
export type { AsyncDispatcherOptions, DeliveryCondition } from './async/dispatcher.js';
export { EventInvokeConfigService, DEFAULT_MAX_RETRY_ATTEMPTS, DEFAULT_MAX_EVENT_AGE_SECONDS } from './async/event-invoke-configs.js';
export type { EventInvokeConfig, EventInvokeConfigStore } from './async/config-store.js';
export { SqliteEventInvokeConfigStore } from './async/sqlite-configs.js';
export { eventInvokeConfigStoreSuite } from './async/config-testsuite.js';
