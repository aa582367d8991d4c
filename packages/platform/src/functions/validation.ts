import { LambdaValidationError, InvalidParameterError } from '../errors.js';
import type { Architecture, ImageConfigSettings } from './model.js';

/** Lambda's quotas and member constraints, with AWS's wording. */
export const LIMITS = {
  memoryMin: 128,
  memoryMax: 10_240,
  timeoutMin: 1,
  timeoutMax: 900,
  tmpMin: 512,
  tmpMax: 10_240,
  environmentBytes: 4096,
  descriptionMax: 256,
} as const;

export const RESERVED_ENV_KEYS = new Set([
  '_HANDLER', '_X_AMZN_TRACE_ID', 'AWS_DEFAULT_REGION', 'AWS_REGION', 'AWS_EXECUTION_ENV', 'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'AWS_LAMBDA_FUNCTION_VERSION', 'AWS_LAMBDA_INITIALIZATION_TYPE', 'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME', 'AWS_ACCESS_KEY', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API', 'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR',
]);

const ROLE = /^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/;
const ENV_KEY = /^[a-zA-Z]([a-zA-Z0-9_])+$/;

export type Violation = { value: unknown; path: string; constraint: string };

/** Collects member violations so one ValidationException lists them all, as AWS does. */
export class Violations {
  readonly list: Violation[] = [];
  range(value: number | undefined, path: string, min: number, max: number): void {
    if (value === undefined) return;
    if (value < min) this.list.push({ value, path, constraint: `Member must have value greater than or equal to ${min}` });
    else if (value > max) this.list.push({ value, path, constraint: `Member must have value less than or equal to ${max}` });
  }
  maxLength(value: string | undefined, path: string, max: number): void {
    if (value !== undefined && value.length > max) this.list.push({ value, path, constraint: `Member must have length less than or equal to ${max}` });
  }
  role(value: string | undefined, required: boolean): void {
    if (value === undefined) {
      if (required) this.list.push({ value: null, path: 'role', constraint: 'Member must not be null' });
      return;
    }
    if (!ROLE.test(value)) {
      this.list.push({ value, path: 'role', constraint: 'Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+' });
    }
  }
  architectures(value: Architecture[] | undefined): void {
    if (value === undefined) return;
    if (value.length !== 1) this.list.push({ value: `[${value.join(', ')}]`, path: 'architectures', constraint: 'Member must have length less than or equal to 1' });
    else if (value[0] !== 'x86_64' && value[0] !== 'arm64') {
      this.list.push({ value: `[${value.join(', ')}]`, path: 'architectures', constraint: 'Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64]]' });
    }
  }
  imageConfig(value: ImageConfigSettings | undefined): void {
    if (!value) return;
    if (value.entryPoint && value.entryPoint.length > 1500) this.list.push({ value: value.entryPoint, path: 'imageConfig.entryPoint', constraint: 'Member must have length less than or equal to 1500' });
    if (value.command && value.command.length > 1500) this.list.push({ value: value.command, path: 'imageConfig.command', constraint: 'Member must have length less than or equal to 1500' });
    this.maxLength(value.workingDirectory, 'imageConfig.workingDirectory', 1000);
  }
  environment(value: Record<string, string> | undefined): void {
    if (!value) return;
    const bad = Object.keys(value).filter((k) => !ENV_KEY.test(k));
    if (bad.length) {
      this.list.push({ value: bad.join(', '), path: 'environment.variables', constraint: 'Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]' });
    }
  }
  throwIfAny(): void {
    if (this.list.length) throw new LambdaValidationError(this.list);
  }
}

/** Checks that are InvalidParameterValueException in Lambda rather than member constraints. */
export function checkEnvironment(env: Record<string, string> | undefined): void {
  if (!env) return;
  const reserved = Object.keys(env).filter((k) => RESERVED_ENV_KEYS.has(k));
  if (reserved.length) {
    throw new InvalidParameterError(
      `Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${reserved.join(', ')}`,
    );
  }
  const measured = JSON.stringify(env);
  if (Buffer.byteLength(measured) > LIMITS.environmentBytes) {
    throw new InvalidParameterError(
      `Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: ${measured}`,
    );
  }
}

export function checkImageUri(uri: string): void {
  // registry/repository[:tag][@digest]; the registry client does the precise parse.
  if (!/^[^\s]+$/.test(uri) || uri.length > 1024) {
    throw new InvalidParameterError(`Source image ${uri} is not valid. Provide a valid source image.`);
  }
}
