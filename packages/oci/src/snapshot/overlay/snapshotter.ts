import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, readlink, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { NotFoundError, StateMachine, ValidationError, createLogger, type Logger } from '@lambdock/common';
import { parseDigest } from '../../digest.js';
import { unpackLayer, type UnpackOptions, type UnpackResult } from '../../unpack/unpack.js';
import { unpackLayerInWorker } from '../../unpack/worker.js';
import { MountExistsError, SnapshotInUseError } from '../errors.js';
import type { LayerSnapshot, LayerSource, MountOptions, PreparedLayer, RootfsMount, Snapshotter } from '../snapshotter.js';

const run = promisify(execFile);

/**
 * overlayfs snapshotter (needs root: overlay mounts, whiteout device nodes, trusted.* xattrs).
 *
 * Whiteouts are converted, not applied: each layer directory holds exactly its own diff,
 * with OCI whiteouts turned into overlayfs's (0/0 character device, opaque xattr). So a
 * layer's directory does not depend on the layers below it, and one directory serves
 * every image that contains the layer, whatever its parent chain.
 *
 * On-disk layout under `root`:
 *
 *   <root>/
 *   ├── snapshots/
 *   │   └── <algorithm>-<hex of diffID>/   committed layer snapshot
 *   │       ├── fs/                        the layer's files: an overlay lower dir
 *   │       └── info.json                  {diffId, digest, size, bytes, entries, createdAt}
 *   ├── l/
 *   │   └── <20 hex>  -> ../snapshots/<algorithm>-<hex>/fs
 *   │                                      short names: the whole lowerdir= list must fit
 *   │                                      the kernel's one-page mount data (~170 layers)
 *   ├── ingest/
 *   │   └── <pid>-<random>/fs              prepared layers being filled (gone after commit/abort;
 *   │                                      those of dead processes are removed at startup)
 *   ├── rootfs/
 *   │   └── <mount id>/
 *   │       ├── mount.json                 {id, diffIds, target, writable, createdAt}
 *   │       ├── merged/                    the mounted root filesystem
 *   │       ├── upper/, work/              writable mounts only
 *   └── empty0/, empty1/                   filler lower dirs (overlay needs two lowers without an upper)
 *
 * Several instances (or processes) may share a root: in-flight unpacks are deduplicated
 * per instance, commits are atomic renames, so the worst case is a layer unpacked twice. A commit
 * syncs the file system first, so a committed snapshot is complete even after a crash.
 */
export class OverlaySnapshotter implements Snapshotter {
  readonly root: string;
  readonly #inflight = new Map<string, Promise<LayerSnapshot>>();
  readonly #log: Logger;
  readonly #useWorkers: boolean;
  readonly #unpackOptions: UnpackOptions;
  #ready: Promise<void> | undefined;

  /**
   * @param opts.workers unpack blobs that have a local `path` in worker threads (default true)
   * @param opts.unpack extra unpack options (limits, device and setuid policy)
   */
  constructor(root: string, opts: { workers?: boolean; unpack?: Omit<UnpackOptions, 'whiteouts' | 'mediaType' | 'expected'>; logger?: Logger } = {}) {
    this.root = root;
    this.#useWorkers = opts.workers ?? true;
    this.#unpackOptions = opts.unpack ?? {};
    this.#log = (opts.logger ?? createLogger()).child({ component: 'snapshotter', root });
  }

