import { Readable, Transform, pipeline, type TransformCallback } from 'node:stream';
import tar from 'tar-stream';
import { createDigester, type Digester, type DigestAlgorithm } from '../digest.js';
import { layerCompressionOf, type LayerCompression } from '../media-types.js';
import { createDecompressor, detectCompression } from './compression.js';
import { LayerError } from './errors.js';

/**
 * Reading a layer blob: compressed bytes → (digest) → decompress → (diffID, byte limit) → tar entries.
 *
 * The digest is of the blob as stored (what manifests reference); the diffID is of the
 * uncompressed tar (what image configs list in rootfs.diff_ids). Both come out of one pass.
 */
export interface LayerDigests {
  compression: LayerCompression;
  /** Digest of the bytes read (the compressed blob). */
  digest: string;
  compressedSize: number;
  /** Digest of the uncompressed tar stream. */
  diffId: string;
  size: number;
}

export interface OpenLayerOptions {
  /** Media type of the blob; decides the compression unless `compression` is given. */
  mediaType?: string;
  /** 'auto' sniffs the magic bytes. */
  compression?: LayerCompression | 'auto';
  /** Refuse (LAYER_TOO_LARGE) once the uncompressed stream exceeds this many bytes. */
  maxBytes?: number;
  algorithm?: DigestAlgorithm;
}

export type TarHeader = tar.Header & { pax?: Record<string, string> | null };

/** One tar entry: its header and its body (a stream of Buffers). */
export interface TarEntry extends AsyncIterable<Buffer> {
  header: TarHeader;
  /** Discards the body. */
  resume(): unknown;
}

export interface OpenedLayer {
  /** Each entry's body must be consumed (or resumed) before the next entry arrives. */
  entries: AsyncIterable<TarEntry>;
  /** Available once `entries` has been iterated to the end. */
  digests(): LayerDigests;
}

class Tap extends Transform {
  constructor(
    private readonly digester: Digester,
    private readonly maxBytes = Number.POSITIVE_INFINITY,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.digester.size + chunk.length > this.maxBytes) {
      cb(new LayerError('LAYER_TOO_LARGE', `layer expands to more than the limit of ${this.maxBytes} bytes`, { maxBytes: this.maxBytes }));
      return;
    }
    this.digester.update(chunk);
    cb(null, chunk);
  }
}

export function compressionForMediaType(mediaType: string): LayerCompression {
  const c = layerCompressionOf(mediaType);
  if (c === undefined) {
    throw new LayerError('LAYER_MEDIA_TYPE_UNSUPPORTED', `"${mediaType}" is not a layer media type that can be unpacked`, { mediaType });
  }
  return c;
}

async function sniff(input: Readable): Promise<{ compression: LayerCompression; stream: Readable }> {
  const it = input[Symbol.asyncIterator]();
  const first = await it.next();
  const head: Buffer = first.done ? Buffer.alloc(0) : Buffer.from(first.value as Buffer);
  const compression = detectCompression(head);
  const stream = Readable.from(
    (async function* () {
      if (head.length) yield head;
      for (;;) {
        const n = await it.next();
        if (n.done) return;
        yield n.value as Buffer;
      }
    })(),
    { objectMode: false },
  );
  return { compression, stream };
}

/** Opens a layer blob as a stream of tar entries, computing its digest and diffID on the way. */
export async function openLayer(input: Readable, opts: OpenLayerOptions = {}): Promise<OpenedLayer> {
  let compression: LayerCompression;
  let source = input;
  if (opts.compression === 'auto') ({ compression, stream: source } = await sniff(input));
  else compression = opts.compression ?? compressionForMediaType(opts.mediaType ?? '');
  const algorithm = opts.algorithm ?? 'sha256';
  const compressed = createDigester(algorithm);
  const uncompressed = createDigester(algorithm);
  const extract = tar.extract();
  let failure: unknown;
  const settled = new Promise<void>((resolve) => {
    pipeline(source, new Tap(compressed), createDecompressor(compression), new Tap(uncompressed, opts.maxBytes), extract, (err) => {
      if (err) failure = err;
      resolve();
    });
  });
  async function* entries(): AsyncGenerator<TarEntry> {
    try {
      for await (const entry of extract) yield entry as unknown as TarEntry;
    } catch (err) {
      await Promise.race([settled, new Promise((r) => setTimeout(r, 50))]);
      throw toLayerError(failure ?? err);
    }
    // The extractor can end before the pipeline settles; wait until the taps saw every byte.
    await settled;
    if (failure) throw toLayerError(failure);
  }
  return {
    entries: entries(),
    digests() {
      return { compression, digest: compressed.digest(), compressedSize: compressed.size, diffId: uncompressed.digest(), size: uncompressed.size };
    },
  };
}

/** Maps decompression and tar parse errors (from any stage of the pipeline) to LAYER_INVALID; I/O errors pass through. */
export function toLayerError(err: unknown): unknown {
  if (err instanceof LayerError) return err;
  const e = err as NodeJS.ErrnoException;
  if (!e || typeof e !== 'object') return err;
  if (e.syscall !== undefined || /^E[A-Z0-9]+$/.test(e.code ?? '')) return err; // disk full, missing file, …: not the layer's fault
  const zlib = e.code?.startsWith('Z_') === true;
  const tarOrZstd = /^(Invalid header|Invalid tar header|Header exceeds max size|Unexpected end of data|Unknown frame descriptor|Stream ended in middle of compressed data frame|Data corruption|Corrupted block|Restored data doesn't match checksum|Frame requires too much memory)/i.test(e.message ?? '');
  if (zlib || tarOrZstd) return new LayerError('LAYER_INVALID', `layer is not a readable tar stream: ${e.message}`, {}, err);
  return err;
}

/** Digest and diffID of a layer blob without unpacking it (bodies are read and dropped). */
export async function computeLayerDigests(input: Readable, opts: OpenLayerOptions = {}): Promise<LayerDigests> {
  const layer = await openLayer(input, opts);
  for await (const entry of layer.entries) entry.resume();
  return layer.digests();
}
