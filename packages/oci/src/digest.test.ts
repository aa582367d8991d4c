import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createDigester, digestBytes, isDigest, parseDigest } from './digest.js';

const hex64 = 'a'.repeat(64);

test('parses sha256 and sha512 digests', () => {
  assert.deepEqual(parseDigest(`sha256:${hex64}`), { algorithm: 'sha256', encoded: hex64 });
  assert.deepEqual(parseDigest(`sha512:${'0'.repeat(128)}`), { algorithm: 'sha512', encoded: '0'.repeat(128) });
});

test('refuses bad digests with a message naming the problem', () => {
  const cases: [string, RegExp][] = [
    ['sha256', /missing ":"/],
    [`:${hex64}`, /empty algorithm/],
    ['sha256:', /empty encoded part/],
    [`SHA256:${hex64}`, /algorithm "SHA256" must match/],
    [`sha256:${'a'.repeat(63)}`, /63 characters, expected 64/],
    [`sha512:${hex64}`, /64 characters, expected 128/],
    [`sha256:${'A'.repeat(64)}`, /lowercase hex/],
    [`sha256:${'g'.repeat(64)}`, /lowercase hex/],
    [`md5:${'a'.repeat(32)}`, /unsupported digest algorithm "md5"/],
    [`sha256:../../${'a'.repeat(58)}`, /may only contain/],
    [`multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8`, /unsupported digest algorithm/],
  ];
  for (const [input, msg] of cases) {
    assert.throws(() => parseDigest(input), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'DIGEST_INVALID', input);
      assert.match(err.message, msg, input);
      return true;
    });
    assert.equal(isDigest(input), false);
  }
});

test('digestBytes and the incremental digester agree with known values', () => {
  assert.equal(digestBytes(new Uint8Array(0)), 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  const d = createDigester();
  d.update(Buffer.from('hel'));
  assert.equal(d.digest(), digestBytes(Buffer.from('hel')));
  d.update(Buffer.from('lo'));
  assert.equal(d.size, 5);
  assert.equal(d.digest(), digestBytes(Buffer.from('hello')));
  assert.match(digestBytes(Buffer.from('x'), 'sha512'), /^sha512:[a-f0-9]{128}$/);
});
