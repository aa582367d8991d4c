import { LambdockError } from '@lambdock/common';

/** CloudWatch Logs' error names (JSON 1.1: HTTP 400 with `{"__type","message"}`). */
export type LogsErrorType = 'ResourceNotFoundException' | 'InvalidParameterException' | 'UnrecognizedClientException' | 'ServiceUnavailableException' | 'ValidationException';

export class LogsApiError extends LambdockError {
  constructor(
    readonly type: LogsErrorType,
    message: string,
    readonly status = type === 'ServiceUnavailableException' ? 500 : 400,
  ) {
    super(`LOGS_${type}`, message);
  }
}

export const groupNotFound = () => new LogsApiError('ResourceNotFoundException', 'The specified log group does not exist.');
export const streamNotFound = () => new LogsApiError('ResourceNotFoundException', 'The specified log stream does not exist.');
