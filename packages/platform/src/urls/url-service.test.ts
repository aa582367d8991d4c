import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FunctionUrlService, matchUrlRequest } from './url-service.js';
import type { FunctionService } from '../functions/function-service.js';
import type { FunctionUrlRecord, FunctionUrlStore } from './url-store.js';

const ID = 'abcdefghijklmnopqrstuvwxyz012345';

test('requests are matched by Host (any port, any case) or by the /lambda-url/<id>/ path form', () => {
  assert.deepEqual(matchUrlRequest(`${ID}.lambda-url.us-east-1.localhost:9600`, '/a/b?x=1'), { urlId: ID, path: '/a/b?x=1' });
  assert.deepEqual(matchUrlRequest(`${ID.toUpperCase()}.LAMBDA-URL.us-east-1.localhost`, '/'), { urlId: ID, path: '/' });
  assert.deepEqual(matchUrlRequest('localhost:9600', `/lambda-url/${ID}/a?x=1`), { urlId: ID, path: '/a?x=1' });
  assert.deepEqual(matchUrlRequest('localhost:9600', `/lambda-url/${ID}?x=1`), { urlId: ID, path: '/?x=1' });
  assert.deepEqual(matchUrlRequest('localhost:9600', `/lambda-url/${ID}`), { urlId: ID, path: '/' });
  assert.equal(matchUrlRequest('localhost:9600', `/lambda-url/${ID}x/`), undefined);
  assert.equal(matchUrlRequest('localhost:9600', '/2015-03-31/functions'), undefined);
  assert.equal(matchUrlRequest('short.lambda-url.us-east-1.localhost', '/'), undefined);
});

test('FunctionUrl: Lambda-shaped under .localhost through loopback, the path form on any other address', () => {
  const functions = { region: 'us-east-1', arn: (n: string, q?: string) => `arn:aws:lambda:us-east-1:123456789012:function:${n}${q ? `:${q}` : ''}`, onChange: () => () => {} } as unknown as FunctionService;
  const urls = new FunctionUrlService({ store: {} as FunctionUrlStore, functions });
  const rec: FunctionUrlRecord = { functionName: 'f', qualifier: 'live', urlId: ID, authType: 'NONE', invokeMode: 'BUFFERED', creationTime: 't', lastModifiedTime: 't' };
  assert.equal(urls.view(rec, 'localhost:9600').FunctionUrl, `http://${ID}.lambda-url.us-east-1.localhost:9600/`);
  assert.equal(urls.view(rec, '127.0.0.1:4321').FunctionUrl, `http://${ID}.lambda-url.us-east-1.localhost:4321/`);
  assert.equal(urls.view(rec, '192.168.1.20:9600').FunctionUrl, `http://192.168.1.20:9600/lambda-url/${ID}/`);
  assert.equal(urls.view(rec, 'localhost:9600').FunctionArn, 'arn:aws:lambda:us-east-1:123456789012:function:f:live');
  assert.equal(urls.view(rec, 'localhost:9600').Cors, undefined);
});
