import { lstat, readdir, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { ValidationError } from '@lambdock/common';

/** One entry of a layer, described by what it should be inside the image. */
export interface FileSpec {
  /** Path inside the image (`/var/task/app.js` or `var/task/app.js`). */
  path: string;
  /** Default 'file'. */
  type?: 'file' | 'directory' | 'symlink' | 'hardlink';
  /** Permission bits (and setuid/setgid/sticky); default 0o644 for files, 0o755 for directories. */
  mode?: number;
  /** File content. */
  content?: Uint8Array | string;
  /** A host file whose bytes become the content (streamed, not loaded into memory). */
  source?: string;
  /** Link target for symlinks and hardlinks. */
  target?: string;
  /** Ownership inside the image; default 0:0 (root), whoever ran the build. */
  uid?: number;
  gid?: number;
}

/**
 * Normalises an image path to the tar form: relative, `/`-separated, no `.`/`..`
 * components. A path that would climb out of the root is refused, not clamped: a
 * build input naming `../etc` is a mistake worth reporting.
 */
export function normalizeImagePath(p: string): string {
  if (typeof p !== 'string' || p.length === 0) throw new ValidationError('file path must be a non-empty string', { path: p });
  if (p.includes('\0')) throw new ValidationError(`file path contains a NUL byte: ${JSON.stringify(p)}`, { path: p });
  const parts: string[] = [];
  for (const c of p.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') throw new ValidationError(`file path must not contain "..": ${p}`, { path: p });
    parts.push(c);
  }
  return parts.join('/');
}

/**
 * The files under a host directory as FileSpecs placed under `prefix` in the image:
 * regular files (streamed from disk), directories and symlinks, keeping permission
 * bits but not owners or times (those are fixed by the writer for reproducibility).
 */
export async function filesFromDirectory(hostDir: string, prefix = '/'): Promise<FileSpec[]> {
  const out: FileSpec[] = [];
  const base = normalizeImagePath(prefix === '/' ? '.' : prefix);
  const walk = async (dir: string, rel: string): Promise<void> => {
    const names = (await readdir(dir)).sort();
    for (const name of names) {
      const host = join(dir, name);
      const inImage = rel ? `${rel}/${name}` : name;
      const st = await lstat(host);
      const path = base ? posix.join(base, inImage) : inImage;
      const mode = st.mode & 0o7777;
      if (st.isDirectory()) {
        out.push({ path, type: 'directory', mode });
        await walk(host, inImage);
      } else if (st.isSymbolicLink()) {
        out.push({ path, type: 'symlink', target: await readlink(host), mode: 0o777 });
      } else if (st.isFile()) {
        out.push({ path, type: 'file', mode, source: host });
      } else {
        throw new ValidationError(`cannot put ${host} in an image: only files, directories and symlinks are supported`, { path: host });
      }
    }
  };
  if (base) out.push({ path: base, type: 'directory', mode: 0o755 });
  await walk(hostDir, '');
  return out;
}
