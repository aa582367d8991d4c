import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { parseConfig, startEmulator } from '@lambdock/emulator';
import type { CommandContext } from '../context.js';
import { CliError } from '../output.js';

/**
 * `lambdock emulate DIR [--watch] [--port 9000] [--handler app.handler]`: the runtime interface
 * emulator on this machine's Node with our runtime client, task root DIR.
 * `lambdock emulate IMAGE [--port 9000]`: `docker run -p PORT:8080 IMAGE` (the emulator in the image).
 */
export async function emulate(ctx: CommandContext): Promise<number> {
  const target = ctx.args[0];
  if (!target) throw new CliError('emulate needs a directory or an image', 'usage: lambdock emulate DIR|IMAGE [--watch] [--port 9000]');
  const port = Number(ctx.flags.port ?? 9000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`bad --port ${String(ctx.flags.port)}`);
  const isDir = await stat(target).then((s) => s.isDirectory(), () => false);
  if (!isDir) return dockerRun(ctx, target, port);

  const taskRoot = resolve(target);
  const handler = (ctx.flags.handler as string | undefined) ?? defaultHandler(taskRoot);
  const require = createRequire(import.meta.url);
  const runtimeEntry = join(dirname(require.resolve('@lambdock/runtime-client')), 'index.js');
  const argv = [`--runtime-interface-emulator-address`, `127.0.0.1:${port}`, '--runtime-api-address', '127.0.0.1:0'];
  if (ctx.flags.watch) argv.push('--watch', taskRoot);
  argv.push(process.execPath, runtimeEntry);
  const config = parseConfig(argv, { ...process.env, _HANDLER: handler, LAMBDA_TASK_ROOT: taskRoot, AWS_LAMBDA_FUNCTION_NAME: process.env['AWS_LAMBDA_FUNCTION_NAME'] ?? 'function' });
  if (!config) throw new CliError('could not configure the emulator');
  config.taskRoot = taskRoot;
  const emulator = await startEmulator(config);
  ctx.out.info(`${ctx.out.bold('emulating')} ${taskRoot} (handler ${handler}${ctx.flags.watch ? ', restarting on change' : ''})`);
  ctx.out.info(`  curl -XPOST "${emulator.url}/2015-03-31/functions/function/invocations" -d '{}'`);
  await new Promise<void>((r) => {
    process.once('SIGINT', r);
    process.once('SIGTERM', r);
  });
  await emulator.close();
  return 0;
}

function defaultHandler(dir: string): string {
  for (const m of ['index', 'app', 'handler']) for (const ext of ['.js', '.mjs', '.cjs']) if (existsSync(join(dir, m + ext))) return `${m}.handler`;
  throw new CliError(`no handler found in ${dir}`, 'add index.js (or app.js) exporting `handler`, or pass --handler module.function');
}

function dockerRun(ctx: CommandContext, image: string, port: number): Promise<number> {
  ctx.out.info(`${ctx.out.bold('emulating')} ${image} with docker on port ${port}`);
  ctx.out.info(`  curl -XPOST "http://localhost:${port}/2015-03-31/functions/function/invocations" -d '{}'`);
  return new Promise((resolvePromise, reject) => {
    const child = spawn('docker', ['run', '--rm', '-p', `${port}:8080`, image], { stdio: 'inherit' });
    child.on('error', (err) => reject(new CliError(`cannot run docker: ${err.message}`, 'install Docker, or pass a directory to emulate without it')));
    child.on('exit', (code) => resolvePromise(code ?? 1));
    process.once('SIGINT', () => child.kill('SIGINT'));
  });
}
