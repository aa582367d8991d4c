import { Readable, Transform, type TransformCallback } from 'node:stream';
import tar from 'tar-stream';
import { createDigester, type Digester } from '../digest.js';
import { MediaTypes, type LayerCompression } from '../media-types.js';
import { createCompressor, type CompressOptions } from './compression.js';
import { opaquePath, whiteoutPath } from './whiteout.js';

/**
 * Writing a layer: entries → tar → (diffID) → compress → (digest).
 *
 * Entries are written exactly as given (order, mtimes, owners): a caller that wants a
 * reproducible layer sorts its entries and fixes their mtimes.
 */
export interface LayerEntryInput {
  /** Relative path inside the image, "/"-separated, no leading "/" (directories may end with "/"). */
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'link';
  mode?: number;
  uid?: number;
  gid?: number;
  /** Default: the Unix epoch, so layers are reproducible unless asked otherwise. */
  mtime?: Date;
  /** File content. */
  data?: Uint8Array | string;
  /** Symlink target, or for hard links the path of the earlier entry. */
  linkname?: string;
}

export interface PackedLayerInfo {
  compression: LayerCompression;
  mediaType: string;
  digest: string;
  size: number;
  diffId: string;
  uncompressedSize: number;
}

export interface PackedLayer {
  /** The compressed layer; read it to the end (e.g. into a ContentWriter). */
  stream: Readable;
  /** Resolves when `stream` has been read to its end. */
  info: Promise<PackedLayerInfo>;
}

class Tap extends Transform {
  constructor(private readonly digester: Digester) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.digester.update(chunk);
    cb(null, chunk);
  }
}

export function layerMediaType(compression: LayerCompression, family: 'oci' | 'docker' = 'oci'): string {
  if (family === 'docker') {
    if (compression === 'gzip') return MediaTypes.dockerLayerGzip;
    if (compression === 'none') return MediaTypes.dockerLayer;
    throw new Error('Docker schema 2 has no zstd layer media type');
  }
  return compression === 'gzip' ? MediaTypes.ociLayerGzip : compression === 'zstd' ? MediaTypes.ociLayerZstd : MediaTypes.ociLayer;
}

/** Streams a layer made of `entries`. */
export function packLayer(
  entries: Iterable<LayerEntryInput> | AsyncIterable<LayerEntryInput>,
  opts: CompressOptions & { compression?: LayerCompression; family?: 'oci' | 'docker' } = {},
): PackedLayer {
  const compression = opts.compression ?? 'gzip';
  const pack = tar.pack();
  const diff = createDigester();
  const blob = createDigester();
  const out = pack.pipe(new Tap(diff)).pipe(createCompressor(compression, opts)).pipe(new Tap(blob));
  (async () => {
    for await (const e of entries as AsyncIterable<LayerEntryInput>) {
      const data = e.data === undefined ? undefined : typeof e.data === 'string' ? Buffer.from(e.data) : Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength);
      const header: Parameters<typeof pack.entry>[0] = {
        name: e.type === 'directory' && !e.path.endsWith('/') ? `${e.path}/` : e.path,
        type: e.type,
        mode: e.mode ?? (e.type === 'directory' ? 0o755 : e.type === 'symlink' ? 0o777 : 0o644),
        uid: e.uid ?? 0,
        gid: e.gid ?? 0,
        mtime: e.mtime ?? new Date(0),
        uname: '',
        gname: '',
      };
      if (e.linkname !== undefined) header.linkname = e.linkname;
      await new Promise<void>((resolve, reject) => {
        if (e.type === 'file') pack.entry({ ...header, size: data?.length ?? 0 }, data ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve()));
        else pack.entry(header, (err) => (err ? reject(err) : resolve()));
      });
    }
    pack.finalize();
  })().catch((err: unknown) => out.destroy(err as Error));
  const info = new Promise<PackedLayerInfo>((resolve, reject) => {
    out.on('end', () =>
      resolve({
        compression,
        mediaType: layerMediaType(compression, opts.family),
        digest: blob.digest(),
        size: blob.size,
        diffId: diff.digest(),
        uncompressedSize: diff.size,
      }),
    );
    out.on('error', reject);
  });
  info.catch(() => {});
  return { stream: out, info };
}

/** Packs a whole layer in memory (for small layers: tests, config-like artifacts). */
export async function packLayerToBuffer(
  entries: Iterable<LayerEntryInput> | AsyncIterable<LayerEntryInput>,
  opts: CompressOptions & { compression?: LayerCompression; family?: 'oci' | 'docker' } = {},
): Promise<{ data: Buffer } & PackedLayerInfo> {
  const { stream, info } = packLayer(entries, opts);
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return { data: Buffer.concat(chunks), ...(await info) };
}

/** An entry deleting `path` from lower layers. */
export function whiteoutEntry(path: string): LayerEntryInput {
  return { path: whiteoutPath(path), type: 'file', mode: 0o644, data: '' };
}

/** An entry hiding everything lower layers have in `dir`. */
export function opaqueEntry(dir: string): LayerEntryInput {
  return { path: opaquePath(dir), type: 'file', mode: 0o644, data: '' };
}
