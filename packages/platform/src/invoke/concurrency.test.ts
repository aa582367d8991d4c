import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConcurrencyLimiter } from './concurrency.js';

test('unreserved functions share what reservations leave of the account limit', () => {
  const l = new ConcurrencyLimiter(10);
  // 6 reserved elsewhere: 4 left for everyone else.
  for (let i = 0; i < 4; i++) assert.equal(l.tryAcquire(i % 2 ? 'a' : 'b', undefined, 6), undefined);
  assert.equal(l.tryAcquire('c', undefined, 6), 'ConcurrentInvocationLimitExceeded');
  l.release('a', undefined);
  assert.equal(l.tryAcquire('c', undefined, 6), undefined);
  assert.equal(l.running('c'), 1);
});

test('a reserved function runs up to its reservation, whatever the others do', () => {
  const l = new ConcurrencyLimiter(10);
  for (let i = 0; i < 4; i++) assert.equal(l.tryAcquire('x', undefined, 6), undefined);
  assert.equal(l.tryAcquire('x', undefined, 6), 'ConcurrentInvocationLimitExceeded');
  for (let i = 0; i < 6; i++) assert.equal(l.tryAcquire('r', 6, 6), undefined);
  assert.equal(l.tryAcquire('r', 6, 6), 'ReservedFunctionConcurrentInvocationLimitExceeded');
  assert.equal(l.tryAcquire('zero', 0, 6), 'ReservedFunctionConcurrentInvocationLimitExceeded');
  l.release('r', 6);
  assert.equal(l.tryAcquire('r', 6, 6), undefined);
  // Releasing reserved slots never frees unreserved capacity.
  assert.equal(l.tryAcquire('x', undefined, 6), 'ConcurrentInvocationLimitExceeded');
});
