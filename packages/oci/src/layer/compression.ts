import { PassThrough, type Transform } from 'node:stream';
import { constants as zlibConstants, createGunzip, createGzip } from 'node:zlib';
import { CompressStream, DecompressStream } from 'zstd-napi';
import type { LayerCompression } from '../media-types.js';

/**
 * Layer compression: gzip through node:zlib, zstd through zstd-napi (libzstd bindings;
 * streaming, handles multi-frame input, errors on garbage and truncation).
 */

const gzipMagic = [0x1f, 0x8b];
const zstdMagic = [0x28, 0xb5, 0x2f, 0xfd];

/** Guesses the compression from the first bytes (for layers whose media type lies, e.g. docker-archive). */
export function detectCompression(head: Uint8Array): LayerCompression {
  if (head.length >= 2 && head[0] === gzipMagic[0] && head[1] === gzipMagic[1]) return 'gzip';
  if (head.length >= 4 && zstdMagic.every((b, i) => head[i] === b)) return 'zstd';
  return 'none';
}

const chunkSize = 256 * 1024;

export function createDecompressor(compression: LayerCompression): Transform {
  switch (compression) {
    case 'gzip':
      return createGunzip({ chunkSize });
    case 'zstd':
      return new DecompressStream();
    case 'none':
      return new PassThrough();
  }
}

export interface CompressOptions {
  /** gzip 1-9 (default 6, what docker uses); zstd 1-19 (default 3). */
  level?: number;
}

/**
 * A compressor whose output depends only on its input and level: node's gzip header
 * carries no mtime or file name, which keeps layers reproducible.
 */
export function createCompressor(compression: LayerCompression, opts: CompressOptions = {}): Transform {
  switch (compression) {
    case 'gzip':
      return createGzip({ level: opts.level ?? zlibConstants.Z_DEFAULT_COMPRESSION, chunkSize });
    case 'zstd':
      return new CompressStream({ compressionLevel: opts.level ?? 3, checksumFlag: true });
    case 'none':
      return new PassThrough();
  }
}
