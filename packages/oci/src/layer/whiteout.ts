import { posix } from 'node:path';

/**
 * OCI whiteouts (image-spec layer.md#whiteouts), the AUFS-style markers every image uses:
 *
 *   dir/.wh.name      "dir/name" from lower layers is deleted
 *   dir/.wh..wh..opq  "dir" is opaque: everything lower layers had in it is hidden
 *
 * The markers are never materialised as files: the unpacker either applies them
 * (deletes from the directory it extracts into) or converts them into overlayfs's own
 * form (a 0/0 character device; the trusted.overlay.opaque="y" xattr).
 */
export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_WHITEOUT = '.wh..wh..opq';

export type Whiteout = { kind: 'opaque'; dir: string } | { kind: 'whiteout'; dir: string; name: string; target: string };

/** Classifies a cleaned relative path (no leading "/"). */
export function classifyWhiteout(path: string): Whiteout | undefined {
  const base = posix.basename(path);
  if (!base.startsWith(WHITEOUT_PREFIX)) return undefined;
  const dir = posix.dirname(path) === '.' ? '' : posix.dirname(path);
  if (base === OPAQUE_WHITEOUT) return { kind: 'opaque', dir };
  const name = base.slice(WHITEOUT_PREFIX.length);
  return { kind: 'whiteout', dir, name, target: dir ? `${dir}/${name}` : name };
}

/** The marker path that deletes `path` in a layer. */
export function whiteoutPath(path: string): string {
  const dir = posix.dirname(path);
  const name = `${WHITEOUT_PREFIX}${posix.basename(path)}`;
  return dir === '.' ? name : `${dir}/${name}`;
}

/** The marker path that makes `dir` opaque in a layer. */
export function opaquePath(dir: string): string {
  return dir === '' || dir === '.' ? OPAQUE_WHITEOUT : `${dir.replace(/\/+$/, '')}/${OPAQUE_WHITEOUT}`;
}
