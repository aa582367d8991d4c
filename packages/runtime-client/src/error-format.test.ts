import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { headerSafe, intoError, toErrorResponse, toFormatted, toXRayCause } from './error-format.js';
import { ImportModuleError } from './errors.js';

describe('toErrorResponse', () => {
  test('errors keep name, message and stack lines', () => {
    class Custom extends Error {
      override name = 'Custom';
    }
    const r = toErrorResponse(new Custom('bad thing'));
    assert.equal(r.errorType, 'Custom');
    assert.equal(r.errorMessage, 'bad thing');
    assert.equal(r.trace[0], 'Custom: bad thing');
    assert.ok(r.trace.length > 1);
  });

  test('runtime errors carry their Lambda type', () => {
    const r = toErrorResponse(new ImportModuleError(new Error("Cannot find module 'x'")));
    assert.equal(r.errorType, 'Runtime.ImportModuleError');
    assert.equal(r.errorMessage, "Error: Cannot find module 'x'");
    assert.equal(r.trace[0], "Runtime.ImportModuleError: Error: Cannot find module 'x'");
  });

  test('non-errors are typed by typeof', () => {
    assert.deepEqual(toErrorResponse('text'), { errorType: 'string', errorMessage: 'text', trace: [] });
    assert.deepEqual(toErrorResponse(42), { errorType: 'number', errorMessage: '42', trace: [] });
    assert.deepEqual(toErrorResponse({ a: 1 }), { errorType: 'object', errorMessage: '[object Object]', trace: [] });
    assert.deepEqual(toErrorResponse(undefined), { errorType: 'undefined', errorMessage: 'undefined', trace: [] });
  });

  test('error-like objects count as errors; DEL is escaped', () => {
    const r = toErrorResponse({ name: 'Like\x7F', message: 'm', stack: 'Like: m\n  at x' });
    assert.deepEqual(r, { errorType: 'Like%7F', errorMessage: 'm', trace: ['Like: m', '  at x'] });
  });

  test('a value that cannot even be stringified does not break reporting', () => {
    const hostile = { toString: () => { throw new Error('no'); } };
    assert.equal(toErrorResponse(hostile).errorType, 'handled');
  });
});

describe('toFormatted', () => {
  test('tab, then JSON with type, message, enumerable fields and stack lines', () => {
    const err = Object.assign(new Error('boom'), { statusCode: 500 });
    const text = toFormatted(err);
    assert.ok(text.startsWith('\t{'));
    const parsed = JSON.parse(text.slice(1)) as Record<string, unknown>;
    assert.equal(parsed.errorType, 'Error');
    assert.equal(parsed.errorMessage, 'boom');
    assert.equal(parsed.statusCode, 500);
    assert.ok(Array.isArray(parsed.stack));
  });

  test('runtime errors log like Lambda\'s: type, message, stack, nothing internal', () => {
    const parsed = JSON.parse(toFormatted(new ImportModuleError(new Error('gone'))).slice(1)) as Record<string, unknown>;
    assert.deepEqual(Object.keys(parsed), ['errorType', 'errorMessage', 'stack']);
    const sys = JSON.parse(toFormatted(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })).slice(1)) as Record<string, unknown>;
    assert.equal(sys.code, 'ECONNREFUSED');
  });
});

describe('helpers', () => {
  test('intoError wraps non-errors', () => {
    assert.equal(intoError('x').message, 'x');
    const e = new Error('y');
    assert.equal(intoError(e), e);
  });

  test('headerSafe leaves ASCII alone and percent-encodes the rest', () => {
    assert.equal(headerSafe('Runtime.Error'), 'Runtime.Error');
    assert.equal(headerSafe('Ünï'), '%C3%9Cn%C3%AF');
    assert.equal(headerSafe('a\nb'), 'a%0Ab');
    assert.equal(headerSafe('\ud800'), '%EF%BF%BD');
  });

  test('X-Ray cause names the exception and its frames', () => {
    const cause = JSON.parse(toXRayCause(new TypeError('t'))) as { exceptions: { type: string; message: string; stack: unknown[] }[]; paths: string[] };
    assert.equal(cause.exceptions[0]!.type, 'TypeError');
    assert.equal(cause.exceptions[0]!.message, 't');
    assert.ok(cause.exceptions[0]!.stack.length > 0);
  });
});
