/**
 * A small, raw Runtime API server for tests and benchmarks of runtime clients: it hands out
 * queued events on `GET /invocation/next` and records what the runtime reports, byte for
 * byte, with arrival times of streamed chunks and the trailers. It checks the protocol the
 * way Lambda does (unknown id 400, second report 403, optional size limit 413), so a client
 * that misbehaves shows up as a failed expectation rather than passing by accident.
 *
 * Test-only: not part of what ships in /var/runtime.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StubEvent {
  /** Raw body sent as the event (JSON text, or anything for negative tests). */
  body: string;
  /** Extra headers for `next` (client context, identity, trace id…). */
  headers?: Record<string, string>;
  /** Milliseconds from now to the deadline (default 30 s). */
  deadlineInMs?: number;
  requestId?: string;
}

export interface StreamChunk {
  at: number;
  bytes: number;
}

/** What the runtime reported for one invocation. */
export interface Report {
  kind: 'response' | 'error';
  requestId: string;
  /** Status the stub answered with (202, or 413 over the size limit). */
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
  /** Streaming responses: arrival of each chunk (ms, performance.now clock). */
  chunks: StreamChunk[];
  trailers: Record<string, string>;
  streaming: boolean;
  /** When the invocation was handed out (performance.now clock). */
  startedAt: number;
  endedAt: number;
}

export interface InitErrorReport {
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export interface StubOptions {
  /** Refuse buffered responses over this many bytes with 413, as Lambda does at 6 MiB. */
  maxResponseBytes?: number;
  /** ARN reported in `Lambda-Runtime-Invoked-Function-Arn`. */
  functionArn?: string;
}

interface Pending {
  event: StubEvent;
  requestId: string;
  resolve: (report: Report) => void;
  startedAt: number;
  reported: boolean;
}

const BASE = '/2018-06-01/runtime';
export const SIX_MIB = 6 * 1024 * 1024;

function readBody(req: IncomingMessage, chunks: StreamChunk[]): Promise<Buffer> {
  return new Promise((resolveBody, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      chunks.push({ at: performance.now(), bytes: chunk.length });
      parts.push(chunk);
    });
    req.on('end', () => resolveBody(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

export class RuntimeApiStub {
  readonly server: Server;
  readonly options: StubOptions;
  /** Every `next` call received. */
  nextCalls = 0;
  private readonly queue: Pending[] = [];
  private readonly waiting: ServerResponse[] = [];
  private readonly byId = new Map<string, Pending>();
  private initErrorResolve!: (r: InitErrorReport) => void;
  /** Resolves when the runtime posts `/init/error`. */
  readonly initError: Promise<InitErrorReport>;

  private constructor(options: StubOptions) {
    this.options = options;
    this.initError = new Promise((r) => (this.initErrorResolve = r));
    this.server = createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500).end(String(err));
      });
    });
    this.server.keepAliveTimeout = 60_000;
  }

  static async start(options: StubOptions = {}): Promise<RuntimeApiStub> {
    const stub = new RuntimeApiStub(options);
    await new Promise<void>((r) => stub.server.listen(0, '127.0.0.1', r));
    return stub;
  }

  /** `host:port` for `AWS_LAMBDA_RUNTIME_API`. */
  get address(): string {
    const a = this.server.address() as AddressInfo;
    return `127.0.0.1:${a.port}`;
  }

  /** Queue one event; resolves with the runtime's report for it. */
  invoke(event: StubEvent): { requestId: string; report: Promise<Report> } {
    const requestId = event.requestId ?? randomUUID();
    let resolve!: (r: Report) => void;
    const report = new Promise<Report>((r) => (resolve = r));
    const pending: Pending = { event, requestId, resolve, startedAt: 0, reported: false };
    this.byId.set(requestId, pending);
    this.queue.push(pending);
    this.dispatch();
    return { requestId, report };
  }

  private dispatch(): void {
    while (this.queue.length > 0 && this.waiting.length > 0) {
      const res = this.waiting.shift()!;
      if (res.destroyed) continue;
      const p = this.queue.shift()!;
      p.startedAt = performance.now();
      const headers: Record<string, string> = {
        'Content-Type': 'application/json',
        'Lambda-Runtime-Aws-Request-Id': p.requestId,
        'Lambda-Runtime-Deadline-Ms': String(Date.now() + (p.event.deadlineInMs ?? 30_000)),
        'Lambda-Runtime-Invoked-Function-Arn': this.options.functionArn ?? 'arn:aws:lambda:us-east-1:123456789012:function:fixture-fn',
        ...p.event.headers,
      };
      res.writeHead(200, headers);
      res.end(p.event.body);
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '';
    if (req.method === 'GET' && url === `${BASE}/invocation/next`) {
      this.nextCalls++;
      this.waiting.push(res);
      this.dispatch();
      return;
    }
    if (req.method === 'POST' && url === `${BASE}/init/error`) {
      const body = await readBody(req, []);
      res.writeHead(202, { 'Content-Type': 'application/json' }).end('{"status":"OK"}');
      this.initErrorResolve({ headers: req.headers, body });
      return;
    }
    const m = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(url);
    if (req.method !== 'POST' || !m) {
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"errorType":"NotFound","errorMessage":"no such endpoint"}');
      return;
    }
    const requestId = decodeURIComponent(m[1]!);
    const kind = m[2] as 'response' | 'error';
    const pending = this.byId.get(requestId);
    const chunks: StreamChunk[] = [];
    const body = await readBody(req, chunks);
    if (!pending) {
      res.writeHead(400, { 'Content-Type': 'application/json' }).end('{"errorType":"InvalidRequestID","errorMessage":"unknown request id"}');
      return;
    }
    if (pending.reported) {
      res.writeHead(403, { 'Content-Type': 'application/json' }).end('{"errorType":"InvalidStateTransition","errorMessage":"already reported"}');
      return;
    }
    pending.reported = true;
    const streaming = kind === 'response' && req.headers['lambda-runtime-function-response-mode'] === 'streaming';
    let status = 202;
    if (kind === 'response' && !streaming && this.options.maxResponseBytes !== undefined && body.length > this.options.maxResponseBytes) {
      status = 413;
      res.writeHead(413, { 'Content-Type': 'application/json' }).end(
        JSON.stringify({ errorMessage: `Exceeded maximum allowed payload size (${this.options.maxResponseBytes} bytes).`, errorType: 'RequestEntityTooLarge' }),
      );
    } else {
      res.writeHead(202, { 'Content-Type': 'application/json' }).end('{"status":"OK"}');
    }
    pending.resolve({
      kind,
      requestId,
      status,
      headers: req.headers,
      body,
      chunks,
      trailers: req.trailers as Record<string, string>,
      streaming,
      startedAt: pending.startedAt,
      endedAt: performance.now(),
    });
  }

  async close(): Promise<void> {
    for (const res of this.waiting) res.destroy();
    this.server.closeAllConnections?.();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
