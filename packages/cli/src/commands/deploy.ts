import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import {
  CreateFunctionCommand,
  GetFunctionCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { lambdaClient } from '../clients.js';
import type { CommandContext } from '../context.js';
import { CliError } from '../output.js';
import { buildFunctionImage } from './build.js';

const ROLE = 'arn:aws:iam::123456789012:role/lambdock-function';

async function exists(client: LambdaClient, name: string): Promise<boolean> {
  try {
    await client.send(new GetFunctionCommand({ FunctionName: name }));
    return true;
  } catch (err) {
    if ((err as Error).name === 'ResourceNotFoundException') return false;
    throw err;
  }
}

/** `lambdock deploy DIR|IMAGE [--name N] [--memory MB] [--timeout S]`: create or update, then wait until Active. */
export async function deploy(ctx: CommandContext): Promise<number> {
  const target = ctx.args[0];
  if (!target) throw new CliError('deploy needs a directory or an image', 'usage: lambdock deploy DIR|IMAGE [--name NAME]');
  const isDir = await stat(target).then((s) => s.isDirectory(), () => false);
  const name = (ctx.flags.name as string | undefined) ?? defaultName(target, isDir);
  if (!/^[a-zA-Z0-9-_]{1,64}$/.test(name)) throw new CliError(`"${name}" is not a valid function name`, 'use --name with letters, digits, - and _ (at most 64)');
  const imageUri = isDir ? await buildFunctionImage(ctx, resolve(target), { tag: `${ctx.config.registry}/${name.toLowerCase()}:latest` }) : target;
  const client = lambdaClient(ctx.config);
  const memory = ctx.flags.memory ? Number(ctx.flags.memory) : undefined;
  const timeout = ctx.flags.timeout ? Number(ctx.flags.timeout) : undefined;
  const waiter = { client, maxWaitTime: 300, minDelay: 1, maxDelay: 2 };
  const progress = ctx.out.progress(`deploying ${name}`);
  if (await exists(client, name)) {
    await client.send(new UpdateFunctionCodeCommand({ FunctionName: name, ImageUri: imageUri }));
    await waitUntilFunctionUpdatedV2(waiter, { FunctionName: name });
    if (memory !== undefined || timeout !== undefined) {
      await client.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, MemorySize: memory, Timeout: timeout }));
      await waitUntilFunctionUpdatedV2(waiter, { FunctionName: name });
    }
  } else {
    await client.send(
      new CreateFunctionCommand({ FunctionName: name, PackageType: 'Image', Code: { ImageUri: imageUri }, Role: ROLE, MemorySize: memory, Timeout: timeout }),
    );
    await waitUntilFunctionActiveV2(waiter, { FunctionName: name });
  }
  const fn = await client.send(new GetFunctionCommand({ FunctionName: name }));
  const c = fn.Configuration;
  if (c?.State !== 'Active' || c.LastUpdateStatus === 'Failed') {
    throw new CliError(`${name} is ${c?.State}: ${c?.StateReason ?? c?.LastUpdateStatusReason ?? 'unknown reason'}`, 'check the image with `lambdock emulate IMAGE`');
  }
  progress.done();
  if (ctx.flags.json) ctx.out.json(c);
  else ctx.out.success(`${name} is Active (${imageUri}) — try \`lambdock invoke ${name}\``);
  return 0;
}

function defaultName(target: string, isDir: boolean): string {
  if (isDir) return basename(resolve(target));
  const path = target.split('@')[0]!.split('/').pop()!;
  return path.split(':')[0]!;
}
