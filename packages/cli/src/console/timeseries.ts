import type { MetricsService } from '@lambdock/platform';

/** One minute of one function's activity. */
export interface Bucket {
  t: number;
  invocations: number;
  errors: number;
  throttles: number;
  coldStarts: number;
  concurrency: number;
  gbSeconds: number;
  durations: number[];
}

export interface Totals {
  requests: number;
  gbSeconds: number;
  lastInvoke?: number;
}

const MINUTE = 60_000;
const KEEP_MINUTES = 24 * 60;

/**
 * Turns the platform's live counters into per-minute series for the console's charts
 * and cumulative totals for costs. Samples the counters on a timer (off the invoke path)
 * and keeps deltas, so nothing is lost when more invokes happen than the platform's
 * recent-sample window holds; durations come from those recent samples.
 */
export class TimeSeries {
  readonly #series = new Map<string, Map<number, Bucket>>();
  readonly #last = new Map<string, { invocations: number; errors: number; throttles: number; coldStarts: number; billedMs: number; sampleTs: number }>();
  readonly #totals = new Map<string, Totals>();
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly metrics: MetricsService,
    private readonly memoryOf: (fn: string) => number | undefined,
    intervalMs = 1000,
  ) {
    this.#timer = setInterval(() => this.sample(), intervalMs);
    this.#timer.unref();
  }

  close(): void {
    clearInterval(this.#timer);
  }

  sample(now = Date.now()): void {
    const snap = this.metrics.snapshot();
    const minute = Math.floor(now / MINUTE) * MINUTE;
    for (const [fn, m] of Object.entries(snap.functions)) {
      const prev = this.#last.get(fn) ?? { invocations: 0, errors: 0, throttles: 0, coldStarts: 0, billedMs: 0, sampleTs: 0 };
      const b = this.#bucket(fn, minute);
      const dInv = Math.max(0, m.invocations - prev.invocations);
      b.invocations += dInv;
      b.errors += Math.max(0, m.errors - prev.errors);
      b.throttles += Math.max(0, m.throttles - prev.throttles);
      b.coldStarts += Math.max(0, m.coldStarts - prev.coldStarts);
      b.concurrency = Math.max(b.concurrency, m.concurrentExecutions);
      const dBilled = Math.max(0, m.billedDurationMsSum - prev.billedMs);
      const memMb = this.memoryOf(fn) ?? 128;
      const gbs = (dBilled / 1000) * (memMb / 1024);
      b.gbSeconds += gbs;
      let sampleTs = prev.sampleTs;
      for (const s of this.metrics.forFunction(fn)?.recent ?? []) {
        if (s.timestamp <= prev.sampleTs) continue;
        this.#bucket(fn, Math.floor(s.timestamp / MINUTE) * MINUTE).durations.push(s.durationMs);
        sampleTs = Math.max(sampleTs, s.timestamp);
      }
      const t = this.#totals.get(fn) ?? { requests: 0, gbSeconds: 0 };
      t.requests += dInv;
      t.gbSeconds += gbs;
      if (sampleTs > (t.lastInvoke ?? 0)) t.lastInvoke = sampleTs;
      this.#totals.set(fn, t);
      this.#last.set(fn, { invocations: m.invocations, errors: m.errors, throttles: m.throttles, coldStarts: m.coldStarts, billedMs: m.billedDurationMsSum, sampleTs });
    }
    for (const series of this.#series.values()) for (const t of series.keys()) if (t < minute - KEEP_MINUTES * MINUTE) series.delete(t);
  }

  #bucket(fn: string, t: number): Bucket {
    let series = this.#series.get(fn);
    if (!series) this.#series.set(fn, (series = new Map()));
    let b = series.get(t);
    if (!b) series.set(t, (b = { t, invocations: 0, errors: 0, throttles: 0, coldStarts: 0, concurrency: 0, gbSeconds: 0, durations: [] }));
    return b;
  }

  /** Per-minute points for one function (or all, summed) over the last `minutes`. */
  range(fn: string | undefined, minutes: number, now = Date.now()) {
    const end = Math.floor(now / MINUTE) * MINUTE;
    const names = fn ? [fn] : [...this.#series.keys()];
    const out = [];
    for (let t = end - (minutes - 1) * MINUTE; t <= end; t += MINUTE) {
      const durations: number[] = [];
      const p = { t, invocations: 0, errors: 0, throttles: 0, coldStarts: 0, concurrency: 0, p50: 0, p90: 0, p99: 0 };
      for (const n of names) {
        const b = this.#series.get(n)?.get(t);
        if (!b) continue;
        p.invocations += b.invocations;
        p.errors += b.errors;
        p.throttles += b.throttles;
        p.coldStarts += b.coldStarts;
        p.concurrency += b.concurrency;
        durations.push(...b.durations);
      }
      durations.sort((a, b) => a - b);
      const q = (x: number) => (durations.length ? durations[Math.min(durations.length - 1, Math.floor(x * durations.length))]! : 0);
      p.p50 = q(0.5);
      p.p90 = q(0.9);
      p.p99 = q(0.99);
      out.push(p);
    }
    return out;
  }

  totals(): Map<string, Totals> {
    return this.#totals;
  }
}
