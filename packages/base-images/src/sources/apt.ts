import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile, mkdtemp, readdir } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { BaseImageBuildError } from '../errors.js';
import { run } from '../exec.js';

/** One Debian binary package exactly as apt resolved it (the pin recorded in the image). */
export interface DebPackage {
  name: string;
  version: string;
  arch: string;
  sha256: string;
  size: number;
  /** `Provides:` and `Multi-Arch:` are kept so a later resolution can count this package as installed. */
  provides?: string;
  multiArch?: string;
}

export interface AptSourceOptions {
  /** Root of the private apt state (lists, downloaded .debs); never the host's /var/lib/apt. */
  dir: string;
  mirror?: string;
  securityMirror?: string;
  /** Package lists older than this are refreshed; default one day. */
  maxListAgeMs?: number;
  log?: (msg: string) => void;
}

/**
 * Debian bookworm through apt-get itself, but with a private configuration and state
 * directory so the host's sources (third-party repositories, pins) never leak into an
 * image, and so nothing here needs the host's apt lock.
 *
 * Layout under `dir`:
 *   etc/sources.list        bookworm, bookworm-updates, bookworm-security (main)
 *   state/lists/            package indexes (`apt-get update`)
 *   debs/<name>_<version>_<arch>.deb   verified downloads, kept between builds
 */
export class AptSource {
  readonly #dir: string;
  readonly #opts: AptSourceOptions;
  #updated = false;

  constructor(opts: AptSourceOptions) {
    this.#dir = opts.dir;
    this.#opts = opts;
  }

  /**
   * apt-get/apt-cache under an exclusive flock on `<dir>/.lock`: builds running at the same
   * time (tests, two terminals) share the lists, and apt's own locking is off for the
   * private state directory.
   */
  #apt(tool: 'apt-get' | 'apt-cache', args: string[], opts: { step: string; cwd?: string }) {
    return run('flock', [join(this.#dir, '.lock'), tool, ...args], opts);
  }

  #aptOptions(statusFile?: string): string[] {
    const d = this.#dir;
    const o = [
      `Dir::Etc=${d}/etc`,
      `Dir::Etc::SourceList=${d}/etc/sources.list`,
      `Dir::Etc::SourceParts=${d}/etc/sources.list.d`,
      `Dir::Etc::Preferences=${d}/etc/preferences`,
      `Dir::Etc::PreferencesParts=${d}/etc/preferences.d`,
      `Dir::Etc::Parts=${d}/etc/apt.conf.d`,
      `Dir::State=${d}/state`,
      `Dir::State::status=${statusFile ?? `${d}/state/status`}`,
      `Dir::Cache=${d}/cache`,
      'APT::Architecture=amd64',
      'APT::Architectures=amd64',
      'APT::Install-Recommends=false',
      'APT::Get::AllowUnauthenticated=false',
      'APT::Sandbox::User=root',
      'Debug::NoLocking=true',
      'Acquire::Languages=none',
    ];
    return o.flatMap((x) => ['-o', x]);
  }

  async #prepare(): Promise<void> {
    const d = this.#dir;
    for (const sub of ['etc/sources.list.d', 'etc/preferences.d', 'etc/apt.conf.d', 'state/lists/partial', 'cache/archives/partial', 'debs']) {
      await mkdir(join(d, sub), { recursive: true });
    }
    const mirror = this.#opts.mirror ?? 'http://deb.debian.org/debian';
    const sec = this.#opts.securityMirror ?? 'http://deb.debian.org/debian-security';
    const keyring = '/usr/share/keyrings/debian-archive-keyring.gpg';
    const sources =
      `deb [signed-by=${keyring}] ${mirror} bookworm main\n` +
      `deb [signed-by=${keyring}] ${mirror} bookworm-updates main\n` +
      `deb [signed-by=${keyring}] ${sec} bookworm-security main\n`;
    await writeFile(join(d, 'etc/sources.list'), sources);
    await writeFile(join(d, 'state/status'), '');
  }

