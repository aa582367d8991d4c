import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { RuntimeEnvironment } from './environment.js';
import { ErrorType, RuntimeApiError } from './errors.js';
import { sendError } from './http-util.js';
import { handleNext } from './handlers/next.js';
import { handleResponse } from './handlers/response.js';
import { handleInvocationError } from './handlers/error.js';
import { handleInitError } from './handlers/init-error.js';
import { handleExtensionRegister } from './handlers/extension-register.js';
import { handleExtensionNext } from './handlers/extension-next.js';
import { handleExtensionError } from './handlers/extension-error.js';
import { handleTelemetrySubscribe } from './handlers/telemetry.js';

const NEXT = '/2018-06-01/runtime/invocation/next';
const INVOCATION = '/2018-06-01/runtime/invocation/';
const INIT_ERROR = '/2018-06-01/runtime/init/error';
const EXT_REGISTER = '/2020-01-01/extension/register';
const EXT_NEXT = '/2020-01-01/extension/event/next';
const EXT_INIT_ERROR = '/2020-01-01/extension/init/error';
const EXT_EXIT_ERROR = '/2020-01-01/extension/exit/error';
const TELEMETRY = '/2022-07-01/telemetry';
const LOGS = '/2020-08-15/logs';

function decodeId(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new RuntimeApiError(400, ErrorType.InvalidRequestID, 'Invalid request ID');
  }
}

function methodNotAllowed(method: string | undefined): RuntimeApiError {
  return new RuntimeApiError(405, ErrorType.MethodNotAllowed, `Method ${method ?? ''} not allowed`);
}

function expect(req: IncomingMessage, method: string): void {
  if (req.method !== method) throw methodNotAllowed(req.method);
}

/**
 * Routes one Runtime/Extensions/Telemetry API request to its handler for `env`.
 * Handlers parse the request and call the environment; every refusal is a
 * RuntimeApiError rendered as Lambda's JSON error body in sendError.
 */
export function handleRuntimeApiRequest(env: RuntimeEnvironment, req: IncomingMessage, res: ServerResponse): void {
  try {
    route(env, req, res);
  } catch (err) {
    sendError(res, err);
  }
}

function route(env: RuntimeEnvironment, req: IncomingMessage, res: ServerResponse): void {
  let url = req.url ?? '';
  const q = url.indexOf('?');
  if (q >= 0) url = url.slice(0, q);
  // Hot path first: next, then response.
  if (url === NEXT) {
    expect(req, 'GET');
    return handleNext(env, req, res);
  }
  if (url.startsWith(INVOCATION)) {
    const rest = url.slice(INVOCATION.length);
    const slash = rest.indexOf('/');
    if (slash > 0) {
      const id = decodeId(rest.slice(0, slash));
      const action = rest.slice(slash + 1);
      if (action === 'response') {
        expect(req, 'POST');
        return handleResponse(env, id, req, res);
      }
      if (action === 'error') {
        expect(req, 'POST');
        return void handleInvocationError(env, id, req, res).catch((e) => sendError(res, e));
      }
    }
  } else if (url === INIT_ERROR) {
    expect(req, 'POST');
    return void handleInitError(env, req, res).catch((e) => sendError(res, e));
  } else if (url === EXT_NEXT) {
    expect(req, 'GET');
    return handleExtensionNext(env, req, res);
  } else if (url === EXT_REGISTER) {
    expect(req, 'POST');
    return void handleExtensionRegister(env, req, res).catch((e) => sendError(res, e));
  } else if (url === EXT_INIT_ERROR || url === EXT_EXIT_ERROR) {
    expect(req, 'POST');
    return void handleExtensionError(env, url === EXT_INIT_ERROR ? 'init' : 'exit', req, res).catch((e) => sendError(res, e));
  } else if (url === TELEMETRY || url === LOGS) {
    expect(req, 'PUT');
    return void handleTelemetrySubscribe(env, url === LOGS, req, res).catch((e) => sendError(res, e));
  }
  throw new RuntimeApiError(404, ErrorType.NotFound, `No Runtime API route for ${req.method ?? ''} ${url}`);
}

/**
 * An HTTP server for the Runtime API that serves many environments: `pick` chooses
 * the environment for a request (the platform by the connection's source address,
 * the emulator always its one). Unknown callers get 403.
 */
export function createRuntimeApiServer(pick: (req: IncomingMessage) => RuntimeEnvironment | undefined): http.Server {
  // Lambda's Runtime API (Go) takes up to 1 MiB of headers; runtimes put whole error causes in
  // Lambda-Runtime-Function-XRay-Error-Cause and trailers, which Node's 16 KiB default would refuse.
  const server = http.createServer({ noDelay: true, keepAlive: true, requestTimeout: 0, maxHeaderSize: 1024 * 1024 }, (req, res) => {
    const env = pick(req);
    if (!env) {
      sendError(res, new RuntimeApiError(403, ErrorType.NoEnvironment, 'No execution environment is served at this address'));
      return;
    }
    handleRuntimeApiRequest(env, req, res);
  });
  // Runtimes hold one keep-alive connection for hours between long polls.
  server.keepAliveTimeout = 0;
  server.headersTimeout = 60_000;
  return server;
}
