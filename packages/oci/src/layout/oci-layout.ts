import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { LambdockError, NotFoundError, shortId } from '@lambdock/common';
import { digestBytes, parseDigest } from '../digest.js';
import { DigestMismatchError } from '../content/errors.js';
import { MediaTypes } from '../media-types.js';
import { parseManifest, type Descriptor, type ImageIndex } from '../manifest.js';
import type { ContentStore } from '../content/store.js';

/**
 * OCI image layout (image-spec image-layout.md), a directory:
 *
 *   <dir>/
 *   ├── oci-layout            {"imageLayoutVersion":"1.0.0"}
 *   ├── index.json            an image index; entries named by org.opencontainers.image.ref.name
 *   └── blobs/
 *       └── sha256/<hex>      manifests, indexes, configs, layers: content-addressed
 */

export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';
/** containerd and Docker 25+ also record the full reference here. */
export const CONTAINERD_NAME_ANNOTATION = 'io.containerd.image.name';
const LAYOUT_VERSION = '1.0.0';

/** A layout (or archive) that breaks the image-layout spec. */
export class LayoutInvalidError extends LambdockError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('LAYOUT_INVALID', message, { details });
  }
}

export interface LayoutEntry {
  /** The index.json entry (manifest or index descriptor). */
  descriptor: Descriptor;
  /** Its org.opencontainers.image.ref.name, when it has one. */
  name?: string;
}

export interface LayoutWriteItem {
  /** A manifest or index in the store. */
  digest: string;
  /** Stored as org.opencontainers.image.ref.name (a tag like `latest`, or a full reference). */
  name?: string;
  annotations?: Record<string, string>;
}

/**
 * Writes images from `store` into the layout at `dir` (created if missing; an existing
 * layout is added to, and an entry with the same name is replaced). Blobs already in the
 * layout are not rewritten; new ones appear atomically (temp file + rename), and
 * index.json is replaced last, so a reader never sees an entry whose blobs are missing.
 */
export async function writeOciLayout(dir: string, store: ContentStore, items: readonly LayoutWriteItem[]): Promise<{ index: ImageIndex }> {
  await mkdir(join(dir, 'blobs'), { recursive: true });
  const existing = await readIndexIfAny(dir);
  const entries: Descriptor[] = [];
  for (const item of items) {
    const info = await store.info(item.digest);
    if (!info) throw new NotFoundError(`cannot write ${item.digest} to an OCI layout: not in the content store`, { digest: item.digest });
    const bytes = await store.readAll(item.digest);
    const parsed = parseManifest(bytes);
    for (const d of await reachable(store, item.digest)) await copyBlobOut(store, dir, d);
    const annotations = { ...(item.annotations ?? {}), ...(item.name ? { [REF_NAME_ANNOTATION]: item.name } : {}) };
    const desc: Descriptor = { mediaType: parsed.mediaType, digest: item.digest, size: info.size };
    if (parsed.kind === 'manifest') {
      const cfg = JSON.parse((await store.readAll(parsed.manifest.config.digest)).toString('utf8')) as { os?: unknown; architecture?: unknown; variant?: unknown };
      if (typeof cfg.os === 'string' && typeof cfg.architecture === 'string') {
        desc.platform = { os: cfg.os, architecture: cfg.architecture, ...(typeof cfg.variant === 'string' ? { variant: cfg.variant } : {}) };
      }
    }
    if (Object.keys(annotations).length) desc.annotations = annotations;
    entries.push(desc);
  }
  const newNames = new Set(entries.map((e) => e.annotations?.[REF_NAME_ANNOTATION]).filter((n): n is string => n !== undefined));
  const kept = (existing?.manifests ?? []).filter((m) => {
    const n = m.annotations?.[REF_NAME_ANNOTATION];
    if (n !== undefined) return !newNames.has(n);
    return !entries.some((e) => e.digest === m.digest && e.annotations?.[REF_NAME_ANNOTATION] === undefined);
  });
  const index: ImageIndex = { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [...kept, ...entries] };
  await atomicWrite(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: LAYOUT_VERSION }));
  await atomicWrite(join(dir, 'index.json'), JSON.stringify(index));
  return { index };
}

/** The entries of a layout's index.json, without importing anything. */
export async function listOciLayout(dir: string): Promise<LayoutEntry[]> {
  await checkLayoutFile(dir);
  const index = await readIndexIfAny(dir);
  if (!index) throw new LayoutInvalidError(`${dir} is not an OCI image layout: index.json is missing`, { dir });
  return index.manifests.map((d) => ({ descriptor: d, ...(d.annotations?.[REF_NAME_ANNOTATION] ? { name: d.annotations[REF_NAME_ANNOTATION] } : {}) }));
}

/**
 * Imports images of the layout at `dir` into `store` — all of them, or the one whose
 * ref name is `name` — verifying every blob's digest and size on the way in.
 * Returns the index entries imported.
 */
export async function readOciLayout(dir: string, store: ContentStore, opts: { name?: string } = {}): Promise<LayoutEntry[]> {
  const all = await listOciLayout(dir);
  const chosen = opts.name === undefined ? all : all.filter((e) => e.name === opts.name);
  if (chosen.length === 0) {
    throw new NotFoundError(`no image named "${opts.name}" in the OCI layout ${dir} (names: ${all.map((e) => e.name ?? '(unnamed)').join(', ') || 'none'})`, { dir, name: opts.name });
  }
  for (const e of chosen) await importTree(dir, store, e.descriptor);
  return chosen;
}

