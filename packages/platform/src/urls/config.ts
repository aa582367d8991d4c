import { field } from '../http/io.js';
import { LambdaValidationError, InvalidRequestContentError } from '../errors.js';
import type { UrlAuthType, UrlCors, UrlInvokeMode } from './url-store.js';

/** What Create/UpdateFunctionUrlConfig carry (Update: every field optional). */
export interface FunctionUrlConfigInput {
  authType?: UrlAuthType;
  invokeMode?: UrlInvokeMode;
  cors?: UrlCors;
}

type Violation = { value: unknown; path: string; constraint: string };

/**
 * Parses a Create/UpdateFunctionUrlConfig body with the Lambda model's constraints;
 * every violation is reported at once, in AWS's ValidationException wording.
 */
export function parseUrlConfigInput(body: Record<string, unknown>, opts: { requireAuthType: boolean }): FunctionUrlConfigInput {
  const v: Violation[] = [];
  const out: FunctionUrlConfigInput = {};
  const authType = field.string(body, 'AuthType');
  if (authType === undefined) {
    if (opts.requireAuthType) v.push({ value: null, path: 'authType', constraint: 'Member must not be null' });
  } else if (authType !== 'NONE' && authType !== 'AWS_IAM') {
    v.push({ value: authType, path: 'authType', constraint: 'Member must satisfy enum value set: [NONE, AWS_IAM]' });
  } else out.authType = authType;
  const invokeMode = field.string(body, 'InvokeMode');
  if (invokeMode !== undefined) {
    if (invokeMode !== 'BUFFERED' && invokeMode !== 'RESPONSE_STREAM') {
      v.push({ value: invokeMode, path: 'invokeMode', constraint: 'Member must satisfy enum value set: [BUFFERED, RESPONSE_STREAM]' });
    } else out.invokeMode = invokeMode;
  }
  const cors = field.object(body, 'Cors');
  if (cors !== undefined) out.cors = parseCors(cors, v);
  if (v.length) throw new LambdaValidationError(v);
  return out;
}

function parseCors(c: Record<string, unknown>, v: Violation[]): UrlCors {
  const out: UrlCors = {};
  const list = (key: keyof UrlCors & string, path: string, maxItems: number, maxLen: number, minLen = 1): string[] | undefined => {
    const items = field.stringList(c, key);
    if (items === undefined) return undefined;
    if (items.length > maxItems) v.push({ value: items, path: `cors.${path}`, constraint: `Member must have length less than or equal to ${maxItems}` });
    items.forEach((s, i) => {
      if (s.length < minLen || s.length > maxLen) {
        v.push({ value: s, path: `cors.${path}.${i + 1}.member`, constraint: s.length < minLen ? `Member must have length greater than or equal to ${minLen}` : `Member must have length less than or equal to ${maxLen}` });
      }
    });
    return items;
  };
  const allowOrigins = list('AllowOrigins', 'allowOrigins', 100, 253);
  const allowMethods = list('AllowMethods', 'allowMethods', 6, 6, 0);
  const allowHeaders = list('AllowHeaders', 'allowHeaders', 100, 1024, 0);
  const exposeHeaders = list('ExposeHeaders', 'exposeHeaders', 100, 1024, 0);
  const allowCredentials = field.bool(c, 'AllowCredentials');
  const maxAge = field.int(c, 'MaxAge');
  if (maxAge !== undefined && (maxAge < 0 || maxAge > 86400)) {
    v.push({ value: maxAge, path: 'cors.maxAge', constraint: maxAge < 0 ? 'Member must have value greater than or equal to 0' : 'Member must have value less than or equal to 86400' });
  }
  for (const key of Object.keys(c)) {
    if (!['AllowOrigins', 'AllowMethods', 'AllowHeaders', 'ExposeHeaders', 'AllowCredentials', 'MaxAge'].includes(key)) {
      throw new InvalidRequestContentError(`Could not parse request body into json: Unrecognized field "${key}" in Cors`);
    }
  }
  if (allowCredentials !== undefined) out.AllowCredentials = allowCredentials;
  if (allowHeaders !== undefined) out.AllowHeaders = allowHeaders;
  if (allowMethods !== undefined) out.AllowMethods = allowMethods;
  if (allowOrigins !== undefined) out.AllowOrigins = allowOrigins;
  if (exposeHeaders !== undefined) out.ExposeHeaders = exposeHeaders;
  if (maxAge !== undefined) out.MaxAge = maxAge;
  return out;
}

/** URL qualifiers are alias names only: AWS's pattern excludes version numbers and $LATEST. */
export function checkUrlQualifier(q: string | undefined): void {
  if (q === undefined) return;
  if (q.length < 1 || q.length > 128 || /^\d+$/.test(q) || !/^[0-9a-zA-Z\-_]+$/.test(q)) {
    throw new LambdaValidationError([{ value: q, path: 'qualifier', constraint: 'Member must satisfy regular expression pattern: ((?!^\\d+$)^[0-9a-zA-Z-_]+$)' }]);
  }
}
