import { FilterLogEventsCommand, type FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import { setTimeout as sleep } from 'node:timers/promises';
import { logsClient } from '../clients.js';
import type { CommandContext } from '../context.js';
import { CliError } from '../output.js';

/** `lambdock logs NAME [--follow] [--since 10m]`: the function's log group through the CloudWatch Logs API. */
export async function logs(ctx: CommandContext): Promise<number> {
  const name = ctx.args[0];
  if (!name) throw new CliError('logs needs a function name', 'usage: lambdock logs NAME [--follow] [--since 10m]');
  const client = logsClient(ctx.config);
  const logGroupName = `/aws/lambda/${name}`;
  let startTime = Date.now() - parseSince(String(ctx.flags.since ?? '1h'));
  const seen = new Set<string>();
  const print = (e: FilteredLogEvent) => {
    const key = e.eventId ?? `${e.logStreamName}/${e.timestamp}/${e.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    if (ctx.flags.json) ctx.out.info(JSON.stringify(e));
    else ctx.out.info(`${ctx.out.dim(new Date(e.timestamp ?? 0).toISOString())} ${(e.message ?? '').replace(/\n$/, '')}`);
  };
  let stop = false;
  process.once('SIGINT', () => (stop = true));
  do {
    let nextToken: string | undefined;
    let newest = startTime;
    do {
      const page = await client.send(new FilterLogEventsCommand({ logGroupName, startTime, nextToken, interleaved: true }));
      for (const e of page.events ?? []) {
        print(e);
        newest = Math.max(newest, e.timestamp ?? 0);
      }
      nextToken = page.nextToken;
    } while (nextToken && !stop);
    startTime = newest;
    if (ctx.flags.follow && !stop) await sleep(500);
  } while (ctx.flags.follow && !stop);
  return 0;
}

function parseSince(s: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(s);
  if (!m) throw new CliError(`bad --since value ${s}`, 'use a number and a unit, e.g. 30s, 10m, 2h, 1d');
  const unit = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[m[2] as 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}
