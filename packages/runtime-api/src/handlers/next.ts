import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RuntimeEnvironment } from '../environment.js';
import type { InvokeRequest } from '../types.js';

/** GET /2018-06-01/runtime/invocation/next — long poll for the next event. */
export function handleNext(env: RuntimeEnvironment, _req: IncomingMessage, res: ServerResponse): void {
  const cancel = env.runtimeNext((inv) => writeEvent(res, inv));
  // A runtime that dies while parked must not be handed the next event.
  if (cancel) res.once('close', cancel);
}

function writeEvent(res: ServerResponse, inv: InvokeRequest): void {
  if (res.destroyed) return;
  const headers: Record<string, string | number> = {
    'Content-Type': inv.contentType ?? 'application/json',
    'Lambda-Runtime-Aws-Request-Id': inv.requestId,
    'Lambda-Runtime-Deadline-Ms': inv.deadlineMs,
    'Lambda-Runtime-Invoked-Function-Arn': inv.invokedFunctionArn,
    'Content-Length': inv.payload.length,
  };
  if (inv.traceId) headers['Lambda-Runtime-Trace-Id'] = inv.traceId;
  if (inv.clientContext) headers['Lambda-Runtime-Client-Context'] = inv.clientContext;
  if (inv.cognitoIdentity) headers['Lambda-Runtime-Cognito-Identity'] = inv.cognitoIdentity;
  res.writeHead(200, headers);
  res.end(inv.payload);
}
