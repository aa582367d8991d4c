import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract as tarExtract, pack as tarPack, type Pack } from 'tar-stream';
import { NotFoundError, shortId } from '@lambdock/common';
import { digestBytes, isDigest, parseDigest } from '../digest.js';
import { MediaTypes } from '../media-types.js';
import { parseImageConfig, parseManifest, type Descriptor, type ImageConfig, type ImageIndex, type ImageManifest } from '../manifest.js';
import type { ContentStore } from '../content/store.js';
import { selectPlatform } from '../client/client.js';
import { CONTAINERD_NAME_ANNOTATION, LayoutInvalidError, REF_NAME_ANNOTATION, reachable } from '../layout/oci-layout.js';

/**
 * docker-archive: what `docker save` writes and `docker load` reads. A tar holding
 *
 *   manifest.json             [{"Config": "<path>", "RepoTags": ["repo:tag"], "Layers": ["<path>", ...]}]
 *   repositories              {"repo": {"tag": "<top layer id>"}}   (legacy, informational)
 *   <id>/layer.tar, <id>/json, <id>/VERSION, <config-hex>.json      engines before 25
 *   oci-layout, index.json, blobs/sha256/<hex>                       engines 25+ (OCI layout inside)
 *
 * Paths in manifest.json are what counts; both generations are read. We write the
 * combined form (OCI layout + manifest.json pointing into blobs/), which keeps the
 * image's digests: layers stay as compressed as they were pushed.
 */

export interface ArchiveImage {
  repoTags: string[];
  manifestDigest: string;
  manifest: ImageManifest;
  configDigest: string;
  config: ImageConfig;
}

interface ArchiveFile {
  digest: string;
  size: number;
  /** Kept for small files: manifest.json, configs, index.json. */
  data?: Buffer;
  /** First bytes, for compression sniffing. */
  head: Buffer;
  /** Came from blobs/<alg>/<hex> (and matched the name). */
  named?: boolean;
}

interface DockerManifestEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

const SMALL = 4 * 1024 * 1024;

/**
 * Imports every image of a docker-archive (a path or a stream) into `store`. Every
 * file's digest is computed on the way in; blobs under blobs/<alg>/<hex> must match
 * their names, and each layer the config's diff_ids (checked by whoever unpacks it).
 */
