import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeScopes, parseChallenges } from './auth.js';
import { registryErrorFromResponse, ManifestUnknownError, UnauthorizedError } from './errors.js';

test('parses a bearer challenge whose quoted scope contains commas', () => {
  const [c] = parseChallenges('Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:team/app:pull,push"');
  assert.deepEqual(c, {
    scheme: 'bearer',
    params: { realm: 'https://auth.example.com/token', service: 'registry.example.com', scope: 'repository:team/app:pull,push' },
  });
});

test('parses several challenges, unquoted values and escapes', () => {
  const cs = parseChallenges('Basic realm="my \\"realm\\"", Bearer realm=https://t/x, error="insufficient_scope"');
  assert.equal(cs.length, 2);
  assert.deepEqual(cs[0], { scheme: 'basic', params: { realm: 'my "realm"' } });
  assert.deepEqual(cs[1], { scheme: 'bearer', params: { realm: 'https://t/x', error: 'insufficient_scope' } });
  assert.deepEqual(parseChallenges(''), []);
});

test('mergeScopes joins actions per resource, sorted', () => {
  assert.deepEqual(mergeScopes(['repository:a:push', 'repository:b:pull'], ['repository:a:pull']), ['repository:a:pull,push', 'repository:b:pull']);
});

test('registry error bodies become typed errors with the spec code; bare statuses get a code too', () => {
  const body = Buffer.from(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown', detail: { Tag: 'x' } }] }));
  const e = registryErrorFromResponse(404, body, { method: 'GET', url: 'http://r/v2/a/manifests/x', what: 'r/a:x' });
  assert.ok(e instanceof ManifestUnknownError);
  assert.equal(e.code, 'MANIFEST_UNKNOWN');
  assert.match(e.message, /^r\/a:x: MANIFEST_UNKNOWN: manifest unknown \(GET http:\/\/r\/v2\/a\/manifests\/x -> 404\)$/);
  assert.deepEqual(e.errors[0]?.detail, { Tag: 'x' });
  const u = registryErrorFromResponse(401, Buffer.from('<html>no</html>'), { method: 'HEAD', url: 'http://r/v2/' });
  assert.ok(u instanceof UnauthorizedError);
  assert.equal(registryErrorFromResponse(502, Buffer.alloc(0), { method: 'GET', url: 'u' }).code, 'REGISTRY_UNAVAILABLE');
  assert.equal(registryErrorFromResponse(418, Buffer.alloc(0), { method: 'GET', url: 'u' }).code, 'REGISTRY_HTTP_ERROR');
});

test('docker config credentials: base64 auth and username/password, docker.io aliases', async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { dockerConfigCredentials } = await import('./credentials.js');
  const dir = mkdtempSync(join(tmpdir(), 'lambdock-dockercfg-'));
  try {
    const file = join(dir, 'config.json');
    writeFileSync(
      file,
      JSON.stringify({
        auths: {
          'localhost:5000': { auth: Buffer.from('AWS:tok:en').toString('base64') },
          'https://index.docker.io/v1/': { username: 'me', password: 'pw' },
        },
      }),
    );
    const creds = dockerConfigCredentials(file);
    assert.deepEqual(creds('localhost:5000'), { username: 'AWS', password: 'tok:en' });
    assert.deepEqual(creds('docker.io'), { username: 'me', password: 'pw' });
    assert.equal(creds('other:1'), undefined);
    assert.equal(dockerConfigCredentials(join(dir, 'absent.json'))('localhost:5000'), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