/** Copies a manifest/index and everything it references from the layout into the store, children first. */
async function importTree(dir: string, store: ContentStore, d: Descriptor): Promise<void> {
  // The manifest is stored last, so the store never holds a manifest without its blobs.
  const bytes = await readManifestBlob(dir, d);
  const parsed = parseManifest(bytes, d.mediaType);
  if (parsed.kind === 'index') {
    for (const child of parsed.index.manifests) {
      if (!(await exists(blobPath(dir, child.digest)))) continue; // a layout may hold only some platforms
      await importTree(dir, store, child);
    }
  } else {
    for (const b of [parsed.manifest.config, ...parsed.manifest.layers]) {
      if (!(await exists(blobPath(dir, b.digest)))) {
        if (b.urls?.length) continue; // foreign layer: lives at its URLs, not in the layout
        throw new LayoutInvalidError(`OCI layout ${dir} lacks blob ${b.digest} referenced by manifest ${d.digest}`, { dir, digest: b.digest });
      }
      await importBlob(dir, store, b);
    }
  }
  await store.put(bytes, { digest: d.digest });
}

/** A manifest or index from the layout, verified against its descriptor. */
async function readManifestBlob(dir: string, d: Descriptor): Promise<Buffer> {
  if (d.size > 4 * 1024 * 1024) throw new LayoutInvalidError(`manifest ${d.digest} in ${dir} is larger than 4 MiB`, { dir, digest: d.digest });
  let bytes: Buffer;
  try {
    bytes = await readFile(blobPath(dir, d.digest));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new LayoutInvalidError(`OCI layout ${dir} lacks manifest ${d.digest}`, { dir, digest: d.digest });
    throw err;
  }
  const actual = digestBytes(bytes, parseDigest(d.digest).algorithm);
  if (actual !== d.digest || bytes.length !== d.size) {
    throw new DigestMismatchError(d.digest, actual);
  }
  return bytes;
}

async function importBlob(dir: string, store: ContentStore, d: Descriptor): Promise<void> {
  if (await store.info(d.digest)) return;
  const path = blobPath(dir, d.digest);
  const w = await store.writer({ ref: `layout-${shortId()}`, expected: { digest: d.digest, size: d.size } });
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) await w.write(chunk);
    await w.commit({ digest: d.digest, size: d.size });
  } catch (err) {
    await w.abort().catch(() => {});
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new LayoutInvalidError(`OCI layout ${dir} lacks blob ${d.digest}`, { dir, digest: d.digest });
    throw err;
  }
}

/** Descriptors of everything an image (or index) needs, children before parents, the root last. */
export async function reachable(store: ContentStore, digest: string): Promise<Descriptor[]> {
  const out: Descriptor[] = [];
  const seen = new Set<string>();
  const visit = async (d: Descriptor): Promise<void> => {
    if (seen.has(d.digest)) return;
    seen.add(d.digest);
    const parsed = parseManifest(await store.readAll(d.digest), d.mediaType);
    if (parsed.kind === 'index') {
      for (const c of parsed.index.manifests) if (await store.info(c.digest)) await visit(c);
    } else {
      for (const b of [parsed.manifest.config, ...parsed.manifest.layers]) {
        if (seen.has(b.digest)) continue;
        seen.add(b.digest);
        if (!(await store.info(b.digest))) {
          if (b.urls?.length) continue;
          throw new NotFoundError(`blob ${b.digest} of ${d.digest} is not in the content store`, { digest: b.digest });
        }
        out.push(b);
      }
    }
    out.push(d);
  };
  const info = await store.info(digest);
  if (!info) throw new NotFoundError(`${digest} is not in the content store`, { digest });
  await visit({ mediaType: '', digest, size: info.size });
  return out;
}

async function copyBlobOut(store: ContentStore, dir: string, d: Descriptor): Promise<void> {
  const path = blobPath(dir, d.digest);
  const info = await store.info(d.digest);
  try {
    if ((await stat(path)).size === info?.size) return; // content-addressed: same name, same bytes
  } catch {
    // absent: copy below
  }
  await mkdir(join(dir, 'blobs', parseDigest(d.digest).algorithm), { recursive: true });
  const tmp = `${path}.tmp-${shortId()}`;
  try {
    await pipeline(await store.reader(d.digest), createWriteStream(tmp));
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

export function blobPath(dir: string, digest: string): string {
  const { algorithm, encoded } = parseDigest(digest); // validated: no path tricks through a digest
  return join(dir, 'blobs', algorithm, encoded);
}

async function checkLayoutFile(dir: string): Promise<void> {
  let text: string;
  try {
    text = await readFile(join(dir, 'oci-layout'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new LayoutInvalidError(`${dir} is not an OCI image layout: oci-layout is missing`, { dir });
    throw err;
  }
  let v: unknown;
  try {
    v = (JSON.parse(text) as { imageLayoutVersion?: unknown }).imageLayoutVersion;
  } catch {
    throw new LayoutInvalidError(`${dir}/oci-layout is not JSON`, { dir });
  }
  if (typeof v !== 'string' || !v.startsWith('1.')) throw new LayoutInvalidError(`${dir}/oci-layout: unsupported imageLayoutVersion ${JSON.stringify(v)}`, { dir });
}

async function readIndexIfAny(dir: string): Promise<ImageIndex | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(join(dir, 'index.json'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const parsed = parseManifest(bytes, MediaTypes.ociIndex);
  if (parsed.kind !== 'index') throw new LayoutInvalidError(`${dir}/index.json is not an image index`, { dir });
  return parsed.index;
}

async function atomicWrite(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${shortId()}`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
