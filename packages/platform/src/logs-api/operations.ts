import type { LogService } from '../logs/log-service.js';
import { LogsApiError, groupNotFound, streamNotFound } from './errors.js';
import type { RetentionSettings } from './retention.js';

export interface LogsContext {
  logs: LogService;
  retention: RetentionSettings;
  account: string;
  region: string;
}

type Input = Record<string, unknown>;
export type Operation = (input: Input, ctx: LogsContext) => Promise<unknown>;

const str = (input: Input, key: string, required = false): string | undefined => {
  const v = input[key];
  if (v === undefined || v === null) {
    if (required) throw new LogsApiError('InvalidParameterException', `1 validation error detected: Value null at '${key}' failed to satisfy constraint: Member must not be null`);
    return undefined;
  }
  if (typeof v !== 'string') throw new LogsApiError('InvalidParameterException', `${key} must be a string`);
  return v;
};
const num = (input: Input, key: string, min?: number, max?: number): number | undefined => {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new LogsApiError('InvalidParameterException', `${key} must be a number`);
  if ((min !== undefined && v < min) || (max !== undefined && v > max)) {
    throw new LogsApiError('InvalidParameterException', `1 validation error detected: Value '${v}' at '${key}' failed to satisfy constraint: Member must have value between ${min} and ${max}`);
  }
  return v;
};
const groupArn = (ctx: LogsContext, group: string) => `arn:aws:logs:${ctx.region}:${ctx.account}:log-group:${group}`;

async function requireGroup(ctx: LogsContext, group: string) {
  const g = (await ctx.logs.listGroups()).find((x) => x.logGroupName === group);
  if (!g) throw groupNotFound();
  return g;
}

/** Paging over an in-memory list: the token is the offset, opaque to clients. */
function page<T>(items: T[], token: string | undefined, limit: number): { items: T[]; nextToken?: string } {
  const offset = token ? Number.parseInt(token, 10) : 0;
  if (!Number.isInteger(offset) || offset < 0) throw new LogsApiError('InvalidParameterException', 'The specified nextToken is invalid.');
  const slice = items.slice(offset, offset + limit);
  return offset + limit < items.length ? { items: slice, nextToken: String(offset + limit) } : { items: slice };
}

export const describeLogGroups: Operation = async (input, ctx) => {
  const prefix = str(input, 'logGroupNamePrefix') ?? '';
  const pattern = str(input, 'logGroupNamePattern');
  const limit = num(input, 'limit', 1, 50) ?? 50;
  const groups = (await ctx.logs.listGroups()).filter((g) => g.logGroupName.startsWith(prefix) && (!pattern || g.logGroupName.includes(pattern)));
  const { items, nextToken } = page(groups, str(input, 'nextToken'), limit);
  return {
    logGroups: items.map((g) => ({
      logGroupName: g.logGroupName,
      creationTime: g.creationTime,
      ...(ctx.retention.get(g.logGroupName) !== undefined ? { retentionInDays: ctx.retention.get(g.logGroupName) } : {}),
      metricFilterCount: 0,
      arn: `${groupArn(ctx, g.logGroupName)}:*`,
      logGroupArn: groupArn(ctx, g.logGroupName),
      storedBytes: g.storedBytes,
      logGroupClass: 'STANDARD',
    })),
    ...(nextToken ? { nextToken } : {}),
  };
};

export const describeLogStreams: Operation = async (input, ctx) => {
  const group = str(input, 'logGroupName', true)!;
  const prefix = str(input, 'logStreamNamePrefix');
  const orderBy = str(input, 'orderBy') ?? 'LogStreamName';
  if (orderBy !== 'LogStreamName' && orderBy !== 'LastEventTime') throw new LogsApiError('InvalidParameterException', `orderBy must be LogStreamName or LastEventTime`);
  if (prefix && orderBy === 'LastEventTime') throw new LogsApiError('InvalidParameterException', 'Cannot order by LastEventTime with a logStreamNamePrefix.');
  const limit = num(input, 'limit', 1, 50) ?? 50;
  await requireGroup(ctx, group);
  let streams = (await ctx.logs.listStreams(group)).filter((s) => !prefix || s.logStreamName.startsWith(prefix));
  streams =
    orderBy === 'LogStreamName'
      ? streams.sort((a, b) => (a.logStreamName < b.logStreamName ? -1 : a.logStreamName > b.logStreamName ? 1 : 0))
      : streams.sort((a, b) => (a.lastEventTimestamp ?? a.creationTime) - (b.lastEventTimestamp ?? b.creationTime));
  if (input['descending'] === true) streams.reverse();
  const { items, nextToken } = page(streams, str(input, 'nextToken'), limit);
  return {
    logStreams: items.map((s) => ({ ...s, arn: `${groupArn(ctx, group)}:log-stream:${s.logStreamName}` })),
    ...(nextToken ? { nextToken } : {}),
  };
};

