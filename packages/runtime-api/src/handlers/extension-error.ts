import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RuntimeEnvironment } from '../environment.js';
import { ErrorType, RuntimeApiError } from '../errors.js';
import { header, readBody, sendAccepted } from '../http-util.js';

/** POST /2020-01-01/extension/init/error and /exit/error. */
export async function handleExtensionError(
  env: RuntimeEnvironment,
  phase: 'init' | 'exit',
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const errorType = header(req, 'lambda-extension-function-error-type');
  if (!errorType) throw new RuntimeApiError(400, ErrorType.ExtensionMissingHeader, 'Missing Lambda-Extension-Function-Error-Type header');
  const id = header(req, 'lambda-extension-identifier');
  const body = await readBody(req, 1024 * 1024);
  if (phase === 'init') env.extensionInitError(id, errorType, body.tooLarge ? Buffer.alloc(0) : body.data);
  else env.extensionExitError(id, errorType);
  sendAccepted(res);
}
