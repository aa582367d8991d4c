import type { HttpContext } from '../http/types.js';
import { field } from '../http/io.js';
import { InvalidRequestContentError, LambdaValidationError } from '../errors.js';
import type { AliasInput } from '../versions/version-service.js';

/** The body of CreateAlias/UpdateAlias as a typed input. */
export function parseAliasInput(body: Record<string, unknown>): AliasInput {
  const input: AliasInput = {};
  const version = field.string(body, 'FunctionVersion');
  if (version !== undefined) input.functionVersion = version;
  const description = field.string(body, 'Description');
  if (description !== undefined) input.description = description;
  const revisionId = field.string(body, 'RevisionId');
  if (revisionId !== undefined) input.revisionId = revisionId;
  const routing = field.object(body, 'RoutingConfig');
  if (routing) {
    const weights = field.object(routing, 'AdditionalVersionWeights') ?? {};
    for (const [k, w] of Object.entries(weights)) {
      if (typeof w !== 'number') throw new InvalidRequestContentError(`Could not parse request body into json: RoutingConfig.AdditionalVersionWeights.${k} must be a number`);
    }
    input.additionalVersionWeights = weights as Record<string, number>;
  }
  return input;
}

/** An integer query parameter (MaxItems), or a ValidationException. */
export function queryInt(ctx: HttpContext, key: string): number | undefined {
  const raw = ctx.query.get(key);
  if (raw === null) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new LambdaValidationError([{ value: raw, path: key.charAt(0).toLowerCase() + key.slice(1), constraint: 'Member must be an integer' }]);
  return n;
}
