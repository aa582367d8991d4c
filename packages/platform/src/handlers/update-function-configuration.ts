import type { Handler } from '../http/types.js';
import { functionRefParam } from '../http/types.js';
import { field, readJson, sendJson } from '../http/io.js';
import { toConfiguration } from '../functions/configuration.js';
import { InvalidParameterError } from '../errors.js';
import { parseImageConfig } from './shared.js';
import type { UpdateFunctionConfigurationCommand } from '../functions/commands.js';

/** PUT /2015-03-31/functions/{name}/configuration → 200 FunctionConfiguration. */
export const updateFunctionConfiguration: Handler = async (ctx, svc) => {
  const ref = functionRefParam(ctx, svc);
  const body = await readJson(ctx.req);
  if (field.string(body, 'Runtime') !== undefined || field.string(body, 'Handler') !== undefined) {
    throw new InvalidParameterError('Runtime and Handler are not supported for functions with the Image package type.');
  }
  const cmd: UpdateFunctionConfigurationCommand = { ref };
  const set = <K extends keyof UpdateFunctionConfigurationCommand>(k: K, v: UpdateFunctionConfigurationCommand[K] | undefined): void => {
    if (v !== undefined) cmd[k] = v;
  };
  set('revisionId', field.string(body, 'RevisionId'));
  set('role', field.string(body, 'Role'));
  set('description', field.string(body, 'Description'));
  set('memorySize', field.int(body, 'MemorySize'));
  set('timeout', field.int(body, 'Timeout'));
  const eph = field.object(body, 'EphemeralStorage');
  if (eph) set('ephemeralStorage', field.int(eph, 'Size'));
  const env = field.object(body, 'Environment');
  if (env) set('environment', field.stringMap(env, 'Variables') ?? {});
  set('imageConfig', parseImageConfig(field.object(body, 'ImageConfig')));
  const logging = field.object(body, 'LoggingConfig');
  if (logging) {
    set('logFormat', field.string(logging, 'LogFormat') as 'Text' | 'JSON' | undefined);
    set('logGroup', field.string(logging, 'LogGroup'));
  }
  const dlq = field.object(body, 'DeadLetterConfig');
  if (dlq) set('deadLetterTargetArn', field.string(dlq, 'TargetArn') ?? '');
  const tracing = field.object(body, 'TracingConfig');
  if (tracing) set('tracingMode', field.string(tracing, 'Mode') as 'Active' | 'PassThrough' | undefined);
  const rec = await svc.functions.updateConfiguration(cmd);
  sendJson(ctx.res, 200, toConfiguration(rec, svc.functions), ctx.requestId);
};
