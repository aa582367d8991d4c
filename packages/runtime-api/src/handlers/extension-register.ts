import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RuntimeEnvironment } from '../environment.js';
import { ErrorType, RuntimeApiError } from '../errors.js';
import { header, readBody, sendJson } from '../http-util.js';

/** POST /2020-01-01/extension/register */
export async function handleExtensionRegister(env: RuntimeEnvironment, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const name = header(req, 'lambda-extension-name');
  if (!name) throw new RuntimeApiError(403, ErrorType.ExtensionInvalidName, 'Empty extension name');
  const body = await readBody(req, 64 * 1024);
  let events: unknown;
  try {
    events = (JSON.parse(body.data.toString('utf8') || '{}') as { events?: unknown }).events ?? [];
  } catch {
    throw new RuntimeApiError(403, ErrorType.InvalidRequestFormat, 'Invalid request body: not JSON');
  }
  if (!Array.isArray(events) || !events.every((e) => typeof e === 'string'))
    throw new RuntimeApiError(403, ErrorType.InvalidRequestFormat, 'events must be a list of event names');
  const id = env.registerExtension(name, events as string[]);
  const answer: Record<string, string> = { functionName: env.functionName, functionVersion: env.functionVersion, handler: env.handler };
  const features = header(req, 'lambda-extension-accept-feature') ?? '';
  if (env.accountId && features.split(',').some((f) => f.trim() === 'accountId')) answer['accountId'] = env.accountId;
  const out = JSON.stringify(answer);
  sendJson(res, 200, out, { 'Lambda-Extension-Identifier': id });
}
