import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, readdirSync, realpathSync, rmdirSync, statSync } from 'node:fs';
import { chmod, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ConflictError, ValidationError, createLogger, type Logger } from '@lambdock/common';
import type { CheckResult, Sandbox, SandboxRuntime, SandboxSpec } from '../runtime.js';
import { SandboxSetupError, SandboxUnavailableError } from '../errors.js';
import { SandboxCgroup, findCgroupMounts, missingControllers, rmdirRetry, type CgroupMounts } from './cgroups.js';
import { run } from './exec.js';
import { RECORD_FILE, stateLayout, type SandboxRecord } from './layout.js';
import { HostNetwork } from './network.js';
import { RuncSandbox, type SandboxHost } from './sandbox.js';
import { buildOciConfig } from './spec.js';

export interface RuncRuntimeOptions {
  /** Where this runtime keeps its state (see layout.ts); one runtime per directory. */
  stateDir: string;
  /** Sandbox subnet; the bridge gets its first address. Default 10.88.0.0/16. */
  subnet?: string;
  /** Port of the Runtime API on hostAddress, the one host port sandboxes may reach. Default 9001. */
  runtimeApiPort?: number;
  /** runc binary. Default `runc` from PATH. */
  runc?: string;
  /** Network namespaces kept ready for the next create() (saves ~10 ms each). Default 2. */
  netnsPool?: number;
  /** Bridge name. Default `lambdock0`. */
  bridge?: string;
  logger?: Logger;
}

const ID_RE = /^[a-z0-9][a-z0-9-]{0,63}$/;
/** 1769 MB is one vCPU in Lambda; a full CPU's weight is 1024 shares. */
const MB_PER_VCPU = 1769;

/**
 * Sandboxes as OCI containers run by Debian's `runc` on cgroup v1 (see the folder's
 * other files for each part: spec.ts, cgroups.ts, network.ts, sandbox.ts, layout.ts).
 *
 * The root file system is an overlayfs we mount on the host before `runc run`, with
 * lower dirs only (the image's layer snapshots over our skel layer), which makes it
 * read-only by construction; runc bind-mounts it as the container's root.
 */
export class RuncRuntime implements SandboxRuntime {
  readonly name = 'runc';
  readonly #opts: Required<Omit<RuncRuntimeOptions, 'logger' | 'netnsPool'>>;
  readonly #layout: ReturnType<typeof stateLayout>;
  readonly #tag: string;
  readonly #net: HostNetwork;
  readonly #log: Logger;
  readonly #sandboxes = new Map<string, RuncSandbox>();
  /** ids being created: a second create() with the same id must not race the first */
  readonly #creating = new Set<string>();
  #cgroups: CgroupMounts | undefined;
  #initialized = false;
  #bindResolvConf = false;

