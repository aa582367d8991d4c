import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FunctionService } from '../functions/function-service.js';
import type { InvokeService } from '../invoke/invoke-service.js';
import type { FunctionUrlService } from '../urls/url-service.js';
import type { EventInvokeConfigService } from '../async/event-invoke-configs.js';
import type { VersionService } from '../versions/version-service.js';
import type { FunctionRef } from '../functions/names.js';
import { parseFunctionRef } from '../functions/names.js';

export interface HttpContext {
  req: IncomingMessage;
  res: ServerResponse;
  requestId: string;
  /** Path parameters, percent-decoded, in pattern order. */
  params: string[];
  query: URLSearchParams;
}

export interface Services {
  functions: FunctionService;
  invoke: InvokeService;
  urls: FunctionUrlService;
  eventInvokeConfigs: EventInvokeConfigService;
  versions: VersionService;
}

/** One per operation (handlers/<operation>.ts): parse the request into a command, call a service, write the answer. */
export type Handler = (ctx: HttpContext, svc: Services) => Promise<void> | void;

export function functionRefParam(ctx: HttpContext, svc: Services, opts: { qualifier?: boolean } = {}): FunctionRef {
  const qualifier = opts.qualifier ? (ctx.query.get('Qualifier') ?? undefined) : undefined;
  return parseFunctionRef(ctx.params[0]!, { account: svc.functions.account, region: svc.functions.region, ...(qualifier ? { qualifier } : {}) });
}
