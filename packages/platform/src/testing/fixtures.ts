/**
 * Test fixtures for the platform's own tests (not part of the public API): a registry
 * (the CNCF reference registry binary), and function images with a POSIX-sh custom
 * runtime on a static busybox — small, quick to build, and able to crash, hang, leak
 * memory or probe its sandbox on demand. Real Node images are exercised in test/e2e.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsContentStore, RegistryClient, buildLayer, writeImage } from '@lambdock/oci';
import type { BuiltLayer, FileSpec } from '@lambdock/oci';

export const REGISTRY_BIN = '/usr/bin/docker-registry';
export const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p) && !readFileSync(p).includes('/lib64/ld-linux'));

const APPLETS = ['sh', 'cat', 'ls', 'echo', 'grep', 'sed', 'tr', 'cut', 'head', 'tail', 'sleep', 'wget', 'nc', 'dd', 'seq', 'wc', 'touch', 'rm', 'id', 'ps', 'hostname', 'env', 'mkdir', 'kill', 'test', 'true', 'false', 'ip', 'killall', 'mkfifo'];

/** The runtime: AWS's custom-runtime loop ("provided" tutorial) in sh, wget instead of curl. */
export const SH_BOOTSTRAP = `#!/bin/sh
API="http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime"
if [ ! -f "/var/task/\${_HANDLER%%.*}.sh" ]; then
  echo '{"errorMessage":"handler script missing","errorType":"Runtime.ImportModuleError"}' > /tmp/init-error
  wget -q -O /dev/null --header "Lambda-Runtime-Function-Error-Type: Runtime.ImportModuleError" --post-file /tmp/init-error "$API/init/error"
  exit 1
fi
. "/var/task/\${_HANDLER%%.*}.sh"
echo "init $_HANDLER"
while true; do
  wget -q -S -O /tmp/event "$API/invocation/next" 2>/tmp/headers || { echo "next failed"; sleep 1; continue; }
  ID=$(grep -i 'lambda-runtime-aws-request-id' /tmp/headers | sed 's/^[^:]*: *//' | tr -d '\\r ')
  if handler /tmp/event /tmp/response; then
    wget -q -O /dev/null --post-file /tmp/response "$API/invocation/$ID/response"
    # work after the response, before asking for the next event (bounded by the timeout too)
    case "$(cat /tmp/event)" in *linger*) sleep 30 ;; esac
  else
    wget -q -O /dev/null --header "Lambda-Runtime-Function-Error-Type: Function.Failed" --post-file /tmp/response "$API/invocation/$ID/error"
  fi
done
`;