  constructor(opts: RuncRuntimeOptions) {
    if (!opts.stateDir) throw new ValidationError('stateDir is required');
    const stateDir = resolve(opts.stateDir);
    this.#opts = {
      stateDir,
      subnet: opts.subnet ?? '10.88.0.0/16',
      runtimeApiPort: opts.runtimeApiPort ?? 9001,
      runc: opts.runc ?? 'runc',
      bridge: opts.bridge ?? 'lambdock0',
    };
    if (!/^[a-z][a-z0-9]{0,9}$/.test(this.#opts.bridge)) throw new ValidationError('bridge must be [a-z][a-z0-9]{0,9}', { bridge: this.#opts.bridge });
    this.#layout = stateLayout(stateDir);
    this.#tag = createHash('sha256').update(stateDir).digest('hex').slice(0, 8);
    try {
      this.#net = new HostNetwork(this.#opts.bridge, this.#opts.subnet, this.#tag, this.#opts.runtimeApiPort, opts.netnsPool ?? 2);
    } catch (err) {
      throw new ValidationError((err as Error).message, { subnet: this.#opts.subnet });
    }
    this.#log = (opts.logger ?? createLogger()).child({ component: 'sandbox', runtime: 'runc' });
  }

  get hostAddress(): string {
    return this.#net.gateway;
  }

  async check(): Promise<CheckResult> {
    if (process.platform !== 'linux') return { ok: false, reason: 'runc sandboxes need Linux' };
    if (process.getuid?.() !== 0) return { ok: false, reason: 'runc sandboxes need root (mounts, cgroups, network namespaces)' };
    const version = await run(this.#opts.runc, ['--version']);
    if (version.code !== 0) return { ok: false, reason: `runc not usable (${this.#opts.runc} --version: ${version.stderr.trim() || version.code}); apt-get install runc` };
    const mounts = findCgroupMounts();
    const missing = missingControllers(mounts);
    if (missing.length > 0) return { ok: false, reason: `cgroup v1 controllers not mounted: ${missing.join(', ')}` };
    if (!readFileSync('/proc/filesystems', 'utf8').includes('overlay')) return { ok: false, reason: 'overlayfs not available' };
    for (const tool of ['ip', 'iptables', 'iptables-restore', 'mount', 'umount']) {
      if ((await run('sh', ['-c', `command -v ${tool}`])).code !== 0) return { ok: false, reason: `${tool} not found` };
    }
    return { ok: true };
  }

  async init(): Promise<void> {
    const c = await this.check();
    if (!c.ok) throw new SandboxUnavailableError(c.reason);
    this.#cgroups = findCgroupMounts();
    const { skel, runcRoot, sandboxes, resolvConf } = this.#layout;
    await Promise.all([runcRoot, sandboxes, join(skel, 'etc')].map((d) => mkdir(d, { recursive: true })));
    for (const d of ['proc', 'sys', 'dev', 'tmp']) await mkdir(join(skel, d), { recursive: true });
    await chmod(join(skel, 'tmp'), 0o1777);
    await writeFile(join(skel, 'etc', 'resolv.conf'), '');
    await writeFile(join(skel, 'etc', 'hosts'), '');
    const servers = hostNameservers();
    this.#bindResolvConf = servers.length > 0;
    if (this.#bindResolvConf) await writeFile(resolvConf, servers.map((s) => `nameserver ${s}`).join('\n') + '\n');

    await this.#cleanLeftovers();
    await this.#net.removeUnused(new Set([...this.#sandboxes.values()].map((s) => s.record.netns)));
    try {
      await this.#net.init();
    } catch (err) {
      throw new SandboxSetupError(`host network setup failed: ${(err as Error).message}`, { cause: err });
    }
    this.#initialized = true;
    process.off('exit', this.#onExit);
    process.on('exit', this.#onExit);
    this.#log.info('runc runtime ready', { stateDir: this.#opts.stateDir, hostAddress: this.hostAddress, bridge: this.#opts.bridge });
  }

  /** A previous run in this state dir crashed: its sandboxes may still exist. */
  async #cleanLeftovers(): Promise<void> {
    const { sandboxes, runcRoot } = this.#layout;
    for (const id of await readdir(sandboxes)) {
      if (this.#sandboxes.has(id)) continue;
      const dir = join(sandboxes, id);
      let record: SandboxRecord;
      try {
        record = JSON.parse(await readFile(join(dir, RECORD_FILE), 'utf8')) as SandboxRecord;
      } catch {
        await this.#removeStateDir(dir);
        continue;
      }
      this.#log.warn('removing sandbox left over by a previous run', { sandbox: id });
      // by cgroup membership, not by the pid file: after a reboot or long enough, that
      // pid may be some other process
      await this.#cgroupOf(record).killAll();
      await this.#forceDelete(id);
      await this.#teardown(record);
    }
    for (const id of existsSync(runcRoot) ? readdirSync(runcRoot) : []) if (!this.#sandboxes.has(id)) await this.#forceDelete(id);
  }

  async create(spec: SandboxSpec): Promise<Sandbox> {
    if (!this.#initialized) throw new ConflictError('RuncRuntime.init() must be called before create()');
    validateSpec(spec);
    if (this.#sandboxes.has(spec.id) || this.#creating.has(spec.id) || existsSync(join(this.#layout.sandboxes, spec.id))) {
      throw new ConflictError(`sandbox ${spec.id} already exists`, { id: spec.id });
    }
    this.#creating.add(spec.id);
    try {
      return await this.#create(spec);
    } finally {
      this.#creating.delete(spec.id);
    }
  }

  async #create(spec: SandboxSpec): Promise<RuncSandbox> {
    const dir = join(this.#layout.sandboxes, spec.id);
    const record: SandboxRecord = {
      id: spec.id,
      dir,
      rootfs: join(dir, 'rootfs'),
      netns: '',
      hostVeth: '',
      address: '',
      cgroup: `lambdock/${this.#tag}/${spec.id}`,
    };
    await mkdir(record.rootfs, { recursive: true });
    // the record goes first, so a crash half-way is cleaned by the next init()
    await writeFile(join(dir, RECORD_FILE), JSON.stringify(record));
    const cgroup = this.#cgroupOf(record);
    const memoryBytes = spec.memoryMb * 1024 * 1024;
    const cpuShares = spec.cpuShares ?? Math.max(2, Math.round((spec.memoryMb / MB_PER_VCPU) * 1024));
    try {
      // settled, not all: on a failure, teardown must know everything that was set up
      const steps = await Promise.allSettled([
        this.#net.acquire().then((net) => {
          Object.assign(record, net);
          return writeFile(join(dir, RECORD_FILE), JSON.stringify(record));
        }),
        this.#mountRootfs(spec.rootfs.lowerDirs, record.rootfs),
        cgroup.create({ memoryBytes, cpuShares, pidsLimit: spec.pidsLimit ?? 1024 }),
      ]);
      for (const step of steps) if (step.status === 'rejected') throw step.reason;
      const hostname = spec.hostname ?? spec.id;
      const binds: { source: string; destination: string }[] = [];
      if (this.#bindResolvConf && etcFileBindable(spec.rootfs.lowerDirs, 'resolv.conf')) {
        binds.push({ source: this.#layout.resolvConf, destination: '/etc/resolv.conf' });
      }
      if (etcFileBindable(spec.rootfs.lowerDirs, 'hosts')) {
        // like Docker's: `localhost` must resolve without DNS, and so must the sandbox's own name
        const hosts = join(dir, 'hosts');
        await writeFile(hosts, `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${record.address}\t${hostname}\n`);
        binds.push({ source: hosts, destination: '/etc/hosts' });
      }
      const config = buildOciConfig({
        rootfsPath: record.rootfs,
        args: spec.process.args,
        env: spec.process.env,
        cwd: spec.process.cwd,
        uid: spec.process.uid,
        gid: spec.process.gid,
        hostname,
        tmpSizeMb: spec.tmpSizeMb,
        netnsPath: join('/run/netns', record.netns),
        cgroupsPath: cgroup.containerPath,
        binds,
      });
      await writeFile(join(dir, 'config.json'), JSON.stringify(config));
    } catch (err) {
      await this.#teardown(record);
      throw new SandboxSetupError(`sandbox ${spec.id} could not be prepared: ${(err as Error).message}`, { cause: err, details: { id: spec.id } });
    }
    const sandbox = new RuncSandbox(this.#host(), spec, record, cgroup);
    this.#sandboxes.set(spec.id, sandbox);
    this.#log.debug('sandbox created', { sandbox: spec.id, address: record.address });
    return sandbox;
  }

  /**
   * Last resort when the process exits without close() (a test that forgot it, an
   * uncaught error): sandboxes killed, mounts detached, namespaces and the pool removed,
   * synchronously. Cgroup dirs and state files may stay; the next init() on this state
   * dir removes them.
   */
  readonly #onExit = (): void => {
    const sandboxes = [...this.#sandboxes.values()];
    for (const sb of sandboxes) sb.killSync();
    const mounted = sandboxes.map((sb) => sb.record.rootfs).filter(isMounted);
    if (mounted.length > 0) spawnSync('umount', ['-l', ...mounted], { stdio: 'ignore' });
    this.#net.removeSync(sandboxes.map((sb) => ({ netns: sb.record.netns, hostVeth: sb.record.hostVeth, address: sb.record.address })));
    const deadline = Date.now() + 500;
    for (const sb of sandboxes) sb.removeCgroupSync(deadline);
    for (const root of this.#cgroups?.all ?? []) {
      try {
        rmdirSync(join(root, 'lambdock', this.#tag));
      } catch {
        // still in use or gone
      }
    }
  };

  async close(): Promise<void> {
    process.off('exit', this.#onExit);
    await Promise.all([...this.#sandboxes.values()].map((s) => s.destroy()));
    if (this.#initialized) {
      await this.#net.close();
      if (this.#cgroups) await Promise.all(this.#cgroups.all.map((root) => rmdirRetry(join(root, 'lambdock', this.#tag))));
    }
    this.#initialized = false;
  }

  async #mountRootfs(lowerDirs: string[], target: string): Promise<void> {
    // the skel layer at the bottom: guarantees mount points, and ≥ 2 lower dirs
    // (overlayfs refuses a single lower dir without an upper one)
    // Each directory once, the top-most occurrence kept: overlayfs refuses a repeated lower dir
    // (ELOOP), also through a symlink, and an upper copy hides the lower one entirely anyway.
    const seen = new Set<string>();
    const lowers = [...lowerDirs.map((d) => resolve(d)), this.#layout.skel].filter((d) => {
      const real = realpathSync(d);
      return !seen.has(real) && seen.add(real);
    });
    let cwd = '/';
    let list = lowers.join(':');
    if (list.length > 3000) {
      // mount options are limited to a page: relative paths from a common parent
      cwd = commonParent(lowers);
      list = lowers.map((d) => relative(cwd, d) || '.').join(':');
    }
    const r = await run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${list}`, target], undefined, cwd);
    if (r.code !== 0) throw new Error(`overlay mount failed: ${r.stderr.trim()}`);
  }

  #cgroupOf(record: SandboxRecord): SandboxCgroup {
    return new SandboxCgroup(this.#cgroups ?? findCgroupMounts(), record.cgroup);
  }

  /** The narrow view of the runtime a sandbox gets. */
  #host(): SandboxHost {
    return {
      runc: this.#opts.runc,
      runcRoot: this.#layout.runcRoot,
      log: this.#log,
      teardown: (record) => this.#teardown(record),
      forceDelete: (id) => this.#forceDelete(id),
      forget: (id) => this.#sandboxes.delete(id),
    };
  }

  /** Removes what create() set up, whatever part of it exists; never throws. */
  async #teardown(record: SandboxRecord): Promise<void> {
    const tasks: Promise<unknown>[] = [this.#cgroupOf(record).remove()];
    if (record.netns) tasks.push(this.#net.detach({ netns: record.netns, hostVeth: record.hostVeth, address: record.address }));
    if (isMounted(record.rootfs)) {
      tasks.push(
        run('umount', [record.rootfs]).then(async (r) => {
          if (r.code !== 0 && isMounted(record.rootfs)) await run('umount', ['-l', record.rootfs]);
        }),
      );
    }
    await Promise.all(tasks);
    await this.#removeStateDir(record.dir);
  }

  async #removeStateDir(dir: string): Promise<void> {
    // never recurse into a root that is still mounted: it is the image's layers
    if (isMounted(join(dir, 'rootfs'))) {
      this.#log.warn('rootfs still mounted; state dir kept', { dir });
      return;
    }
    await rm(dir, { recursive: true, force: true }).catch((err) => this.#log.warn('could not remove sandbox state', { dir, err }));
  }

  async #forceDelete(id: string): Promise<void> {
    if (!existsSync(join(this.#layout.runcRoot, id))) return;
    const r = await run(this.#opts.runc, ['--root', this.#layout.runcRoot, 'delete', '-f', id]);
    if (r.code !== 0 && existsSync(join(this.#layout.runcRoot, id))) this.#log.warn('runc delete failed', { sandbox: id, stderr: r.stderr.trim() });
  }
}

function validateSpec(spec: SandboxSpec): void {
  const bad = (msg: string) => {
    throw new ValidationError(`invalid sandbox spec: ${msg}`, { id: spec.id });
  };
  if (typeof spec.id !== 'string' || !ID_RE.test(spec.id)) bad('id must match [a-z0-9][a-z0-9-]{0,63}');
  if (!Array.isArray(spec.rootfs?.lowerDirs) || spec.rootfs.lowerDirs.length === 0) bad('rootfs.lowerDirs must list at least one directory');
  for (const d of spec.rootfs.lowerDirs) {
    if (typeof d !== 'string' || !isAbsolute(d) || /[:,]/.test(d)) bad(`lower dir ${JSON.stringify(d)} must be an absolute path without ':' or ','`);
    // a symlink is fine (the snapshotter hands out short links so long layer lists fit a mount)
    if (!existsSync(d) || !statSync(d).isDirectory()) bad(`lower dir ${d} is not a directory`);
  }
  const p = spec.process;
  if (!p || !Array.isArray(p.args) || p.args.length === 0 || p.args.some((a) => typeof a !== 'string')) bad('process.args must be a non-empty list of strings');
  if (!Array.isArray(p.env) || p.env.some((e) => typeof e !== 'string' || !e.includes('='))) bad('process.env must be NAME=value strings');
  if (typeof p.cwd !== 'string' || !p.cwd.startsWith('/')) bad('process.cwd must be an absolute path');
  for (const k of ['uid', 'gid'] as const) if (p[k] !== undefined && !(Number.isInteger(p[k]) && p[k]! >= 0)) bad(`process.${k} must be a non-negative integer`);
  if (!Number.isInteger(spec.memoryMb) || spec.memoryMb < 16) bad('memoryMb must be an integer ≥ 16');
  if (!Number.isInteger(spec.tmpSizeMb) || spec.tmpSizeMb < 1) bad('tmpSizeMb must be an integer ≥ 1');
  if (spec.pidsLimit !== undefined && !(Number.isInteger(spec.pidsLimit) && spec.pidsLimit >= 1)) bad('pidsLimit must be a positive integer');
  if (spec.cpuShares !== undefined && !(Number.isInteger(spec.cpuShares) && spec.cpuShares >= 2 && spec.cpuShares <= 262144)) bad('cpuShares must be an integer 2..262144');
  if (spec.hostname !== undefined && !/^[A-Za-z0-9.-]{1,63}$/.test(spec.hostname)) bad('hostname must be 1-63 characters [A-Za-z0-9.-]');
}

/** Non-loopback name servers of the host (a loopback one is unreachable from a sandbox). */
function hostNameservers(): string[] {
  try {
    return readFileSync('/etc/resolv.conf', 'utf8')
      .split('\n')
      .map((l) => /^\s*nameserver\s+(\d+\.\d+\.\d+\.\d+)\s*$/.exec(l)?.[1])
      .filter((s): s is string => !!s && !s.startsWith('127.'));
  } catch {
    return [];
  }
}

/**
 * A bind mount needs an existing regular file as its target (the root is read-only,
 * runc can't create one, and must not follow a symlink out of the image): the top-most
 * layer that has etc/<name> decides; none has it ⇒ the skel's empty file.
 */
function etcFileBindable(lowerDirs: string[], name: string): boolean {
  for (const d of lowerDirs) {
    for (const [p, isDir] of [[join(d, 'etc'), true], [join(d, 'etc', name), false]] as const) {
      let st;
      try {
        st = lstatSync(p);
      } catch {
        continue;
      }
      if (isDir) {
        if (!st.isDirectory()) return false;
      } else return st.isFile();
    }
  }
  return true;
}

function isMounted(path: string): boolean {
  const escaped = path.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[4] === escaped);
}

function commonParent(paths: string[]): string {
  let parts = dirname(paths[0]!).split(sep);
  for (const p of paths.slice(1)) {
    const q = p.split(sep);
    let i = 0;
    while (i < parts.length && parts[i] === q[i]) i++;
    parts = parts.slice(0, i);
  }
  return parts.join(sep) || '/';
}
