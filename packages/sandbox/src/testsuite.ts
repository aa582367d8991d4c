/**
 * Conformance suite for SandboxRuntime backends: every backend's test file calls
 * `runSandboxConformance` with a factory. Tests assert what a function (or its
 * owner) would notice: what runs, what it can see and reach, and its limits.
 * Not part of the package's public API (it imports node:test).
 *
 * The root file system is a one-layer busybox image built here (`busybox-static`
 * from Debian, installed by scripts/ensure-system.sh).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sandbox, SandboxExit, SandboxRuntime, SandboxSpec } from './runtime.js';

export interface ConformanceTarget {
  name: string;
  /** A fresh runtime whose sandboxes may reach `runtimeApiPort` on its hostAddress. */
  createRuntime(opts: { stateDir: string; runtimeApiPort: number }): SandboxRuntime;
  /** Backend-specific traces a destroyed sandbox must not leave (mounts, cgroups, netns…): returns what is left. */
  leftovers?(runtime: SandboxRuntime, sandbox: Sandbox): Promise<string[]>;
}

const BUSYBOX_CANDIDATES = ['/bin/busybox', '/usr/bin/busybox'];
const APPLETS = ['sh', 'cat', 'ls', 'echo', 'id', 'ps', 'nc', 'sleep', 'dd', 'head', 'tr', 'hostname', 'seq', 'wc', 'pwd', 'df', 'true', 'wget'];

function isStaticElf(path: string): boolean {
  // a dynamic executable names its loader in PT_INTERP; a static one has none
  return !readFileSync(path).includes('/lib64/ld-linux');
}

/** A one-layer image: a static busybox and its applet links, plus the dirs a Lambda image has. */
export function buildBusyboxLayer(dir: string): void {
  const busybox = BUSYBOX_CANDIDATES.find((p) => existsSync(p) && isStaticElf(p));
  if (!busybox) throw new Error('no static busybox');
  mkdirSync(join(dir, 'bin'), { recursive: true });
  for (const d of ['etc', 'var/task', 'proc', 'sys', 'dev', 'tmp']) mkdirSync(join(dir, d), { recursive: true });
  copyFileSync(busybox, join(dir, 'bin', 'busybox'));
  for (const a of APPLETS) symlinkSync('busybox', join(dir, 'bin', a));
}

function busyboxMissing(): string | undefined {
  return BUSYBOX_CANDIDATES.some((p) => existsSync(p) && isStaticElf(p)) ? undefined : 'static busybox not installed (apt-get install busybox-static)';
}

interface Ran {
  stdout: string;
  stderr: string;
  exit: SandboxExit;
}

function listen(host: string, reply: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((sock) => {
      sock.on('error', () => {});
      sock.once('data', () => sock.end(`HTTP/1.0 200 OK\r\ncontent-length: ${reply.length}\r\n\r\n${reply}`));
    });
    server.once('error', reject);
    server.listen(0, host, () => resolve(server));
  });
}

function portOf(server: Server): number {
  return (server.address() as { port: number }).port;
}

function tcpReachable(host: string, port: number, timeoutMs = 3000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** An HTTP GET with busybox nc (busybox's static wget cannot resolve, nc needs no resolver). */
function httpGet(host: string, port: number, path = '/', hostHeader = host): string {
  return `printf 'GET ${path} HTTP/1.0\\r\\nHost: ${hostHeader}\\r\\n\\r\\n' | nc -w 2 ${host} ${port}`;
}

function hostIPv4(exclude: string): string | undefined {
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    if (name.startsWith('lambdock')) continue;
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal && a.address !== exclude) return a.address;
  }
  return undefined;
}

