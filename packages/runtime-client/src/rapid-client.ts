/**
 * The HTTP side of the Runtime API (`/2018-06-01/runtime/...`), from the runtime's seat.
 *
 * One keep-alive connection (maxSockets 1) carries every call in order: `next`, then the
 * invocation's `response` or `error`, then `next` again. Headers that never change are built
 * once. Reports made while the process is dying go on a fresh connection so they never queue
 * behind a half-written streaming response.
 */
import { Agent, request, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type RequestOptions } from 'node:http';
import { headerSafe, type ErrorResponse } from './error-format.js';

const BASE = '/2018-06-01/runtime';
export const ERROR_TYPE_HEADER = 'Lambda-Runtime-Function-Error-Type';
export const ERROR_BODY_TRAILER = 'Lambda-Runtime-Function-Error-Body';
export const XRAY_CAUSE_HEADER = 'Lambda-Runtime-Function-XRay-Error-Cause';
export const RESPONSE_MODE_HEADER = 'Lambda-Runtime-Function-Response-Mode';
/**
 * Header budget. Node's HTTP servers refuse requests whose headers exceed 16 KiB (431), which
 * would lose the whole error report; so the X-Ray cause is left out above 8 KiB and the error
 * type is cut at 1 KiB. The full error always travels in the body.
 */
const XRAY_CAUSE_LIMIT = 8 * 1024;
const ERROR_TYPE_LIMIT = 1024;

/** One event handed out by `GET /invocation/next`. */
export interface Invocation {
  requestId: string;
  /** The raw event body (JSON text). */
  body: string;
  /** Response headers, lower-case keys as Node gives them. */
  headers: IncomingHttpHeaders;
}

/** What the Runtime API answered to a report. */
export interface ApiReply {
  status: number;
  body: string;
}

/** The Runtime API answered something the runtime cannot go on from (not a 2xx, no request id). */
export class RuntimeApiError extends Error {
  readonly code = 'RUNTIME_API';
  readonly status: number | undefined;

  constructor(message: string, status?: number) {
    super(message);
    this.name = 'RuntimeApiError';
    this.status = status;
  }
}

const JSON_HEADERS: OutgoingHttpHeaders = Object.freeze({ 'Content-Type': 'application/json' }) as OutgoingHttpHeaders;

/** `"host:port"` (Lambda's `AWS_LAMBDA_RUNTIME_API`), `"[::1]:port"` for IPv6. */
export function parseRuntimeApiAddress(address: string): { hostname: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(address.trim());
  if (!m) throw new RuntimeApiError(`AWS_LAMBDA_RUNTIME_API must be host:port, got '${address}'`);
  return { hostname: (m[1] ?? m[2])!, port: Number.parseInt(m[3]!, 10) };
}

function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolveBody, reject) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      body += chunk;
    });
    res.on('end', () => resolveBody(body));
    res.on('error', reject);
    res.on('aborted', () => reject(new RuntimeApiError('Runtime API closed the connection mid-response')));
  });
}

export class RuntimeApiClient {
  readonly hostname: string;
  readonly port: number;
  readonly agent: Agent;
  private readonly nextOptions: RequestOptions;

  constructor(address: string) {
    const { hostname, port } = parseRuntimeApiAddress(address);
    this.hostname = hostname;
    this.port = port;
    // One socket, kept alive, no Nagle delay: each call is one small round trip on loopback.
    this.agent = new Agent({ keepAlive: true, maxSockets: 1, noDelay: true } as ConstructorParameters<typeof Agent>[0]);
    this.nextOptions = { hostname, port, method: 'GET', path: `${BASE}/invocation/next`, agent: this.agent };
  }

  /** Wait for the next event. */
  async next(): Promise<Invocation> {
    const res = await this.send(this.nextOptions, undefined);
    const body = await readAll(res);
    if (res.statusCode !== 200) {
      throw new RuntimeApiError(`Runtime API answered ${res.statusCode} to invocation/next: ${body}`, res.statusCode);
    }
    const requestId = res.headers['lambda-runtime-aws-request-id'];
    if (typeof requestId !== 'string' || requestId === '') {
      throw new RuntimeApiError('Runtime API sent an invocation without Lambda-Runtime-Aws-Request-Id', res.statusCode);
    }
    return { requestId, body, headers: res.headers };
  }

  /** `POST /invocation/{id}/response` with an already-serialised JSON body. */
  postResponse(requestId: string, body: string): Promise<ApiReply> {
    return this.post(`${BASE}/invocation/${encodeURIComponent(requestId)}/response`, JSON_HEADERS, body, this.agent);
  }

  /** `POST /invocation/{id}/error`; `fresh` opens a new connection (used when dying). */
  postError(requestId: string, error: ErrorResponse, xrayCause = '', fresh = false): Promise<ApiReply> {
    return this.post(`${BASE}/invocation/${encodeURIComponent(requestId)}/error`, errorHeaders(error, xrayCause), JSON.stringify(error), fresh ? false : this.agent);
  }

  /** `POST /init/error`: the function could not start. */
  postInitError(error: ErrorResponse, fresh = false): Promise<ApiReply> {
    return this.post(`${BASE}/init/error`, errorHeaders(error, ''), JSON.stringify(error), fresh ? false : this.agent);
  }

  /**
   * Open `POST /invocation/{id}/response` in streaming mode. Nothing is sent until the
   * first write (or end), so the content type may still change until then.
   */
  openResponseStream(requestId: string, contentType = 'application/octet-stream'): ClientRequest {
    return request({
      hostname: this.hostname,
      port: this.port,
      method: 'POST',
      path: `${BASE}/invocation/${encodeURIComponent(requestId)}/response`,
      agent: this.agent,
      headers: {
        [RESPONSE_MODE_HEADER]: 'streaming',
        'Transfer-Encoding': 'chunked',
        Trailer: `${ERROR_TYPE_HEADER}, ${ERROR_BODY_TRAILER}`,
        'Content-Type': contentType,
      },
    });
  }

  private async post(path: string, headers: OutgoingHttpHeaders, body: string, agent: Agent | false): Promise<ApiReply> {
    const res = await this.send({ hostname: this.hostname, port: this.port, method: 'POST', path, headers, agent }, body);
    return { status: res.statusCode ?? 0, body: await readAll(res) };
  }

  /**
   * One request. A keep-alive socket the server closed while idle shows up as ECONNRESET on
   * reuse before any reply: that request never reached the server, so it is sent once more.
   */
  private send(options: RequestOptions, body: string | undefined, retried = false): Promise<IncomingMessage> {
    return new Promise((resolveRes, reject) => {
      const req = request(options, resolveRes);
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (!retried && req.reusedSocket && err.code === 'ECONNRESET') {
          this.send(options, body, true).then(resolveRes, reject);
        } else {
          reject(err);
        }
      });
      req.end(body);
    });
  }
}

function errorHeaders(error: ErrorResponse, xrayCause: string): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {
    'Content-Type': 'application/json',
    [ERROR_TYPE_HEADER]: headerSafe(error.errorType).slice(0, ERROR_TYPE_LIMIT),
  };
  if (xrayCause) {
    const safe = headerSafe(xrayCause);
    if (safe.length <= XRAY_CAUSE_LIMIT) headers[XRAY_CAUSE_HEADER] = safe;
  }
  return headers;
}
