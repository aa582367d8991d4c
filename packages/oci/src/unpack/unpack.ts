import { execFile } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  constants as fsc,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  realpathSync,
  symlinkSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import type { DigestAlgorithm } from '../digest.js';
import type { LayerCompression } from '../media-types.js';
import { LayerError } from '../layer/errors.js';
import { openLayer, toLayerError, type TarEntry, type TarHeader } from '../layer/reader.js';
import { classifyWhiteout } from '../layer/whiteout.js';
import { RootedTree, lstatOrUndefined } from './tree.js';

const run = promisify(execFile);

/**
 * Safe layer unpacking.
 *
 * What a hostile layer cannot do (each case has a layer in testdata/hostile and a test):
 * - write outside the target: paths are resolved inside it (see RootedTree); ".." that
 *   would climb out is refused (LAYER_PATH_ESCAPE); absolute paths are taken relative
 *   to the target, as tar and docker do; symlinks (also ones created by earlier entries)
 *   are followed only inside the target, and an entry never writes through a symlink
 *   at its own path (the old entry is removed; files are opened O_EXCL|O_NOFOLLOW).
 * - hard-link to anything outside: link targets are resolved inside the target and
 *   must exist and not be a directory (else LAYER_LINK_ESCAPE).
 * - create device nodes: skipped by default (listed in `skipped`); policy "refuse"
 *   fails the layer (LAYER_DEVICE_REFUSED); "create" makes them and needs root.
 *   FIFOs are always created (harmless).
 * - plant setuid/setgid executables: the bits are stripped from files by default
 *   (`setuid: 'keep'` preserves them, for images that need su/sudo).
 * - exhaust the disk or inodes: `limits.maxBytes` bounds the uncompressed tar stream
 *   (LAYER_TOO_LARGE), `limits.maxEntries` the entry count (LAYER_TOO_MANY_ENTRIES).
 *
 * Preserved: file contents, permission bits, mtimes (files, dirs, symlinks), symlinks,
 * hard links within the target, uid/gid when running as root. Extended attributes in
 * PAX headers are not restored.
 *
 * Whiteouts: `apply` (default) deletes what they name from the target, for unpacking
 * layers on top of each other into one directory; `overlay` turns them into overlayfs
 * whiteouts (0/0 character device, trusted.overlay.opaque=y) for a layer directory that
 * will be an overlay lower dir. `overlay` needs root and the mknod and setfattr tools.
 *
 * On failure the target holds a partial layer: callers unpack into a fresh directory
 * and discard it (the snapshotter does).
 *
 * File system calls are synchronous and small (one write per chunk), which is several
 * times faster than promise round-trips per call; the event loop still turns between
 * chunks. Unpack in a worker thread to keep a busy server's latency flat.
 */

export interface UnpackLimits {
  /** Maximum uncompressed tar bytes (default 16 GiB; Lambda's image limit is 10 GB). */
  maxBytes?: number;
  /** Maximum number of tar entries (default 1,000,000). */
  maxEntries?: number;
}

export interface UnpackOptions {
  mediaType?: string;
  compression?: LayerCompression | 'auto';
  limits?: UnpackLimits;
  whiteouts?: 'apply' | 'overlay';
  devices?: 'skip' | 'refuse' | 'create';
  setuid?: 'strip' | 'keep';
  /** Default: 'keep' when running as root, else 'ignore'. */
  owners?: 'keep' | 'ignore';
  /** When given, the unpacked stream must match (LAYER_DIGEST_MISMATCH otherwise). */
  expected?: { digest?: string; diffId?: string };
  algorithm?: DigestAlgorithm;
}

export interface SkippedEntry {
  path: string;
  reason: string;
}

export interface UnpackResult {
  diffId: string;
  /** Digest of the (compressed) bytes read. */
  digest: string;
  compressedSize: number;
  /** Uncompressed tar size. */
  size: number;
  entries: number;
  /** File content bytes written. */
  bytes: number;
  whiteouts: number;
  /** Entries not materialised (device nodes, unknown types), first 100. */
  skipped: SkippedEntry[];
  setuidStripped: number;
}

