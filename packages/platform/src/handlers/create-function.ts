import type { Handler } from '../http/types.js';
import { field, readJson, sendJson } from '../http/io.js';
import { parseNewFunctionName } from '../functions/names.js';
import { toConfiguration } from '../functions/configuration.js';
import { InvalidParameterError } from '../errors.js';
import { parseImageConfig } from './shared.js';
import type { Architecture } from '../functions/model.js';

/** POST /2015-03-31/functions → 201 FunctionConfiguration (State Pending). */
export const createFunction: Handler = async (ctx, svc) => {
  const body = await readJson(ctx.req);
  const fns = svc.functions;
  const functionName = parseNewFunctionName(body['FunctionName'], fns);
  const packageType = field.string(body, 'PackageType') ?? 'Zip';
  const code = field.object(body, 'Code') ?? {};
  if (packageType !== 'Image') {
    throw new InvalidParameterError('Lambdock runs functions packaged as container images: set PackageType to Image and Code.ImageUri.');
  }
  const imageUri = field.string(code, 'ImageUri');
  if (!imageUri) throw new InvalidParameterError('Please provide a source for function code: Code.ImageUri is required for the Image package type.');
  if (field.string(body, 'Runtime') !== undefined || field.string(body, 'Handler') !== undefined) {
    throw new InvalidParameterError('Runtime and Handler are not supported for functions created with Image package type; set the handler in the image CMD or ImageConfig.Command.');
  }
  const env = field.object(body, 'Environment');
  const eph = field.object(body, 'EphemeralStorage');
  const logging = field.object(body, 'LoggingConfig');
  const tracing = field.object(body, 'TracingConfig');
  const dlq = field.object(body, 'DeadLetterConfig');
  const rec = await fns.create({
    functionName,
    imageUri,
    role: field.string(body, 'Role') as string,
    ...opt('description', field.string(body, 'Description')),
    ...opt('memorySize', field.int(body, 'MemorySize')),
    ...opt('timeout', field.int(body, 'Timeout')),
    ...opt('ephemeralStorage', eph ? field.int(eph, 'Size') : undefined),
    ...opt('environment', env ? field.stringMap(env, 'Variables') : undefined),
    ...opt('architectures', field.stringList(body, 'Architectures') as Architecture[] | undefined),
    ...opt('imageConfig', parseImageConfig(field.object(body, 'ImageConfig'))),
    ...opt('tags', field.stringMap(body, 'Tags')),
    ...opt('publish', field.bool(body, 'Publish')),
    ...opt('logFormat', logging ? (field.string(logging, 'LogFormat') as 'Text' | 'JSON' | undefined) : undefined),
    ...opt('logGroup', logging ? field.string(logging, 'LogGroup') : undefined),
    ...opt('deadLetterTargetArn', dlq ? field.string(dlq, 'TargetArn') : undefined),
    ...opt('tracingMode', tracing ? (field.string(tracing, 'Mode') as 'Active' | 'PassThrough' | undefined) : undefined),
  });
  sendJson(ctx.res, 201, toConfiguration(rec, fns), ctx.requestId);
};

function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
