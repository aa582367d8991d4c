import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { RuncRuntime } from '@lambdock/sandbox';
import { createPlatform } from '../platform.js';
import type { Platform } from '../platform.js';
import { BUSYBOX, ImageFactory, REGISTRY_BIN, freePort, startRegistry } from '../testing/fixtures.js';
import type { TestRegistry } from '../testing/fixtures.js';

// Function URLs and response streaming through runc sandboxes, with the platform's
// SigV4 check required: a busybox runtime that streams with nc (chunked HTTP, like
// the official runtime clients do). test/e2e drives the same with the AWS CLI and SDK.
const home = mkdtempSync(join(tmpdir(), 'lambdock-urls-'));
const check = await new RuncRuntime({ stateDir: join(home, 'probe'), runtimeApiPort: 0 }).check();
const skip = !check.ok ? check.reason : !existsSync(REGISTRY_BIN) ? 'docker-registry not installed' : !BUSYBOX ? 'static busybox not installed' : false;

const KEY = 'AKIDLAMBDOCKTEST';
const SECRET = 'secret-for-tests';

/** A custom runtime whose answer depends on the URL path (or on the event for direct invokes). */
const BOOTSTRAP = `#!/bin/sh
API="http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime"
HOST=\${AWS_LAMBDA_RUNTIME_API%:*}
PORT=\${AWS_LAMBDA_RUNTIME_API##*:}
chunk() { printf '%x\\r\\n%s\\r\\n' "\${#1}" "$1"; }
stream() {
  { printf 'POST /2018-06-01/runtime/invocation/%s/response HTTP/1.1\\r\\nHost: %s\\r\\nLambda-Runtime-Function-Response-Mode: streaming\\r\\nContent-Type: %s\\r\\nTransfer-Encoding: chunked\\r\\nConnection: close\\r\\n\\r\\n' "$1" "$AWS_LAMBDA_RUNTIME_API" "$2"
    if [ "$3" = prelude ]; then chunk '{"statusCode":201,"headers":{"x-mode":"stream","content-type":"text/plain"},"cookies":["s=1"]}'; printf '8\\r\\n\\000\\000\\000\\000\\000\\000\\000\\000\\r\\n'; fi
    chunk 'first;'; sleep 1; chunk 'second'; printf '0\\r\\n\\r\\n'; sleep 1; } | nc "$HOST" "$PORT" > /dev/null
}
post() { wget -q -O /dev/null --post-file /tmp/r "$API/invocation/$1/response"; }
while true; do
  wget -q -S -O /tmp/event "$API/invocation/next" 2>/tmp/headers || { sleep 1; continue; }
  ID=$(grep -i 'lambda-runtime-aws-request-id' /tmp/headers | sed 's/^[^:]*: *//' | tr -d '\\r ')
  EVENT=$(cat /tmp/event)
  case "$EVENT" in
    *'"rawPath":"/stream'*) stream "$ID" application/vnd.awslambda.http-integration-response prelude ;;
    *streamme*) stream "$ID" text/plain ;;
    *'"rawPath":"/fail'*|*failme*) printf '{"errorMessage":"boom","errorType":"Function.Failed"}' > /tmp/r; wget -q -O /dev/null --header "Lambda-Runtime-Function-Error-Type: Function.Failed" --post-file /tmp/r "$API/invocation/$ID/error" ;;
    *'"rawPath":"/structured'*) printf '{"statusCode":201,"headers":{"X-Custom":"yes","content-type":"text/plain"},"cookies":["a=1","b=2"],"body":"aGVsbG8gYmluYXJ5","isBase64Encoded":true}' > /tmp/r; post "$ID" ;;
    *) cp /tmp/event /tmp/r; post "$ID" ;;
  esac
done
`;

let platform: Platform;
let registry: TestRegistry;
let images: ImageFactory;
let port = 0;
const role = 'arn:aws:iam::123456789012:role/r';

async function signedHeaders(method: string, path: string, body: string, headers: Record<string, string>, secret = SECRET): Promise<Record<string, string>> {
  const u = new URL(`http://127.0.0.1:${port}${path}`);
  const query: Record<string, string> = {};
  for (const [k, v] of u.searchParams) query[k] = v;
  const signer = new SignatureV4({ credentials: { accessKeyId: KEY, secretAccessKey: secret }, region: 'us-east-1', service: 'lambda', sha256: Sha256 });
  const signed = await signer.sign({ method, protocol: 'http:', hostname: '127.0.0.1', port, path: u.pathname, query, headers: { ...headers, host: `127.0.0.1:${port}` }, body });
  return signed.headers as Record<string, string>;
}

