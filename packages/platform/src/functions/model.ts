/**
 * The stored shape of a function. Settings are what the user configures; `code`
 * is the image as resolved and prepared (what invokes run); `pendingCode` is an
 * image being resolved/pulled by CreateFunction or UpdateFunctionCode — invokes keep
 * using `code` until the update succeeds, as Lambda does.
 */
export type FunctionState = 'Pending' | 'Active' | 'Inactive' | 'Failed';
export type LastUpdateStatus = 'Successful' | 'Failed' | 'InProgress';
export type Architecture = 'x86_64' | 'arm64';

export interface ImageConfigSettings {
  entryPoint?: string[];
  command?: string[];
  workingDirectory?: string;
}

export interface FunctionSettings {
  description: string;
  role: string;
  memorySize: number;
  timeout: number;
  ephemeralStorage: number;
  environment: Record<string, string>;
  architectures: Architecture[];
  imageConfig: ImageConfigSettings;
  logFormat: 'Text' | 'JSON';
  logGroup?: string;
  tracingMode: 'PassThrough' | 'Active';
  /** DeadLetterConfig.TargetArn: where asynchronous events go once every attempt failed (a function ARN here). */
  deadLetterTargetArn?: string;
}

/** The parts of the image's config that shape the process (OCI image config). */
export interface ImageProcessConfig {
  entrypoint?: string[];
  cmd?: string[];
  workingDir?: string;
  env?: string[];
  user?: string;
}

/** An image resolved to a digest, pulled and unpacked into snapshots. */
export interface PreparedImage {
  imageUri: string;
  /** `repo@sha256:…`, as GetFunction's Code.ResolvedImageUri. */
  resolvedImageUri: string;
  /** Manifest digest `sha256:<hex>`; CodeSha256 is its hex part. */
  digest: string;
  /** Sum of config and layer sizes (CodeSize). */
  size: number;
  config: ImageProcessConfig;
  /** Snapshot keys from the base layer up; the snapshotter turns them into lowerDirs. */
  layers: string[];
}

export interface PendingCode {
  imageUri: string;
  /** Set once resolved, before the pull completes. */
  digest?: string;
  resolvedImageUri?: string;
  architectures: Architecture[];
  /** Which operation started it: decides whether State or LastUpdateStatus reports progress. */
  kind: 'create' | 'update';
  /** `Publish: true`: publish a version once the image is ready. */
  publish?: boolean;
}

export interface FunctionRecord {
  name: string;
  version: string;
  settings: FunctionSettings;
  code?: PreparedImage;
  pendingCode?: PendingCode;
  state: FunctionState;
  stateReason?: string;
  stateReasonCode?: string;
  lastUpdateStatus: LastUpdateStatus;
  lastUpdateStatusReason?: string;
  lastUpdateStatusReasonCode?: string;
  revisionId: string;
  /** ISO-8601 with milliseconds (formatted as Lambda's `+0000` at the edge). */
  lastModified: string;
  createdAt: string;
  tags: Record<string, string>;
  reservedConcurrency?: number;
}

export const LATEST = '$LATEST';