export async function readDockerArchive(input: string | Readable, store: ContentStore): Promise<ArchiveImage[]> {
  const files = new Map<string, ArchiveFile>();
  const links = new Map<string, string>();
  const ex = tarExtract();
  const source = typeof input === 'string' ? createReadStream(input) : input;
  const feeding = pipeline(source, ex as unknown as Writable);
  const reading = (async () => {
    for await (const entry of ex) {
      const name = posix.normalize(entry.header.name).replace(/^(\.\/)+/, '').replace(/\/$/, '');
      const type = entry.header.type;
      if (type === 'symlink' || type === 'link') {
        const target = entry.header.linkname ?? '';
        links.set(name, type === 'symlink' ? posix.normalize(posix.join(posix.dirname(name), target)) : posix.normalize(target));
        entry.resume();
        continue;
      }
      if (type !== 'file' && type !== 'contiguous-file') {
        entry.resume();
        continue;
      }
      files.set(name, await ingest(entry as unknown as Readable, store, name, entry.header.size ?? 0));
    }
  })();
  await Promise.all([feeding, reading]);

  const resolve = (path: string): ArchiveFile => {
    let p = posix.normalize(path).replace(/^(\.\/)+/, '');
    for (let i = 0; i < 16 && links.has(p); i++) p = links.get(p)!;
    const f = files.get(p);
    if (!f) throw new LayoutInvalidError(`docker archive lacks ${path}`, { path });
    return f;
  };

  await storeSmallBlobs(store, [...files.values()]);
  const manifestJson = files.get('manifest.json');
  const indexJson = files.get('index.json');
  if (!manifestJson && !indexJson) throw new LayoutInvalidError('not a docker archive: neither manifest.json nor index.json found');

  // OCI manifests carried by a 25+ archive keep the digests the image had in a registry.
  const ociByConfig = new Map<string, { digest: string; manifest: ImageManifest; names: string[] }>();
  if (indexJson?.data) {
    const idx = parseManifest(indexJson.data, MediaTypes.ociIndex);
    if (idx.kind === 'index') await collectOciManifests(store, idx.index, ociByConfig);
  }

  const images: ArchiveImage[] = [];
  if (manifestJson?.data) {
    let entries: DockerManifestEntry[];
    try {
      entries = JSON.parse(manifestJson.data.toString('utf8')) as DockerManifestEntry[];
    } catch {
      throw new LayoutInvalidError('docker archive manifest.json is not JSON');
    }
    if (!Array.isArray(entries)) throw new LayoutInvalidError('docker archive manifest.json must be an array');
    for (const [i, e] of entries.entries()) {
      if (typeof e?.Config !== 'string' || !Array.isArray(e.Layers)) throw new LayoutInvalidError(`docker archive manifest.json[${i}] needs Config and Layers`);
      const cfgFile = resolve(e.Config);
      const cfgBytes = cfgFile.data ?? (await store.readAll(cfgFile.digest));
      const config = parseImageConfig(cfgBytes);
      await ensureStored(store, cfgFile, cfgBytes);
      const repoTags = (e.RepoTags ?? []).filter((t): t is string => typeof t === 'string');
      const oci = ociByConfig.get(cfgFile.digest);
      if (oci) {
        images.push({ repoTags, manifestDigest: oci.digest, manifest: oci.manifest, configDigest: cfgFile.digest, config });
        continue;
      }
      const layers: Descriptor[] = [];
      for (const lp of e.Layers) {
        const f = resolve(lp);
        await ensureStored(store, f);
        const c = sniff(f.head);
        layers.push({ mediaType: c === 'gzip' ? MediaTypes.ociLayerGzip : c === 'zstd' ? MediaTypes.ociLayerZstd : MediaTypes.ociLayer, digest: f.digest, size: f.size });
      }
      if (layers.length !== config.rootfs.diff_ids.length) {
        throw new LayoutInvalidError(`docker archive image ${repoTags[0] ?? i}: ${layers.length} layers but ${config.rootfs.diff_ids.length} diff_ids in its config`);
      }
      const manifest: ImageManifest = {
        schemaVersion: 2,
        mediaType: MediaTypes.ociManifest,
        config: { mediaType: MediaTypes.ociConfig, digest: cfgFile.digest, size: cfgFile.size },
        layers,
      };
      const bytes = Buffer.from(JSON.stringify(manifest));
      const info = await store.put(bytes);
      images.push({ repoTags, manifestDigest: info.digest, manifest, configDigest: cfgFile.digest, config });
    }
  } else {
    for (const [configDigest, oci] of ociByConfig) {
      const config = parseImageConfig(await store.readAll(configDigest));
      images.push({ repoTags: oci.names, manifestDigest: oci.digest, manifest: oci.manifest, configDigest, config });
    }
  }
  return images;
}

async function collectOciManifests(store: ContentStore, index: ImageIndex, out: Map<string, { digest: string; manifest: ImageManifest; names: string[] }>): Promise<void> {
  for (const d of index.manifests) {
    if (!(await store.info(d.digest))) continue;
    const parsed = parseManifest(await store.readAll(d.digest), d.mediaType);
    const name = d.annotations?.[CONTAINERD_NAME_ANNOTATION] ?? d.annotations?.[REF_NAME_ANNOTATION];
    if (parsed.kind === 'index') {
      await collectOciManifests(store, parsed.index, out);
      continue;
    }
    const complete = await Promise.all([parsed.manifest.config, ...parsed.manifest.layers].map((b) => store.info(b.digest)));
    if (complete.some((x) => !x)) continue;
    const prev = out.get(parsed.manifest.config.digest);
    if (prev) {
      if (name) prev.names.push(name);
    } else out.set(parsed.manifest.config.digest, { digest: d.digest, manifest: parsed.manifest, names: name ? [name] : [] });
  }
}

