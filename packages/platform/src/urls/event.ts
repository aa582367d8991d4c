import type { IncomingMessage } from 'node:http';

/** Lambda's function URL event (payload format 2.0), as a function receives it. */
export interface FunctionUrlEvent {
  version: '2.0';
  routeKey: '$default';
  rawPath: string;
  rawQueryString: string;
  cookies?: string[];
  headers: Record<string, string>;
  queryStringParameters?: Record<string, string>;
  requestContext: {
    accountId: string;
    apiId: string;
    authorizer?: { iam: { accessKey: string; accountId: string; callerId: string; cognitoIdentity: null; principalOrgId: null; userArn: string; userId: string } };
    domainName: string;
    domainPrefix: string;
    http: { method: string; path: string; protocol: string; sourceIp: string; userAgent: string };
    requestId: string;
    routeKey: '$default';
    stage: '$default';
    time: string;
    timeEpoch: number;
  };
  body?: string;
  pathParameters?: null;
  isBase64Encoded: boolean;
}

export interface EventContext {
  urlId: string;
  region: string;
  account: string;
  requestId: string;
  /** The path and query the function sees (without the `/lambda-url/<id>` prefix of the path form). */
  target: string;
  body: Buffer;
  /** Set for AWS_IAM URLs: who signed the request. */
  caller?: { accessKeyId: string };
  now?: Date;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Bodies of these types arrive as text; everything else is base64 with isBase64Encoded. */
export function isTextContentType(ct: string | undefined): boolean {
  if (!ct) return false;
  const t = ct.split(';')[0]!.trim().toLowerCase();
  return (
    t.startsWith('text/') ||
    t === 'application/json' ||
    t.endsWith('+json') ||
    t === 'application/xml' ||
    t.endsWith('+xml') ||
    t === 'application/javascript' ||
    t === 'application/x-www-form-urlencoded' ||
    t === 'application/graphql'
  );
}

/** Turns an HTTP request into the event a function URL hands its function. */
export function buildUrlEvent(req: IncomingMessage, c: EventContext): FunctionUrlEvent {
  const q = c.target.indexOf('?');
  const rawPath = q === -1 ? c.target : c.target.slice(0, q);
  const rawQueryString = q === -1 ? '' : c.target.slice(q + 1);
  // Lambda lower-cases names and joins repeated headers with commas; cookies get their own field.
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    if (name === 'cookie') {
      for (const part of value.split(';')) {
        const p = part.trim();
        if (p) (cookies ??= []).push(p);
      }
      continue;
    }
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  // Lambda's front end adds these; frameworks behind a URL read them.
  const sourceIp = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  headers['x-forwarded-for'] ??= sourceIp;
  headers['x-forwarded-proto'] ??= 'http';
  headers['x-forwarded-port'] ??= String(req.socket.localPort ?? '');
  headers['x-amzn-trace-id'] ??= `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${c.requestId.replace(/-/g, '').slice(0, 24)}`;
  let queryStringParameters: Record<string, string> | undefined;
  if (rawQueryString) {
    for (const [k, v] of new URLSearchParams(rawQueryString)) {
      queryStringParameters ??= {};
      queryStringParameters[k] = k in queryStringParameters ? `${queryStringParameters[k]},${v}` : v;
    }
  }
  const now = c.now ?? new Date();
  const p2 = (n: number) => String(n).padStart(2, '0');
  const time = `${p2(now.getUTCDate())}/${MONTHS[now.getUTCMonth()]}/${now.getUTCFullYear()}:${p2(now.getUTCHours())}:${p2(now.getUTCMinutes())}:${p2(now.getUTCSeconds())} +0000`;
  let path = rawPath;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    // a malformed escape stays as sent
  }
  const ev: FunctionUrlEvent = {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    ...(cookies ? { cookies } : {}),
    headers,
    ...(queryStringParameters ? { queryStringParameters } : {}),
    requestContext: {
      accountId: c.caller ? c.account : 'anonymous',
      apiId: c.urlId,
      ...(c.caller
        ? {
            authorizer: {
              iam: {
                accessKey: c.caller.accessKeyId,
                accountId: c.account,
                callerId: c.caller.accessKeyId,
                cognitoIdentity: null,
                principalOrgId: null,
                userArn: `arn:aws:iam::${c.account}:user/${c.caller.accessKeyId}`,
                userId: c.caller.accessKeyId,
              },
            },
          }
        : {}),
      domainName: `${c.urlId}.lambda-url.${c.region}.localhost`,
      domainPrefix: c.urlId,
      http: {
        method: req.method ?? 'GET',
        path,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp,
        userAgent: String(req.headers['user-agent'] ?? ''),
      },
      requestId: c.requestId,
      routeKey: '$default',
      stage: '$default',
      time,
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: false,
  };
  if (c.body.length) {
    const text = isTextContentType(req.headers['content-type']) ? c.body.toString('utf8') : undefined;
    if (text !== undefined && !text.includes('\uFFFD')) ev.body = text;
    else {
      ev.body = c.body.toString('base64');
      ev.isBase64Encoded = true;
    }
  }
  return ev;
}
