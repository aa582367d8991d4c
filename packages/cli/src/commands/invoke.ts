import { readFile } from 'node:fs/promises';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { lambdaClient } from '../clients.js';
import type { CommandContext } from '../context.js';
import { CliError } from '../output.js';

async function payloadOf(arg: string | undefined): Promise<Uint8Array> {
  if (arg === undefined) return Buffer.from('{}');
  const text = arg.startsWith('@') ? await readFile(arg.slice(1), 'utf8').catch(() => {
    throw new CliError(`cannot read payload file ${arg.slice(1)}`, 'pass --payload @path/to/event.json or inline JSON');
  }) : arg;
  try {
    JSON.parse(text);
  } catch {
    throw new CliError('the payload is not valid JSON', `got: ${text.slice(0, 60)}`);
  }
  return Buffer.from(text);
}

export async function invoke(ctx: CommandContext): Promise<number> {
  const name = ctx.args[0];
  if (!name) throw new CliError('invoke needs a function name', 'usage: lambdock invoke NAME [--payload JSON|@file] [--async]');
  const payload = await payloadOf(ctx.flags.payload as string | undefined);
  const client = lambdaClient(ctx.config);
  const res = await client.send(
    new InvokeCommand({
      FunctionName: name,
      Payload: payload,
      InvocationType: ctx.flags.async ? 'Event' : 'RequestResponse',
      LogType: ctx.flags.async ? 'None' : 'Tail',
    }),
  );
  if (ctx.flags.async) {
    ctx.out.success(`queued (status ${res.StatusCode})`);
    return 0;
  }
  const body = Buffer.from(res.Payload ?? new Uint8Array()).toString('utf8');
  const log = res.LogResult ? Buffer.from(res.LogResult, 'base64').toString('utf8') : '';
  if (ctx.flags.json) {
    ctx.out.json({ statusCode: res.StatusCode, functionError: res.FunctionError, executedVersion: res.ExecutedVersion, payload: body, log });
  } else {
    if (log && !ctx.flags.quiet) process.stderr.write(log.endsWith('\n') ? log : log + '\n');
    ctx.out.info(body);
  }
  return res.FunctionError ? 2 : 0;
}
