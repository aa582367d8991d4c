import { lstatSync, mkdirSync, readdirSync, readlinkSync, rmSync, unlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { LayerError } from '../layer/errors.js';

/**
 * Path resolution confined to one root directory, the core of the safe unpacker.
 *
 * Every path in a layer is resolved component by component, the way a process
 * chrooted into the root would see it: ".." never climbs above the root, and a
 * symlink met on the way (including one an earlier entry of the same layer created)
 * is followed *inside* the root — an absolute target restarts at the root. So no
 * entry can reach outside, whatever the layer contains. The final component is never
 * followed: creating an entry first removes whatever is there.
 *
 * Resolved real directories are cached (unpacking 100k files would otherwise lstat
 * every component of every path); anything removed or replaced is dropped from the
 * cache with its descendants.
 */
export class RootedTree {
  readonly #dirs = new Set<string>();

  constructor(readonly root: string) {}

  /** Splits and cleans an entry path; throws LAYER_PATH_ESCAPE when ".." would leave the root. */
  static clean(name: string, what = 'entry'): string[] {
    if (name.includes('\0')) throw new LayerError('LAYER_INVALID', `${what} path contains a NUL byte`, { path: name });
    if (name.length > 4096) throw new LayerError('LAYER_INVALID', `${what} path is longer than 4096 bytes`, { path: name.slice(0, 200) });
    const out: string[] = [];
    for (const c of name.split('/')) {
      if (c === '' || c === '.') continue;
      if (c === '..') {
        if (out.length === 0) throw new LayerError('LAYER_PATH_ESCAPE', `${what} path "${name}" climbs out of the root with ".."`, { path: name });
        out.pop();
        continue;
      }
      if (Buffer.byteLength(c) > 255) throw new LayerError('LAYER_INVALID', `${what} path "${name.slice(0, 200)}" has a component longer than 255 bytes`, { path: name.slice(0, 200) });
      out.push(c);
    }
    return out;
  }

  abs(rel: string): string {
    return rel === '' ? this.root : join(this.root, rel);
  }

  /**
   * Resolves a directory path inside the root, following symlinks within the root.
   * Missing directories are created (0755) when `create`, else undefined is returned.
   * Returns the resolved relative path ('' is the root).
   */
  resolveDir(components: readonly string[], create: boolean): string | undefined {
    const stack: string[] = [];
    const queue = [...components];
    let links = 0;
    while (queue.length > 0) {
      const c = queue.shift()!;
      if (c === '' || c === '.') continue;
      if (c === '..') {
        stack.pop();
        continue;
      }
      const rel = stack.length ? `${stack.join('/')}/${c}` : c;
      if (this.#dirs.has(rel)) {
        stack.push(c);
        continue;
      }
      const abs = join(this.root, rel);
      const st = lstatOrUndefined(abs);
      if (st === undefined) {
        if (!create) return undefined;
        mkdirSync(abs, { mode: 0o755 });
        this.#dirs.add(rel);
        stack.push(c);
      } else if (st.isDirectory()) {
        this.#dirs.add(rel);
        stack.push(c);
      } else if (st.isSymbolicLink()) {
        if (++links > 40) throw new LayerError('LAYER_INVALID', `too many levels of symbolic links resolving "${components.join('/')}"`, { path: components.join('/') });
        const target = readlinkSync(abs);
        if (target.startsWith('/')) stack.length = 0;
        queue.unshift(...target.split('/'));
      } else {
        if (!create) return undefined;
        throw new LayerError('LAYER_INVALID', `"${rel}" is not a directory but the layer puts entries under it`, { path: rel });
      }
    }
    return stack.join('/');
  }

  /** Marks a path as a directory we know is real (we just created it). */
  knowDir(rel: string): void {
    this.#dirs.add(rel);
  }

  /** Forgets cached directories at or below rel (after a removal or replacement). */
  forget(rel: string): void {
    if (rel === '') {
      this.#dirs.clear();
      return;
    }
    const prefix = `${rel}/`;
    for (const d of this.#dirs) if (d === rel || d.startsWith(prefix)) this.#dirs.delete(d);
  }

  /** Removes whatever is at rel (never following a symlink); returns the lstat of what was there. */
  remove(rel: string): Stats | undefined {
    const abs = this.abs(rel);
    const st = lstatOrUndefined(abs);
    if (st === undefined) return undefined;
    if (st.isDirectory()) {
      rmSync(abs, { recursive: true, force: true });
      this.forget(rel);
    } else unlinkSync(abs);
    return st;
  }

  /** Removes the children of directory rel whose paths are not in `keep`, recursing into kept directories. */
  removeChildrenExcept(rel: string, keep: ReadonlySet<string>): void {
    const abs = this.abs(rel);
    for (const name of readdirSync(abs)) {
      const child = rel ? `${rel}/${name}` : name;
      if (!keep.has(child)) this.remove(child);
      else if (lstatOrUndefined(join(abs, name))?.isDirectory()) this.removeChildrenExcept(child, keep);
    }
  }
}

export function lstatOrUndefined(path: string): Stats | undefined {
  // No exception for the common "not there yet" case: unpacking lstats every entry.
  return lstatSync(path, { throwIfNoEntry: false });
}
