// CommonJS handlers (no package.json: .js files are CommonJS).
'use strict';

exports.asyncEcho = async (event) => ({ echo: event });

// Every documented context field, as the handler sees it.
exports.context = async (event, context) => ({
  awsRequestId: context.awsRequestId,
  invokedFunctionArn: context.invokedFunctionArn,
  functionName: context.functionName,
  functionVersion: context.functionVersion,
  memoryLimitInMB: context.memoryLimitInMB,
  memoryLimitIsString: typeof context.memoryLimitInMB === 'string',
  logGroupName: context.logGroupName,
  logStreamName: context.logStreamName,
  clientContext: context.clientContext ?? null,
  identity: context.identity ?? null,
  remainingIsPositive: context.getRemainingTimeInMillis() > 0,
  // Lambda's longest timeout is 15 minutes.
  remainingWithinMaxTimeout: context.getRemainingTimeInMillis() <= 900000,
  callbackWaitsForEmptyEventLoop: context.callbackWaitsForEmptyEventLoop,
  hasLegacyMethods: ['done', 'succeed', 'fail'].every((m) => typeof context[m] === 'function'),
  traceEnv: process.env._X_AMZN_TRACE_ID ?? null,
});

// A plain function that returns a value without calling back: Lambda answers null.
exports.syncNoCallback = (event) => 'ignored';

// A plain function returning a promise: the promise's value is the answer.
exports.promiseReturning = (event) => Promise.resolve({ viaPromise: true });

exports.undefinedResult = async () => undefined;

exports.legacySucceed = (event, context) => {
  context.succeed({ legacy: 'succeed' });
};

exports.legacyFail = (event, context) => {
  context.fail(new Error('legacy fail'));
};

// Not JSON-serialisable.
exports.circular = async () => {
  const a = {};
  a.self = a;
  return a;
};

// Several invocations in one process: module state survives between them.
let count = 0;
exports.counter = async () => ({ count: ++count });

// An async handler whose promise can never settle, with nothing else pending.
exports.neverSettles = async () => new Promise(() => {});

// What the process was started with: environment variables named in the event, and node flags.
exports.processInfo = async (event) => ({
  env: Object.fromEntries((event.names ?? []).map((n) => [n, process.env[n] ?? null])),
  execArgv: process.execArgv,
});
