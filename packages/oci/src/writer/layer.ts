import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Transform, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, constants as zlibConstants } from 'node:zlib';
import { pack as tarPack, type Pack } from 'tar-stream';
import { ValidationError, shortId } from '@lambdock/common';
import { createDigester } from '../digest.js';
import { MediaTypes } from '../media-types.js';
import { createCompressor } from '../layer/compression.js';
import type { Descriptor } from '../manifest.js';
import type { ContentStore } from '../content/store.js';
import { normalizeImagePath, type FileSpec } from './files.js';

export type WriterCompression = 'gzip' | 'zstd' | 'none';

export interface LayerOptions {
  /** Default 'gzip'. */
  compression?: WriterCompression;
  /** gzip level 1..9 (default 6): fixed, because the level changes the bytes. */
  gzipLevel?: number;
  /** zstd level 1..19 (default 3); zstd layers need an OCI manifest (Docker schema 2 has no zstd type). */
  zstdLevel?: number;
  /** Seconds since the epoch stamped on every entry; default SOURCE_DATE_EPOCH, else 0. */
  mtime?: number;
  /** Media type family of the descriptor (default 'oci'). */
  flavor?: 'oci' | 'docker';
}

export interface BuiltLayer {
  /** The (compressed) blob as a manifest refers to it. */
  descriptor: Descriptor;
  /** Digest of the uncompressed tar, for the config's rootfs.diff_ids. */
  diffId: string;
}

/** SOURCE_DATE_EPOCH (reproducible-builds.org) when set and valid, else 0. */
export function sourceDateEpoch(): number {
  const v = process.env['SOURCE_DATE_EPOCH'];
  const n = v === undefined ? NaN : Number(v);
  return Number.isInteger(n) && n >= 0 ? n : 0;
}

interface TarEntry {
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'link';
  mode: number;
  uid: number;
  gid: number;
  linkname?: string;
  content?: Uint8Array;
  source?: string;
  size: number;
}

/**
 * Builds one layer into `store` from a file list, reproducibly: the same files give
 * the same bytes and digests on any machine and at any time.
 *
 * - entries sorted by path (bytewise), parent directories added (0755) when not listed;
 * - every mtime fixed, uid/gid 0 unless given, no user/group names;
 * - gzip at a fixed level; Node's gzip header carries no file name and mtime 0.
 *
 * A later entry for the same path replaces an earlier one, as a later COPY would.
 */
export async function buildLayer(store: ContentStore, files: readonly FileSpec[], opts: LayerOptions = {}): Promise<BuiltLayer> {
  const entries = await planEntries(files);
  const mtime = new Date((opts.mtime ?? sourceDateEpoch()) * 1000);
  const compression = opts.compression ?? 'gzip';
  const flavor = opts.flavor ?? 'oci';
  const level = opts.gzipLevel ?? 6;
  if (!Number.isInteger(level) || level < 1 || level > 9) throw new ValidationError(`gzip level must be 1..9, got ${level}`);

  const pack = tarPack();
  const diff = createDigester();
  const writer = await store.writer({ ref: `build-${shortId()}` });
  try {
    const hashTar = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        diff.update(chunk);
        cb(null, chunk);
      },
    });
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        writer.write(chunk).then(() => cb(), cb);
      },
    });
    const stages: (NodeJS.ReadableStream | NodeJS.WritableStream | NodeJS.ReadWriteStream)[] = [pack as unknown as Readable, hashTar];
    if (compression === 'gzip') stages.push(createGzip({ level, memLevel: 8, strategy: zlibConstants.Z_DEFAULT_STRATEGY }));
    else if (compression === 'zstd') stages.push(createCompressor('zstd', { level: opts.zstdLevel ?? 3 }));
    stages.push(sink);
    const piping = pipeline(stages as [Readable, ...NodeJS.WritableStream[]]);
    const feeding = feed(pack, entries, mtime).catch((err: unknown) => {
      pack.destroy(err as Error);
      throw err;
    });
    await Promise.all([piping, feeding]);
    const info = await writer.commit();
    const mediaType =
      compression === 'zstd'
        ? MediaTypes.ociLayerZstd
        : compression === 'gzip'
        ? flavor === 'docker'
          ? MediaTypes.dockerLayerGzip
          : MediaTypes.ociLayerGzip
        : flavor === 'docker'
          ? MediaTypes.dockerLayer
          : MediaTypes.ociLayer;
    return { descriptor: { mediaType, digest: info.digest, size: info.size }, diffId: diff.digest() };
  } catch (err) {
    await writer.abort().catch(() => {});
    throw err;
  }
}

