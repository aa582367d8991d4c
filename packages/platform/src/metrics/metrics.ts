/**
 * Per-invoke metrics kept in memory for the console and a Prometheus endpoint
 * (issue #8): counters and duration samples per function, and live concurrency.
 * Recording is an array push and a few additions — nothing on the invoke path
 * touches disk.
 */
export interface InvokeSample {
  timestamp: number;
  durationMs: number;
  billedDurationMs: number;
  initDurationMs?: number;
  coldStart: boolean;
  error: boolean;
  memoryUsedMb: number;
  memorySizeMb: number;
}

export interface FunctionMetrics {
  invocations: number;
  errors: number;
  throttles: number;
  coldStarts: number;
  durationMsSum: number;
  billedDurationMsSum: number;
  maxMemoryUsedMb: number;
  concurrentExecutions: number;
  maxConcurrentExecutions: number;
  /** The most recent samples (at most 1,000), oldest first. */
  recent: InvokeSample[];
}

const RECENT = 1000;

export class MetricsService {
  readonly #fns = new Map<string, FunctionMetrics>();
  #accountConcurrent = 0;
  #accountMaxConcurrent = 0;

  #get(fn: string): FunctionMetrics {
    let m = this.#fns.get(fn);
    if (!m) {
      m = { invocations: 0, errors: 0, throttles: 0, coldStarts: 0, durationMsSum: 0, billedDurationMsSum: 0, maxMemoryUsedMb: 0, concurrentExecutions: 0, maxConcurrentExecutions: 0, recent: [] };
      this.#fns.set(fn, m);
    }
    return m;
  }

  record(fn: string, s: InvokeSample): void {
    const m = this.#get(fn);
    m.invocations++;
    if (s.error) m.errors++;
    if (s.coldStart) m.coldStarts++;
    m.durationMsSum += s.durationMs;
    m.billedDurationMsSum += s.billedDurationMs;
    if (s.memoryUsedMb > m.maxMemoryUsedMb) m.maxMemoryUsedMb = s.memoryUsedMb;
    m.recent.push(s);
    if (m.recent.length > RECENT * 2) m.recent = m.recent.slice(-RECENT);
  }

  throttled(fn: string): void {
    this.#get(fn).throttles++;
  }

  /** Concurrency gauge: +1 when an invoke starts running, -1 when it ends. */
  concurrency(fn: string, delta: 1 | -1): void {
    const m = this.#get(fn);
    m.concurrentExecutions += delta;
    this.#accountConcurrent += delta;
    if (m.concurrentExecutions > m.maxConcurrentExecutions) m.maxConcurrentExecutions = m.concurrentExecutions;
    if (this.#accountConcurrent > this.#accountMaxConcurrent) this.#accountMaxConcurrent = this.#accountConcurrent;
  }

  forFunction(fn: string): FunctionMetrics | undefined {
    const m = this.#fns.get(fn);
    return m ? { ...m, recent: m.recent.slice(-RECENT) } : undefined;
  }

  snapshot(): { account: { concurrentExecutions: number; maxConcurrentExecutions: number }; functions: Record<string, Omit<FunctionMetrics, 'recent'>> } {
    const functions: Record<string, Omit<FunctionMetrics, 'recent'>> = {};
    for (const [name, { recent: _r, ...rest }] of this.#fns) functions[name] = rest;
    return { account: { concurrentExecutions: this.#accountConcurrent, maxConcurrentExecutions: this.#accountMaxConcurrent }, functions };
  }

  forget(fn: string): void {
    const m = this.#fns.get(fn);
    if (m && m.concurrentExecutions === 0) this.#fns.delete(fn);
  }
}
