import type { Readable } from 'node:stream';

/**
 * Snapshots: unpacked layers, shared by every image that uses them, and root
 * filesystems assembled from them. Modelled on containerd's core/snapshots.
 *
 * Lifecycle of a layer snapshot (content-addressed by the layer's diffID, immutable
 * once committed):
 *
 *     absent ──prepareLayer()──▶ preparing ──commit(diffId)──▶ committed ──remove()──▶ absent
 *                                    │
 *                                    └──abort() / crash──▶ discarded (nothing left behind)
 *
 *   - prepareLayer() hands out a private, empty directory. The caller fills it with one
 *     layer's diff in the backend's format (for overlay: overlayfs whiteouts, see
 *     unpackLayer's `whiteouts: 'overlay'`) and commits it under the layer's diffID, or
 *     aborts. Committing is atomic; committing a diffID that already exists keeps the
 *     existing snapshot and discards the new directory.
 *   - ensureLayer(diffId, source) is what callers normally use: it returns the committed
 *     snapshot if there is one, otherwise opens the blob, unpacks it into a prepared
 *     directory, verifies that the unpacked stream has exactly that diffID, and commits.
 *     Concurrent calls for the same diffID share one unpack.
 *   - remove() deletes a committed snapshot, and refuses (SNAPSHOT_IN_USE) while a
 *     mounted root filesystem uses it.
 *
 * Lifecycle of a root filesystem (one per use, e.g. per execution environment):
 *
 *     mount(id, diffIds, {writable}) ──▶ mounted ──unmount(id)──▶ gone
 *
 *   - diffIds is the image's rootfs.diff_ids, base layer first (the order of the image
 *     config). Every layer must be committed (NOT_FOUND otherwise).
 *   - read-only mounts stack the layers only; writable mounts add a private upper
 *     directory that receives every change and is deleted by unmount(). Layer snapshots
 *     are never written through a mount.
 *   - mounts survive a restart of the process (they are kernel state, recorded on disk);
 *     a new Snapshotter over the same root lists and unmounts them.
 */
export interface LayerSnapshot {
  diffId: string;
  /** The layer's files (overlay: a lower directory). Never modify. */
  dir: string;
  /** Uncompressed tar size. */
  size: number;
  /** File content bytes on disk (what evicting the layer frees, roughly). */
  bytes?: number;
  entries: number;
  createdAt: Date;
  /** Digest of the blob it was unpacked from, when known. */
  digest?: string;
}

export interface LayerSource {
  /** Media type of the blob (decides the decompression). */
  mediaType: string;
  /** The blob's digest: verified while unpacking when given. */
  digest?: string;
  /** Opens the blob; called at most once, and only when the layer is not unpacked yet. */
  open(): Promise<Readable>;
  /** A local file holding the blob (e.g. FsContentStore.blobPath): lets the unpack run in a worker thread. */
  path?: string;
}

export interface PreparedLayer {
  readonly key: string;
  /** Empty directory to fill with the layer's files. */
  readonly dir: string;
  commit(diffId: string, info?: { size?: number; bytes?: number; entries?: number; digest?: string }): Promise<LayerSnapshot>;
  abort(): Promise<void>;
}

export interface MountOptions {
  /** Adds a private upper directory so the root filesystem is writable (default false). */
  writable?: boolean;
}

export interface RootfsMount {
  id: string;
  /** Where the root filesystem is mounted. */
  target: string;
  diffIds: string[];
  writable: boolean;
  /** Writable mounts: where changes land. */
  upperDir?: string;
  createdAt: Date;
}

export interface Snapshotter {
  stat(diffId: string): Promise<LayerSnapshot | undefined>;
  prepareLayer(): Promise<PreparedLayer>;
  ensureLayer(diffId: string, source: LayerSource): Promise<LayerSnapshot>;
  /**
   * Layer directories for `diffIds` (base first) in overlayfs lowerdir order (top first),
   * for callers that mount themselves (a sandbox runtime). They may be symlinks to the
   * snapshot directories (short paths, so long layer lists fit one mount). NOT_FOUND if any is missing.
   */
  lowerDirs(diffIds: readonly string[]): Promise<string[]>;
  mount(id: string, diffIds: readonly string[], opts?: MountOptions): Promise<RootfsMount>;
  unmount(id: string): Promise<void>;
  mounts(): Promise<RootfsMount[]>;
  /** True when it existed. Refuses (SNAPSHOT_IN_USE) while mounted. */
  remove(diffId: string): Promise<boolean>;
  walk(): AsyncIterable<LayerSnapshot>;
}
