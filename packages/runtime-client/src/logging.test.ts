import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LOG_LEVELS, formatJsonRecord, formatTextRecord, logSettingsFromEnv } from './logging.js';

const T = '2026-01-01T00:00:00.000Z';

describe('text records', () => {
  test('time, request id, level, formatted message separated by tabs', () => {
    assert.equal(formatTextRecord(T, 'req-1', LOG_LEVELS.INFO, ['count %d of %s', 3, 'x']), `${T}\treq-1\tINFO\tcount 3 of x`);
    assert.equal(formatTextRecord(T, undefined, LOG_LEVELS.WARN, ['init']), `${T}\tundefined\tWARN\tinit`);
  });
});

describe('JSON records', () => {
  test('a single value is kept as a value', () => {
    assert.deepEqual(JSON.parse(formatJsonRecord(T, 'r', LOG_LEVELS.INFO, [{ a: 1 }])), { timestamp: T, level: 'INFO', requestId: 'r', message: { a: 1 } });
    assert.deepEqual(JSON.parse(formatJsonRecord(T, 'r', LOG_LEVELS.DEBUG, ['plain'])), { timestamp: T, level: 'DEBUG', requestId: 'r', message: 'plain' });
  });

  test('a single error becomes errorType/errorMessage/stackTrace', () => {
    const rec = JSON.parse(formatJsonRecord(T, 'r', LOG_LEVELS.ERROR, [new RangeError('out')])) as { message: Record<string, unknown> };
    assert.equal(rec.message.errorType, 'RangeError');
    assert.equal(rec.message.errorMessage, 'out');
    assert.ok(Array.isArray(rec.message.stackTrace));
  });

  test('several values are formatted, and the first error is lifted to the record', () => {
    const rec = JSON.parse(formatJsonRecord(T, 'r', LOG_LEVELS.ERROR, ['failed:', new TypeError('bad')])) as Record<string, unknown>;
    assert.match(String(rec.message), /^failed: TypeError: bad/);
    assert.equal(rec.errorType, 'TypeError');
    assert.equal(rec.errorMessage, 'bad');
    assert.ok(Array.isArray(rec.stackTrace));
  });

  test('values JSON cannot hold are formatted instead of failing', () => {
    const rec = JSON.parse(formatJsonRecord(T, 'r', LOG_LEVELS.INFO, [10n])) as Record<string, unknown>;
    assert.equal(rec.message, '10n');
  });
});

describe('settings from the environment', () => {
  test('format, level and terminal', () => {
    assert.deepEqual(logSettingsFromEnv({}, false), { format: 'TEXT', level: LOG_LEVELS.TRACE, keepNewlines: false, telemetryFd: undefined });
    const s = logSettingsFromEnv({ AWS_LAMBDA_LOG_FORMAT: 'json', AWS_LAMBDA_LOG_LEVEL: 'warn', _LAMBDA_TELEMETRY_LOG_FD: '3' }, true);
    assert.deepEqual(s, { format: 'JSON', level: LOG_LEVELS.WARN, keepNewlines: true, telemetryFd: 3 });
    assert.equal(logSettingsFromEnv({ AWS_LAMBDA_LOG_LEVEL: 'nonsense' }).level, LOG_LEVELS.TRACE);
  });
});
