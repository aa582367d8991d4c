import type { IncomingMessage } from 'node:http';
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
