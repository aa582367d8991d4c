import type { InvokeDone } from './types.js';

/**
 * Lambda's per-invoke log lines, byte for byte:
 *   START RequestId: <id> Version: $LATEST
 *   END RequestId: <id>
 *   REPORT RequestId: <id>\tDuration: 1.23 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\tInit Duration: 95.12 ms\t
 * (Init Duration only on a cold start.)
 */
export function startLine(requestId: string, version: string): string {
  return `START RequestId: ${requestId} Version: ${version}`;
}

export function endLine(requestId: string): string {
  return `END RequestId: ${requestId}`;
}

export function reportLine(done: Pick<InvokeDone, 'requestId' | 'durationMs' | 'initDurationMs'>, memorySizeMb: number, maxMemoryUsedMb: number): string {
  let s =
    `REPORT RequestId: ${done.requestId}\tDuration: ${done.durationMs.toFixed(2)} ms\tBilled Duration: ${Math.max(1, Math.ceil(done.durationMs))} ms` +
    `\tMemory Size: ${memorySizeMb} MB\tMax Memory Used: ${Math.round(maxMemoryUsedMb)} MB\t`;
  if (done.initDurationMs !== undefined) s += `Init Duration: ${done.initDurationMs.toFixed(2)} ms\t`;
  return s;
}

/** Lambda's timeout log line: `<ISO> <id> Task timed out after 5.01 seconds`. */
export function timeoutLine(requestId: string, seconds: number): string {
  return `${new Date().toISOString()} ${requestId} Task timed out after ${seconds.toFixed(2)} seconds`;
}
