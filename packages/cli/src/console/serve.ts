import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const assets = fileURLToPath(new URL('../../console/', import.meta.url));
const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** Serves the console's static files: `/` and `/console/*` (the SPA routes fall back to index.html). */
export function consoleHandler(): (req: IncomingMessage, res: ServerResponse) => void {
  const cache = new Map<string, Buffer>();
  return (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    let file = path === '/' || path === '/console' || path === '/console/' ? 'index.html' : path.replace(/^\/console\//, '');
    file = normalize(file).replace(/^(\.\.[/\\])+/, '');
    if (!extname(file)) file = 'index.html';
    const full = join(assets, file);
    if (!full.startsWith(assets)) {
      res.writeHead(404).end();
      return;
    }
    const send = (body: Buffer) => {
      res.writeHead(200, { 'content-type': types[extname(full)] ?? 'application/octet-stream', 'content-length': body.length, 'cache-control': 'no-cache' });
      res.end(body);
    };
    const hit = cache.get(full);
    if (hit) return send(hit);
    readFile(full).then(
      (body) => {
        cache.set(full, body);
        send(body);
      },
      () => res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n'),
    );
  };
}
