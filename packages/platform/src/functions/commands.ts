import type { Architecture, ImageConfigSettings } from './model.js';
import type { FunctionRef } from './names.js';

/** Typed commands the HTTP layer (or any other caller) hands to FunctionService. */
export interface CreateFunctionCommand {
  functionName: string;
  imageUri: string;
  role: string;
  description?: string;
  memorySize?: number;
  timeout?: number;
  ephemeralStorage?: number;
  environment?: Record<string, string>;
  architectures?: Architecture[];
  imageConfig?: ImageConfigSettings;
  tags?: Record<string, string>;
  publish?: boolean;
  logFormat?: 'Text' | 'JSON';
  logGroup?: string;
  tracingMode?: 'PassThrough' | 'Active';
  /** DeadLetterConfig.TargetArn ('' removes it on update). */
  deadLetterTargetArn?: string;
}

export interface UpdateFunctionCodeCommand {
  ref: FunctionRef;
  imageUri: string;
  architectures?: Architecture[];
  revisionId?: string;
  publish?: boolean;
  dryRun?: boolean;
}

export interface UpdateFunctionConfigurationCommand {
  ref: FunctionRef;
  revisionId?: string;
  role?: string;
  description?: string;
  memorySize?: number;
  timeout?: number;
  ephemeralStorage?: number;
  environment?: Record<string, string>;
  imageConfig?: ImageConfigSettings;
  logFormat?: 'Text' | 'JSON';
  logGroup?: string;
  tracingMode?: 'PassThrough' | 'Active';
  deadLetterTargetArn?: string;
}
