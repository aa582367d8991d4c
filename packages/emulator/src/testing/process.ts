/**
 * Test and tooling helpers: run the emulator as a real process (the built CLI, the
 * single-file bundle or the SEA binary) and invoke it over HTTP. Used by this
 * package's tests, the e2e suite, the benchmark and the base-images tests.
 */
import http from 'node:http';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built CLI entry (`dist/cli.js`). */
export const CLI_ENTRY = fileURLToPath(new URL('../cli.js', import.meta.url));

export interface EmulatorProcessOptions {
  /** Command that runs the emulator; default [node, dist/cli.js]. */
  command?: string[];
  /** Flags and bootstrap (the invoke and Runtime API addresses default to 127.0.0.1:0 here). */
  args?: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** How long to wait for the emulator to listen; default 10 s. */
  startTimeoutMs?: number;
}

export interface EmulatorProcess {
  readonly url: string;
  readonly invokeUrl: string;
  readonly child: ChildProcess;
  /** Everything written to stdout / stderr so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the match once stdout matches (or rejects after timeoutMs). */
  waitForStdout(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** SIGTERM, then SIGKILL after 5 s; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export async function spawnEmulator(opts: EmulatorProcessOptions = {}): Promise<EmulatorProcess> {
  const [cmd, ...pre] = opts.command ?? [process.execPath, CLI_ENTRY];
  const args = [...pre];
  const user = opts.args ?? [];
  if (!user.some((a) => a.startsWith('--runtime-interface-emulator-address'))) args.push('--runtime-interface-emulator-address', '127.0.0.1:0');
  if (!user.some((a) => a.startsWith('--runtime-api-address'))) args.push('--runtime-api-address', '127.0.0.1:0');
  args.push(...user);
  const child = spawn(cmd!, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString('utf8');
    for (const w of waiters) w();
  });
  child.stderr!.on('data', (c: Buffer) => {
    err += c.toString('utf8');
    for (const w of waiters) w();
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`emulator did not start within ${opts.startTimeoutMs ?? 10_000} ms:\n${err}`));
    }, opts.startTimeoutMs ?? 10_000);
    const check = (): void => {
      const m = /listening invoke=(http:\/\/[^/\s]+)\//.exec(err);
      if (m) {
        clearTimeout(timer);
        waiters.delete(check);
        resolve(m[1]!.replace('0.0.0.0', '127.0.0.1'));
      }
    };
    waiters.add(check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`emulator exited with ${code} before listening:\n${err}`));
    });
    check();
  });
  return {
    url,
    invokeUrl: `${url}/2015-03-31/functions/function/invocations`,
    child,
    stdout: () => out,
    stderr: () => err,
    waitForStdout(re, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`stdout did not match ${re} within ${timeoutMs} ms:\n${out}\n--- stderr ---\n${err}`));
        }, timeoutMs);
        const check = (): void => {
          const m = re.exec(out);
          if (m) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(m);
          }
        };
        waiters.add(check);
        check();
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}

export interface InvokeReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  trailers: NodeJS.Dict<string>;
  /** Milliseconds from sending to the first body byte. */
  firstByteMs: number;
  /** Milliseconds from sending to the end of the body. */
  endMs: number;
  text(): string;
  json(): unknown;
}

/** One HTTP request to the emulator (keep-alive when an agent is given). */
export function invoke(
  url: string,
  body: string | Buffer = '{}',
  opts: { headers?: Record<string, string>; agent?: http.Agent; method?: string } = {},
): Promise<InvokeReply> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = http.request(url, { method: opts.method ?? 'POST', agent: opts.agent, headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      let firstByteMs = -1;
      res.on('data', (c: Buffer) => {
        if (firstByteMs < 0) firstByteMs = performance.now() - started;
        chunks.push(c);
      });
      res.on('end', () => {
        const b = Buffer.concat(chunks);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: b,
          trailers: res.trailers,
          firstByteMs,
          endMs: performance.now() - started,
          text: () => b.toString('utf8'),
          json: () => JSON.parse(b.toString('utf8')),
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
