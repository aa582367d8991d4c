import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Platform } from '@lambdock/platform';
import { loadPrices, type PriceTable } from './prices.js';
import { TimeSeries } from './timeseries.js';

type Services = Platform['services'];

/**
 * The console's read-only data API (`/console/api/metrics`, `/console/api/costs`) and the
 * Prometheus text exposition at `/metrics`. Everything else the console shows comes from
 * the platform's AWS-compatible APIs themselves.
 */
export class ConsoleApi {
  readonly series: TimeSeries;
  readonly prices: PriceTable;

  constructor(private readonly services: Services, prices: PriceTable = loadPrices()) {
    this.prices = prices;
    this.series = new TimeSeries(services.metrics, (fn) => services.functions.cached(fn)?.settings.memorySize);
  }

  matches(path: string): boolean {
    return path === '/metrics' || path.startsWith('/console/api/');
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    this.series.sample();
    if (url.pathname === '/metrics') return text(res, this.prometheus());
    if (url.pathname === '/console/api/metrics') {
      const minutes = Math.min(24 * 60, Math.max(1, Number(url.searchParams.get('minutes') ?? 60) || 60));
      return json(res, 200, { buckets: this.series.range(url.searchParams.get('function') ?? undefined, minutes) });
    }
    if (url.pathname === '/console/api/costs') return json(res, 200, this.costs());
    json(res, 404, { message: `no such console endpoint: ${url.pathname}` });
  }

  costs() {
    const functions = [...this.series.totals()].map(([name, t]) => {
      const arm = this.services.functions.cached(name)?.settings.architectures.includes('arm64') ?? false;
      const requestCost = (t.requests / 1e6) * this.prices.perMillionRequests;
      const computeCost = t.gbSeconds * (arm ? this.prices.perGbSecondArm : this.prices.perGbSecond);
      return { name, requests: t.requests, gbSeconds: t.gbSeconds, requestCost, computeCost, totalCost: requestCost + computeCost, lastInvoke: t.lastInvoke };
    });
    functions.sort((a, b) => b.totalCost - a.totalCost || a.name.localeCompare(b.name));
    return { prices: this.prices, functions };
  }

  prometheus(): string {
    const snap = this.services.metrics.snapshot();
    const totals = this.series.totals();
    const lines: string[] = [];
    const metric = (name: string, type: 'counter' | 'gauge', help: string, values: [Record<string, string>, number][]) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, v] of values) {
        const l = Object.entries(labels).map(([k, val]) => `${k}="${val.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',');
        lines.push(`${name}${l ? `{${l}}` : ''} ${Number.isFinite(v) ? v : 0}`);
      }
    };
    const fns = Object.entries(snap.functions);
    const per = (pick: (m: (typeof fns)[number][1]) => number) => fns.map(([fn, m]) => [{ function: fn }, pick(m)] as [Record<string, string>, number]);
    metric('lambdock_invocations_total', 'counter', 'Invocations per function.', per((m) => m.invocations));
    metric('lambdock_errors_total', 'counter', 'Invocations that ended in a function error.', per((m) => m.errors));
    metric('lambdock_throttles_total', 'counter', 'Invocations refused by concurrency limits.', per((m) => m.throttles));
    metric('lambdock_cold_starts_total', 'counter', 'Invocations that started a new execution environment.', per((m) => m.coldStarts));
    metric('lambdock_duration_milliseconds_sum', 'counter', 'Sum of invocation durations.', per((m) => m.durationMsSum));
    metric('lambdock_billed_duration_milliseconds_sum', 'counter', 'Sum of billed durations.', per((m) => m.billedDurationMsSum));
    metric('lambdock_max_memory_used_megabytes', 'gauge', 'Largest memory use seen in one invocation.', per((m) => m.maxMemoryUsedMb));
    metric('lambdock_concurrent_executions', 'gauge', 'Invocations running now.', per((m) => m.concurrentExecutions));
    metric('lambdock_account_concurrent_executions', 'gauge', 'Invocations running now, all functions.', [[{}, snap.account.concurrentExecutions]]);
    const envs = Object.entries(this.services.environments());
    metric('lambdock_environments', 'gauge', 'Execution environments alive, by function.', envs.map(([fn, e]) => [{ function: fn }, e.total]));
    metric('lambdock_environments_idle', 'gauge', 'Warm idle execution environments, by function.', envs.map(([fn, e]) => [{ function: fn }, e.idle]));
    metric('lambdock_gb_seconds_total', 'counter', 'Billed compute in GB-seconds.', [...totals].map(([fn, t]) => [{ function: fn }, t.gbSeconds]));
    metric('lambdock_cost_usd_total', 'counter', 'Cost at the configured price table, in US dollars.', this.costs().functions.map((f) => [{ function: f.name }, f.totalCost]));
    return lines.join('\n') + '\n';
  }

  close(): void {
    this.series.close();
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), 'cache-control': 'no-store' }).end(data);
}

function text(res: ServerResponse, body: string): void {
  res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
}
