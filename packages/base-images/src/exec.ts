import { spawn } from 'node:child_process';
import { BaseImageBuildError } from './errors.js';

export interface RunResult {
  stdout: Buffer;
  stderr: string;
}

/**
 * Runs an external tool and collects its output; a non-zero exit becomes a
 * BaseImageBuildError carrying the tool's own stderr (its words are the useful ones).
 */
export function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; step: string; input?: Buffer } ,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', (e) => reject(new BaseImageBuildError(`${opts.step}: cannot run ${cmd}: ${e.message}`, { step: opts.step, cmd }, e)));
    child.on('close', (code, signal) => {
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) resolve({ stdout: Buffer.concat(out), stderr });
      else {
        const tail = stderr.trim().split('\n').slice(-8).join('\n');
        reject(new BaseImageBuildError(`${opts.step}: ${cmd} ${args.slice(0, 6).join(' ')} failed (${code ?? signal}): ${tail}`, { step: opts.step, cmd, code, stderr: tail }));
      }
    });
    child.stdin.end(opts.input);
  });
}
