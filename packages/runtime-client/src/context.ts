/**
 * The `context` object handed to handlers: function facts from the environment
 * (read once: they do not change during the process's life) and invocation facts
 * from the `next` response headers.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { PlatformError } from './errors.js';

/** Facts about the function, from `AWS_LAMBDA_*` variables. */
export interface FunctionInfo {
  functionName: string | undefined;
  functionVersion: string | undefined;
  /** A string, as Lambda gives it (`"128"`). */
  memoryLimitInMB: string | undefined;
  logGroupName: string | undefined;
  logStreamName: string | undefined;
}

export function functionInfoFromEnv(env: NodeJS.ProcessEnv = process.env): FunctionInfo {
  return {
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
  };
}

/** Everything a handler's `context` carries. */
export interface LambdaContext extends FunctionInfo {
  awsRequestId: string;
  invokedFunctionArn: string | undefined;
  /** Parsed `Lambda-Runtime-Client-Context` (mobile SDK client context), if sent. */
  clientContext: unknown;
  /** Parsed `Lambda-Runtime-Cognito-Identity`, if sent. */
  identity: unknown;
  /** Present when the invoke carried a tenant id. */
  tenantId?: string;
  /** Milliseconds until the invocation's deadline. */
  getRemainingTimeInMillis(): number;
  /**
   * Callback handlers only: `true` (default) sends the callback's result once the event loop is
   * empty; `false` sends it at once and leaves pending work frozen until the next invoke.
   */
  callbackWaitsForEmptyEventLoop: boolean;
  /** Legacy completion methods (callback handlers): the first call of any of them wins. */
  done(error?: unknown, result?: unknown): void;
  succeed(result?: unknown): void;
  fail(error?: unknown): void;
}

/** Invocation facts parsed from the `next` headers. */
export interface InvocationFacts {
  awsRequestId: string;
  invokedFunctionArn: string | undefined;
  deadlineMs: number;
  clientContext: unknown;
  identity: unknown;
  traceId: string | undefined;
  tenantId: string | undefined;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function parseJsonHeader(value: string | undefined, name: string): unknown {
  if (value === undefined || value === '') return undefined;
  try {
    return JSON.parse(value);
  } catch (err) {
    throw new PlatformError(`Cannot parse ${name} as json: ${(err as Error).message}`);
  }
}

/** Read the invocation headers; throws `Runtime.PlatformError` when they are unusable. */
export function invocationFacts(requestId: string, headers: IncomingHttpHeaders): InvocationFacts {
  const deadlineMs = Number.parseInt(header(headers, 'lambda-runtime-deadline-ms') ?? '', 10);
  if (Number.isNaN(deadlineMs)) throw new PlatformError('Invalid deadline timestamp');
  return {
    awsRequestId: requestId,
    invokedFunctionArn: header(headers, 'lambda-runtime-invoked-function-arn'),
    deadlineMs,
    clientContext: parseJsonHeader(header(headers, 'lambda-runtime-client-context'), 'ClientContext'),
    identity: parseJsonHeader(header(headers, 'lambda-runtime-cognito-identity'), 'CognitoIdentity'),
    traceId: header(headers, 'lambda-runtime-trace-id'),
    tenantId: header(headers, 'lambda-runtime-aws-tenant-id'),
  };
}

/** The part of the context that completes an invocation: set by the runtime per invocation. */
export interface CompletionHooks {
  getWaits(): boolean;
  setWaits(value: boolean): void;
  done(error?: unknown, result?: unknown): void;
  succeed(result?: unknown): void;
  fail(error?: unknown): void;
}

/** Build one invocation's context. */
export function buildContext(info: FunctionInfo, facts: InvocationFacts, hooks: CompletionHooks): LambdaContext {
  const deadline = facts.deadlineMs;
  const context: LambdaContext = {
    get callbackWaitsForEmptyEventLoop() {
      return hooks.getWaits();
    },
    set callbackWaitsForEmptyEventLoop(value: boolean) {
      hooks.setWaits(value);
    },
    succeed: hooks.succeed,
    fail: hooks.fail,
    done: hooks.done,
    functionName: info.functionName,
    functionVersion: info.functionVersion,
    memoryLimitInMB: info.memoryLimitInMB,
    logGroupName: info.logGroupName,
    logStreamName: info.logStreamName,
    clientContext: facts.clientContext,
    identity: facts.identity,
    invokedFunctionArn: facts.invokedFunctionArn,
    awsRequestId: facts.awsRequestId,
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
  if (facts.tenantId !== undefined) context.tenantId = facts.tenantId;
  return context;
}
