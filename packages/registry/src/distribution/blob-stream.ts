import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { FsContentStore, type ContentStore } from '@lambdock/oci';
import { DistributionError } from './errors.js';

/** Large reads: fewer event-loop turns and syscalls per byte on big layer pulls. */
const READ_CHUNK = 4 * 1024 * 1024;

/**
 * A stream of a committed blob (or an inclusive byte range of it). For the
 * filesystem store it reads the blob file directly in 4 MiB chunks (the store's own
 * reader uses 1 MiB, which costs ~25% throughput on 200 MiB pulls); other backends
 * go through the ContentStore interface. The file is opened before anything is
 * sent, so a blob removed concurrently is a clean 404, and the open descriptor keeps
 * serving it even if GC unlinks it mid-stream.
 */
export async function openBlobStream(store: ContentStore, digest: string, size: number, range?: { start: number; end: number }): Promise<Readable> {
  if (!(store instanceof FsContentStore) || size === 0) return store.reader(digest, range);
  const start = range?.start ?? 0;
  const end = range?.end ?? size - 1;
  let fh;
  try {
    fh = await open(store.blobPath(digest), 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new DistributionError('BLOB_UNKNOWN', `blob ${digest} unknown to registry`, { detail: { digest } });
    throw err;
  }
  // the read buffer is sized to what is left, so a 4 KiB config does not cost a 4 MiB allocation
  return fh.createReadStream({ start, end, highWaterMark: Math.max(1, Math.min(READ_CHUNK, end - start + 1)) });
}
