import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RuntimeEnvironment } from '../environment.js';
import { validRuntimeErrorType } from '../errors.js';
import { header, readBody, sendAccepted } from '../http-util.js';

/** POST /2018-06-01/runtime/init/error — the runtime could not initialise (bad handler, import failure…). */
export async function handleInitError(env: RuntimeEnvironment, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const errorType = validRuntimeErrorType(header(req, 'lambda-runtime-function-error-type'));
  if (env.state !== 'init') env.initError({ errorType, payload: Buffer.alloc(0) }); // throws the state-transition error
  const body = await readBody(req, env.maxResponseBytes);
  const payload =
    body.data.length > 0 && !body.tooLarge ? body.data : Buffer.from(JSON.stringify({ errorMessage: 'Runtime failed to initialize', errorType }));
  env.initError({ errorType, payload });
  sendAccepted(res);
}
