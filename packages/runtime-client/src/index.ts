/**
 * Lambdock's Node.js runtime interface client.
 *
 * As a program (what `/var/runtime/bootstrap` runs):
 *   node /var/runtime/index.js [handler]      handler defaults to $_HANDLER
 * talks to the Runtime API at $AWS_LAMBDA_RUNTIME_API and loads the handler from
 * $LAMBDA_TASK_ROOT (default: the working directory).
 *
 * As a library: `await startRuntime({ runtimeApi, handler, taskRoot })`.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { installAwsLambdaGlobal } from './awslambda.js';
import { functionInfoFromEnv } from './context.js';
import { checkCallbackStyle, handlerMetadata, loadHandler, type AnyHandler } from './handler-loader.js';
import { logSettingsFromEnv, patchConsole, type LogSettings } from './logging.js';
import { RuntimeApiClient } from './rapid-client.js';
import { Runtime } from './runtime.js';

export { streamifyResponse, installAwsLambdaGlobal, type StreamifyOptions, type AwsLambdaGlobal } from './awslambda.js';
export { buildContext, functionInfoFromEnv, invocationFacts, type FunctionInfo, type LambdaContext, type InvocationFacts } from './context.js';
export { toErrorResponse, toFormatted, toXRayCause, intoError, headerSafe, type ErrorResponse } from './error-format.js';
export * from './errors.js';
export {
  loadHandler,
  parseHandlerString,
  resolveHandler,
  handlerMetadata,
  checkCallbackStyle,
  folderIsTypeModule,
  HANDLER_STREAMING,
  HANDLER_HIGHWATERMARK,
  NODE_MAJOR,
  type AnyHandler,
  type HandlerMetadata,
  type HandlerName,
  type LoadedHandler,
} from './handler-loader.js';
export {
  LOG_LEVELS,
  formatJsonRecord,
  formatTextRecord,
  logSettingsFromEnv,
  patchConsole,
  setCurrentRequestId,
  currentRequestId,
  type LogFormat,
  type LogLevel,
  type LogSettings,
  type RuntimeLogger,
} from './logging.js';
export { RuntimeApiClient, RuntimeApiError, parseRuntimeApiAddress, type Invocation, type ApiReply } from './rapid-client.js';
export { ResponseStream, HttpResponseStream, HTTP_INTEGRATION_CONTENT_TYPE } from './response-stream.js';
export { Runtime, EXIT_UNCAUGHT_EXCEPTION, EXIT_UNHANDLED_REJECTION, type Phase } from './runtime.js';

export interface StartRuntimeOptions {
  /** `host:port` of the Runtime API; default `$AWS_LAMBDA_RUNTIME_API`. */
  runtimeApi?: string;
  /** Handler string (`dir/module.fn`) or the handler function itself; default `$_HANDLER`. */
  handler?: string | AnyHandler;
  /** Where handler strings are resolved; default `$LAMBDA_TASK_ROOT`, else the working directory. */
  taskRoot?: string;
  /** Console settings; default from `AWS_LAMBDA_LOG_FORMAT` / `AWS_LAMBDA_LOG_LEVEL`. */
  log?: LogSettings;
}

/**
 * Run the function in this process: patch the console, install `awslambda`, load the handler
 * (an init failure is posted to `/runtime/init/error` and the process exits with 129), then take
 * events until the process ends. Resolves once init succeeded and the loop is running.
 * This owns the process: console, `uncaughtException`/`unhandledRejection`/`beforeExit` listeners.
 */
export async function startRuntime(options: StartRuntimeOptions = {}): Promise<Runtime> {
  const logger = patchConsole(options.log ?? logSettingsFromEnv());
  const address = options.runtimeApi ?? process.env.AWS_LAMBDA_RUNTIME_API;
  if (!address) throw new Error('Missing Runtime API Server configuration: set AWS_LAMBDA_RUNTIME_API to host:port.');
  const client = new RuntimeApiClient(address);
  const runtime = new Runtime({ client, logger, info: functionInfoFromEnv() });
  runtime.installProcessHooks();
  installAwsLambdaGlobal();
  const spec = options.handler ?? process.env._HANDLER ?? '';
  const taskRoot = options.taskRoot ?? process.env.LAMBDA_TASK_ROOT ?? process.cwd();
  try {
    const loaded = typeof spec === 'function' ? { handler: spec, metadata: handlerMetadata(spec) } : await loadHandler(taskRoot, spec);
    checkCallbackStyle(loaded.metadata);
    runtime.start(loaded.handler, loaded.metadata);
  } catch (err) {
    await runtime.failInit(err);
  }
  return runtime;
}

function runningAsProgram(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (runningAsProgram()) {
  startRuntime({ handler: process.argv[2] || undefined }).catch((err: unknown) => {
    process.stderr.write(`lambdock runtime: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
