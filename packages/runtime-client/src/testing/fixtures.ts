/**
 * Runs the handler fixtures in `testdata/handlers/fixtures.json` against a runtime client
 * process and a {@link RuntimeApiStub}, checking every expectation the manifest states
 * (format: testdata/handlers/README.md). Test-only.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RuntimeApiStub, SIX_MIB, type Report } from './runtime-api-stub.js';

export const FIXTURES_DIR = fileURLToPath(new URL('../../testdata/handlers/', import.meta.url));
/** The runtime client's entry file as built. */
export const CLIENT_ENTRY = fileURLToPath(new URL('../index.js', import.meta.url));

export interface ErrorExpectation {
  errorType: string;
  errorMessage?: string;
  errorMessageIncludes?: string;
  /** The `Lambda-Runtime-Function-Error-Type` header when it differs from errorType (escaped non-ASCII). */
  errorTypeHeader?: string;
}

export interface InvokeExpectation {
  response?: unknown;
  responseBytes?: number;
  status?: number;
  error?: ErrorExpectation;
  stream?: {
    contentType?: string;
    prelude?: unknown;
    body?: string;
    errorType?: string;
    errorMessage?: string;
    firstChunkLeadMs?: number;
  };
  noReportWithinMs?: number;
}

export interface FixtureInvoke {
  event?: unknown;
  rawEvent?: string;
  headers?: Record<string, string>;
  deadlineInMs?: number;
  expect: InvokeExpectation;
}

export interface FixtureCase {
  name: string;
  root: string;
  handler: string;
  env?: Record<string, string>;
  /** Node.js versions the case applies to: `<24`, `>=24`. */
  node?: string;
  /** Why AWS's own client behaves differently here (the case still describes Lambda-correct behaviour). */
  lambdockOnly?: string;
  init?: ErrorExpectation;
  exitCode?: number;
  invokes?: FixtureInvoke[];
  logs?: string[];
  logsAbsent?: string[];
}

export interface FixtureManifest {
  env: Record<string, string>;
  cases: FixtureCase[];
}

export function loadManifest(): FixtureManifest {
  return JSON.parse(readFileSync(join(FIXTURES_DIR, 'fixtures.json'), 'utf8')) as FixtureManifest;
}

/** Whether a case's `node` range admits this major version. */
export function appliesToNode(c: FixtureCase, major: number): boolean {
  if (!c.node) return true;
  const m = /^(<|<=|>|>=|=)?(\d+)$/.exec(c.node.trim());
  if (!m) throw new Error(`bad node range ${c.node}`);
  const v = Number(m[2]);
  switch (m[1]) {
    case '<':
      return major < v;
    case '<=':
      return major <= v;
    case '>':
      return major > v;
    case '>=':
      return major >= v;
    default:
      return major === v;
  }
}

function substitute(value: unknown, vars: Record<string, string>): unknown {
  if (typeof value === 'string') return value.replace(/\{(requestId|env:[A-Z0-9_]+)\}/g, (all, key: string) => vars[key] ?? all);
  if (Array.isArray(value)) return value.map((v) => substitute(v, vars));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, vars)]));
  }
  return value;
}

function checkError(where: string, typeHeader: unknown, body: Buffer, want: ErrorExpectation): void {
  assert.equal(typeHeader, want.errorTypeHeader ?? want.errorType, `${where}: Lambda-Runtime-Function-Error-Type header`);
  const parsed = JSON.parse(body.toString('utf8')) as { errorType: string; errorMessage: string; trace: unknown };
  assert.equal(parsed.errorType, want.errorType, `${where}: errorType`);
  if (want.errorMessage !== undefined) assert.equal(parsed.errorMessage, want.errorMessage, `${where}: errorMessage`);
  if (want.errorMessageIncludes !== undefined) {
    assert.ok(parsed.errorMessage.includes(want.errorMessageIncludes), `${where}: errorMessage ${JSON.stringify(parsed.errorMessage)} lacks ${JSON.stringify(want.errorMessageIncludes)}`);
  }
  assert.ok(Array.isArray(parsed.trace), `${where}: trace is an array`);
}

