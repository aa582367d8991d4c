import { pipeline } from 'node:stream/promises';
import type { DistributionHandler } from '../http.js';
import { send } from '../http.js';
import { DistributionError } from '../errors.js';
import { digestParam } from './common.js';
import { openBlobStream } from '../blob-stream.js';

/** Parses a single `bytes=a-b` / `bytes=a-` / `bytes=-n` range; undefined = serve whole. */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | undefined | 'unsatisfiable' {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return undefined; // multi-range or unknown unit: RFC 9110 lets us ignore it
  const [, a, b] = m;
  if (a === '' && b === '') return undefined;
  let start: number;
  let end: number;
  if (a === '') {
    const suffix = Number(b);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(a);
    end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
    if (b !== '' && Number(b) < start) return 'unsatisfiable';
  }
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

/** GET and HEAD /v2/<name>/blobs/<digest>, with Range support (206 / 416). */
export const getBlob: DistributionHandler = async ({ req, res, core }, { name, digest: rawDigest }) => {
  const digest = digestParam(rawDigest);
  const linked = await core.metadata.blobInRepository(name!, digest);
  const info = linked !== undefined ? await core.store.info(digest) : undefined;
  if (!info) throw new DistributionError('BLOB_UNKNOWN', `blob ${digest} unknown to repository "${name}"`, { detail: { digest } });
  const base = {
    'Content-Type': 'application/octet-stream',
    'Docker-Content-Digest': digest,
    ETag: `"${digest}"`,
    'Accept-Ranges': 'bytes',
    'Cache-Control': 'max-age=31536000',
  };
  const range = parseRange(req.headers.range, info.size);
  if (range === 'unsatisfiable') {
    throw new DistributionError('RANGE_INVALID', `range "${req.headers.range}" is outside the blob (${info.size} bytes)`, {
      headers: { 'Content-Range': `bytes */${info.size}` },
    });
  }
  if (req.method === 'HEAD') {
    send(res, 200, { ...base, 'Content-Length': info.size });
    return;
  }
  const stream = await openBlobStream(core.store, digest, info.size, range ? { start: range.start, end: range.end } : undefined);
  if (range) {
    res.writeHead(206, {
      ...base,
      'Docker-Distribution-API-Version': 'registry/2.0',
      'Content-Range': `bytes ${range.start}-${range.end}/${info.size}`,
      'Content-Length': range.end - range.start + 1,
    });
  } else {
    res.writeHead(200, { ...base, 'Docker-Distribution-API-Version': 'registry/2.0', 'Content-Length': info.size });
  }
  await pipeline(stream, res);
};
