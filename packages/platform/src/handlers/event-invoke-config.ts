import type { HttpContext, Handler, Services } from '../http/types.js';
import { functionRefParam } from '../http/types.js';
import { field, readJson, sendEmpty, sendJson } from '../http/io.js';
import type { EventInvokeConfigInput } from '../async/event-invoke-configs.js';

/**
 * The FunctionEventInvokeConfig operations (`/2019-09-25/functions/{name}/event-invoke-config`,
 * Qualifier in the query): one small handler each over EventInvokeConfigService.
 */
async function parseInput(ctx: HttpContext): Promise<EventInvokeConfigInput> {
  const body = await readJson(ctx.req);
  const input: EventInvokeConfigInput = {};
  const retries = field.int(body, 'MaximumRetryAttempts');
  if (retries !== undefined) input.maximumRetryAttempts = retries;
  const age = field.int(body, 'MaximumEventAgeInSeconds');
  if (age !== undefined) input.maximumEventAgeInSeconds = age;
  const dest = field.object(body, 'DestinationConfig');
  if (dest) {
    const ok = field.object(dest, 'OnSuccess');
    if (ok) input.onSuccess = field.string(ok, 'Destination') ?? '';
    const bad = field.object(dest, 'OnFailure');
    if (bad) input.onFailure = field.string(bad, 'Destination') ?? '';
  }
  return input;
}

const put = (merge: boolean): Handler => async (ctx: HttpContext, svc: Services) => {
  const ref = functionRefParam(ctx, svc, { qualifier: true });
  const c = await svc.eventInvokeConfigs.put(ref, await parseInput(ctx), merge);
  sendJson(ctx.res, 200, svc.eventInvokeConfigs.toWire(c), ctx.requestId);
};

/** PUT …/event-invoke-config → 200: replaces the whole configuration. */
export const putFunctionEventInvokeConfig: Handler = put(false);

/** POST …/event-invoke-config → 200: changes only the settings given. */
export const updateFunctionEventInvokeConfig: Handler = put(true);

/** GET …/event-invoke-config → 200, or 404 when none is set. */
export const getFunctionEventInvokeConfig: Handler = async (ctx, svc) => {
  const c = await svc.eventInvokeConfigs.get(functionRefParam(ctx, svc, { qualifier: true }));
  sendJson(ctx.res, 200, svc.eventInvokeConfigs.toWire(c), ctx.requestId);
};

/** DELETE …/event-invoke-config → 204. */
export const deleteFunctionEventInvokeConfig: Handler = async (ctx, svc) => {
  await svc.eventInvokeConfigs.delete(functionRefParam(ctx, svc, { qualifier: true }));
  sendEmpty(ctx.res, 204, ctx.requestId);
};

/** GET …/event-invoke-config/list?Marker&MaxItems → {FunctionEventInvokeConfigs, NextMarker}. */
export const listFunctionEventInvokeConfigs: Handler = async (ctx, svc) => {
  const ref = functionRefParam(ctx, svc);
  const max = ctx.query.get('MaxItems');
  const marker = ctx.query.get('Marker');
  const page = await svc.eventInvokeConfigs.list(ref, { ...(marker ? { marker } : {}), ...(max !== null ? { maxItems: Number(max) } : {}) });
  const out: Record<string, unknown> = { FunctionEventInvokeConfigs: page.configs.map((c) => svc.eventInvokeConfigs.toWire(c)) };
  if (page.nextMarker) out['NextMarker'] = page.nextMarker;
  sendJson(ctx.res, 200, out, ctx.requestId);
};