function checkReport(where: string, report: Report, want: InvokeExpectation, vars: Record<string, string>): void {
  if (want.status !== undefined) assert.equal(report.status, want.status, `${where}: status the Runtime API answered`);
  if (want.error) {
    assert.equal(report.kind, 'error', `${where}: expected an error report, got ${report.kind}: ${report.body.toString('utf8', 0, 300)}`);
    checkError(where, report.headers['lambda-runtime-function-error-type'], report.body, want.error);
  }
  if ('response' in want || want.responseBytes !== undefined) {
    assert.equal(report.kind, 'response', `${where}: expected a response, got ${report.kind}: ${report.body.toString('utf8', 0, 300)}`);
    assert.equal(report.streaming, false, `${where}: buffered response`);
  }
  if ('response' in want) assert.deepEqual(JSON.parse(report.body.toString('utf8')), substitute(want.response, vars), `${where}: response body`);
  if (want.responseBytes !== undefined) assert.equal(report.body.length, want.responseBytes, `${where}: response size`);
  if (want.stream) {
    const s = want.stream;
    assert.equal(report.kind, 'response', `${where}: expected a streamed response, got ${report.kind}`);
    assert.equal(report.streaming, true, `${where}: Lambda-Runtime-Function-Response-Mode: streaming`);
    assert.match(String(report.headers['transfer-encoding']), /chunked/, `${where}: chunked`);
    if (s.contentType !== undefined) assert.equal(report.headers['content-type'], s.contentType, `${where}: content type`);
    let body = report.body;
    if (s.prelude !== undefined) {
      const cut = body.indexOf(Buffer.alloc(8));
      assert.ok(cut >= 0, `${where}: 8 NUL bytes after the prelude`);
      assert.deepEqual(JSON.parse(body.subarray(0, cut).toString('utf8')), s.prelude, `${where}: prelude`);
      body = body.subarray(cut + 8);
    }
    if (s.body !== undefined) assert.equal(body.toString('utf8'), s.body, `${where}: streamed body`);
    const trailerType = report.trailers['lambda-runtime-function-error-type'];
    if (s.errorType !== undefined) {
      assert.equal(trailerType, s.errorType, `${where}: error type trailer`);
      const decoded = JSON.parse(Buffer.from(report.trailers['lambda-runtime-function-error-body'] ?? '', 'base64').toString('utf8')) as {
        errorType: string;
        errorMessage: string;
      };
      assert.equal(decoded.errorType, s.errorType, `${where}: error body trailer type`);
      if (s.errorMessage !== undefined) assert.equal(decoded.errorMessage, s.errorMessage, `${where}: error body trailer message`);
    } else {
      assert.equal(trailerType, undefined, `${where}: no error trailer`);
    }
    if (s.firstChunkLeadMs !== undefined) {
      assert.ok(report.chunks.length >= 2, `${where}: body arrived in ${report.chunks.length} piece(s), expected the writes separately`);
      const lead = report.chunks[report.chunks.length - 1]!.at - report.chunks[0]!.at;
      assert.ok(lead >= s.firstChunkLeadMs, `${where}: first bytes arrived only ${lead.toFixed(0)} ms before the last`);
    }
  }
}

export interface RunOptions {
  /** Node binary to run the client with (default: this process's). */
  node?: string;
  /** Command after the node binary (default: the built client entry). */
  args?: string[];
  /** Extra environment for the runtime process. */
  env?: Record<string, string>;
}

export interface CaseOutcome {
  stdout: string;
  stderr: string;
  exitCode: number | null;
}

const delay = (ms: number) => new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms).unref());

/** Run one fixture case end to end; throws an AssertionError naming what differed. */
export async function runFixtureCase(c: FixtureCase, manifestEnv: Record<string, string>, options: RunOptions = {}): Promise<CaseOutcome> {
  const stub = await RuntimeApiStub.start({ maxResponseBytes: SIX_MIB });
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    ...manifestEnv,
    ...c.env,
    ...options.env,
    AWS_LAMBDA_RUNTIME_API: stub.address,
    _HANDLER: c.handler,
    LAMBDA_TASK_ROOT: join(FIXTURES_DIR, c.root),
  };
  const child = spawn(options.node ?? process.execPath, options.args ?? [CLIENT_ENTRY], {
    cwd: env.LAMBDA_TASK_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  const vars: Record<string, string> = { requestId: 'undefined' };
  for (const [k, v] of Object.entries(env)) vars[`env:${k}`] = v;
  const context = () => `\n--- stdout ---\n${stdout.slice(-3000)}\n--- stderr ---\n${stderr.slice(-3000)}`;
  try {
    if (c.init) {
      const got = await Promise.race([stub.initError, exited.then(() => 'exit' as const), delay(15_000)]);
      assert.ok(typeof got === 'object', `init error was not posted (${got})${context()}`);
      checkError('init', got.headers['lambda-runtime-function-error-type'], got.body, c.init);
    }
    for (const [i, inv] of (c.invokes ?? []).entries()) {
      const where = `invoke #${i + 1}`;
      const { requestId, report } = stub.invoke({
        body: inv.rawEvent ?? JSON.stringify(inv.event ?? {}),
        headers: inv.headers,
        deadlineInMs: inv.deadlineInMs,
      });
      if (i === 0) vars.requestId = requestId;
      const want = inv.expect;
      if (want.noReportWithinMs !== undefined) {
        const got = await Promise.race([report, want.noReportWithinMs > 0 ? delay(want.noReportWithinMs) : exited.then(() => 'exit' as const)]);
        assert.ok(typeof got === 'string', `${where}: expected no report, got ${JSON.stringify((got as Report).kind)}${context()}`);
        continue;
      }
      const got = await Promise.race([report, exited.then((code) => `exit ${code}` as const), delay(15_000)]);
      assert.ok(typeof got === 'object', `${where}: no report (${got})${context()}`);
      try {
        checkReport(where, got, want, vars);
      } catch (err) {
        if (err instanceof assert.AssertionError) err.message += context();
        throw err;
      }
    }
    let exitCode: number | null;
    if (c.exitCode !== undefined) {
      const got = await Promise.race([exited, delay(10_000)]);
      assert.equal(got, c.exitCode, `exit code${context()}`);
      exitCode = got as number;
    } else {
      assert.equal(child.exitCode, null, `runtime exited unexpectedly${context()}`);
      child.kill('SIGKILL');
      exitCode = await exited;
    }
    for (const pattern of c.logs ?? []) {
      const re = new RegExp(String(substitute(pattern, vars)), 'm');
      assert.match(stdout, re, `log line matching ${re}${context()}`);
    }
    for (const pattern of c.logsAbsent ?? []) {
      const re = new RegExp(String(substitute(pattern, vars)), 'm');
      assert.doesNotMatch(stdout, re, `no log line matching ${re}${context()}`);
    }
    return { stdout, stderr, exitCode };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    await stub.close();
  }
}
