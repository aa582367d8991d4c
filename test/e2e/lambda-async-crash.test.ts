/**
 * At-least-once asynchronous invocation across a crash: `lambdock up` (the real
 * composition root, as a child process) takes a burst of 1,000 Event invokes from
 * @aws-sdk/client-lambda and is killed with SIGKILL in the middle of it — events
 * queued, leased and running at that moment. After a restart on the same data
 * directory, every event that was answered 202 must have run: its START line (the
 * platform writes it before the function gets the event, and flushes logs before it
 * acknowledges an event) is read back through the CloudWatch Logs API.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LambdaClient, CreateFunctionCommand, InvokeCommand, waitUntilFunctionActiveV2 } from '@aws-sdk/client-lambda';
import { CloudWatchLogsClient, paginateFilterLogEvents } from '@aws-sdk/client-cloudwatch-logs';
import { CLI, freePort, upUnavailable } from '../support/lambdock-up.js';
import { BUSYBOX, ImageFactory, shHandler } from '@lambdock/platform/testing';


const skip = upUnavailable() ?? (!BUSYBOX ? 'static busybox not installed' : false);
const EVENTS = 1000;
const KILL_AFTER = 600;

interface Server {
  child: ChildProcess;
  output: () => string;
}

async function startServer(home: string, api: number, reg: number, rapi: number): Promise<Server> {
  let out = '';
  const child = spawn(process.execPath, [CLI, 'up', '--home', home, '--port', String(api), '--registry-port', String(reg), '--runtime-api-port', String(rapi)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LAMBDOCK_LOG_LEVEL: 'warn' },
  });
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`lambdock up did not start:\n${out}`)), 60_000);
    const check = (): void => {
      if (out.includes('Lambdock is up')) {
        clearTimeout(timer);
        child.stdout!.off('data', check);
        child.off('exit', exited);
        resolve();
      }
    };
    const exited = (code: number | null): void => {
      clearTimeout(timer);
      reject(new Error(`lambdock up exited with ${code}:\n${out}`));
    };
    child.stdout!.on('data', check);
    child.once('exit', exited);
  });
  return { child, output: () => out };
}

async function stopServer(s: Server | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!s || s.child.exitCode !== null || s.child.signalCode !== null) return;
  const gone = new Promise((r) => s.child.once('exit', r));
  s.child.kill(signal);
  await Promise.race([gone, new Promise((r) => setTimeout(r, 20_000))]);
  if (s.child.exitCode === null && s.child.signalCode === null) {
    s.child.kill('SIGKILL');
    await gone;
  }
}

/** Request ids of every START line of the function, through the Logs API. */
async function startedIds(logs: CloudWatchLogsClient): Promise<Set<string>> {
  const started = new Set<string>();
  try {
    for await (const page of paginateFilterLogEvents({ client: logs }, { logGroupName: '/aws/lambda/burst', filterPattern: '"START RequestId"' })) {
      for (const e of page.events ?? []) {
        const m = /^START RequestId: (\S+)/.exec(e.message ?? '');
        if (m) started.add(m[1]!);
      }
    }
  } catch (err) {
    // Before the first invoke has logged, the log group does not exist yet.
    if ((err as { name?: string }).name !== 'ResourceNotFoundException') throw err;
  }
  return started;
}

describe('asynchronous invocation survives kill -9 of the server', { skip }, () => {
  const home = mkdtempSync(join(tmpdir(), 'lambdock-async-crash-'));
  let server: Server | undefined;
  let ports: [number, number, number];
  let images: InstanceType<typeof ImageFactory>;

  before(async () => {
    ports = [await freePort(), await freePort(), 20000 + Math.floor(Math.random() * 9000)];
    server = await startServer(home, ...ports);
    images = new ImageFactory();
  });
  after(async () => {
    await stopServer(server);
    images?.close();
    rmSync(home, { recursive: true, force: true, maxRetries: 3 });
  });

  test(`${EVENTS} Event invokes, SIGKILL after ${KILL_AFTER} accepted: every accepted event runs after the restart`, async () => {
    const endpoint = `http://127.0.0.1:${ports[0]}`;
    const clientOpts = { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, maxAttempts: 1 };
    const lambda = new LambdaClient(clientOpts);
    const logs = new CloudWatchLogsClient(clientOpts);
    try {
      const image = `localhost:${ports[1]}/async/crash:v1`;
      await images.push(image, { 'var/task/function.sh': shHandler('crash') });
      await lambda.send(new CreateFunctionCommand({ FunctionName: 'burst', PackageType: 'Image', Code: { ImageUri: image }, Role: 'arn:aws:iam::123456789012:role/r' }));
      await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 120 }, { FunctionName: 'burst' });

      const accepted = new Set<string>();
      let refused = 0;
      let next = 0;
      let killed: Promise<void> | undefined;
      const sender = async (): Promise<void> => {
        while (next < EVENTS && !killed) {
          const n = next++;
          try {
            const r = await lambda.send(new InvokeCommand({ FunctionName: 'burst', InvocationType: 'Event', Payload: Buffer.from(JSON.stringify({ n })) }));
            assert.equal(r.StatusCode, 202);
            accepted.add(r.$metadata.requestId!);
            if (accepted.size >= KILL_AFTER && !killed) killed = stopServer(server, 'SIGKILL');
          } catch {
            refused++; // the connection died with the server: not accepted, the client would retry
          }
        }
      };
      // Phase 1: a first part of the burst, until the dispatcher is visibly running events…
      let limit = KILL_AFTER / 2;
      const phase = async (): Promise<void> => {
        while (next < limit && !killed) {
          const n = next++;
          const r = await lambda.send(new InvokeCommand({ FunctionName: 'burst', InvocationType: 'Event', Payload: Buffer.from(JSON.stringify({ n })) }));
          accepted.add(r.$metadata.requestId!);
        }
      };
      await Promise.all(Array.from({ length: 32 }, phase));
      for (let i = 0; i < 600 && (await startedIds(logs)).size < 5; i++) await new Promise((r) => setTimeout(r, 100));
      // …phase 2: the rest, with SIGKILL once KILL_AFTER are accepted — events are queued, leased and running.
      limit = EVENTS;
      await Promise.all(Array.from({ length: 32 }, sender));
      await killed;
      assert.equal(server!.child.signalCode, 'SIGKILL');
      const beforeKill = accepted.size;

      server = await startServer(home, ...ports);
      // The rest of the burst goes to the restarted server.
      let reserved = accepted.size;
      const rest = async (): Promise<void> => {
        while (reserved < EVENTS) {
          reserved++;
          accepted.add((await lambda.send(new InvokeCommand({ FunctionName: 'burst', InvocationType: 'Event', Payload: Buffer.from('{"n":"after"}') }))).$metadata.requestId!);
        }
      };
      await Promise.all(Array.from({ length: 16 }, rest));
      assert.equal(accepted.size, EVENTS);

      // Every accepted event's START line, read through the Logs API (duplicates allowed: at-least-once).
      let started = new Set<string>();
      const deadline = Date.now() + 150_000;
      while (Date.now() < deadline) {
        started = await startedIds(logs);
        if ([...accepted].every((id) => started.has(id))) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
      const missing = [...accepted].filter((id) => !started.has(id));
      assert.deepEqual(missing, [], `${missing.length} of ${accepted.size} accepted events never ran (${beforeKill} accepted before the kill, ${refused} refused by the dying server)`);
    } finally {
      lambda.destroy();
      logs.destroy();
    }
  });
});
