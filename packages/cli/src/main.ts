import { parseArgs } from 'node:util';
import { clientConfig } from './config.js';
import type { CommandContext, Flags } from './context.js';
import { CliError, createOutput } from './output.js';

type Command = (ctx: CommandContext) => Promise<number>;

/** Commands load lazily so `lambdock invoke` doesn't pay for the platform's start-up code. */
const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  up: { summary: 'start the registry, API and console (same as npm start)', load: async () => (await import('./commands/up.js')).up },
  images: { summary: 'images build [NAME:TAG ...] [--output DIR] [--load] [--push REGISTRY] | images ls', load: async () => (await import('./commands/images.js')).images },
  build: { summary: 'build DIR [--tag REGISTRY/NAME:TAG] [--runtime nodejs:22] [--handler app.handler]: function image without Docker, pushed', load: async () => (await import('./commands/build.js')).build },
  deploy: { summary: 'deploy DIR|IMAGE [--name NAME] [--memory MB] [--timeout S]: create or update, wait until Active', load: async () => (await import('./commands/deploy.js')).deploy },
  invoke: { summary: 'invoke NAME [--payload JSON|@file] [--async]', load: async () => (await import('./commands/invoke.js')).invoke },
  logs: { summary: 'logs NAME [--follow] [--since 10m]', load: async () => (await import('./commands/logs.js')).logs },
  ls: { summary: 'list functions [--json]', load: async () => (await import('./commands/ls.js')).ls },
  emulate: { summary: 'emulate DIR|IMAGE [--watch] [--port 9000]: run the runtime interface emulator', load: async () => (await import('./commands/emulate.js')).emulate },
  rm: { summary: 'rm NAME [NAME ...]: delete functions', load: async () => (await import('./commands/rm.js')).rm },
};

const options = {
  json: { type: 'boolean' },
  follow: { type: 'boolean', short: 'f' },
  async: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  watch: { type: 'boolean' },
  load: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  payload: { type: 'string', short: 'p' },
  since: { type: 'string' },
  output: { type: 'string', short: 'o' },
  push: { type: 'string' },
  name: { type: 'string', short: 'n' },
  tag: { type: 'string', short: 't' },
  runtime: { type: 'string' },
  handler: { type: 'string' },
  memory: { type: 'string' },
  timeout: { type: 'string' },
  port: { type: 'string' },
  'registry-port': { type: 'string' },
  'runtime-api-port': { type: 'string' },
  host: { type: 'string' },
  home: { type: 'string' },
  endpoint: { type: 'string' },
  registry: { type: 'string' },
} as const;

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`);
  return `usage: lambdock <command> [options]\n\n${lines.join('\n')}\n\nGlobal: --endpoint URL (default http://localhost:9600), --registry HOST:PORT (default localhost:5000), --json\n`;
}

export async function main(argv: string[]): Promise<number> {
  const out = createOutput();
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\nhint: run \`lambdock --help\`\n`);
    return 64;
  }
  const [name, ...args] = parsed.positionals;
  if (!name || parsed.values.help) {
    process.stdout.write(usage());
    return name || parsed.values.help ? 0 : 64;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`error: unknown command "${name}"\nhint: run \`lambdock --help\` for the list\n`);
    return 64;
  }
  const flags = parsed.values as Flags;
  const ctx: CommandContext = {
    args,
    flags,
    out,
    config: clientConfig({ endpoint: flags.endpoint as string | undefined, registry: flags.registry as string | undefined }),
  };
  try {
    return await (await command.load())(ctx);
  } catch (err) {
    const { message, hint } = explain(err, ctx);
    process.stderr.write(`error: ${message}\n${hint ? `hint: ${hint}\n` : ''}`);
    if (process.env['LAMBDOCK_DEBUG']) console.error(err);
    return 1;
  }
}

/** One clear line and a hint for the errors people actually meet. */
export function explain(err: unknown, ctx: CommandContext): { message: string; hint?: string | undefined } {
  if (err instanceof CliError) return { message: err.message, hint: err.hint };
  const e = err as { name?: string; message?: string; code?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code;
  if (code === 'ECONNREFUSED' || /ECONNREFUSED/.test(e.message ?? '')) {
    return { message: `cannot reach Lambdock at ${ctx.config.endpoint}`, hint: 'start it with `npm start` or `lambdock up`' };
  }
  if (e.name === 'ResourceNotFoundException') return { message: e.message ?? 'not found', hint: 'list functions with `lambdock ls`' };
  if (e.name === 'ResourceConflictException') return { message: e.message ?? 'conflict', hint: 'wait for the function to become Active, then retry' };
  return { message: `${e.name && e.name !== 'Error' ? e.name + ': ' : ''}${e.message ?? String(err)}` };
}