export async function runSandboxConformance(target: ConformanceTarget): Promise<void> {
  const base = mkdtempSync(join(tmpdir(), 'lambdock-sandbox-'));
  // the Runtime API stand-in listens before the runtime exists, so its port is the allowed one
  const rapi = await listen('0.0.0.0', 'runtime-api-ok');
  const other = await listen('0.0.0.0', 'other-service');
  const runtime = target.createRuntime({ stateDir: join(base, 'state'), runtimeApiPort: portOf(rapi) });
  const check = await runtime.check();
  const skip = !check.ok ? check.reason : busyboxMissing();
  if (skip) {
    // a skipped suite runs no hooks: nothing may keep the process alive
    rapi.close();
    other.close();
    rmSync(base, { recursive: true, force: true });
  }
  const layer = join(base, 'layer');
  let seq = 0;

  const spec = (over: Partial<SandboxSpec> & { script?: string } = {}): SandboxSpec => {
    const { script, ...rest } = over;
    return {
      id: `t${process.pid}-${++seq}`,
      rootfs: { lowerDirs: [layer] },
      process: { args: ['/bin/sh', '-c', script ?? 'true'], env: ['PATH=/bin'], cwd: '/' },
      memoryMb: 128,
      tmpSizeMb: 16,
      ...rest,
    };
  };

  /** Runs a script to its end and returns its output and exit; the sandbox is destroyed. */
  const runScript = async (script: string, over: Partial<SandboxSpec> = {}): Promise<Ran> => {
    let stdout = '';
    let stderr = '';
    const sb = await runtime.create({
      ...spec({ script, ...over }),
      onOutput: (s, c) => (s === 'stdout' ? (stdout += c.toString()) : (stderr += c.toString())),
    });
    try {
      await sb.start();
      const exit = await withTimeout(sb.exited, 20_000, 'sandbox did not exit');
      return { stdout, stderr, exit };
    } finally {
      await sb.destroy();
    }
  };

  describe(`sandbox runtime conformance: ${target.name}`, { skip }, () => {
    before(async () => {
      buildBusyboxLayer(layer);
      await runtime.init();
    });
    after(async () => {
      await runtime.close();
      rapi.close();
      other.close();
      rmSync(base, { recursive: true, force: true });
    });

    test('runs the process with its args, env and cwd, captures stdout/stderr and the exit code', async () => {
      const r = await runScript('echo "arg=$0 $1 foo=$FOO"; pwd; echo oops >&2; exit 7', {
        process: { args: ['/bin/sh', '-c', 'echo "arg=$0 $1 foo=$FOO"; pwd; echo oops >&2; exit 7', 'zero', 'one'], env: ['PATH=/bin', 'FOO=bar baz'], cwd: '/var/task' },
      });
      assert.equal(r.stdout, 'arg=zero one foo=bar baz\n/var/task\n');
      assert.equal(r.stderr, 'oops\n');
      assert.deepEqual(r.exit, { code: 7, signal: null, oomKilled: false });
    });

    test('stacks layers top-most first, through symlinked layer dirs; an overlay whiteout hides a lower file', async () => {
      const top = join(base, 'top');
      mkdirSync(join(top, 'etc'), { recursive: true });
      writeFileSync(join(top, 'etc', 'greeting'), 'from the top layer\n');
      writeFileSync(join(layer, 'etc', 'greeting'), 'from the bottom layer\n');
      writeFileSync(join(layer, 'etc', 'removed'), 'should be hidden\n');
      execFileSync('mknod', [join(top, 'etc', 'removed'), 'c', '0', '0']); // overlayfs whiteout
      const link = join(base, 'l-top');
      symlinkSync(top, link);
      const r = await runScript('cat /etc/greeting; cat /etc/removed 2>/dev/null || echo removed-is-gone; ls /bin/busybox', {
        rootfs: { lowerDirs: [link, layer] },
      });
      assert.equal(r.stdout, 'from the top layer\nremoved-is-gone\n/bin/busybox\n');
    });

    test('a layer listed twice (an image applying the same layer again) mounts, the top-most copy winning', async () => {
      const top = join(base, 'again');
      mkdirSync(join(top, 'etc'), { recursive: true });
      writeFileSync(join(top, 'etc', 'again'), 'from the repeated layer\n');
      writeFileSync(join(layer, 'etc', 'again'), 'from the bottom layer\n');
      const link = join(base, 'l-again');
      symlinkSync(top, link);
      // top, bottom, top again through its link: overlayfs alone would refuse this with ELOOP.
      const r = await runScript('cat /etc/again', { rootfs: { lowerDirs: [top, layer, link] } });
      assert.equal(r.stdout, 'from the repeated layer\n');
    });

    test('runs as the unprivileged Lambda user by default, with the given host name', async () => {
      const r = await runScript('id -u; id -g; hostname; cat /proc/self/status | grep CapEff; grep -c "localhost" /etc/hosts; grep fn-host /etc/hosts | cut -f1', { hostname: 'fn-host' });
      const [uid, gid, host, caps, localhost, ownAddress] = r.stdout.trim().split('\n');
      assert.ok(Number(localhost) >= 1, 'localhost resolves without DNS');
      assert.match(ownAddress ?? '', /^\d+\.\d+\.\d+\.\d+$/);
      assert.equal(uid, '993');
      assert.equal(gid, '990');
      assert.equal(host, 'fn-host');
      assert.match(caps ?? '', /CapEff:\s+0+$/);
    });

    test('cannot create namespaces or mount file systems', async () => {
      const r = await runScript('unshare -U true 2>/dev/null; echo userns=$?; unshare -n true 2>/dev/null; echo netns=$?; mount -t tmpfs x /tmp 2>/dev/null; echo mount=$?');
      assert.equal(r.stdout, 'userns=1\nnetns=1\nmount=1\n');
    });

    test('a bad executable makes start() fail with a clear error and exited settle', async () => {
      const sb = await runtime.create(spec({ process: { args: ['/no/such/binary'], env: [], cwd: '/' } }));
      await assert.rejects(sb.start(), (err: Error & { code?: string }) => err.code === 'SANDBOX_START_FAILED' && /no\/such\/binary|no such file/i.test(err.message));
      const exit = await withTimeout(sb.exited, 5000, 'exited did not settle');
      assert.notEqual(exit.code, 0);
      await sb.destroy();
    });

    test('the root file system is read-only, /tmp is writable and limited to tmpSizeMb', async () => {
      const r = await runScript(
        'echo x > /x 2>/dev/null && echo root-writable; echo hi > /tmp/f && cat /tmp/f; ' +
          'dd if=/dev/zero of=/tmp/big bs=1M count=40 2>/dev/null; echo dd=$?; ls -l /tmp/big | tr -s " " | cut -d" " -f5',
        { tmpSizeMb: 8 },
      );
      const lines = r.stdout.trim().split('\n');
      assert.equal(lines[0], 'hi');
      assert.ok(!r.stdout.includes('root-writable'), 'root fs must be read-only');
      assert.notEqual(lines[1], 'dd=0', 'writing more than tmpSizeMb must fail');
      assert.ok(Number(lines[2]) <= 8 * 1024 * 1024, `file in /tmp grew to ${lines[2]}`);
    });

    test('sees only its own processes and none of the host files', async () => {
      const r = await runScript('ps -o pid,comm | tail -n +2 | wc -l; cat /etc/shadow >/dev/null 2>&1 || echo no-shadow; ls /work /root >/dev/null 2>&1 || echo no-host-dirs');
      const [procs, shadow, dirs] = r.stdout.trim().split('\n');
      assert.ok(Number(procs) <= 4, `sandbox sees ${procs} processes`);
      assert.equal(shadow, 'no-shadow');
      assert.equal(dirs, 'no-host-dirs');
    });

    test('exceeding memoryMb kills the process and reports oomKilled', async () => {
      const r = await runScript('x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived ${#x}', { memoryMb: 32, tmpSizeMb: 4 });
      assert.ok(!r.stdout.includes('survived'), r.stdout);
      assert.equal(r.exit.oomKilled, true);
      assert.equal(r.exit.signal, 'SIGKILL');
    });

    test('a normal exit is not reported as out of memory', async () => {
      const r = await runScript('exit 0', { memoryMb: 32 });
      assert.deepEqual(r.exit, { code: 0, signal: null, oomKilled: false });
    });

    test('pidsLimit stops a fork bomb', async () => {
      // the bomb runs in a subshell (a failed fork ends it); counting uses no fork at all
      const r = await runScript('(while true; do sleep 30 & done) 2>/dev/null; n=0; for p in /proc/[0-9]*; do n=$((n+1)); done; echo $n', { pidsLimit: 10 });
      const n = Number(r.stdout.trim().split('\n').pop());
      assert.ok(n > 0 && n <= 10, `ran ${n} processes with pidsLimit 10`);
    });

    test('reaches the Runtime API port on hostAddress, but no other host service', async () => {
      const host = runtime.hostAddress;
      const hostIp = hostIPv4(host);
      const r = await runScript(
        `${httpGet(host, portOf(rapi))} | tail -n 1; echo; ` +
          `${httpGet(host, portOf(other))} | tail -n 1; echo; ` +
          `${httpGet('127.0.0.1', portOf(rapi))} | tail -n 1; echo; ` +
          (hostIp ? `${httpGet(hostIp, portOf(rapi))} | tail -n 1; echo` : 'echo'),
      );
      const [ok, otherPort, loopback, hostOther] = r.stdout.split('\n');
      assert.equal(ok, 'runtime-api-ok');
      assert.equal(otherPort, '', 'another port on hostAddress must be unreachable');
      assert.equal(loopback, '', "the host's loopback must be unreachable");
      assert.equal(hostOther, '', "the host's other addresses must be unreachable");
    });

    test('cannot reach host services over IPv6 link-local addresses', async (t) => {
      const v6 = await new Promise<Server | undefined>((resolve) => {
        const server = createServer((sock) => sock.end('host-service-v6\n'));
        server.once('error', () => resolve(undefined));
        server.listen(0, '::', () => resolve(server));
      });
      if (!v6) return t.skip('the host has no IPv6');
      try {
        const lls = Object.values(networkInterfaces())
          .flat()
          .filter((a) => a && a.family === 'IPv6' && a.address.startsWith('fe80:'))
          .map((a) => a!.address);
        // wait out duplicate address detection, or no IPv6 connect can even be tried
        const tries = lls.map((a) => `nc -w 1 ${a}%eth0 ${portOf(v6)} </dev/null 2>/dev/null`).join('; ');
        const r = await runScript(`sleep 2; ${tries || 'true'}; echo done`);
        assert.equal(r.stdout, 'done\n');
      } finally {
        v6.close();
      }
    });

    test('cannot reach another sandbox', async () => {
      const listener = await runtime.create(spec({ script: 'while true; do echo listening; nc -l -p 8080 -e echo hello-from-a; done' }));
      try {
        await listener.start();
        // positive control: the host reaches it, so the port is really open
        let open = false;
        for (let i = 0; i < 50 && !open; i++) {
          open = await tcpReachable(listener.address, 8080, 500);
          if (!open) await sleep(50);
        }
        assert.ok(open, 'listener sandbox is not listening');
        const r = await runScript(`nc -w 2 ${listener.address} 8080 </dev/null || echo unreachable`);
        assert.ok(!r.stdout.includes('hello-from-a'), r.stdout);
        assert.ok(r.stdout.includes('unreachable'), r.stdout);
      } finally {
        await listener.destroy();
      }
    });

    test('reaches the outside world when the host does', async (t) => {
      const outside = '203.0.113.80'; // resolved below when possible
      const { lookup } = await import('node:dns/promises');
      const ip = await lookup('registry.npmjs.org', { family: 4 }).then((a) => a.address, () => outside);
      if (!(await tcpReachable(ip, 80))) return t.skip('the host itself has no outbound access');
      // a few tries: the way out may be a busy proxy
      const r = await runScript(`for i in 1 2 3; do ${httpGet(ip, 80, '/-/ping', 'registry.npmjs.org')} > /tmp/r; [ -s /tmp/r ] && break; sleep 1; done; head -n 1 /tmp/r`);
      assert.match(r.stdout, /^HTTP\/1\.[01] \d{3}/);
    });

    test('freeze stops progress and thaw resumes it', async () => {
      let out = '';
      const sb = await runtime.create({ ...spec({ script: 'i=0; while true; do i=$((i+1)); echo $i; sleep 0.02; done' }), onOutput: (_s, c) => (out += c.toString()) });
      try {
        await sb.start();
        await waitFor(() => out.split('\n').length > 3, 5000);
        await sb.freeze();
        await sleep(50); // a line in flight may still arrive
        const frozenAt = out.length;
        await sleep(300);
        assert.equal(out.length, frozenAt, 'output advanced while frozen');
        await sb.thaw();
        await waitFor(() => out.length > frozenAt, 3000);
        await assert.rejects(sb.thaw(), /transition/);
      } finally {
        await sb.destroy();
      }
    });

    test('stats report memory (current and peak) and CPU time', async () => {
      let out = '';
      const sb = await runtime.create({
        ...spec({ script: 'x=$(head -c 20000000 /dev/zero | tr "\\0" a); echo ${#x}; unset x; sleep 30', memoryMb: 128 }),
        onOutput: (_s, c) => (out += c.toString()),
      });
      try {
        await sb.start();
        await waitFor(() => out.includes('20000000'), 10_000);
        const s = await sb.stats();
        assert.ok(s.memoryMaxBytes > 20_000_000, `peak ${s.memoryMaxBytes}`);
        assert.ok(s.memoryBytes <= s.memoryMaxBytes && s.memoryBytes > 0, `now ${s.memoryBytes}`);
        assert.ok(s.cpuNs > 1_000_000, `cpu ${s.cpuNs} ns`);
      } finally {
        await sb.destroy();
      }
    });

    test('destroy kills a running or frozen sandbox, settles exited, is idempotent and leaves nothing behind', async () => {
      const a = await runtime.create(spec({ script: 'sleep 60' }));
      const b = await runtime.create(spec({ script: 'sleep 60' }));
      const c = await runtime.create(spec()); // never started
      await a.start();
      await b.start();
      await b.freeze();
      const d = await runtime.create(spec({ script: 'sleep 60' }));
      await d.start();
      const freezing = d.freeze(); // destroyed while a freeze is under way
      const e = await runtime.create(spec({ script: 'sleep 60' }));
      const starting = e.start().catch((err: Error) => err); // destroyed while starting: may reject
      await withTimeout(Promise.all([a.destroy(), b.destroy(), c.destroy(), a.destroy(), d.destroy(), e.destroy()]), 4000, 'destroy hung');
      await freezing.catch(() => {});
      await starting;
      await withTimeout(e.exited, 2000, 'exited did not settle');
      await a.destroy();
      for (const sb of [a, b, d]) assert.equal((await withTimeout(sb.exited, 2000, 'exited did not settle')).signal, 'SIGKILL');
      await withTimeout(c.exited, 2000, 'exited did not settle');
      if (target.leftovers) for (const sb of [a, b, c, d, e]) assert.deepEqual(await target.leftovers(runtime, sb), []);
    });

    test('20 sandboxes at once each run with their own address', async () => {
      const n = 20;
      const outs = new Array<string>(n).fill('');
      const boxes = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          runtime.create({ ...spec({ script: `echo box-${i}`, memoryMb: 64 }), onOutput: (_s, c) => (outs[i] += c.toString()) }),
        ),
      );
      try {
        await Promise.all(boxes.map((b) => b.start()));
        const exits = await Promise.all(boxes.map((b) => withTimeout(b.exited, 20_000, 'exit')));
        assert.ok(exits.every((e) => e.code === 0));
        assert.deepEqual(outs, outs.map((_, i) => `box-${i}\n`));
        assert.equal(new Set(boxes.map((b) => b.address)).size, n);
      } finally {
        await Promise.all(boxes.map((b) => b.destroy()));
      }
    });

    test('bad specs are refused with a validation error and duplicate ids with a conflict', async () => {
      await assert.rejects(runtime.create({ ...spec(), id: 'Bad_ID' }), { code: 'VALIDATION' });
      await assert.rejects(runtime.create({ ...spec(), rootfs: { lowerDirs: [] } }), { code: 'VALIDATION' });
      await assert.rejects(runtime.create({ ...spec(), rootfs: { lowerDirs: [join(base, 'missing')] } }), { code: 'VALIDATION' });
      await assert.rejects(runtime.create({ ...spec(), memoryMb: 0 }), { code: 'VALIDATION' });
      const s = spec();
      const [first, second] = await Promise.allSettled([runtime.create(s), runtime.create(s)]);
      assert.equal(first.status, 'fulfilled');
      assert.equal(second.status === 'rejected' && (second.reason as { code?: string }).code, 'CONFLICT');
      const sb = (first as PromiseFulfilledResult<Sandbox>).value;
      try {
        await assert.rejects(runtime.create(s), { code: 'CONFLICT' });
      } finally {
        await sb.destroy();
      }
      // the id is free again once destroyed
      await (await runtime.create(s)).destroy();
    });

    test('close() destroys every sandbox it created', async () => {
      const second = target.createRuntime({ stateDir: join(base, 'state2'), runtimeApiPort: portOf(rapi) });
      await second.init();
      const boxes = await Promise.all([1, 2].map(() => second.create(spec({ script: 'sleep 60' }))));
      await Promise.all(boxes.map((b) => b.start()));
      await second.close();
      for (const sb of boxes) {
        assert.equal((await withTimeout(sb.exited, 2000, 'exit')).signal, 'SIGKILL');
        if (target.leftovers) assert.deepEqual(await target.leftovers(second, sb), []);
      }
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitFor(cond: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(10);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(what)), ms)))]).finally(() => clearTimeout(timer));
}