export const DEFAULT_MAX_BYTES = 16 * 1024 ** 3;
export const DEFAULT_MAX_ENTRIES = 1_000_000;

interface DeferredDir {
  rel: string;
  mode: number;
  mtime: Date | undefined;
  uid: number;
  gid: number;
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const O_CREATE_FILE = fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW;

export async function unpackLayer(input: Readable, targetDir: string, opts: UnpackOptions = {}): Promise<UnpackResult> {
  const maxEntries = opts.limits?.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const whiteoutMode = opts.whiteouts ?? 'apply';
  const devices = opts.devices ?? 'skip';
  const keepSetuid = opts.setuid === 'keep';
  const keepOwners = (opts.owners ?? (isRoot ? 'keep' : 'ignore')) === 'keep';
  if (devices === 'create' && !isRoot) throw new LayerError('LAYER_DEVICE_REFUSED', 'creating device nodes needs root', {});

  mkdirSync(targetDir, { recursive: true });
  const tree = new RootedTree(realpathSync(targetDir));
  const layer = await openLayer(input, {
    ...(opts.mediaType !== undefined ? { mediaType: opts.mediaType } : {}),
    ...(opts.compression !== undefined ? { compression: opts.compression } : {}),
    maxBytes: opts.limits?.maxBytes ?? DEFAULT_MAX_BYTES,
    ...(opts.algorithm ? { algorithm: opts.algorithm } : {}),
  });

  const result: UnpackResult = { diffId: '', digest: '', compressedSize: 0, size: 0, entries: 0, bytes: 0, whiteouts: 0, skipped: [], setuidStripped: 0 };
  const skip = (path: string, reason: string) => {
    if (result.skipped.length < 100) result.skipped.push({ path, reason });
  };
  const dirs: DeferredDir[] = [];
  // apply mode: what this layer created, so an opaque marker spares it.
  const created = new Set<string>();
  const markCreated = (rel: string) => {
    if (whiteoutMode !== 'apply') return;
    for (let p = rel; p !== '' && !created.has(p); p = p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '') created.add(p);
  };
  const overlayWhiteouts: string[] = [];
  const overlayOpaques: string[] = [];

  for await (const entry of layer.entries) {
    if (++result.entries > maxEntries) {
      entry.resume();
      throw new LayerError('LAYER_TOO_MANY_ENTRIES', `layer has more than the limit of ${maxEntries} entries`, { maxEntries });
    }
    const h = entry.header;
    const components = RootedTree.clean(h.name);
    const name = components.join('/');

    const wh = components.length ? classifyWhiteout(name) : undefined;
    if (wh) {
      entry.resume();
      result.whiteouts++;
      // apply: a missing parent means nothing to delete; overlay: the marker needs its directory.
      const dirRel = tree.resolveDir(wh.dir ? wh.dir.split('/') : [], whiteoutMode === 'overlay');
      if (dirRel === undefined) continue;
      if (wh.kind === 'opaque') {
        if (whiteoutMode === 'apply') tree.removeChildrenExcept(dirRel, created);
        else overlayOpaques.push(tree.abs(dirRel));
        continue;
      }
      if (wh.name === '' || wh.name === '.' || wh.name === '..') throw new LayerError('LAYER_INVALID', `whiteout "${h.name}" names no file`, { path: h.name });
      const rel = dirRel ? `${dirRel}/${wh.name}` : wh.name;
      if (whiteoutMode === 'apply') tree.remove(rel);
      else overlayWhiteouts.push(tree.abs(rel));
      continue;
    }

    if (components.length === 0) {
      // "./": the root itself; only its metadata can change.
      entry.resume();
      if (h.type === 'directory') dirs.push({ rel: '', mode: (h.mode ?? 0o755) & 0o7777, mtime: h.mtime, uid: h.uid ?? 0, gid: h.gid ?? 0 });
      else throw new LayerError('LAYER_INVALID', `entry "${h.name}" replaces the root with a ${h.type}`, { path: h.name });
      continue;
    }

    const parentRel = tree.resolveDir(components.slice(0, -1), true)!;
    const base = components[components.length - 1]!;
    const rel = parentRel ? `${parentRel}/${base}` : base;
    const abs = tree.abs(rel);
    const mode = (h.mode ?? 0o644) & 0o7777;
    const uid = h.uid ?? 0;
    const gid = h.gid ?? 0;

    switch (h.type) {
      case 'directory': {
        entry.resume();
        const st = lstatOrUndefined(abs);
        if (st && !st.isDirectory()) tree.remove(rel);
        if (!st || !st.isDirectory()) mkdirSync(abs, { mode: 0o700 });
        tree.knowDir(rel);
        markCreated(rel);
        dirs.push({ rel, mode, mtime: h.mtime, uid, gid });
        break;
      }
      case 'file':
      case 'contiguous-file': {
        tree.remove(rel);
        let fileMode = mode;
        if (!keepSetuid && fileMode & 0o6000) {
          fileMode &= ~0o6000;
          result.setuidStripped++;
        }
        const fd = openSync(abs, O_CREATE_FILE, 0o600);
        try {
          result.bytes += await writeBody(fd, entry);
          // chown clears setuid/setgid bits, so it goes before chmod.
          if (keepOwners) fchownSync(fd, uid, gid);
          fchmodSync(fd, fileMode);
          if (h.mtime) futimesSync(fd, h.mtime, h.mtime);
        } finally {
          closeSync(fd);
        }
        markCreated(rel);
        break;
      }
      case 'symlink': {
        entry.resume();
        tree.remove(rel);
        symlinkSync(h.linkname ?? '', abs);
        if (keepOwners) lchownSync(abs, uid, gid);
        if (h.mtime) lutimesSync(abs, h.mtime, h.mtime);
        markCreated(rel);
        break;
      }
      case 'link': {
        entry.resume();
        const targetRel = resolveLinkTarget(tree, h);
        if (targetRel === rel) break;
        tree.remove(rel);
        linkSync(tree.abs(targetRel), abs);
        markCreated(rel);
        break;
      }
      case 'character-device':
      case 'block-device': {
        entry.resume();
        if (devices === 'refuse') {
          throw new LayerError('LAYER_DEVICE_REFUSED', `layer contains device node "${h.name}" and device nodes are refused`, { path: h.name });
        }
        if (devices === 'skip') {
          skip(name, `${h.type} ${h.devmajor ?? 0}:${h.devminor ?? 0} not created (devices: skip)`);
          break;
        }
        tree.remove(rel);
        await run('mknod', ['-m', (mode & 0o777).toString(8), '--', abs, h.type === 'block-device' ? 'b' : 'c', String(h.devmajor ?? 0), String(h.devminor ?? 0)]);
        if (keepOwners) lchownSync(abs, uid, gid);
        if (h.mtime) utimesSync(abs, h.mtime, h.mtime);
        markCreated(rel);
        break;
      }
      case 'fifo': {
        entry.resume();
        tree.remove(rel);
        await run('mkfifo', ['-m', (mode & 0o777).toString(8), '--', abs]);
        if (keepOwners) lchownSync(abs, uid, gid);
        if (h.mtime) utimesSync(abs, h.mtime, h.mtime);
        markCreated(rel);
        break;
      }
      default:
        entry.resume();
        skip(name, `unsupported entry type ${String(h.type)}`);
    }
  }

  const d = layer.digests();
  Object.assign(result, { diffId: d.diffId, digest: d.digest, compressedSize: d.compressedSize, size: d.size });
  if (opts.expected?.diffId && opts.expected.diffId !== d.diffId) {
    throw new LayerError('LAYER_DIGEST_MISMATCH', `layer diffID is ${d.diffId}, expected ${opts.expected.diffId}`, { expected: opts.expected.diffId, actual: d.diffId });
  }
  if (opts.expected?.digest && opts.expected.digest !== d.digest) {
    throw new LayerError('LAYER_DIGEST_MISMATCH', `layer digest is ${d.digest}, expected ${opts.expected.digest}`, { expected: opts.expected.digest, actual: d.digest });
  }

  if (overlayWhiteouts.length || overlayOpaques.length) await writeOverlayMarkers(overlayWhiteouts, overlayOpaques);

  // Directory metadata last: creating children changes a directory's mtime, and a
  // read-only directory mode must not stop its own children being written.
  for (let i = dirs.length - 1; i >= 0; i--) {
    const dir = dirs[i]!;
    const abs = tree.abs(dir.rel);
    const st = lstatOrUndefined(abs);
    if (!st?.isDirectory()) continue; // replaced or removed later in the layer
    if (keepOwners) lchownSync(abs, dir.uid, dir.gid);
    chmodSync(abs, dir.mode);
    if (dir.mtime) utimesSync(abs, dir.mtime, dir.mtime);
  }
  return result;
}

async function writeBody(fd: number, entry: TarEntry): Promise<number> {
  let bytes = 0;
  try {
    for await (const chunk of entry) {
      let off = 0;
      while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
      bytes += chunk.length;
    }
  } catch (err) {
    // The body stream carries errors from decompression and the byte limit.
    throw toLayerError(err);
  }
  return bytes;
}

function resolveLinkTarget(tree: RootedTree, h: TarHeader): string {
  const linkname = h.linkname ?? '';
  let components: string[];
  try {
    components = RootedTree.clean(linkname, 'hard link target');
  } catch (err) {
    if (err instanceof LayerError && err.code === 'LAYER_PATH_ESCAPE') {
      throw new LayerError('LAYER_LINK_ESCAPE', `hard link "${h.name}" points outside the root ("${linkname}")`, { path: h.name, linkname });
    }
    throw err;
  }
  if (components.length === 0) throw new LayerError('LAYER_LINK_ESCAPE', `hard link "${h.name}" points at the root directory`, { path: h.name, linkname });
  const parent = tree.resolveDir(components.slice(0, -1), false);
  const targetRel = parent === undefined ? undefined : parent ? `${parent}/${components[components.length - 1]}` : components[components.length - 1]!;
  const st = targetRel === undefined ? undefined : lstatOrUndefined(tree.abs(targetRel));
  if (targetRel === undefined || !st) {
    throw new LayerError('LAYER_LINK_ESCAPE', `hard link "${h.name}" points at "${linkname}", which is not in the layer before it`, { path: h.name, linkname });
  }
  if (st.isDirectory()) throw new LayerError('LAYER_LINK_ESCAPE', `hard link "${h.name}" points at directory "${linkname}"`, { path: h.name, linkname });
  return targetRel;
}

/** overlayfs whiteouts: a 0/0 char device per deleted name, an xattr per opaque directory. */
async function writeOverlayMarkers(whiteouts: string[], opaques: string[]): Promise<void> {
  if (!isRoot) throw new LayerError('LAYER_DEVICE_REFUSED', 'overlay whiteouts need root (character device 0/0, trusted.* xattrs)', {});
  // An existing path means the same layer re-created the name: nothing below to hide.
  const missing = whiteouts.filter((abs) => lstatOrUndefined(abs) === undefined);
  for (let i = 0; i < missing.length; i += 500) {
    await run('sh', ['-c', 'for p; do mknod -m 0 -- "$p" c 0 0 || exit 1; done', 'sh', ...missing.slice(i, i + 500)]);
  }
  for (let i = 0; i < opaques.length; i += 500) {
    await run('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', '--', ...opaques.slice(i, i + 500)]);
  }
}

/** For tests: whether a path is an overlay whiteout (char device 0/0). */
export function isOverlayWhiteout(path: string): boolean {
  try {
    const st = lstatSync(path);
    return st.isCharacterDevice() && st.rdev === 0;
  } catch {
    return false;
  }
}
