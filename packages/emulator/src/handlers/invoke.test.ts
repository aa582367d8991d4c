import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compactErrorBody } from './invoke.js';

test('error bodies that fit a trailer pass unchanged; huge ones shrink to valid JSON with type and message start', () => {
  const small = JSON.stringify({ errorMessage: 'boom', errorType: 'Error', trace: ['a'] });
  assert.equal(compactErrorBody(small, 'Error').toString(), small);
  const huge = JSON.stringify({ errorMessage: 'big: ' + 'x'.repeat(100_000), errorType: 'RangeError', trace: ['at y'.repeat(1000)] });
  const out = compactErrorBody(huge, 'Function.Unused');
  assert.ok(out.length <= 8 * 1024);
  const v = JSON.parse(out.toString()) as { errorMessage: string; errorType: string };
  assert.equal(v.errorType, 'RangeError');
  assert.ok(v.errorMessage.startsWith('big: xxxx') && v.errorMessage.endsWith('… (truncated)'));
  const notJson = compactErrorBody('z'.repeat(20_000), 'Runtime.Unknown');
  assert.equal((JSON.parse(notJson.toString()) as { errorType: string }).errorType, 'Runtime.Unknown');
});