/** Streams one archive entry into the store (verifying blobs/<alg>/<hex> names); small ones are kept in memory too. */
async function ingest(entry: Readable, store: ContentStore, name: string, size: number): Promise<ArchiveFile> {
  const m = /^blobs\/(sha256|sha512)\/([a-f0-9]+)$/.exec(name);
  const named = m && isDigest(`${m[1]}:${m[2]}`) ? `${m[1]}:${m[2]}` : undefined;
  const algorithm = named ? parseDigest(named).algorithm : 'sha256';
  if (size <= SMALL) {
    const chunks: Buffer[] = [];
    for await (const c of entry as AsyncIterable<Buffer>) chunks.push(c);
    const data = Buffer.concat(chunks);
    const digest = digestBytes(data, algorithm);
    if (named && named !== digest) throw new LayoutInvalidError(`docker archive ${name} hashes to ${digest}`, { path: name, actual: digest });
    // Small blobs are stored once the whole archive has been read (manifests last, see
    // storeSmallBlobs); other small files (json, VERSION) only when referenced.
    return { digest, size: data.length, data, head: data.subarray(0, 8), ...(named ? { named: true } : {}) };
  }
  const w = await store.writer({ ref: `archive-${shortId()}`, ...(named ? { expected: { digest: named, size } } : {}) });
  let head = Buffer.alloc(0);
  try {
    for await (const c of entry as AsyncIterable<Buffer>) {
      if (head.length < 8) head = Buffer.concat([head, c.subarray(0, 8 - head.length)]);
      await w.write(c);
    }
    const info = await w.commit();
    return { digest: info.digest, size: info.size, head };
  } catch (err) {
    await w.abort().catch(() => {});
    throw err;
  }
}

/** Puts the small blobs/ entries into the store, manifests and indexes last, so none is stored before its blobs. */
async function storeSmallBlobs(store: ContentStore, files: ArchiveFile[]): Promise<void> {
  const isManifest = (f: ArchiveFile): boolean => {
    try {
      const o = JSON.parse(f.data!.toString('utf8')) as Record<string, unknown>;
      return o['schemaVersion'] === 2 && (Array.isArray(o['layers']) || Array.isArray(o['manifests']));
    } catch {
      return false;
    }
  };
  const small = files.filter((f) => f.named && f.data);
  const manifests = small.filter(isManifest);
  for (const f of small) if (!manifests.includes(f)) await store.put(f.data!, { digest: f.digest });
  // Children before the indexes that list them.
  manifests.sort((a, b) => Number(a.data!.includes('"manifests"')) - Number(b.data!.includes('"manifests"')));
  for (const f of manifests) await store.put(f.data!, { digest: f.digest });
}

async function ensureStored(store: ContentStore, f: ArchiveFile, data?: Buffer): Promise<void> {
  if (await store.info(f.digest)) return;
  const bytes = data ?? f.data;
  if (!bytes) throw new NotFoundError(`archive file ${f.digest} is not in the store`);
  await store.put(bytes, { digest: f.digest });
}

function sniff(head: Buffer): 'gzip' | 'zstd' | 'none' {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return 'none';
}

export interface ArchiveWriteItem {
  /** An image manifest, or an index (resolved to `platform`, default linux/amd64). */
  digest: string;
  /** `repo:tag` names docker load gives the image. */
  repoTags?: string[];
  platform?: { os: string; architecture: string; variant?: string };
}

/**
 * Writes images from `store` as a docker-archive that `docker load` accepts, to a
 * path (atomically: temp file + rename) or a stream. The tar is deterministic: fixed
 * order, mtime 0, root-owned entries.
 */
