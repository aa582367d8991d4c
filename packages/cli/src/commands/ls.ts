import { paginateListFunctions, type FunctionConfiguration } from '@aws-sdk/client-lambda';
import { lambdaClient } from '../clients.js';
import type { CommandContext } from '../context.js';

export async function ls(ctx: CommandContext): Promise<number> {
  const client = lambdaClient(ctx.config);
  const functions: FunctionConfiguration[] = [];
  for await (const page of paginateListFunctions({ client }, {})) functions.push(...(page.Functions ?? []));
  if (ctx.flags.json) {
    ctx.out.json(functions);
    return 0;
  }
  if (functions.length === 0) {
    ctx.out.info('no functions yet — create one with `lambdock deploy DIR`');
    return 0;
  }
  ctx.out.table(
    functions.map((f) => ({
      name: f.FunctionName,
      state: f.State,
      memory: f.MemorySize,
      timeout: f.Timeout,
      modified: f.LastModified,
    })),
    ['name', 'state', 'memory', 'timeout', 'modified'],
  );
  return 0;
}
