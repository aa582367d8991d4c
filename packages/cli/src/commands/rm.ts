import { DeleteFunctionCommand } from '@aws-sdk/client-lambda';
import { lambdaClient } from '../clients.js';
import type { CommandContext } from '../context.js';
import { CliError } from '../output.js';

export async function rm(ctx: CommandContext): Promise<number> {
  if (ctx.args.length === 0) throw new CliError('rm needs a function name', 'usage: lambdock rm NAME [NAME ...]');
  const client = lambdaClient(ctx.config);
  for (const name of ctx.args) {
    await client.send(new DeleteFunctionCommand({ FunctionName: name }));
    ctx.out.success(`deleted ${name}`);
  }
  return 0;
}
