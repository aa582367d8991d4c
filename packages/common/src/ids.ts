import { randomUUID, randomBytes } from 'node:crypto';

/** A request id in the form AWS uses (a v4 UUID). */
export function requestId(): string {
  return randomUUID();
}

/** A short random hex id, e.g. for environments and upload sessions. */
export function shortId(bytes = 8): string {
  return randomBytes(bytes).toString('hex');
}
