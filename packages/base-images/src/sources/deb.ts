import { spawn } from 'node:child_process';
import { createGunzip } from 'node:zlib';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { BaseImageBuildError } from '../errors.js';
import type { Tree, EntryType } from '../rootfs/tree.js';

/** Reads a tar stream into `tree`; `rename` maps an archive path to the tree path (or null to drop it). */
export async function tarIntoTree(input: Readable, tree: Tree, rename: (p: string) => string | null = (p) => p): Promise<number> {
  const extract = tar.extract();
  let count = 0;
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('error', reject);
      stream.on('end', () => {
        const path = rename(header.name);
        const type: EntryType | undefined =
          header.type === 'file' || header.type === 'contiguous-file' ? 'file'
          : header.type === 'directory' ? 'directory'
          : header.type === 'symlink' ? 'symlink'
          : header.type === 'link' ? 'hardlink'
          : undefined;
        if (path !== null && type) {
          const linkname = type === 'hardlink' && header.linkname ? rename(header.linkname) ?? undefined : header.linkname ?? undefined;
          const added = tree.add({
            path,
            type,
            mode: (header.mode ?? 0o644) & 0o7777,
            uid: header.uid ?? 0,
            gid: header.gid ?? 0,
            ...(type === 'file' ? { data: Buffer.concat(chunks) } : {}),
            ...(linkname !== undefined && type !== 'file' && type !== 'directory' ? { linkname } : {}),
          });
          if (added) count++;
        }
        next();
      });
      stream.resume();
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  input.pipe(extract);
  input.on('error', (e) => extract.destroy(e));
  await done;
  return count;
}

/** Unpacks the data part of a .deb (any compression dpkg knows) into the tree; maintainer scripts are not run. */
export async function debIntoTree(debPath: string, tree: Tree): Promise<number> {
  const child = spawn('dpkg-deb', ['--fsys-tarfile', debPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve, reject) => {
    child.on('error', (e) => reject(new BaseImageBuildError(`dpkg-deb not available: ${e.message}`, { step: 'unpack deb' }, e)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new BaseImageBuildError(`dpkg-deb --fsys-tarfile ${debPath} failed: ${stderr.trim()}`, { step: 'unpack deb' }))));
  });
  const [n] = await Promise.all([tarIntoTree(child.stdout, tree), exited]);
  return n;
}

/** Unpacks an npm package tarball (paths under `package/`) into the tree at `prefix`. */
export async function npmTarballIntoTree(tgz: string, tree: Tree, prefix: string, filter: (rel: string) => boolean = () => true): Promise<number> {
  const input = createReadStream(tgz).pipe(createGunzip());
  return tarIntoTree(input, tree, (p) => {
    const rel = p.replace(/^package\/?/, '');
    if (rel === '' || !filter(rel)) return null;
    return `${prefix}/${rel}`;
  });
}
