import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { LambdockError } from '@lambdock/common';
import { LayerError, type LayerErrorCode } from '../layer/errors.js';
import type { UnpackOptions, UnpackResult } from './unpack.js';

/**
 * Unpacking in worker threads: tar parsing and file writes are CPU work on the calling
 * thread, so layers unpacked side by side in one thread share one core. A worker per
 * layer (the layers of an image are independent in overlay mode) uses every core and
 * keeps the caller's event loop free. The blob is read from a file path (e.g.
 * FsContentStore.blobPath), so no bytes cross threads.
 */
export interface WorkerRequest {
  path: string;
  targetDir: string;
  opts: UnpackOptions;
}

type WorkerReply = { ok: true; result: UnpackResult } | { ok: false; error: { lambdock: boolean; name: string; code?: string; message: string; details?: Record<string, unknown> } };

let running = 0;
const waiting: (() => void)[] = [];
// Decompression and file writes also run on libuv's pool, so a worker is not pinned to a
// core: a few more workers than cores keeps every core busy. LAMBDOCK_UNPACK_WORKERS overrides.
const maxWorkers = Math.max(1, Number(process.env['LAMBDOCK_UNPACK_WORKERS']) || Math.max(4, availableParallelism()));

async function slot(): Promise<() => void> {
  if (running >= maxWorkers) await new Promise<void>((r) => waiting.push(r));
  running++;
  return () => {
    running--;
    waiting.shift()?.();
  };
}

/** unpackLayer on the file at `path`, in a worker thread (at most max(4, cores) at once). */
export async function unpackLayerInWorker(path: string, targetDir: string, opts: UnpackOptions = {}): Promise<UnpackResult> {
  const release = await slot();
  try {
    return await new Promise<UnpackResult>((resolve, reject) => {
      // execArgv: [] — a worker inherits the parent's flags by default, and some (e.g.
      // `--input-type` of `node -e`) make every worker fail to start.
      const worker = new Worker(new URL('./worker-main.js', import.meta.url), { workerData: { path, targetDir, opts } satisfies WorkerRequest, execArgv: [] });
      let settled = false;
      worker.once('message', (reply: WorkerReply) => {
        settled = true;
        if (reply.ok) resolve(reply.result);
        else {
          const e = reply.error;
          if (e.lambdock && e.code?.startsWith('LAYER_')) reject(new LayerError(e.code as LayerErrorCode, e.message, e.details ?? {}));
          else if (e.lambdock && e.code) reject(new LambdockError(e.code, e.message, e.details ? { details: e.details } : {}));
          else reject(Object.assign(new Error(e.message), e.code ? { code: e.code } : {}));
        }
      });
      worker.once('error', (err) => {
        settled = true;
        reject(err);
      });
      worker.once('exit', (code) => {
        if (!settled) reject(new Error(`unpack worker exited with code ${code}`));
      });
    });
  } finally {
    release();
  }
}
