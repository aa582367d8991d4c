import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatReference, parseReference } from './reference.js';

const d = `sha256:${'b'.repeat(64)}`;

test('parses references the way docker reads them', () => {
  assert.deepEqual(parseReference('localhost:5000/hello:latest'), { registry: 'localhost:5000', repository: 'hello', tag: 'latest' });
  assert.deepEqual(parseReference('localhost:5000/team/hello'), { registry: 'localhost:5000', repository: 'team/hello', tag: 'latest' });
  assert.deepEqual(parseReference(`localhost:5000/hello@${d}`), { registry: 'localhost:5000', repository: 'hello', digest: d });
  assert.deepEqual(parseReference(`127.0.0.1:5000/a/b:v1@${d}`), { registry: '127.0.0.1:5000', repository: 'a/b', tag: 'v1', digest: d });
  assert.deepEqual(parseReference('ubuntu'), { registry: 'docker.io', repository: 'library/ubuntu', tag: 'latest' });
  assert.deepEqual(parseReference('bitnami/redis:7'), { registry: 'docker.io', repository: 'bitnami/redis', tag: '7' });
  assert.deepEqual(parseReference('public.ecr.aws/lambda/nodejs:22'), { registry: 'public.ecr.aws', repository: 'lambda/nodejs', tag: '22' });
  assert.deepEqual(parseReference('localhost/x'), { registry: 'localhost', repository: 'x', tag: 'latest' });
  assert.deepEqual(parseReference('[::1]:5000/x:y'), { registry: '[::1]:5000', repository: 'x', tag: 'y' });
  assert.equal(formatReference(parseReference('ubuntu')), 'docker.io/library/ubuntu:latest');
});

test('refuses malformed references with a precise reason', () => {
  const cases: [string, RegExp][] = [
    ['', /empty/],
    ['localhost:5000/Hello', /must be lowercase/],
    ['localhost:5000/he..llo', /path component "he..llo"/],
    ['localhost:5000/hello:', /tag ""/],
    ['localhost:5000/hello:-bad', /tag "-bad"/],
    ['localhost:5000/hello@sha256:abc', /64/],
    ['localhost:5000/', /missing repository/],
    ['bad host:5000/x', /registry|component/],
  ];
  for (const [ref, msg] of cases) {
    assert.throws(() => parseReference(ref), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'REFERENCE_INVALID', ref);
      assert.match(err.message, msg, ref);
      return true;
    });
  }
});