async function feed(pack: Pack, entries: TarEntry[], mtime: Date): Promise<void> {
  for (const e of entries) {
    const header = {
      name: e.type === 'directory' ? `${e.name}/` : e.name,
      type: e.type,
      mode: e.mode,
      uid: e.uid,
      gid: e.gid,
      uname: '',
      gname: '',
      mtime,
      size: e.type === 'file' ? e.size : 0,
      ...(e.linkname !== undefined ? { linkname: e.linkname } : {}),
    };
    if (e.type !== 'file') {
      await new Promise<void>((resolve, reject) => pack.entry(header, (err) => (err ? reject(err) : resolve())));
      continue;
    }
    if (e.content) {
      await new Promise<void>((resolve, reject) => pack.entry(header, Buffer.from(e.content!), (err) => (err ? reject(err) : resolve())));
      continue;
    }
    await new Promise<void>((resolve, reject) => {
      const sink = pack.entry(header, (err) => (err ? reject(err) : resolve()));
      const src = createReadStream(e.source!);
      src.on('error', (err) => {
        sink.destroy(err);
        reject(err);
      });
      src.pipe(sink);
    });
  }
  pack.finalize();
}

/** Sorted, de-duplicated entries with implied parent directories; sizes of host files read now. */
async function planEntries(files: readonly FileSpec[]): Promise<TarEntry[]> {
  const byName = new Map<string, TarEntry>();
  for (const f of files) {
    const name = normalizeImagePath(f.path);
    if (name === '') continue; // the root itself is not an entry
    const type = f.type ?? 'file';
    const uid = f.uid ?? 0;
    const gid = f.gid ?? 0;
    if (type === 'directory') {
      byName.set(name, { name, type: 'directory', mode: f.mode ?? 0o755, uid, gid, size: 0 });
    } else if (type === 'symlink' || type === 'hardlink') {
      if (!f.target) throw new ValidationError(`${type} ${f.path} needs a target`, { path: f.path });
      const linkname = type === 'hardlink' ? normalizeImagePath(f.target) : f.target;
      byName.set(name, { name, type: type === 'hardlink' ? 'link' : 'symlink', mode: f.mode ?? 0o777, uid, gid, size: 0, linkname });
    } else {
      if ((f.content === undefined) === (f.source === undefined)) {
        throw new ValidationError(`file ${f.path} needs exactly one of content or source`, { path: f.path });
      }
      let content: Uint8Array | undefined;
      let size: number;
      if (f.content !== undefined) {
        content = typeof f.content === 'string' ? Buffer.from(f.content, 'utf8') : f.content;
        size = content.byteLength;
      } else {
        const st = await stat(f.source!);
        if (!st.isFile()) throw new ValidationError(`source ${f.source} for ${f.path} is not a regular file`, { path: f.path });
        size = st.size;
      }
      byName.set(name, { name, type: 'file', mode: f.mode ?? 0o644, uid, gid, size, ...(content ? { content } : { source: f.source! }) });
    }
  }
  // Parents first, so an unpacker never meets a file before its directory.
  for (const name of [...byName.keys()]) {
    const parts = name.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      const existing = byName.get(dir);
      if (!existing) byName.set(dir, { name: dir, type: 'directory', mode: 0o755, uid: 0, gid: 0, size: 0 });
      else if (existing.type !== 'directory') throw new ValidationError(`${dir} is both a ${existing.type} and a parent directory of ${name}`, { path: name });
    }
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
