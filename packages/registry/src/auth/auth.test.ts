import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@lambdock/common';
import { createRegistry, RegistryConfigError } from '../registry.js';
import { RootLockedError } from '../root-lock.js';
import { startRegistry } from '../testing/harness.js';
import { TokenIssuer } from './tokens.js';

test('tokens verify with the right secret until they expire (12 h)', () => {
  let now = 1_000_000;
  const issuer = new TokenIssuer('s1', () => now);
  const { password, expiresAt } = issuer.issue('123456789012');
  assert.equal(expiresAt, now + 12 * 3600 * 1000);
  assert.equal(issuer.verify(password), true);
  assert.equal(new TokenIssuer('s2', () => now).verify(password), false);
  assert.equal(issuer.verify(password.slice(0, -2) + 'xx'), false);
  now += 12 * 3600 * 1000 + 1;
  assert.equal(issuer.verify(password), false);
});

test('a second registry on the same data directory is refused while the first runs', async () => {
  const root = await mkdtemp(join(tmpdir(), 'lambdock-lock-'));
  const first = await createRegistry({ root, auth: { mode: 'open-loopback' }, logger: createLogger({ level: 'silent' }) });
  try {
    await assert.rejects(createRegistry({ root, auth: { mode: 'open-loopback' } }), RootLockedError);
  } finally {
    await first.close();
  }
  const again = await createRegistry({ root, auth: { mode: 'open-loopback' }, logger: createLogger({ level: 'silent' }) });
  await again.close();
  await rm(root, { recursive: true, force: true });
});

test('open-loopback mode refuses to listen on a non-loopback address', async () => {
  const root = await mkdtemp(join(tmpdir(), 'lambdock-auth-'));
  const reg = await createRegistry({ root, auth: { mode: 'open-loopback' }, logger: createLogger({ level: 'silent' }) });
  try {
    await assert.rejects(reg.listen(0, '0.0.0.0'), RegistryConfigError);
    await assert.rejects(reg.listen(0, '::'), RegistryConfigError);
  } finally {
    await reg.close();
    await rm(root, { recursive: true, force: true });
  }
});

test('required mode: 401 with a Basic challenge, configured users and ECR tokens accepted', async () => {
  const r = await startRegistry({ auth: { mode: 'required', secret: 'sekrit', users: { alice: 'pw' } } });
  try {
    const anon = await fetch(`${r.base}/v2/`);
    assert.equal(anon.status, 401);
    assert.match(anon.headers.get('www-authenticate')!, /^Basic realm="localhost:\d+",service="ecr.amazonaws.com"$/);
    assert.equal(((await anon.json()) as { errors: { code: string }[] }).errors[0]!.code, 'UNAUTHORIZED');
    const basic = (u: string, p: string): string => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
    assert.equal((await fetch(`${r.base}/v2/`, { headers: { Authorization: basic('alice', 'pw') } })).status, 200);
    assert.equal((await fetch(`${r.base}/v2/`, { headers: { Authorization: basic('alice', 'nope') } })).status, 401);
    const token = new TokenIssuer('sekrit').issue('123456789012').password;
    assert.equal((await fetch(`${r.base}/v2/_catalog`, { headers: { Authorization: basic('AWS', token) } })).status, 200);
    const foreign = new TokenIssuer('other').issue('123456789012').password;
    assert.equal((await fetch(`${r.base}/v2/_catalog`, { headers: { Authorization: basic('AWS', foreign) } })).status, 401);
    // the ECR API needs a SigV4 signature, not Basic credentials
    const ecr = await fetch(r.base, { method: 'POST', headers: { 'X-Amz-Target': 'AmazonEC2ContainerRegistry_V20150921.DescribeRepositories', 'Content-Type': 'application/x-amz-json-1.1' }, body: '{}' });
    assert.equal(ecr.status, 403);
    assert.equal(((await ecr.json()) as { __type: string }).__type, 'MissingAuthenticationTokenException');
  } finally {
    await r.stop();
  }
});

test('open-loopback mode: the ECR API needs a well-formed SigV4 header, any credentials', async () => {
  const r = await startRegistry();
  try {
    const call = (auth?: string): Promise<Response> =>
      fetch(r.base, {
        method: 'POST',
        headers: {
          'X-Amz-Target': 'AmazonEC2ContainerRegistry_V20150921.DescribeRepositories',
          'Content-Type': 'application/x-amz-json-1.1',
          ...(auth ? { Authorization: auth } : {}),
        },
        body: '{}',
      });
    const ok = await call(`AWS4-HMAC-SHA256 Credential=anything/20260101/us-east-1/ecr/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`);
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { repositories: [] });
    const none = await call();
    assert.equal(((await none.json()) as { __type: string }).__type, 'MissingAuthenticationTokenException');
    const garbled = await call('Bearer abc');
    assert.equal(((await garbled.json()) as { __type: string }).__type, 'IncompleteSignatureException');
  } finally {
    await r.stop();
  }
});