export async function writeDockerArchive(output: string | Writable, store: ContentStore, items: readonly ArchiveWriteItem[]): Promise<void> {
  type Planned = { manifestDigest: string; manifestSize: number; mediaType: string; manifest: ImageManifest; repoTags: string[] };
  const planned: Planned[] = [];
  for (const item of items) {
    let digest = item.digest;
    const info = await store.info(digest);
    if (!info) throw new NotFoundError(`cannot save ${digest}: not in the content store`, { digest });
    let parsed = parseManifest(await store.readAll(digest));
    if (parsed.kind === 'index') {
      const want = item.platform ?? { os: 'linux', architecture: 'amd64' };
      const d = selectPlatform(parsed.index, want);
      if (!d || !(await store.info(d.digest))) throw new NotFoundError(`index ${digest} has no ${want.os}/${want.architecture} manifest in the store`, { digest });
      digest = d.digest;
      parsed = parseManifest(await store.readAll(digest), d.mediaType);
      if (parsed.kind !== 'manifest') throw new LayoutInvalidError(`index ${item.digest} points at another index for ${want.os}/${want.architecture}`);
    }
    const size = (await store.info(digest))!.size;
    planned.push({ manifestDigest: digest, manifestSize: size, mediaType: parsed.mediaType, manifest: parsed.manifest, repoTags: item.repoTags ?? [] });
  }

  const blobs: Descriptor[] = [];
  const seen = new Set<string>();
  for (const p of planned) {
    for (const d of await reachable(store, p.manifestDigest)) {
      if (seen.has(d.digest)) continue;
      seen.add(d.digest);
      const info = await store.info(d.digest);
      blobs.push({ mediaType: d.mediaType, digest: d.digest, size: info!.size });
    }
  }
  const blobName = (digest: string): string => {
    const { algorithm, encoded } = parseDigest(digest);
    return `blobs/${algorithm}/${encoded}`;
  };
  const manifestJson = planned.map((p) => ({ Config: blobName(p.manifest.config.digest), RepoTags: p.repoTags, Layers: p.manifest.layers.map((l) => blobName(l.digest)) }));
  const repositories: Record<string, Record<string, string>> = {};
  for (const p of planned) {
    const top = p.manifest.layers.at(-1);
    if (!top) continue;
    for (const t of p.repoTags) {
      const i = t.lastIndexOf(':');
      if (i <= 0 || t.slice(i).includes('/')) continue;
      (repositories[t.slice(0, i)] ??= {})[t.slice(i + 1)] = parseDigest(top.digest).encoded;
    }
  }
  const index: ImageIndex = {
    schemaVersion: 2,
    mediaType: MediaTypes.ociIndex,
    manifests: planned.flatMap((p) => {
      const base = { mediaType: p.mediaType, digest: p.manifestDigest, size: p.manifestSize };
      if (p.repoTags.length === 0) return [base];
      return p.repoTags.map((t) => ({ ...base, annotations: { [CONTAINERD_NAME_ANNOTATION]: t, [REF_NAME_ANNOTATION]: t.slice(t.lastIndexOf(':') + 1) } }));
    }),
  };

  const pack = tarPack();
  const target = typeof output === 'string' ? `${output}.tmp-${shortId()}` : undefined;
  const sink = typeof output === 'string' ? createWriteStream(target!) : output;
  const writing = pipeline(pack as unknown as Readable, sink);
  const feed = async (): Promise<void> => {
    const small = (name: string, text: string): Promise<void> => addEntry(pack, { name, size: Buffer.byteLength(text) }, Buffer.from(text));
    await addEntry(pack, { name: 'blobs/', type: 'directory', size: 0 });
    const algs = [...new Set(blobs.map((b) => parseDigest(b.digest).algorithm))].sort();
    for (const a of algs) await addEntry(pack, { name: `blobs/${a}/`, type: 'directory', size: 0 });
    for (const b of blobs) {
      await addEntry(pack, { name: blobName(b.digest), size: b.size }, await store.reader(b.digest));
    }
    await small('index.json', JSON.stringify(index));
    await small('manifest.json', JSON.stringify(manifestJson));
    await small('oci-layout', JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    await small('repositories', JSON.stringify(repositories));
    pack.finalize();
  };
  try {
    await Promise.all([writing, feed().catch((err: unknown) => {
      pack.destroy(err as Error);
      throw err;
    })]);
    if (target) await rename(target, output as string);
  } catch (err) {
    if (target) await rm(target, { force: true });
    throw err;
  }
}

function addEntry(pack: Pack, h: { name: string; size: number; type?: 'file' | 'directory' }, body?: Buffer | Readable): Promise<void> {
  const header = { name: h.name, size: h.size, type: h.type ?? 'file', mode: h.type === 'directory' ? 0o755 : 0o644, mtime: new Date(0), uid: 0, gid: 0, uname: '', gname: '' };
  return new Promise<void>((resolve, reject) => {
    if (body === undefined || Buffer.isBuffer(body)) {
      pack.entry(header, body ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve()));
      return;
    }
    const entry = pack.entry(header, (err) => (err ? reject(err) : resolve()));
    body.on('error', (err) => {
      entry.destroy(err);
      reject(err);
    });
    body.pipe(entry as unknown as Writable);
  });
}
