import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NotFoundError, createLogger } from '@lambdock/common';
import { ThrottledError } from '../errors.js';
import type { FunctionService } from '../functions/function-service.js';
import type { FunctionRecord } from '../functions/model.js';
import type { InvokeCommand, InvokeOutcome } from '../invoke/invoke-service.js';
import { sampleRecord } from '../store/testsuite.js';
import { AsyncDispatcher } from './dispatcher.js';
import type { EventInvokeConfigService } from './event-invoke-configs.js';
import type { EventInvokeConfig } from './config-store.js';
import { SqliteEventQueue } from './sqlite-queue.js';

// The dispatcher's decisions with the real queue and a scripted function: what runs,
// what is retried, and which record goes where — without sandboxes, in milliseconds.
const dir = mkdtempSync(join(tmpdir(), 'lambdock-dispatch-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const ARN = 'arn:aws:lambda:us-east-1:123456789012:function';

function setup(opts: { configs?: Record<string, Partial<EventInvokeConfig>>; run: (cmd: InvokeCommand, n: number) => Promise<InvokeOutcome>; records?: Record<string, Partial<FunctionRecord>> }) {
  const queue = new SqliteEventQueue(join(dir, `${Math.random().toString(36).slice(2)}.db`));
  const delivered: Array<{ fn: string; payload: Record<string, any> }> = [];
  let runs = 0;
  const functions = {
    account: '123456789012',
    region: 'us-east-1',
    arn: (name: string, q?: string) => (q === undefined ? `${ARN}:${name}` : `${ARN}:${name}:${q}`),
    async get(ref: { name: string }) {
      if (ref.name === 'gone') throw new NotFoundError('gone');
      return { ...sampleRecord(ref.name), ...(opts.records?.[ref.name] ?? {}) } as FunctionRecord;
    },
  } as unknown as FunctionService;
  const configs = { effective: async (name: string) => (opts.configs?.[name] ? { functionName: name, qualifier: '$LATEST', lastModified: 0, ...opts.configs[name] } : undefined) } as unknown as EventInvokeConfigService;
  const d = new AsyncDispatcher({
    queue,
    configs,
    functions,
    logger: createLogger({ level: 'error' }),
    retryBaseMs: 20,
    throttleBaseMs: 10,
    run: async (cmd) => {
      if (['succeeded', 'failed', 'dlq'].includes(cmd.ref.name)) {
        delivered.push({ fn: cmd.ref.name, payload: JSON.parse(cmd.payload.toString()) as Record<string, any> });
        return { status: 200, payload: Buffer.from('{}'), executedVersion: '$LATEST' };
      }
      return opts.run(cmd, ++runs);
    },
  });
  return { queue, d, delivered, runs: () => runs };
}

const ok = (body = '{"ok":true}'): InvokeOutcome => ({ status: 200, payload: Buffer.from(body), executedVersion: '$LATEST' });
const failed = (): InvokeOutcome => ({ status: 200, payload: Buffer.from('{"errorMessage":"boom"}'), functionError: 'Unhandled', executedVersion: '$LATEST' });

test('throttles are retried with backoff and do not count as invocations', async () => {
  const s = setup({ configs: { f: { onSuccess: `${ARN}:succeeded` } }, run: async (_c, n) => (n <= 2 ? Promise.reject(new ThrottledError('ReservedFunctionConcurrentInvocationLimitExceeded')) : ok()) });
  await s.d.start();
  await s.d.enqueue({ name: 'f' }, Buffer.from('{"a":1}'), 'req-1');
  await s.d.idle();
  assert.equal(s.runs(), 3);
  assert.equal(s.delivered.length, 1);
  assert.equal(s.delivered[0]!.payload['requestContext']['approximateInvokeCount'], 1);
  assert.equal(s.delivered[0]!.payload['requestContext']['requestId'], 'req-1');
  await s.d.close();
  await s.queue.close();
});

test('MaximumRetryAttempts 0: one function error goes straight to OnFailure and the dead-letter target', async () => {
  const s = setup({
    configs: { f: { maximumRetryAttempts: 0, onFailure: `${ARN}:failed` } },
    records: { f: { settings: { ...sampleRecord('f').settings, deadLetterTargetArn: `${ARN}:dlq` } } },
    run: async () => failed(),
  });
  await s.d.start();
  await s.d.enqueue({ name: 'f' }, Buffer.from('{"b":2}'), 'req-2');
  await s.d.idle();
  assert.equal(s.runs(), 1);
  const onFailure = s.delivered.find((x) => x.fn === 'failed')!;
  assert.equal(onFailure.payload['requestContext']['condition'], 'RetriesExhausted');
  assert.deepEqual(onFailure.payload['responsePayload'], { errorMessage: 'boom' });
  assert.deepEqual(s.delivered.find((x) => x.fn === 'dlq')!.payload, { b: 2 });
  await s.d.close();
  await s.queue.close();
});

test('an event older than MaximumEventAgeInSeconds is not run: EventAgeExceeded', async () => {
  const s = setup({ configs: { f: { maximumEventAgeInSeconds: 60, onFailure: `${ARN}:failed` } }, run: async () => ok() });
  await s.queue.enqueue({ id: 'old', functionName: 'f', qualifier: '$LATEST', payload: Buffer.from('{"c":3}'), enqueuedAt: Date.now() - 61_000 });
  await s.d.start();
  await s.d.idle();
  assert.equal(s.runs(), 0);
  const rec = s.delivered[0]!.payload;
  assert.equal(rec['requestContext']['condition'], 'EventAgeExceeded');
  assert.equal(rec['requestContext']['approximateInvokeCount'], 0);
  assert.deepEqual(rec['requestPayload'], { c: 3 });
  await s.d.close();
  await s.queue.close();
});

test('events of a deleted function are dropped; a restarted dispatcher runs what its predecessor had leased', async () => {
  const s = setup({ run: async () => ok() });
  await s.queue.enqueue({ id: 'x', functionName: 'gone', qualifier: '$LATEST', payload: Buffer.from('{}'), enqueuedAt: Date.now() });
  await s.queue.enqueue({ id: 'y', functionName: 'f', qualifier: '$LATEST', payload: Buffer.from('{}'), enqueuedAt: Date.now() });
  // A previous consumer leased both and died.
  assert.equal((await s.queue.claim(10, Date.now())).length, 2);
  await s.d.start();
  await s.d.idle();
  assert.equal(s.runs(), 1);
  assert.deepEqual(await s.queue.depth(), { ready: 0, leased: 0 });
  await s.d.close();
  await s.queue.close();
});

test('reserved concurrency is honoured by the dispatcher itself: events wait instead of being throttled', async () => {
  let running = 0;
  let peak = 0;
  const s = setup({
    records: { f: { reservedConcurrency: 2 } },
    run: async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 20));
      running--;
      return ok();
    },
  });
  await s.d.start();
  await Promise.all(Array.from({ length: 20 }, (_, i) => s.d.enqueue({ name: 'f' }, Buffer.from('{}'), `r-${i}`)));
  await s.d.idle();
  assert.equal(s.runs(), 20);
  assert.equal(peak, 2);
  await s.d.close();
  await s.queue.close();
});
