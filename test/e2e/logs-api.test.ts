import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  GetLogEventsCommand,
  FilterLogEventsCommand,
  PutRetentionPolicyCommand,
  DeleteRetentionPolicyCommand,
  paginateFilterLogEvents,
} from '@aws-sdk/client-cloudwatch-logs';
import { LogService, createLogsApi, type LogsApi } from '@lambdock/platform';
import { AWS_CLI, commandExists } from '../support/system.js';

// The CloudWatch Logs API over function logs, driven by the AWS SDK and the AWS CLI v2.
const dir = mkdtempSync(join(tmpdir(), 'lambdock-logs-'));
const logs = new LogService(join(dir, 'logs'));
let api: LogsApi;
let server: Server;
let endpoint = '';
let client: CloudWatchLogsClient;
const GROUP = '/aws/lambda/logs-fn';
const STREAM_A = '2026/11/27/[$LATEST]aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const STREAM_B = '2026/11/27/[$LATEST]bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const t0 = Date.now() - 60_000;

before(async () => {
  api = createLogsApi({ logs, retentionFile: join(dir, 'retention.json'), account: '123456789012', region: 'us-east-1' });
  server = createServer((req, res) => api.handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  client = new CloudWatchLogsClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  logs.append(GROUP, STREAM_A, [
    { timestamp: t0, message: 'START RequestId: r1 Version: $LATEST\n' },
    { timestamp: t0 + 1, message: 'hello from a\n' },
    { timestamp: t0 + 2, message: 'END RequestId: r1\n' },
    { timestamp: t0 + 3, message: 'REPORT RequestId: r1\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 10 MB\t\n' },
  ]);
  logs.append(GROUP, STREAM_B, [{ timestamp: t0 + 10, message: 'error: something broke\n' }]);
  await logs.flush();
});
after(async () => {
  api.close();
  server.close();
  await logs.close();
  rmSync(dir, { recursive: true, force: true });
});

test('DescribeLogGroups and DescribeLogStreams list what the functions wrote', async () => {
  const groups = await client.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/lambda/' }));
  assert.deepEqual(groups.logGroups?.map((g) => g.logGroupName), [GROUP]);
  assert.ok((groups.logGroups?.[0]?.storedBytes ?? 0) > 0);
  const streams = await client.send(new DescribeLogStreamsCommand({ logGroupName: GROUP, orderBy: 'LastEventTime', descending: true }));
  assert.deepEqual(streams.logStreams?.map((s) => s.logStreamName), [STREAM_B, STREAM_A]);
  assert.equal(streams.logStreams?.[1]?.firstEventTimestamp, t0);
});

test('GetLogEvents pages forward from the head and FilterLogEvents matches terms across streams', async () => {
  const first = await client.send(new GetLogEventsCommand({ logGroupName: GROUP, logStreamName: STREAM_A, startFromHead: true, limit: 2 }));
  assert.deepEqual(first.events?.map((e) => e.message), ['START RequestId: r1 Version: $LATEST\n', 'hello from a\n']);
  const next = await client.send(new GetLogEventsCommand({ logGroupName: GROUP, logStreamName: STREAM_A, nextToken: first.nextForwardToken, limit: 2 }));
  assert.match(next.events?.[1]?.message ?? '', /^REPORT RequestId: r1/);
  const hits = await client.send(new FilterLogEventsCommand({ logGroupName: GROUP, filterPattern: 'RequestId r1', startTime: t0 }));
  assert.equal(hits.events?.length, 3);
  const all = [];
  for await (const p of paginateFilterLogEvents({ client, pageSize: 2 }, { logGroupName: GROUP, limit: 2 })) all.push(...(p.events ?? []));
  assert.equal(all.length, 5, 'pagination returns every event once');
  assert.equal(new Set(all.map((e) => e.eventId)).size, 5);
});

test('errors come back as CloudWatch Logs sends them', async () => {
  await assert.rejects(client.send(new GetLogEventsCommand({ logGroupName: '/aws/lambda/none', logStreamName: 'x' })), {
    name: 'ResourceNotFoundException',
    message: 'The specified log group does not exist.',
  });
  await assert.rejects(client.send(new GetLogEventsCommand({ logGroupName: GROUP, logStreamName: 'nope' })), { name: 'ResourceNotFoundException', message: 'The specified log stream does not exist.' });
  await assert.rejects(client.send(new PutRetentionPolicyCommand({ logGroupName: GROUP, retentionInDays: 4 })), { name: 'InvalidParameterException' });
});

test('retention hides and deletes events older than the policy', async () => {
  await client.send(new PutRetentionPolicyCommand({ logGroupName: GROUP, retentionInDays: 1 }));
  const g = await client.send(new DescribeLogGroupsCommand({}));
  assert.equal(g.logGroups?.[0]?.retentionInDays, 1);
  // two days later every stream is past retention and goes away
  assert.equal(await api.prune(Date.now() + 2 * 86_400_000), 2);
  const streams = await client.send(new DescribeLogStreamsCommand({ logGroupName: GROUP }));
  assert.equal(streams.logStreams?.length, 0);
  await client.send(new DeleteRetentionPolicyCommand({ logGroupName: GROUP }));
  const g2 = await client.send(new DescribeLogGroupsCommand({}));
  assert.equal(g2.logGroups?.[0]?.retentionInDays, undefined);
});

test('aws logs tail prints the function log lines', { skip: !commandExists(AWS_CLI) && 'AWS CLI v2 not installed at /usr/bin/aws' }, async () => {
  const group = '/aws/lambda/tail-fn';
  logs.append(group, STREAM_A, [
    { timestamp: Date.now() - 1000, message: 'START RequestId: r9 Version: $LATEST\n' },
    { timestamp: Date.now() - 999, message: 'END RequestId: r9\n' },
    { timestamp: Date.now() - 998, message: 'REPORT RequestId: r9\tDuration: 2.00 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 10 MB\t\n' },
  ]);
  await logs.flush();
  const { stdout } = await promisify(execFile)(AWS_CLI, ['--endpoint-url', endpoint, 'logs', 'tail', group, '--since', '10m', '--format', 'short'], {
    env: { ...process.env, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y', AWS_REGION: 'us-east-1', AWS_PAGER: '' },
  });
  assert.match(stdout, /START RequestId: r9 Version: \$LATEST/);
  assert.match(stdout, /END RequestId: r9/);
  assert.match(stdout, /REPORT RequestId: r9\tDuration: 2\.00 ms/);
});