  #init(): Promise<void> {
    this.#ready ??= (async () => {
      for (const d of ['snapshots', 'l', 'rootfs', 'empty0', 'empty1']) await mkdir(join(this.root, d), { recursive: true });
      await mkdir(join(this.root, 'ingest'), { recursive: true });
      // Prepared directories of processes that died are garbage; live ones are left alone.
      for (const name of await readdir(join(this.root, 'ingest'))) {
        const pid = Number(name.split('-')[0]);
        if (!Number.isInteger(pid) || !processAlive(pid)) await rm(join(this.root, 'ingest', name), { recursive: true, force: true });
      }
      await this.#forgetVanishedMounts();
    })();
    return this.#ready;
  }

  /**
   * Mount records whose mount is gone (reboot, someone ran umount) would pin their
   * layers forever: drop them. Only unmounted directories are removed, so nothing is
   * ever deleted through a live overlay.
   */
  async #forgetVanishedMounts(): Promise<void> {
    for (const id of await readdir(join(this.root, 'rootfs'))) {
      const base = join(this.root, 'rootfs', id);
      if (await isMountPoint(join(base, 'merged'), base)) continue;
      this.#log.warn('forgetting root filesystem that is no longer mounted', { id });
      await rm(base, { recursive: true, force: true });
    }
  }

  #name(diffId: string): string {
    const { algorithm, encoded } = parseDigest(diffId);
    return `${algorithm}-${encoded}`;
  }

  #snapshotDir(diffId: string): string {
    return join(this.root, 'snapshots', this.#name(diffId));
  }

  #shortName(diffId: string): string {
    return parseDigest(diffId).encoded.slice(0, 20);
  }

  async stat(diffId: string): Promise<LayerSnapshot | undefined> {
    const dir = this.#snapshotDir(diffId);
    try {
      const info = JSON.parse(await readFile(join(dir, 'info.json'), 'utf8')) as Omit<LayerSnapshot, 'dir' | 'createdAt'> & { createdAt: string };
      return { ...info, dir: join(dir, 'fs'), createdAt: new Date(info.createdAt) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async prepareLayer(): Promise<PreparedLayer> {
    await this.#init();
    const key = `${process.pid}-${randomBytes(8).toString('hex')}`;
    const base = join(this.root, 'ingest', key);
    await mkdir(join(base, 'fs'), { recursive: true });
    const state = new StateMachine<'preparing' | 'committed' | 'aborted'>('prepared layer', { preparing: ['committed', 'aborted'], committed: [], aborted: [] }, 'preparing');
    return {
      key,
      dir: join(base, 'fs'),
      commit: async (diffId, info = {}) => {
        state.to('committed');
        try {
          return await this.#commit(base, diffId, info);
        } catch (err) {
          await rm(base, { recursive: true, force: true });
          throw err;
        }
      },
      abort: async () => {
        if (state.state === 'preparing') state.to('aborted');
        await rm(base, { recursive: true, force: true });
      },
    };
  }

  async #commit(base: string, diffId: string, info: { size?: number; bytes?: number; entries?: number; digest?: string }): Promise<LayerSnapshot> {
    const target = this.#snapshotDir(diffId);
    const snapshot: LayerSnapshot = { diffId, dir: join(target, 'fs'), size: info.size ?? 0, entries: info.entries ?? 0, createdAt: new Date() };
    if (info.digest) snapshot.digest = info.digest;
    if (info.bytes !== undefined) snapshot.bytes = info.bytes;
    await writeFile(join(base, 'info.json'), JSON.stringify({ ...snapshot, dir: undefined }));
    // The unpacked files must be on disk before the snapshot becomes visible: after a
    // crash a committed snapshot with truncated files would be served forever.
    await run('sync', ['-f', base]);
    try {
      await rename(base, target);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      // Someone committed the same layer first: theirs is identical by construction.
      await rm(base, { recursive: true, force: true });
      const existing = await this.stat(diffId);
      if (existing) return existing;
      throw err;
    }
    await this.#ensureShortLink(diffId);
    await run('sync', ['-f', join(this.root, 'snapshots')]);
    return snapshot;
  }

  async #ensureShortLink(diffId: string): Promise<void> {
    const link = join(this.root, 'l', this.#shortName(diffId));
    const want = join('..', 'snapshots', this.#name(diffId), 'fs');
    try {
      await symlink(want, link);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if ((await readlink(link)) !== want) throw new Error(`short layer name collision at ${link}`);
    }
  }

  ensureLayer(diffId: string, source: LayerSource): Promise<LayerSnapshot> {
    parseDigest(diffId);
    const existing = this.#inflight.get(diffId);
    if (existing) return existing;
    const p = (async () => {
      const found = await this.stat(diffId);
      if (found) return found;
      const prepared = await this.prepareLayer();
      const started = Date.now();
      let result: UnpackResult;
      try {
        const opts: UnpackOptions = {
          ...this.#unpackOptions,
          mediaType: source.mediaType,
          whiteouts: 'overlay',
          expected: { diffId, ...(source.digest ? { digest: source.digest } : {}) },
        };
        result =
          source.path && this.#useWorkers
            ? await unpackLayerInWorker(source.path, prepared.dir, opts)
            : await unpackLayer(await source.open(), prepared.dir, opts);
      } catch (err) {
        await prepared.abort();
        throw err;
      }
      const snapshot = await prepared.commit(diffId, { size: result.size, bytes: result.bytes, entries: result.entries, digest: result.digest });
      this.#log.info('layer unpacked', { diffId, digest: result.digest, entries: result.entries, bytes: result.size, ms: Date.now() - started, skipped: result.skipped.length });
      return snapshot;
    })().finally(() => this.#inflight.delete(diffId));
    this.#inflight.set(diffId, p);
    return p;
  }

  /** The short links (<root>/l/<20 hex>): a mounter can pass them relative to <root>/l to fit ~170 layers in one mount. */
  async lowerDirs(diffIds: readonly string[]): Promise<string[]> {
    const out: string[] = [];
    for (const diffId of overlayOrder(diffIds)) {
      if (!(await this.stat(diffId))) throw new NotFoundError(`layer snapshot ${diffId} is not unpacked`, { diffId });
      await this.#ensureShortLink(diffId);
      out.push(join(this.root, 'l', this.#shortName(diffId)));
    }
    return out;
  }

  async mount(id: string, diffIds: readonly string[], opts: MountOptions = {}): Promise<RootfsMount> {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(id)) throw new ValidationError(`mount id "${id}" must match [A-Za-z0-9][A-Za-z0-9_.-]{0,127}`, { id });
    await this.#init();
    await this.lowerDirs(diffIds); // every layer must be there
    for (const d of diffIds) await this.#ensureShortLink(d);
    const base = join(this.root, 'rootfs', id);
    try {
      await mkdir(base);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new MountExistsError(id);
      throw err;
    }
    const writable = opts.writable ?? false;
    const record: RootfsMount = { id, target: join(base, 'merged'), diffIds: [...diffIds], writable, createdAt: new Date() };
    try {
      await mkdir(record.target);
      // Relative lower dirs (resolved from cwd = root) keep the option string short.
      const lowers = overlayOrder(diffIds).map((d) => `l/${this.#shortName(d)}`);
      const options: string[] = [];
      if (writable) {
        record.upperDir = join(base, 'upper');
        await mkdir(record.upperDir);
        await mkdir(join(base, 'work'));
        if (lowers.length === 0) lowers.push('empty0');
        options.push(`lowerdir=${lowers.join(':')}`, `upperdir=${record.upperDir}`, `workdir=${join(base, 'work')}`);
      } else {
        while (lowers.length < 2) lowers.push(`empty${lowers.length === 0 ? 0 : 1}`);
        options.push(`lowerdir=${lowers.join(':')}`, 'ro');
      }
      await writeFile(join(base, 'mount.json'), JSON.stringify(record));
      const data = options.join(',');
      if (data.length > 4000) throw new ValidationError(`too many layers (${diffIds.length}) for one overlay mount`, { layers: diffIds.length });
      await run('mount', ['-t', 'overlay', 'overlay', '-o', data, record.target], { cwd: this.root });
    } catch (err) {
      await rm(base, { recursive: true, force: true });
      throw err;
    }
    return record;
  }

  async unmount(id: string): Promise<void> {
    const base = join(this.root, 'rootfs', id);
    let record: RootfsMount;
    try {
      record = JSON.parse(await readFile(join(base, 'mount.json'), 'utf8')) as RootfsMount;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`root filesystem "${id}" is not mounted`, { id });
      throw err;
    }
    try {
      await run('umount', [record.target]);
    } catch (err) {
      const msg = String((err as { stderr?: string }).stderr ?? err);
      if (/not mounted/.test(msg)) {
        // already gone (e.g. after a reboot): just clean up
      } else if (/busy/.test(msg)) {
        // Something (a dying process) still has it open: detach now, the kernel frees it later.
        await run('umount', ['-l', record.target]);
      } else throw err;
    }
    await rm(base, { recursive: true, force: true });
  }

  async mounts(): Promise<RootfsMount[]> {
    await this.#init();
    const out: RootfsMount[] = [];
    for (const id of await readdir(join(this.root, 'rootfs'))) {
      try {
        const r = JSON.parse(await readFile(join(this.root, 'rootfs', id, 'mount.json'), 'utf8')) as RootfsMount & { createdAt: string };
        out.push({ ...r, createdAt: new Date(r.createdAt) });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    return out;
  }

  async remove(diffId: string): Promise<boolean> {
    const users = (await this.mounts()).filter((m) => m.diffIds.includes(diffId)).map((m) => m.id);
    // Overlays mounted by others from lowerDirs() (a sandbox runtime) pin the layer too.
    users.push(...(await overlaysUsing([this.#shortName(diffId), this.#name(diffId)])));
    if (users.length) throw new SnapshotInUseError(diffId, users);
    if (this.#inflight.has(diffId)) await this.#inflight.get(diffId)!.catch(() => undefined);
    const dir = this.#snapshotDir(diffId);
    try {
      await stat(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    // Move aside first so a concurrent stat never sees a half-deleted layer.
    const doomed = join(this.root, 'ingest', `${process.pid}-removing-${randomBytes(6).toString('hex')}`);
    await rename(dir, doomed);
    await rm(join(this.root, 'l', this.#shortName(diffId)), { force: true });
    await rm(doomed, { recursive: true, force: true });
    return true;
  }

  async *walk(): AsyncIterable<LayerSnapshot> {
    await this.#init();
    for (const name of await readdir(join(this.root, 'snapshots'))) {
      const [algorithm, encoded] = name.split('-');
      const s = await this.stat(`${algorithm}:${encoded}`).catch(() => undefined);
      if (s) yield s;
    }
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Mount points of overlay mounts (any mounter) whose options name one of `needles`. */
async function overlaysUsing(needles: string[]): Promise<string[]> {
  let text: string;
  try {
    text = await readFile('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const [fstype, , superOptions = ''] = line.slice(sep + 3).split(' ');
    if (fstype !== 'overlay') continue;
    if (needles.some((n) => superOptions.includes(n))) out.push(line.split(' ')[4] ?? '?');
  }
  return out;
}

/** A mounted overlay has its own device number; an unmounted directory shares its parent's. */
async function isMountPoint(dir: string, parent: string): Promise<boolean> {
  try {
    return (await stat(dir)).dev !== (await stat(parent)).dev;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/**
 * Layers top first, each once. An image may apply the same layer twice (docker's legacy builder
 * makes `RUN chmod 755 f` over an identical `COPY f` the same diffID), overlayfs refuses a repeated
 * lower dir (ELOOP, "conflicting lowerdir path"), and the topmost copy hides the lower one entirely
 * (same files, same whiteouts), so dropping the lower copies changes nothing a reader sees.
 */
function overlayOrder(diffIds: readonly string[]): string[] {
  return [...new Set([...diffIds].reverse())];
}