export const getLogEvents: Operation = async (input, ctx) => {
  const group = str(input, 'logGroupName', true)!;
  const stream = str(input, 'logStreamName', true)!;
  await requireGroup(ctx, group);
  if (!(await ctx.logs.listStreams(group)).some((s) => s.logStreamName === stream)) throw streamNotFound();
  const nextToken = str(input, 'nextToken');
  if (nextToken && !/^[fb]\/\d+$/.test(nextToken)) throw new LogsApiError('InvalidParameterException', 'The specified nextToken is invalid.');
  const cutoff = ctx.retention.cutoff(group);
  const startTime = Math.max(num(input, 'startTime', 0) ?? 0, cutoff ?? 0) || undefined;
  const r = await ctx.logs.getEvents(group, stream, {
    startTime,
    endTime: num(input, 'endTime', 0),
    limit: num(input, 'limit', 1, 10_000),
    nextToken,
    startFromHead: input['startFromHead'] === true,
  });
  return { events: r.events, nextForwardToken: r.nextForwardToken, nextBackwardToken: r.nextBackwardToken };
};

export const filterLogEvents: Operation = async (input, ctx) => {
  const group = str(input, 'logGroupName') ?? groupFromIdentifier(str(input, 'logGroupIdentifier'));
  if (!group) throw new LogsApiError('InvalidParameterException', 'Either logGroupName or logGroupIdentifier must be specified.');
  const names = input['logStreamNames'];
  if (names !== undefined && (!Array.isArray(names) || names.some((n) => typeof n !== 'string'))) throw new LogsApiError('InvalidParameterException', 'logStreamNames must be a list of strings');
  const prefix = str(input, 'logStreamNamePrefix');
  if (names && prefix) throw new LogsApiError('InvalidParameterException', 'logStreamNames and logStreamNamePrefix are mutually exclusive');
  await requireGroup(ctx, group);
  const cutoff = ctx.retention.cutoff(group);
  const startTime = Math.max(num(input, 'startTime', 0) ?? 0, cutoff ?? 0) || undefined;
  const r = await ctx.logs.filterEvents(group, {
    logStreamNames: names as string[] | undefined,
    logStreamNamePrefix: prefix,
    startTime,
    endTime: num(input, 'endTime', 0),
    filterPattern: str(input, 'filterPattern'),
    limit: num(input, 'limit', 1, 10_000),
    nextToken: str(input, 'nextToken'),
  });
  const searched = [...new Set(r.events.map((e) => e.logStreamName))];
  return {
    events: r.events.map((e) => ({ logStreamName: e.logStreamName, timestamp: e.timestamp, message: e.message, ingestionTime: e.ingestionTime, eventId: e.eventId })),
    searchedLogStreams: searched.map((logStreamName) => ({ logStreamName, searchedCompletely: !r.nextToken })),
    ...(r.nextToken ? { nextToken: r.nextToken } : {}),
  };
};

export const putRetentionPolicy: Operation = async (input, ctx) => {
  const group = str(input, 'logGroupName', true)!;
  const days = num(input, 'retentionInDays');
  if (days === undefined) throw new LogsApiError('InvalidParameterException', "1 validation error detected: Value null at 'retentionInDays' failed to satisfy constraint: Member must not be null");
  await requireGroup(ctx, group);
  ctx.retention.set(group, days);
  await pruneGroup(ctx, group);
  return {};
};

export const deleteRetentionPolicy: Operation = async (input, ctx) => {
  const group = str(input, 'logGroupName', true)!;
  await requireGroup(ctx, group);
  ctx.retention.set(group, undefined);
  return {};
};

/** Deletes the streams whose newest event is older than the group's retention. */
export async function pruneGroup(ctx: LogsContext, group: string, now = Date.now()): Promise<number> {
  const cutoff = ctx.retention.cutoff(group, now);
  if (cutoff === undefined) return 0;
  let removed = 0;
  for (const s of await ctx.logs.listStreams(group)) {
    if ((s.lastEventTimestamp ?? s.creationTime) < cutoff) {
      await ctx.logs.deleteStream(group, s.logStreamName);
      removed++;
    }
  }
  return removed;
}

function groupFromIdentifier(id: string | undefined): string | undefined {
  if (!id) return undefined;
  const m = /^arn:aws:logs:[^:]*:\d*:log-group:(.+?)(:\*)?$/.exec(id);
  return m ? m[1] : id;
}

export const operations: Record<string, Operation> = {
  DescribeLogGroups: describeLogGroups,
  DescribeLogStreams: describeLogStreams,
  GetLogEvents: getLogEvents,
  FilterLogEvents: filterLogEvents,
  PutRetentionPolicy: putRetentionPolicy,
  DeleteRetentionPolicy: deleteRetentionPolicy,
};
