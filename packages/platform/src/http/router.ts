import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestId as newRequestId } from '@lambdock/common';
import type { Logger } from '@lambdock/common';
import { UnknownOperationError } from '../errors.js';
import { writeError } from './error-table.js';
import type { Handler, HttpContext, Services } from './types.js';
import { createFunction } from '../handlers/create-function.js';
import { getFunction } from '../handlers/get-function.js';
import { getFunctionConfiguration } from '../handlers/get-function-configuration.js';
import { listFunctions } from '../handlers/list-functions.js';
import { updateFunctionCode } from '../handlers/update-function-code.js';
import { updateFunctionConfiguration } from '../handlers/update-function-configuration.js';
import { deleteFunction } from '../handlers/delete-function.js';
import { putFunctionConcurrency } from '../handlers/put-function-concurrency.js';
import { getFunctionConcurrency } from '../handlers/get-function-concurrency.js';
import { deleteFunctionConcurrency } from '../handlers/delete-function-concurrency.js';
import { getAccountSettings } from '../handlers/get-account-settings.js';
import { invoke } from '../handlers/invoke.js';
import { invokeAsync } from '../handlers/invoke-async.js';
import { invokeWithResponseStream } from '../handlers/invoke-with-response-stream.js';
import { createFunctionUrlConfig } from '../handlers/create-function-url-config.js';
import { getFunctionUrlConfig } from '../handlers/get-function-url-config.js';
import { updateFunctionUrlConfig } from '../handlers/update-function-url-config.js';
import { deleteFunctionUrlConfig } from '../handlers/delete-function-url-config.js';
import { listFunctionUrlConfigs } from '../handlers/list-function-url-configs.js';
import {
  putFunctionEventInvokeConfig,
  updateFunctionEventInvokeConfig,
  getFunctionEventInvokeConfig,
  deleteFunctionEventInvokeConfig,
  listFunctionEventInvokeConfigs,
} from '../handlers/event-invoke-config.js';
import { publishVersion } from '../handlers/publish-version.js';
import { listVersionsByFunction } from '../handlers/list-versions-by-function.js';
import { createAlias } from '../handlers/create-alias.js';
import { getAlias } from '../handlers/get-alias.js';
import { updateAlias } from '../handlers/update-alias.js';
import { deleteAlias } from '../handlers/delete-alias.js';
import { listAliases } from '../handlers/list-aliases.js';

interface Route {
  method: string;
  /** Path segments; `*` captures one (percent-decoded). */
  segments: string[];
  /** Accept one trailing empty segment (the CLI sends `/functions/`). */
  trailingSlash?: boolean;
  handler: Handler;
  operation: string;
}

