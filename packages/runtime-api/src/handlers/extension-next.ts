import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RuntimeEnvironment } from '../environment.js';
import { header } from '../http-util.js';

/** GET /2020-01-01/extension/event/next — long poll for INVOKE/SHUTDOWN. */
export function handleExtensionNext(env: RuntimeEnvironment, req: IncomingMessage, res: ServerResponse): void {
  const cancel = env.extensionNext(header(req, 'lambda-extension-identifier'), (ev) => {
    if (res.destroyed) return;
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Lambda-Extension-Event-Identifier': ev.eventId,
      'Content-Length': Buffer.byteLength(ev.body),
    });
    res.end(ev.body);
  });
  if (cancel) res.once('close', cancel);
}
