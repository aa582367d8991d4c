import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { AWS_CLI } from './system.js';

export interface Ran {
  status: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface RunOptions {
  cwd?: string;
  input?: string;
  env?: NodeJS.ProcessEnv;
}

/** Runs a real tool; async so the test process never blocks while it talks to `lambdock up`. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<Ran> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (code) => resolve({ status: code ?? -1, stdout, stderr, ms: performance.now() - t0 }));
    child.stdin.end(opts.input ?? '');
  });
}

/** `run` that must succeed; the failure names the command, its output and `context()` (e.g. the server's log). */
export async function must(cmd: string, args: string[], opts: RunOptions = {}, context: () => string = () => ''): Promise<Ran> {
  const r = await run(cmd, args, opts);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}\n--- lambdock up:\n${context()}`);
  return r;
}

/** The environment the AWS CLI runs with in the journeys: any keys, us-east-1, no pager, no metadata lookups. */
export const awsEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  AWS_ACCESS_KEY_ID: 'AKIAJOURNEY',
  AWS_SECRET_ACCESS_KEY: 'journey-secret',
  AWS_REGION: 'us-east-1',
  AWS_PAGER: '',
  AWS_EC2_METADATA_DISABLED: 'true',
});

/** `aws --endpoint-url <lambdock> --output json SERVICE ...`, the CLI exactly as a user runs it. */
export function awsCli(endpoint: () => string, context: () => string) {
  const aws = (...args: string[]) => run(AWS_CLI, ['--endpoint-url', endpoint(), '--output', 'json', ...args], { env: awsEnv() });
  const awsOk = async (...args: string[]): Promise<{ json: Record<string, any>; ms: number }> => {
    const r = await aws(...args);
    assert.equal(r.status, 0, `aws ${args.join(' ')}:\n${r.stderr}\n--- lambdock up:\n${context()}`);
    return { json: r.stdout.trim() ? (JSON.parse(r.stdout) as Record<string, any>) : {}, ms: r.ms };
  };
  return { aws, awsOk };
}
