import { LambdaValidationError, InvalidParameterError } from '../errors.js';

/**
 * Function identifiers as Lambda accepts them: `f`, `123456789012:function:f`,
 * `arn:aws:lambda:us-east-1:123456789012:function:f`, each optionally `:qualifier`.
 */
export interface FunctionRef {
  name: string;
  qualifier?: string;
}

// AWS's published pattern for FunctionName members (the model's regex).
const NAME_PATTERN =
  '(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?';
const FULL = /^(?:arn:(?:aws[a-zA-Z-]*)?:lambda:([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d):)?(?:(\d{12}):)?(?:function:)?([a-zA-Z0-9\-_.]+)(?::(\$LATEST|[a-zA-Z0-9\-_]+))?$/;
const PLAIN_NAME = /^[a-zA-Z0-9\-_]+$/;

/**
 * Parses a function name/ARN from a path segment or a body field. `account`/`region`
 * must match ours when present (AWS refuses ARNs of other accounts).
 */
export function parseFunctionRef(raw: string, ctx: { account: string; region: string; field?: string; qualifier?: string }): FunctionRef {
  const field = ctx.field ?? 'functionName';
  if (raw.length < 1 || raw.length > 170) {
    throw new LambdaValidationError([{ value: raw, path: field, constraint: raw.length < 1 ? 'Member must have length greater than or equal to 1' : 'Member must have length less than or equal to 170' }]);
  }
  // A partial ARN without "function:" (e.g. "123456789012:f") is only an account prefix when 12 digits lead.
  const m = FULL.exec(raw);
  if (!m) throw new LambdaValidationError([{ value: raw, path: field, constraint: `Member must satisfy regular expression pattern: ${NAME_PATTERN}` }]);
  const [, region, account, name, inlineQualifier] = m as unknown as [string, string | undefined, string | undefined, string, string | undefined];
  if (region !== undefined && region !== ctx.region) {
    throw new InvalidParameterError(`Functions from '${region}' are not reachable in this region ('${ctx.region}')`);
  }
  if (account !== undefined && account !== ctx.account) {
    throw new InvalidParameterError(`The account ID in the function ARN does not match the caller's account (${ctx.account}).`);
  }
  if (name.length > 64) {
    throw new LambdaValidationError([{ value: raw, path: field, constraint: 'Member must have length less than or equal to 64' }]);
  }
  if (inlineQualifier !== undefined && ctx.qualifier !== undefined && ctx.qualifier !== inlineQualifier) {
    throw new InvalidParameterError('The derived qualifier from the function name does not match the specified qualifier.');
  }
  const qualifier = inlineQualifier ?? ctx.qualifier;
  if (qualifier !== undefined && !/^(\$LATEST|[a-zA-Z0-9\-_]{1,128})$/.test(qualifier)) {
    throw new LambdaValidationError([{ value: qualifier, path: 'qualifier', constraint: 'Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)' }]);
  }
  return qualifier === undefined ? { name } : { name, qualifier };
}

/** Names given to CreateFunction may also be ARNs; the stored name is the bare one. */
export function parseNewFunctionName(raw: unknown, ctx: { account: string; region: string }): string {
  if (typeof raw !== 'string') {
    throw new LambdaValidationError([{ value: raw, path: 'functionName', constraint: 'Member must not be null' }]);
  }
  const ref = parseFunctionRef(raw, ctx);
  if (ref.qualifier !== undefined || !PLAIN_NAME.test(ref.name)) {
    throw new LambdaValidationError([{ value: raw, path: 'functionName', constraint: `Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)` }]);
  }
  return ref.name;
}

export function functionArn(ctx: { account: string; region: string }, name: string, qualifier?: string): string {
  const base = `arn:aws:lambda:${ctx.region}:${ctx.account}:function:${name}`;
  return qualifier === undefined ? base : `${base}:${qualifier}`;
}