// Invoke first: it is the hot path.
const routes: Route[] = [
  { method: 'POST', segments: ['2015-03-31', 'functions', '*', 'invocations'], handler: invoke, operation: 'Invoke' },
  { method: 'POST', segments: ['2015-03-31', 'functions'], trailingSlash: true, handler: createFunction, operation: 'CreateFunction' },
  { method: 'GET', segments: ['2015-03-31', 'functions'], trailingSlash: true, handler: listFunctions, operation: 'ListFunctions' },
  { method: 'GET', segments: ['2015-03-31', 'functions', '*'], handler: getFunction, operation: 'GetFunction' },
  { method: 'DELETE', segments: ['2015-03-31', 'functions', '*'], handler: deleteFunction, operation: 'DeleteFunction' },
  { method: 'GET', segments: ['2015-03-31', 'functions', '*', 'configuration'], handler: getFunctionConfiguration, operation: 'GetFunctionConfiguration' },
  { method: 'PUT', segments: ['2015-03-31', 'functions', '*', 'configuration'], handler: updateFunctionConfiguration, operation: 'UpdateFunctionConfiguration' },
  { method: 'PUT', segments: ['2015-03-31', 'functions', '*', 'code'], handler: updateFunctionCode, operation: 'UpdateFunctionCode' },
  { method: 'PUT', segments: ['2017-10-31', 'functions', '*', 'concurrency'], handler: putFunctionConcurrency, operation: 'PutFunctionConcurrency' },
  { method: 'GET', segments: ['2019-09-30', 'functions', '*', 'concurrency'], handler: getFunctionConcurrency, operation: 'GetFunctionConcurrency' },
  { method: 'DELETE', segments: ['2017-10-31', 'functions', '*', 'concurrency'], handler: deleteFunctionConcurrency, operation: 'DeleteFunctionConcurrency' },
  { method: 'GET', segments: ['2016-08-19', 'account-settings'], trailingSlash: true, handler: getAccountSettings, operation: 'GetAccountSettings' },
  { method: 'POST', segments: ['2014-11-13', 'functions', '*', 'invoke-async'], trailingSlash: true, handler: invokeAsync, operation: 'InvokeAsync' },
  { method: 'POST', segments: ['2021-11-15', 'functions', '*', 'response-streaming-invocations'], handler: invokeWithResponseStream, operation: 'InvokeWithResponseStream' },
  { method: 'POST', segments: ['2021-10-31', 'functions', '*', 'url'], handler: createFunctionUrlConfig, operation: 'CreateFunctionUrlConfig' },
  { method: 'GET', segments: ['2021-10-31', 'functions', '*', 'url'], handler: getFunctionUrlConfig, operation: 'GetFunctionUrlConfig' },
  { method: 'PUT', segments: ['2021-10-31', 'functions', '*', 'url'], handler: updateFunctionUrlConfig, operation: 'UpdateFunctionUrlConfig' },
  { method: 'DELETE', segments: ['2021-10-31', 'functions', '*', 'url'], handler: deleteFunctionUrlConfig, operation: 'DeleteFunctionUrlConfig' },
  { method: 'GET', segments: ['2021-10-31', 'functions', '*', 'urls'], handler: listFunctionUrlConfigs, operation: 'ListFunctionUrlConfigs' },
  { method: 'PUT', segments: ['2019-09-25', 'functions', '*', 'event-invoke-config'], handler: putFunctionEventInvokeConfig, operation: 'PutFunctionEventInvokeConfig' },
  { method: 'POST', segments: ['2019-09-25', 'functions', '*', 'event-invoke-config'], handler: updateFunctionEventInvokeConfig, operation: 'UpdateFunctionEventInvokeConfig' },
  { method: 'GET', segments: ['2019-09-25', 'functions', '*', 'event-invoke-config'], handler: getFunctionEventInvokeConfig, operation: 'GetFunctionEventInvokeConfig' },
  { method: 'DELETE', segments: ['2019-09-25', 'functions', '*', 'event-invoke-config'], handler: deleteFunctionEventInvokeConfig, operation: 'DeleteFunctionEventInvokeConfig' },
  { method: 'GET', segments: ['2019-09-25', 'functions', '*', 'event-invoke-config', 'list'], handler: listFunctionEventInvokeConfigs, operation: 'ListFunctionEventInvokeConfigs' },
  { method: 'POST', segments: ['2015-03-31', 'functions', '*', 'versions'], handler: publishVersion, operation: 'PublishVersion' },
  { method: 'GET', segments: ['2015-03-31', 'functions', '*', 'versions'], handler: listVersionsByFunction, operation: 'ListVersionsByFunction' },
  { method: 'POST', segments: ['2015-03-31', 'functions', '*', 'aliases'], handler: createAlias, operation: 'CreateAlias' },
  { method: 'GET', segments: ['2015-03-31', 'functions', '*', 'aliases'], handler: listAliases, operation: 'ListAliases' },
  { method: 'GET', segments: ['2015-03-31', 'functions', '*', 'aliases', '*'], handler: getAlias, operation: 'GetAlias' },
  { method: 'PUT', segments: ['2015-03-31', 'functions', '*', 'aliases', '*'], handler: updateAlias, operation: 'UpdateAlias' },
  { method: 'DELETE', segments: ['2015-03-31', 'functions', '*', 'aliases', '*'], handler: deleteAlias, operation: 'DeleteAlias' },
];

function match(route: Route, method: string, parts: string[]): string[] | undefined {
  if (route.method !== method) return undefined;
  let n = parts.length;
  if (route.trailingSlash && n === route.segments.length + 1 && parts[n - 1] === '') n--;
  if (n !== route.segments.length) return undefined;
  const params: string[] = [];
  for (let i = 0; i < n; i++) {
    const want = route.segments[i]!;
    const got = parts[i]!;
    if (want === '*') {
      if (got === '') return undefined;
      params.push(got.includes('%') ? decodeURIComponent(got) : got);
    } else if (want !== got) return undefined;
  }
  return params;
}

/** Whether a request is for the Lambda API (the composition root mounts others beside it). */
export function isLambdaPath(url: string): boolean {
  return /^\/(2015-03-31|2017-10-31|2019-09-30|2016-08-19|2014-11-13|2019-09-25|2021-10-31|2021-11-15)\//.test(url);
}

export function createRouter(svc: Services, log: Logger): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const requestId = newRequestId();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const parts = path.split('/').slice(1);
    const method = req.method ?? 'GET';
    let route: Route | undefined;
    let params: string[] | undefined;
    try {
      for (const r of routes) {
        params = match(r, method, parts);
        if (params) {
          route = r;
          break;
        }
      }
    } catch {
      params = undefined; // malformed percent-encoding: no route
    }
    if (!route || !params) {
      req.resume();
      writeError(res, new UnknownOperationError(method, path), requestId);
      return;
    }
    const ctx: HttpContext = { req, res, requestId, params, query: new URLSearchParams(q === -1 ? '' : url.slice(q + 1)) };
    const op = route.operation;
    let result: Promise<void> | void;
    try {
      result = route.handler(ctx, svc);
    } catch (err) {
      fail(err);
      return;
    }
    if (result) result.catch(fail);

    function fail(err: unknown): void {
      const e = err as { code?: string };
      if (!e || typeof e.code !== 'string' || e.code === 'SERVICE') log.error('request failed', { operation: op, requestId, err });
      else log.debug('request refused', { operation: op, requestId, code: e.code });
      req.resume();
      writeError(res, err, requestId);
    }
  };
}
