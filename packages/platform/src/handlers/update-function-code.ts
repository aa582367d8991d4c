import type { Handler } from '../http/types.js';
import { functionRefParam } from '../http/types.js';
import { field, readJson, sendJson } from '../http/io.js';
import { toConfiguration } from '../functions/configuration.js';
import { InvalidParameterError } from '../errors.js';
import type { Architecture } from '../functions/model.js';

/** PUT /2015-03-31/functions/{name}/code → 200 FunctionConfiguration (LastUpdateStatus InProgress). */
export const updateFunctionCode: Handler = async (ctx, svc) => {
  const ref = functionRefParam(ctx, svc);
  const body = await readJson(ctx.req);
  const imageUri = field.string(body, 'ImageUri');
  if (!imageUri) {
    throw new InvalidParameterError('Please provide a source for function code: ImageUri is required for functions with the Image package type.');
  }
  const architectures = field.stringList(body, 'Architectures') as Architecture[] | undefined;
  const revisionId = field.string(body, 'RevisionId');
  const dryRun = field.bool(body, 'DryRun');
  const publish = field.bool(body, 'Publish');
  const rec = await svc.functions.updateCode({
    ref,
    imageUri,
    ...(architectures ? { architectures } : {}),
    ...(revisionId ? { revisionId } : {}),
    ...(dryRun !== undefined ? { dryRun } : {}),
    ...(publish !== undefined ? { publish } : {}),
  });
  sendJson(ctx.res, 200, toConfiguration(rec, svc.functions), ctx.requestId);
};
