import http from 'node:http';
import type { Logger } from '@lambdock/common';
import { ErrorType, RuntimeApiError } from './errors.js';

/**
 * Telemetry API subscriptions (PUT /2022-07-01/telemetry, and the older Logs API
 * PUT /2020-08-15/logs): events are buffered per subscriber and POSTed as a JSON
 * array to its HTTP destination when maxItems or maxBytes is reached or timeoutMs
 * passes, whichever comes first.
 */
export type TelemetryStream = 'platform' | 'function' | 'extension';
export interface TelemetryEvent {
  time: string;
  type: string; // 'platform.start' …, 'function', 'extension'
  record: unknown;
}
export interface Buffering {
  maxItems: number;
  maxBytes: number;
  timeoutMs: number;
}
export interface TelemetrySubscription {
  extensionName: string;
  schemaVersion: string;
  types: TelemetryStream[];
  uri: string;
  buffering: Buffering;
}

const limits = {
  maxItems: [25, 10_000, 10_000],
  maxBytes: [262_144, 1_048_576, 262_144],
  timeoutMs: [25, 30_000, 1_000],
} as const;
const schemaVersions = new Set(['2022-12-13', '2022-07-01', '2021-03-18']);
const streams = new Set<TelemetryStream>(['platform', 'function', 'extension']);

function invalid(message: string): RuntimeApiError {
  return new RuntimeApiError(400, ErrorType.TelemetryValidation, message);
}

/** Parses and checks a subscription request body (Telemetry API or Logs API shape). */
export function parseSubscription(extensionName: string, body: Buffer, logsApi: boolean): TelemetrySubscription {
  let v: unknown;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch {
    throw invalid('request body is not valid JSON');
  }
  if (typeof v !== 'object' || v === null) throw invalid('request body must be a JSON object');
  const o = v as Record<string, unknown>;
  const schemaVersion = o['schemaVersion'] === undefined ? (logsApi ? '2021-03-18' : '') : String(o['schemaVersion']);
  if (!schemaVersions.has(schemaVersion)) throw invalid(`unsupported schemaVersion ${JSON.stringify(o['schemaVersion'])}`);
  const dest = o['destination'] as Record<string, unknown> | undefined;
  if (!dest || typeof dest !== 'object') throw invalid('destination is required');
  if (dest['protocol'] !== 'HTTP') throw invalid('destination.protocol must be HTTP');
  const uri = dest['URI'];
  if (typeof uri !== 'string' || !/^http:\/\/[^/]+/.test(uri)) throw invalid('destination.URI must be an http:// URL');
  const types = o['types'];
  if (!Array.isArray(types) || types.length === 0 || !types.every((t) => streams.has(t as TelemetryStream)))
    throw invalid('types must be a non-empty list of platform, function, extension');
  const b = (o['buffering'] ?? {}) as Record<string, unknown>;
  const buffering = {} as Buffering;
  for (const key of ['maxItems', 'maxBytes', 'timeoutMs'] as const) {
    const [min, max, dflt] = limits[key];
    const raw = b[key];
    if (raw === undefined) buffering[key] = dflt;
    else if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < min || raw > max)
      throw invalid(`buffering.${key} must be an integer between ${min} and ${max}`);
    else buffering[key] = raw;
  }
  return { extensionName, schemaVersion, types: [...new Set(types as TelemetryStream[])], uri, buffering };
}

class Subscriber {
  private items: string[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private inflight = new Set<Promise<void>>();
  constructor(
    readonly sub: TelemetrySubscription,
    private readonly url: URL,
    private readonly logger: Logger,
  ) {}

  accepts(ev: TelemetryEvent): boolean {
    const stream = ev.type === 'function' || ev.type === 'extension' ? ev.type : 'platform';
    return this.sub.types.includes(stream);
  }

  push(ev: TelemetryEvent): void {
    const text = JSON.stringify(ev);
    const size = Buffer.byteLength(text);
    if (this.bytes + size > this.sub.buffering.maxBytes && this.items.length > 0) this.flush();
    this.items.push(text);
    this.bytes += size;
    if (this.items.length >= this.sub.buffering.maxItems || this.bytes >= this.sub.buffering.maxBytes) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.sub.buffering.timeoutMs);
      this.timer.unref(); // pending batches must not keep a finished process alive; shutdown() drains them
    }
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.items.length === 0) return;
    const body = '[' + this.items.join(',') + ']';
    this.items = [];
    this.bytes = 0;
    const p = this.post(body).finally(() => this.inflight.delete(p));
    this.inflight.add(p);
  }

  async drain(): Promise<void> {
    this.flush();
    await Promise.all([...this.inflight]);
  }

  private post(body: string): Promise<void> {
    return new Promise((resolve) => {
      const req = http.request(
        this.url,
        { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, timeout: 5_000 },
        (res) => {
          res.resume();
          res.on('end', () => resolve());
          res.on('error', () => resolve());
        },
      );
      req.on('timeout', () => req.destroy(new Error('telemetry destination timed out')));
      req.on('error', (err) => {
        // A subscriber that cannot take its batch loses it, as in Lambda; the function is unaffected.
        this.logger.warn('telemetry delivery failed', { extension: this.sub.extensionName, err });
        resolve();
      });
      req.end(body);
    });
  }
}

/** Fans events out to subscribers; keeps init-phase events for extensions that subscribe during init. */
export class TelemetryHub {
  private subscribers: Subscriber[] = [];
  private backlog: TelemetryEvent[] | undefined = [];

  constructor(
    private readonly logger: Logger,
    private readonly sandboxHost: string,
  ) {}

  get active(): boolean {
    return this.subscribers.length > 0 || this.backlog !== undefined;
  }

  subscribe(sub: TelemetrySubscription): void {
    const url = new URL(sub.uri);
    // In Lambda `sandbox.localdomain` names the execution environment itself.
    if (url.hostname === 'sandbox.localdomain' || url.hostname === 'sandbox') url.hostname = this.sandboxHost;
    const s = new Subscriber(sub, url, this.logger);
    this.subscribers = this.subscribers.filter((x) => x.sub.extensionName !== sub.extensionName);
    this.subscribers.push(s);
    for (const ev of this.backlog ?? []) if (s.accepts(ev)) s.push(ev);
  }

  emit(type: string, record: unknown): void {
    if (!this.active) return;
    const ev: TelemetryEvent = { time: new Date().toISOString(), type, record };
    if (this.backlog && this.backlog.length < 1000) this.backlog.push(ev);
    for (const s of this.subscribers) if (s.accepts(ev)) s.push(ev);
  }

  /** Init is over: later subscribers only see what happens after they subscribe. */
  endBacklog(): void {
    this.backlog = undefined;
  }

  async drain(): Promise<void> {
    await Promise.all(this.subscribers.map((s) => s.drain()));
  }
}
