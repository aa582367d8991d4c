import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RuntimeEnvironment } from '../environment.js';
import { ErrorType, validRuntimeErrorType } from '../errors.js';
import { header, readBody, sendAccepted } from '../http-util.js';

/** POST /2018-06-01/runtime/invocation/{id}/error — the function failed; its body goes to the invoker. */
export async function handleInvocationError(env: RuntimeEnvironment, requestId: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  env.claimResponse(requestId, 'error');
  const errorType = validRuntimeErrorType(header(req, 'lambda-runtime-function-error-type'));
  const body = await readBody(req, env.maxResponseBytes);
  let payload = body.data;
  if (body.tooLarge || body.data.length === 0) {
    const errorMessage = body.tooLarge ? `Error payload exceeded maximum allowed size (${env.maxResponseBytes} bytes).` : 'Unknown error';
    payload = Buffer.from(JSON.stringify({ errorMessage, errorType: body.tooLarge ? ErrorType.FunctionResponseSizeTooLarge : errorType }));
  }
  env.completeResponse({ kind: 'function-error', errorType, payload });
  sendAccepted(res);
}
