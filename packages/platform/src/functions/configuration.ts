import type { FunctionRecord } from './model.js';

/** Lambda's timestamp format: `2024-01-01T00:00:00.000+0000`. */
export function lambdaTimestamp(iso: string): string {
  return iso.replace(/Z$/, '+0000');
}

export function logGroupName(rec: FunctionRecord): string {
  return rec.settings.logGroup ?? `/aws/lambda/${rec.name}`;
}

/**
 * The FunctionConfiguration document, with every field the SDK and CLI read.
 * While code is pending, CodeSha256 shows the digest being deployed (as Lambda does).
 */
export function toConfiguration(rec: FunctionRecord, ctx: { account: string; region: string }, qualifier?: string): Record<string, unknown> {
  const s = rec.settings;
  const digest = rec.pendingCode?.digest ?? rec.code?.digest ?? '';
  const ic = s.imageConfig;
  const imageConfig: Record<string, unknown> = {};
  if (ic.entryPoint) imageConfig['EntryPoint'] = ic.entryPoint;
  if (ic.command) imageConfig['Command'] = ic.command;
  if (ic.workingDirectory) imageConfig['WorkingDirectory'] = ic.workingDirectory;
  const out: Record<string, unknown> = {
    FunctionName: rec.name,
    // Qualified as asked (an alias shows the alias ARN with its version's configuration); a published version always is.
    FunctionArn: `arn:aws:lambda:${ctx.region}:${ctx.account}:function:${rec.name}${qualifier !== undefined ? `:${qualifier}` : rec.version === '$LATEST' ? '' : `:${rec.version}`}`,
    Role: s.role,
    CodeSize: rec.code?.size ?? 0,
    Description: s.description,
    Timeout: s.timeout,
    MemorySize: s.memorySize,
    LastModified: lambdaTimestamp(rec.lastModified),
    CodeSha256: digest.replace(/^sha256:/, ''),
    Version: rec.version,
    TracingConfig: { Mode: s.tracingMode },
    RevisionId: rec.revisionId,
    State: rec.state,
    LastUpdateStatus: rec.lastUpdateStatus,
    PackageType: 'Image',
    Architectures: s.architectures,
    EphemeralStorage: { Size: s.ephemeralStorage },
    SnapStart: { ApplyOn: 'None', OptimizationStatus: 'Off' },
    LoggingConfig: { LogFormat: s.logFormat, LogGroup: logGroupName(rec) },
  };
  if (Object.keys(s.environment).length) out['Environment'] = { Variables: s.environment };
  if (s.deadLetterTargetArn) out['DeadLetterConfig'] = { TargetArn: s.deadLetterTargetArn };
  if (Object.keys(imageConfig).length) out['ImageConfigResponse'] = { ImageConfig: imageConfig };
  if (rec.stateReason !== undefined) out['StateReason'] = rec.stateReason;
  if (rec.stateReasonCode !== undefined) out['StateReasonCode'] = rec.stateReasonCode;
  if (rec.lastUpdateStatusReason !== undefined) out['LastUpdateStatusReason'] = rec.lastUpdateStatusReason;
  if (rec.lastUpdateStatusReasonCode !== undefined) out['LastUpdateStatusReasonCode'] = rec.lastUpdateStatusReasonCode;
  return out;
}

/** GetFunction's `Code` member for an image function. */
export function toCodeLocation(rec: FunctionRecord): Record<string, unknown> {
  const imageUri = rec.pendingCode?.imageUri ?? rec.code?.imageUri ?? '';
  const resolved = rec.pendingCode?.resolvedImageUri ?? rec.code?.resolvedImageUri;
  return { RepositoryType: 'ECR', ImageUri: imageUri, ...(resolved ? { ResolvedImageUri: resolved } : {}) };
}
