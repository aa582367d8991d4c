// Worker thread entry for unpackLayerInWorker (see worker.ts).
import { createReadStream } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { LambdockError } from '@lambdock/common';
import { unpackLayer } from './unpack.js';
import type { WorkerRequest } from './worker.js';

const { path, targetDir, opts } = workerData as WorkerRequest;
try {
  const result = await unpackLayer(createReadStream(path, { highWaterMark: 1 << 20 }), targetDir, opts);
  parentPort!.postMessage({ ok: true, result });
} catch (err) {
  const e = err as Error & { code?: string; details?: Record<string, unknown> };
  parentPort!.postMessage({ ok: false, error: { lambdock: err instanceof LambdockError, name: e.name, code: e.code, message: e.message, details: e.details } });
}
