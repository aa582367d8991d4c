import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@lambdock/common';
import type { LogService } from '../logs/log-service.js';
import { LogsApiError } from './errors.js';
import { operations, pruneGroup, type LogsContext } from './operations.js';
import { RetentionSettings } from './retention.js';

export const LOGS_TARGET_PREFIX = 'Logs_20140328.';
const MAX_BODY = 1 << 20;

export interface LogsApi {
  /** CloudWatch Logs JSON 1.1 (`X-Amz-Target: Logs_20140328.<Operation>`). */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Applies retention now (also runs hourly). */
  prune(now?: number): Promise<number>;
  close(): void;
}

/**
 * The subset of the CloudWatch Logs API that `aws logs tail --follow`, `aws logs
 * describe-log-groups/-streams`, `get-log-events`, `filter-log-events` and the
 * retention commands use, over the platform's function logs.
 */
export function createLogsApi(opts: { logs: LogService; retentionFile: string; account: string; region: string; logger?: Logger }): LogsApi {
  const ctx: LogsContext = { logs: opts.logs, retention: new RetentionSettings(opts.retentionFile), account: opts.account, region: opts.region };
  const prune = async (now = Date.now()) => {
    let n = 0;
    for (const [group] of ctx.retention.entries()) n += await pruneGroup(ctx, group, now);
    return n;
  };
  const timer = setInterval(() => void prune().catch((err: unknown) => opts.logger?.warn('log retention pruning failed', { err })), 3_600_000);
  timer.unref();
  return {
    handle(req, res) {
      const target = String(req.headers['x-amz-target'] ?? '');
      const op = target.startsWith(LOGS_TARGET_PREFIX) ? operations[target.slice(LOGS_TARGET_PREFIX.length)] : undefined;
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_BODY) chunks.push(c);
      });
      req.on('end', () => {
        void (async () => {
          if (req.method !== 'POST') throw new LogsApiError('ValidationException', 'CloudWatch Logs operations are POST requests');
          if (!op) throw new LogsApiError('ValidationException', `Unsupported operation ${target || '(no X-Amz-Target)'}`);
          if (size > MAX_BODY) throw new LogsApiError('InvalidParameterException', 'Request body too large');
          let input: unknown;
          try {
            input = size ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
          } catch {
            throw new LogsApiError('ValidationException', 'Request body is not valid JSON');
          }
          if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new LogsApiError('ValidationException', 'Request body must be a JSON object');
          return op(input as Record<string, unknown>, ctx);
        })().then(
          (out) => send(res, 200, out),
          (err: unknown) => {
            if (err instanceof LogsApiError) return send(res, err.status, { __type: err.type, message: err.message });
            opts.logger?.error('logs api failed', { err });
            send(res, 500, { __type: 'ServiceUnavailableException', message: 'The service cannot complete the request.' });
          },
        );
      });
    },
    prune,
    close: () => clearInterval(timer),
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(data), 'x-amzn-requestid': crypto.randomUUID() });
  res.end(data);
}
