import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { Authenticator } from './authenticator.js';
import type { AuthOptions } from './authenticator.js';
import { withSigV4 } from './gate.js';

/** Serves an echo handler (method, url, body) behind the SigV4 gate. */
async function serve(opts: AuthOptions, format: 'lambda' | 'json11') {
  const echo = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => res.end(JSON.stringify({ method: req.method, url: req.url, body: Buffer.concat(chunks).toString() })));
  };
  const server = createServer(withSigV4(new Authenticator(opts), echo, { format }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { port, close: () => new Promise((r) => server.close(r)) };
}

async function signed(port: number, path: string, body: string, secret: string, extra: Record<string, string> = {}) {
  const u = new URL(`http://127.0.0.1:${port}${path}`);
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of u.searchParams) {
    const cur = query[k];
    query[k] = cur === undefined ? v : [...(Array.isArray(cur) ? cur : [cur]), v];
  }
  const signer = new SignatureV4({ credentials: { accessKeyId: 'AKID', secretAccessKey: secret }, region: 'us-east-1', service: 'lambda', sha256: Sha256, applyChecksum: false });
  const req = await signer.sign({ method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port, path: u.pathname, query, headers: { host: `127.0.0.1:${port}`, ...extra }, body });
  const headers = { ...(req.headers as Record<string, string>) };
  delete headers['host'];
  return fetch(u, { method: 'POST', headers, body });
}

test('open mode: any well-formed signature passes untouched; unsigned and malformed requests are refused', async () => {
  const s = await serve({ mode: 'open' }, 'lambda');
  try {
    const ok = await signed(s.port, '/2015-03-31/functions/f/invocations?Qualifier=x', '{"a":1}', 'whatever');
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { method: 'POST', url: '/2015-03-31/functions/f/invocations?Qualifier=x', body: '{"a":1}' });
    const none = await fetch(`http://127.0.0.1:${s.port}/x`);
    assert.equal(none.status, 403);
    assert.equal(none.headers.get('x-amzn-errortype'), 'MissingAuthenticationTokenException');
    assert.deepEqual(await none.json(), { Type: 'User', message: 'Missing Authentication Token' });
    const bad = await fetch(`http://127.0.0.1:${s.port}/x`, { headers: { authorization: 'Bearer abc' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.headers.get('x-amzn-errortype'), 'IncompleteSignatureException');
  } finally {
    await s.close();
  }
});

test('required mode: the right secret passes with the body intact, a wrong one or a stale date is refused (JSON 1.1 format)', async () => {
  const s = await serve({ mode: 'required', credentials: { AKID: 'right' } }, 'json11');
  try {
    const body = Buffer.alloc(200_000, 'x').toString() + 'é';
    const ok = await signed(s.port, '/logs?b=2&a=1&a=0', body, 'right');
    assert.equal(ok.status, 200);
    assert.equal(((await ok.json()) as { body: string }).body, body);
    const wrong = await signed(s.port, '/logs', '{}', 'wrong');
    assert.equal(wrong.status, 403);
    assert.equal(wrong.headers.get('content-type'), 'application/x-amz-json-1.1');
    const w = (await wrong.json()) as { __type: string; message: string };
    assert.equal(w.__type, 'InvalidSignatureException');
    const stale = new SignatureV4({ credentials: { accessKeyId: 'AKID', secretAccessKey: 'right' }, region: 'us-east-1', service: 'logs', sha256: Sha256 });
    const old = await stale.sign(
      { method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port: s.port, path: '/', headers: { host: `127.0.0.1:${s.port}` }, body: '' },
      { signingDate: new Date(Date.now() - 20 * 60_000) },
    );
    const oh = { ...(old.headers as Record<string, string>) };
    delete oh['host'];
    const late = await fetch(`http://127.0.0.1:${s.port}/`, { method: 'POST', headers: oh, body: '' });
    assert.equal(((await late.json()) as { __type: string }).__type, 'InvalidSignatureException');
  } finally {
    await s.close();
  }
});
