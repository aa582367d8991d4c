import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsService } from '@lambdock/platform';
import { TimeSeries } from './timeseries.js';

test('per-minute series and GB-seconds follow the platform counters', () => {
  const metrics = new MetricsService();
  const series = new TimeSeries(metrics, () => 1024, 60_000);
  const now = Date.now();
  for (let i = 0; i < 10; i++) {
    metrics.record('f', { timestamp: now, durationMs: i + 1, billedDurationMs: 100, coldStart: i === 0, error: i === 9, memoryUsedMb: 60, memorySizeMb: 1024 });
  }
  metrics.throttled('f');
  series.sample(now);
  series.sample(now); // sampling twice counts nothing twice
  const last = series.range('f', 2, now).at(-1)!;
  assert.deepEqual([last.invocations, last.errors, last.throttles, last.coldStarts], [10, 1, 1, 1]);
  assert.equal(last.p50, 6);
  assert.equal(last.p99, 10);
  const t = series.totals().get('f')!;
  assert.equal(t.requests, 10);
  assert.ok(Math.abs(t.gbSeconds - 1.0) < 1e-9, `10 × 100 ms at 1 GB is 1 GB-s, got ${t.gbSeconds}`);
  series.close();
});