/** A handler whose behaviour the event picks; `mark` tells code versions apart. */
export function shHandler(mark: string): string {
  return `handler() {
  EVENT=$(cat "$1")
  case "$EVENT" in
    *crash*) echo "crashing now"; exit 3 ;;
    *sleep*) sleep 30 ;;
    *slow*) sleep 1 ;;
    *oom*) echo "allocating"; x=$(head -c 400000000 /dev/zero | tr '\\000' a); echo "\${#x}" ;;
    *fail*) printf '{"errorMessage":"it failed","errorType":"Function.Failed"}' > "$2"; return 1 ;;
    *big*) head -c 7000000 /dev/zero | tr '\\000' a > "$2"; return 0 ;;
    *probe*) probe "$2"; return 0 ;;
    *listen*) (nc -l -p 8080 -e echo hello >/dev/null 2>&1 &); hostname -i | tr -d ' \\n' > "$2"; return 0 ;;
    *connect:*) T=\${EVENT#*connect:}; T=\${T%%\\"*}; if echo x | nc -w 2 "$T" 8080 >/tmp/got 2>/dev/null && [ -s /tmp/got ]; then echo '"reached"' > "$2"; else echo '"blocked"' > "$2"; fi; return 0 ;;
    *forks*) mkfifo /tmp/wait; exec 3<>/tmp/wait; (n=0; for i in $(seq 1 1500); do sleep 2 & n=$((n+1)); echo $n > /tmp/forked; done) >/dev/null 2>&1; read -t 3 x <&3; cat /tmp/forked > "$2"; return 0 ;;
  esac
  echo "handling $EVENT"
  printf '{"echo":%s,"mark":"${mark}","fn":"%s","mem":"%s","stream":"%s","cwd":"%s"}' "$EVENT" "$AWS_LAMBDA_FUNCTION_NAME" "$AWS_LAMBDA_FUNCTION_MEMORY_SIZE" "$AWS_LAMBDA_LOG_STREAM_NAME" "$(pwd)" > "$2"
}
probe() {
  procs=$(ls /proc | grep -c '^[0-9]')
  if touch /bin/owned 2>/dev/null; then rootfs=writable; else rootfs=readonly; fi
  if touch /tmp/ok 2>/dev/null; then tmp=writable; else tmp=readonly; fi
  if [ -e /usr/bin/dockerd ] || [ -e /var/run/docker.sock ] || [ -e /etc/shadow ]; then host=visible; else host=hidden; fi
  printf '{"procs":%s,"rootfs":"%s","tmp":"%s","host":"%s","uid":"%s"}' "$procs" "$rootfs" "$tmp" "$host" "$(id -u)" > "$1"
}
`;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface TestRegistry {
  host: string;
  stop(): Promise<void>;
}

/** The reference registry on an ephemeral loopback port with fresh storage. */
export async function startRegistry(): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'lambdock-platform-reg-'));
  writeFileSync(
    join(dir, 'config.yml'),
    `version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:0\n`,
  );
  const child: ChildProcess = spawn(REGISTRY_BIN, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const host = await new Promise<string>((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`registry did not start:\n${log}`)), 15_000);
    const onData = (b: Buffer): void => {
      log += b.toString();
      const m = /listening on (127\.0\.0\.1:\d+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        child.stdout!.off('data', onData).resume();
        child.stderr!.off('data', onData).resume();
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`registry exited with ${code}:\n${log}`)));
  });
  return {
    host,
    async stop() {
      if (child.exitCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Builds and pushes function images: a shared base layer (busybox + runtime) and a handler layer. */
export class ImageFactory {
  readonly #dir = mkdtempSync(join(tmpdir(), 'lambdock-platform-img-'));
  readonly #store = new FsContentStore(join(this.#dir, 'store'));
  readonly #client = new RegistryClient();
  #base: BuiltLayer | undefined;

  async #baseLayer(): Promise<BuiltLayer> {
    if (this.#base) return this.#base;
    if (!BUSYBOX) throw new Error('static busybox not installed');
    const files: FileSpec[] = [
      { path: 'bin/busybox', source: BUSYBOX, mode: 0o755 },
      ...APPLETS.map((a): FileSpec => ({ path: `bin/${a}`, type: 'symlink', target: 'busybox' })),
      ...['etc', 'tmp', 'proc', 'sys', 'dev', 'var/task'].map((d): FileSpec => ({ path: d, type: 'directory' })),
      { path: 'var/runtime/bootstrap', content: SH_BOOTSTRAP, mode: 0o755 },
    ];
    this.#base = await buildLayer(this.#store, files);
    return this.#base;
  }

  /** Pushes `host/repo:tag` with `files` in a layer over the shared base; returns the manifest digest. */
  async push(ref: string, files: Record<string, string>, config: { Cmd?: string[]; Entrypoint?: string[]; Env?: string[]; WorkingDir?: string } = {}): Promise<string> {
    const base = await this.#baseLayer();
    const top = await buildLayer(
      this.#store,
      Object.entries(files).map(([path, content]) => ({ path, content, mode: 0o755 })),
    );
    const img = await writeImage(this.#store, {
      layers: [base, top],
      config: { Entrypoint: ['/var/runtime/bootstrap'], Cmd: ['function.handler'], WorkingDir: '/var/task', Env: ['PATH=/bin', 'LAMBDA_TASK_ROOT=/var/task'], ...config },
    });
    await this.#client.push(ref, this.#store, img.manifestDigest);
    return img.manifestDigest;
  }

  close(): void {
    this.#client.close();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