  /** Fetches package indexes when missing or stale; keeps stale ones when offline. */
  async update(force = false): Promise<void> {
    if (this.#updated && !force) return;
    await this.#prepare();
    const stamp = join(this.#dir, 'state/updated-at');
    const maxAge = this.#opts.maxListAgeMs ?? 24 * 3600 * 1000;
    const age = await stat(stamp).then((s) => Date.now() - s.mtimeMs, () => Infinity);
    if (force || age > maxAge) {
      this.#opts.log?.('apt: updating package lists (bookworm, bookworm-updates, bookworm-security)');
      try {
        await this.#apt('apt-get', [...this.#aptOptions(), '-q', 'update'], { step: 'apt-get update' });
        await writeFile(stamp, new Date().toISOString());
      } catch (err) {
        if (age === Infinity) throw err;
        this.#opts.log?.(`apt: update failed, using package lists from ${Math.round(age / 3600000)} h ago`);
      }
    }
    this.#updated = true;
  }

  /**
   * The packages needed for `roots` (Depends and Pre-Depends, never Recommends) on a
   * system that already has `installed` (lower layers), taking every `skip` package as
   * present without unpacking it (dpkg, debconf…: only maintainer scripts, which never
   * run here, need them). Each name resolves to apt's candidate version; of
   * alternatives ("a | b") one already present wins, else the first. Sorted by name.
   */
  async resolve(roots: string[], installed: DebPackage[], skip: string[]): Promise<DebPackage[]> {
    await this.update();
    // The answer depends only on the package lists and the question: remember it.
    const key = createHash('sha256')
      .update(JSON.stringify({ lists: await this.#listsStamp(), roots, installed: installed.map((p) => `${p.name}=${p.version}`), skip }))
      .digest('hex');
    const memo = join(this.#dir, 'resolved', `${key}.json`);
    const known = await readFile(memo, 'utf8').then((t) => JSON.parse(t) as DebPackage[], () => undefined);
    if (known) return known;
    const result = await this.#resolve(roots, installed, skip);
    await mkdir(join(this.#dir, 'resolved'), { recursive: true });
    await writeFile(memo, JSON.stringify(result));
    return result;
  }

  async #listsStamp(): Promise<string[]> {
    const dir = join(this.#dir, 'state/lists');
    const names = (await readdir(dir)).filter((n) => n !== 'partial' && n !== 'lock' && n !== 'auxfiles').sort();
    return Promise.all(names.map(async (n) => {
      const s = await stat(join(dir, n));
      return `${n}:${s.size}:${s.mtimeMs}`;
    }));
  }

  async #resolve(roots: string[], installed: DebPackage[], skip: string[]): Promise<DebPackage[]> {
    const present = new Set<string>([...skip, ...installed.map((p) => p.name)]);
    for (const p of installed) for (const v of provided(p.provides)) present.add(v);
    const selected = new Map<string, DebPackage & { depends: string }>();
    const satisfied = (name: string) => present.has(name) || selected.has(name) || [...selected.values()].some((p) => provided(p.provides).includes(name));
    let wanted = [...new Set(roots)];
    while (wanted.length > 0) {
      const records = await this.#showFull(wanted.filter((n) => !satisfied(n)));
      const next: string[] = [];
      for (const name of wanted) {
        if (satisfied(name)) continue;
        let rec = records.get(name);
        if (!rec) {
          const provider = await this.#provider(name);
          if (!provider) throw new BaseImageBuildError(`no Debian package provides '${name}'`, { step: 'apt resolve', name });
          if (satisfied(provider)) continue;
          rec = (await this.#showFull([provider])).get(provider);
          if (!rec) throw new BaseImageBuildError(`apt knows no candidate for '${provider}'`, { step: 'apt resolve', name: provider });
        }
        selected.set(rec.name, rec);
        for (const group of rec.depends.split(',').map((g) => g.trim()).filter(Boolean)) {
          const alts = group.split('|').map((a) => a.trim().split(/[\s(]/)[0]!.replace(/:any$/, ''));
          if (alts.some((a) => satisfied(a) || next.includes(a))) continue;
          next.push(alts[0]!);
        }
      }
      wanted = next;
    }
    return [...selected.values()]
      .map(({ depends: _d, ...p }) => p)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async #showFull(names: string[]): Promise<Map<string, DebPackage & { depends: string }>> {
    const out = new Map<string, DebPackage & { depends: string }>();
    if (names.length === 0) return out;
    // One call per name would be slow; apt-cache show fails as a whole on a purely virtual
    // name, so fall back to one by one only then.
    const { stdout } = await this.#apt('apt-cache', [...this.#aptOptions(), 'show', '--no-all-versions', ...names], { step: 'apt-cache show' }).catch(async () => {
      const parts = await Promise.all(names.map((n) => this.#apt('apt-cache', [...this.#aptOptions(), 'show', '--no-all-versions', n], { step: 'apt-cache show' }).catch(() => ({ stdout: Buffer.alloc(0) }))));
      return { stdout: Buffer.concat(parts.map((p) => Buffer.concat([p.stdout, Buffer.from('\n\n')]))) };
    });
    for (const block of stdout.toString('utf8').split(/\n\n+/)) {
      const f = parseControl(block);
      if (!f['Package'] || !f['SHA256']) continue;
      out.set(f['Package'], {
        name: f['Package'],
        version: f['Version'] ?? '',
        arch: f['Architecture'] ?? 'amd64',
        sha256: f['SHA256'],
        size: Number(f['Size'] ?? 0),
        ...(f['Provides'] ? { provides: f['Provides'] } : {}),
        ...(f['Multi-Arch'] ? { multiArch: f['Multi-Arch'] } : {}),
        depends: [f['Pre-Depends'], f['Depends']].filter(Boolean).join(', '),
      });
    }
    return out;
  }

  /** The first package (by name) providing a virtual package. */
  async #provider(name: string): Promise<string | undefined> {
    const { stdout } = await this.#apt('apt-cache', [...this.#aptOptions(), 'showpkg', name], { step: 'apt-cache showpkg' });
    const text = stdout.toString('utf8');
    const i = text.indexOf('Reverse Provides:');
    if (i < 0) return undefined;
    const names = text.slice(i).split('\n').slice(1).map((l) => l.trim().split(' ')[0]!).filter(Boolean);
    return names.sort()[0];
  }

  debPath(p: DebPackage): string {
    return join(this.#dir, 'debs', `${p.name}_${p.version.replace(/:/g, '%3a')}_${p.arch}.deb`);
  }

  /** Makes sure every package's .deb is in the cache with its published SHA256; downloads the missing ones in one apt-get call. */
  async fetch(pkgs: DebPackage[]): Promise<void> {
    const missing: DebPackage[] = [];
    // Layers may share a package (python and curl both need libssl3): fetch each once.
    const unique = [...new Map(pkgs.map((p) => [`${p.name}=${p.version}`, p])).values()];
    for (const p of unique) {
      const path = this.debPath(p);
      const ok = await stat(path).then((s) => s.size === p.size, () => false);
      if (!ok) missing.push(p);
    }
    if (missing.length === 0) return;
    this.#opts.log?.(`apt: downloading ${missing.length} packages (${(missing.reduce((s, p) => s + p.size, 0) / 1e6).toFixed(1)} MB)`);
    const tmp = await mkdtemp(join(this.#dir, 'download-'));
    try {
      await this.#apt('apt-get', [...this.#aptOptions(), '-q', 'download', ...missing.map((p) => `${p.name}=${p.version}`)], { step: 'apt-get download', cwd: tmp });
      const files = await readdir(tmp);
      for (const p of missing) {
        const prefix = `${p.name}_`;
        const file = files.find((f) => f.startsWith(prefix) && f.endsWith(`_${p.arch}.deb`));
        if (!file) throw new BaseImageBuildError(`apt-get download did not produce ${p.name} ${p.version}`, { step: 'apt-get download' });
        const got = await sha256File(join(tmp, file));
        if (got !== p.sha256) {
          throw new BaseImageBuildError(`${p.name} ${p.version}: SHA256 ${got} does not match the archive's ${p.sha256}`, { step: 'apt-get download', pkg: p.name });
        }
        await rename(join(tmp, file), this.debPath(p));
      }
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  /** Verifies a cached .deb again (cheap insurance against a truncated cache). */
  async verify(p: DebPackage): Promise<void> {
    const got = await sha256File(this.debPath(p));
    if (got !== p.sha256) throw new BaseImageBuildError(`cached ${p.name} ${p.version} is corrupt (sha256 ${got}); delete ${this.debPath(p)}`, { step: 'verify deb' });
  }
}

function provided(provides: string | undefined): string[] {
  return (provides ?? '').split(',').map((p) => p.trim().split(/[\s(]/)[0]!).filter(Boolean);
}

export function parseControl(block: string): Record<string, string> {
  const f: Record<string, string> = {};
  let key = '';
  for (const line of block.split('\n')) {
    if (/^\s/.test(line) && key) f[key] += '\n' + line.trim();
    else {
      const i = line.indexOf(':');
      if (i > 0) {
        key = line.slice(0, i);
        f[key] = line.slice(i + 1).trim();
      }
    }
  }
  return f;
}

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return h.digest('hex');
}

