import type { IncomingMessage } from 'node:http';
import type { BlobInfo } from '@lambdock/oci';
import { readBody } from '../http.js';
import { SMALL_BLOB_BYTES } from '../uploads.js';
import { DistributionError } from '../errors.js';
import { uploadLocation, uploadRange } from '../http.js';
import type { UploadManager, UploadSession } from '../uploads.js';

/** Response headers that tell a client where an upload session stands. */
export function sessionHeaders(name: string, s: UploadSession, offset: number): Record<string, string> {
  return {
    Location: uploadLocation(name, s.id),
    Range: uploadRange(offset),
    'Docker-Upload-UUID': s.id,
  };
}

/**
 * Checks a chunk's Content-Range against the session's offset: chunks must arrive
 * in order, so anything else is 416 with the current Range for the client to resume.
 */
export async function checkContentRange(req: IncomingMessage, name: string, s: UploadSession, uploads: UploadManager): Promise<void> {
  const header = req.headers['content-range'];
  if (header === undefined) return;
  const m = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(header.trim());
  const offset = await uploads.offset(s);
  if (!m) {
    throw new DistributionError('RANGE_INVALID', `malformed Content-Range "${header.slice(0, 100)}": expected "<start>-<end>"`, {
      headers: sessionHeaders(name, s, offset),
    });
  }
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (start !== offset || end < start) {
    throw new DistributionError('RANGE_INVALID', `chunk starts at ${start} but the upload has ${offset} bytes; send the chunk starting at ${offset}`, {
      headers: sessionHeaders(name, s, offset),
      detail: { offset },
    });
  }
  const length = req.headers['content-length'];
  if (length !== undefined && Number(length) !== end - start + 1) {
    throw new DistributionError('RANGE_INVALID', `Content-Range ${start}-${end} is ${end - start + 1} bytes but Content-Length is ${length}`, {
      headers: sessionHeaders(name, s, offset),
    });
  }
}

/**
 * A small blob arriving whole in the request that completes a fresh session (the
 * common POST + PUT of configs and small layers) is stored in one step, without an
 * ingest directory. Returns undefined when the request does not qualify.
 */
export async function completeSmall(req: IncomingMessage, s: UploadSession, uploads: UploadManager, digest: string, limit: number): Promise<BlobInfo | undefined> {
  const length = req.headers['content-length'];
  if (length !== undefined && Number(length) > limit) {
    throw new DistributionError('SIZE_INVALID', `upload exceeds the maximum blob size of ${limit} bytes`, { status: 413 });
  }
  if (!s.pristine || req.headers['content-range'] !== undefined || length === undefined || !/^\d+$/.test(length) || Number(length) > SMALL_BLOB_BYTES) {
    return undefined;
  }
  const data = await readBody(req, SMALL_BLOB_BYTES, 'blob');
  return uploads.commitWhole(s, data, digest);
}
