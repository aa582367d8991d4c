import type { FunctionRecord, PreparedImage } from '../functions/model.js';
import { ImageError } from '../errors.js';

export interface ProcessConfig {
  args: string[];
  env: string[];
  cwd: string;
  handler: string;
}

/**
 * The runtime process of an execution environment, merged as Lambda does:
 * ImageConfig.EntryPoint/Command/WorkingDirectory override the image's
 * Entrypoint/Cmd/WorkingDir; environment = image Env, then the function's
 * Environment.Variables, then Lambda's own variables (which users cannot set).
 */
export function processConfig(
  rec: FunctionRecord,
  image: PreparedImage,
  ctx: { region: string; runtimeApi: string; logGroup: string; logStream: string; credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string } },
): ProcessConfig {
  const ic = rec.settings.imageConfig;
  const entrypoint = ic.entryPoint ?? image.config.entrypoint ?? [];
  const cmd = ic.command ?? image.config.cmd ?? [];
  const args = [...entrypoint, ...cmd];
  if (args.length === 0) throw new ImageError('InvalidImage', 'The image has no ENTRYPOINT or CMD and the function sets no ImageConfig.EntryPoint/Command.');
  const cwd = ic.workingDirectory ?? (image.config.workingDir || '/');
  const handler = cmd[0] ?? '';
  const vars = new Map<string, string>();
  for (const kv of image.config.env ?? []) {
    const i = kv.indexOf('=');
    if (i > 0) vars.set(kv.slice(0, i), kv.slice(i + 1));
  }
  if (!vars.has('PATH')) vars.set('PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  if (!vars.has('LANG')) vars.set('LANG', 'en_US.UTF-8');
  if (!vars.has('TZ')) vars.set('TZ', ':UTC');
  for (const [k, v] of Object.entries(rec.settings.environment)) vars.set(k, v);
  const lambda: Record<string, string> = {
    AWS_LAMBDA_FUNCTION_NAME: rec.name,
    AWS_LAMBDA_FUNCTION_VERSION: rec.version,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(rec.settings.memorySize),
    AWS_LAMBDA_LOG_GROUP_NAME: ctx.logGroup,
    AWS_LAMBDA_LOG_STREAM_NAME: ctx.logStream,
    AWS_LAMBDA_RUNTIME_API: ctx.runtimeApi,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_REGION: ctx.region,
    AWS_DEFAULT_REGION: ctx.region,
    AWS_EXECUTION_ENV: 'AWS_Lambda_Image',
    AWS_ACCESS_KEY_ID: ctx.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: ctx.credentials.secretAccessKey,
    AWS_SESSION_TOKEN: ctx.credentials.sessionToken,
    _HANDLER: handler,
  };
  if (rec.settings.logFormat === 'JSON') lambda['AWS_LAMBDA_LOG_FORMAT'] = 'JSON';
  for (const [k, v] of Object.entries(lambda)) vars.set(k, v);
  return { args, env: [...vars].map(([k, v]) => `${k}=${v}`), cwd, handler };
}
