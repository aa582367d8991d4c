import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RuntimeEnvironment } from '../environment.js';
import { header, readBody, sendJson } from '../http-util.js';
import { parseSubscription } from '../telemetry.js';

/** PUT /2022-07-01/telemetry (Telemetry API) and PUT /2020-08-15/logs (its predecessor, the Logs API). */
export async function handleTelemetrySubscribe(env: RuntimeEnvironment, logsApi: boolean, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const id = header(req, 'lambda-extension-identifier');
  const body = await readBody(req, 64 * 1024);
  env.subscribeTelemetry(id, (name) => parseSubscription(name, body.data, logsApi));
  sendJson(res, 200, '"OK"');
}