async function call(method: string, path: string, body?: unknown, opts: { headers?: Record<string, string>; secret?: string; unsigned?: boolean } = {}) {
  const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  const headers = opts.unsigned ? (opts.headers ?? {}) : await signedHeaders(method, path, text, opts.headers ?? {}, opts.secret);
  delete headers['host'];
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers, ...(method !== 'GET' && method !== 'DELETE' ? { body: text } : {}) });
  const buf = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, buf, text: buf.toString('utf8'), json: () => JSON.parse(buf.toString('utf8')) as Record<string, any> };
}

/** A request to a function URL by Host header, as curl sends to <id>.lambda-url.us-east-1.localhost. */
function urlRequest(urlId: string, method: string, path: string, opts: { headers?: Record<string, string>; body?: Buffer } = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer; arrivals: Array<{ at: number; text: string }> }>((resolve, reject) => {
    const t0 = Date.now();
    const arrivals: Array<{ at: number; text: string }> = [];
    const req = request({ host: '127.0.0.1', port, method, path, headers: { host: `${urlId}.lambda-url.us-east-1.localhost:${port}`, ...opts.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        arrivals.push({ at: Date.now() - t0, text: c.toString('utf8') });
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), arrivals }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

async function createActive(name: string, imageUri: string) {
  const r = await call('POST', '/2015-03-31/functions', { FunctionName: name, PackageType: 'Image', Code: { ImageUri: imageUri }, Role: role });
  assert.equal(r.status, 201, r.text);
  for (let i = 0; i < 600; i++) {
    const c = (await call('GET', `/2015-03-31/functions/${name}/configuration`)).json();
    if (c['State'] === 'Active' && c['LastUpdateStatus'] !== 'InProgress') return;
    if (c['State'] === 'Failed') throw new Error(`function failed: ${c['StateReason']}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('not active in time');
}

describe('function URLs and streaming through runc sandboxes (SigV4 required)', { skip }, () => {
  before(async () => {
    registry = await startRegistry();
    images = new ImageFactory();
    const image = `${registry.host}/fn/urls:v1`;
    await images.push(image, { 'var/runtime/bootstrap': BOOTSTRAP, 'var/task/function.sh': '' });
    const rapi = await freePort();
    const quiet = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };
    platform = await createPlatform({
      home,
      sandbox: new RuncRuntime({ stateDir: join(home, 'sandbox'), runtimeApiPort: rapi }),
      runtimeApiPort: rapi,
      pool: { freezeAfterMs: 50, idleTimeoutMs: 4000 },
      logger: quiet,
      auth: { mode: 'required', credentials: { [KEY]: SECRET } },
    });
    const server = await platform.listen(0);
    port = (server.address() as AddressInfo).port;
    await createActive('web', image);
  });
  after(async () => {
    await platform?.close();
    await registry?.stop();
    images?.close();
    rmSync(home, { recursive: true, force: true });
  });

  test('the API refuses unsigned, unknown-key and wrong-secret requests in Lambda error format', async () => {
    const unsigned = await call('GET', '/2015-03-31/functions/', undefined, { unsigned: true });
    assert.equal(unsigned.status, 403);
    assert.equal(unsigned.headers.get('x-amzn-errortype'), 'MissingAuthenticationTokenException');
    const wrong = await call('GET', '/2015-03-31/functions/', undefined, { secret: 'nope' });
    assert.equal(wrong.status, 403);
    assert.equal(wrong.headers.get('x-amzn-errortype'), 'InvalidSignatureException');
    assert.match(wrong.json()['message'], /signature we calculated does not match/);
    // A signed body that was changed on the way fails too.
    const headers = await signedHeaders('POST', '/2015-03-31/functions/web/invocations', '{"a":1}', {});
    delete headers['host'];
    const tampered = await fetch(`http://127.0.0.1:${port}/2015-03-31/functions/web/invocations`, { method: 'POST', headers, body: '{"a":2}' });
    assert.equal(tampered.status, 403);
    assert.equal((await call('GET', '/2015-03-31/functions/')).status, 200);
  });

  test('URL config lifecycle: create 201, get, update, list, conflicts and validation errors', async () => {
    const created = await call('POST', '/2021-10-31/functions/web/url', { AuthType: 'NONE', Cors: { AllowOrigins: ['https://app.example'], AllowMethods: ['GET', 'POST'], AllowHeaders: ['x-custom'], ExposeHeaders: ['x-custom'], MaxAge: 60 } });
    assert.equal(created.status, 201, created.text);
    const c = created.json();
    assert.match(c['FunctionUrl'], new RegExp(`^http://[a-z0-9]{32}\\.lambda-url\\.us-east-1\\.localhost:${port}/$`));
    assert.equal(c['FunctionArn'], 'arn:aws:lambda:us-east-1:123456789012:function:web');
    assert.equal(c['AuthType'], 'NONE');
    assert.equal(c['InvokeMode'], 'BUFFERED');
    assert.equal(c['LastModifiedTime'], undefined);
    const again = await call('POST', '/2021-10-31/functions/web/url', { AuthType: 'NONE' });
    assert.equal(again.status, 409);
    assert.equal(again.headers.get('x-amzn-errortype'), 'ResourceConflictException');
    const bad = await call('POST', '/2021-10-31/functions/web/url?Qualifier=live', { AuthType: 'OPEN', Cors: { MaxAge: 100000 } });
    assert.equal(bad.status, 400);
    assert.equal(bad.headers.get('x-amzn-errortype'), 'ValidationException');
    assert.match(bad.json()['message'], /^2 validation errors detected: Value 'OPEN' at 'authType' failed to satisfy constraint: Member must satisfy enum value set: \[NONE, AWS_IAM\]; Value '100000' at 'cors.maxAge'/);
    assert.equal((await call('POST', '/2021-10-31/functions/web/url?Qualifier=1', { AuthType: 'NONE' })).headers.get('x-amzn-errortype'), 'ValidationException');
    assert.equal((await call('POST', '/2021-10-31/functions/ghost/url', { AuthType: 'NONE' })).status, 404);
    const got = (await call('GET', '/2021-10-31/functions/web/url')).json();
    assert.equal(got['FunctionUrl'], c['FunctionUrl']);
    assert.ok(got['LastModifiedTime']);
    const list = await call('GET', '/2021-10-31/functions/web/urls');
    assert.deepEqual(list.json()['FunctionUrlConfigs'].map((x: any) => x.FunctionUrl), [c['FunctionUrl']]);
    const missing = await call('GET', '/2021-10-31/functions/web/url?Qualifier=nothere');
    assert.equal(missing.status, 404);
  });

  test('buffered URL: event 2.0 in, result out, structured responses, CORS, 502 on function error', async () => {
    const cfg = (await call('GET', '/2021-10-31/functions/web/url')).json();
    const id = /^http:\/\/([a-z0-9]{32})\./.exec(cfg['FunctionUrl'])![1]!;
    const r = await urlRequest(id, 'POST', '/echo/p%20q?a=1&a=2&b=x', { headers: { 'content-type': 'application/json', cookie: 'c1=v1; c2=v2', 'x-multi': 'one', origin: 'https://app.example' }, body: Buffer.from('{"k":"v"}') });
    assert.equal(r.status, 200, r.body.toString());
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.headers['access-control-allow-origin'], 'https://app.example');
    assert.equal(r.headers['access-control-expose-headers'], 'x-custom');
    const ev = JSON.parse(r.body.toString()) as Record<string, any>;
    assert.equal(ev['version'], '2.0');
    assert.equal(ev['routeKey'], '$default');
    assert.equal(ev['rawPath'], '/echo/p%20q');
    assert.equal(ev['rawQueryString'], 'a=1&a=2&b=x');
    assert.deepEqual(ev['queryStringParameters'], { a: '1,2', b: 'x' });
    assert.deepEqual(ev['cookies'], ['c1=v1', 'c2=v2']);
    assert.equal(ev['headers']['x-multi'], 'one');
    assert.equal(ev['headers']['x-forwarded-for'], '127.0.0.1');
    assert.equal(ev['headers']['x-forwarded-proto'], 'http');
    assert.match(ev['headers']['x-amzn-trace-id'], /^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    assert.equal(ev['headers']['cookie'], undefined);
    assert.equal(ev['body'], '{"k":"v"}');
    assert.equal(ev['isBase64Encoded'], false);
    assert.equal(ev['requestContext']['http']['method'], 'POST');
    assert.equal(ev['requestContext']['http']['path'], '/echo/p q');
    assert.equal(ev['requestContext']['http']['sourceIp'], '127.0.0.1');
    assert.equal(ev['requestContext']['domainPrefix'], id);
    assert.equal(ev['requestContext']['accountId'], 'anonymous');
    assert.match(ev['requestContext']['time'], /^\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d \+0000$/);
    // Binary bodies arrive base64-encoded; the path form reaches the same URL.
    const bin = await fetch(`http://127.0.0.1:${port}/lambda-url/${id}/bin`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from([0, 1, 2, 255]) });
    const binEv = (await bin.json()) as Record<string, any>;
    assert.equal(binEv['rawPath'], '/bin');
    assert.equal(binEv['isBase64Encoded'], true);
    assert.deepEqual([...Buffer.from(binEv['body'], 'base64')], [0, 1, 2, 255]);
    const s = await urlRequest(id, 'GET', '/structured');
    assert.equal(s.status, 201);
    assert.equal(s.headers['x-custom'], 'yes');
    assert.deepEqual(s.headers['set-cookie'], ['a=1', 'b=2']);
    assert.equal(s.body.toString(), 'hello binary');
    const f = await urlRequest(id, 'GET', '/fail');
    assert.equal(f.status, 502);
    assert.equal(f.body.toString(), 'Internal Server Error');
    const pre = await urlRequest(id, 'OPTIONS', '/anything', { headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-custom' } });
    assert.equal(pre.status, 200);
    assert.equal(pre.headers['access-control-allow-origin'], 'https://app.example');
    assert.equal(pre.headers['access-control-allow-methods'], 'GET,POST');
    assert.equal(pre.headers['access-control-max-age'], '60');
    const nope = await urlRequest('z'.repeat(32), 'GET', '/');
    assert.equal(nope.status, 404);
  });

  test('AWS_IAM URL: unsigned and wrong-secret requests get 403, signed ones carry the caller', async () => {
    const upd = await call('PUT', '/2021-10-31/functions/web/url', { AuthType: 'AWS_IAM' });
    assert.equal(upd.status, 200, upd.text);
    assert.equal(upd.json()['AuthType'], 'AWS_IAM');
    assert.equal(upd.json()['Cors']['MaxAge'], 60, 'fields left out keep their values');
    const id = /^http:\/\/([a-z0-9]{32})\./.exec(upd.json()['FunctionUrl'])![1]!;
    const anon = await fetch(`http://127.0.0.1:${port}/lambda-url/${id}/x`);
    assert.equal(anon.status, 403);
    assert.deepEqual(await anon.json(), { Message: 'Forbidden' });
    const path = `/lambda-url/${id}/who`;
    const wrong = await signedHeaders('GET', path, '', {}, 'bad-secret');
    delete wrong['host'];
    assert.equal((await fetch(`http://127.0.0.1:${port}${path}`, { headers: wrong })).status, 403);
    const good = await signedHeaders('GET', path, '', {});
    delete good['host'];
    const ok = await fetch(`http://127.0.0.1:${port}${path}`, { headers: good });
    assert.equal(ok.status, 200);
    const ev = (await ok.json()) as Record<string, any>;
    assert.equal(ev['requestContext']['authorizer']['iam']['accessKey'], KEY);
    assert.equal(ev['requestContext']['accountId'], '123456789012');
    await call('PUT', '/2021-10-31/functions/web/url', { AuthType: 'NONE', InvokeMode: 'RESPONSE_STREAM' });
  });

  test('RESPONSE_STREAM URL: prelude becomes status and headers, bytes arrive as the function writes them', async () => {
    const id = /^http:\/\/([a-z0-9]{32})\./.exec((await call('GET', '/2021-10-31/functions/web/url')).json()['FunctionUrl'])![1]!;
    const r = await urlRequest(id, 'GET', '/stream');
    assert.equal(r.status, 201);
    assert.equal(r.headers['x-mode'], 'stream');
    assert.deepEqual(r.headers['set-cookie'], ['s=1']);
    assert.equal(r.body.toString(), 'first;second');
    const firstAt = r.arrivals.find((a) => a.text.includes('first'))!.at;
    const lastAt = r.arrivals.find((a) => a.text.includes('second'))!.at;
    assert.ok(lastAt - firstAt >= 700, `first chunk at ${firstAt} ms, last at ${lastAt} ms: the first must not wait for the end`);
    // A buffered answer in streaming mode is still mapped like a buffered URL.
    const plain = await urlRequest(id, 'GET', '/echo');
    assert.equal(plain.status, 200);
    assert.equal(JSON.parse(plain.body.toString())['rawPath'], '/echo');
    const del = await call('DELETE', '/2021-10-31/functions/web/url');
    assert.equal(del.status, 204);
    assert.equal((await urlRequest(id, 'GET', '/echo')).status, 404);
  });

  test('a URL on an alias: its own URL id, the alias ARN, and requests run the version the alias points to', async () => {
    const published = await call('POST', '/2015-03-31/functions/web/versions', {});
    assert.equal(published.status, 201, published.text);
    const version = published.json()['Version'] as string;
    assert.equal((await call('POST', '/2015-03-31/functions/web/aliases', { Name: 'live', FunctionVersion: version })).status, 201);
    const created = await call('POST', '/2021-10-31/functions/web/url?Qualifier=live', { AuthType: 'NONE' });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json()['FunctionArn'], 'arn:aws:lambda:us-east-1:123456789012:function:web:live');
    assert.equal((await call('POST', '/2021-10-31/functions/web/url?Qualifier=nosuchalias', { AuthType: 'NONE' })).status, 404);
    const id = /^http:\/\/([a-z0-9]{32})\./.exec(created.json()['FunctionUrl'])![1]!;
    const r = await urlRequest(id, 'GET', '/via-alias');
    assert.equal(r.status, 200, r.body.toString());
    assert.equal(JSON.parse(r.body.toString())['rawPath'], '/via-alias');
    const list = (await call('GET', '/2021-10-31/functions/web/urls')).json()['FunctionUrlConfigs'] as Array<{ FunctionArn: string }>;
    assert.ok(list.some((c) => c.FunctionArn.endsWith(':live')));
    // Deleting the alias takes its URL with it.
    assert.equal((await call('DELETE', '/2015-03-31/functions/web/aliases/live')).status, 204);
    assert.equal((await urlRequest(id, 'GET', '/via-alias')).status, 404);
    const after = (await call('GET', '/2021-10-31/functions/web/urls')).json()['FunctionUrlConfigs'] as Array<{ FunctionArn: string }>;
    assert.ok(!after.some((c) => c.FunctionArn.endsWith(':live')));
  });

  test('InvokeWithResponseStream: event-stream framing with PayloadChunk events then InvokeComplete', async () => {
    const r = await call('POST', '/2021-11-15/functions/web/response-streaming-invocations', '{"streamme":1}', { headers: { 'x-amz-log-type': 'Tail' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.get('content-type'), 'application/vnd.amazon.eventstream');
    assert.equal(r.headers.get('x-amz-executed-version'), '$LATEST');
    const events = decodeEvents(r.buf);
    assert.deepEqual(events.slice(0, -1).map((e) => e.type), events.slice(0, -1).map(() => 'PayloadChunk'));
    assert.equal(Buffer.concat(events.slice(0, -1).map((e) => e.payload)).toString(), 'first;second');
    const done = events.at(-1)!;
    assert.equal(done.type, 'InvokeComplete');
    const complete = JSON.parse(done.payload.toString()) as Record<string, string>;
    assert.equal(complete['ErrorCode'], undefined);
    assert.match(Buffer.from(complete['LogResult']!, 'base64').toString(), /REPORT RequestId/);
    const failed = decodeEvents((await call('POST', '/2021-11-15/functions/web/response-streaming-invocations', '{"failme":1}')).buf);
    assert.equal(failed.length, 1);
    const fc = JSON.parse(failed[0]!.payload.toString()) as Record<string, string>;
    assert.equal(fc['ErrorCode'], 'Function.Failed');
    assert.match(fc['ErrorDetails']!, /boom/);
    const missing = await call('POST', '/2021-11-15/functions/ghost/response-streaming-invocations', '{}');
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get('x-amzn-errortype'), 'ResourceNotFoundException');
  });
});

function decodeEvents(buf: Buffer): Array<{ type: string; payload: Buffer }> {
  const out: Array<{ type: string; payload: Buffer }> = [];
  let off = 0;
  while (off < buf.length) {
    const total = buf.readUInt32BE(off);
    const hlen = buf.readUInt32BE(off + 4);
    let h = off + 12;
    const headers: Record<string, string> = {};
    while (h < off + 12 + hlen) {
      const nlen = buf.readUInt8(h);
      const name = buf.subarray(h + 1, h + 1 + nlen).toString();
      const vlen = buf.readUInt16BE(h + 2 + nlen);
      headers[name] = buf.subarray(h + 4 + nlen, h + 4 + nlen + vlen).toString();
      h += 4 + nlen + vlen;
    }
    out.push({ type: headers[':event-type']!, payload: buf.subarray(off + 12 + hlen, off + total - 4) });
    off += total;
  }
  return out;
}
