import type { IncomingHttpHeaders } from 'node:http';
import { LambdaValidationError, InvalidRequestContentError } from '../errors.js';

export interface InvokeHeaders {
  invocationType: string;
  logType: 'None' | 'Tail';
  clientContext?: string;
  traceId?: string;
}

/**
 * The headers Invoke and InvokeWithResponseStream share: X-Amz-Invocation-Type (checked against
 * what the operation allows), X-Amz-Log-Type, X-Amz-Client-Context (base64 JSON, at most 3583
 * characters, decoded) and the trace id — refused with Lambda's validation messages.
 */
export function parseInvokeHeaders(h: IncomingHttpHeaders, allowedTypes: readonly string[]): InvokeHeaders {
  const invocationType = (h['x-amz-invocation-type'] as string | undefined) ?? 'RequestResponse';
  if (!allowedTypes.includes(invocationType)) {
    throw new LambdaValidationError([{ value: invocationType, path: 'invocationType', constraint: `Member must satisfy enum value set: [${allowedTypes.join(', ')}]` }]);
  }
  const logType = (h['x-amz-log-type'] as string | undefined) ?? 'None';
  if (logType !== 'None' && logType !== 'Tail') {
    throw new LambdaValidationError([{ value: logType, path: 'logType', constraint: 'Member must satisfy enum value set: [None, Tail]' }]);
  }
  const out: InvokeHeaders = { invocationType, logType };
  const cc = h['x-amz-client-context'] as string | undefined;
  if (cc) {
    if (cc.length > 3583) throw new LambdaValidationError([{ value: cc, path: 'clientContext', constraint: 'Member must have length less than or equal to 3583' }]);
    const decoded = Buffer.from(cc, 'base64').toString('utf8');
    try {
      JSON.parse(decoded);
    } catch {
      throw new InvalidRequestContentError('Client context must be a valid Base64-encoded JSON object.');
    }
    out.clientContext = decoded;
  }
  if (typeof h['x-amzn-trace-id'] === 'string') out.traceId = h['x-amzn-trace-id'];
  return out;
}
