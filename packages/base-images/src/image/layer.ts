import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, constants as zc } from 'node:zlib';
import tar from 'tar-stream';
import type { Tree } from '../rootfs/tree.js';

export interface LayerBlob {
  /** sha256 of the gzip blob (the manifest's layer digest). */
  digest: string;
  /** sha256 of the uncompressed tar (the config's diff_id). */
  diffId: string;
  size: number;
  uncompressedSize: number;
}

function hashing(onDone: (hex: string, size: number) => void): Transform {
  const h = createHash('sha256');
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      h.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
    flush(cb) {
      onDone(h.digest('hex'), size);
      cb();
    },
  });
}

/**
 * Writes the tree as a reproducible gzip layer into `<blobsDir>/sha256/<hex>`:
 * entries in byte order of their paths, every mtime = `epoch`, owners numeric with
 * empty names, no atime/ctime, gzip header without name or time, fixed level.
 * The same tree, epoch and zlib give the same bytes.
 */
export async function writeLayer(tree: Tree, blobsDir: string, epoch: number, level = 6): Promise<LayerBlob> {
  const dir = join(blobsDir, 'sha256');
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const pack = tar.pack();
  const mtime = new Date(epoch * 1000);
  let diffId = '';
  let uncompressedSize = 0;
  let digest = '';
  let size = 0;
  const feeding = (async () => {
    for (const e of tree.sorted()) {
      const base = { name: e.type === 'directory' ? e.path + '/' : e.path, mode: e.mode, uid: e.uid, gid: e.gid, uname: '', gname: '', mtime };
      await new Promise<void>((resolve, reject) => {
        const cb = (err?: Error | null) => (err ? reject(err) : resolve());
        if (e.type === 'file') pack.entry({ ...base, type: 'file', size: e.data!.length }, e.data!, cb);
        else if (e.type === 'directory') pack.entry({ ...base, type: 'directory' }, cb);
        else if (e.type === 'symlink') pack.entry({ ...base, type: 'symlink', linkname: e.linkname! }, cb);
        else pack.entry({ ...base, type: 'link', linkname: e.linkname! }, cb);
      });
    }
    pack.finalize();
  })();
  try {
    await Promise.all([
      feeding,
      pipeline(
        pack,
        hashing((hex, n) => ((diffId = `sha256:${hex}`), (uncompressedSize = n))),
        createGzip({ level, memLevel: 8, strategy: zc.Z_DEFAULT_STRATEGY }),
        hashing((hex, n) => ((digest = `sha256:${hex}`), (size = n))),
        createWriteStream(tmp),
      ),
    ]);
    const final = join(dir, digest.slice('sha256:'.length));
    if (await stat(final).then(() => true, () => false)) await rm(tmp);
    else await rename(tmp, final);
    return { digest, diffId, size, uncompressedSize };
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
