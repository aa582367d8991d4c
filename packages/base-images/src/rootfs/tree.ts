/**
 * An in-memory file tree for one layer. Paths are relative ("usr/bin/node"), without
 * leading or trailing slash. Debian packages of bookworm still ship files under /bin
 * and /lib; the tree applies the merged-/usr layout (as debootstrap does for bookworm)
 * by moving them under usr/, with /bin, /sbin, /lib, /lib64 as symlinks in the base layer.
 */
export type EntryType = 'file' | 'directory' | 'symlink' | 'hardlink';

export interface TreeEntry {
  path: string;
  type: EntryType;
  mode: number;
  uid: number;
  gid: number;
  data?: Buffer;
  linkname?: string;
}

const merged = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'];

export function canonicalPath(p: string): string {
  let s = p.replace(/^\.?\/+/, '').replace(/\/+$/, '').replace(/\/+/g, '/');
  const top = s.split('/')[0] ?? '';
  if (merged.includes(top)) s = 'usr/' + s;
  return s;
}

export interface TreeOptions {
  /** Path prefixes (canonical) never added: docs, man pages, translations... */
  exclude?: string[];
  /** Exceptions to `exclude` (e.g. keep copyright files: licences travel with the binaries). */
  keep?: RegExp[];
}

export class Tree {
  readonly #entries = new Map<string, TreeEntry>();
  readonly #exclude: string[];
  readonly #keep: RegExp[];

  constructor(opts: TreeOptions = {}) {
    this.#exclude = opts.exclude ?? [];
    this.#keep = opts.keep ?? [];
  }

  excluded(path: string): boolean {
    if (this.#keep.some((k) => k.test(path))) return false;
    return this.#exclude.some((e) => path === e || path.startsWith(e.endsWith('/') ? e : e + '/'));
  }

  #ensureParents(path: string): void {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!this.#entries.has(dir)) this.#entries.set(dir, { path: dir, type: 'directory', mode: 0o755, uid: 0, gid: 0 });
    }
  }

  /** Adds (or replaces) an entry; returns false when the path is excluded. */
  add(entry: TreeEntry): boolean {
    const path = canonicalPath(entry.path);
    if (path === '' || path === '.') return false;
    if (this.excluded(path)) return false;
    const e: TreeEntry = { ...entry, path };
    if (e.type === 'hardlink' && e.linkname !== undefined) e.linkname = canonicalPath(e.linkname);
    const prev = this.#entries.get(path);
    // A package's directory entry never replaces what is already there (dpkg keeps the first).
    if (prev && e.type === 'directory' && prev.type === 'directory') return true;
    this.#ensureParents(path);
    this.#entries.set(path, e);
    return true;
  }

  file(path: string, data: Buffer | string, mode = 0o644): void {
    this.add({ path, type: 'file', mode, uid: 0, gid: 0, data: Buffer.isBuffer(data) ? data : Buffer.from(data) });
  }

  dir(path: string, mode = 0o755): void {
    const p = canonicalPath(path);
    this.#ensureParents(p);
    this.#entries.set(p, { path: p, type: 'directory', mode, uid: 0, gid: 0 });
  }

  /** A symlink at a path given literally (no merged-/usr move: used for /bin -> usr/bin itself). */
  symlink(path: string, target: string, literal = false): void {
    const p = literal ? path.replace(/^\/+/, '') : canonicalPath(path);
    this.#ensureParents(p);
    this.#entries.set(p, { path: p, type: 'symlink', mode: 0o777, uid: 0, gid: 0, linkname: target });
  }

  get(path: string): TreeEntry | undefined {
    return this.#entries.get(canonicalPath(path));
  }

  has(path: string): boolean {
    return this.#entries.has(canonicalPath(path));
  }

  remove(path: string): void {
    const p = canonicalPath(path);
    for (const k of [...this.#entries.keys()]) if (k === p || k.startsWith(p + '/')) this.#entries.delete(k);
  }

  /** Entries in byte order of their paths; hard links always after the file they name. */
  sorted(): TreeEntry[] {
    const list = [...this.#entries.values()].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
    // Resolve hard links: the first path of a group (in sorted order) carries the data.
    const groups = new Map<string, string[]>();
    for (const e of list) {
      if (e.type !== 'hardlink' || !e.linkname) continue;
      const g = groups.get(e.linkname) ?? [e.linkname];
      g.push(e.path);
      groups.set(e.linkname, g);
    }
    for (const [target, members] of groups) {
      const t = this.#entries.get(target);
      if (!t || t.type !== 'file') {
        // Dangling hard link (target excluded): keep the first as a copy-less empty file is wrong, so drop them.
        for (const m of members) if (m !== target) this.#entries.delete(m);
        continue;
      }
      const first = [...members].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))[0]!;
      for (const m of members) {
        const e = this.#entries.get(m);
        if (!e) continue;
        if (m === first) this.#entries.set(m, { ...t, path: m });
        else this.#entries.set(m, { path: m, type: 'hardlink', mode: t.mode, uid: t.uid, gid: t.gid, linkname: first });
      }
    }
    return [...this.#entries.values()].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  }

  get size(): number {
    return this.#entries.size;
  }
}
